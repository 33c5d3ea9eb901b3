// Channel-binding data from real OpenSSL handshakes (TLS 1.3 and 1.2) over an in-memory BIO
// pair, with a self-signed certificate made here. Each value the server computes is compared
// with what the client side of the same connection computes.

#include "sasl/tls_channel_binding.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

#include "sasl/sasl_test_util.hpp"
#include "sasl/scram.hpp"

namespace parley::sasl {
namespace {

using ::testing::ElementsAre;
using testing::IsFailure;
using testing::IsSuccessWith;
using testing::ScramClient;

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509_free>>;
using CtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL_free>>;
using SessionPtr = std::unique_ptr<SSL_SESSION, Deleter<SSL_SESSION_free>>;

std::string Bytes(const unsigned char* p, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}

// A self-signed certificate for "parley.test", signed with `md`.
struct Identity {
  explicit Identity(const EVP_MD* md) : key(EVP_EC_gen("P-256")), cert(X509_new()) {
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("parley.test"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_sign(cert.get(), key.get(), md);
  }
  // The RFC 5929 §4.1 value computed independently: a digest of the DER encoding.
  std::string DerDigest(const EVP_MD* md) const {
    unsigned char* der = nullptr;
    const int der_len = i2d_X509(cert.get(), &der);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int out_len = 0;
    EVP_Digest(der, der_len, out, &out_len, md, nullptr);
    OPENSSL_free(der);
    return Bytes(out, out_len);
  }
  KeyPtr key;
  CertPtr cert;
};

struct TlsOptions {
  int version = TLS1_3_VERSION;
  bool client_disables_ems = false;
  const EVP_MD* cert_md = EVP_sha256();
};

// One client and one server SSL connected through a BIO pair; Handshake() runs them to the end.
class TlsPair {
 public:
  explicit TlsPair(const TlsOptions& options)
      : identity_(options.cert_md),
        server_ctx_(SSL_CTX_new(TLS_server_method())),
        client_ctx_(SSL_CTX_new(TLS_client_method())) {
    for (SSL_CTX* ctx : {server_ctx_.get(), client_ctx_.get()}) {
      SSL_CTX_set_security_level(ctx, 0);  // allows the SHA-1-signed certificate case
      SSL_CTX_set_min_proto_version(ctx, options.version);
      SSL_CTX_set_max_proto_version(ctx, options.version);
    }
    SSL_CTX_use_certificate(server_ctx_.get(), identity_.cert.get());
    SSL_CTX_use_PrivateKey(server_ctx_.get(), identity_.key.get());
    if (options.client_disables_ems) {
      SSL_CTX_set_options(client_ctx_.get(), SSL_OP_NO_EXTENDED_MASTER_SECRET);
    }
    Connect(nullptr);
  }

  // Replaces the connection with a new one, resuming `session` when given.
  void Connect(SSL_SESSION* session) {
    // A connection freed without close_notify marks its session unresumable.
    for (SSL* ssl : {client_.get(), server_.get()}) {
      if (ssl != nullptr) SSL_shutdown(ssl);
    }
    server_.reset(SSL_new(server_ctx_.get()));
    client_.reset(SSL_new(client_ctx_.get()));
    BIO* client_bio = nullptr;
    BIO* server_bio = nullptr;
    BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
    SSL_set_bio(client_.get(), client_bio, client_bio);
    SSL_set_bio(server_.get(), server_bio, server_bio);
    SSL_set_connect_state(client_.get());
    SSL_set_accept_state(server_.get());
    if (session != nullptr) SSL_set_session(client_.get(), session);
  }

  bool Handshake() {
    for (int round = 0; round < 20; ++round) {
      const int c = SSL_do_handshake(client_.get());
      const int s = SSL_do_handshake(server_.get());
      if (c == 1 && s == 1) return true;
      for (auto [ssl, ret] : {std::pair{client_.get(), c}, std::pair{server_.get(), s}}) {
        const int err = SSL_get_error(ssl, ret);
        if (ret != 1 && err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
          ADD_FAILURE() << "handshake error " << err << ": "
                        << ERR_error_string(ERR_get_error(), nullptr);
          return false;
        }
      }
    }
    return false;
  }

  // What CPython's ssl (and so slixmpp) sends as tls-unique from the client side: its own
  // Finished on a full handshake, the server's on a resumption.
  std::string ClientSideTlsUnique() {
    unsigned char buf[EVP_MAX_MD_SIZE];
    const std::size_t n = SSL_session_reused(client()) ? SSL_get_peer_finished(client(), buf, 64)
                                                       : SSL_get_finished(client(), buf, 64);
    return Bytes(buf, n);
  }

