#pragma once
// Shards: one io_context and one thread per core. A connection, its session and the directory
// entries of the users homed on a shard live on that shard for life; other shards reach them only
// by posting closures that carry values (DESIGN.md "Threads").

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

namespace parley::net {

// One io_context driven by one thread. Created and stopped by ShardSet; lives for the process.
class Shard {
 public:
  explicit Shard(std::size_t index) : index_(index), io_(1) {}
  std::size_t Index() const { return index_; }
  boost::asio::io_context& Io() { return io_; }
  // Runs f on this shard's thread (later, never inline).
  template <typename F>
  void Post(F&& f) {
    boost::asio::post(io_, std::forward<F>(f));
  }
  // The shard whose thread is calling, or nullptr on a non-shard thread.
  static Shard* Current();

 private:
  friend class ShardSet;
  std::size_t index_;
  boost::asio::io_context io_;
};

// The CPUs this process may run on (its affinity mask, as taskset or a container's cpuset sets it),
// at least 1: the default number of shards. More shards than usable cores would only make them take
// turns on a core, paying a context switch for every cross-shard post.
std::size_t UsableCores();

// The fixed set of shards. Start() spawns one thread per shard; Stop() lets every io_context
// finish.
class ShardSet {
 public:
  // `busy_poll`: how long a shard keeps polling after its last handler before it sleeps in
  // epoll_wait; zero sleeps at once (io_context::run()).
  explicit ShardSet(std::size_t count, std::chrono::microseconds busy_poll = {});
  ~ShardSet();
  std::size_t Size() const { return shards_.size(); }
  Shard& At(std::size_t i) { return *shards_[i]; }
  // The shard that owns a key (e.g. a bare JID's hash): the same key always maps to the same shard.
  Shard& ForHash(std::size_t hash) { return *shards_[hash % shards_.size()]; }
  // Round-robin choice for new connections.
  Shard& Next();
  void Start();
  void Stop();  // stops the io_contexts and joins the threads
  void Join();

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::thread> threads_;
  std::vector<
      std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>>
      guards_;
  std::size_t next_ = 0;
  std::chrono::microseconds busy_poll_{};
};

}  // namespace parley::net
