#include "config/settings.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace parley::config {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

bool IsIpv4(const std::string& text) {
  in_addr addr;
  return inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

bool IsIpv6(const std::string& text) {
  in6_addr addr;
  return inet_pton(AF_INET6, text.c_str(), &addr) == 1;
}

}  // namespace

std::string Endpoint::ToString() const {
  if (address.find(':') != std::string::npos) {
    return "[" + address + "]:" + std::to_string(port);
  }
  return address + ":" + std::to_string(port);
}

std::optional<Endpoint> ParseEndpoint(std::string_view text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);

  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return std::nullopt;
  }

  std::string address;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    address = std::string(host.substr(1, host.size() - 2));
    if (!IsIpv6(address)) return std::nullopt;
  } else {
    address = std::string(host);
    if (!IsIpv4(address)) return std::nullopt;
  }
  return Endpoint{std::move(address), static_cast<uint16_t>(port)};
}

bool IsDisabledWord(std::string_view text) {
  return EqualsIgnoreCase(text, "off") || EqualsIgnoreCase(text, "none");
}

std::optional<std::string> NormaliseDomain(std::string_view domain) {
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty() || domain.size() > 253) return std::nullopt;
  std::string result;
  result.reserve(domain.size());
  std::size_t label_length = 0;
  for (std::size_t i = 0; i < domain.size(); ++i) {
    char c = AsciiLower(domain[i]);
    if (c == '.') {
      if (label_length == 0 || result.back() == '-') return std::nullopt;
      label_length = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      if (c == '-' && label_length == 0) return std::nullopt;
      if (++label_length > 63) return std::nullopt;
    } else {
      return std::nullopt;
    }
    result.push_back(c);
  }
  if (result.back() == '-') return std::nullopt;
  return result;
}

const HostSettings* Settings::FindHost(std::string_view domain) const {
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  for (const HostSettings& host : hosts) {
    if (EqualsIgnoreCase(host.domain, domain)) return &host;
  }
  return nullptr;
}

std::vector<std::string> Settings::Domains() const {
  std::vector<std::string> domains;
  domains.reserve(hosts.size());
  for (const HostSettings& host : hosts) domains.push_back(host.domain);
  return domains;
}

Settings DefaultSettings() {
  Settings settings;
  settings.hosts.push_back(HostSettings{"localhost"});
  return settings;
}

}  // namespace parley::config
