#include "sasl/tls_channel_binding.hpp"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <map>
#include <utility>

namespace parley::sasl {
namespace {

constexpr std::string_view kExporterLabel = "EXPORTER-Channel-Binding";
constexpr std::size_t kExporterBytes = 32;

bool HandshakeDone(SSL* ssl) { return ssl != nullptr && SSL_is_init_finished(ssl) == 1; }

// RFC 9266 §4.2: without the extended master secret (RFC 7627) the exporter of TLS <= 1.2 is not
// unique to the connection (triple handshake), so it MUST NOT be used.
bool ExporterDefined(SSL* ssl) {
  return HandshakeDone(ssl) &&
         (SSL_version(ssl) >= TLS1_3_VERSION || SSL_get_extms_support(ssl) == 1);
}

// The hash of tls-server-end-point for this connection's server certificate (`*cert`), or
// nullptr where the binding is undefined.
const EVP_MD* EndPointHash(SSL* ssl, X509** cert) {
  if (!HandshakeDone(ssl)) return nullptr;
  *cert = SSL_is_server(ssl) ? SSL_get_certificate(ssl) : SSL_get0_peer_certificate(ssl);
  if (*cert == nullptr) return nullptr;
  int md_nid = NID_undef;
  if (X509_get_signature_info(*cert, &md_nid, nullptr, nullptr, nullptr) != 1) return nullptr;
  if (md_nid == NID_md5 || md_nid == NID_sha1 || md_nid == NID_md5_sha1) {
    return EVP_sha256();  // RFC 5929 §4.1: MD5 and SHA-1 are upgraded to SHA-256.
  }
  // No single hash (NID_undef): undefined (RFC 5929 §4.1).
  return md_nid == NID_undef ? nullptr : EVP_get_digestbynid(md_nid);
}

}  // namespace

std::optional<std::string> TlsUnique(SSL* ssl) {
  if (!HandshakeDone(ssl)) return std::nullopt;
  // The first Finished is the client's on a full handshake and the server's on a resumption, so
  // it is our own exactly when "resumed" and "we are the server" agree. This matches what
  // OpenSSL-based clients (CPython's ssl, used by slixmpp) compute, on every TLS version.
  const bool first_is_ours = (SSL_session_reused(ssl) == 1) == (SSL_is_server(ssl) == 1);
  std::array<unsigned char, EVP_MAX_MD_SIZE> buf{};
  const std::size_t len = first_is_ours ? SSL_get_finished(ssl, buf.data(), buf.size())
                                        : SSL_get_peer_finished(ssl, buf.data(), buf.size());
  if (len == 0 || len > buf.size()) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(buf.data()), len);
}

std::optional<std::string> TlsExporter(SSL* ssl) {
  if (!ExporterDefined(ssl)) return std::nullopt;
  std::string out(kExporterBytes, '\0');
  if (SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                 kExporterLabel.data(), kExporterLabel.size(), nullptr, 0,
                                 /*use_context=*/0) != 1) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> TlsServerEndPoint(SSL* ssl) {
  X509* cert = nullptr;
  const EVP_MD* md = EndPointHash(ssl, &cert);
  if (md == nullptr) return std::nullopt;
  std::array<unsigned char, EVP_MAX_MD_SIZE> buf{};
  unsigned int len = 0;
  if (X509_digest(cert, md, buf.data(), &len) != 1) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(buf.data()), len);
}

std::vector<std::string> AdvertisedBindings(SSL* ssl) {
  // Whether each binding is defined, without computing it: the stream features are sent on every
  // login, the binding data only when a client asks for a -PLUS mechanism.
  std::vector<std::string> out;
  if (!HandshakeDone(ssl)) return out;
  if (ExporterDefined(ssl)) out.emplace_back(kTlsExporter);
  // RFC 9266 §3: tls-unique is not defined for TLS 1.3, so we never advertise it there.
  if (SSL_version(ssl) < TLS1_3_VERSION && TlsUnique(ssl)) out.emplace_back(kTlsUnique);
  X509* cert = nullptr;
  if (EndPointHash(ssl, &cert) != nullptr) out.emplace_back(kTlsServerEndPoint);
  return out;
}

std::optional<std::string> ChannelBindingData(SSL* ssl, std::string_view type) {
  if (type == kTlsExporter) return TlsExporter(ssl);
  if (type == kTlsServerEndPoint) return TlsServerEndPoint(ssl);
  // COMPAT: slixmpp 1.8 (CPython ssl) picks p=tls-unique on TLS 1.3 too. There the client's
  // Finished is a MAC over the whole handshake transcript, so it is still unique to the
  // connection; we accept it but never advertise it (docs/sasl-channel-binding.md).
  if (type == kTlsUnique) return TlsUnique(ssl);
  return std::nullopt;
}

std::function<std::optional<std::string>(std::string_view)> ChannelBindingProvider(SSL* ssl) {
  std::map<std::string, std::string, std::less<>> data;
  for (std::string_view type : {kTlsUnique, kTlsExporter, kTlsServerEndPoint}) {
    if (auto value = ChannelBindingData(ssl, type)) data.emplace(type, std::move(*value));
  }
  return [data = std::move(data)](std::string_view type) -> std::optional<std::string> {
    auto it = data.find(type);
    if (it == data.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace parley::sasl
