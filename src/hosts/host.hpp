#pragma once
// Virtual hosts (tenants). A Host is one served domain with its own settings; HostTable is the set
// the server serves. Built at start-up and read-only afterwards (run-time add/remove comes with the
// tenants issue: it will swap the table atomically). Safe to read from every shard.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley::hosts {

struct Host {
  std::string domain;
  bool allow_registration = false;
};

class HostTable {
 public:
  HostTable() = default;
  explicit HostTable(std::vector<Host> hosts);
  const Host* Find(std::string_view domain) const;
  bool Serves(std::string_view domain) const { return Find(domain) != nullptr; }
  std::vector<std::string> Domains() const;
  const Host& Default() const { return hosts_.front(); }

 private:
  std::vector<Host> hosts_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

}  // namespace parley::hosts
