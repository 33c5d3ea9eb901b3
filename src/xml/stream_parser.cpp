#include "xml/stream_parser.hpp"

#include <expat.h>

#include <utility>

#include "core/check.hpp"
#include "xml/expat_memory.hpp"
#include "xml/serializer.hpp"

namespace parley::xml {

using stanza::StreamCondition;

namespace {

// expat joins "uri SEP local SEP prefix"; a newline cannot survive in a namespace URI (attribute
// values are normalised, and expat >= 2.4.5 rejects a separator that arrives as &#10;).
constexpr XML_Char kSeparator = '\n';
// Input goes to expat in slices this big; the limits are checked between slices, so a peer can
// overshoot a limit by at most one slice before it is stopped.
constexpr std::size_t kSliceBytes = 8 * 1024;
// An idle parser whose expat allocations grew past this is rebuilt (see MaybeCompact()).
constexpr std::size_t kCompactAboveBytes = 32 * 1024;

const XML_Memory_Handling_Suite kCountedMemorySuite{CountedMalloc, CountedRealloc, CountedFree};

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

constexpr std::string_view kXmlSpaces = " \t\r\n";

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
  template <typename F>
  static void Guard(void* data, F&& f) {
    StreamParser& p = *static_cast<StreamParser*>(data);
    if (p.stopped_) return;
    try {
      f(p);
    } catch (...) {
      p.exception_ = std::current_exception();
      p.stopped_ = true;
      XML_StopParser(p.parser_, XML_FALSE);
    }
  }

