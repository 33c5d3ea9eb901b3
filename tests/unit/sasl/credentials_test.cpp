// Credential derivation and storage form, and strict base64.

#include "sasl/credentials.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sasl/crypto.hpp"

namespace parley::sasl {
namespace {

using ::testing::Eq;
using ::testing::Optional;

TEST(Base64, Rfc4648TestVectors) {  // RFC 4648 §10
  const std::pair<const char*, const char*> kVectors[] = {{"", ""},
                                                          {"f", "Zg=="},
                                                          {"fo", "Zm8="},
                                                          {"foo", "Zm9v"},
                                                          {"foob", "Zm9vYg=="},
                                                          {"fooba", "Zm9vYmE="},
                                                          {"foobar", "Zm9vYmFy"}};
  for (const auto& [raw, text] : kVectors) {
    EXPECT_EQ(Base64Encode(raw), text);
    EXPECT_THAT(Base64Decode(text), Optional(Eq(raw)));
  }
}

TEST(Base64, RoundTripsBinary) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes.push_back(static_cast<char>(i));
    EXPECT_THAT(Base64Decode(Base64Encode(bytes)), Optional(Eq(bytes)));
  }
}

TEST(Base64, RejectsAnythingNotCanonical) {
  for (const char* bad : {"Zg=", "Zg", "Z===", "====", "Zh==", "Zm9=", " Zg==", "Zg==\n", "Zg== ",
                          "Zg==Zg==", "Z-8=", "Zm_v", "Zm9v\n", "Z=g=", "Zm9vY", "\xC3\xA9xyz"}) {
    EXPECT_EQ(Base64Decode(bad), std::nullopt) << ::testing::PrintToString(std::string(bad));
  }
  EXPECT_EQ(Base64Decode(std::string("Zm9\0", 4)), std::nullopt);
}

TEST(DeriveScram, Rfc5802KeysMatchTheServerFinal) {
  // The RFC does not list StoredKey/ServerKey; scram_test.cpp checks them through the exchange.
  // Here: deterministic, sized by the hash, and sensitive to every input.
  const std::string salt = *Base64Decode("QSXCR+Q6sek8bf92");
  auto a = DeriveScram(Hash::kSha1, "pencil", salt, 4096);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->stored_key.size(), 20u);
  EXPECT_EQ(a->server_key.size(), 20u);
  EXPECT_EQ(a, DeriveScram(Hash::kSha1, "pencil", salt, 4096));
  EXPECT_NE(a->stored_key, DeriveScram(Hash::kSha1, "pencil", salt, 4095)->stored_key);
  EXPECT_NE(a->stored_key, DeriveScram(Hash::kSha1, "pencil", "x" + salt, 4096)->stored_key);
  EXPECT_NE(a->stored_key, DeriveScram(Hash::kSha1, "Pencil", salt, 4096)->stored_key);
  EXPECT_EQ(DeriveScram(Hash::kSha256, "pencil", salt, 4096)->stored_key.size(), 32u);
}

TEST(DeriveScram, RejectsBadInput) {
  EXPECT_EQ(DeriveScram(Hash::kSha1, "", "salt", 4096), std::nullopt);
  EXPECT_EQ(DeriveScram(Hash::kSha1,
                        "a\x07"
                        "b",
                        "salt", 4096),
            std::nullopt);                                                    // RFC 4013 §2.3
  EXPECT_EQ(DeriveScram(Hash::kSha1, "\u00AD", "salt", 4096), std::nullopt);  // empty after prep
  EXPECT_EQ(DeriveScram(Hash::kSha1, "pencil", "", 4096), std::nullopt);
  EXPECT_EQ(DeriveScram(Hash::kSha1, "pencil", "salt", 0), std::nullopt);
  EXPECT_EQ(DeriveScram(Hash::kSha1, "pencil", "salt", 0x80000000u), std::nullopt);
}

