#pragma once
// Thin wrappers over OpenSSL's one-shot digest, HMAC and random APIs, for SCRAM and PLAIN.
// Stateless and thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

#include "sasl/credentials.hpp"

namespace parley::sasl {

std::size_t DigestSize(Hash hash);                     // 20 or 32
std::string_view HashName(Hash hash);                  // "SHA-1", "SHA-256" (as in mechanism names)
std::string Digest(Hash hash, std::string_view data);  // RFC 5802 §2.2 H()
std::string Hmac(Hash hash, std::string_view key, std::string_view data);  // RFC 5802 §2.2 HMAC()
// Bytes from the OpenSSL CSPRNG; aborts if it cannot provide them (nothing safe to do then).
std::string RandomBytes(std::size_t n);
// Constant time for equal sizes (CRYPTO_memcmp); different sizes are simply unequal.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace parley::sasl
