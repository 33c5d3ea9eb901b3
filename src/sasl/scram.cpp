#include "sasl/scram.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "core/check.hpp"
#include "jid/stringprep.hpp"
#include "sasl/crypto.hpp"

namespace parley::sasl {
namespace {

constexpr std::size_t kNonceBytes = 24;

bool IsUsable(const ScramCredential& c, Hash hash) {
  return c.hash == hash && c.iterations > 0 && !c.salt.empty() &&
         c.stored_key.size() == DigestSize(hash) && c.server_key.size() == DigestSize(hash);
}

std::string Xor(std::string_view a, std::string_view b) {
  PARLEY_DCHECK(a.size() == b.size());
  std::string out(a);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(out[i] ^ b[i]);
  return out;
}

}  // namespace

std::string FakeSalt(Hash hash, std::string_view username) {
  static const std::string secret = RandomBytes(32);
  std::string input(HashName(hash));
  input.push_back('\0');
  input.append(username);
  return Hmac(Hash::kSha256, secret, input).substr(0, kSaltBytes);
}

ScramMechanism::ScramMechanism(Hash hash, bool plus, MechanismContext ctx)
    : hash_(hash), plus_(plus), ctx_(std::move(ctx)) {}

std::string_view ScramMechanism::Name() const {
  if (hash_ == Hash::kSha1) return plus_ ? kScramSha1Plus : kScramSha1;
  return plus_ ? kScramSha256Plus : kScramSha256;
}

Step ScramMechanism::Fail(Failure failure, std::string text) {
  state_ = State::kDone;
  return Step::Fail(failure, std::move(text));
}

std::string ScramMechanism::MakeNonce() const {
  std::string suffix = ctx_.make_nonce ? ctx_.make_nonce() : Base64Encode(RandomBytes(kNonceBytes));
  PARLEY_CHECK(!suffix.empty() && suffix.find(',') == std::string::npos);
  return suffix;
}

Step ScramMechanism::Start(std::string_view initial_response) {
  if (state_ != State::kStart) return Fail(Failure::kMalformedRequest, "other-error: out of order");
  if (initial_response.empty()) {
    // RFC 6120 §6.4.2: no initial response, so an empty challenge asks for client-first.
    state_ = State::kWaitClientFirst;
    return Step::Challenge("");
  }
  return OnClientFirst(initial_response);
}

Step ScramMechanism::Respond(std::string_view response) {
  switch (state_) {
    case State::kWaitClientFirst:
      return OnClientFirst(response);
    case State::kWaitClientFinal:
      return OnClientFinal(response);
    default:
      return Fail(Failure::kMalformedRequest, "other-error: out of order");
  }
}

std::optional<Step> ScramMechanism::CheckChannelBinding(const ClientFirst& first) {
  switch (first.flag) {
    case CbindFlag::kRequired: {
      // RFC 5802 §6: "p" is only meaningful with the -PLUS mechanism.
      if (!plus_) return Fail(Failure::kMalformedRequest, "channel binding without -PLUS");
      // RFC 5802 §6: if the server does not support the requested type it MUST fail
      // (server-error-value "unsupported-channel-binding-type"). RFC 6120 §6.5 has no closer
      // condition than malformed-request; the RFC 5802 value goes in <text/>.
      auto data = ctx_.channel_binding ? ctx_.channel_binding(first.cb_name) : std::nullopt;
      if (!data) {
        return Fail(Failure::kMalformedRequest,
                    "unsupported-channel-binding-type: " + first.cb_name.substr(0, 64));
      }
      cb_data_ = std::move(*data);
      return std::nullopt;
    }
    case CbindFlag::kNotUsed:
      if (plus_) return Fail(Failure::kMalformedRequest, "-PLUS mechanism without channel binding");
      if (ctx_.plus_offered) {
        // RFC 5802 §6: a "y" after we offered -PLUS means the client did not see our -PLUS
        // mechanisms: a possible downgrade, and the server MUST fail. COMPAT: slixmpp sends "y"
        // whenever it has TLS even when told to use a non-PLUS mechanism, so by default we accept
        // (the client chose not to bind; failing only locks it out). See
        // docs/sasl-channel-binding.md.
        if (ctx_.strict_downgrade_check) {
          return Fail(Failure::kNotAuthorized, "server-does-support-channel-binding");
        }
        spdlog::info(
            "sasl {}: '{}' claims the server lacks channel binding (gs2 flag 'y') although -PLUS "
            "was offered; accepted (sasl.strict_downgrade_check is off)",
            Name(), username_);
      }
      return std::nullopt;
    case CbindFlag::kNone:
      // RFC 5802 §6: with -PLUS the client MUST bind.
      if (plus_) return Fail(Failure::kMalformedRequest, "-PLUS mechanism without channel binding");
      return std::nullopt;
  }
  return Fail(Failure::kMalformedRequest, "other-error");
}

Step ScramMechanism::OnClientFirst(std::string_view msg) {
  std::string error;
  auto first = ParseClientFirst(msg, &error);
  if (!first) return Fail(Failure::kMalformedRequest, std::move(error));
  // RFC 5802 §5.1: the username is prepared with SASLprep; if that fails or leaves nothing, the
  // server SHOULD abort the exchange.
  auto username = jid::SaslPrep(first->username);
  if (!username || username->empty()) {
    return Fail(Failure::kMalformedRequest, "invalid-username-encoding");
  }
  username_ = std::move(*username);
  if (auto failed = CheckChannelBinding(*first)) return std::move(*failed);
  authzid_ = std::move(first->authzid);
  gs2_header_ = std::move(first->gs2_header);
  client_nonce_ = std::move(first->nonce);
  client_first_bare_ = std::move(first->bare);
  state_ = State::kWaitCredentials;
  return Step::NeedCredentials(username_);
}

Step ScramMechanism::ProvideCredentials(const StoredCredentials* creds) {
  if (state_ != State::kWaitCredentials) {
    return Fail(Failure::kMalformedRequest, "other-error: out of order");
  }
  const ScramCredential* cred = nullptr;
  if (creds != nullptr) cred = hash_ == Hash::kSha1 ? &creds->sha1 : &creds->sha256;
  if (cred != nullptr && IsUsable(*cred, hash_)) {
    cred_ = *cred;
  } else {
    // No account (or none usable with this hash): answer like a real account and fail at the
    // end, so that the exchange does not reveal which accounts exist.
    unknown_user_ = true;
    cred_ = ScramCredential{hash_, FakeSalt(hash_, username_), ctx_.fake_iterations, {}, {}};
  }
  nonce_ = client_nonce_ + MakeNonce();
  // RFC 5802 §7: server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count
  server_first_ =
      "r=" + nonce_ + ",s=" + Base64Encode(cred_.salt) + ",i=" + std::to_string(cred_.iterations);
  state_ = State::kWaitClientFinal;
  return Step::Challenge(server_first_);
}

Step ScramMechanism::OnClientFinal(std::string_view msg) {
  std::string error;
  auto final_msg = ParseClientFinal(msg, &error);
  if (!final_msg) return Fail(Failure::kMalformedRequest, std::move(error));
  // RFC 5802 §7: c= is base64(gs2-header [cbind-data]); cbind-data only with "p". A mismatch may
  // be a man in the middle, so it is an authentication failure, not a syntax error.
  if (!ConstantTimeEqual(final_msg->channel_binding, gs2_header_ + cb_data_)) {
    return Fail(Failure::kNotAuthorized, "channel-bindings-dont-match");
  }
  // RFC 5802 §5.1: the nonce MUST be the one the server sent.
  if (final_msg->nonce != nonce_) return Fail(Failure::kMalformedRequest, "other-error: nonce");
  if (final_msg->proof.size() != DigestSize(hash_)) {
    return Fail(Failure::kMalformedRequest, "invalid-encoding: proof length");
  }
  if (unknown_user_) return Fail(Failure::kNotAuthorized, "invalid-proof");

  // RFC 5802 §3: AuthMessage, ClientSignature, ClientKey = ClientProof XOR ClientSignature,
  // and the check H(ClientKey) == StoredKey; then ServerSignature for the server-final message.
  const std::string auth_message =
      client_first_bare_ + "," + server_first_ + "," + final_msg->without_proof;
  const std::string client_key = Xor(final_msg->proof, Hmac(hash_, cred_.stored_key, auth_message));
  if (!ConstantTimeEqual(Digest(hash_, client_key), cred_.stored_key)) {
    return Fail(Failure::kNotAuthorized, "invalid-proof");
  }
  state_ = State::kDone;
  return Step::Success("v=" + Base64Encode(Hmac(hash_, cred_.server_key, auth_message)), username_,
                       authzid_);
}

}  // namespace parley::sasl
