// msg: P pairs of logged-in accounts exchange one-to-one chat messages through the server.
// Closed loop (default): the first account of each pair sends W messages; whoever receives one
// sends the next to the other, so W are always in flight per pair. Open loop (--rate R): each
// worker sends its share of R messages/s from the first to the second account of its pairs, on a
// 1 ms tick, whatever the server's pace. Every body carries the steady-clock send time (open loop:
// the scheduled time, so a stalled server cannot hide its queueing), and the receiver computes
// the latency. Deliveries count inside the window [warm-up, warm-up + duration) only.

// clang-format off
#include <utility>  // first: g++ 12 needs it before Asio for C++20 coroutine support
// clang-format on
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <thread>

#include "parley_bench/scenarios.hpp"

namespace parley::bench {
namespace {

struct Window {
  std::atomic<int64_t> begin{INT64_MAX};  // steady-clock ticks
  std::atomic<int64_t> end{INT64_MAX};
};

struct Endpoint {
  std::shared_ptr<XmppConn> conn;
  std::string prefix;  // "<message to='peer' type='chat'><body>"
};

struct Pair {
  Endpoint a, b;
  std::size_t worker = 0;
};

constexpr std::string_view kSuffix = "</body></message>";

void SendStamped(Endpoint& from, Clock::time_point stamp) {
  thread_local std::string out;
  out.assign(from.prefix);
  char digits[24];
  auto r = std::to_chars(digits, digits + sizeof digits, stamp.time_since_epoch().count());
  out.append(digits, r.ptr);
  out.append(kSuffix);
  from.conn->Send(out);
}

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
      std::string_view body = ChildText(el, "body");
      int64_t sent = 0;
      if (std::from_chars(body.data(), body.data() + body.size(), sent).ec != std::errc()) {
        continue;  // not one of ours (an error bounce is counted by its absence)
      }
      Clock::time_point now = Clock::now();
      int64_t t = now.time_since_epoch().count();
      if (t >= window->begin.load(std::memory_order_relaxed) &&
          t < window->end.load(std::memory_order_relaxed)) {
        ++stats.delivered;
        stats.Latency(now - Clock::time_point(Clock::duration(sent)));
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
  p.a = {a, "<message to='" + jid(2 * index + 1) + "' type='chat'><body>"};
  p.b = {b, "<message to='" + jid(2 * index) + "' type='chat'><body>"};
  ++env.pool.StatsOf(worker).ok;
  asio::co_spawn(io, Reader(env, worker, p.a, closed_loop, window), asio::detached);
  asio::co_spawn(io, Reader(env, worker, p.b, closed_loop, window), asio::detached);
}

// Open loop: this worker's share of the offered rate, on a 1 ms tick.
asio::awaitable<void> Ticker(Env& env, std::size_t worker, std::vector<Endpoint> senders,
                             double rate) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  Stats& stats = env.pool.StatsOf(worker);
  const Clock::time_point start = Clock::now();
  uint64_t sent = 0;
  std::size_t next = 0;
  while (!env.stop.load(std::memory_order_relaxed)) {
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    auto due = static_cast<uint64_t>(elapsed * rate);
    for (; sent < due; ++sent) {
      auto scheduled = start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(static_cast<double>(sent) / rate));
      SendStamped(senders[next++ % senders.size()], scheduled);
      ++stats.sent;
    }
    timer.expires_after(std::chrono::milliseconds(1));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace

int RunMsg(Env& env, JsonLine& json) {
  const Options& o = env.opts;
  const bool closed_loop = o.rate <= 0;
  json.Add("mode", closed_loop ? "closed" : "open");
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
  const Clock::time_point kickoff = Clock::now();
  auto ms = [](double s) { return std::chrono::milliseconds(static_cast<int64_t>(s * 1e3)); };
  const Clock::time_point begin = kickoff + ms(o.warmup);
  const Clock::time_point end = std::min(env.hard_deadline, begin + ms(o.duration));
  window->begin = begin.time_since_epoch().count();
  window->end = end.time_since_epoch().count();
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
  std::this_thread::sleep_until(begin);
  CpuMark start = MarkCpu(env);
  std::this_thread::sleep_until(end);
  CpuMark stop = MarkCpu(env);
  int64_t live_at_end = env.live.load();
  env.stop = true;
  env.pool.Stop();
  pairs.clear();
  Stats t = env.pool.Total();
  double secs = std::chrono::duration<double>(stop.at - start.at).count();
  json.Add("connections_at_end", live_at_end);
  json.Add("sent", t.sent);
  json.Add("delivered", t.delivered);
  json.Add("delivered_per_second", secs > 0 ? static_cast<double>(t.delivered) / secs : 0.0);
  AddLatency(json, "latency", ComputePercentiles(t.latencies_us));
  AddCpu(json, env, start, stop);
  if (start.server && stop.server && *stop.server > *start.server) {
    json.Add("delivered_per_server_cpu_second",
             static_cast<double>(t.delivered) / (*stop.server - *start.server));
  }
  // Near 1.0 the generator, not the server, may be the bottleneck.
  json.Add("generator_cpu_share",
           secs > 0 ? (stop.self - start.self) / secs / static_cast<double>(o.threads) : 0.0);
  return 0;
}

}  // namespace parley::bench
