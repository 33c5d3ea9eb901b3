#include "net/tls_context.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <set>
#include <stdexcept>

namespace parley::net {
namespace {

namespace fs = std::filesystem;

// TLS 1.2 suites: ECDHE for forward secrecy, AEAD only (Mozilla "intermediate" without DHE).
constexpr const char* kCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kCipherSuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";
constexpr long kValidityDays = 3650;
constexpr long kRenewBeforeSeconds = 30L * 24 * 3600;

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using Asn1IntPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

void FreeGeneralNames(GENERAL_NAMES* names) { GENERAL_NAMES_free(names); }
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, FreeGeneralNames>>;

// Drains OpenSSL's error queue into one line.
std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

[[noreturn]] void Fail(const std::string& what) {
  throw std::runtime_error(what + ": " + OpenSslErrors());
}

// Throws a message naming the file and errno when it cannot be opened for reading.
void CheckReadable(const std::string& role, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    throw std::runtime_error("TLS " + role + " file '" + path + "': " + std::strerror(errno));
  }
  std::fclose(f);
}

void Configure(SSL_CTX* ctx) {
  ERR_clear_error();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    Fail("cannot restrict TLS versions");
  }
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx, kCipherList) != 1) Fail("cannot set TLS 1.2 ciphers");
  if (SSL_CTX_set_ciphersuites(ctx, kCipherSuites) != 1) Fail("cannot set TLS 1.3 ciphers");
  if (SSL_CTX_set1_groups_list(ctx, kGroups) != 1) Fail("cannot set TLS groups");
  static constexpr unsigned char kSessionContext[] = "parley";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
}

void LoadCertificateAndKey(SSL_CTX* ctx, const std::string& cert_file,
                           const std::string& key_file) {
  CheckReadable("certificate", cert_file);
  CheckReadable("key", key_file);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    Fail("TLS certificate file '" + cert_file + "' is not a usable PEM certificate");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    Fail("TLS key file '" + key_file + "' is not a usable PEM key for '" + cert_file + "'");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    Fail("TLS key file '" + key_file + "' does not match certificate '" + cert_file + "'");
  }
}

std::set<std::string> DnsNames(X509* cert) {
  std::set<std::string> names;
  NamesPtr sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!sans) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans.get(), i);
    if (name->type != GEN_DNS) continue;
    const ASN1_IA5STRING* dns = name->d.dNSName;
    names.emplace(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                  static_cast<std::size_t>(ASN1_STRING_length(dns)));
  }
  return names;
}

// Why an existing self-signed pair cannot be reused, or "" when it can.
std::string ReuseProblem(const std::string& cert_file, const std::string& key_file,
                         const std::vector<std::string>& names) {
  if (!fs::exists(cert_file) || !fs::exists(key_file)) return "there was none";
  BioPtr cert_bio(BIO_new_file(cert_file.c_str(), "rb"));
  BioPtr key_bio(BIO_new_file(key_file.c_str(), "rb"));
  X509Ptr cert(cert_bio ? PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr) : nullptr);
  PkeyPtr key(key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr)
                      : nullptr);
  ERR_clear_error();
  if (!cert || !key) return "the existing files are unreadable";
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return "the existing key does not match the certificate";
  }
  std::time_t renew_at = std::time(nullptr) + kRenewBeforeSeconds;
  if (X509_cmp_time(X509_get0_notAfter(cert.get()), &renew_at) <= 0) return "it expires soon";
  if (DnsNames(cert.get()) != std::set<std::string>(names.begin(), names.end())) {
    return "the domain list changed";
  }
  return "";
}

void AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, &v3, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) Fail("cannot add certificate extension");
}

