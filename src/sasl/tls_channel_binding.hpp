#pragma once
// Channel-binding data (RFC 5056) of an established OpenSSL connection, and which types to
// advertise (XEP-0440). Functions of the SSL object only; call them on the thread that owns the
// connection, after the handshake. Server side; TlsUnique and TlsServerEndPoint also work on a
// client SSL (the tests use that to check both ends agree). Policy: docs/sasl-channel-binding.md.

#include <openssl/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::sasl {

inline constexpr std::string_view kTlsUnique = "tls-unique";
inline constexpr std::string_view kTlsExporter = "tls-exporter";
inline constexpr std::string_view kTlsServerEndPoint = "tls-server-end-point";

// RFC 5929 §3.1: the first Finished message of the most recent handshake (the client's on a full
// handshake, the server's on a resumed one). Computed the same way on TLS 1.3, where RFC 9266
// leaves it undefined, because some clients still bind to it: see ChannelBindingData.
std::optional<std::string> TlsUnique(SSL* ssl);
// RFC 9266 §2: 32 bytes of SSL_export_keying_material, label "EXPORTER-Channel-Binding", no
// context. Only on TLS 1.3, or on TLS 1.2 with the extended master secret (RFC 9266 §4.2).
std::optional<std::string> TlsExporter(SSL* ssl);
// RFC 5929 §4.1: hash of the server certificate (ours on the server, the peer's on a client) with
// the hash of its signature algorithm, SHA-256 when that is MD5 or SHA-1; nullopt when the
// algorithm has no single hash (e.g. Ed25519), where the RFC leaves it undefined.
std::optional<std::string> TlsServerEndPoint(SSL* ssl);
// XEP-0440 list for this connection: tls-exporter (when available), tls-unique (TLS <= 1.2
// only), tls-server-end-point (when defined).
std::vector<std::string> AdvertisedBindings(SSL* ssl);
// The data for a type name as a client sends it in "p=", or nullopt for an unknown type or one
// this connection lacks. COMPAT: "tls-unique" is also answered on TLS 1.3 (never advertised there).
std::optional<std::string> ChannelBindingData(SSL* ssl, std::string_view type);
// A MechanismContext::channel_binding for this connection. Computes every type now and carries
// the values, so the function does not refer to `ssl` and may outlive it.
std::function<std::optional<std::string>(std::string_view)> ChannelBindingProvider(SSL* ssl);

}  // namespace parley::sasl
