#pragma once
// Server side of SASL (RFC 4422 as profiled by RFC 6120 §6): the mechanism interface, its inputs
// and outputs, and which mechanisms a stream offers. No I/O and no storage: the stream owns one
// ServerMechanism per <auth/> exchange, asks storage for credentials when told to, and throws the
// mechanism away when the exchange ends.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sasl/credentials.hpp"

namespace parley::sasl {

// RFC 6120 §6.5 SASL error conditions.
enum class Failure {
  kAborted,
  kAccountDisabled,
  kCredentialsExpired,
  kEncryptionRequired,
  kIncorrectEncoding,
  kInvalidAuthzid,
  kInvalidMechanism,
  kMalformedRequest,
  kMechanismTooWeak,
  kNotAuthorized,
  kTemporaryAuthFailure,
};

// The element name of RFC 6120 §6.5, e.g. "not-authorized".
std::string_view ToString(Failure f);

// What a mechanism may know about the connection it runs on. Plain values and callbacks, filled
// in by the stream (or by hand in tests).
struct MechanismContext {
  // Channel-binding data of this TLS connection for a type ("tls-unique", "tls-exporter",
  // "tls-server-end-point"), or nullopt when this connection has none of that type.
  // Empty function = no TLS. See tls_channel_binding.hpp: ChannelBindingProvider().
  std::function<std::optional<std::string>(std::string_view type)> channel_binding;
  bool plus_offered = false;  // -PLUS mechanisms were offered on this stream
  // RFC 5802 §6 says a server that offered -PLUS MUST fail a client sending the 'y' flag. Off by
  // default (config sasl.strict_downgrade_check); see docs/sasl-channel-binding.md.
  bool strict_downgrade_check = false;
  // Server nonce suffix. Tests inject; empty function = 24 random bytes, base64.
  std::function<std::string()> make_nonce;
  // Iteration count shown to unknown users (and used for PLAIN's dummy derivation) so that their
  // challenge looks like a real one: set it to what new accounts get.
  uint32_t fake_iterations = 4096;
};

// One step of an exchange, as the mechanism answers it.
struct Step {
  enum class Kind { kChallenge, kNeedCredentials, kSuccess, kFailure };
  Kind kind = Kind::kFailure;
  std::string data{};  // challenge, or additional data with success; raw bytes (caller base64s)
  Failure failure = Failure::kNotAuthorized;
  std::string text{};      // for logs and <text/>; never contains a secret
  std::string username{};  // kNeedCredentials and kSuccess: authentication identity (SASLprep'd)
  std::string authzid{};   // kSuccess: requested authorization identity, "" if none

  static Step Challenge(std::string data);
  static Step NeedCredentials(std::string username);
  static Step Success(std::string data, std::string username, std::string authzid);
  static Step Fail(Failure failure, std::string text);
};

// Largest message a mechanism accepts (RFC 6120 §6.4.2 leaves the limit to the server).
inline constexpr std::size_t kMaxSaslMessageBytes = 8 * 1024;

// Server side of one SASL exchange; no I/O. Start/Respond are cheap (run on the shard).
// ProvideCredentials may be heavy (PLAIN runs PBKDF2) and is called on a worker thread; only one
// thread at a time touches a mechanism. Any call out of order yields kFailure.
class ServerMechanism {
 public:
  virtual ~ServerMechanism() = default;
  virtual std::string_view Name() const = 0;
  // `initial_response` empty = none was sent: the mechanism answers an empty challenge.
  virtual Step Start(std::string_view initial_response) = 0;
  // After kNeedCredentials: the account's credentials, or nullptr when there is no such account.
  // SCRAM then answers a fake challenge (deterministic fake salt derived from the username and a
  // per-process secret) and fails at the end, so accounts cannot be enumerated.
  virtual Step ProvideCredentials(const StoredCredentials* creds) = 0;
  virtual Step Respond(std::string_view response) = 0;
};

// Mechanisms offered, in preference order: SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS (when channel
// binding is available), SCRAM-SHA-256, SCRAM-SHA-1, PLAIN (only when tls is true).
std::vector<std::string> OfferedMechanisms(bool tls, bool channel_binding_available);
// nullptr if the name is unknown. Names are case-sensitive (RFC 4422 §3.1: upper case).
std::unique_ptr<ServerMechanism> MakeServerMechanism(std::string_view name, MechanismContext ctx);

}  // namespace parley::sasl
