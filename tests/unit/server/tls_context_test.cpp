#include "net/tls_context.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace parley::net {
namespace {

namespace fs = std::filesystem;

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

X509Ptr ReadCertificate(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return nullptr;
  X509Ptr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return cert;
}

std::set<std::string> DnsNames(const std::string& path) {
  std::set<std::string> names;
  X509Ptr cert = ReadCertificate(path);
  if (!cert) return names;
  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
    if (name->type == GEN_DNS) {
      names.emplace(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
                    ASN1_STRING_length(name->d.dNSName));
    }
  }
  GENERAL_NAMES_free(sans);
  return names;
}

std::string Fingerprint(const std::string& path) {
  X509Ptr cert = ReadCertificate(path);
  if (!cert) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert.get(), EVP_sha256(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

// Outcome of a handshake between a client and the server context over an in-memory BIO pair.
struct Handshake {
  bool ok = false;
  int version = 0;
  std::string server_error;
  std::set<std::string> peer_names;
};

Handshake Connect(boost::asio::ssl::context& server_ctx, int client_min, int client_max,
                  const char* client_ciphers = nullptr) {
  Handshake result;
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(client_ctx, client_min);
  SSL_CTX_set_max_proto_version(client_ctx, client_max);
  if (client_ciphers != nullptr) SSL_CTX_set_cipher_list(client_ctx, client_ciphers);
  SSL* client = SSL_new(client_ctx);
  SSL* server = SSL_new(server_ctx.native_handle());
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
  SSL_set_bio(client, client_bio, client_bio);
  SSL_set_bio(server, server_bio, server_bio);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);
  SSL_set_tlsext_host_name(client, "example.org");

  bool client_done = false, server_done = false;
  for (int round = 0; round < 20 && !(client_done && server_done); ++round) {
    if (!client_done) {
      int rc = SSL_do_handshake(client);
      if (rc == 1)
        client_done = true;
      else if (SSL_get_error(client, rc) != SSL_ERROR_WANT_READ)
        break;
    }
    if (!server_done) {
      ERR_clear_error();
      int rc = SSL_do_handshake(server);
      if (rc == 1) {
        server_done = true;
      } else if (SSL_get_error(server, rc) != SSL_ERROR_WANT_READ) {
        result.server_error = ERR_reason_error_string(ERR_peek_error())
                                  ? ERR_reason_error_string(ERR_peek_error())
                                  : "unknown";
        break;
      }
    }
  }
  result.ok = client_done && server_done;
  if (result.ok) {
    result.version = SSL_version(client);
    X509* peer = SSL_get1_peer_certificate(client);
    if (X509_check_host(peer, "conference.example.org", 0, 0, nullptr) == 1) {
      result.peer_names.insert("conference.example.org");
    }
    X509_free(peer);
  }
  ERR_clear_error();
  SSL_free(client);
  SSL_free(server);
  SSL_CTX_free(client_ctx);
  return result;
}

class TlsContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("parley_tls_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string data_dir() const { return dir_.string(); }
  std::string cert_path() const { return (dir_ / "tls" / "selfsigned.crt").string(); }
  std::string key_path() const { return (dir_ / "tls" / "selfsigned.key").string(); }

  fs::path dir_;
};

TEST_F(TlsContextTest, GeneratesSelfSignedWithSansAndPrivateKey) {
  TlsSetup setup = MakeServerTlsContext({"example.org", "example.net"}, "", "", data_dir());
  ASSERT_TRUE(setup.context);
  EXPECT_TRUE(setup.generated);
  EXPECT_TRUE(setup.created);
  EXPECT_EQ(setup.cert_file, cert_path());
  EXPECT_EQ(setup.key_file, key_path());
  EXPECT_EQ(DnsNames(cert_path()),
            (std::set<std::string>{"example.org", "conference.example.org", "upload.example.org",
                                   "example.net", "conference.example.net", "upload.example.net"}));
  struct stat st {};
  ASSERT_EQ(::stat(key_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  X509Ptr cert = ReadCertificate(cert_path());
  ASSERT_TRUE(cert);
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
  EXPECT_TRUE(EVP_PKEY_is_a(key, "EC"));
  // Valid for about 10 years.
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()),
                           X509_get0_notAfter(cert.get())),
            1);
  EXPECT_GE(days, 3650);
  EXPECT_LE(days, 3652);
}

TEST_F(TlsContextTest, ReusesExistingCertificate) {
  MakeServerTlsContext({"example.org"}, "", "", data_dir());
  std::string first = Fingerprint(cert_path());
  ASSERT_FALSE(first.empty());
  TlsSetup again = MakeServerTlsContext({"example.org"}, "", "", data_dir());
  EXPECT_TRUE(again.generated);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(Fingerprint(cert_path()), first);
}

