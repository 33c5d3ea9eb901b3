#include "xep/stanzas.hpp"

#include "xep/namespaces.hpp"
#include "xml/serializer.hpp"

namespace parley::xep {

StanzaKind KindOf(const xml::Element& e) {
  if (e.Name() == "message") return StanzaKind::kMessage;
  if (e.Name() == "presence") return StanzaKind::kPresence;
  if (e.Name() == "iq") return StanzaKind::kIq;
  return StanzaKind::kOther;
}

namespace {
void SwapAddresses(const xml::Element& in, xml::Element& out) {
  out.RemoveAttr("to");
  out.RemoveAttr("from");
  if (const std::string* from = in.Attr("from")) out.SetAttr("to", *from);
  if (const std::string* to = in.Attr("to")) out.SetAttr("from", *to);
}
}  // namespace

xml::Element MakeErrorReply(const xml::Element& stanza, const stanza::StanzaError& error) {
  xml::Element reply = stanza;
  SwapAddresses(stanza, reply);
  reply.SetAttr("type", "error");
  xml::Element& err = reply.AddChild("error", std::string(kNsClient));
  err.SetAttr("type", std::string(stanza::ToString(error.type)));
  err.AddChild(std::string(stanza::ToString(error.condition)), std::string(kNsStanzas));
  if (!error.text.empty()) err.AddChild("text", std::string(kNsStanzas)).AddText(error.text);
  return reply;
}

xml::Element MakeIqResult(const xml::Element& iq) {
  xml::Element reply("iq", std::string(kNsClient));
  if (const std::string* id = iq.Attr("id")) reply.SetAttr("id", *id);
  SwapAddresses(iq, reply);
  reply.SetAttr("type", "result");
  return reply;
}

namespace {
std::string StreamErrorElement(std::string out, stanza::StreamCondition condition,
                               std::string_view text) {
  out += '<';
  out += stanza::ToString(condition);
  out += " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>";
  if (!text.empty()) {
    out += "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>";
    xml::AppendEscaped(out, text);
    out += "</text>";
  }
  out += "</stream:error>";
  return out;
}
}  // namespace

std::string StreamErrorBytes(stanza::StreamCondition condition, std::string_view text) {
  return StreamErrorElement("<stream:error>", condition, text) + "</stream:stream>";
}

std::string StandaloneStreamErrorBytes(stanza::StreamCondition condition, std::string_view text) {
  return StreamErrorElement("<stream:error xmlns:stream='http://etherx.jabber.org/streams'>",
                            condition, text);
}

}  // namespace parley::xep