  std::string ClientSideExporter() {
    unsigned char out[32];
    const char kLabel[] = "EXPORTER-Channel-Binding";
    EXPECT_EQ(SSL_export_keying_material(client(), out, sizeof out, kLabel, sizeof kLabel - 1,
                                         nullptr, 0, 0),
              1);
    return Bytes(out, sizeof out);
  }

  SSL* client() { return client_.get(); }
  SSL* server() { return server_.get(); }
  const Identity& identity() const { return identity_; }

 private:
  Identity identity_;
  CtxPtr server_ctx_;
  CtxPtr client_ctx_;
  SslPtr server_;
  SslPtr client_;
};

TEST(TlsChannelBinding, NothingBeforeTheHandshake) {
  TlsPair tls({});
  EXPECT_EQ(TlsUnique(tls.server()), std::nullopt);
  EXPECT_EQ(TlsExporter(tls.server()), std::nullopt);
  EXPECT_EQ(TlsServerEndPoint(tls.server()), std::nullopt);
  EXPECT_TRUE(AdvertisedBindings(tls.server()).empty());
  EXPECT_EQ(TlsUnique(nullptr), std::nullopt);
}

TEST(TlsChannelBinding, Tls13) {
  TlsPair tls({.version = TLS1_3_VERSION});
  ASSERT_TRUE(tls.Handshake());
  ASSERT_EQ(SSL_version(tls.server()), TLS1_3_VERSION);

  auto unique = TlsUnique(tls.server());
  ASSERT_TRUE(unique);
  EXPECT_GE(unique->size(), 32u);
  EXPECT_EQ(*unique, tls.ClientSideTlsUnique());  // = client's SSL_get_finished
  EXPECT_EQ(unique, TlsUnique(tls.client()));

  auto exporter = TlsExporter(tls.server());
  ASSERT_TRUE(exporter);
  EXPECT_EQ(exporter->size(), 32u);
  EXPECT_EQ(*exporter, tls.ClientSideExporter());

  auto end_point = TlsServerEndPoint(tls.server());
  ASSERT_TRUE(end_point);
  EXPECT_EQ(*end_point, tls.identity().DerDigest(EVP_sha256()));
  EXPECT_EQ(end_point, TlsServerEndPoint(tls.client()));

  // RFC 9266: no tls-unique advertised on TLS 1.3 ...
  EXPECT_THAT(AdvertisedBindings(tls.server()),
              ElementsAre("tls-exporter", "tls-server-end-point"));
  // ... but answered when a client asks for it anyway (COMPAT slixmpp).
  EXPECT_EQ(ChannelBindingData(tls.server(), "tls-unique"), unique);
  EXPECT_EQ(ChannelBindingData(tls.server(), "tls-exporter"), exporter);
  EXPECT_EQ(ChannelBindingData(tls.server(), "tls-server-end-point"), end_point);
  EXPECT_EQ(ChannelBindingData(tls.server(), "tls-bogus"), std::nullopt);
}

TEST(TlsChannelBinding, Tls12WithExtendedMasterSecret) {
  TlsPair tls({.version = TLS1_2_VERSION});
  ASSERT_TRUE(tls.Handshake());
  ASSERT_EQ(SSL_version(tls.server()), TLS1_2_VERSION);
  ASSERT_EQ(SSL_get_extms_support(tls.server()), 1);
  auto unique = TlsUnique(tls.server());
  ASSERT_TRUE(unique);
  EXPECT_EQ(unique->size(), 12u);  // RFC 5246 §7.4.9 verify_data
  EXPECT_EQ(*unique, tls.ClientSideTlsUnique());
  EXPECT_EQ(TlsExporter(tls.server()), tls.ClientSideExporter());
  EXPECT_EQ(TlsServerEndPoint(tls.server()), tls.identity().DerDigest(EVP_sha256()));
  EXPECT_THAT(AdvertisedBindings(tls.server()),
              ElementsAre("tls-exporter", "tls-unique", "tls-server-end-point"));
}

TEST(TlsChannelBinding, Tls12WithoutExtendedMasterSecretHasNoExporter) {
  TlsPair tls({.version = TLS1_2_VERSION, .client_disables_ems = true});
  ASSERT_TRUE(tls.Handshake());
  ASSERT_EQ(SSL_get_extms_support(tls.server()), 0);
  EXPECT_EQ(TlsExporter(tls.server()), std::nullopt);  // RFC 9266 §4.2
  EXPECT_TRUE(TlsUnique(tls.server()));
  EXPECT_THAT(AdvertisedBindings(tls.server()), ElementsAre("tls-unique", "tls-server-end-point"));
}

TEST(TlsChannelBinding, Tls12ResumptionUsesTheServerFinished) {
  TlsPair tls({.version = TLS1_2_VERSION});
  ASSERT_TRUE(tls.Handshake());
  const std::string full = *TlsUnique(tls.server());
  SessionPtr session(SSL_get1_session(tls.client()));
  ASSERT_TRUE(session);
  tls.Connect(session.get());
  ASSERT_TRUE(tls.Handshake());
  ASSERT_EQ(SSL_session_reused(tls.server()), 1);
  unsigned char buf[64];
  const std::size_t n = SSL_get_finished(tls.server(), buf, sizeof buf);  // the server's own
  EXPECT_EQ(TlsUnique(tls.server()), Bytes(buf, n));
  EXPECT_EQ(TlsUnique(tls.server()), tls.ClientSideTlsUnique());
  EXPECT_NE(TlsUnique(tls.server()), full);
}

TEST(TlsChannelBinding, ServerEndPointHashFollowsTheCertificateSignature) {
  TlsPair sha384({.cert_md = EVP_sha384()});
  ASSERT_TRUE(sha384.Handshake());
  EXPECT_EQ(TlsServerEndPoint(sha384.server()), sha384.identity().DerDigest(EVP_sha384()));
  EXPECT_EQ(TlsServerEndPoint(sha384.server())->size(), 48u);

  TlsPair sha1({.version = TLS1_2_VERSION, .cert_md = EVP_sha1()});
  ASSERT_TRUE(sha1.Handshake());
  // RFC 5929 §4.1: SHA-1 (and MD5) signatures are hashed with SHA-256 instead.
  EXPECT_EQ(TlsServerEndPoint(sha1.server()), sha1.identity().DerDigest(EVP_sha256()));
}

// End to end: SCRAM-*-PLUS over a real connection, the server side fed by
// ChannelBindingProvider and the client by its own view of the same connection.
class ScramOverTls : public ::testing::TestWithParam<int> {
 protected:
  Step Run(TlsPair& tls, ScramClient& client) {
    MechanismContext ctx;
    ctx.channel_binding = ChannelBindingProvider(tls.server());
    ctx.plus_offered = true;
    auto mech = MakeServerMechanism("SCRAM-SHA-256-PLUS", std::move(ctx));
    Step step = mech->Start(client.ClientFirst());
    if (step.kind != Step::Kind::kNeedCredentials) return step;
    step = mech->ProvideCredentials(&creds_);
    return mech->Respond(client.ClientFinal(step.data));
  }
  StoredCredentials creds_ = *DeriveCredentials("pencil", 4096);
};

TEST_P(ScramOverTls, ExporterUniqueAndEndPoint) {
  TlsPair tls({.version = GetParam()});
  ASSERT_TRUE(tls.Handshake());
  const std::pair<const char*, std::string> kBindings[] = {
      {"tls-exporter", tls.ClientSideExporter()},
      // On TLS 1.3 this is the slixmpp case: accepted although not advertised.
      {"tls-unique", tls.ClientSideTlsUnique()},
      {"tls-server-end-point", *TlsServerEndPoint(tls.client())},
  };
  for (const auto& [type, data] : kBindings) {
    ScramClient client;
    client.gs2_header = "p=" + std::string(type) + ",,";
    client.cb_data = data;
    const Step done = Run(tls, client);
    EXPECT_THAT(done, IsSuccessWith(client.expected_server_final)) << type;
  }
  // Data from another connection (a man in the middle has two) must fail.
  TlsPair other({.version = GetParam()});
  ASSERT_TRUE(other.Handshake());
  ScramClient mitm;
  mitm.gs2_header = "p=tls-exporter,,";
  mitm.cb_data = other.ClientSideExporter();
  EXPECT_THAT(Run(tls, mitm), IsFailure(Failure::kNotAuthorized));
}

INSTANTIATE_TEST_SUITE_P(Versions, ScramOverTls, ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         [](const auto& info) {
                           return info.param == TLS1_3_VERSION ? "Tls13" : "Tls12";
                         });

}  // namespace
}  // namespace parley::sasl
