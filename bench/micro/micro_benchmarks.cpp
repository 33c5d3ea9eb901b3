// Micro-benchmarks of the hot-path building blocks (issue 4): stream parsing, serialization, JID
// normalisation and the router's serialize-once step. Google Benchmark; run
// build/bench/parley-micro (add --benchmark_filter=Parse to pick). Figures are per operation on
// one core; they complement parley-bench's end-to-end rates, they do not replace them.

#include <benchmark/benchmark.h>

#include <string>

#include "jid/jid.hpp"
#include "router/local_session.hpp"
#include "xml/element.hpp"
#include "xml/serializer.hpp"
#include "xml/stream_parser.hpp"

namespace {

using parley::xml::Element;

constexpr std::string_view kHeader =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "to='localhost' version='1.0'>";

std::string ChatMessage(int i) {
  return "<message to='bob@localhost/phone' type='chat' id='m" + std::to_string(i) +
         "'><body>Hello Bob, this is message number " + std::to_string(i) +
         " of the benchmark.</body><active xmlns='http://jabber.org/protocol/chatstates'/>"
         "</message>";
}

class CountingHandler : public parley::xml::StreamHandler {
 public:
  void OnStreamOpen(parley::xml::StreamHeader) override {}
  void OnStanza(Element stanza) override {
    benchmark::DoNotOptimize(stanza.Name().size());
    ++n;
  }
  void OnStreamClose() override {}
  void OnError(parley::xml::ParseError) override { failed = true; }
  long n = 0;
  bool failed = false;
};

// One read's worth of stanzas (64 chat messages) parsed into element trees.
void BM_ParseStanzas(benchmark::State& state) {
  std::string batch;
  for (int i = 0; i < 64; ++i) batch += ChatMessage(i);
  CountingHandler handler;
  parley::xml::StreamParser parser(handler, parley::xml::ParserLimits{});
  parser.Feed(kHeader);
  for (auto _ : state) {
    parser.Feed(batch);
    parser.ReleaseIfIdle();
  }
  if (handler.failed) state.SkipWithError("parse error");
  state.SetItemsProcessed(handler.n);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
}
BENCHMARK(BM_ParseStanzas);

Element MakeMessage() {
  Element msg("message", "jabber:client");
  msg.SetAttr("from", "alice@localhost/laptop");
  msg.SetAttr("to", "bob@localhost/phone");
  msg.SetAttr("type", "chat");
  msg.SetAttr("id", "m42");
  msg.AddChild("body", "jabber:client").AddText("Hello Bob, this is a message of the benchmark.");
  msg.AddChild("active", "http://jabber.org/protocol/chatstates");
  return msg;
}

void BM_SerializeMessage(benchmark::State& state) {
  Element msg = MakeMessage();
  std::string out;
  for (auto _ : state) {
    out.clear();
    parley::xml::Serialize(msg, out, "jabber:client");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SerializeMessage);

// The router's serialize-once step for a fan-out: one copy of the tree, one serialization, shared.
void BM_RouterShare(benchmark::State& state) {
  Element msg = MakeMessage();
  for (auto _ : state) {
    auto shared = parley::router::Share(msg);
    benchmark::DoNotOptimize(shared->bytes->size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouterShare);

// Parsing and normalising (ICU stringprep) a full JID, as done for every 'to' on the stanza path.
void BM_JidParse(benchmark::State& state) {
  const std::string text =
      state.range(0) ? "Alice.Example@Example.ORG/Laptop Home" : "alice@localhost/laptop";
  for (auto _ : state) {
    auto jid = parley::jid::Jid::Parse(text);
    benchmark::DoNotOptimize(jid.has_value());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JidParse)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
