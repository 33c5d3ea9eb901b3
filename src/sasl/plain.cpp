#include "sasl/plain.hpp"

#include <openssl/crypto.h>

#include <utility>

#include "jid/stringprep.hpp"
#include "sasl/credentials.hpp"
#include "sasl/scram.hpp"

namespace parley::sasl {

PlainMechanism::PlainMechanism(MechanismContext ctx) : ctx_(std::move(ctx)) {}

PlainMechanism::~PlainMechanism() { WipePassword(); }

void PlainMechanism::WipePassword() {
  OPENSSL_cleanse(password_.data(), password_.size());
  password_.clear();
}

Step PlainMechanism::Fail(Failure failure, std::string text) {
  state_ = State::kDone;
  WipePassword();
  return Step::Fail(failure, std::move(text));
}

Step PlainMechanism::Start(std::string_view initial_response) {
  if (state_ != State::kStart) return Fail(Failure::kMalformedRequest, "out of order");
  if (initial_response.empty()) {
    state_ = State::kWaitResponse;  // RFC 6120 §6.4.2: empty challenge, the client answers.
    return Step::Challenge("");
  }
  return OnMessage(initial_response);
}

Step PlainMechanism::Respond(std::string_view response) {
  if (state_ != State::kWaitResponse) return Fail(Failure::kMalformedRequest, "out of order");
  return OnMessage(response);
}

// RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd
Step PlainMechanism::OnMessage(std::string_view msg) {
  if (msg.size() > kMaxSaslMessageBytes) return Fail(Failure::kMalformedRequest, "too long");
  const std::size_t nul1 = msg.find('\0');
  const std::size_t nul2 = nul1 == std::string_view::npos ? nul1 : msg.find('\0', nul1 + 1);
  if (nul2 == std::string_view::npos || msg.find('\0', nul2 + 1) != std::string_view::npos) {
    return Fail(Failure::kMalformedRequest, "expected authzid NUL authcid NUL passwd");
  }
  const std::string_view authzid = msg.substr(0, nul1);
  const std::string_view authcid = msg.substr(nul1 + 1, nul2 - nul1 - 1);
  const std::string_view passwd = msg.substr(nul2 + 1);
  if (authcid.empty() || passwd.empty() || !jid::IsValidUtf8(msg)) {
    return Fail(Failure::kMalformedRequest, "empty or non-UTF-8 field");
  }
  // RFC 4616 §2 (and RFC 4013): the server prepares authcid and passwd with SASLprep.
  auto username = jid::SaslPrep(authcid);
  if (!username || username->empty()) {
    return Fail(Failure::kMalformedRequest, "authentication identity rejected by SASLprep");
  }
  auto password = jid::SaslPrep(passwd);
  if (!password || password->empty()) {
    return Fail(Failure::kNotAuthorized, "password rejected by SASLprep");
  }
  OPENSSL_cleanse(password->data(), password->size());
  username_ = std::move(*username);
  authzid_ = std::string(authzid);
  password_ = std::string(passwd);  // VerifyPassword applies SASLprep itself.
  state_ = State::kWaitCredentials;
  return Step::NeedCredentials(username_);
}

Step PlainMechanism::ProvideCredentials(const StoredCredentials* creds) {
  if (state_ != State::kWaitCredentials) return Fail(Failure::kMalformedRequest, "out of order");
  const ScramCredential* cred = nullptr;
  if (creds != nullptr) {
    if (creds->sha256.iterations > 0) {
      cred = &creds->sha256;
    } else if (creds->sha1.iterations > 0) {
      cred = &creds->sha1;
    }
  }
  if (cred == nullptr) {
    // Spend the same PBKDF2 time as for a real account, so timing does not reveal which
    // accounts exist.
    (void)DeriveScram(Hash::kSha256, password_, FakeSalt(Hash::kSha256, username_),
                      ctx_.fake_iterations);
    return Fail(Failure::kNotAuthorized, "invalid credentials");
  }
  const bool ok = VerifyPassword(*cred, password_);
  WipePassword();
  if (!ok) return Fail(Failure::kNotAuthorized, "invalid credentials");
  state_ = State::kDone;
  return Step::Success("", username_, authzid_);
}

}  // namespace parley::sasl
