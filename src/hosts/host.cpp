#include "hosts/host.hpp"

namespace parley::hosts {

HostTable::HostTable(std::vector<Host> hosts) : hosts_(std::move(hosts)) {
  for (std::size_t i = 0; i < hosts_.size(); ++i) index_.emplace(hosts_[i].domain, i);
}

const Host* HostTable::Find(std::string_view domain) const {
  auto it = index_.find(domain);
  return it == index_.end() ? nullptr : &hosts_[it->second];
}

std::vector<std::string> HostTable::Domains() const {
  std::vector<std::string> out;
  for (const auto& h : hosts_) out.push_back(h.domain);
  return out;
}

}  // namespace parley::hosts
