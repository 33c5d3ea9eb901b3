#pragma once
// gMock matchers for stanzas and stream elements, so that transcript tests read like the protocol:
//   EXPECT_THAT(alice.Receive(), IsIqResult("p1"));
//   EXPECT_THAT(bob.Receive(), IsMessageError("m1", "service-unavailable"));

#include <gmock/gmock.h>

#include <string>
#include <string_view>

#include "xml/element.hpp"
#include "xml/serializer.hpp"
#include "xml/xml_test_util.hpp"  // PrintTo(Element) for gtest messages

namespace parley::testing_util {

inline constexpr std::string_view kNsStanzasForTests = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view kNsStreamsForTests = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view kNsStreamForTests = "http://etherx.jabber.org/streams";
inline constexpr std::string_view kNsSaslForTests = "urn:ietf:params:xml:ns:xmpp-sasl";

// The defined condition of a stanza error (RFC 6120 §8.3.2), "" when `e` carries none.
inline std::string StanzaErrorCondition(const xml::Element& e) {
  const xml::Element* error = e.Child("error");
  if (!error) return "";
  for (const xml::Element& c : error->Children()) {
    if (!c.IsText() && c.Xmlns() == kNsStanzasForTests && c.Name() != "text") return c.Name();
  }
  return "";
}

// The condition of a <stream:error/> (RFC 6120 §4.9.3), "" when `e` is not one.
inline std::string StreamErrorCondition(const xml::Element& e) {
  if (e.Name() != "error" || e.Xmlns() != kNsStreamForTests) return "";
  for (const xml::Element& c : e.Children()) {
    if (!c.IsText() && c.Xmlns() == kNsStreamsForTests && c.Name() != "text") return c.Name();
  }
  return "";
}

MATCHER_P(IsIqResult, id, "is <iq type='result' id='" + std::string(id) + "'>") {
  return arg.Name() == "iq" && arg.AttrOr("type") == "result" && arg.AttrOr("id") == id;
}

MATCHER_P2(IsIqError, id, condition,
           "is <iq type='error' id='" + std::string(id) + "'> with <" + std::string(condition) +
               "/>") {
  return arg.Name() == "iq" && arg.AttrOr("type") == "error" && arg.AttrOr("id") == id &&
         StanzaErrorCondition(arg) == condition;
}

MATCHER_P(IsMessage, id, "is a <message id='" + std::string(id) + "'> that is not an error") {
  return arg.Name() == "message" && arg.AttrOr("type") != "error" && arg.AttrOr("id") == id;
}

MATCHER_P2(IsMessageError, id, condition,
           "is <message type='error' id='" + std::string(id) + "'> with <" +
               std::string(condition) + "/>") {
  return arg.Name() == "message" && arg.AttrOr("type") == "error" && arg.AttrOr("id") == id &&
         StanzaErrorCondition(arg) == condition;
}

MATCHER_P(IsStreamError, condition, "is <stream:error> with <" + std::string(condition) + "/>") {
  return StreamErrorCondition(arg) == condition;
}

MATCHER(IsSaslSuccess, "is SASL <success/>") {
  return arg.Name() == "success" && arg.Xmlns() == kNsSaslForTests;
}

MATCHER_P(IsSaslFailure, condition, "is SASL <failure> with <" + std::string(condition) + "/>") {
  return arg.Name() == "failure" && arg.Xmlns() == kNsSaslForTests &&
         arg.Child(condition, kNsSaslForTests) != nullptr;
}

MATCHER_P2(HasChild, name, ns,
           "has a child <" + std::string(name) + " xmlns='" + std::string(ns) + "'/>") {
  return arg.Child(name, ns) != nullptr;
}

MATCHER_P2(HasAttr, name, value, "has " + std::string(name) + "='" + std::string(value) + "'") {
  return arg.AttrOr(name) == value;
}

}  // namespace parley::testing_util
