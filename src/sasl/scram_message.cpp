#include "sasl/scram_message.hpp"

#include <vector>

#include "jid/stringprep.hpp"
#include "sasl/credentials.hpp"
#include "sasl/mechanism.hpp"

namespace parley::sasl {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// RFC 5802 §7: printable = %x21-2B / %x2D-7E (printable ASCII except ",").
bool IsPrintableNonce(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  }
  return true;
}

// RFC 5802 §7 / RFC 5056 §7: cb-name = 1*(ALPHA / DIGIT / "." / "-").
bool IsCbName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '.' && c != '-') return false;
  }
  return true;
}

std::vector<std::string_view> SplitFields(std::string_view msg) {
  std::vector<std::string_view> out;
  while (true) {
    const std::size_t comma = msg.find(',');
    out.push_back(msg.substr(0, comma));
    if (comma == std::string_view::npos) return out;
    msg.remove_prefix(comma + 1);
  }
}

// `field` is "<name>=<value>" with a non-empty value: the value; otherwise nullopt.
std::optional<std::string_view> Attribute(std::string_view field, char name) {
  if (field.size() < 3 || field[0] != name || field[1] != '=') return std::nullopt;
  return field.substr(2);
}

// RFC 5802 §7 extensions: attr-val = ALPHA "=" value. Unknown ones MUST be ignored, but "m" MUST
// fail authentication (§5.1), and a second proof would make the message ambiguous.
bool CheckExtension(std::string_view field, std::string* error) {
  if (field.size() < 3 || !IsAlpha(field[0]) || field[1] != '=') {
    *error = "invalid-encoding: malformed attribute";
    return false;
  }
  if (field[0] == 'm' || field[0] == 'p') {
    *error = "extensions-not-supported: unexpected '" + std::string(1, field[0]) + "' attribute";
    return false;
  }
  return true;
}

bool CheckEnvelope(std::string_view msg, std::string* error) {
  if (msg.size() > kMaxSaslMessageBytes) {
    *error = "other-error: message too long";
    return false;
  }
  if (msg.find('\0') != std::string_view::npos || !jid::IsValidUtf8(msg)) {
    *error = "invalid-encoding: not UTF-8 text";
    return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> UnescapeSaslName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == ',') return std::nullopt;
    if (name[i] != '=') {
      out.push_back(name[i]);
      continue;
    }
    const std::string_view escape = name.substr(i + 1, 2);
    if (escape == "2C") {
      out.push_back(',');
    } else if (escape == "3D") {
      out.push_back('=');
    } else {
      return std::nullopt;  // RFC 5802 §5.1: the server MUST fail.
    }
    i += 2;
  }
  return out;
}

std::string EscapeSaslName(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// client-first-message = gs2-header client-first-message-bare
// gs2-header = gs2-cbind-flag "," [ authzid ] ","
// client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
std::optional<ClientFirst> ParseClientFirst(std::string_view msg, std::string* error) {
  if (!CheckEnvelope(msg, error)) return std::nullopt;
  const std::vector<std::string_view> fields = SplitFields(msg);
  if (fields.size() < 4) {
    *error = "invalid-encoding: client-first-message too short";
    return std::nullopt;
  }
  ClientFirst first;
  if (fields[0] == "n") {
    first.flag = CbindFlag::kNone;
  } else if (fields[0] == "y") {
    first.flag = CbindFlag::kNotUsed;
  } else if (auto name = Attribute(fields[0], 'p'); name && IsCbName(*name)) {
    first.flag = CbindFlag::kRequired;
    first.cb_name = std::string(*name);
  } else {
    *error = "invalid-encoding: bad gs2-cbind-flag";
    return std::nullopt;
  }
  if (!fields[1].empty()) {
    auto authzid = Attribute(fields[1], 'a');
    auto unescaped = authzid ? UnescapeSaslName(*authzid) : std::nullopt;
    if (!unescaped) {
      *error = "invalid-encoding: bad authzid";
      return std::nullopt;
    }
    first.authzid = std::move(*unescaped);
  }
  const std::size_t header_len = fields[0].size() + fields[1].size() + 2;
  first.gs2_header = std::string(msg.substr(0, header_len));
  first.bare = std::string(msg.substr(header_len));

  if (fields[2].starts_with("m=")) {  // RFC 5802 §5.1 reserved-mext.
    *error = "extensions-not-supported: mandatory extension";
    return std::nullopt;
  }
  auto username = Attribute(fields[2], 'n');
  auto unescaped = username ? UnescapeSaslName(*username) : std::nullopt;
  if (!unescaped) {
    *error = "invalid-username-encoding";
    return std::nullopt;
  }
  first.username = std::move(*unescaped);
  auto nonce = Attribute(fields[3], 'r');
  if (!nonce || !IsPrintableNonce(*nonce)) {
    *error = "invalid-encoding: bad nonce";
    return std::nullopt;
  }
  first.nonce = std::string(*nonce);
  for (std::size_t i = 4; i < fields.size(); ++i) {
    if (!CheckExtension(fields[i], error)) return std::nullopt;
  }
  return first;
}

// client-final-message = client-final-message-without-proof "," proof
// client-final-message-without-proof = channel-binding "," nonce ["," extensions]
std::optional<ClientFinal> ParseClientFinal(std::string_view msg, std::string* error) {
  if (!CheckEnvelope(msg, error)) return std::nullopt;
  const std::vector<std::string_view> fields = SplitFields(msg);
  if (fields.size() < 3) {
    *error = "invalid-encoding: client-final-message too short";
    return std::nullopt;
  }
  ClientFinal final_msg;
  auto cbind = Attribute(fields[0], 'c');
  auto cbind_raw = cbind ? Base64Decode(*cbind) : std::nullopt;
  if (!cbind_raw) {
    *error = "invalid-encoding: bad channel-binding attribute";
    return std::nullopt;
  }
  final_msg.channel_binding = std::move(*cbind_raw);
  auto nonce = Attribute(fields[1], 'r');
  if (!nonce || !IsPrintableNonce(*nonce)) {
    *error = "invalid-encoding: bad nonce";
    return std::nullopt;
  }
  final_msg.nonce = std::string(*nonce);
  for (std::size_t i = 2; i + 1 < fields.size(); ++i) {
    if (!CheckExtension(fields[i], error)) return std::nullopt;
  }
  auto proof = Attribute(fields.back(), 'p');
  auto proof_raw = proof ? Base64Decode(*proof) : std::nullopt;
  if (!proof_raw) {
    *error = "invalid-encoding: bad proof attribute";
    return std::nullopt;
  }
  final_msg.proof = std::move(*proof_raw);
  final_msg.without_proof = std::string(msg.substr(0, msg.size() - fields.back().size() - 1));
  return final_msg;
}

}  // namespace parley::sasl
