#include "parley_bench/scram_client.hpp"

#include "sasl/credentials.hpp"
#include "sasl/crypto.hpp"

namespace parley::bench {
namespace {

using sasl::Hash;

std::optional<std::string_view> Field(std::string_view msg, char key) {
  std::size_t at = 0;
  while (at < msg.size()) {
    std::size_t comma = msg.find(',', at);
    std::string_view part = msg.substr(at, comma == std::string_view::npos ? msg.npos : comma - at);
    if (part.size() >= 2 && part[0] == key && part[1] == '=') return part.substr(2);
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<ScramKeyCache::Keys> ScramKeyCache::Get(std::string_view password,
                                                      std::string_view salt, uint32_t iterations) {
  std::string key;
  key.reserve(password.size() + salt.size() + 12);
  key.append(password).push_back('\0');
  key.append(salt).push_back('\0');
  key.append(std::to_string(iterations));
  {
    std::lock_guard lock(mu_);
    if (auto it = keys_.find(key); it != keys_.end()) return it->second;
    ++misses_;
  }
  // RFC 5802 §3; computed outside the lock so that threads derive different accounts in parallel.
  auto salted = sasl::SaltedPassword(Hash::kSha1, password, salt, iterations);
  if (!salted) return std::nullopt;
  Keys keys;
  keys.client_key = sasl::Hmac(Hash::kSha1, *salted, "Client Key");
  keys.stored_key = sasl::Digest(Hash::kSha1, keys.client_key);
  keys.server_key = sasl::Hmac(Hash::kSha1, *salted, "Server Key");
  std::lock_guard lock(mu_);
  keys_.emplace(std::move(key), keys);
  return keys;
}

uint64_t ScramKeyCache::Misses() {
  std::lock_guard lock(mu_);
  return misses_;
}

ScramClient::ScramClient(std::string_view user, std::string_view password)
    : user_(user), password_(password) {}

std::string ScramClient::ClientFirst() {
  // 18 random bytes -> 24 base64 characters, none of them ','.
  client_nonce_ = sasl::Base64Encode(sasl::RandomBytes(18));
  client_first_bare_ = "n=" + std::string(user_) + ",r=" + client_nonce_;
  return sasl::Base64Encode("n,," + client_first_bare_);
}

std::optional<std::string> ScramClient::ClientFinal(std::string_view server_first,
                                                    ScramKeyCache& cache, std::string* error) {
  auto nonce = Field(server_first, 'r');
  auto salt_b64 = Field(server_first, 's');
  auto iter_text = Field(server_first, 'i');
  if (!nonce || !salt_b64 || !iter_text ||
      nonce->substr(0, client_nonce_.size()) != client_nonce_) {
    *error = "malformed server-first-message";
    return std::nullopt;
  }
  auto salt = sasl::Base64Decode(*salt_b64);
  uint32_t iterations = 0;
  for (char c : *iter_text) {
    if (c < '0' || c > '9' || iterations > 100000000) {
      *error = "bad iteration count";
      return std::nullopt;
    }
    iterations = iterations * 10 + static_cast<uint32_t>(c - '0');
  }
  if (!salt || iterations == 0) {
    *error = "bad salt or iteration count";
    return std::nullopt;
  }
  auto keys = cache.Get(password_, *salt, iterations);
  if (!keys) {
    *error = "password rejected by SASLprep";
    return std::nullopt;
  }
  std::string without_proof = "c=biws,r=" + std::string(*nonce);  // biws = base64("n,,")
  std::string auth_message =
      client_first_bare_ + "," + std::string(server_first) + "," + without_proof;
  std::string signature = sasl::Hmac(Hash::kSha1, keys->stored_key, auth_message);
  std::string proof = keys->client_key;
  for (std::size_t i = 0; i < proof.size(); ++i) proof[i] ^= signature[i];
  expected_server_signature_ = sasl::Hmac(Hash::kSha1, keys->server_key, auth_message);
  return sasl::Base64Encode(without_proof + ",p=" + sasl::Base64Encode(proof));
}

bool ScramClient::VerifyServerFinal(std::string_view server_final) const {
  auto v = Field(server_final, 'v');
  if (!v) return false;
  auto sig = sasl::Base64Decode(*v);
  return sig && *sig == expected_server_signature_;
}

std::string PlainResponse(std::string_view user, std::string_view password) {
  std::string raw;
  raw.push_back('\0');
  raw.append(user).push_back('\0');
  raw.append(password);
  return sasl::Base64Encode(raw);
}

}  // namespace parley::bench