TEST_F(TlsContextTest, RegeneratesWhenDomainsChange) {
  MakeServerTlsContext({"example.org"}, "", "", data_dir());
  std::string first = Fingerprint(cert_path());
  TlsSetup changed = MakeServerTlsContext({"example.org", "example.com"}, "", "", data_dir());
  EXPECT_TRUE(changed.created);
  EXPECT_NE(Fingerprint(cert_path()), first);
  EXPECT_TRUE(DnsNames(cert_path()).contains("upload.example.com"));
}

TEST_F(TlsContextTest, RegeneratesCorruptFiles) {
  MakeServerTlsContext({"example.org"}, "", "", data_dir());
  std::ofstream(cert_path()) << "garbage";
  TlsSetup setup = MakeServerTlsContext({"example.org"}, "", "", data_dir());
  EXPECT_TRUE(setup.created);
  EXPECT_FALSE(Fingerprint(cert_path()).empty());
}

TEST_F(TlsContextTest, Tls13ClientSucceeds) {
  TlsSetup setup = MakeServerTlsContext({"example.org"}, "", "", data_dir());
  Handshake h = Connect(*setup.context, TLS1_3_VERSION, TLS1_3_VERSION);
  EXPECT_TRUE(h.ok) << h.server_error;
  EXPECT_EQ(h.version, TLS1_3_VERSION);
  EXPECT_TRUE(h.peer_names.contains("conference.example.org"));
}

TEST_F(TlsContextTest, Tls12ClientSucceeds) {
  TlsSetup setup = MakeServerTlsContext({"example.org"}, "", "", data_dir());
  Handshake h = Connect(*setup.context, TLS1_2_VERSION, TLS1_2_VERSION);
  EXPECT_TRUE(h.ok) << h.server_error;
  EXPECT_EQ(h.version, TLS1_2_VERSION);
}

TEST_F(TlsContextTest, Tls11ClientIsRefusedByTheServer) {
  TlsSetup setup = MakeServerTlsContext({"example.org"}, "", "", data_dir());
  // Security level 0 so that the client itself is willing to offer TLS 1.0/1.1; the refusal
  // must come from the server's minimum version.
  Handshake h = Connect(*setup.context, TLS1_VERSION, TLS1_1_VERSION, "ALL:@SECLEVEL=0");
  EXPECT_FALSE(h.ok);
  EXPECT_EQ(h.server_error, "unsupported protocol");
}

TEST_F(TlsContextTest, LoadsOperatorFiles) {
  TlsSetup generated = MakeServerTlsContext({"example.org"}, "", "", data_dir());
  TlsSetup setup = MakeServerTlsContext({"example.org"}, generated.cert_file, generated.key_file,
                                        (dir_ / "other").string());
  EXPECT_FALSE(setup.generated);
  EXPECT_EQ(setup.cert_file, generated.cert_file);
  EXPECT_FALSE(fs::exists(dir_ / "other"));
  EXPECT_TRUE(Connect(*setup.context, TLS1_3_VERSION, TLS1_3_VERSION).ok);
}

TEST_F(TlsContextTest, BadFilesThrow) {
  TlsSetup a = MakeServerTlsContext({"example.org"}, "", "", (dir_ / "a").string());
  TlsSetup b = MakeServerTlsContext({"example.org"}, "", "", (dir_ / "b").string());
  std::string garbage = (dir_ / "garbage.pem").string();
  std::ofstream(garbage) << "not a certificate\n";

  auto expect_error = [&](const std::string& cert, const std::string& key,
                          const std::string& fragment) {
    try {
      MakeServerTlsContext({"example.org"}, cert, key, data_dir());
      ADD_FAILURE() << "no exception for " << cert << " / " << key;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error((dir_ / "missing.crt").string(), a.key_file, "missing.crt");
  expect_error(a.cert_file, (dir_ / "missing.key").string(), "missing.key");
  expect_error(garbage, a.key_file, "garbage.pem");
  expect_error(a.cert_file, garbage, "garbage.pem");
  expect_error(a.cert_file, b.key_file, b.key_file);  // key of another certificate
  expect_error(a.cert_file, "", "together");
}

TEST(TlsSelfSignedNamesTest, ListsSubdomains) {
  EXPECT_EQ(SelfSignedNames({"a.org", "b.org"}),
            (std::vector<std::string>{"a.org", "b.org", "conference.a.org", "upload.a.org",
                                      "conference.b.org", "upload.b.org"}));
}

}  // namespace
}  // namespace parley::net
