#pragma once
// PLAIN (RFC 4616), server side, checked against the stored SCRAM credential (PBKDF2, so
// ProvideCredentials is heavy and runs on the blocking pool). Offered only inside TLS. One object
// per exchange, owned by the stream; it wipes the password once used.

#include <string>
#include <string_view>

#include "sasl/mechanism.hpp"

namespace parley::sasl {

inline constexpr std::string_view kPlain = "PLAIN";

class PlainMechanism final : public ServerMechanism {
 public:
  explicit PlainMechanism(MechanismContext ctx);
  ~PlainMechanism() override;
  PlainMechanism(const PlainMechanism&) = delete;
  PlainMechanism& operator=(const PlainMechanism&) = delete;

  std::string_view Name() const override { return kPlain; }
  Step Start(std::string_view initial_response) override;
  Step ProvideCredentials(const StoredCredentials* creds) override;
  Step Respond(std::string_view response) override;

 private:
  enum class State { kStart, kWaitResponse, kWaitCredentials, kDone };

  Step OnMessage(std::string_view msg);
  Step Fail(Failure failure, std::string text);
  void WipePassword();

  const MechanismContext ctx_;
  State state_ = State::kStart;
  std::string username_;
  std::string authzid_;
  std::string password_;
};

}  // namespace parley::sasl