std::pair<X509Ptr, PkeyPtr> MakeSelfSigned(const std::vector<std::string>& names) {
  ERR_clear_error();
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) Fail("cannot generate an EC P-256 key");
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) Fail("cannot create X.509");

  // RFC 5280 §4.1.2.2: a positive serial of at most 20 octets; 159 random bits.
  BnPtr bn(BN_new());
  if (!bn || BN_rand(bn.get(), 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
    Fail("cannot draw a serial number");
  }
  Asn1IntPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial || X509_set_serialNumber(cert.get(), serial.get()) != 1) Fail("cannot set serial");

  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);  // tolerate slightly slow clocks
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), kValidityDays, 0, nullptr);
  X509_set_pubkey(cert.get(), key.get());

  X509_NAME* subject = X509_get_subject_name(cert.get());
  const std::string& cn = names.front().size() <= 64 ? names.front() : std::string("parley");
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Parley self-signed"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);

  NamesPtr sans(sk_GENERAL_NAME_new_null());
  for (const std::string& name : names) {
    GENERAL_NAME* gn = GENERAL_NAME_new();
    ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
    if (gn == nullptr || dns == nullptr ||
        ASN1_STRING_set(dns, name.data(), static_cast<int>(name.size())) != 1) {
      GENERAL_NAME_free(gn);
      ASN1_IA5STRING_free(dns);
      Fail("cannot build subjectAltName");
    }
    GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
    sk_GENERAL_NAME_push(sans.get(), gn);
  }
  if (X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, sans.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    Fail("cannot add subjectAltName");
  }
  AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature");
  AddExtension(cert.get(), NID_ext_key_usage, "serverAuth");
  AddExtension(cert.get(), NID_subject_key_identifier, "hash");

  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) Fail("cannot sign the certificate");
  return {std::move(cert), std::move(key)};
}

// Writes `data` to `path` with `mode` through a temporary file and a rename, so that a crash
// never leaves a half-written certificate or key behind.
void WriteFileAtomically(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot create '" + tmp + "': " + std::strerror(errno));
  bool ok = ::fchmod(fd, mode) == 0;
  for (std::size_t done = 0; ok && done < data.size();) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  int saved_errno = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) saved_errno = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write '" + path + "': " + std::strerror(saved_errno));
  }
}

template <typename WritePem>
std::string ToPem(WritePem write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) Fail("cannot encode PEM");
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

void WriteSelfSigned(const std::string& dir, const std::string& cert_file,
                     const std::string& key_file, const std::vector<std::string>& names) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create '" + dir + "': " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  auto [cert, key] = MakeSelfSigned(names);
  std::string key_pem = ToPem([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  std::string cert_pem = ToPem([&](BIO* bio) { return PEM_write_bio_X509(bio, cert.get()); });
  WriteFileAtomically(key_file, key_pem, 0600);
  WriteFileAtomically(cert_file, cert_pem, 0644);
}

void WarnAboutUncoveredDomains(SSL_CTX* ctx, const std::vector<std::string>& domains,
                               const std::string& cert_file) {
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (cert == nullptr) return;
  for (const std::string& domain : domains) {
    if (X509_check_host(cert, domain.data(), domain.size(), 0, nullptr) != 1) {
      spdlog::warn("TLS certificate '{}' does not cover the domain {}", cert_file, domain);
    }
  }
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

std::vector<std::string> SelfSignedNames(const std::vector<std::string>& domains) {
  std::vector<std::string> names;
  names.reserve(domains.size() * 3);
  for (const std::string& domain : domains) names.push_back(domain);
  for (const std::string& domain : domains) {
    names.push_back("conference." + domain);
    names.push_back("upload." + domain);
  }
  return names;
}

TlsSetup MakeServerTlsContext(const std::vector<std::string>& domains, const std::string& cert_file,
                              const std::string& key_file, const std::string& data_dir) {
  namespace ssl = boost::asio::ssl;
  TlsSetup setup;
  setup.context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = setup.context->native_handle();
  Configure(ctx);

  if (!cert_file.empty() || !key_file.empty()) {
    if (cert_file.empty() || key_file.empty()) {
      throw std::runtime_error("TLS certificate and key files must be given together");
    }
    LoadCertificateAndKey(ctx, cert_file, key_file);
    WarnAboutUncoveredDomains(ctx, domains, cert_file);
    setup.cert_file = cert_file;
    setup.key_file = key_file;
    return setup;
  }

  if (domains.empty()) throw std::runtime_error("a self-signed certificate needs a domain");
  std::vector<std::string> names = SelfSignedNames(domains);
  std::string dir = (fs::path(data_dir) / "tls").string();
  setup.cert_file = (fs::path(dir) / "selfsigned.crt").string();
  setup.key_file = (fs::path(dir) / "selfsigned.key").string();
  setup.generated = true;
  if (std::string problem = ReuseProblem(setup.cert_file, setup.key_file, names);
      !problem.empty()) {
    WriteSelfSigned(dir, setup.cert_file, setup.key_file, names);
    setup.created = true;
    spdlog::info(
        "Generated a self-signed TLS certificate for {} in {} ({}); clients will not "
        "trust it: set [tls] cert and key for a real one",
        JoinNames(domains), dir, problem);
  }
  LoadCertificateAndKey(ctx, setup.cert_file, setup.key_file);
  return setup;
}

}  // namespace parley::net
