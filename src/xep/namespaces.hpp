#pragma once
// XML namespaces used across the server, one place so that a typo cannot hide.

#include <string_view>

namespace parley::xep {

inline constexpr std::string_view kNsClient = "jabber:client";
inline constexpr std::string_view kNsStream = "http://etherx.jabber.org/streams";
inline constexpr std::string_view kNsFraming = "urn:ietf:params:xml:ns:xmpp-framing";  // RFC 7395
inline constexpr std::string_view kNsTls = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view kNsSasl = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view kNsBind = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr std::string_view kNsSession = "urn:ietf:params:xml:ns:xmpp-session";
inline constexpr std::string_view kNsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view kNsStreams = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view kNsSaslCb = "urn:xmpp:sasl-cb:0";  // XEP-0440
inline constexpr std::string_view kNsPing = "urn:xmpp:ping";         // XEP-0199
inline constexpr std::string_view kNsVersion = "jabber:iq:version";  // XEP-0092
inline constexpr std::string_view kNsDiscoInfo =
    "http://jabber.org/protocol/disco#info";  // XEP-0030
inline constexpr std::string_view kNsDiscoItems =
    "http://jabber.org/protocol/disco#items";                          // XEP-0030
inline constexpr std::string_view kNsRegister = "jabber:iq:register";  // XEP-0077
inline constexpr std::string_view kNsRegisterFeature = "http://jabber.org/features/iq-register";
inline constexpr std::string_view kNsDataForms = "jabber:x:data";  // XEP-0004

}  // namespace parley::xep
