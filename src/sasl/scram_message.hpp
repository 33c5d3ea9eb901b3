#pragma once
// The client messages of SCRAM (RFC 5802 §7), parsed into fields. Syntax only: what the fields
// mean for channel binding and authentication is ScramMechanism's business. Pure functions.

#include <optional>
#include <string>
#include <string_view>

namespace parley::sasl {

// RFC 5802 §7 gs2-cbind-flag.
enum class CbindFlag {
  kNone,      // "n": the client does not support channel binding
  kNotUsed,   // "y": the client supports it but thinks the server does not
  kRequired,  // "p=<cb-name>": the client binds to that channel-binding type
};

struct ClientFirst {
  CbindFlag flag = CbindFlag::kNone;
  std::string cb_name;     // with kRequired
  std::string authzid;     // unescaped; "" when absent
  std::string username;    // unescaped, not yet SASLprep'd
  std::string nonce;       // c-nonce
  std::string gs2_header;  // verbatim, e.g. "n,,"; the client echoes it in c=
  std::string bare;        // client-first-message-bare, verbatim (part of AuthMessage)
};

struct ClientFinal {
  std::string channel_binding;  // c=, decoded
  std::string nonce;            // r=
  std::string proof;            // p=, decoded
  std::string without_proof;    // client-final-message-without-proof, verbatim
};

// nullopt with *error set (an RFC 5802 §7 server-error-value, then detail) when `msg` is not a
// valid client-first-message: bad syntax, not UTF-8, a NUL, an "m=" extension (§5.1), or longer
// than kMaxSaslMessageBytes.
std::optional<ClientFirst> ParseClientFirst(std::string_view msg, std::string* error);
std::optional<ClientFinal> ParseClientFinal(std::string_view msg, std::string* error);

// RFC 5802 §5.1 saslname: "=2C" -> ',' and "=3D" -> '='; any other '=' is an error.
std::optional<std::string> UnescapeSaslName(std::string_view name);
std::string EscapeSaslName(std::string_view name);

}  // namespace parley::sasl
