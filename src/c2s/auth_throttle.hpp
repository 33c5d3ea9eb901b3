#pragma once
// AuthThrottle: counts recent authentication failures per source address and per account and says
// how long to hold back the next <failure/>, so that password guessing gets slower the more it is
// tried. Shared by all shards; touched only when authentication fails or succeeds (never on the
// stanza path), so it uses a mutex. Memory is bounded: the tables are cleared when they grow past a
// limit.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace parley::c2s {

class AuthThrottle {
 public:
  struct Options {
    std::uint32_t free_failures_per_address = 5;  // per window, before delays start
    std::uint32_t free_failures_per_account = 5;
    std::chrono::seconds window{60};
    std::chrono::milliseconds base_delay{250};
    std::chrono::milliseconds max_delay{8000};
  };
  AuthThrottle() : AuthThrottle(Options{}) {}
  explicit AuthThrottle(Options options) : options_(options) {}

  // Records a failure and returns how long to wait before answering it. `count` (optional) receives
  // the larger of the two recent failure counts, for the log.
  std::chrono::milliseconds Failure(const std::string& address, const std::string& account,
                                    std::uint32_t* count = nullptr);
  // A success clears the account's count (not the address's: one good login must not unlock
  // guessing on other accounts from the same address).
  void Success(const std::string& account);

 private:
  struct Counter {
    std::uint32_t failures = 0;
    std::chrono::steady_clock::time_point last;
  };
  std::uint32_t Bump(std::unordered_map<std::string, Counter>& table, const std::string& key);

  Options options_;
  std::mutex mu_;
  std::unordered_map<std::string, Counter> by_address_;
  std::unordered_map<std::string, Counter> by_account_;
};

}  // namespace parley::c2s
