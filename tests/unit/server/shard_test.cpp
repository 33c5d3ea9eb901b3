// ShardSet: closures run on their own shard's thread, with and without busy polling, and the
// default shard count follows the CPUs this process may run on.
#include "net/shard.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "server/harness/shard_util.hpp"

namespace parley::net {
namespace {

void ExpectClosuresRunOnTheirShard(std::chrono::microseconds busy_poll) {
  ShardSet shards(2, busy_poll);
  shards.Start();
  std::atomic<int> ran{0};
  for (int round = 0; round < 100; ++round) {
    for (std::size_t i = 0; i < shards.Size(); ++i) {
      testing_util::RunOn(shards.At(i), [&, i] {
        ASSERT_NE(Shard::Current(), nullptr);
        EXPECT_EQ(Shard::Current()->Index(), i);
        ++ran;
      });
    }
    // Let the shards go idle now and then, so that a polling one also has to fall asleep and be
    // woken by the next post.
    if (round % 10 == 0) std::this_thread::sleep_for(busy_poll + std::chrono::milliseconds(2));
  }
  EXPECT_EQ(ran.load(), 200);
  auto stop_started = std::chrono::steady_clock::now();
  shards.Stop();
  shards.Join();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, std::chrono::seconds(2));
}

TEST(ShardSetTest, ClosuresRunOnTheirShard) { ExpectClosuresRunOnTheirShard({}); }

TEST(ShardSetTest, ClosuresRunOnTheirShardWhenBusyPolling) {
  ExpectClosuresRunOnTheirShard(std::chrono::microseconds(500));
}

TEST(ShardSetTest, UsableCoresFollowsTheAffinityMask) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  EXPECT_EQ(UsableCores(), static_cast<std::size_t>(CPU_COUNT(&set)));
  EXPECT_GE(UsableCores(), 1u);
}

}  // namespace
}  // namespace parley::net
