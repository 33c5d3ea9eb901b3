// libFuzzer target for xml::StreamParser. The input is fed in pieces whose sizes come from the
// first byte, and a stream restart is exercised when a stanza named "success" arrives. Every stanza
// is serialised and parsed again, and must come back identical (unless it undeclares the default
// namespace, xmlns='', which Element cannot express).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "xml/serializer.hpp"
#include "xml/stream_parser.hpp"

namespace {

using parley::xml::Element;
using parley::xml::ParseError;
using parley::xml::ParserLimits;
using parley::xml::StreamHandler;
using parley::xml::StreamHeader;
using parley::xml::StreamParser;

constexpr std::string_view kHeader =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

bool UndeclaresNamespace(const Element& e, std::string_view parent_ns) {
  if (e.IsText()) return false;
  if (e.Xmlns().empty() && !parent_ns.empty()) return true;
  for (const Element& c : e.Children()) {
    if (UndeclaresNamespace(c, e.Xmlns())) return true;
  }
  return false;
}

struct Collect : StreamHandler {
  int stanzas = 0;
  Element last;
  void OnStreamOpen(StreamHeader) override {}
  void OnStanza(Element stanza) override {
    ++stanzas;
    last = std::move(stanza);
  }
  void OnStreamClose() override {}
  void OnError(ParseError) override {}
};

struct Checker : StreamHandler {
  StreamParser* parser = nullptr;
  std::string default_ns;
  void OnStreamOpen(StreamHeader header) override { default_ns = header.default_ns; }
  void OnStanza(Element stanza) override {
    if (!UndeclaresNamespace(stanza, default_ns) && default_ns == "jabber:client") {
      std::string text = parley::xml::ToString(stanza, default_ns);
      Collect again;
      StreamParser reparse(again);
      if (!reparse.Feed(kHeader) || !reparse.Feed(text) || again.stanzas != 1 ||
          !(again.last == stanza)) {
        __builtin_trap();
      }
    }
    if (stanza.Name() == "success") parser->Reset();
  }
  void OnStreamClose() override {}
  void OnError(ParseError) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t piece = (data[0] % 64) + 1;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  Checker checker;
  StreamParser parser(checker, ParserLimits{.max_stanza_bytes = 2048,
                                            .max_depth = 8,
                                            .max_attributes = 8,
                                            .max_header_bytes = 512,
                                            .max_nodes = 64});
  checker.parser = &parser;
  while (!input.empty()) {
    std::string_view chunk = input.substr(0, piece);
    input.remove_prefix(chunk.size());
    if (!parser.Feed(chunk)) break;
  }
  return 0;
}
