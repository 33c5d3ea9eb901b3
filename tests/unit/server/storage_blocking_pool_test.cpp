#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "storage/blocking_pool.hpp"

namespace parley::storage {
namespace {

TEST(BlockingPoolTest, OneThreadRunsJobsInFifoOrder) {
  std::vector<int> order;
  {
    BlockingPool pool(1);
    for (int i = 0; i < 100; ++i) pool.Post([&order, i] { order.push_back(i); });
  }  // ~BlockingPool drains.
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(BlockingPoolTest, StopRunsEveryQueuedJobThenIgnoresPosts) {
  BlockingPool pool(2);
  std::atomic<int> ran{0};
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  // Block both workers so that the rest stays queued until Stop().
  for (int i = 0; i < 2; ++i) pool.Post([gate] { gate.wait(); });
  for (int i = 0; i < 50; ++i) pool.Post([&ran] { ++ran; });
  std::thread stopper([&pool] { pool.Stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  release.set_value();
  stopper.join();
  EXPECT_EQ(ran.load(), 50);
  pool.Post([&ran] { ++ran; });
  pool.Stop();  // Idempotent.
  EXPECT_EQ(ran.load(), 50);
  EXPECT_EQ(pool.QueuedJobs(), 0u);
}

TEST(BlockingPoolTest, ThreadsRunJobsConcurrently) {
  BlockingPool pool(2);
  ASSERT_EQ(pool.ThreadCount(), 2u);
  // Each job waits for the other: completes only if both run at once.
  std::latch both(2);
  std::promise<void> done1, done2;
  pool.Post([&] {
    both.arrive_and_wait();
    done1.set_value();
  });
  pool.Post([&] {
    both.arrive_and_wait();
    done2.set_value();
  });
  EXPECT_EQ(done1.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(done2.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

TEST(BlockingPoolTest, ThrowingJobDoesNotKillTheWorker) {
  BlockingPool pool(1);
  std::promise<int> result;
  pool.Post([] { throw std::runtime_error("boom"); });
  pool.Post([&result] { result.set_value(42); });
  auto future = result.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(future.get(), 42);
}

}  // namespace
}  // namespace parley::storage
