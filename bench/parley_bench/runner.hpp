#pragma once
// The machinery every scenario shares: worker threads (one io_context each), per-worker counters,
// the run-wide environment (target, TLS context, SCRAM key cache, source addresses, stop flag),
// a login helper, and RunConcurrently, which spreads a numbered list of tasks over C coroutines on
// the workers. The main thread owns the Env; workers only touch their own Stats and the atomics.

// clang-format off
#include <utility>  // first: g++ 12 needs it before Asio for C++20 coroutine support
// clang-format on
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "parley_bench/options.hpp"
#include "parley_bench/report.hpp"
#include "parley_bench/scram_client.hpp"
#include "parley_bench/xmpp_conn.hpp"

namespace parley::bench {

using Clock = std::chrono::steady_clock;

// Counters of one worker: written only on its thread, read by the main thread after Stop().
struct Stats {
  uint64_t ok = 0;         // scenario-defined successes (logins, registrations, connections)
  uint64_t existing = 0;   // register: accounts that were already there
  uint64_t sent = 0;       // msg
  uint64_t delivered = 0;  // msg: received inside the measurement window
  uint64_t dropped = 0;    // idle/msg: established connections the server closed
  uint64_t errors = 0;
  std::vector<std::string> error_samples;
  std::vector<uint32_t> latencies_us;

  void Error(std::string_view what);
  void Latency(Clock::duration d);
};

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  std::size_t Size() const { return workers_.size(); }
  asio::io_context& Io(std::size_t i) { return workers_[i % workers_.size()]->io; }
  Stats& StatsOf(std::size_t i) { return workers_[i % workers_.size()]->stats; }
  // Stops every io_context and joins the threads. Idempotent.
  void Stop();
  // Sums the counters; meaningful after Stop().
  Stats Total();

 private:
  struct Worker {
    asio::io_context io{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
    Stats stats;
    std::thread thread;
  };
  std::vector<std::unique_ptr<Worker>> workers_;
  bool stopped_ = false;
};

struct Env {
  explicit Env(const Options& o);
  const Options& opts;
  Target target;
  XmppConn::Mechanism mechanism;
  std::unique_ptr<asio::ssl::context> tls;
  ScramKeyCache scram;
  std::vector<asio::ip::address> sources;
  std::atomic<uint64_t> next_source{0};
  std::atomic<bool> stop{false};
  // Task loops start no new item after this (login's measurement window).
  Clock::time_point stop_at = Clock::time_point::max();
  std::atomic<int64_t> live{0};  // established connections held by idle/msg readers
  bool timed_out = false;
  Clock::time_point hard_deadline;
  WorkerPool pool;  // last: stopped and destroyed before what its connections refer to

  const asio::ip::address* NextSource();
  Clock::duration OpTimeout() const;
};

// Connect, STARTTLS, authenticate as account `user`, bind; then <presence/> when asked. Bounded by
// --op-timeout. Runs on `io`'s worker; throws BenchError. With --relay: connect and HELLO only.
asio::awaitable<std::shared_ptr<XmppConn>> Login(Env& env, asio::io_context& io, int user,
                                                 bool presence);

// Runs task(worker, item) for item = 0, 1, ... count-1 (count < 0: until env.stop) on
// `concurrency` coroutines spread round-robin over the workers; a task's exception is counted as
// an error of its worker. Returns false when `deadline` passed first.
using Task = std::function<asio::awaitable<void>(std::size_t worker, int64_t item)>;
bool RunConcurrently(Env& env, int64_t count, int concurrency, Task task,
                     Clock::time_point deadline);

// The same in two halves, for a main thread that has other things to do meanwhile.
class TaskGroup {
 public:
  TaskGroup(Env& env, int64_t count, int concurrency, Task task);
  // True once every task loop has finished; false if `deadline` passed first.
  bool Wait(Clock::time_point deadline) const;

 private:
  struct State {
    std::atomic<int64_t> next{0};
    std::atomic<int> finished{0};
  };
  static asio::awaitable<void> Loop(Env& env, std::shared_ptr<State> state, std::size_t worker,
                                    int64_t count, Task task);
  std::shared_ptr<State> state_;
  int concurrency_;
};

// Sleeps until pred() holds or the deadline passes; returns pred().
bool WaitUntil(const std::function<bool()>& pred, Clock::time_point deadline);

struct CpuMark {
  Clock::time_point at;
  double self = 0;
  std::optional<double> server;
};
CpuMark MarkCpu(const Env& env);
// Adds generator_cpu_seconds and server_cpu_seconds (null without --server-pid) since `from`.
void AddCpu(JsonLine& json, const Env& env, const CpuMark& from, const CpuMark& to);

}  // namespace parley::bench
