#include "xml/element.hpp"

#include <gtest/gtest.h>

namespace parley::xml {
namespace {

TEST(ElementTest, NameNamespaceAndAttributes) {
  Element e("message", "jabber:client");
  e.SetAttr("to", "juliet@example.com").SetAttr("type", "chat");
  EXPECT_FALSE(e.IsText());
  EXPECT_EQ(e.Name(), "message");
  EXPECT_EQ(e.Xmlns(), "jabber:client");
  ASSERT_NE(e.Attr("to"), nullptr);
  EXPECT_EQ(*e.Attr("to"), "juliet@example.com");
  EXPECT_EQ(e.Attr("from"), nullptr);
  EXPECT_EQ(e.AttrOr("type"), "chat");
  EXPECT_EQ(e.AttrOr("id", "none"), "none");
  EXPECT_EQ(e.Attrs().size(), 2u);
}

TEST(ElementTest, SetAttrReplacesInPlaceAndRemoveAttr) {
  Element e("iq");
  e.SetAttr("id", "1").SetAttr("type", "get").SetAttr("id", "2");
  ASSERT_EQ(e.Attrs().size(), 2u);
  EXPECT_EQ(e.Attrs()[0], (Attribute{"id", "2"}));
  EXPECT_TRUE(e.RemoveAttr("id"));
  EXPECT_FALSE(e.RemoveAttr("id"));
  EXPECT_EQ(e.Attrs().size(), 1u);
}

TEST(ElementTest, ChildrenAndText) {
  Element msg("message", "jabber:client");
  Element& body = msg.AddChild("body");
  body.AddText("Wherefore").AddText(" art thou?");
  msg.AddText("\n");
  msg.AddChild(Element("x", "jabber:x:oob")).AddChild("url").AddText("http://x");
  EXPECT_EQ(msg.Children().size(), 3u);
  EXPECT_EQ(msg.FirstElement(), &msg.Children()[0]);
  ASSERT_NE(msg.Child("body"), nullptr);
  EXPECT_EQ(msg.Child("body")->Text(), "Wherefore art thou?");
  EXPECT_EQ(msg.Child("x", "jabber:x:oob")->Child("url")->Text(), "http://x");
  EXPECT_EQ(msg.Child("x", "urn:other"), nullptr);
  EXPECT_EQ(msg.Child("none"), nullptr);
  EXPECT_EQ(msg.Text(), "\n");
  msg.Child("body")->SetAttr("xml:lang", "en");
  EXPECT_EQ(msg.Child("body")->AttrOr("xml:lang"), "en");
}

TEST(ElementTest, TextNode) {
  Element t = Element::MakeText("a < b");
  EXPECT_TRUE(t.IsText());
  EXPECT_EQ(t.TextContent(), "a < b");
  EXPECT_TRUE(t.Name().empty());
  Element e("p");
  e.AddText("only text");
  EXPECT_EQ(e.FirstElement(), nullptr);
}

TEST(ElementTest, CopyIsDeepAndEqualityIsStructural) {
  Element a("iq", "jabber:client");
  a.SetAttr("id", "1").AddChild("query", "jabber:iq:roster").AddChild("item").SetAttr("jid", "x");
  Element b = a;
  EXPECT_EQ(a, b);
  b.Child("query")->Child("item")->SetAttr("jid", "y");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.Child("query")->Child("item")->AttrOr("jid"), "x");
  EXPECT_NE(Element::MakeText("x"), Element("x"));
}

}  // namespace
}  // namespace parley::xml
