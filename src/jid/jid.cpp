#include "jid/jid.hpp"

#include <arpa/inet.h>

#include <array>
#include <functional>
#include <ostream>
#include <vector>

#include "jid/stringprep.hpp"

namespace parley::jid {
namespace {

// Raw parts longer than this cannot prepare down to 1023 bytes except by piling up code points
// that map to nothing; refusing them early bounds the work done on hostile input.
constexpr std::size_t kMaxRawPartBytes = 4 * kMaxPartBytes;

bool IsLdh(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

// RFC 6122 §2.2: "[IPv6]" literal, canonicalised (RFC 5952 form via inet_ntop) so that equal
// addresses compare equal.
std::optional<std::string> PrepareIpv6Literal(std::string_view domain) {
  if (domain.size() < 3 || domain.back() != ']') return std::nullopt;
  const std::string inner(domain.substr(1, domain.size() - 2));
  std::array<unsigned char, 16> addr{};
  if (inet_pton(AF_INET6, inner.c_str(), addr.data()) != 1) return std::nullopt;
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (inet_ntop(AF_INET6, addr.data(), text.data(), text.size()) == nullptr) return std::nullopt;
  return "[" + std::string(text.data()) + "]";
}

// RFC 3490 §3.1: U+3002, U+FF0E and U+FF61 separate labels just like '.'.
std::string MapLabelSeparators(std::string_view in) {
  static constexpr std::array<std::string_view, 3> kDots = {"\u3002", "\uFF0E", "\uFF61"};
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    bool mapped = false;
    for (std::string_view dot : kDots) {
      if (in.substr(i, dot.size()) == dot) {
        out.push_back('.');
        i += dot.size();
        mapped = true;
        break;
      }
    }
    if (!mapped) out.push_back(in[i++]);
  }
  return out;
}

}  // namespace

std::optional<std::string> PrepareLocal(std::string_view local) {
  if (local.empty() || local.size() > kMaxRawPartBytes) return std::nullopt;
  auto prepared = NodePrep(local);  // RFC 6122 §2.3.
  if (!prepared || prepared->empty() || prepared->size() > kMaxPartBytes) return std::nullopt;
  return prepared;
}

std::optional<std::string> PrepareResource(std::string_view resource) {
  if (resource.empty() || resource.size() > kMaxRawPartBytes) return std::nullopt;
  auto prepared = ResourcePrep(resource);  // RFC 6122 §2.4.
  if (!prepared || prepared->empty() || prepared->size() > kMaxPartBytes) return std::nullopt;
  return prepared;
}

// RFC 6122 §2.2: an IP literal or an IDNA2003 domain name. Each label is nameprep'd (RFC 3490
// §4.1 step 2) and, after preparation, its ASCII code points must be letters, digits or hyphens
// (step 3, UseSTD3ASCIIRules) — which also keeps '@', '/', spaces and controls out of domains.
// IPv4 literals are dotted digits and pass as ordinary labels.
std::optional<std::string> PrepareDomain(std::string_view domain) {
  if (domain.empty() || domain.size() > kMaxRawPartBytes) return std::nullopt;
  if (domain.front() == '[') return PrepareIpv6Literal(domain);

  std::string mapped = MapLabelSeparators(domain);
  // RFC 6122 §2.2: a final label separator MUST be stripped.
  if (!mapped.empty() && mapped.back() == '.') mapped.pop_back();
  if (mapped.empty()) return std::nullopt;

  std::string out;
  out.reserve(mapped.size());
  std::string_view rest = mapped;
  while (true) {
    const std::size_t dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    if (label.empty()) return std::nullopt;  // "a..b", ".a"
    auto prepared = NamePrep(label);
    if (!prepared || prepared->empty()) return std::nullopt;
    for (char c : *prepared) {
      if (static_cast<unsigned char>(c) < 0x80 && !IsLdh(c)) return std::nullopt;
    }
    out += *prepared;
    if (out.size() > kMaxPartBytes) return std::nullopt;
    if (dot == std::string_view::npos) break;
    out.push_back('.');
    rest.remove_prefix(dot + 1);
  }
  return out;
}

namespace {

// Parse() remembers its recent answers, per thread: a server sees the same few addresses over and
// over (every message names its recipient), and preparing one costs a few thousand instructions
// and several allocations, against a hash and a compare for a hit. Direct-mapped and bounded: a
// peer sending ever new addresses only replaces entries, and long inputs are not kept.
constexpr std::size_t kParseCacheSlots = 512;
constexpr std::size_t kParseCacheMaxInput = 128;

// An unused slot holds "" and nullopt, which is Parse("")'s answer anyway.
struct ParseCacheSlot {
  std::string text;
  std::optional<Jid> jid;
};

}  // namespace

std::optional<Jid> Jid::Parse(std::string_view text) {
  if (text.size() > kParseCacheMaxInput) return ParseUncached(text);
  thread_local std::vector<ParseCacheSlot> cache(kParseCacheSlots);
  ParseCacheSlot& slot = cache[std::hash<std::string_view>{}(text) % kParseCacheSlots];
  if (slot.text == text) return slot.jid;
  slot.jid = ParseUncached(text);
  slot.text.assign(text);
  return slot.jid;
}

std::optional<Jid> Jid::ParseUncached(std::string_view text) {
  // RFC 6122 §2.1: resource first (from the first '/'), then local (up to the first '@').
  std::string_view rest = text;
  std::optional<std::string_view> resource;
  if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    resource = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  std::optional<std::string_view> local;
  if (const std::size_t at = rest.find('@'); at != std::string_view::npos) {
    local = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }
  // A separator present with nothing after/before it is an empty part: invalid (§2.3, §2.4).
  if ((local && local->empty()) || (resource && resource->empty())) return std::nullopt;
  return FromParts(local.value_or(std::string_view()), rest, resource.value_or(std::string_view()));
}

std::optional<Jid> Jid::FromParts(std::string_view local, std::string_view domain,
                                  std::string_view resource) {
  Jid jid;
  auto prepared_domain = PrepareDomain(domain);
  if (!prepared_domain) return std::nullopt;
  jid.domain_ = std::move(*prepared_domain);
  if (!local.empty()) {
    auto prepared = PrepareLocal(local);
    if (!prepared) return std::nullopt;
    jid.local_ = std::move(*prepared);
  }
  if (!resource.empty()) {
    auto prepared = PrepareResource(resource);
    if (!prepared) return std::nullopt;
    jid.resource_ = std::move(*prepared);
  }
  return jid;
}

Jid Jid::Bare() const {
  Jid bare = *this;
  bare.resource_.clear();
  return bare;
}

std::optional<Jid> Jid::WithResource(std::string_view resource) const {
  if (Empty()) return std::nullopt;
  auto prepared = PrepareResource(resource);
  if (!prepared) return std::nullopt;
  Jid full = *this;
  full.resource_ = std::move(*prepared);
  return full;
}

std::string Jid::BareString() const {
  if (local_.empty()) return domain_;
  std::string out;
  out.reserve(local_.size() + 1 + domain_.size());
  out.append(local_).append("@").append(domain_);
  return out;
}

std::string Jid::Full() const {
  std::string out = BareString();
  if (!resource_.empty()) out.append("/").append(resource_);
  return out;
}

void PrintTo(const Jid& jid, std::ostream* os) {
  *os << (jid.Empty() ? std::string("<empty jid>") : jid.Full());
}

std::size_t JidHash::operator()(const Jid& jid) const {
  const std::hash<std::string> h;
  std::size_t seed = h(jid.Domain());
  for (const std::string* part : {&jid.Local(), &jid.Resource()}) {
    seed ^= h(*part) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
  }
  return seed;
}

}  // namespace parley::jid
