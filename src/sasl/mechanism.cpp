#include "sasl/mechanism.hpp"

#include <utility>

#include "sasl/plain.hpp"
#include "sasl/scram.hpp"

namespace parley::sasl {

std::string_view ToString(Failure f) {
  switch (f) {
    case Failure::kAborted:
      return "aborted";
    case Failure::kAccountDisabled:
      return "account-disabled";
    case Failure::kCredentialsExpired:
      return "credentials-expired";
    case Failure::kEncryptionRequired:
      return "encryption-required";
    case Failure::kIncorrectEncoding:
      return "incorrect-encoding";
    case Failure::kInvalidAuthzid:
      return "invalid-authzid";
    case Failure::kInvalidMechanism:
      return "invalid-mechanism";
    case Failure::kMalformedRequest:
      return "malformed-request";
    case Failure::kMechanismTooWeak:
      return "mechanism-too-weak";
    case Failure::kNotAuthorized:
      return "not-authorized";
    case Failure::kTemporaryAuthFailure:
      return "temporary-auth-failure";
  }
  return "not-authorized";
}

Step Step::Challenge(std::string data) {
  Step s;
  s.kind = Kind::kChallenge;
  s.data = std::move(data);
  return s;
}

Step Step::NeedCredentials(std::string username) {
  Step s;
  s.kind = Kind::kNeedCredentials;
  s.username = std::move(username);
  return s;
}

Step Step::Success(std::string data, std::string username, std::string authzid) {
  Step s;
  s.kind = Kind::kSuccess;
  s.data = std::move(data);
  s.username = std::move(username);
  s.authzid = std::move(authzid);
  return s;
}

Step Step::Fail(Failure failure, std::string text) {
  Step s;
  s.kind = Kind::kFailure;
  s.failure = failure;
  s.text = std::move(text);
  return s;
}

std::vector<std::string> OfferedMechanisms(bool tls, bool channel_binding_available) {
  std::vector<std::string> out;
  if (tls && channel_binding_available) {
    out.emplace_back(kScramSha256Plus);
    out.emplace_back(kScramSha1Plus);
  }
  out.emplace_back(kScramSha256);
  out.emplace_back(kScramSha1);
  // RFC 6120 §6.3.3 / RFC 4616 §6: PLAIN sends the password itself, so only inside TLS.
  if (tls) out.emplace_back(kPlain);
  return out;
}

std::unique_ptr<ServerMechanism> MakeServerMechanism(std::string_view name, MechanismContext ctx) {
  if (name == kPlain) return std::make_unique<PlainMechanism>(std::move(ctx));
  if (name == kScramSha1)
    return std::make_unique<ScramMechanism>(Hash::kSha1, false, std::move(ctx));
  if (name == kScramSha1Plus) {
    return std::make_unique<ScramMechanism>(Hash::kSha1, true, std::move(ctx));
  }
  if (name == kScramSha256) {
    return std::make_unique<ScramMechanism>(Hash::kSha256, false, std::move(ctx));
  }
  if (name == kScramSha256Plus) {
    return std::make_unique<ScramMechanism>(Hash::kSha256, true, std::move(ctx));
  }
  return nullptr;
}

}  // namespace parley::sasl
