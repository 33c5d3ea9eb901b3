#pragma once
// SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS variants, server side (RFC 5802, RFC 7677), with
// channel binding (RFC 5929, RFC 9266). One object per exchange, owned by the stream; see
// ServerMechanism for the threading contract. Channel-binding policy: docs/sasl-channel-binding.md.

#include <string>
#include <string_view>

#include "sasl/credentials.hpp"
#include "sasl/mechanism.hpp"
#include "sasl/scram_message.hpp"

namespace parley::sasl {

inline constexpr std::string_view kScramSha1 = "SCRAM-SHA-1";
inline constexpr std::string_view kScramSha1Plus = "SCRAM-SHA-1-PLUS";
inline constexpr std::string_view kScramSha256 = "SCRAM-SHA-256";
inline constexpr std::string_view kScramSha256Plus = "SCRAM-SHA-256-PLUS";

// Salt shown to a username with no account: HMAC of the username under a per-process random
// secret, so the same unknown user sees the same salt on every attempt, like a real account.
std::string FakeSalt(Hash hash, std::string_view username);

class ScramMechanism final : public ServerMechanism {
 public:
  ScramMechanism(Hash hash, bool plus, MechanismContext ctx);

  std::string_view Name() const override;
  Step Start(std::string_view initial_response) override;
  Step ProvideCredentials(const StoredCredentials* creds) override;
  Step Respond(std::string_view response) override;

 private:
  enum class State { kStart, kWaitClientFirst, kWaitCredentials, kWaitClientFinal, kDone };

  Step OnClientFirst(std::string_view msg);
  Step OnClientFinal(std::string_view msg);
  // Applies the gs2-cbind-flag rules; fills cb_data_. A failure Step, or nullopt to go on.
  std::optional<Step> CheckChannelBinding(const ClientFirst& first);
  std::string MakeNonce() const;
  Step Fail(Failure failure, std::string text);

  const Hash hash_;
  const bool plus_;
  const MechanismContext ctx_;
  State state_ = State::kStart;
  bool unknown_user_ = false;
  std::string username_;
  std::string authzid_;
  std::string gs2_header_;
  std::string cb_data_;  // channel-binding data for p=; empty for n and y
  std::string client_nonce_;
  std::string nonce_;  // client nonce + server nonce
  std::string client_first_bare_;
  std::string server_first_;
  ScramCredential cred_;
};

}  // namespace parley::sasl
