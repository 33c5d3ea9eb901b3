#include "xml/stream_parser.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "xml_test_util.hpp"

namespace parley::xml {
namespace {

using stanza::StreamCondition;
using testing_util::kHeader;
using testing_util::ParseStanza;
using testing_util::Recorder;

class StreamParserTest : public ::testing::Test {
 protected:
  // Feeds a stream header then `rest`; returns Feed()'s result for `rest`.
  bool Open(std::string_view rest = {}) {
    EXPECT_TRUE(parser_.Feed(kHeader));
    return parser_.Feed(rest);
  }
  Recorder rec_;
  StreamParser parser_{rec_};
};

TEST_F(StreamParserTest, ReportsTheStreamHeader) {
  EXPECT_FALSE(parser_.StreamOpen());
  ASSERT_TRUE(parser_.Feed("<?xml version='1.0' encoding='UTF-8'?>\n"));
  ASSERT_TRUE(parser_.Feed(kHeader));
  ASSERT_EQ(rec_.opens.size(), 1u);
  const StreamHeader& h = rec_.opens[0];
  EXPECT_EQ(h.name, "stream");
  EXPECT_EQ(h.ns, kNsStreams);
  EXPECT_EQ(h.default_ns, "jabber:client");
  EXPECT_EQ(h.prefix, "stream");
  ASSERT_NE(h.Attr("to"), nullptr);
  EXPECT_EQ(*h.Attr("to"), "example.com");
  EXPECT_EQ(*h.Attr("version"), "1.0");
  EXPECT_EQ(*h.Attr("xml:lang"), "en");
  EXPECT_EQ(h.Attr("from"), nullptr);
  EXPECT_EQ(h.ns_decls.size(), 2u);
  EXPECT_TRUE(parser_.StreamOpen());
  EXPECT_TRUE(rec_.errors.empty());
}

TEST_F(StreamParserTest, StanzasInheritTheStreamNamespace) {
  ASSERT_TRUE(
      Open("<message to='juliet@example.com' type='chat'><body>Art thou not Romeo?</body></message>"
           "<iq type='get' id='r1'><query xmlns='jabber:iq:roster'><item/></query></iq>"
           "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"));
  ASSERT_EQ(rec_.stanzas.size(), 3u);
  const Element& msg = rec_.stanzas[0];
  EXPECT_EQ(msg.Name(), "message");
  EXPECT_EQ(msg.Xmlns(), "jabber:client");
  EXPECT_EQ(msg.AttrOr("type"), "chat");
  EXPECT_EQ(msg.Child("body")->Xmlns(), "jabber:client");
  EXPECT_EQ(msg.Child("body")->Text(), "Art thou not Romeo?");
  const Element& iq = rec_.stanzas[1];
  EXPECT_EQ(iq.Xmlns(), "jabber:client");
  EXPECT_EQ(iq.Child("query")->Xmlns(), "jabber:iq:roster");
  EXPECT_EQ(iq.Child("query")->Child("item")->Xmlns(), "jabber:iq:roster");
  EXPECT_EQ(rec_.stanzas[2].Xmlns(), kNsStreams);
  EXPECT_EQ(rec_.stanzas[2].Child("bind")->Xmlns(), "urn:ietf:params:xml:ns:xmpp-bind");
}

TEST_F(StreamParserTest, StanzaWithOwnNamespaceKeepsIt) {
  ASSERT_TRUE(
      Open("<db:result xmlns:db='jabber:server:dialback' to='a'>key</db:result>"
           "<a xmlns='urn:xmpp:sm:3' h='1'/>"));
  ASSERT_EQ(rec_.stanzas.size(), 2u);
  EXPECT_EQ(rec_.stanzas[0].Name(), "result");
  EXPECT_EQ(rec_.stanzas[0].Xmlns(), "jabber:server:dialback");
  EXPECT_EQ(rec_.stanzas[1].Xmlns(), "urn:xmpp:sm:3");
}

TEST_F(StreamParserTest, XmlLangAndNamespacedAttributesAreKept) {
  ASSERT_TRUE(Open("<message xml:lang='fr' xmlns:e='urn:example' e:flag='1' id='m'/>"));
  ASSERT_EQ(rec_.stanzas.size(), 1u);
  EXPECT_EQ(rec_.stanzas[0].AttrOr("xml:lang"), "fr");
  EXPECT_EQ(rec_.stanzas[0].AttrOr("{urn:example}flag"), "1");
  EXPECT_EQ(rec_.stanzas[0].Attrs().size(), 3u);
}

TEST_F(StreamParserTest, CdataAndEntitiesBecomeText) {
  ASSERT_TRUE(
      Open("<message><body>a &amp; &lt;b&gt; &#x263A; <![CDATA[<raw>]]> end</body></message>"));
  ASSERT_EQ(rec_.stanzas.size(), 1u);
  EXPECT_EQ(rec_.stanzas[0].Child("body")->Text(), "a & <b> \xE2\x98\xBA <raw> end");
  EXPECT_EQ(rec_.stanzas[0].Child("body")->Children().size(), 1u);  // adjacent text is merged
}

TEST_F(StreamParserTest, WhitespaceBetweenStanzasIsAKeepalive) {
  ASSERT_TRUE(Open(" \n\t\r\n "));
  EXPECT_FALSE(parser_.MidStanza());
  EXPECT_EQ(parser_.BufferedBytes(), 0u);
  ASSERT_TRUE(parser_.Feed("<presence/>\n \n<presence/>  "));
  EXPECT_EQ(rec_.stanzas.size(), 2u);
  EXPECT_FALSE(parser_.MidStanza());
  EXPECT_TRUE(rec_.errors.empty());
}

TEST_F(StreamParserTest, StreamClose) {
  ASSERT_TRUE(Open("<presence/></stream:stream>"));
  EXPECT_EQ(rec_.closes, 1);
  EXPECT_FALSE(parser_.StreamOpen());
  EXPECT_TRUE(parser_.Feed("<presence/> garbage"));  // ignored
  EXPECT_EQ(rec_.stanzas.size(), 1u);
  EXPECT_TRUE(rec_.errors.empty());
}

TEST_F(StreamParserTest, StanzaIsDeliveredWhenItsLastByteArrivesByteByByte) {
  ASSERT_TRUE(Open());
  const std::string stanza = "<message id='1'><body>hi &amp; bye</body></message>";
  for (std::size_t i = 0; i < stanza.size(); ++i) {
    ASSERT_TRUE(parser_.Feed(stanza.substr(i, 1)));
    ASSERT_EQ(rec_.stanzas.size(), i + 1 == stanza.size() ? 1u : 0u) << "after byte " << i;
    EXPECT_EQ(parser_.MidStanza(), i + 1 != stanza.size());
  }
  EXPECT_EQ(rec_.stanzas[0].Child("body")->Text(), "hi & bye");
}

TEST_F(StreamParserTest, StanzaIsDeliveredWhenItsLastPieceArrives) {
  ASSERT_TRUE(Open("<iq id='a' type='get'><ping xmlns='urn:xmpp:ping'/></i"));
  EXPECT_TRUE(rec_.stanzas.empty());
  EXPECT_TRUE(parser_.MidStanza());
  EXPECT_EQ(parser_.BufferedBytes(), 54u);
  ASSERT_TRUE(parser_.Feed("q>"));
  ASSERT_EQ(rec_.stanzas.size(), 1u);  // not held back until the next bytes
  EXPECT_FALSE(parser_.MidStanza());
  EXPECT_EQ(parser_.BufferedBytes(), 0u);
  // The stream header itself is reported as soon as its '>' arrives too.
  Recorder rec;
  StreamParser parser(rec);
  std::string header = kHeader;
  ASSERT_TRUE(parser.Feed(header.substr(0, header.size() - 1)));
  EXPECT_TRUE(rec.opens.empty());
  ASSERT_TRUE(parser.Feed(">"));
  EXPECT_EQ(rec.opens.size(), 1u);
}

TEST_F(StreamParserTest, PartialStartTagCountsAsMidStanza) {
  ASSERT_TRUE(Open("<pres"));
  EXPECT_TRUE(parser_.MidStanza());
  EXPECT_EQ(parser_.BufferedBytes(), 5u);
}

// RFC 6120 §11.1: restricted XML.
struct RestrictedCase {
  const char* name;
  std::string before_header;
  std::string after_header;
};

class RestrictedXmlTest : public ::testing::TestWithParam<RestrictedCase> {};

TEST_P(RestrictedXmlTest, IsRefused) {
  Recorder rec;
  StreamParser parser(rec);
  bool ok = parser.Feed(GetParam().before_header);
  if (ok) ok = parser.Feed(std::string(kHeader) + GetParam().after_header);
  EXPECT_FALSE(ok);
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(rec.errors[0].condition, StreamCondition::kRestrictedXml) << rec.errors[0].text;
  EXPECT_FALSE(parser.Feed("<presence/>"));
  EXPECT_EQ(rec.errors.size(), 1u);
  EXPECT_TRUE(rec.stanzas.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Rfc6120, RestrictedXmlTest,
    ::testing::Values(
        RestrictedCase{"CommentInStanza", "", "<message><!-- hi --></message>"},
        RestrictedCase{"CommentBetweenStanzas", "", "<!-- hi -->"},
        RestrictedCase{"CommentBeforeHeader", "<?xml version='1.0'?><!-- hi -->", ""},
        RestrictedCase{"ProcessingInstruction", "", "<message><?php echo 1; ?></message>"},
        RestrictedCase{"PiBeforeHeader", "<?xml-stylesheet href='a'?>", ""},
        RestrictedCase{"Doctype", "<?xml version='1.0'?><!DOCTYPE stream:stream>", ""},
        RestrictedCase{"EntityDeclaration", "<!DOCTYPE s [<!ENTITY x 'y'>]>", ""},
        RestrictedCase{"ExternalDtd", "<!DOCTYPE s SYSTEM 'http://example.com/x.dtd'>", ""}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(StreamParserSecurityTest, BillionLaughsIsRefusedBeforeAnyExpansion) {
  std::string bomb = "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>";
  bomb += "<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>";
  for (int i = 2; i <= 9; ++i) {
    bomb += "<!ENTITY lol" + std::to_string(i) + " '";
    for (int j = 0; j < 10; ++j) bomb += "&lol" + std::to_string(i - 1) + ";";
    bomb += "'>";
  }
  bomb += "]><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>";
  bomb += "<message><body>&lol9;</body></message>";
  Recorder rec;
  StreamParser parser(rec, ParserLimits{.max_header_bytes = 64 * 1024});
  EXPECT_FALSE(parser.Feed(bomb));
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(rec.errors[0].condition, StreamCondition::kRestrictedXml);
  EXPECT_TRUE(rec.stanzas.empty());
  EXPECT_LT(parser.MemoryUsage(), 64u * 1024);
}

struct ErrorCase {
  const char* name;
  std::string input;  // the whole stream, header included
  StreamCondition condition;
};

class StreamErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(StreamErrorTest, ReportsTheCondition) {
  Recorder rec;
  StreamParser parser(rec);
  EXPECT_FALSE(parser.Feed(GetParam().input));
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(rec.errors[0].condition, GetParam().condition)
      << stanza::ToString(rec.errors[0].condition) << ": " << rec.errors[0].text;
  EXPECT_FALSE(parser.Feed("<presence/>"));
  EXPECT_EQ(rec.errors.size(), 1u);
}

const std::string kH = kHeader;

INSTANTIATE_TEST_SUITE_P(
    Rfc6120, StreamErrorTest,
    ::testing::Values(
        ErrorCase{"Latin1Declared", "<?xml version='1.0' encoding='ISO-8859-1'?>" + kH,
                  StreamCondition::kUnsupportedEncoding},
        ErrorCase{"Utf16Declared", "<?xml version='1.0' encoding='UTF-16'?>" + kH,
                  StreamCondition::kUnsupportedEncoding},
        ErrorCase{"Utf16Bom", std::string("\xFF\xFE<\0s\0", 6),
                  StreamCondition::kUnsupportedEncoding},
        ErrorCase{"Utf16NoBom", std::string("<\0?\0", 4), StreamCondition::kUnsupportedEncoding},
        ErrorCase{"UndefinedEntity", kH + "<message><body>&nbsp;</body></message>",
                  StreamCondition::kNotWellFormed},
        ErrorCase{"MismatchedTag", kH + "<message><body></message>",
                  StreamCondition::kNotWellFormed},
        ErrorCase{"InvalidUtf8", kH + "<message><body>\xC3\x28</body></message>",
                  StreamCondition::kNotWellFormed},
        ErrorCase{"InvalidCharRef", kH + "<message><body>&#0;</body></message>",
                  StreamCondition::kNotWellFormed},
        ErrorCase{"DuplicateAttribute", kH + "<message id='1' id='2'/>",
                  StreamCondition::kNotWellFormed},
        ErrorCase{"XmlDeclMidStream", kH + "<?xml version='1.0'?>",
                  StreamCondition::kNotWellFormed},
        ErrorCase{"CloseInsideStanza", kH + "<message></stream:stream>",
                  StreamCondition::kNotWellFormed},
        ErrorCase{"UnboundPrefix", kH + "<foo:message/>", StreamCondition::kNotWellFormed},
        // Well-formed XML, but text directly in the stream is not a stanza: bad-format.
        ErrorCase{"TextBetweenStanzas", kH + "<presence/>hello<presence/>",
                  StreamCondition::kBadFormat},
        ErrorCase{"WrongRootNamespace",
                  "<stream:stream xmlns:stream='http://etherx.jabber.org/stream'>",
                  StreamCondition::kInvalidNamespace},
        ErrorCase{"RootWithoutNamespace", "<stream>", StreamCondition::kInvalidNamespace},
        ErrorCase{"WrongRootName", "<stream:strem xmlns:stream='http://etherx.jabber.org/streams'>",
                  StreamCondition::kInvalidNamespace},
        ErrorCase{"StanzaAsRoot", "<message xmlns='jabber:client'/>",
                  StreamCondition::kInvalidNamespace}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(StreamParserEncodingTest, Utf8DeclarationInAnyCaseIsAccepted) {
  Recorder rec;
  StreamParser parser(rec);
  EXPECT_TRUE(parser.Feed("<?xml version='1.0' encoding='utf-8'?>" + kH + "<presence/>"));
  EXPECT_EQ(rec.stanzas.size(), 1u);
  EXPECT_TRUE(rec.errors.empty());
}

TEST_F(StreamParserTest, ErrorIsReportedOnce) {
  EXPECT_FALSE(Open("<a></b>"));
  EXPECT_FALSE(parser_.Feed("<c></d>"));
  EXPECT_EQ(rec_.errors.size(), 1u);
  EXPECT_FALSE(parser_.MidStanza());
}

TEST_F(StreamParserTest, RoundTripParseSerializeParse) {
  const std::string input =
      "<message from='romeo@example.net/orchard' to='juliet@example.com' type='chat' "
      "id='ktx72v49' xml:lang='en' xmlns:x='urn:ext' x:hint='a&amp;b'>"
      "<body>Art thou not Romeo, &amp; a Montague? &lt;3</body>"
      "<thread parent='e0ffe42b28561960c6b12b944a092794b9683a38'>0e3141cd80894871a68e6fe6b1ec56fa"
      "</thread><html xmlns='http://jabber.org/protocol/xhtml-im'>"
      "<body xmlns='http://www.w3.org/1999/xhtml'><p style='a:b'>Hi <em>there</em>!</p>"
      "</body></html>\n<active xmlns='http://jabber.org/protocol/chatstates'/>"
      "<x xmlns='jabber:x:data' type='form'><field var='a' type='text-multi'>"
      "<value>line1&#13;&#10;line2\t&#x9;</value></field></x></message>";
  ASSERT_TRUE(Open(input));
  ASSERT_EQ(rec_.stanzas.size(), 1u);
  const Element& first = rec_.stanzas[0];
  std::string text = ToString(first, "jabber:client");
  std::optional<Element> second = ParseStanza(text);
  ASSERT_TRUE(second.has_value()) << text;
  EXPECT_EQ(*second, first) << text;
  EXPECT_EQ(ToString(*second, "jabber:client"), text);
  EXPECT_EQ(second->AttrOr("{urn:ext}hint"), "a&b");
  EXPECT_EQ(second->Child("body")->Text(), "Art thou not Romeo, & a Montague? <3");
}

TEST_F(StreamParserTest, RestartInsideOnStanza) {
  // RFC 6120 §6.4.6: after <success/> both sides restart the stream; the rest of that buffer is
  // discarded and the next bytes must open a new stream.
  rec_.on_stanza = [this](const Element& e) {
    if (e.Name() == "success") parser_.Reset();
  };
  ASSERT_TRUE(Open("<presence/><success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/><presence/>"));
  EXPECT_EQ(rec_.stanzas.size(), 2u);
  EXPECT_FALSE(parser_.StreamOpen());
  ASSERT_TRUE(parser_.Feed("<?xml version='1.0'?>" + kH + "<iq type='set' id='b'/>"));
  EXPECT_EQ(rec_.opens.size(), 2u);
  ASSERT_EQ(rec_.stanzas.size(), 3u);
  EXPECT_EQ(rec_.stanzas[2].Name(), "iq");
  EXPECT_EQ(rec_.stanzas[2].Xmlns(), "jabber:client");
  EXPECT_TRUE(rec_.errors.empty());
}

TEST_F(StreamParserTest, ResetBetweenFeedsExpectsANewStream) {
  ASSERT_TRUE(Open("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"));
  parser_.Reset();
  EXPECT_FALSE(parser_.StreamOpen());
  EXPECT_FALSE(parser_.Feed("<presence/>"));  // not a stream header
  ASSERT_EQ(rec_.errors.size(), 1u);
  EXPECT_EQ(rec_.errors[0].condition, StreamCondition::kInvalidNamespace);
  parser_.Reset();  // also revives a failed parser
  EXPECT_TRUE(parser_.Feed(kH + "<presence/>"));
  EXPECT_EQ(rec_.stanzas.size(), 2u);
}

TEST_F(StreamParserTest, HandlerExceptionPropagatesAndKillsTheParser) {
  rec_.on_stanza = [](const Element&) { throw std::runtime_error("module bug"); };
  ASSERT_TRUE(parser_.Feed(kHeader));
  EXPECT_THROW(parser_.Feed("<presence/><presence/>"), std::runtime_error);
  EXPECT_EQ(rec_.stanzas.size(), 1u);
  EXPECT_FALSE(parser_.Feed("<presence/>"));
}

}  // namespace
}  // namespace parley::xml
