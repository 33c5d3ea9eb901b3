#pragma once
// What stream_parser.cpp (feeding, limits, the parser's life) and stream_parser_events.cpp (what
// each expat event does) share. Not for use outside src/xml.

#include <expat.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/check.hpp"
#include "xml/expat_memory.hpp"
#include "xml/stream_parser.hpp"

namespace parley::xml {

// expat joins "uri SEP local SEP prefix"; a newline cannot survive in a namespace URI (attribute
// values are normalised, and expat >= 2.4.5 rejects a separator that arrives as &#10;).
constexpr XML_Char kSeparator = '\n';
// RFC 6120 §4.6.1: the whitespace allowed between stanzas (XML's S production).
constexpr std::string_view kXmlSpaces = " \t\r\n";

// One expat parser and the state of the parse it is doing. Exists while bytes are being parsed;
// ReleaseIfIdle() frees it or pools it for another StreamParser of the thread, Reset() frees it.
// Offsets count the bytes given to this expat parser, the replayed stream tag included.
struct StreamParser::Live {
  Live() = default;
  Live(const Live&) = delete;
  Live& operator=(const Live&) = delete;
  ~Live() {
    if (parser != nullptr) XML_ParserFree(parser);
    PARLEY_DCHECK(memory.bytes == 0);
  }

  XML_Parser parser = nullptr;
  ExpatMemory memory;
  bool root_seen = false;  // this expat parser has seen <stream:stream>
  bool stopped = false;    // expat was told to stop; ignore late callbacks
  bool reset_requested = false;

  std::size_t fed = 0;               // bytes given to this expat parser
  std::size_t boundary = 0;          // end of the last stream-level event
  std::size_t content_end = 0;       // end of the last non-whitespace byte fed
  std::size_t stanza_start = 0;      // offset of the current stanza's '<'
  std::size_t depth = 0;             // open elements inside the stream; 0 between stanzas
  std::size_t nodes = 0;             // nodes in the current stanza
  std::size_t pending_ns_decls = 0;  // declarations seen for the next start tag

  Element stanza;
  std::vector<Element*> open;  // open elements of stanza, innermost last
  std::string text;            // character data not yet added to open.back()
  std::vector<Attribute> header_decls;
  std::string context;  // while pooled: the resume header of the stream it parsed
};

// Installs the callbacks that turn this expat parser's events into StreamParser events.
void SetExpatCallbacks(XML_Parser parser);

}  // namespace parley::xml
