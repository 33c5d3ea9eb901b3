#pragma once
// The one JSON line a run prints, and what it reads from /proc about the server and from
// getrusage about itself. Main thread only.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::bench {

// Builds {"key":value,...} in insertion order.
class JsonLine {
 public:
  void Add(std::string_view key, std::string_view value);
  void Add(std::string_view key, const char* value) { Add(key, std::string_view(value)); }
  void Add(std::string_view key, int64_t value);
  void Add(std::string_view key, int value) { Add(key, static_cast<int64_t>(value)); }
  void Add(std::string_view key, uint64_t value) { Add(key, static_cast<int64_t>(value)); }
  void Add(std::string_view key, double value);
  void Add(std::string_view key, bool value);
  void AddNull(std::string_view key);
  void Add(std::string_view key, const std::vector<std::string>& values);
  std::string Str() const { return "{" + body_ + "}"; }

 private:
  void Key(std::string_view key);
  std::string body_;
};

std::string JsonQuote(std::string_view s);

// utime + stime of a process from /proc/PID/stat, in seconds.
std::optional<double> ProcessCpuSeconds(int pid);
// VmRSS from /proc/PID/status, in KiB.
std::optional<int64_t> ProcessRssKiB(int pid);
// /proc/PID/comm without the newline.
std::optional<std::string> ProcessName(int pid);
// This process's user + system CPU time, all threads.
double SelfCpuSeconds();

// Latency percentiles in milliseconds over samples in microseconds (sorted in place).
struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
  uint64_t count = 0;
};
Percentiles ComputePercentiles(std::vector<uint32_t>& micros);
void AddLatency(JsonLine& json, std::string_view prefix, const Percentiles& p);

}  // namespace parley::bench
