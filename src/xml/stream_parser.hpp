#pragma once
// Incremental parser for one XMPP stream (RFC 6120 §4, §11) on top of libexpat.

#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stanza/error.hpp"
#include "xml/element.hpp"

namespace parley::xml {

inline constexpr std::string_view kNsStreams = "http://etherx.jabber.org/streams";

// The <stream:stream ...> opening tag.
struct StreamHeader {
  std::string name;        // local name, "stream"
  std::string ns;          // its namespace, "http://etherx.jabber.org/streams"
  std::string default_ns;  // default namespace declared on it, e.g. "jabber:client" ("" if none)
  std::string prefix;      // prefix used, usually "stream"
  std::vector<Attribute> attrs;  // to, from, id, version, xml:lang (xml:lang spelled "xml:lang")
  // Every namespace declaration on the tag: name = prefix ("" for the default), value = URI.
  std::vector<Attribute> ns_decls;
  const std::string* Attr(std::string_view name) const;
};

struct ParseError {
  stanza::StreamCondition condition;
  std::string text;
};

struct ParserLimits {
  std::size_t max_stanza_bytes = 256 * 1024;  // bytes of one top-level stanza as received
  std::size_t max_depth = 32;                 // element nesting inside a stanza (the stanza is 1)
  std::size_t max_attributes = 64;            // per element, namespace declarations included
  std::size_t max_header_bytes = 4096;        // stream header, and whitespace/XML decl before it
  std::size_t max_nodes = 8192;               // elements + text nodes in one stanza (~200 B each)
};

// Callbacks run synchronously inside StreamParser::Feed(). They must not throw through the parser
// (an exception is caught, the parser is marked dead, and it is rethrown from Feed()), must not
// call Feed(), and must not destroy the parser; they may call Reset().
class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  virtual void OnStreamOpen(StreamHeader header) = 0;
  virtual void OnStanza(Element stanza) = 0;   // a complete depth-1 child of the stream
  virtual void OnStreamClose() = 0;            // </stream:stream>
  virtual void OnError(ParseError error) = 0;  // at most once; the parser is dead afterwards
};

// Turns the bytes of one XMPP stream into stream-open / stanza / stream-close events. Owned by one
// connection and used on that connection's shard only; lives as long as the connection. Enforces
// RFC 6120 §11 (restricted XML, UTF-8 only) and ParserLimits, so that memory stays bounded whatever
// the peer sends: input goes to expat in 8 KiB slices, limits are checked between slices, and all
// of expat's allocations are counted and capped. The expat parser (about 9.6 KiB once a stream
// header was parsed) exists only while bytes are being parsed: ReleaseIfIdle() gives it up between
// stanzas, and the next Feed() rebuilds it from the saved namespace context of the stream header.
// The expat event handling is in stream_parser_events.cpp.
class StreamParser {
 public:
  explicit StreamParser(StreamHandler& handler, ParserLimits limits = {});
  ~StreamParser();
  StreamParser(const StreamParser&) = delete;
  StreamParser& operator=(const StreamParser&) = delete;

  // Parses more bytes. Returns false once an error was reported (later calls do nothing). Bytes
  // after </stream:stream> are ignored.
  bool Feed(std::string_view bytes);
  // Stream restart (RFC 6120 §4.3.3, after STARTTLS and SASL): the next bytes must start a new
  // stream. May be called from inside a handler callback: parsing stops after the current element
  // and the rest of that Feed() buffer is discarded (a correct peer sends nothing more before the
  // restart). Also revives a parser that reported an error.
  void Reset();
  // Gives up the expat parser and every buffer if nothing is partly received: between stanzas of
  // an open stream, before the first byte of a stream, or once the stream closed or failed. What
  // stays is the stream tag's namespace declarations (a few dozen bytes), from which the next
  // Feed() rebuilds expat without raising a second OnStreamOpen: it takes a parser released by
  // another connection of this thread with the same declarations (a few are pooled), or builds
  // one (a few microseconds). Whitespace keepalives need none. Nothing observable changes. Call it
  // when a read was processed; does nothing mid-stanza or inside a handler callback.
  void ReleaseIfIdle();

  bool MidStanza() const;             // a stanza is partly received (false between stanzas)
  std::size_t BufferedBytes() const;  // bytes of the partial stanza held
  bool StreamOpen() const { return state_ == State::kOpen; }
  // Heap bytes this parser holds now, sizeof(StreamParser) included: expat's allocations plus our
  // own buffers (not the partial stanza tree, which BufferedBytes() bounds).
  std::size_t MemoryUsage() const;

 private:
  friend struct ExpatCallbacks;
  enum class State : unsigned char { kHeader, kOpen, kClosed, kFailed };
  struct Live;  // one expat parser and its parse state (stream_parser_internal.hpp)

  void NewExpat(bool replay);
  std::size_t ExpatCap() const;
  static std::vector<std::unique_ptr<Live>>& Pool();
  void Recycle();
  bool Reuse();
  void Restart();
  void Fail(stanza::StreamCondition condition, std::string text);
  void FailFromExpat();
  bool CheckLimitsAfterSlice();
  void MaybeCompact();
  void FlushText();
  std::size_t EventEnd() const;

  StreamHandler& handler_;
  ParserLimits limits_;
  std::unique_ptr<Live> live_;  // null while released
  std::string resume_header_;   // a stream tag with the header's namespace declarations
  std::exception_ptr exception_;
  State state_ = State::kHeader;
  bool replaying_ = false;  // feeding resume_header_ to a rebuilt expat parser
  bool in_parse_ = false;   // inside XML_Parse, so callbacks may run
};

}  // namespace parley::xml
