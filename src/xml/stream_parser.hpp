#pragma once
// Incremental parser for one XMPP stream (RFC 6120 §4, §11) on top of libexpat.

#include <cstddef>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "stanza/error.hpp"
#include "xml/element.hpp"
#include "xml/expat_memory.hpp"

struct XML_ParserStruct;  // expat's parser, kept out of this header

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
// of expat's allocations are counted and capped. An idle parser (between stanzas) costs
// MemoryUsage(), about 11 KiB (3.5 KiB before the header; stream_parser_limits_test.cpp,
// IdleParserIsSmall); after a big stanza the expat parser is rebuilt once idle, so that its grown
// buffers are returned.
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

  bool MidStanza() const;             // a stanza is partly received (false between stanzas)
  std::size_t BufferedBytes() const;  // bytes of the partial stanza held
  bool StreamOpen() const { return state_ == State::kOpen; }
  // Heap bytes this parser holds now: expat's allocations plus our own buffers (not the partial
  // stanza tree, which BufferedBytes() bounds).
  std::size_t MemoryUsage() const;

 private:
  friend struct ExpatCallbacks;
  enum class State { kHeader, kOpen, kClosed, kFailed };

  void NewExpat(bool keep_stream);
  void FreeExpat();
  void Fail(stanza::StreamCondition condition, std::string text);
  void FailFromExpat();
  bool CheckLimitsAfterSlice();
  void MaybeCompact();
  void FlushText();
  std::size_t EventEnd() const;

  StreamHandler& handler_;
  ParserLimits limits_;
  XML_ParserStruct* parser_ = nullptr;
  ExpatMemory memory_;
  State state_ = State::kHeader;
  bool root_seen_ = false;  // the current expat parser has seen <stream:stream>
  bool replaying_ = false;  // feeding resume_header_ to a rebuilt expat parser
  bool in_parse_ = false;   // inside XML_Parse, so callbacks may run
  bool stopped_ = false;    // expat was told to stop; ignore late callbacks
  bool reset_requested_ = false;
  std::exception_ptr exception_;

  std::size_t fed_ = 0;               // bytes given to the current expat parser
  std::size_t boundary_ = 0;          // end of the last stream-level event
  std::size_t content_end_ = 0;       // end of the last non-whitespace byte fed
  std::size_t stanza_start_ = 0;      // offset of the current stanza's '<'
  std::size_t depth_ = 0;             // open elements inside the stream; 0 between stanzas
  std::size_t nodes_ = 0;             // nodes in the current stanza
  std::size_t pending_ns_decls_ = 0;  // declarations seen for the next start tag

  Element stanza_;
  std::vector<Element*> open_;  // open elements of stanza_, innermost last
  std::string text_;            // character data not yet added to open_.back()
  std::vector<Attribute> header_decls_;
  std::string resume_header_;  // a stream tag with the header's namespace declarations
};

}  // namespace parley::xml
