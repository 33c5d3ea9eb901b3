#pragma once
// What the server stores to authenticate a password user (RFC 5802 §3), how it is derived, checked
// and written down. Derivation and verification run PBKDF2 and are heavy: callers run them on the
// blocking pool, never on a shard. Everything here is stateless and thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::sasl {

enum class Hash { kSha1, kSha256 };

// RFC 5802 §3: never the password, only what SCRAM needs to verify a proof and prove itself.
struct ScramCredential {
  Hash hash = Hash::kSha1;
  std::string salt;  // raw bytes
  uint32_t iterations = 0;
  std::string stored_key;  // raw bytes: H(HMAC(SaltedPassword, "Client Key"))
  std::string server_key;  // raw bytes: HMAC(SaltedPassword, "Server Key")

  friend bool operator==(const ScramCredential&, const ScramCredential&) = default;
};

struct StoredCredentials {
  ScramCredential sha1;
  ScramCredential sha256;
};

inline constexpr std::size_t kSaltBytes = 16;

// SASLprep + PBKDF2 for both hashes, each with a fresh random salt of kSaltBytes. Heavy.
// nullopt when SASLprep rejects the password, it is empty, or iterations is 0 or above INT_MAX.
std::optional<StoredCredentials> DeriveCredentials(std::string_view password, uint32_t iterations);
// The same for one hash and a given salt (non-empty). Heavy.
std::optional<ScramCredential> DeriveScram(Hash hash, std::string_view password,
                                           std::string_view salt, uint32_t iterations);
// RFC 5802 §3 SaltedPassword := Hi(Normalize(password), salt, i), i.e. PBKDF2-HMAC. Heavy.
// Exposed for clients and tests; nullopt under the same conditions as DeriveScram.
std::optional<std::string> SaltedPassword(Hash hash, std::string_view password,
                                          std::string_view salt, uint32_t iterations);
// For PLAIN: derive with the credential's salt and iterations, compare in constant time. Heavy.
bool VerifyPassword(const ScramCredential& cred, std::string_view password);

// RFC 4648 §4 base64 with padding, no line breaks.
std::string Base64Encode(std::string_view raw);
// Strict: only the RFC 4648 §4 alphabet, length a multiple of 4, padding only at the end, and the
// unused bits of the last group zero (§3.5), so each byte string has exactly one accepted text.
std::optional<std::string> Base64Decode(std::string_view text);

// Storage text form: "iterations$base64(salt)$base64(stored_key)$base64(server_key)".
std::string EncodeCredential(const ScramCredential& c);
// nullopt unless the text is in that form with key lengths matching `hash`.
std::optional<ScramCredential> DecodeCredential(Hash hash, std::string_view text);

}  // namespace parley::sasl
