// StreamParser::ReleaseIfIdle(): between stanzas the expat parser is freed and the parser costs
// (almost) nothing; the next bytes rebuild it from the stream tag's namespace declarations and
// nothing observable changes. (release_mode_test.cpp also runs every other parser test this way.)
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "xml/stream_parser.hpp"
#include "xml_test_util.hpp"

namespace parley::xml {
namespace {

using stanza::StreamCondition;
using testing_util::kHeader;
using testing_util::Recorder;
using testing_util::ReleasingStreamParser;

constexpr std::size_t kIdleHeapBytes = 512;  // besides sizeof(StreamParser)

std::size_t HeapBytes(const StreamParser& p) { return p.MemoryUsage() - sizeof(StreamParser); }

TEST(StreamParserReleaseTest, MemoryDropsToTheIdleFigureBetweenStanzas) {
  Recorder rec;
  StreamParser parser(rec);
  EXPECT_LT(HeapBytes(parser), kIdleHeapBytes);  // nothing until the first byte
  ASSERT_TRUE(parser.Feed(kHeader));
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(parser.Feed("<message to='a@b' id='" + std::to_string(i) +
                            "'><body>hi</body></message><presence/>"
                            "<iq type='get' id='1'><query xmlns='jabber:iq:roster'/></iq>"));
  }
  std::size_t live = HeapBytes(parser);
  parser.ReleaseIfIdle();
  std::size_t idle = HeapBytes(parser);
  std::cout << "[ memory   ] after a stream header and 300 stanzas: " << live << " B of heap live, "
            << idle << " B released (sizeof(StreamParser) = " << sizeof(StreamParser) << " B)\n";
  RecordProperty("released_parser_heap_bytes", static_cast<int>(idle));
  EXPECT_GT(live, 8u * 1024);
  EXPECT_LT(idle, kIdleHeapBytes);
  ASSERT_TRUE(parser.Feed("<presence/>"));
  EXPECT_GT(HeapBytes(parser), 8u * 1024);
  parser.ReleaseIfIdle();
  EXPECT_EQ(HeapBytes(parser), idle);
  // A whitespace keepalive needs no rebuild.
  ASSERT_TRUE(parser.Feed(" \r\n\t "));
  EXPECT_EQ(HeapBytes(parser), idle);
  EXPECT_EQ(rec.stanzas.size(), 301u);
  EXPECT_EQ(rec.opens.size(), 1u);
  EXPECT_TRUE(rec.errors.empty());
}

TEST(StreamParserReleaseTest, NothingIsReleasedMidStanzaOrMidHeader) {
  Recorder rec;
  StreamParser parser(rec);
  std::string header = kHeader;
  ASSERT_TRUE(parser.Feed(header.substr(0, 20)));
  parser.ReleaseIfIdle();
  EXPECT_GT(HeapBytes(parser), 1024u);
  ASSERT_TRUE(parser.Feed(header.substr(20)));
  parser.ReleaseIfIdle();
  ASSERT_TRUE(parser.Feed("<message id='1'><bo"));
  parser.ReleaseIfIdle();
  EXPECT_TRUE(parser.MidStanza());
  EXPECT_GT(HeapBytes(parser), 1024u);
  ASSERT_TRUE(parser.Feed("dy>x</body></message><pres"));
  parser.ReleaseIfIdle();
  EXPECT_TRUE(parser.MidStanza());
  EXPECT_EQ(parser.BufferedBytes(), 5u);
  ASSERT_TRUE(parser.Feed("ence/>"));
  parser.ReleaseIfIdle();
  EXPECT_LT(HeapBytes(parser), kIdleHeapBytes);
  ASSERT_EQ(rec.stanzas.size(), 2u);
  EXPECT_EQ(rec.stanzas[0].Child("body")->Text(), "x");
  EXPECT_EQ(rec.stanzas[1].Name(), "presence");
  EXPECT_EQ(rec.opens.size(), 1u);
}

TEST(StreamParserReleaseTest, FirstBytesOfAStanzaAfterARelease) {
  Recorder rec;
  ReleasingStreamParser parser(rec);
  ASSERT_TRUE(parser.Feed(kHeader));
  const std::string stanzas =
      "\n<message id='1' xml:lang='fr'><body>a &amp; b</body></message> \n"
      "<iq type='get' id='2'><query xmlns='jabber:iq:roster'/></iq>";
  for (std::size_t i = 0; i < stanzas.size(); ++i) {
    ASSERT_TRUE(parser.Feed(stanzas.substr(i, 1))) << "byte " << i;
  }
  ASSERT_EQ(rec.stanzas.size(), 2u);
  EXPECT_EQ(rec.stanzas[0].Xmlns(), "jabber:client");
  EXPECT_EQ(rec.stanzas[0].AttrOr("xml:lang"), "fr");
  EXPECT_EQ(rec.stanzas[0].Child("body")->Text(), "a & b");
  EXPECT_EQ(rec.stanzas[1].Child("query")->Xmlns(), "jabber:iq:roster");
  EXPECT_EQ(rec.opens.size(), 1u);
  EXPECT_TRUE(rec.errors.empty());
  EXPECT_LT(HeapBytes(parser), kIdleHeapBytes);
}

TEST(StreamParserReleaseTest, PrefixesDeclaredOnTheStreamResolveAfterARebuild) {
  Recorder rec;
  ReleasingStreamParser parser(rec);
  ASSERT_TRUE(parser.Feed(
      "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
      "xmlns:db='jabber:server:dialback' xmlns:e='urn:a&amp;b&apos;c' to='example.com'>"));
  ASSERT_LT(HeapBytes(parser), kIdleHeapBytes);
  ASSERT_TRUE(parser.Feed("<db:result from='a' to='b'>key</db:result>"));
  ASSERT_TRUE(parser.Feed("<message e:flag='1'><e:x/></message>"));
  ASSERT_TRUE(parser.Feed("<stream:features/>"));
  ASSERT_EQ(rec.stanzas.size(), 3u);
  EXPECT_EQ(rec.stanzas[0].Name(), "result");
  EXPECT_EQ(rec.stanzas[0].Xmlns(), "jabber:server:dialback");
  EXPECT_EQ(rec.stanzas[1].Xmlns(), "jabber:server");
  EXPECT_EQ(rec.stanzas[1].AttrOr("{urn:a&b'c}flag"), "1");
  EXPECT_EQ(rec.stanzas[1].Child("x")->Xmlns(), "urn:a&b'c");
  EXPECT_EQ(rec.stanzas[2].Xmlns(), kNsStreams);
  ASSERT_TRUE(parser.Feed("</stream:stream>"));
  EXPECT_EQ(rec.closes, 1);
  EXPECT_EQ(rec.opens.size(), 1u);
  EXPECT_TRUE(rec.errors.empty());
}

TEST(StreamParserReleaseTest, AnotherStreamPrefixSurvivesARebuild) {
  Recorder rec;
  ReleasingStreamParser parser(rec);
  ASSERT_TRUE(parser.Feed("<s:stream xmlns:s='http://etherx.jabber.org/streams'>"));
  ASSERT_TRUE(parser.Feed("<s:features/>"));
  ASSERT_EQ(rec.stanzas.size(), 1u);
  EXPECT_EQ(rec.stanzas[0].Xmlns(), kNsStreams);
  ASSERT_TRUE(parser.Feed("<message/></s:stream>"));  // no default namespace on this stream
  ASSERT_EQ(rec.stanzas.size(), 2u);
  EXPECT_EQ(rec.stanzas[1].Xmlns(), "");
  EXPECT_EQ(rec.closes, 1);
  EXPECT_TRUE(rec.errors.empty());
}

// The same input, fed in the same pieces, to a parser that never releases and to one released
// after every piece: the handler must see the same events.
struct Events {
  std::size_t opens = 0;
  std::vector<Element> stanzas;
  int closes = 0;
  std::vector<std::pair<StreamCondition, std::string>> errors;
  bool operator==(const Events&) const = default;
};

template <typename Parser>
Events FeedAll(const std::vector<std::string>& pieces, ParserLimits limits) {
  Recorder rec;
  Parser parser(rec, limits);
  for (const std::string& piece : pieces) {
    if (!parser.Feed(piece)) break;
  }
  Events e{rec.opens.size(), rec.stanzas, rec.closes, {}};
  for (const ParseError& err : rec.errors) e.errors.emplace_back(err.condition, err.text);
  return e;
}

struct AfterRebuildCase {
  const char* name;
  std::string after_header;  // fed after the stream header has been released
  StreamCondition condition;
};

class StreamParserAfterRebuildTest : public ::testing::TestWithParam<AfterRebuildCase> {};

TEST_P(StreamParserAfterRebuildTest, SameErrorAsWithoutRelease) {
  ParserLimits limits{.max_stanza_bytes = 200, .max_depth = 4, .max_attributes = 6};
  std::vector<std::string> pieces = {kHeader, "<presence/>", GetParam().after_header};
  Events plain = FeedAll<StreamParser>(pieces, limits);
  Events released = FeedAll<ReleasingStreamParser>(pieces, limits);
  ASSERT_EQ(released.errors.size(), 1u);
  EXPECT_EQ(released.errors[0].first, GetParam().condition) << released.errors[0].second;
  EXPECT_EQ(released, plain);
  EXPECT_EQ(released.stanzas.size(), 1u);
  // And fed byte by byte, released after every byte.
  std::vector<std::string> bytes = {kHeader};
  for (char c : GetParam().after_header) bytes.emplace_back(1, c);
  Events byte_by_byte = FeedAll<ReleasingStreamParser>(bytes, limits);
  ASSERT_EQ(byte_by_byte.errors.size(), 1u);
  EXPECT_EQ(byte_by_byte.errors[0].first, GetParam().condition);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc6120, StreamParserAfterRebuildTest,
    ::testing::Values(
        AfterRebuildCase{"Comment", "<!-- hi -->", StreamCondition::kRestrictedXml},
        AfterRebuildCase{"CommentInStanza", "<message><!-- hi --></message>",
                         StreamCondition::kRestrictedXml},
        AfterRebuildCase{"ProcessingInstruction", "<?php x ?>", StreamCondition::kRestrictedXml},
        AfterRebuildCase{"Doctype", "<!DOCTYPE s>", StreamCondition::kNotWellFormed},
        AfterRebuildCase{"XmlDecl", "<?xml version='1.0'?>", StreamCondition::kNotWellFormed},
        AfterRebuildCase{"UndefinedEntity", "<message>&nbsp;</message>",
                         StreamCondition::kNotWellFormed},
        AfterRebuildCase{"UnboundPrefix", "<foo:message/>", StreamCondition::kNotWellFormed},
        AfterRebuildCase{"MismatchedClose", "</stream:streams>", StreamCondition::kNotWellFormed},
        AfterRebuildCase{"TextBetweenStanzas", "hello", StreamCondition::kBadFormat},
        AfterRebuildCase{"StanzaTooLarge", "<message>" + std::string(300, 'x') + "</message>",
                         StreamCondition::kPolicyViolation},
        AfterRebuildCase{"TooDeep", "<a><b><c><d><e/></d></c></b></a>",
                         StreamCondition::kPolicyViolation},
        AfterRebuildCase{"TooManyAttributes", "<a b='1' c='2' d='3' e='4' f='5' g='6' h='7'/>",
                         StreamCondition::kPolicyViolation},
        AfterRebuildCase{"Nul", std::string("<a>\0</a>", 8), StreamCondition::kNotWellFormed}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(StreamParserReleaseTest, SameEventsWhateverThePieceSize) {
  const std::string stream =
      std::string("<?xml version='1.0'?>\n") + kHeader +
      "<message to='juliet@example.com' type='chat'><body>Art thou &lt;Romeo&gt;?</body>"
      "<x xmlns='jabber:x:data'><field var='a'><value>1</value></field></x></message>\n \n"
      "<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>"
      "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features> "
      "<presence><![CDATA[<raw>]]></presence>\t</stream:stream>";
  for (std::size_t size : {1, 2, 3, 5, 7, 13, 64, 4096}) {
    std::vector<std::string> pieces;
    for (std::size_t i = 0; i < stream.size(); i += size) pieces.push_back(stream.substr(i, size));
    Events plain = FeedAll<StreamParser>(pieces, {});
    Events released = FeedAll<ReleasingStreamParser>(pieces, {});
    EXPECT_EQ(plain.stanzas.size(), 4u);
    EXPECT_EQ(plain.closes, 1);
    EXPECT_TRUE(released == plain) << "pieces of " << size;
  }
}

TEST(StreamParserReleaseTest, ResetAndRestartAfterARelease) {
  Recorder rec;
  ReleasingStreamParser parser(rec);
  ASSERT_TRUE(parser.Feed(kHeader));
  parser.Reset();  // e.g. after <proceed/>: RFC 6120 §5.4.3.3
  EXPECT_FALSE(parser.StreamOpen());
  EXPECT_LT(HeapBytes(parser), kIdleHeapBytes);
  ASSERT_TRUE(parser.Feed(
      "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>"));
  ASSERT_TRUE(parser.Feed("<message/>"));
  ASSERT_EQ(rec.opens.size(), 2u);
  ASSERT_EQ(rec.stanzas.size(), 1u);
  EXPECT_EQ(rec.stanzas[0].Xmlns(), "jabber:server");  // the new stream's namespace
}

TEST(StreamParserReleaseTest, ClosedOrFailedParserIsReleasedToo) {
  Recorder rec;
  ReleasingStreamParser closed(rec);
  ASSERT_TRUE(closed.Feed(std::string(kHeader) + "<presence/></stream:stream>"));
  EXPECT_LT(HeapBytes(closed), kIdleHeapBytes);
  EXPECT_TRUE(closed.Feed("<presence/>"));
  ReleasingStreamParser failed(rec);
  EXPECT_FALSE(failed.Feed(std::string(kHeader) + "<a></b>"));
  EXPECT_LT(HeapBytes(failed), kIdleHeapBytes);
  EXPECT_FALSE(failed.Feed("<presence/>"));
  EXPECT_EQ(rec.errors.size(), 1u);
  failed.Reset();  // revives it
  EXPECT_TRUE(failed.Feed(std::string(kHeader) + "<presence/>"));
  EXPECT_EQ(rec.stanzas.size(), 2u);
}

TEST(StreamParserReleaseTest, ReleaseInsideACallbackIsIgnored) {
  Recorder rec;
  StreamParser parser(rec);
  rec.on_stanza = [&](const Element&) { parser.ReleaseIfIdle(); };
  ASSERT_TRUE(parser.Feed(std::string(kHeader) + "<presence/><message><body>x</body></message>"));
  EXPECT_EQ(rec.stanzas.size(), 2u);
  EXPECT_TRUE(rec.errors.empty());
}

TEST(StreamParserReleaseTest, AReleasedParserServesAnotherStreamWithTheSameNamespaces) {
  Recorder rec_a, rec_b, rec_c, rec_d;
  ReleasingStreamParser a(rec_a), b(rec_b), c(rec_c), d(rec_d);
  ASSERT_TRUE(a.Feed(kHeader));
  // The same declarations in another order, and other attributes.
  ASSERT_TRUE(
      b.Feed("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client' "
             "to='example.net'>"));
  ASSERT_TRUE(
      c.Feed("<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
             "xmlns:db='jabber:server:dialback'>"));
  ASSERT_TRUE(d.Feed(
      "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>"));
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(a.Feed("<message id='a'><x xmlns:db='urn:not-dialback'/></message>"));
    ASSERT_TRUE(b.Feed("<message id='b'/>"));
    ASSERT_TRUE(c.Feed("<db:result/>"));
    ASSERT_TRUE(d.Feed("<presence/>"));
  }
  ASSERT_EQ(rec_a.stanzas.size(), 3u);
  ASSERT_EQ(rec_b.stanzas.size(), 3u);
  ASSERT_EQ(rec_c.stanzas.size(), 3u);
  ASSERT_EQ(rec_d.stanzas.size(), 3u);
  EXPECT_EQ(rec_a.stanzas[2].AttrOr("id"), "a");
  EXPECT_EQ(rec_b.stanzas[2].AttrOr("id"), "b");
  EXPECT_EQ(rec_b.stanzas[2].Xmlns(), "jabber:client");
  EXPECT_EQ(rec_c.stanzas[2].Xmlns(), "jabber:server:dialback");
  EXPECT_EQ(rec_d.stanzas[2].Xmlns(), "jabber:server");
  // d never declared db: a parser that served c must not lend it the prefix.
  EXPECT_FALSE(d.Feed("<db:result/>"));
  ASSERT_EQ(rec_d.errors.size(), 1u);
  EXPECT_EQ(rec_d.errors[0].condition, StreamCondition::kNotWellFormed);
  for (const Recorder* r : {&rec_a, &rec_b, &rec_c}) EXPECT_TRUE(r->errors.empty());
  for (const Recorder* r : {&rec_a, &rec_b, &rec_c, &rec_d}) EXPECT_EQ(r->opens.size(), 1u);
}

TEST(StreamParserReleaseTest, DifferentLimitsDoNotShareParsers) {
  Recorder rec_big, rec_small;
  ReleasingStreamParser big(rec_big);
  ReleasingStreamParser small(rec_small, ParserLimits{.max_stanza_bytes = 100});
  ASSERT_TRUE(big.Feed(kHeader));
  ASSERT_TRUE(small.Feed(kHeader));
  const std::string stanza = "<message><body>" + std::string(50 * 1024, 'x') + "</body></message>";
  ASSERT_TRUE(big.Feed(stanza));
  EXPECT_FALSE(small.Feed(stanza));
  EXPECT_EQ(rec_small.errors.size(), 1u);
  EXPECT_EQ(rec_big.stanzas.size(), 1u);
}

// What a rebuild costs (release, then the next stanza's first byte), with a pooled parser and
// without one: printed for the record, not asserted.
TEST(StreamParserReleaseTest, RebuildCost) {
  constexpr int kStreams = 5;  // more distinct stream contexts than the pool holds
  constexpr int kRounds = 4000;
  std::vector<Recorder> recs(kStreams);
  std::vector<std::unique_ptr<StreamParser>> parsers;
  for (int i = 0; i < kStreams; ++i) {
    parsers.push_back(std::make_unique<StreamParser>(recs[i]));
    ASSERT_TRUE(parsers.back()->Feed(
        "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='urn:test:" +
        std::to_string(i) + "'>"));
  }
  // ns per <presence/>, with `streams` parsers taking turns, each released after its Feed or not.
  auto run = [&](int streams, bool release) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRounds; ++i) {
      StreamParser& p = *parsers[i % streams];
      p.Feed("<presence/>");
      if (release) p.ReleaseIfIdle();
    }
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start)
               .count() /
           kRounds;
  };
  double kept = run(kStreams, false);
  double pooled = run(1, true);
  double cold = run(kStreams, true);
  std::cout << "[ timing   ] <presence/> with the parser kept: " << kept
            << " ns; released after each, rebuilt from the pool: " << pooled
            << " ns; rebuilt from scratch: " << cold << " ns\n";
  std::size_t stanzas = 0;
  for (const Recorder& r : recs) stanzas += r.stanzas.size();
  EXPECT_EQ(stanzas, 3u * kRounds);
}

}  // namespace
}  // namespace parley::xml
