// Stringprep profiles: RFC 4013 §3 examples, non-ASCII behaviour, and the ASCII fast path agreeing
// with ICU.

#include "jid/stringprep.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::jid {
namespace {

using ::testing::Eq;
using ::testing::Optional;

constexpr Profile kAllProfiles[] = {Profile::kNodeprep, Profile::kNameprep, Profile::kResourceprep,
                                    Profile::kSaslprep};

// RFC 4013 §3, the table of examples, line by line.
TEST(SaslPrep, Rfc4013Examples) {
  EXPECT_THAT(SaslPrep("I\u00ADX"), Optional(Eq("IX")));  // 1: SOFT HYPHEN mapped to nothing
  EXPECT_THAT(SaslPrep("user"), Optional(Eq("user")));    // 2: no transformation
  EXPECT_THAT(SaslPrep("USER"), Optional(Eq("USER")));    // 3: case preserved
  EXPECT_THAT(SaslPrep("\u00AA"), Optional(Eq("a")));     // 4: output is NFKC
  EXPECT_THAT(SaslPrep("\u2168"), Optional(Eq("IX")));    // 5: output is NFKC
  EXPECT_EQ(SaslPrep("\u0007"), std::nullopt);            // 6: prohibited character
  EXPECT_EQ(SaslPrep("\u0627\u0031"), std::nullopt);      // 7: bidirectional check
}

TEST(SaslPrep, MapsNonAsciiSpaceToSpaceAndKeepsAsciiSpace) {
  // RFC 4013 §2.1: C.1.2 non-ASCII space characters map to SPACE.
  EXPECT_THAT(SaslPrep("pass\u00A0word"), Optional(Eq("pass word")));
  EXPECT_THAT(SaslPrep("pass word"), Optional(Eq("pass word")));
  EXPECT_EQ(SaslPrep(std::string("a\0b", 3)), std::nullopt);
  EXPECT_EQ(SaslPrep("a\x7F"), std::nullopt);
}

TEST(NodePrep, FoldsCaseAndNormalises) {
  EXPECT_THAT(NodePrep("Juliet"), Optional(Eq("juliet")));
  EXPECT_THAT(NodePrep("\u01C5"), Optional(Eq("d\u017E")));          // ǅ: fold to ǆ, NFKC to dž
  EXPECT_THAT(NodePrep("Fu\u00DFball"), Optional(Eq("fussball")));   // ß -> ss (table B.2)
  EXPECT_THAT(NodePrep("\uFF21\uFF22\uFF23"), Optional(Eq("abc")));  // fullwidth ABC
  EXPECT_THAT(NodePrep("\u03A3"), Optional(Eq("\u03C3")));           // Σ -> σ
  EXPECT_THAT(NodePrep("\u03C2"), Optional(Eq("\u03C3")));           // final sigma ς -> σ
  EXPECT_THAT(NodePrep("a\u00ADb"), Optional(Eq("ab")));             // B.1: mapped to nothing
  EXPECT_THAT(NodePrep("henry\u2163"), Optional(Eq("henryiv")));     // NFKC of ROMAN NUMERAL FOUR
}

TEST(NodePrep, ProhibitsAppendixA5Characters) {
  for (const char* bad :
       {"a b", "\"q\"", "a&b", "a'b", "a/b", "a:b", "a<b", "a>b", "a@b", "a\tb"}) {
    EXPECT_EQ(NodePrep(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(NodePrep("\uFF20"), std::nullopt);        // fullwidth '@' normalises to '@'
  EXPECT_EQ(NodePrep("a\u3000b"), std::nullopt);      // C.1.2 ideographic space
  EXPECT_EQ(NodePrep("\uE000"), std::nullopt);        // C.3 private use
  EXPECT_EQ(NodePrep("\u0221"), std::nullopt);        // unassigned in Unicode 3.2 (table A.1)
  EXPECT_EQ(NodePrep("\xC3"), std::nullopt);          // truncated UTF-8
  EXPECT_EQ(NodePrep("\xC0\xAF"), std::nullopt);      // overlong '/'
  EXPECT_EQ(NodePrep("\xED\xA0\x80"), std::nullopt);  // encoded surrogate
}

TEST(ResourcePrep, KeepsCaseAndSpaces) {
  EXPECT_THAT(ResourcePrep("Foo Bar"), Optional(Eq("Foo Bar")));
  EXPECT_THAT(ResourcePrep("\uFF21\uFF22"), Optional(Eq("AB")));  // NFKC only, no folding
  EXPECT_THAT(ResourcePrep("a@b/c"), Optional(Eq("a@b/c")));
  EXPECT_THAT(ResourcePrep("\u265A"), Optional(Eq("\u265A")));  // ♚
  EXPECT_EQ(ResourcePrep("a\nb"), std::nullopt);
  EXPECT_EQ(ResourcePrep("\uFFFF"), std::nullopt);   // C.4 non-character
  EXPECT_EQ(ResourcePrep("a\u2028"), std::nullopt);  // C.2.2 line separator
}

TEST(NamePrep, FoldsCaseAndChecksBidi) {
  EXPECT_THAT(NamePrep("EXAMPLE"), Optional(Eq("example")));
  EXPECT_THAT(NamePrep("\u00C9xample"), Optional(Eq("\u00E9xample")));
  EXPECT_THAT(NamePrep("\u0627\u0031\u0628"), Optional(Eq("\u0627\u0031\u0628")));
  EXPECT_EQ(NamePrep("\u0627\u0031"), std::nullopt);  // RFC 3454 §6: RandALCat must end it too
}

TEST(Utf8, ValidatesWellFormedness) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));
  EXPECT_TRUE(IsValidUtf8("\u00E9\u4E2D\U0001F600"));
  for (const char* bad :
       {"\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF", "a\x80"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << ::testing::PrintToString(std::string(bad));
  }
}

TEST(Stringprep, EmptyInputIsEmptyOutput) {
  for (Profile p : kAllProfiles) {
    EXPECT_THAT(Prepare(p, ""), Optional(Eq("")));
    EXPECT_THAT(detail::IcuPrepare(p, ""), Optional(Eq("")));
  }
}

// The fast path must be an optimisation only: on every ASCII input it answers exactly as ICU does.
TEST(Stringprep, AsciiFastPathAgreesWithIcu) {
  std::vector<std::string> inputs;
  for (int c = 0; c < 0x80; ++c) {
    inputs.emplace_back(1, static_cast<char>(c));
    inputs.push_back("Ab" + std::string(1, static_cast<char>(c)) + "Yz");
  }
  for (const char* s :
       {"juliet", "JULIET", "Romeo.Montague", "foo bar", "\"quoted\"", "user@example.com/Res",
        "Hello, World!", "~!#$%^*()_+-={}[]|\\;,.?`", "MiXeD-CaSe_123", "tab\there"}) {
    inputs.emplace_back(s);
  }
  for (Profile p : kAllProfiles) {
    for (const std::string& in : inputs) {
      EXPECT_EQ(detail::AsciiPrepare(p, in), detail::IcuPrepare(p, in))
          << "profile " << static_cast<int>(p) << " input bytes " << ::testing::PrintToString(in);
    }
  }
}

}  // namespace
}  // namespace parley::jid
