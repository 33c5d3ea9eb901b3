// login: complete logins per second with C concurrent clients for D seconds, each a new TCP
// connection through STARTTLS (the server requires TLS before SASL), SCRAM-SHA-1 (or PLAIN),
// the stream restart and resource binding, then </stream:stream>. Accounts are used in turn. A
// warm-up pass logs every account in once first, so that the SCRAM keys are cached and the
// generator spends no PBKDF2 time inside the window.

// clang-format off
#include <utility>  // first: g++ 12 needs it before Asio for C++20 coroutine support
// clang-format on
#include <boost/asio/use_awaitable.hpp>
#include <thread>

#include "parley_bench/scenarios.hpp"

namespace parley::bench {
namespace {

asio::awaitable<void> LoginOne(Env& env, std::size_t worker, int64_t item, bool timed) {
  Clock::time_point began = Clock::now();
  int user = static_cast<int>(item % std::max(1, env.opts.users));
  auto conn = co_await Login(env, env.pool.Io(worker), user, /*presence=*/false);
  Clock::time_point done = Clock::now();
  Stats& stats = env.pool.StatsOf(worker);
  if (!timed) {
    ++stats.existing;  // warm-up logins
  } else if (done <= env.stop_at) {
    ++stats.ok;
    stats.Latency(done - began);
  }
  conn->ArmTimeout(std::chrono::seconds(5));
  co_await conn->CloseStream();
}

}  // namespace

int RunLogin(Env& env, JsonLine& json) {
  const Options& o = env.opts;
  json.Add("users", o.users);
  json.Add("concurrency", o.concurrency);
  json.Add("duration", o.duration);
  json.Add("mechanism", o.mechanism);
  CpuMark warm_start = MarkCpu(env);
  bool done = true;
  if (env.mechanism == XmppConn::Mechanism::kScramSha1) {
    done = RunConcurrently(
        env, o.users, o.concurrency,
        [&env](std::size_t w, int64_t i) { return LoginOne(env, w, i, false); }, env.hard_deadline);
  }
  CpuMark start = MarkCpu(env);
  uint64_t derivations = env.scram.Misses();
  CpuMark end = start;
  if (done) {
    env.stop_at =
        std::min(env.hard_deadline,
                 start.at + std::chrono::milliseconds(static_cast<int64_t>(o.duration * 1e3)));
    TaskGroup group(env, -1, o.concurrency,
                    [&env](std::size_t w, int64_t i) { return LoginOne(env, w, i, true); });
    std::this_thread::sleep_until(env.stop_at);
    end = MarkCpu(env);
    // Logins in flight when the window closed finish (they are not counted) or time out.
    done = group.Wait(
        std::min(env.hard_deadline, env.stop_at + env.OpTimeout() + std::chrono::seconds(6)));
  }
  env.stop = true;
  env.pool.Stop();
  env.timed_out = !done;
  Stats t = env.pool.Total();
  double window = std::min(o.duration, std::chrono::duration<double>(end.at - start.at).count());
  json.Add("warmup_logins", t.existing);
  json.Add("warmup_seconds", std::chrono::duration<double>(start.at - warm_start.at).count());
  json.Add("scram_derivations", derivations);
  json.Add("logins", t.ok);
  json.Add("logins_per_second", window > 0 ? static_cast<double>(t.ok) / window : 0.0);
  AddLatency(json, "login_latency", ComputePercentiles(t.latencies_us));
  AddCpu(json, env, start, end);
  if (start.server && end.server && *end.server > *start.server) {
    json.Add("logins_per_server_cpu_second",
             static_cast<double>(t.ok) / (*end.server - *start.server));
  }
  return done ? 0 : 1;
}

}  // namespace parley::bench
