#include "net/shard.hpp"

#include <sched.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <csignal>
#include <thread>

namespace parley::net {

namespace {
thread_local Shard* current_shard = nullptr;

// io_context::run(), but polling for `busy_poll` after the last handler before sleeping: the next
// event is then picked up without a wake-up of a sleeping thread (and, in a VM, of an idle vCPU).
void RunPolling(boost::asio::io_context& io, std::chrono::microseconds busy_poll) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point last_work = Clock::now();
  while (!io.stopped()) {
    if (io.poll() > 0) {
      last_work = Clock::now();
    } else if (Clock::now() - last_work >= busy_poll) {
      if (io.run_one() > 0) last_work = Clock::now();  // sleeps until something happens
    }
  }
}

}  // namespace

Shard* Shard::Current() { return current_shard; }

std::size_t UsableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<std::size_t>(n);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

ShardSet::ShardSet(std::size_t count, std::chrono::microseconds busy_poll) : busy_poll_(busy_poll) {
  // TLS writes go through OpenSSL's socket BIO (write(2), no MSG_NOSIGNAL): a peer that vanished
  // must give EPIPE, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  if (count == 0) count = 1;
  for (std::size_t i = 0; i < count; ++i) shards_.push_back(std::make_unique<Shard>(i));
}

ShardSet::~ShardSet() {
  Stop();
  Join();
}

Shard& ShardSet::Next() {
  // Only the accepting thread calls this.
  Shard& s = *shards_[next_ % shards_.size()];
  ++next_;
  return s;
}

void ShardSet::Start() {
  for (auto& s : shards_) {
    guards_.push_back(
        std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
            s->Io().get_executor()));
    Shard* shard = s.get();
    threads_.emplace_back([shard, busy_poll = busy_poll_] {
      current_shard = shard;
      if (busy_poll.count() == 0) {
        shard->Io().run();
      } else {
        RunPolling(shard->Io(), busy_poll);
      }
      current_shard = nullptr;
    });
  }
}

void ShardSet::Stop() {
  guards_.clear();
  for (auto& s : shards_) s->Io().stop();
}

void ShardSet::Join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace parley::net
