#pragma once
// The server's TLS context: protocol versions, ciphers and options, and the certificate it presents
// (the operator's files, or a self-signed one generated into the data directory). Built once at
// start-up by app/ and shared read-only by every shard's TLS connections for the life of the
// server.

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <utility>  // before Asio, which is compiled separately (net/asio_impl.cpp)
#include <vector>

namespace parley::net {

// The result of MakeServerTlsContext: the context and the files it was loaded from.
struct TlsSetup {
  std::shared_ptr<boost::asio::ssl::context> context;
  std::string cert_file, key_file;
  bool generated = false;  // the self-signed certificate is in use (created now or reused)
  bool created = false;    // ... and it was (re)written by this call
};

// Builds the server context: TLS 1.2 and 1.3 only, no compression, no renegotiation, server
// cipher preference, forward-secret AEAD ciphers, session tickets allowed.
// With cert_file and key_file set, loads them (PEM; the certificate file may hold the chain).
// With both empty, uses DATA_DIR/tls/selfsigned.{crt,key}: an EC P-256 certificate valid for 10
// years whose subjectAltName lists every domain and its conference. and upload. sub-domains; it is
// generated on first start (key file mode 0600), reused later, and regenerated when the domain list
// no longer matches, the files are unusable, or it expires within 30 days.
// Throws std::runtime_error with a clear message on unreadable or mismatching files.
TlsSetup MakeServerTlsContext(const std::vector<std::string>& domains, const std::string& cert_file,
                              const std::string& key_file, const std::string& data_dir);

// The DNS names a self-signed certificate for `domains` covers: each domain, then its conference.
// and upload. sub-domains.
std::vector<std::string> SelfSignedNames(const std::vector<std::string>& domains);

}  // namespace parley::net
