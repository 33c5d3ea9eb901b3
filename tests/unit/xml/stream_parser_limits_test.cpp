// ParserLimits and memory: whatever a peer sends, a parser's memory stays bounded.
#include <gtest/gtest.h>

#include <iostream>

#include "xml/stream_parser.hpp"
#include "xml_test_util.hpp"

namespace parley::xml {
namespace {

using stanza::StreamCondition;
using testing_util::kHeader;
using testing_util::Recorder;

constexpr std::size_t kChunk = 64 * 1024;

// Feeds `prefix`, then `filler` repeated up to `total` bytes in kChunk pieces, stopping at the
// first error. Returns the bytes fed when the error was reported (or `total`), tracking peak
// memory.
struct Flood {
  std::size_t fed = 0;
  std::size_t peak_memory = 0;
  std::size_t peak_buffered = 0;
};

Flood FloodParser(StreamParser& parser, std::string_view prefix, char filler, std::size_t total) {
  Flood f;
  if (!parser.Feed(prefix)) return f;
  std::string chunk(kChunk, filler);
  while (f.fed < total) {
    bool ok = parser.Feed(chunk);
    f.fed += chunk.size();
    f.peak_memory = std::max(f.peak_memory, parser.MemoryUsage());
    f.peak_buffered = std::max(f.peak_buffered, parser.BufferedBytes());
    if (!ok) break;
  }
  return f;
}

std::string Stanza(std::size_t bytes) {  // a <message/> of exactly `bytes` bytes
  std::string head = "<message><body>";
  std::string tail = "</body></message>";
  return head + std::string(bytes - head.size() - tail.size(), 'x') + tail;
}

TEST(StreamParserLimitsTest, StanzaAtTheLimitPassesOneByteMoreFails) {
  ParserLimits limits{.max_stanza_bytes = 1000};
  Recorder rec;
  StreamParser parser(rec, limits);
  ASSERT_TRUE(parser.Feed(std::string(kHeader) + "\n" + Stanza(1000) + "\n  "));
  EXPECT_EQ(rec.stanzas.size(), 1u);
  EXPECT_FALSE(parser.Feed(Stanza(1001)));
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(rec.errors[0].condition, StreamCondition::kPolicyViolation);
  EXPECT_EQ(rec.stanzas.size(), 1u);
}

TEST(StreamParserLimitsTest, ManySmallStanzasInOneBufferAreFine) {
  ParserLimits limits{.max_stanza_bytes = 1000};
  Recorder rec;
  StreamParser parser(rec, limits);
  std::string many = kHeader;
  for (int i = 0; i < 2000; ++i) many += "<presence id='" + std::to_string(i) + "'/>";
  ASSERT_TRUE(parser.Feed(many));
  EXPECT_EQ(rec.stanzas.size(), 2000u);
}

struct FloodCase {
  const char* name;
  std::string prefix;
  char filler;
};

class StreamParserFloodTest : public ::testing::TestWithParam<FloodCase> {};

// A peer streams 16 MiB into one stanza: it is stopped right after the limit, and the parser never
// held much more than the limit.
TEST_P(StreamParserFloodTest, StopsAtTheStanzaLimit) {
  ParserLimits limits;
  Recorder rec;
  StreamParser parser(rec, limits);
  Flood f =
      FloodParser(parser, std::string(kHeader) + GetParam().prefix, GetParam().filler, 16u << 20);
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(rec.errors[0].condition, StreamCondition::kPolicyViolation);
  EXPECT_LE(f.fed, limits.max_stanza_bytes + 2 * kChunk);
  EXPECT_LE(f.peak_buffered, limits.max_stanza_bytes + 8 * 1024);
  EXPECT_LE(f.peak_memory, 4 * limits.max_stanza_bytes);
}

INSTANTIATE_TEST_SUITE_P(Peer, StreamParserFloodTest,
                         ::testing::Values(FloodCase{"HugeAttributeValue", "<message id='", 'a'},
                                           FloodCase{"HugeText", "<message><body>", 'a'},
                                           FloodCase{"HugeWhitespaceInStanza", "<message>", ' '},
                                           FloodCase{"HugeElementName", "<m", 'a'},
                                           FloodCase{"HugeAttributeName", "<m ", 'a'},
                                           FloodCase{"HugeCdata", "<message><![CDATA[", 'a'}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(StreamParserLimitsTest, EndlessWhitespaceBetweenStanzasIsIgnoredInLittleMemory) {
  Recorder rec;
  StreamParser parser(rec);
  Flood f = FloodParser(parser, kHeader, ' ', 16u << 20);
  EXPECT_TRUE(rec.errors.empty());
  EXPECT_LT(f.peak_memory, 48u * 1024);
  EXPECT_FALSE(parser.MidStanza());
  EXPECT_TRUE(parser.Feed("<presence/>"));
  EXPECT_EQ(rec.stanzas.size(), 1u);
}

TEST(StreamParserLimitsTest, NeverEndingHeaderIsStopped) {
  ParserLimits limits;
  Recorder rec;
  StreamParser parser(rec, limits);
  Flood f =
      FloodParser(parser, "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='",
                  'a', 16u << 20);
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(rec.errors[0].condition, StreamCondition::kPolicyViolation);
  EXPECT_LE(f.fed, kChunk);
  EXPECT_LT(f.peak_memory, 128u * 1024);
}

TEST(StreamParserLimitsTest, EndlessWhitespaceBeforeTheHeaderIsStopped) {
  Recorder rec;
  StreamParser parser(rec);
  FloodParser(parser, "<?xml version='1.0'?>", '\n', 1u << 20);
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(rec.errors[0].condition, StreamCondition::kPolicyViolation);
}

TEST(StreamParserLimitsTest, HeaderJustOverTheLimitInOneBuffer) {
  Recorder rec;
  StreamParser parser(rec, ParserLimits{.max_header_bytes = 100});
  EXPECT_FALSE(parser.Feed(std::string(kHeader) + "<presence/>"));  // kHeader is > 100 bytes
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(rec.errors[0].condition, StreamCondition::kPolicyViolation);
  EXPECT_TRUE(rec.opens.empty());
}

std::string Nested(std::size_t depth) {
  std::string s;
  for (std::size_t i = 0; i < depth; ++i) s += "<a>";
  for (std::size_t i = 0; i < depth; ++i) s += "</a>";
  return s;
}

TEST(StreamParserLimitsTest, DepthLimit) {
  Recorder rec;
  StreamParser parser(rec, ParserLimits{.max_depth = 32});
  ASSERT_TRUE(parser.Feed(std::string(kHeader) + Nested(32)));
  EXPECT_EQ(rec.stanzas.size(), 1u);
  EXPECT_FALSE(parser.Feed(Nested(33)));
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(rec.errors[0].condition, StreamCondition::kPolicyViolation);
}

std::string WithAttributes(std::size_t n, bool as_namespaces = false) {
  std::string s = "<message";
  for (std::size_t i = 0; i < n; ++i) {
    s += as_namespaces ? " xmlns:p" : " a";
    s += std::to_string(i) + "='urn:" + std::to_string(i) + "'";
  }
  return s + "/>";
}

TEST(StreamParserLimitsTest, AttributeLimit) {
  Recorder rec;
  StreamParser parser(rec, ParserLimits{.max_attributes = 64});
  ASSERT_TRUE(parser.Feed(std::string(kHeader) + WithAttributes(64) + WithAttributes(64, true)));
  EXPECT_EQ(rec.stanzas.size(), 2u);
  EXPECT_FALSE(parser.Feed(WithAttributes(65)));
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(rec.errors[0].condition, StreamCondition::kPolicyViolation);
}

TEST(StreamParserLimitsTest, NamespaceDeclarationsCountAsAttributes) {
  Recorder rec;
  StreamParser parser(rec, ParserLimits{.max_attributes = 64});
  EXPECT_FALSE(parser.Feed(std::string(kHeader) + WithAttributes(65, true)));
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(rec.errors[0].condition, StreamCondition::kPolicyViolation);
}

TEST(StreamParserLimitsTest, NodeLimit) {
  Recorder rec;
  StreamParser parser(rec, ParserLimits{.max_nodes = 100});
  std::string ok = "<iq>";
  for (int i = 0; i < 99; ++i) ok += "<a/>";
  ASSERT_TRUE(parser.Feed(std::string(kHeader) + ok + "</iq>"));
  EXPECT_FALSE(parser.Feed(ok + "<a/></iq>"));
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(rec.errors[0].condition, StreamCondition::kPolicyViolation);
}

// What one idle connection's parser costs; the figure is printed for the record.
TEST(StreamParserMemoryTest, IdleParserIsSmall) {
  Recorder rec;
  StreamParser fresh(rec);
  StreamParser parser(rec);
  ASSERT_TRUE(parser.Feed(std::string(kHeader) +
                          "<message to='a@b'><body>hi</body></message><presence/>"
                          "<iq type='get' id='1'><query xmlns='jabber:iq:roster'/></iq>"));
  std::cout << "[ memory   ] fresh parser: " << fresh.MemoryUsage()
            << " B; idle parser after a stream header and 3 stanzas: " << parser.MemoryUsage()
            << " B (sizeof(StreamParser) = " << sizeof(StreamParser) << " B)\n";
  EXPECT_LT(parser.MemoryUsage(), 16u * 1024);
  RecordProperty("idle_parser_bytes", static_cast<int>(parser.MemoryUsage()));
}

TEST(StreamParserMemoryTest, MemoryIsReturnedAfterABigStanza) {
  Recorder rec;
  StreamParser parser(rec);
  ASSERT_TRUE(parser.Feed(
      "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
      "xmlns:db='jabber:server:dialback'>"));
  std::size_t idle = parser.MemoryUsage();
  std::string big = "<message id='" + std::string(100 * 1024, 'i') + "'><body>" +
                    std::string(100 * 1024, 'b') + "</body></message>";
  for (std::size_t i = 0; i < big.size(); i += 1000) ASSERT_TRUE(parser.Feed(big.substr(i, 1000)));
  ASSERT_EQ(rec.stanzas.size(), 1u);
  EXPECT_LT(parser.MemoryUsage(), idle + 4 * 1024);
  // The rebuilt parser still knows the stream's namespaces.
  ASSERT_TRUE(parser.Feed("<db:result to='a' from='b'>k</db:result><message/>"));
  ASSERT_EQ(rec.stanzas.size(), 3u);
  EXPECT_EQ(rec.stanzas[1].Xmlns(), "jabber:server:dialback");
  EXPECT_EQ(rec.stanzas[2].Xmlns(), "jabber:server");
  EXPECT_EQ(rec.opens.size(), 1u);
  EXPECT_TRUE(rec.errors.empty());
}

}  // namespace
}  // namespace parley::xml
