#include "hooks/hooks.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::hooks {
namespace {

struct Ping {
  std::vector<std::string> seen;
};
struct Other {
  int n = 0;
};

TEST(HooksTest, RunsHandlersFromHighestPriorityDown) {
  Hooks hooks;
  hooks.On<Ping>(
      [](Ping& p) {
        p.seen.push_back("low");
        return Flow::kContinue;
      },
      -5);
  hooks.On<Ping>(
      [](Ping& p) {
        p.seen.push_back("high");
        return Flow::kContinue;
      },
      10);
  hooks.On<Ping>([](Ping& p) {
    p.seen.push_back("default");
    return Flow::kContinue;
  });
  Ping p;
  EXPECT_EQ(hooks.Fire(p), Flow::kContinue);
  EXPECT_EQ(p.seen, (std::vector<std::string>{"high", "default", "low"}));
}

TEST(HooksTest, StopEndsTheChain) {
  Hooks hooks;
  hooks.On<Ping>(
      [](Ping& p) {
        p.seen.push_back("first");
        return Flow::kStop;
      },
      1);
  hooks.On<Ping>([](Ping& p) {
    p.seen.push_back("never");
    return Flow::kContinue;
  });
  Ping p;
  EXPECT_EQ(hooks.Fire(p), Flow::kStop);
  EXPECT_EQ(p.seen, std::vector<std::string>{"first"});
}

TEST(HooksTest, EventsAreSeparatedByType) {
  Hooks hooks;
  hooks.On<Other>([](Other& o) {
    ++o.n;
    return Flow::kContinue;
  });
  Ping p;
  EXPECT_EQ(hooks.Fire(p), Flow::kContinue);
  EXPECT_TRUE(p.seen.empty());
  EXPECT_FALSE(hooks.HasHandlers<Ping>());
  Other o;
  hooks.Fire(o);
  EXPECT_EQ(o.n, 1);
}

TEST(HooksTest, EqualPrioritiesKeepRegistrationOrder) {
  Hooks hooks;
  for (int i = 0; i < 5; ++i) {
    hooks.On<Ping>([i](Ping& p) {
      p.seen.push_back(std::to_string(i));
      return Flow::kContinue;
    });
  }
  Ping p;
  hooks.Fire(p);
  EXPECT_EQ(p.seen, (std::vector<std::string>{"0", "1", "2", "3", "4"}));
}

}  // namespace
}  // namespace parley::hooks
