// AuthThrottle: free failures first, then delays that double up to a cap; a success clears the
// account (not the address); counts expire after the window.

#include "c2s/auth_throttle.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace parley::c2s {
namespace {

using std::chrono::milliseconds;

AuthThrottle::Options SmallOptions() {
  AuthThrottle::Options o;
  o.free_failures_per_address = 3;
  o.free_failures_per_account = 2;
  o.window = std::chrono::seconds(60);
  o.base_delay = milliseconds(100);
  o.max_delay = milliseconds(500);
  return o;
}

TEST(AuthThrottle, AddressDelaysStartAfterFreeFailuresGrowAndAreCapped) {
  AuthThrottle throttle(SmallOptions());
  std::vector<long> delays;
  for (int i = 0; i < 8; ++i) delays.push_back(throttle.Failure("192.0.2.1", "").count());
  EXPECT_EQ(delays, (std::vector<long>{0, 0, 0, 100, 200, 400, 500, 500}));
}

TEST(AuthThrottle, AccountDelaysCountAcrossAddresses) {
  AuthThrottle throttle(SmallOptions());
  std::uint32_t count = 0;
  EXPECT_EQ(throttle.Failure("192.0.2.1", "alice@parley.test", &count), milliseconds(0));
  EXPECT_EQ(throttle.Failure("192.0.2.2", "alice@parley.test", &count), milliseconds(0));
  EXPECT_EQ(throttle.Failure("192.0.2.3", "alice@parley.test", &count), milliseconds(100));
  EXPECT_EQ(count, 3u);
  EXPECT_EQ(throttle.Failure("192.0.2.4", "alice@parley.test", &count), milliseconds(200));
  // Another account from a fresh address is not slowed down.
  EXPECT_EQ(throttle.Failure("192.0.2.5", "bob@parley.test", &count), milliseconds(0));
  EXPECT_EQ(count, 1u);
}

TEST(AuthThrottle, SuccessClearsTheAccountButNotTheAddress) {
  AuthThrottle throttle(SmallOptions());
  for (int i = 0; i < 3; ++i) throttle.Failure("192.0.2." + std::to_string(i), "alice@parley.test");
  throttle.Success("alice@parley.test");
  EXPECT_EQ(throttle.Failure("192.0.2.9", "alice@parley.test"), milliseconds(0));

  for (int i = 0; i < 3; ++i) throttle.Failure("198.51.100.1", "user" + std::to_string(i));
  throttle.Success("user0");
  // The address has used its free failures: guessing other accounts from it stays slow.
  EXPECT_EQ(throttle.Failure("198.51.100.1", "someone-else"), milliseconds(100));
}

TEST(AuthThrottle, CountsExpireAfterTheWindow) {
  AuthThrottle::Options o = SmallOptions();
  o.window = std::chrono::seconds(1);
  AuthThrottle throttle(o);
  for (int i = 0; i < 4; ++i) throttle.Failure("192.0.2.1", "");
  EXPECT_GT(throttle.Failure("192.0.2.1", "").count(), 0);
  std::this_thread::sleep_for(milliseconds(1100));
  EXPECT_EQ(throttle.Failure("192.0.2.1", ""), milliseconds(0));
}

TEST(AuthThrottle, HugeFailureCountsStayCapped) {
  AuthThrottle throttle(SmallOptions());
  milliseconds last{0};
  for (int i = 0; i < 100; ++i) last = throttle.Failure("192.0.2.1", "alice@parley.test");
  EXPECT_EQ(last, milliseconds(500));
}

}  // namespace
}  // namespace parley::c2s