TEST(DeriveCredentials, FreshSaltsAndBothHashes) {
  auto a = DeriveCredentials("pencil", 4096);
  auto b = DeriveCredentials("pencil", 4096);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->sha1.hash, Hash::kSha1);
  EXPECT_EQ(a->sha256.hash, Hash::kSha256);
  EXPECT_EQ(a->sha1.salt.size(), kSaltBytes);
  EXPECT_EQ(a->sha256.salt.size(), kSaltBytes);
  EXPECT_NE(a->sha1.salt, a->sha256.salt);
  EXPECT_NE(a->sha1.salt, b->sha1.salt);
  EXPECT_NE(a->sha256.stored_key, b->sha256.stored_key);
  EXPECT_EQ(a->sha256.iterations, 4096u);
  EXPECT_EQ(DeriveCredentials("", 4096), std::nullopt);
  EXPECT_EQ(DeriveCredentials("bad\x7F", 4096), std::nullopt);
}

TEST(VerifyPassword, AcceptsOnlyThePasswordUpToSaslPrep) {
  auto creds = DeriveCredentials("I\u00ADX pass", 4096);
  ASSERT_TRUE(creds);
  for (const ScramCredential* c : {&creds->sha1, &creds->sha256}) {
    EXPECT_TRUE(VerifyPassword(*c, "I\u00ADX pass"));
    EXPECT_TRUE(VerifyPassword(*c, "IX pass"));       // RFC 4013 §3 example 1
    EXPECT_TRUE(VerifyPassword(*c, "IX\u00A0pass"));  // non-ASCII space maps to SPACE
    EXPECT_FALSE(VerifyPassword(*c, "ix pass"));      // no case folding
    EXPECT_FALSE(VerifyPassword(*c, "IX pass "));
    EXPECT_FALSE(VerifyPassword(*c, ""));
  }
  ScramCredential broken = creds->sha256;
  broken.iterations = 0;
  EXPECT_FALSE(VerifyPassword(broken, "IX pass"));
  broken = creds->sha256;
  broken.stored_key.pop_back();
  EXPECT_FALSE(VerifyPassword(broken, "IX pass"));
}

TEST(CredentialText, RoundTripsAndHasTheDocumentedForm) {
  auto c = DeriveScram(Hash::kSha1, "pencil", *Base64Decode("QSXCR+Q6sek8bf92"), 4096);
  ASSERT_TRUE(c);
  const std::string text = EncodeCredential(*c);
  EXPECT_EQ(text, "4096$QSXCR+Q6sek8bf92$" + Base64Encode(c->stored_key) + "$" +
                      Base64Encode(c->server_key));
  EXPECT_THAT(DecodeCredential(Hash::kSha1, text), Optional(Eq(*c)));
  EXPECT_EQ(DecodeCredential(Hash::kSha256, text), std::nullopt);  // key lengths are SHA-1's
}

TEST(CredentialText, RejectsMalformedText) {
  const std::string k20 = Base64Encode(std::string(20, 'k'));
  const std::string salt = Base64Encode("salt");
  ASSERT_TRUE(DecodeCredential(Hash::kSha1, "1$" + salt + "$" + k20 + "$" + k20));
  for (const std::string& bad :
       {"0$" + salt + "$" + k20 + "$" + k20, "-1$" + salt + "$" + k20 + "$" + k20,
        "+1$" + salt + "$" + k20 + "$" + k20, "01$" + salt + "$" + k20 + "$" + k20,
        "4294967296$" + salt + "$" + k20 + "$" + k20, "1x$" + salt + "$" + k20 + "$" + k20,
        "$" + salt + "$" + k20 + "$" + k20, "1$$" + k20 + "$" + k20, "1$" + salt + "$" + k20,
        "1$" + salt + "$" + k20 + "$" + k20 + "$", "1$" + salt + "$" + k20 + "$" + k20 + "$" + k20,
        "1$" + salt + "$" + k20 + "$" + salt, "1$" + salt + "$" + k20 + "$" + k20 + "=",
        std::string()}) {
    EXPECT_EQ(DecodeCredential(Hash::kSha1, bad), std::nullopt) << bad;
  }
  EXPECT_TRUE(DecodeCredential(Hash::kSha1, "4294967295$" + salt + "$" + k20 + "$" + k20));
}

TEST(Crypto, ConstantTimeEqualAndRandom) {
  EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "ab"));
  EXPECT_TRUE(ConstantTimeEqual("", ""));
  EXPECT_EQ(RandomBytes(24).size(), 24u);
  EXPECT_NE(RandomBytes(16), RandomBytes(16));
}

}  // namespace
}  // namespace parley::sasl
