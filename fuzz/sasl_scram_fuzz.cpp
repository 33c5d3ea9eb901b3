// libFuzzer target for the server side of SASL: SCRAM-SHA-1/256 (with and without -PLUS) and PLAIN,
// as created by sasl::MakeServerMechanism. One account exists ("user", password "pencil", SCRAM
// credentials derived once with 4096 iterations); any other name is an unknown account.
//
// Input: byte 0 selects the mechanism, the context and the mode; the rest is the PLAIN message,
// or "client-first NUL client-final" for SCRAM. Modes:
//   PLAIN         the rest is the message; success needs the right user and password.
//   SCRAM raw     client-first and client-final come from the input verbatim.
//   SCRAM proof   client-final is built here as a client would (right c= and r=, the input's
//                 extensions), with the correct proof or that proof with one bit flipped.
// Must never crash, never succeed for a user other than "user", never succeed with a proof other
// than the correct one, and always send the right server signature when it succeeds. Exchanges
// that follow the rules with the right proof must succeed.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "jid/stringprep.hpp"
#include "sasl/credentials.hpp"
#include "sasl/crypto.hpp"
#include "sasl/mechanism.hpp"
#include "sasl/scram_message.hpp"

namespace {

namespace sasl = parley::sasl;
using sasl::Hash;
using sasl::Step;

constexpr std::string_view kUser = "user";
constexpr std::string_view kPassword = "pencil";
constexpr std::string_view kSalt = "fuzz-fixed-salt!";
constexpr std::uint32_t kIterations = 4096;
constexpr std::string_view kServerNonce = "3rfcNHYJY1ZVvWVs7j";
constexpr std::string_view kCbData = "\x01\x02 channel binding data \xff";

void Require(bool ok) {
  if (!ok) __builtin_trap();
}

struct Account {
  sasl::StoredCredentials creds;
  std::string salted_sha1;
  std::string salted_sha256;
};

const Account& TheAccount() {
  static const Account account = [] {
    spdlog::set_level(spdlog::level::off);  // -PLUS downgrade notes would flood the output.
    Account a;
    auto sha1 = sasl::DeriveScram(Hash::kSha1, kPassword, kSalt, kIterations);
    auto sha256 = sasl::DeriveScram(Hash::kSha256, kPassword, kSalt, kIterations);
    auto salted1 = sasl::SaltedPassword(Hash::kSha1, kPassword, kSalt, kIterations);
    auto salted256 = sasl::SaltedPassword(Hash::kSha256, kPassword, kSalt, kIterations);
    Require(sha1 && sha256 && salted1 && salted256);
    a.creds = {*sha1, *sha256};
    a.salted_sha1 = *salted1;
    a.salted_sha256 = *salted256;
    return a;
  }();
  return account;
}

std::string Xor(std::string_view a, std::string_view b) {
  std::string out(a);
  for (std::size_t i = 0; i < out.size() && i < b.size(); ++i)
    out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}

// RFC 5802 §3, client side.
std::string ClientProof(Hash hash, std::string_view auth_message) {
  const Account& a = TheAccount();
  const std::string& salted = hash == Hash::kSha1 ? a.salted_sha1 : a.salted_sha256;
  const std::string client_key = sasl::Hmac(hash, salted, "Client Key");
  const std::string stored_key = sasl::Digest(hash, client_key);
  return Xor(client_key, sasl::Hmac(hash, stored_key, auth_message));
}

std::string ServerFinal(Hash hash, std::string_view auth_message) {
  const Account& a = TheAccount();
  const std::string& salted = hash == Hash::kSha1 ? a.salted_sha1 : a.salted_sha256;
  const std::string server_key = sasl::Hmac(hash, salted, "Server Key");
  return "v=" + sasl::Base64Encode(sasl::Hmac(hash, server_key, auth_message));
}

// Once an exchange has ended, every further call fails.
void RequireFinished(sasl::ServerMechanism& mech) {
  Require(mech.Respond("n,,n=user,r=x").kind == Step::Kind::kFailure);
  Require(mech.ProvideCredentials(&TheAccount().creds).kind == Step::Kind::kFailure);
}

// Start with the message as initial response, or with none and the message as the response.
Step Begin(sasl::ServerMechanism& mech, std::string_view msg, bool initial_response) {
  if (initial_response && !msg.empty()) return mech.Start(msg);
  Step step = mech.Start("");
  if (step.kind != Step::Kind::kChallenge) return step;
  Require(step.data.empty());
  return mech.Respond(msg);
}

Step Lookup(sasl::ServerMechanism& mech, const Step& need) {
  Require(!need.username.empty());
  return mech.ProvideCredentials(need.username == kUser ? &TheAccount().creds : nullptr);
}

void FuzzPlain(sasl::MechanismContext ctx, std::string_view msg, bool initial_response) {
  auto mech = sasl::MakeServerMechanism("PLAIN", std::move(ctx));
  Step step = Begin(*mech, msg, initial_response);
  if (step.kind == Step::Kind::kNeedCredentials) step = Lookup(*mech, step);
  Require(step.kind == Step::Kind::kSuccess || step.kind == Step::Kind::kFailure);
  if (step.kind == Step::Kind::kSuccess) {
    Require(step.username == kUser);
    const std::size_t nul = msg.find('\0', msg.find('\0') + 1);
    Require(nul != std::string_view::npos);
    Require(parley::jid::SaslPrep(msg.substr(nul + 1)) == parley::jid::SaslPrep(kPassword));
  }
  RequireFinished(*mech);
}

struct ScramCase {
  Hash hash = Hash::kSha1;
  bool plus = false;
  enum class Mode { kRaw, kRightProof, kWrongProof } mode = Mode::kRaw;
};

void FuzzScram(const ScramCase& c, sasl::MechanismContext ctx, std::string_view first,
               std::string_view final_or_extensions, bool initial_response, std::size_t flip) {
  std::string name = c.hash == Hash::kSha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
  if (c.plus) name += "-PLUS";
  const bool have_cb = static_cast<bool>(ctx.channel_binding);
  auto mech = sasl::MakeServerMechanism(name, std::move(ctx));
  Require(mech != nullptr);

  Step step = Begin(*mech, first, initial_response);
  if (step.kind != Step::Kind::kNeedCredentials) {
    Require(step.kind == Step::Kind::kFailure);
    RequireFinished(*mech);
    return;
  }
  std::string error;
  const auto parsed_first = sasl::ParseClientFirst(first, &error);
  Require(parsed_first.has_value());
  const bool known = step.username == kUser;
  step = Lookup(*mech, step);
  Require(step.kind == Step::Kind::kChallenge);
  const std::string server_first = step.data;
  const std::string nonce = parsed_first->nonce + std::string(kServerNonce);
  Require(server_first.starts_with("r=" + nonce + ",s="));

  std::string final_msg;
  std::string right_proof;
  if (c.mode == ScramCase::Mode::kRaw) {
    final_msg = std::string(final_or_extensions);
  } else {
    std::string cbind = parsed_first->gs2_header;
    if (parsed_first->flag == sasl::CbindFlag::kRequired && have_cb) cbind += kCbData;
    std::string without_proof = "c=" + sasl::Base64Encode(cbind) + ",r=" + nonce;
    without_proof += final_or_extensions;
    const std::string auth_message = parsed_first->bare + "," + server_first + "," + without_proof;
    right_proof = ClientProof(c.hash, auth_message);
    std::string proof = right_proof;
    if (c.mode == ScramCase::Mode::kWrongProof) {
      proof[flip % proof.size()] =
          static_cast<char>(proof[flip % proof.size()] ^ (1 << (flip % 8)));
    }
    final_msg = without_proof + ",p=" + sasl::Base64Encode(proof);
  }

  step = mech->Respond(final_msg);
  Require(step.kind == Step::Kind::kSuccess || step.kind == Step::Kind::kFailure);
  if (step.kind == Step::Kind::kSuccess) {
    Require(known && step.username == kUser);
    const auto parsed_final = sasl::ParseClientFinal(final_msg, &error);
    Require(parsed_final.has_value());
    const std::string auth_message =
        parsed_first->bare + "," + server_first + "," + parsed_final->without_proof;
    Require(parsed_final->proof == ClientProof(c.hash, auth_message));
    Require(step.data == ServerFinal(c.hash, auth_message));
  } else if (c.mode == ScramCase::Mode::kRightProof && known && final_or_extensions.empty()) {
    // A well-formed exchange with the right proof must succeed, unless channel binding itself
    // was refused (handled at client-first) — which it was not, since we got this far.
    Require(false);
  }
  RequireFinished(*mech);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

  sasl::MechanismContext ctx;
  ctx.plus_offered = (control & 0x10) != 0;
  ctx.strict_downgrade_check = (control & 0x20) != 0;
  if ((control & 0x40) != 0) {
    ctx.channel_binding = [](std::string_view type) -> std::optional<std::string> {
      if (type == "tls-exporter" || type == "tls-server-end-point") return std::string(kCbData);
      return std::nullopt;
    };
  }
  ctx.make_nonce = [] { return std::string(kServerNonce); };
  ctx.fake_iterations = 16;  // Unknown users: keep the dummy PBKDF2 cheap.
  const bool initial_response = (control & 0x80) != 0;

  if ((control & 0x03) == 0) {
    FuzzPlain(std::move(ctx), rest, initial_response);
    return 0;
  }
  ScramCase c;
  c.hash = (control & 0x04) != 0 ? Hash::kSha256 : Hash::kSha1;
  c.plus = (control & 0x08) != 0;
  c.mode = (control & 0x03) == 1   ? ScramCase::Mode::kRaw
           : (control & 0x03) == 2 ? ScramCase::Mode::kRightProof
                                   : ScramCase::Mode::kWrongProof;
  const std::size_t nul = rest.find('\0');
  const std::string_view first = rest.substr(0, nul);
  const std::string_view second = nul == std::string_view::npos ? "" : rest.substr(nul + 1);
  FuzzScram(c, std::move(ctx), first, second, initial_response, size);
  return 0;
}
