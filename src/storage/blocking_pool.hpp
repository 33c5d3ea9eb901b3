#pragma once
// BlockingPool: threads for blocking work (SQLite, PBKDF2) so that I/O threads never block.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::storage {

// Owns a FIFO queue of jobs and `threads` worker threads that take jobs from it in order (jobs on
// different threads still overlap). Post() may be called from any thread. Lives from start-up until
// Stop() or destruction, which runs every job already queued and joins the workers. A job that
// throws is logged and dropped; the worker carries on. Stop() must not be called from a worker.
class BlockingPool {
 public:
  explicit BlockingPool(std::size_t threads, std::string name = "parley-block");
  ~BlockingPool();  // Stop()

  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Thread-safe. Ignored (and logged) once Stop() has begun, including when called by a job that
  // runs during Stop().
  void Post(std::function<void()> job);

  // Runs every job already queued, then joins the workers. Idempotent; thread-safe.
  void Stop();

  std::size_t ThreadCount() const { return workers_.size(); }
  std::size_t QueuedJobs() const;  // Not yet started; for metrics and tests.

 private:
  void WorkerLoop();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;  // Guarded by mutex_.
  bool stopping_ = false;                    // Guarded by mutex_.
  std::string name_;
  std::vector<std::thread> workers_;
  std::once_flag join_once_;
};

}  // namespace parley::storage
