#include "sasl/credentials.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <climits>

#include "jid/stringprep.hpp"
#include "sasl/crypto.hpp"

namespace parley::sasl {
namespace {

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

std::optional<std::string> SaltedPassword(Hash hash, std::string_view password,
                                          std::string_view salt, uint32_t iterations) {
  if (iterations == 0 || iterations > static_cast<uint32_t>(INT_MAX) || salt.empty()) {
    return std::nullopt;
  }
  // RFC 5802 §2.2 Normalize(): SASLprep with unassigned code points prohibited (stored strings).
  auto prepared = jid::SaslPrep(password);
  if (!prepared || prepared->empty()) return std::nullopt;
  std::string out(DigestSize(hash), '\0');
  const EVP_MD* md = hash == Hash::kSha1 ? EVP_sha1() : EVP_sha256();
  if (PKCS5_PBKDF2_HMAC(prepared->data(), static_cast<int>(prepared->size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), md,
                        static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    return std::nullopt;
  }
  return out;
}

std::optional<ScramCredential> DeriveScram(Hash hash, std::string_view password,
                                           std::string_view salt, uint32_t iterations) {
  auto salted = SaltedPassword(hash, password, salt, iterations);
  if (!salted) return std::nullopt;
  // RFC 5802 §3.
  ScramCredential cred;
  cred.hash = hash;
  cred.salt = std::string(salt);
  cred.iterations = iterations;
  cred.stored_key = Digest(hash, Hmac(hash, *salted, "Client Key"));
  cred.server_key = Hmac(hash, *salted, "Server Key");
  return cred;
}

std::optional<StoredCredentials> DeriveCredentials(std::string_view password, uint32_t iterations) {
  auto sha1 = DeriveScram(Hash::kSha1, password, RandomBytes(kSaltBytes), iterations);
  if (!sha1) return std::nullopt;
  auto sha256 = DeriveScram(Hash::kSha256, password, RandomBytes(kSaltBytes), iterations);
  if (!sha256) return std::nullopt;
  return StoredCredentials{std::move(*sha1), std::move(*sha256)};
}

bool VerifyPassword(const ScramCredential& cred, std::string_view password) {
  auto derived = DeriveScram(cred.hash, password, cred.salt, cred.iterations);
  if (!derived) return false;
  // Both comparisons always run, so timing does not say which key differed.
  const bool stored_ok = ConstantTimeEqual(derived->stored_key, cred.stored_key);
  const bool server_ok = ConstantTimeEqual(derived->server_key, cred.server_key);
  return stored_ok && server_ok;
}

std::string Base64Encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(raw.data()),
                                  static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.empty()) return std::string();
  if (text.size() % 4 != 0 || text.size() > static_cast<std::size_t>(INT_MAX)) return std::nullopt;
  std::size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    if (!IsBase64Char(text[i])) return std::nullopt;
  }
  // EVP_DecodeBlock decodes padding as zero bytes, so trim them; it also tolerates surrounding
  // whitespace, which the loop above has already refused.
  std::string out(text.size() / 4 * 3, '\0');
  const int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
  if (len < 0 || static_cast<std::size_t>(len) != out.size()) return std::nullopt;
  out.resize(out.size() - padding);
  // RFC 4648 §3.5: refuse non-zero pad bits, i.e. any text that is not the canonical encoding.
  if (Base64Encode(out) != text) return std::nullopt;
  return out;
}

std::string EncodeCredential(const ScramCredential& c) {
  return std::to_string(c.iterations) + "$" + Base64Encode(c.salt) + "$" +
         Base64Encode(c.stored_key) + "$" + Base64Encode(c.server_key);
}

std::optional<ScramCredential> DecodeCredential(Hash hash, std::string_view text) {
  std::string_view fields[4];
  for (int i = 0; i < 4; ++i) {
    const std::size_t dollar = text.find('$');
    if ((i < 3) == (dollar == std::string_view::npos)) return std::nullopt;
    fields[i] = text.substr(0, dollar);
    if (i < 3) text.remove_prefix(dollar + 1);
  }
  ScramCredential c;
  c.hash = hash;
  const std::string_view iter = fields[0];
  if (iter.empty() || iter.front() < '1' || iter.front() > '9') return std::nullopt;
  const auto [end, ec] = std::from_chars(iter.data(), iter.data() + iter.size(), c.iterations);
  if (ec != std::errc() || end != iter.data() + iter.size()) return std::nullopt;
  auto salt = Base64Decode(fields[1]);
  auto stored = Base64Decode(fields[2]);
  auto server = Base64Decode(fields[3]);
  if (!salt || salt->empty() || !stored || !server) return std::nullopt;
  if (stored->size() != DigestSize(hash) || server->size() != DigestSize(hash)) return std::nullopt;
  c.salt = std::move(*salt);
  c.stored_key = std::move(*stored);
  c.server_key = std::move(*server);
  return c;
}

}  // namespace parley::sasl
