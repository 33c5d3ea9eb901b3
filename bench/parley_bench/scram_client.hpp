#pragma once
// The client side of SASL SCRAM-SHA-1 (RFC 5802) and PLAIN (RFC 4616) for the load generator.
// ScramKeyCache keeps ClientKey and ServerKey per (password, salt, iterations), as RFC 5802 §5.1
// allows a client to, so that the generator runs PBKDF2 once per account rather than per login.
// The cache is shared by all worker threads (a mutex; it is touched once per login, not per
// stanza) and lives as long as the run.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace parley::bench {

class ScramKeyCache {
 public:
  struct Keys {
    std::string client_key;  // HMAC(SaltedPassword, "Client Key")
    std::string stored_key;  // H(ClientKey)
    std::string server_key;  // HMAC(SaltedPassword, "Server Key")
  };
  // Derives (PBKDF2, heavy) on a miss. nullopt when the password cannot be prepared.
  std::optional<Keys> Get(std::string_view password, std::string_view salt, uint32_t iterations);
  uint64_t Misses();

 private:
  std::mutex mu_;
  std::unordered_map<std::string, Keys> keys_;
  uint64_t misses_ = 0;
};

// One SCRAM-SHA-1 exchange without channel binding ("n,," GS2 header).
class ScramClient {
 public:
  ScramClient(std::string_view user, std::string_view password);
  // The base64 initial response for <auth mechanism='SCRAM-SHA-1'>.
  std::string ClientFirst();
  // Takes the decoded server-first-message; returns the base64 client-final-message, or nullopt
  // (with *error) when the challenge is malformed or the nonce does not extend ours.
  std::optional<std::string> ClientFinal(std::string_view server_first, ScramKeyCache& cache,
                                         std::string* error);
  // Checks the decoded additional data of <success/> ("v=...").
  bool VerifyServerFinal(std::string_view server_final) const;

 private:
  std::string user_;
  std::string password_;
  std::string client_nonce_;
  std::string client_first_bare_;
  std::string expected_server_signature_;
};

// The base64 initial response for PLAIN: "\0user\0password".
std::string PlainResponse(std::string_view user, std::string_view password);

}  // namespace parley::bench
