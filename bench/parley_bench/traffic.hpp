#pragma once
// What the message scenarios (msg, muc) share: stamped messages (a fixed prefix, the steady-clock
// send time, a fixed suffix), the measurement window, the open-loop ticker, and the closing of a
// window with its CPU readings. Endpoints and tickers live on one worker; the Window is read by
// every worker and written once by the main thread.

// clang-format off
#include <utility>  // first: g++ 12 needs it before Asio for C++20 coroutine support
// clang-format on
#include <atomic>
#include <climits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parley_bench/report.hpp"
#include "parley_bench/runner.hpp"

namespace parley::bench {

// Deliveries count inside [begin, end) only (steady-clock ticks; unset = never).
struct Window {
  std::atomic<int64_t> begin{INT64_MAX};
  std::atomic<int64_t> end{INT64_MAX};
  bool Contains(Clock::time_point t) const {
    int64_t v = t.time_since_epoch().count();
    return v >= begin.load(std::memory_order_relaxed) && v < end.load(std::memory_order_relaxed);
  }
};

// A connection and the bytes around the stamp of every message it sends.
struct Endpoint {
  std::shared_ptr<XmppConn> conn;
  std::string prefix;  // e.g. "<message to='peer' type='chat'><body>"
  std::string_view suffix;
};

inline constexpr std::string_view kMessageSuffix = "</body></message>";

void SendStamped(Endpoint& from, Clock::time_point stamp);

// The stamp in the <body/> of one of our messages; false for anything else.
bool ParseStamp(std::string_view element, Clock::time_point* stamp);

// Open loop: sends `rate` messages/s round-robin over `senders`, waking when the next is due (at
// least 100 µs apart), until env.stop; each carries its scheduled send time. Runs on `worker`'s
// io_context.
asio::awaitable<void> Ticker(Env& env, std::size_t worker, std::vector<Endpoint> senders,
                             double rate);

// Opens the window `warmup` seconds from now for `duration` seconds (cut at the hard deadline),
// sleeps through it, reads the CPU counters at both ends, then stops the workers.
struct WindowRun {
  CpuMark start, stop;
  int64_t live_at_end = 0;
  double Seconds() const { return std::chrono::duration<double>(stop.at - start.at).count(); }
};
WindowRun RunWindow(Env& env, Window& window, double warmup, double duration);

// delivered, delivered_per_second, latency_*, CPU, delivered_per_server_cpu_second,
// generator_cpu_share.
void AddDeliveryResults(JsonLine& json, const Env& env, const WindowRun& run, Stats& totals);

}  // namespace parley::bench
