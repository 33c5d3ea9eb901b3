// register: creates accounts <prefix>0 .. <prefix>N-1 by XEP-0077 in-band registration, C at a
// time, each on a fresh encrypted stream. Accounts that already exist count as "existing".

// clang-format off
#include <utility>  // first: g++ 12 needs it before Asio for C++20 coroutine support
// clang-format on
#include <boost/asio/use_awaitable.hpp>

#include "parley_bench/scenarios.hpp"

namespace parley::bench {

asio::awaitable<void> RegisterOne(Env& env, std::size_t worker, int64_t item) {
  auto conn = std::make_shared<XmppConn>(env.pool.Io(worker), *env.tls, env.target);
  conn->ArmTimeout(env.OpTimeout());
  co_await conn->Connect(env.NextSource());
  co_await conn->OpenStream();
  co_await conn->StartTls();
  auto result =
      co_await conn->Register(UserName(env.opts, static_cast<int>(item)), env.opts.password);
  Stats& stats = env.pool.StatsOf(worker);
  if (result == XmppConn::RegisterResult::kCreated) {
    ++stats.ok;
  } else {
    ++stats.existing;
  }
  co_await conn->CloseStream();
}

int RunRegister(Env& env, JsonLine& json) {
  const Options& o = env.opts;
  json.Add("users", o.users);
  json.Add("concurrency", o.concurrency);
  CpuMark start = MarkCpu(env);
  bool done = RunConcurrently(
      env, o.users, o.concurrency,
      [&env](std::size_t w, int64_t i) { return RegisterOne(env, w, i); }, env.hard_deadline);
  CpuMark end = MarkCpu(env);
  env.pool.Stop();
  env.timed_out = !done;
  Stats t = env.pool.Total();
  double secs = std::chrono::duration<double>(end.at - start.at).count();
  json.Add("created", t.ok);
  json.Add("existing", t.existing);
  json.Add("seconds", secs);
  json.Add("registrations_per_second", secs > 0 ? static_cast<double>(t.ok) / secs : 0.0);
  AddCpu(json, env, start, end);
  return done ? 0 : 1;
}

}  // namespace parley::bench
