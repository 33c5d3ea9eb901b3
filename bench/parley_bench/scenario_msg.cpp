// msg: P pairs of logged-in accounts exchange one-to-one chat messages through the server.
// Closed loop (default): the first account of each pair sends W messages; whoever receives one
// sends the next to the other, so W are always in flight per pair. Open loop (--rate R): each
// worker sends its share of R messages/s from the first to the second account of its pairs,
// waking when the next is due (at least 100 µs apart), whatever the server's pace. Every body
// carries the steady-clock send time (open loop: the scheduled time, so a stalled server cannot
// hide its queueing), and the receiver computes
// the latency. Deliveries count inside the window [warm-up, warm-up + duration) only.
// With --relay the peers are a parley-relay's clients instead (bench/relay): the same stanza bytes,
// each on one line after the recipient's id.

// clang-format off
#include <utility>  // first: g++ 12 needs it before Asio for C++20 coroutine support
// clang-format on
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "parley_bench/scenarios.hpp"
#include "parley_bench/traffic.hpp"

namespace parley::bench {
namespace {

// The relay needs one line per message: the recipient's id before the stanza, a newline after.
constexpr std::string_view kRelaySuffix = "</body></message>\n";

struct Pair {
  Endpoint a, b;
  std::size_t worker = 0;
};

// Reads one connection until the run stops. Closed loop: answers each message with the next one.
asio::awaitable<void> Reader(Env& env, std::size_t worker, Endpoint self, bool closed_loop,
                             std::shared_ptr<Window> window) {
  env.live.fetch_add(1);
  Stats& stats = env.pool.StatsOf(worker);
  bool closed = false;
  while (!closed && co_await self.conn->ReadMore()) {
    for (StreamEvent ev = self.conn->Poll(); ev.kind != StreamEvent::Kind::kNone;
         ev = self.conn->Poll()) {
      if (ev.kind == StreamEvent::Kind::kStreamClose) {
        closed = true;
        break;
      }
      if (ev.kind != StreamEvent::Kind::kElement) continue;
      std::string_view el = ev.bytes;
      if (!el.starts_with("<message")) {
        AnswerPing(*self.conn, el);
        continue;
      }
      Clock::time_point sent;
      if (!ParseStamp(el, &sent)) continue;  // not one of ours (a bounce counts by its absence)
      Clock::time_point now = Clock::now();
      if (window->Contains(now)) {
        ++stats.delivered;
        stats.Latency(now - sent);
      }
      if (closed_loop && !env.stop.load(std::memory_order_relaxed)) {
        SendStamped(self, now);
        ++stats.sent;
      }
    }
  }
  env.live.fetch_sub(1);
  if (!env.stop.load()) {
    ++stats.dropped;
    stats.Error("message connection closed: " + self.conn->LastError());
  }
  self.conn->Close();
}

asio::awaitable<void> SetUpPair(Env& env, std::size_t worker, int64_t k, std::vector<Pair>* pairs,
                                std::shared_ptr<Window> window, bool closed_loop) {
  asio::io_context& io = env.pool.Io(worker);
  int index = static_cast<int>(k);
  auto a = co_await Login(env, io, 2 * index, /*presence=*/true);
  auto b = co_await Login(env, io, 2 * index + 1, /*presence=*/true);
  Pair& p = (*pairs)[k];
  p.worker = worker;
  auto jid = [&](int user) {
    return UserName(env.opts, user) + "@" + env.opts.domain + "/" + env.opts.resource;
  };
  // The same stanza bytes either way; the relay needs the recipient's id in front of them.
  const bool relay = !env.opts.relay.empty();
  auto prefix = [&](int peer) {
    return (relay ? UserName(env.opts, peer) + " " : std::string()) + "<message to='" + jid(peer) +
           "' type='chat'><body>";
  };
  const std::string_view suffix = relay ? kRelaySuffix : kMessageSuffix;
  p.a = {a, prefix(2 * index + 1), suffix};
  p.b = {b, prefix(2 * index), suffix};
  ++env.pool.StatsOf(worker).ok;
  asio::co_spawn(io, Reader(env, worker, p.a, closed_loop, window), asio::detached);
  asio::co_spawn(io, Reader(env, worker, p.b, closed_loop, window), asio::detached);
}

}  // namespace

int RunMsg(Env& env, JsonLine& json) {
  const Options& o = env.opts;
  const bool closed_loop = o.rate <= 0;
  json.Add("mode", closed_loop ? "closed" : "open");
  json.Add("protocol", o.relay.empty() ? std::string("xmpp") : "relay-" + o.relay);
  json.Add("pairs", o.pairs);
  json.Add("window", o.window);
  json.Add("offered_rate", o.rate);
  json.Add("duration", o.duration);
  json.Add("warmup", o.warmup);
  auto window = std::make_shared<Window>();
  std::vector<Pair> pairs(static_cast<std::size_t>(o.pairs));
  bool done = RunConcurrently(
      env, o.pairs, o.concurrency,
      [&env, &pairs, window, closed_loop](std::size_t w, int64_t k) {
        return SetUpPair(env, w, k, &pairs, window, closed_loop);
      },
      env.hard_deadline);
  int64_t ready = 0;
  for (const Pair& p : pairs) ready += p.a.conn != nullptr;
  json.Add("pairs_ready", ready);
  if (!done || ready == 0) {
    env.stop = true;
    env.pool.Stop();
    env.timed_out = !done;
    return 1;
  }
  // Kick off.
  if (closed_loop) {
    for (Pair& p : pairs) {
      if (!p.a.conn) continue;
      asio::post(env.pool.Io(p.worker), [&env, a = p.a, w = o.window, worker = p.worker]() mutable {
        for (int i = 0; i < w; ++i) SendStamped(a, Clock::now());
        env.pool.StatsOf(worker).sent += static_cast<uint64_t>(w);
      });
    }
  } else {
    std::vector<std::vector<Endpoint>> by_worker(env.pool.Size());
    for (Pair& p : pairs) {
      if (p.a.conn) by_worker[p.worker % by_worker.size()].push_back(p.a);
    }
    for (std::size_t w = 0; w < by_worker.size(); ++w) {
      if (by_worker[w].empty()) continue;
      double share = o.rate * static_cast<double>(by_worker[w].size()) / static_cast<double>(ready);
      asio::co_spawn(env.pool.Io(w), Ticker(env, w, std::move(by_worker[w]), share),
                     asio::detached);
    }
  }
  WindowRun run = RunWindow(env, *window, o.warmup, o.duration);
  pairs.clear();
  Stats t = env.pool.Total();
  json.Add("connections_at_end", run.live_at_end);
  json.Add("sent", t.sent);
  AddDeliveryResults(json, env, run, t);
  return 0;
}

}  // namespace parley::bench
