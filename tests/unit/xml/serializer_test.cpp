#include "xml/serializer.hpp"

#include <gtest/gtest.h>

#include "xml_test_util.hpp"

namespace parley::xml {
namespace {

TEST(SerializerTest, EmptyElementAndInheritedNamespace) {
  Element p("presence", "jabber:client");
  EXPECT_EQ(ToString(p, "jabber:client"), "<presence/>");
  EXPECT_EQ(ToString(p), "<presence xmlns='jabber:client'/>");
  EXPECT_EQ(ToString(Element("presence")), "<presence/>");
}

TEST(SerializerTest, ChildNamespacesOnlyWhenTheyChange) {
  Element iq("iq", "jabber:client");
  iq.SetAttr("type", "result").SetAttr("id", "r1");
  Element& query = iq.AddChild("query", "jabber:iq:roster");
  query.AddChild("item", "jabber:iq:roster").SetAttr("jid", "romeo@example.net");
  query.AddChild("item").SetAttr("jid", "mercutio@example.net");
  iq.AddChild("error", "jabber:client");
  EXPECT_EQ(ToString(iq, "jabber:client"),
            "<iq type='result' id='r1'><query xmlns='jabber:iq:roster'>"
            "<item jid='romeo@example.net'/><item jid='mercutio@example.net'/></query>"
            "<error/></iq>");
}

TEST(SerializerTest, EscapesText) {
  Element body("body");
  body.AddText("a & b < c > d \"q\" 'a' ]]>\r\n");
  EXPECT_EQ(ToString(body), "<body>a &amp; b &lt; c &gt; d \"q\" 'a' ]]&gt;&#13;\n</body>");
}

TEST(SerializerTest, EscapesAttributes) {
  Element e("x");
  e.SetAttr("a", "<&\"'>\t\n\r");
  EXPECT_EQ(ToString(e), "<x a='&lt;&amp;&quot;&apos;>&#9;&#10;&#13;'/>");
  std::string out = "pre:";
  AppendEscaped(out, "O'Neil & <Co>");
  EXPECT_EQ(out, "pre:O&apos;Neil &amp; &lt;Co>");
}

TEST(SerializerTest, NamespacedAttributesGetGeneratedPrefixes) {
  Element e("message", "jabber:client");
  e.SetAttr("xml:lang", "en")
      .SetAttr("{urn:a}one", "1")
      .SetAttr("{urn:b}two", "2")
      .SetAttr("{urn:a}three", "3");
  EXPECT_EQ(ToString(e, "jabber:client"),
            "<message xml:lang='en' xmlns:ns1='urn:a' ns1:one='1' xmlns:ns2='urn:b' ns2:two='2' "
            "ns1:three='3'/>");
}

TEST(SerializerTest, XmlnsAttributesAreNotWritten) {
  Element e("query", "jabber:iq:version");
  e.SetAttr("xmlns", "urn:wrong").SetAttr("xmlns:p", "urn:p");
  EXPECT_EQ(ToString(e), "<query xmlns='jabber:iq:version'/>");
}

// Found by xml_stream_fuzz: xmlns='http://www.w3.org/XML/1998/namespace' is not allowed.
TEST(SerializerTest, ElementInTheXmlNamespaceUsesThePredeclaredPrefix) {
  Element e("x", "jabber:client");
  e.AddChild("lang", std::string(kNsXml)).AddChild("b").AddText("t");
  EXPECT_EQ(ToString(e, "jabber:client"), "<x><xml:lang><b>t</b></xml:lang></x>");
  auto parsed = testing_util::ParseStanza("<x><xml:lang><b>t</b></xml:lang></x>");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->FirstElement()->Xmlns(), kNsXml);
  EXPECT_EQ(ToString(*parsed, "jabber:client"), "<x><xml:lang><b>t</b></xml:lang></x>");
}

TEST(SerializerTest, AppendsToExistingOutput) {
  std::string out = "<stream>";
  Serialize(Element("a"), out);
  EXPECT_EQ(out, "<stream><a/>");
}

TEST(SerializerTest, EscapedOutputParsesBackToTheSameValues) {
  Element msg("message", "jabber:client");
  msg.SetAttr("id", "<&\"'>\t\n\r end");
  msg.AddChild("body").AddText("x < y && z > w\r\n\ttab ]]> 'q' \"d\" é 😀");
  auto parsed = testing_util::ParseStanza(ToString(msg, "jabber:client"));
  ASSERT_TRUE(parsed.has_value());
  Element expected = msg;
  expected.Child("body")->SetXmlns("jabber:client");  // the parser reports the resolved namespace
  EXPECT_EQ(*parsed, expected);
}

}  // namespace
}  // namespace parley::xml
