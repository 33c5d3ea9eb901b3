#include "storage/blocking_pool.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

#include "core/check.hpp"

namespace parley::storage {

BlockingPool::BlockingPool(std::size_t threads, std::string name) : name_(std::move(name)) {
  threads = std::max<std::size_t>(threads, 1);
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
    // Linux limits thread names to 15 bytes.
    std::string thread_name = name_.substr(0, 12) + "-" + std::to_string(i);
    pthread_setname_np(workers_.back().native_handle(), thread_name.substr(0, 15).c_str());
  }
}

BlockingPool::~BlockingPool() { Stop(); }

void BlockingPool::Post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  spdlog::warn("{}: job posted after Stop() ignored", name_);
}

void BlockingPool::Stop() {
  for (const std::thread& worker : workers_) {
    PARLEY_CHECK(worker.get_id() != std::this_thread::get_id());
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  std::call_once(join_once_, [this] {
    for (std::thread& worker : workers_) worker.join();
  });
}

std::size_t BlockingPool::QueuedJobs() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void BlockingPool::WorkerLoop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // Stopping and drained.
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      spdlog::error("{}: job threw: {}", name_, e.what());
    } catch (...) {
      spdlog::error("{}: job threw a non-standard exception", name_);
    }
  }
}

}  // namespace parley::storage
