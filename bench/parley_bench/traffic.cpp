#include "parley_bench/traffic.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <thread>

#include "parley_bench/element_scanner.hpp"

namespace parley::bench {

void SendStamped(Endpoint& from, Clock::time_point stamp) {
  thread_local std::string out;
  out.assign(from.prefix);
  char digits[24];
  auto r = std::to_chars(digits, digits + sizeof digits, stamp.time_since_epoch().count());
  out.append(digits, r.ptr);
  out.append(from.suffix);
  from.conn->Send(out);
}

bool ParseStamp(std::string_view element, Clock::time_point* stamp) {
  std::string_view body = ChildText(element, "body");
  int64_t ticks = 0;
  if (body.empty() ||
      std::from_chars(body.data(), body.data() + body.size(), ticks).ec != std::errc()) {
    return false;
  }
  *stamp = Clock::time_point(Clock::duration(ticks));
  return true;
}

namespace {
// The shortest sleep of the open-loop ticker: at most 10,000 wake-ups a second per worker.
constexpr auto kMinTick = std::chrono::microseconds(100);
}  // namespace

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
    // Sleep until the next message is due, but at least kMinTick: a fixed 1 ms tick made every
    // message up to 1 ms late before it left, a floor under every server's latency that hid
    // their differences (the relay's p50 at 3,000/s was 0.96 ms).
    auto next_due = start + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(static_cast<double>(sent) / rate));
    timer.expires_at(std::max(next_due, Clock::now() + kMinTick));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

WindowRun RunWindow(Env& env, Window& window, double warmup, double duration) {
  auto ms = [](double s) { return std::chrono::milliseconds(static_cast<int64_t>(s * 1e3)); };
  const Clock::time_point begin = Clock::now() + ms(warmup);
  const Clock::time_point end = std::min(env.hard_deadline, begin + ms(duration));
  window.begin = begin.time_since_epoch().count();
  window.end = end.time_since_epoch().count();
  WindowRun run;
  std::this_thread::sleep_until(begin);
  run.start = MarkCpu(env);
  std::this_thread::sleep_until(end);
  run.stop = MarkCpu(env);
  run.live_at_end = env.live.load();
  env.stop = true;
  env.pool.Stop();
  return run;
}

void AddDeliveryResults(JsonLine& json, const Env& env, const WindowRun& run, Stats& t) {
  const double secs = run.Seconds();
  json.Add("delivered", t.delivered);
  json.Add("delivered_per_second", secs > 0 ? static_cast<double>(t.delivered) / secs : 0.0);
  AddLatency(json, "latency", ComputePercentiles(t.latencies_us));
  AddCpu(json, env, run.start, run.stop);
  if (run.start.server && run.stop.server && *run.stop.server > *run.start.server) {
    json.Add("delivered_per_server_cpu_second",
             static_cast<double>(t.delivered) / (*run.stop.server - *run.start.server));
  }
  // Near 1.0 the generator, not the server, may be the bottleneck.
  json.Add("generator_cpu_share", secs > 0 ? (run.stop.self - run.start.self) / secs /
                                                 static_cast<double>(env.opts.threads)
                                           : 0.0);
}

}  // namespace parley::bench
