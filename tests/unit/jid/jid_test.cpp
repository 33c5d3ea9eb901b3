// Jid: RFC 6122 parsing and normalisation, plus the examples of RFC 7622 §3.5 that also hold
// under the RFC 6122 (stringprep) rules.

#include "jid/jid.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <unordered_set>
#include <vector>

namespace parley::jid {
namespace {

std::string FullOf(std::string_view text) {
  auto jid = Jid::Parse(text);
  return jid ? jid->Full() : std::string("<invalid>");
}

TEST(Jid, ParsesParts) {
  auto jid = Jid::Parse("juliet@example.com/balcony");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->Local(), "juliet");
  EXPECT_EQ(jid->Domain(), "example.com");
  EXPECT_EQ(jid->Resource(), "balcony");
  EXPECT_FALSE(jid->Empty());
  EXPECT_FALSE(jid->IsBare());
  EXPECT_FALSE(jid->IsDomain());
  EXPECT_EQ(jid->BareString(), "juliet@example.com");
  EXPECT_EQ(jid->Full(), "juliet@example.com/balcony");
  EXPECT_EQ(jid->Bare().Full(), "juliet@example.com");
  EXPECT_TRUE(jid->Bare().IsBare());
}

TEST(Jid, DomainOnlyAndDomainWithResource) {
  auto domain = Jid::Parse("example.com");
  ASSERT_TRUE(domain);
  EXPECT_TRUE(domain->IsDomain());
  EXPECT_TRUE(domain->IsBare());
  EXPECT_EQ(domain->BareString(), "example.com");
  auto with_resource = Jid::Parse("example.com/foobar");
  ASSERT_TRUE(with_resource);
  EXPECT_FALSE(with_resource->IsDomain());
  EXPECT_EQ(with_resource->Local(), "");
  EXPECT_EQ(with_resource->Resource(), "foobar");
}

TEST(Jid, EmptyJid) {
  Jid empty;
  EXPECT_TRUE(empty.Empty());
  EXPECT_FALSE(empty.IsBare());
  EXPECT_FALSE(empty.IsDomain());
  EXPECT_EQ(empty.WithResource("r"), std::nullopt);
  EXPECT_EQ(empty, Jid());
}

// RFC 7622 §3.5.1 valid examples, with the results RFC 6122's stringprep profiles give.
TEST(Jid, Rfc7622ValidExamples) {
  EXPECT_EQ(FullOf("juliet@example.com"), "juliet@example.com");
  EXPECT_EQ(FullOf("juliet@example.com/foo"), "juliet@example.com/foo");
  EXPECT_EQ(FullOf("juliet@example.com/foo bar"), "juliet@example.com/foo bar");
  EXPECT_EQ(FullOf("juliet@example.com/foo@bar"), "juliet@example.com/foo@bar");
  EXPECT_EQ(FullOf("foo\\20bar@example.com"), "foo\\20bar@example.com");
  EXPECT_EQ(FullOf("fussball@example.com"), "fussball@example.com");
  EXPECT_EQ(FullOf("fu\u00DFball@example.com"), "fussball@example.com");
  EXPECT_EQ(FullOf("\u03C0@example.com"), "\u03C0@example.com");
  EXPECT_EQ(FullOf("\u03A3@example.com/foo"), "\u03C3@example.com/foo");
  EXPECT_EQ(FullOf("\u03C2@example.com/foo"), "\u03C3@example.com/foo");
  EXPECT_EQ(FullOf("king@example.com/\u265A"), "king@example.com/\u265A");
  EXPECT_EQ(FullOf("a.example.com/b@example.net"), "a.example.com/b@example.net");
}

// RFC 7622 §3.5.2 invalid examples that stringprep rejects as well.
TEST(Jid, Rfc7622InvalidExamples) {
  for (const char* bad : {"\"juliet\"@example.com", "foo bar@example.com", "@example.com/",
                          "juliet@", "/foobar", "", "juliet@example.com/", "@example.com"}) {
    EXPECT_EQ(Jid::Parse(bad), std::nullopt) << bad;
  }
}

TEST(Jid, SeparatorPlacement) {
  // RFC 6122 §2.1: the first '/' starts the resource; the first '@' before it ends the local part.
  EXPECT_EQ(FullOf("a@b.example/c@d/e"), "a@b.example/c@d/e");
  EXPECT_EQ(FullOf("b.example/a@c"), "b.example/a@c");
  EXPECT_EQ(Jid::Parse("a@b@example.com"), std::nullopt);  // domain "b@example.com"
  EXPECT_EQ(Jid::Parse("a@/r"), std::nullopt);
  EXPECT_EQ(Jid::Parse("/"), std::nullopt);
  EXPECT_EQ(Jid::Parse("@"), std::nullopt);
  EXPECT_EQ(Jid::Parse("a@example.com//"), std::optional(*Jid::FromParts("a", "example.com", "/")));
}

TEST(Jid, CaseFoldingPerPart) {
  auto jid = Jid::Parse("JuLiEt@ExAmPlE.CoM/BaLcOnY");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->Full(), "juliet@example.com/BaLcOnY");  // resourceprep does not fold case
  EXPECT_EQ(*jid, *Jid::Parse("juliet@example.com/BaLcOnY"));
  EXPECT_NE(*jid, *Jid::Parse("juliet@example.com/balcony"));
  EXPECT_EQ(FullOf("\u01C5@example.com"), "d\u017E@example.com");  // ǅ -> ǆ -> dž
  EXPECT_EQ(FullOf("\uFF2A\uFF35\uFF2C\uFF29\uFF25\uFF34@example.com/\uFF21"),
            "juliet@example.com/A");
  EXPECT_EQ(FullOf("user@\u00C9XAMPLE.com"), "user@\u00E9xample.com");
}

