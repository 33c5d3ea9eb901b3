// StreamParser, part 2: what each expat event does — building the stanza tree, checking the
// per-element limits and RFC 6120's rules, and reporting to the StreamHandler.
#include <algorithm>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "xml/serializer.hpp"
#include "xml/stream_parser_internal.hpp"

namespace parley::xml {

using stanza::StreamCondition;

namespace {

struct QName {
  std::string_view uri;
  std::string_view local;
  std::string_view prefix;
};

QName SplitName(const XML_Char* name) {
  std::string_view s(name);
  std::size_t a = s.find(kSeparator);
  if (a == std::string_view::npos) return QName{{}, s, {}};
  QName q;
  q.uri = s.substr(0, a);
  std::string_view rest = s.substr(a + 1);
  std::size_t b = rest.find(kSeparator);
  q.local = rest.substr(0, b);
  if (b != std::string_view::npos) q.prefix = rest.substr(b + 1);
  return q;
}

// "to", "xml:lang", or "{uri}local" for any other namespace (see Attribute).
std::string AttrName(const XML_Char* name) {
  QName q = SplitName(name);
  if (q.uri.empty()) return std::string(q.local);
  if (q.uri == kNsXml) return "xml:" + std::string(q.local);
  std::string out;
  out.reserve(q.uri.size() + q.local.size() + 2);
  out += '{';
  out += q.uri;
  out += '}';
  out += q.local;
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'a' && a[i] <= 'z' ? static_cast<char>(a[i] - 32) : a[i];
    char y = b[i] >= 'a' && b[i] <= 'z' ? static_cast<char>(b[i] - 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

}  // namespace

const std::string* StreamHeader::Attr(std::string_view attr_name) const {
  for (const Attribute& a : attrs) {
    if (a.name == attr_name) return &a.value;
  }
  return nullptr;
}

// expat's callbacks. Each one does nothing once the parser was told to stop (expat may still
// deliver an event or two), and turns an exception from a handler into a stop plus a rethrow.
struct ExpatCallbacks {
  static void Install(XML_Parser parser) {
    XML_SetReturnNSTriplet(parser, XML_TRUE);
    XML_SetElementHandler(parser, Start, End);
    XML_SetCharacterDataHandler(parser, Text);
    XML_SetStartNamespaceDeclHandler(parser, NsDecl);
    XML_SetXmlDeclHandler(parser, XmlDecl);
    XML_SetCommentHandler(parser, Comment);
    XML_SetProcessingInstructionHandler(parser, Pi);
    XML_SetStartDoctypeDeclHandler(parser, Doctype);
    XML_SetEntityDeclHandler(parser, EntityDecl);
  }

  template <typename F>
  static void Guard(void* data, F&& f) {
    StreamParser& p = *static_cast<StreamParser*>(data);
    StreamParser::Live& l = *p.live_;
    if (l.stopped) return;
    try {
      f(p, l);
    } catch (...) {
      p.exception_ = std::current_exception();
      l.stopped = true;
      XML_StopParser(l.parser, XML_FALSE);
    }
  }

  static void XMLCALL Start(void* d, const XML_Char* name, const XML_Char** atts) {
    Guard(d, [&](StreamParser& p, StreamParser::Live& l) { OnStart(p, l, name, atts); });
  }
  static void XMLCALL End(void* d, const XML_Char* /*name*/) { Guard(d, OnEnd); }
  static void XMLCALL Text(void* d, const XML_Char* s, int len) {
    Guard(d,
          [&](StreamParser& p, StreamParser::Live& l) { OnText(p, l, std::string_view(s, len)); });
  }
  static void XMLCALL NsDecl(void* d, const XML_Char* prefix, const XML_Char* uri) {
    Guard(d, [&](StreamParser&, StreamParser::Live& l) {
      ++l.pending_ns_decls;
      if (!l.root_seen) l.header_decls.push_back(Attribute{prefix ? prefix : "", uri ? uri : ""});
    });
  }
  // RFC 6120 §11.6: UTF-8 only. The parser is created with UTF-8 forced, so a declared encoding is
  // only reported here, never obeyed.
  static void XMLCALL XmlDecl(void* d, const XML_Char* /*version*/, const XML_Char* encoding,
                              int /*standalone*/) {
    Guard(d, [&](StreamParser& p, StreamParser::Live&) {
      if (encoding != nullptr && !EqualsIgnoreCase(encoding, "UTF-8")) {
        p.Fail(StreamCondition::kUnsupportedEncoding,
               "encoding '" + std::string(encoding) + "': only UTF-8 (RFC 6120 §11.6)");
      }
    });
  }
  // RFC 6120 §11.1: no comments, processing instructions, DTDs or entity declarations. Refusing
  // the DOCTYPE at its first token also makes entity-expansion bombs impossible.
  static void Restricted(void* d, const char* what) {
    Guard(d, [&](StreamParser& p, StreamParser::Live&) {
      p.Fail(StreamCondition::kRestrictedXml, std::string(what) + " not allowed (RFC 6120 §11.1)");
    });
  }
  static void XMLCALL Comment(void* d, const XML_Char*) { Restricted(d, "comment"); }
  static void XMLCALL Pi(void* d, const XML_Char*, const XML_Char*) {
    Restricted(d, "processing instruction");
  }
  static void XMLCALL Doctype(void* d, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    Restricted(d, "DTD");
  }
  static void XMLCALL EntityDecl(void* d, const XML_Char*, int, const XML_Char*, int,
                                 const XML_Char*, const XML_Char*, const XML_Char*,
                                 const XML_Char*) {
    Restricted(d, "entity declaration");
  }

  static void OnStart(StreamParser& p, StreamParser::Live& l, const XML_Char* name,
                      const XML_Char** atts) {
    const ParserLimits& limits = p.limits_;
    std::size_t attr_count = 0;
    while (atts[2 * attr_count] != nullptr) ++attr_count;
    if (attr_count + std::exchange(l.pending_ns_decls, 0) > limits.max_attributes) {
      return p.Fail(StreamCondition::kPolicyViolation, "too many attributes");
    }
    if (!l.root_seen) return OnStreamStart(p, l, SplitName(name), atts);

    p.FlushText();
    if (++l.depth > limits.max_depth) {
      return p.Fail(StreamCondition::kPolicyViolation, "elements nested too deeply");
    }
    if (++l.nodes > limits.max_nodes) {
      return p.Fail(StreamCondition::kPolicyViolation, "too many elements in one stanza");
    }
    QName q = SplitName(name);
    Element* e;
    if (l.depth == 1) {
      l.stanza_start = static_cast<std::size_t>(XML_GetCurrentByteIndex(l.parser));
      l.stanza = Element(std::string(q.local), std::string(q.uri));
      e = &l.stanza;
    } else {
      e = &l.open.back()->AddChild(std::string(q.local), std::string(q.uri));
    }
    l.open.push_back(e);
    // A stanza gets one more: the 'from' that the server stamps on it.
    e->ReserveAttrs(attr_count + (l.depth == 1 ? 1 : 0));
    for (std::size_t i = 0; i < attr_count; ++i) e->SetAttr(AttrName(atts[2 * i]), atts[2 * i + 1]);
    if (p.EventEnd() - l.stanza_start > limits.max_stanza_bytes) {
      return p.Fail(StreamCondition::kPolicyViolation, "stanza too large");
    }
  }

  static void OnStreamStart(StreamParser& p, StreamParser::Live& l, const QName& q,
                            const XML_Char** atts) {
    // RFC 6120 §4.8.1: the stream element is qualified by the streams namespace.
    if (q.uri != kNsStreams || q.local != "stream") {
      return p.Fail(StreamCondition::kInvalidNamespace,
                    "expected {http://etherx.jabber.org/streams}stream");
    }
    l.root_seen = true;
    l.boundary = p.EventEnd();
    if (p.replaying_) {
      l.header_decls = {};
      return;
    }
    if (l.boundary > p.limits_.max_header_bytes) {
      return p.Fail(StreamCondition::kPolicyViolation, "stream header too large");
    }
    StreamHeader h;
    h.name = q.local;
    h.ns = q.uri;
    h.prefix = q.prefix;
    for (std::size_t i = 0; atts[i] != nullptr; i += 2) {
      h.attrs.push_back(Attribute{AttrName(atts[i]), atts[i + 1]});
    }
    h.ns_decls = std::exchange(l.header_decls, {});
    // In prefix order, so that streams declaring the same namespaces share pooled parsers.
    std::vector<const Attribute*> decls;
    for (const Attribute& decl : h.ns_decls) {
      if (decl.name.empty()) h.default_ns = decl.value;
      decls.push_back(&decl);
    }
    std::sort(decls.begin(), decls.end(),
              [](const Attribute* a, const Attribute* b) { return a->name < b->name; });
    p.resume_header_ = "<" + h.prefix + (h.prefix.empty() ? "" : ":") + h.name;
    for (const Attribute* decl : decls) {
      p.resume_header_ += decl->name.empty() ? " xmlns='" : " xmlns:" + decl->name + "='";
      AppendEscaped(p.resume_header_, decl->value);
      p.resume_header_ += '\'';
    }
    p.resume_header_ += '>';
    p.resume_header_.shrink_to_fit();
    p.state_ = StreamParser::State::kOpen;
    p.handler_.OnStreamOpen(std::move(h));
  }

  static void OnEnd(StreamParser& p, StreamParser::Live& l) {
    if (l.depth == 0) {  // RFC 6120 §4.4: </stream:stream> closes the stream
      p.state_ = StreamParser::State::kClosed;
      l.stopped = true;
      XML_StopParser(l.parser, XML_FALSE);
      p.handler_.OnStreamClose();
      return;
    }
    p.FlushText();
    l.open.pop_back();
    if (--l.depth > 0) return;
    std::size_t end = p.EventEnd();
    if (end - l.stanza_start > p.limits_.max_stanza_bytes) {
      return p.Fail(StreamCondition::kPolicyViolation, "stanza too large");
    }
    l.boundary = end;
    l.nodes = 0;
    Element stanza = std::move(l.stanza);
    l.stanza = Element();
    p.handler_.OnStanza(std::move(stanza));
  }

  static void OnText(StreamParser& p, StreamParser::Live& l, std::string_view text) {
    if (l.depth == 0) {
      // RFC 6120 §4.6.1: whitespace between stanzas is a keepalive. Other text there is
      // well-formed XML but not a valid stream, so it is bad-format (§4.9.3.1), not
      // not-well-formed (§4.9.3.13, which is about XML well-formedness).
      if (text.find_first_not_of(kXmlSpaces) != std::string_view::npos) {
        return p.Fail(StreamCondition::kBadFormat, "text between stanzas");
      }
      l.boundary = p.EventEnd();
      return;
    }
    if (p.EventEnd() - l.stanza_start > p.limits_.max_stanza_bytes) {
      return p.Fail(StreamCondition::kPolicyViolation, "stanza too large");
    }
    l.text.append(text);
  }
};

void SetExpatCallbacks(XML_Parser parser) { ExpatCallbacks::Install(parser); }

}  // namespace parley::xml
