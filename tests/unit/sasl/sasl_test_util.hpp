#pragma once
// Test helpers: a minimal SCRAM client (RFC 5802 §3, client side) and matchers for Step.

#include <gmock/gmock.h>

#include <string>
#include <string_view>

#include "sasl/credentials.hpp"
#include "sasl/crypto.hpp"
#include "sasl/mechanism.hpp"
#include "sasl/scram_message.hpp"

namespace parley::sasl::testing {

// Plays the client side of one SCRAM exchange so tests can vary what a real client would send.
struct ScramClient {
  Hash hash = Hash::kSha256;
  std::string username = "user";
  std::string password = "pencil";
  std::string gs2_header = "n,,";
  std::string cb_data;  // appended to gs2_header in c=
  std::string client_nonce = "cLiEnTnOnCe";
  std::string client_first_bare;
  std::string expected_server_final;

  std::string ClientFirst() {
    client_first_bare = "n=" + EscapeSaslName(username) + ",r=" + client_nonce;
    return gs2_header + client_first_bare;
  }

  // Client-final for this server-first; remembers the server-final a genuine server must send.
  std::string ClientFinal(std::string_view server_first) {
    std::string nonce, salt;
    uint32_t iterations = 0;
    for (std::string_view rest = server_first; !rest.empty();) {
      const std::size_t comma = rest.find(',');
      const std::string_view field = rest.substr(0, comma);
      if (field.starts_with("r=")) nonce = std::string(field.substr(2));
      if (field.starts_with("s=")) salt = Base64Decode(field.substr(2)).value_or("");
      if (field.starts_with("i=")) iterations = std::stoul(std::string(field.substr(2)));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    const std::string salted = SaltedPassword(hash, password, salt, iterations).value_or("");
    const std::string client_key = Hmac(hash, salted, "Client Key");
    const std::string stored_key = Digest(hash, client_key);
    const std::string without_proof = "c=" + Base64Encode(gs2_header + cb_data) + ",r=" + nonce;
    const std::string auth_message =
        client_first_bare + "," + std::string(server_first) + "," + without_proof;
    std::string proof = Hmac(hash, stored_key, auth_message);
    for (std::size_t i = 0; i < proof.size(); ++i) proof[i] ^= client_key[i];
    expected_server_final =
        "v=" + Base64Encode(Hmac(hash, Hmac(hash, salted, "Server Key"), auth_message));
    return without_proof + ",p=" + Base64Encode(proof);
  }
};

MATCHER_P(IsChallenge, data, "is a challenge with data " + ::testing::PrintToString(data)) {
  return arg.kind == Step::Kind::kChallenge && arg.data == data;
}
MATCHER_P(NeedsCredentialsFor, username, "asks for the credentials of " + std::string(username)) {
  return arg.kind == Step::Kind::kNeedCredentials && arg.username == username;
}
MATCHER_P(IsSuccessWith, data, "is success with data " + ::testing::PrintToString(data)) {
  return arg.kind == Step::Kind::kSuccess && arg.data == data;
}
MATCHER_P(IsFailure, failure, "is failure " + std::string(ToString(failure))) {
  if (arg.kind != Step::Kind::kFailure) {
    *result_listener << "kind " << static_cast<int>(arg.kind) << " data '" << arg.data << "'";
    return false;
  }
  *result_listener << "failure " << ToString(arg.failure) << " text '" << arg.text << "'";
  return arg.failure == failure;
}

}  // namespace parley::sasl::testing

namespace parley::sasl {
// Readable Step in GoogleTest messages.
inline void PrintTo(const Step& step, std::ostream* os) {
  static constexpr const char* kKinds[] = {"challenge", "need-credentials", "success", "failure"};
  *os << kKinds[static_cast<int>(step.kind)] << " data=" << ::testing::PrintToString(step.data);
  if (step.kind == Step::Kind::kFailure)
    *os << " " << ToString(step.failure) << " '" << step.text << "'";
}
}  // namespace parley::sasl
