#include "sasl/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "core/check.hpp"

namespace parley::sasl {
namespace {

const EVP_MD* Md(Hash hash) { return hash == Hash::kSha1 ? EVP_sha1() : EVP_sha256(); }

}  // namespace

std::size_t DigestSize(Hash hash) { return static_cast<std::size_t>(EVP_MD_get_size(Md(hash))); }

std::string_view HashName(Hash hash) { return hash == Hash::kSha1 ? "SHA-1" : "SHA-256"; }

std::string Digest(Hash hash, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  PARLEY_CHECK(EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()),
                          &len, Md(hash), nullptr) == 1);
  out.resize(len);
  return out;
}

std::string Hmac(Hash hash, std::string_view key, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  PARLEY_CHECK(HMAC(Md(hash), key.data(), static_cast<int>(key.size()),
                    reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                    reinterpret_cast<unsigned char*>(out.data()), &len) != nullptr);
  out.resize(len);
  return out;
}

std::string RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  PARLEY_CHECK(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) == 1);
  return out;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace parley::sasl