TEST(Jid, DomainRules) {
  EXPECT_EQ(FullOf("user@example.com."), "user@example.com");  // RFC 6122 §2.2 trailing dot
  EXPECT_EQ(FullOf("example.com./r"), "example.com/r");
  EXPECT_EQ(FullOf("user@example\u3002com"), "user@example.com");  // ideographic full stop
  EXPECT_EQ(FullOf("user@127.0.0.1"), "user@127.0.0.1");
  EXPECT_EQ(FullOf("user@[2001:DB8:0:0::1]/r"), "user@[2001:db8::1]/r");
  EXPECT_EQ(FullOf("[::1]"), "[::1]");
  for (const char* bad : {"user@.", "user@example..com", "user@.example.com", "user@exa mple.com",
                          "user@exa_mple.com", "user@[::1", "user@[not-ip]", "user@[]",
                          "user@example.com..", "user@ex\u00A0ample.com", "user@\uFF0F"}) {
    EXPECT_EQ(Jid::Parse(bad), std::nullopt) << bad;
  }
}

TEST(Jid, ProhibitedCharacters) {
  for (const char* bad :
       {"a:b@example.com", "a<b@example.com", "a>b@example.com", "a&b@example.com",
        "a'b@example.com", "\uFF20@example.com", "a\x01@example.com", "a@example.com/r\x7F",
        "a@example.com/\uE000", "\xFF@example.com", "a@example.com/\xC3"}) {
    EXPECT_EQ(Jid::Parse(bad), std::nullopt) << ::testing::PrintToString(std::string(bad));
  }
}

TEST(Jid, PartLengthLimits) {
  const std::string k1023(1023, 'a');
  const std::string k1024(1024, 'a');
  EXPECT_TRUE(Jid::Parse(k1023 + "@example.com/" + k1023));
  EXPECT_EQ(Jid::Parse(k1024 + "@example.com"), std::nullopt);
  EXPECT_EQ(Jid::Parse("a@example.com/" + k1024), std::nullopt);
  // The limit applies to the prepared form: 512 × 'ß' (1024 bytes) folds to 1024 × 's'.
  std::string sharp_s;
  for (int i = 0; i < 512; ++i) sharp_s += "\u00DF";
  EXPECT_EQ(Jid::Parse(sharp_s + "@example.com"), std::nullopt);
  EXPECT_EQ(Jid::Parse("a@example.com/" + sharp_s), std::nullopt);  // 1024 bytes, no folding
  // Domain: 1023 bytes of labels is fine, 1025 is not.
  std::string domain;
  while (domain.size() < 1021) domain += "abcdefg.";
  domain.resize(1023, 'x');
  ASSERT_EQ(domain.size(), 1023u);
  EXPECT_TRUE(Jid::Parse("u@" + domain));
  EXPECT_EQ(Jid::Parse("u@" + domain + "xy"), std::nullopt);
}

TEST(Jid, FromPartsAndWithResource) {
  auto jid = Jid::FromParts("Juliet", "Example.COM");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->Full(), "juliet@example.com");
  auto full = jid->WithResource("\uFF21r");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->Full(), "juliet@example.com/Ar");
  EXPECT_EQ(jid->WithResource(""), std::nullopt);
  EXPECT_EQ(jid->WithResource("bad\n"), std::nullopt);
  EXPECT_EQ(Jid::FromParts("a", ""), std::nullopt);
  EXPECT_EQ(Jid::FromParts("a@b", "example.com"), std::nullopt);
  EXPECT_EQ(*Jid::FromParts("", "example.com", "r"), *Jid::Parse("example.com/r"));
}

TEST(Jid, ComparisonAndHash) {
  auto a = *Jid::Parse("ALICE@example.com/x");
  auto b = *Jid::Parse("alice@EXAMPLE.com/x");
  EXPECT_EQ(a, b);
  EXPECT_EQ(JidHash()(a), JidHash()(b));
  EXPECT_LT(*Jid::Parse("z@a.example"), *Jid::Parse("a@b.example"));  // domain sorts first
  std::unordered_set<Jid, JidHash> set{a, b, a.Bare(), *Jid::Parse("example.com")};
  EXPECT_EQ(set.size(), 3u);
  EXPECT_NE(JidHash()(*Jid::Parse("a@b")), JidHash()(*Jid::Parse("b/a")));
}

// Parse() remembers recent answers per thread; asking again, or many times over with other inputs
// in between (which replace entries), must give what preparing the text afresh gives.
TEST(Jid, RepeatedParsesAgreeWithUncachedParses) {
  std::vector<std::string> inputs = {"ALICE@Example.com/Laptop",
                                     "alice@example.com/Laptop",
                                     "bad@@example.com",
                                     "@example.com",
                                     "example.com.",
                                     "u@[::1]/r",
                                     std::string(200, 'a') + "@example.com"};
  for (int i = 0; i < 2000; ++i) inputs.push_back("user" + std::to_string(i) + "@Example.COM/r");
  for (int round = 0; round < 3; ++round) {
    for (const std::string& text : inputs) {
      EXPECT_EQ(Jid::Parse(text), Jid::ParseUncached(text)) << text;
    }
  }
  EXPECT_EQ(Jid::Parse("bad@@example.com"), std::nullopt);
  EXPECT_EQ(Jid::Parse("ALICE@Example.com/Laptop")->Full(), "alice@example.com/Laptop");
}

}  // namespace
}  // namespace parley::jid
