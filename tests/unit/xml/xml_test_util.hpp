#pragma once
// Helpers for the xml tests: a handler that records what the parser reports, and gtest printing.

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "xml/serializer.hpp"
#include "xml/stream_parser.hpp"

namespace parley::xml {

inline void PrintTo(const Element& e, std::ostream* os) { *os << ToString(e); }

namespace testing_util {

inline constexpr char kHeader[] =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "to='example.com' version='1.0' xml:lang='en'>";

// Records every event; optional hooks run inside the callbacks.
struct Recorder : StreamHandler {
  std::vector<StreamHeader> opens;
  std::vector<Element> stanzas;
  int closes = 0;
  std::vector<ParseError> errors;
  std::function<void(const Element&)> on_stanza;
  std::function<void()> on_error;

  void OnStreamOpen(StreamHeader header) override { opens.push_back(std::move(header)); }
  void OnStanza(Element stanza) override {
    stanzas.push_back(std::move(stanza));
    if (on_stanza) on_stanza(stanzas.back());
  }
  void OnStreamClose() override { ++closes; }
  void OnError(ParseError error) override {
    errors.push_back(std::move(error));
    if (on_error) on_error();
  }
  std::optional<stanza::StreamCondition> Error() const {
    if (errors.empty()) return std::nullopt;
    return errors.front().condition;
  }
};

// A StreamParser released after every Feed(), the way C2sSession drives it.
class ReleasingStreamParser : public StreamParser {
 public:
  using StreamParser::StreamParser;
  bool Feed(std::string_view bytes) {
    bool ok = StreamParser::Feed(bytes);
    ReleaseIfIdle();
    return ok;
  }
};

// Parses one stanza inside a standard jabber:client stream; nullopt on any error.
inline std::optional<Element> ParseStanza(const std::string& xml) {
  Recorder r;
  StreamParser p(r);
  if (!p.Feed(kHeader) || !p.Feed(xml) || r.stanzas.size() != 1) return std::nullopt;
  return std::move(r.stanzas.front());
}

}  // namespace testing_util
}  // namespace parley::xml