  static void XMLCALL Start(void* d, const XML_Char* name, const XML_Char** atts) {
    Guard(d, [&](StreamParser& p) { OnStart(p, name, atts); });
  }
  static void XMLCALL End(void* d, const XML_Char* /*name*/) { Guard(d, OnEnd); }
  static void XMLCALL Text(void* d, const XML_Char* s, int len) {
    Guard(d, [&](StreamParser& p) { OnText(p, std::string_view(s, len)); });
  }
  static void XMLCALL NsDecl(void* d, const XML_Char* prefix, const XML_Char* uri) {
    Guard(d, [&](StreamParser& p) {
      ++p.pending_ns_decls_;
      if (!p.root_seen_) {
        p.header_decls_.push_back(Attribute{prefix ? prefix : "", uri ? uri : ""});
      }
    });
  }
  // RFC 6120 §11.6: UTF-8 only. The parser is created with UTF-8 forced, so a declared encoding is
  // only reported here, never obeyed.
  static void XMLCALL XmlDecl(void* d, const XML_Char* /*version*/, const XML_Char* encoding,
                              int /*standalone*/) {
    Guard(d, [&](StreamParser& p) {
      if (encoding != nullptr && !EqualsIgnoreCase(encoding, "UTF-8")) {
        p.Fail(StreamCondition::kUnsupportedEncoding,
               "encoding '" + std::string(encoding) + "': only UTF-8 (RFC 6120 §11.6)");
      }
    });
  }
  // RFC 6120 §11.1: no comments, processing instructions, DTDs or entity declarations. Refusing
  // the DOCTYPE at its first token also makes entity-expansion bombs impossible.
  static void Restricted(void* d, const char* what) {
    Guard(d, [&](StreamParser& p) {
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

  static void OnStart(StreamParser& p, const XML_Char* name, const XML_Char** atts) {
    const ParserLimits& limits = p.limits_;
    std::size_t attr_count = 0;
    while (atts[2 * attr_count] != nullptr) ++attr_count;
    if (attr_count + std::exchange(p.pending_ns_decls_, 0) > limits.max_attributes) {
      return p.Fail(StreamCondition::kPolicyViolation, "too many attributes");
    }
    if (!p.root_seen_) return OnStreamStart(p, SplitName(name), atts);

    p.FlushText();
    if (++p.depth_ > limits.max_depth) {
      return p.Fail(StreamCondition::kPolicyViolation, "elements nested too deeply");
    }
    if (++p.nodes_ > limits.max_nodes) {
      return p.Fail(StreamCondition::kPolicyViolation, "too many elements in one stanza");
    }
    QName q = SplitName(name);
    Element* e;
    if (p.depth_ == 1) {
      p.stanza_start_ = static_cast<std::size_t>(XML_GetCurrentByteIndex(p.parser_));
      p.stanza_ = Element(std::string(q.local), std::string(q.uri));
      e = &p.stanza_;
    } else {
      e = &p.open_.back()->AddChild(std::string(q.local), std::string(q.uri));
    }
    p.open_.push_back(e);
    for (std::size_t i = 0; i < attr_count; ++i) e->SetAttr(AttrName(atts[2 * i]), atts[2 * i + 1]);
    if (p.EventEnd() - p.stanza_start_ > limits.max_stanza_bytes) {
      return p.Fail(StreamCondition::kPolicyViolation, "stanza too large");
    }
  }

  static void OnStreamStart(StreamParser& p, const QName& q, const XML_Char** atts) {
    // RFC 6120 §4.8.1: the stream element is qualified by the streams namespace.
    if (q.uri != kNsStreams || q.local != "stream") {
      return p.Fail(StreamCondition::kInvalidNamespace,
                    "expected {http://etherx.jabber.org/streams}stream");
    }
    p.root_seen_ = true;
    p.boundary_ = p.EventEnd();
    if (p.replaying_) {
      p.header_decls_.clear();
      return;
    }
    if (p.boundary_ > p.limits_.max_header_bytes) {
      return p.Fail(StreamCondition::kPolicyViolation, "stream header too large");
    }
    StreamHeader h;
    h.name = q.local;
    h.ns = q.uri;
    h.prefix = q.prefix;
    for (std::size_t i = 0; atts[i] != nullptr; i += 2) {
      h.attrs.push_back(Attribute{AttrName(atts[i]), atts[i + 1]});
    }
    h.ns_decls = std::move(p.header_decls_);
    p.header_decls_.clear();
    p.resume_header_ = "<" + h.prefix + (h.prefix.empty() ? "" : ":") + h.name;
    for (const Attribute& decl : h.ns_decls) {
      if (decl.name.empty()) h.default_ns = decl.value;
      p.resume_header_ += decl.name.empty() ? " xmlns='" : " xmlns:" + decl.name + "='";
      AppendEscaped(p.resume_header_, decl.value);
      p.resume_header_ += '\'';
    }
    p.resume_header_ += '>';
    p.state_ = StreamParser::State::kOpen;
    p.handler_.OnStreamOpen(std::move(h));
  }

  static void OnEnd(StreamParser& p) {
    if (p.depth_ == 0) {  // RFC 6120 §4.4: </stream:stream> closes the stream
      p.state_ = StreamParser::State::kClosed;
      p.stopped_ = true;
      XML_StopParser(p.parser_, XML_FALSE);
      p.handler_.OnStreamClose();
      return;
    }
    p.FlushText();
    p.open_.pop_back();
    if (--p.depth_ > 0) return;
    std::size_t end = p.EventEnd();
    if (end - p.stanza_start_ > p.limits_.max_stanza_bytes) {
      return p.Fail(StreamCondition::kPolicyViolation, "stanza too large");
    }
    p.boundary_ = end;
    p.nodes_ = 0;
    Element stanza = std::move(p.stanza_);
    p.stanza_ = Element();
    p.handler_.OnStanza(std::move(stanza));
  }

  static void OnText(StreamParser& p, std::string_view text) {
    if (p.depth_ == 0) {
      // RFC 6120 §4.6.1: whitespace between stanzas is a keepalive. Other text there is
      // well-formed XML but not a valid stream, so it is bad-format (§4.9.3.1), not
      // not-well-formed (§4.9.3.13, which is about XML well-formedness).
      if (text.find_first_not_of(kXmlSpaces) != std::string_view::npos) {
        return p.Fail(StreamCondition::kBadFormat, "text between stanzas");
      }
      p.boundary_ = p.EventEnd();
      return;
    }
    if (p.EventEnd() - p.stanza_start_ > p.limits_.max_stanza_bytes) {
      return p.Fail(StreamCondition::kPolicyViolation, "stanza too large");
    }
    p.text_.append(text);
  }
};

StreamParser::StreamParser(StreamHandler& handler, ParserLimits limits)
    : handler_(handler), limits_(limits) {
  NewExpat(false);
}

StreamParser::~StreamParser() { FreeExpat(); }

void StreamParser::FreeExpat() {
  if (parser_ == nullptr) return;
  XML_ParserFree(parser_);
  parser_ = nullptr;
  PARLEY_DCHECK(memory_.bytes == 0);
}

// A fresh expat parser. With `replay`, the stream stays open: the new parser is fed a stream tag
// with the same namespace declarations, so that stanzas resolve as before, and no event is raised.
void StreamParser::NewExpat(bool replay) {
  FreeExpat();
  memory_ = ExpatMemory{};
  // Room for a partial token of a maximal stanza in expat's buffer (which doubles), plus copies of
  // its attribute values and names; anything beyond that is refused (XML_ERROR_NO_MEMORY).
  memory_.cap = 4 * (limits_.max_stanza_bytes + limits_.max_header_bytes) + 64 * 1024;
  {
    ScopedExpatMemory scope(&memory_);
    parser_ = XML_ParserCreate_MM("UTF-8", &kCountedMemorySuite, &kSeparator);
  }
  PARLEY_CHECK(parser_ != nullptr);
  XML_SetUserData(parser_, this);
  XML_SetReturnNSTriplet(parser_, XML_TRUE);
  XML_SetElementHandler(parser_, ExpatCallbacks::Start, ExpatCallbacks::End);
  XML_SetCharacterDataHandler(parser_, ExpatCallbacks::Text);
  XML_SetStartNamespaceDeclHandler(parser_, ExpatCallbacks::NsDecl);
  XML_SetXmlDeclHandler(parser_, ExpatCallbacks::XmlDecl);
  XML_SetCommentHandler(parser_, ExpatCallbacks::Comment);
  XML_SetProcessingInstructionHandler(parser_, ExpatCallbacks::Pi);
  XML_SetStartDoctypeDeclHandler(parser_, ExpatCallbacks::Doctype);
  XML_SetEntityDeclHandler(parser_, ExpatCallbacks::EntityDecl);
#ifdef PARLEY_HAVE_REPARSE_DEFERRAL
  // expat 2.6 (and Debian's 2.5 backport) holds back a token that completes a buffer until more
  // bytes arrive; a stanza must be delivered when its last byte does.
  XML_SetReparseDeferralEnabled(parser_, XML_FALSE);
#endif
  fed_ = boundary_ = content_end_ = stanza_start_ = 0;
  depth_ = nodes_ = pending_ns_decls_ = 0;
  root_seen_ = stopped_ = reset_requested_ = false;
  stanza_ = Element();
  open_.clear();
  text_.clear();
  header_decls_.clear();
  if (!replay) {
    state_ = State::kHeader;
    resume_header_.clear();
    return;
  }
  replaying_ = true;
  in_parse_ = true;
  XML_Status status;
  {
    ScopedExpatMemory scope(&memory_);
    status = XML_Parse(parser_, resume_header_.data(), static_cast<int>(resume_header_.size()),
                       XML_FALSE);
  }
  in_parse_ = false;
  replaying_ = false;
  PARLEY_CHECK(status == XML_STATUS_OK && root_seen_);
  fed_ = boundary_ = content_end_ = resume_header_.size();
}

void StreamParser::Reset() {
  if (in_parse_) {  // inside a callback: finish in Feed(), after XML_Parse returns
    reset_requested_ = true;
    if (!stopped_) XML_StopParser(parser_, XML_FALSE);
    stopped_ = true;
    return;
  }
  NewExpat(false);
}

void StreamParser::Fail(StreamCondition condition, std::string text) {
  if (state_ == State::kFailed) return;
  state_ = State::kFailed;
  if (in_parse_ && !stopped_) XML_StopParser(parser_, XML_FALSE);
  stopped_ = true;
  handler_.OnError(ParseError{condition, std::move(text)});
}

void StreamParser::FailFromExpat() {
  XML_Error code = XML_GetErrorCode(parser_);
  std::string text = XML_ErrorString(code);
  StreamCondition condition = StreamCondition::kNotWellFormed;
  switch (code) {
    case XML_ERROR_NO_MEMORY:
      condition = memory_.exceeded ? StreamCondition::kPolicyViolation
                                   : StreamCondition::kResourceConstraint;
      break;
    case XML_ERROR_UNKNOWN_ENCODING:
    case XML_ERROR_INCORRECT_ENCODING:
      condition = StreamCondition::kUnsupportedEncoding;  // RFC 6120 §11.6
      break;
    // An unbound prefix is not namespace-well-formed: §4.9.3.13 names that <not-well-formed/>
    // (bad-namespace-prefix, §4.9.3.2, is for a bound prefix we do not support).
    default:  // RFC 6120 §4.9.3.13: everything else is a well-formedness error
      break;
  }
  Fail(condition, std::move(text));
}

std::size_t StreamParser::EventEnd() const {
  return static_cast<std::size_t>(XML_GetCurrentByteIndex(parser_) +
                                  XML_GetCurrentByteCount(parser_));
}

void StreamParser::FlushText() {
  if (text_.empty()) return;
  ++nodes_;
  open_.back()->AddText(std::move(text_));
  text_ = std::string();
}

bool StreamParser::Feed(std::string_view bytes) {
  PARLEY_DCHECK(!in_parse_);
  if (state_ == State::kFailed) return false;
  if (state_ == State::kClosed) return true;
  // RFC 6120 §11.6: UTF-8 only; a UTF-16 or UTF-32 stream starts with a BOM or a NUL byte.
  for (std::size_t i = 0; fed_ + i < 2 && i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    if (b == 0x00 || (fed_ + i == 0 && (b == 0xFE || b == 0xFF))) {
      Fail(StreamCondition::kUnsupportedEncoding, "only UTF-8 (RFC 6120 §11.6)");
      return false;
    }
  }
  while (!bytes.empty()) {
    std::string_view slice = bytes.substr(0, kSliceBytes);
    bytes.remove_prefix(slice.size());
    std::size_t last = slice.find_last_not_of(kXmlSpaces);
    if (last != std::string_view::npos) content_end_ = fed_ + last + 1;
    fed_ += slice.size();
    in_parse_ = true;
    XML_Status status;
    {
      ScopedExpatMemory scope(&memory_);
      status = XML_Parse(parser_, slice.data(), static_cast<int>(slice.size()), XML_FALSE);
    }
    in_parse_ = false;
    if (exception_) {
      state_ = State::kFailed;
      std::rethrow_exception(std::exchange(exception_, nullptr));
    }
    if (reset_requested_) {
      bool ok = state_ != State::kFailed;
      NewExpat(false);
      return ok;
    }
    if (state_ == State::kFailed) return false;
    if (state_ == State::kClosed) return true;
    if (status != XML_STATUS_OK) {
      FailFromExpat();
      return false;
    }
    if (!CheckLimitsAfterSlice()) return false;
  }
  MaybeCompact();
  return true;
}

bool StreamParser::CheckLimitsAfterSlice() {
  if (state_ == State::kHeader) {
    if (fed_ <= limits_.max_header_bytes) return true;
    Fail(StreamCondition::kPolicyViolation, "stream header too large");
    return false;
  }
  if (BufferedBytes() <= limits_.max_stanza_bytes) return true;
  Fail(StreamCondition::kPolicyViolation, "stanza too large");
  return false;
}

// expat never shrinks its buffers, tag stack or pools. When the parser is idle between stanzas and
// expat holds more than kCompactAboveBytes, swap in a fresh expat parser.
void StreamParser::MaybeCompact() {
  if (state_ != State::kOpen || depth_ != 0 || content_end_ > boundary_) return;
  if (memory_.bytes <= kCompactAboveBytes) return;
  NewExpat(true);
}

bool StreamParser::MidStanza() const {
  return state_ == State::kOpen && (depth_ > 0 || content_end_ > boundary_);
}

std::size_t StreamParser::BufferedBytes() const {
  return depth_ > 0 ? fed_ - stanza_start_ : fed_ - boundary_;
}

std::size_t StreamParser::MemoryUsage() const {
  return sizeof(*this) + memory_.bytes + resume_header_.capacity() + text_.capacity() +
         open_.capacity() * sizeof(Element*) + header_decls_.capacity() * sizeof(Attribute);
}

}  // namespace parley::xml
