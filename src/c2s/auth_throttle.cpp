#include "c2s/auth_throttle.hpp"

#include <algorithm>

namespace parley::c2s {

namespace {
constexpr std::size_t kMaxEntries = 100000;
}

std::uint32_t AuthThrottle::Bump(std::unordered_map<std::string, Counter>& table,
                                 const std::string& key) {
  auto now = std::chrono::steady_clock::now();
  if (table.size() >= kMaxEntries) table.clear();
  Counter& c = table[key];
  if (now - c.last > options_.window) c.failures = 0;
  c.failures++;
  c.last = now;
  return c.failures;
}

std::chrono::milliseconds AuthThrottle::Failure(const std::string& address,
                                                const std::string& account, std::uint32_t* count) {
  std::lock_guard<std::mutex> lock(mu_);
  std::uint32_t by_addr = Bump(by_address_, address);
  std::uint32_t by_acct = account.empty() ? 0 : Bump(by_account_, account);
  if (count) *count = std::max(by_addr, by_acct);
  std::int64_t over_addr = std::int64_t(by_addr) - options_.free_failures_per_address;
  std::int64_t over_acct = std::int64_t(by_acct) - options_.free_failures_per_account;
  std::int64_t over = std::max(over_addr, over_acct);
  if (over <= 0) return std::chrono::milliseconds(0);
  std::int64_t ms = options_.base_delay.count() << std::min<std::int64_t>(over - 1, 10);
  return std::chrono::milliseconds(std::min<std::int64_t>(ms, options_.max_delay.count()));
}

void AuthThrottle::Success(const std::string& account) {
  std::lock_guard<std::mutex> lock(mu_);
  by_account_.erase(account);
}

}  // namespace parley::c2s
