#pragma once
// Helpers for tests that drive shards from the test thread: run a closure on a shard and wait, and
// let every hop already in flight finish. Test thread only.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <utility>

#include "net/shard.hpp"

namespace parley::testing_util {

inline constexpr std::chrono::seconds kShardWait{5};

// Runs f on `shard`'s thread and waits for it. A shard that does not answer within kShardWait is a
// hung server: abort rather than let the suite hang (f may still reference this stack frame).
template <typename F>
void RunOn(net::Shard& shard, F f) {
  std::promise<void> done;
  auto future = done.get_future();
  shard.Post([&f, &done] {
    f();
    done.set_value();
  });
  if (future.wait_for(kShardWait) != std::future_status::ready) {
    std::fprintf(stderr, "shard %zu did not run a posted closure within 5 s\n", shard.Index());
    std::abort();
  }
}

// Waits until everything posted to any shard before this call has run, including what those
// closures post in turn, up to `hops` deep: each round waits for every shard to run a no-op, and a
// closure that ran before round k's no-op posted its follow-up before round k+1 starts. A stanza
// hops at most three times (sender's shard, home shard, session's shard, bounce back), so the
// default covers a bounce too.
inline void Drain(net::ShardSet& shards, int hops = 6) {
  for (int round = 0; round < hops; ++round) {
    for (std::size_t i = 0; i < shards.Size(); ++i) RunOn(shards.At(i), [] {});
  }
}

}  // namespace parley::testing_util
