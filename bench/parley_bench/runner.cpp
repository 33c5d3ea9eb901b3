#include "parley_bench/runner.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

namespace parley::bench {

void Stats::Error(std::string_view what) {
  ++errors;
  if (error_samples.size() < 5) error_samples.emplace_back(what.substr(0, 300));
}

void Stats::Latency(Clock::duration d) {
  if (latencies_us.size() >= (std::size_t{1} << 24)) return;  // 64 MiB per worker at most
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  latencies_us.push_back(static_cast<uint32_t>(us < 0 ? 0 : us));
}

WorkerPool::WorkerPool(int threads) {
  for (int i = 0; i < threads; ++i) {
    auto w = std::make_unique<Worker>();
    w->guard.emplace(w->io.get_executor());
    Worker* raw = w.get();
    w->thread = std::thread([raw] { raw->io.run(); });
    workers_.push_back(std::move(w));
  }
}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& w : workers_) w->io.stop();
  for (auto& w : workers_) w->thread.join();
}

Stats WorkerPool::Total() {
  Stats t;
  for (auto& w : workers_) {
    const Stats& s = w->stats;
    t.ok += s.ok;
    t.existing += s.existing;
    t.sent += s.sent;
    t.delivered += s.delivered;
    t.dropped += s.dropped;
    t.errors += s.errors;
    for (const auto& e : s.error_samples) {
      if (t.error_samples.size() < 5) t.error_samples.push_back(e);
    }
    t.latencies_us.insert(t.latencies_us.end(), s.latencies_us.begin(), s.latencies_us.end());
  }
  return t;
}

Env::Env(const Options& o)
    : opts(o),
      mechanism(o.mechanism == "PLAIN" ? XmppConn::Mechanism::kPlain
                                       : XmppConn::Mechanism::kScramSha1),
      tls(MakeClientTlsContext()),
      hard_deadline(Clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(o.timeout * 1e3))),
      pool(o.threads) {
  boost::system::error_code ec;
  target.host = asio::ip::make_address(o.host, ec);
  if (ec) throw std::invalid_argument("--host must be an IP address: " + o.host);
  target.port = static_cast<uint16_t>(o.port);
  target.domain = o.domain;
  for (const auto& s : o.source_addresses) {
    auto a = asio::ip::make_address(s, ec);
    if (ec) throw std::invalid_argument("bad source address: " + s);
    sources.push_back(a);
  }
}

const asio::ip::address* Env::NextSource() {
  if (sources.empty()) return nullptr;
  return &sources[next_source.fetch_add(1, std::memory_order_relaxed) % sources.size()];
}

Clock::duration Env::OpTimeout() const {
  return std::chrono::milliseconds(static_cast<int64_t>(opts.op_timeout * 1e3));
}

asio::awaitable<std::shared_ptr<XmppConn>> Login(Env& env, asio::io_context& io, int user,
                                                 bool presence) {
  auto conn = std::make_shared<XmppConn>(io, *env.tls, env.target);
  conn->ArmTimeout(env.OpTimeout());
  co_await conn->Connect(env.NextSource());
  if (!env.opts.relay.empty()) {
    co_await conn->RelayHello(UserName(env.opts, user), env.opts.relay == "tls");
    conn->DisarmTimeout();
    co_return conn;
  }
  co_await conn->OpenStream();
  if (!env.opts.no_tls) co_await conn->StartTls();
  co_await conn->Authenticate(env.mechanism, UserName(env.opts, user), env.opts.password,
                              env.scram);
  co_await conn->Bind(env.opts.resource);
  if (presence) co_await conn->Write("<presence/>");
  conn->DisarmTimeout();
  co_return conn;
}

asio::awaitable<void> TaskGroup::Loop(Env& env, std::shared_ptr<State> state, std::size_t worker,
                                      int64_t count, Task task) {
  while (!env.stop.load(std::memory_order_relaxed) && Clock::now() < env.stop_at) {
    int64_t item = state->next.fetch_add(1);
    if (count >= 0 && item >= count) break;
    try {
      co_await task(worker, item);
    } catch (const std::exception& e) {
      env.pool.StatsOf(worker).Error(e.what());
    }
  }
  state->finished.fetch_add(1);
}

TaskGroup::TaskGroup(Env& env, int64_t count, int concurrency, Task task)
    : state_(std::make_shared<State>()), concurrency_(concurrency) {
  for (int i = 0; i < concurrency; ++i) {
    std::size_t worker = static_cast<std::size_t>(i) % env.pool.Size();
    asio::co_spawn(env.pool.Io(worker), Loop(env, state_, worker, count, task), asio::detached);
  }
}

bool TaskGroup::Wait(Clock::time_point deadline) const {
  return WaitUntil([this] { return state_->finished.load() == concurrency_; }, deadline);
}

bool RunConcurrently(Env& env, int64_t count, int concurrency, Task task,
                     Clock::time_point deadline) {
  return TaskGroup(env, count, concurrency, std::move(task)).Wait(deadline);
}

bool WaitUntil(const std::function<bool()>& pred, Clock::time_point deadline) {
  while (!pred()) {
    if (Clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

CpuMark MarkCpu(const Env& env) {
  CpuMark m;
  m.at = Clock::now();
  m.self = SelfCpuSeconds();
  if (env.opts.server_pid > 0) m.server = ProcessCpuSeconds(env.opts.server_pid);
  return m;
}

void AddCpu(JsonLine& json, const Env& /*env*/, const CpuMark& from, const CpuMark& to) {
  json.Add("generator_cpu_seconds", to.self - from.self);
  if (from.server && to.server) {
    json.Add("server_cpu_seconds", *to.server - *from.server);
  } else {
    json.AddNull("server_cpu_seconds");
  }
}

}  // namespace parley::bench
