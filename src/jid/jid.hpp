#pragma once
// Jid: an XMPP address (RFC 6122) in normalised form. A value type: any thread may copy, compare
// and hash it; it owns three short strings. Invalid input never constructs one, so holding a
// non-empty Jid means every part has passed its stringprep profile and length limit.

#include <compare>
#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace parley::jid {

// RFC 6122 §2.2-2.4: each part is at most 1023 bytes once prepared.
inline constexpr std::size_t kMaxPartBytes = 1023;

class Jid {
 public:
  Jid() = default;  // Empty: no domain. Only ever a placeholder ("no address").

  // RFC 6122 §2.1: the resource is everything after the first '/', the local part everything
  // before the first '@' that precedes it. Each part is prepared (nodeprep, nameprep per label,
  // resourceprep), must be 1..1023 bytes, and a trailing dot on the domain is stripped (§2.2).
  // The domain may also be an IPv4 literal or a bracketed IPv6 literal (canonicalised).
  // Answers are remembered per thread (a small bounded cache), so that the addresses a server
  // sees over and over are prepared once; ParseUncached() always prepares.
  static std::optional<Jid> Parse(std::string_view text);
  static std::optional<Jid> ParseUncached(std::string_view text);
  // The same rules for parts given separately; an empty local or resource means "none".
  static std::optional<Jid> FromParts(std::string_view local, std::string_view domain,
                                      std::string_view resource = {});

  const std::string& Local() const { return local_; }
  const std::string& Domain() const { return domain_; }
  const std::string& Resource() const { return resource_; }

  bool Empty() const { return domain_.empty(); }
  bool IsBare() const { return !Empty() && resource_.empty(); }
  bool IsDomain() const { return !Empty() && local_.empty() && resource_.empty(); }

  Jid Bare() const;
  // This address with the given resource (resourceprep'd); nullopt when the resource is invalid or
  // empty, or this Jid is empty. Use Bare() to drop the resource.
  std::optional<Jid> WithResource(std::string_view resource) const;

  std::string Full() const;        // local@domain/resource, absent parts omitted.
  std::string BareString() const;  // local@domain

  friend bool operator==(const Jid&, const Jid&) = default;
  friend auto operator<=>(const Jid&, const Jid&) = default;
  friend void PrintTo(const Jid& jid, std::ostream* os);  // For GoogleTest messages.

 private:
  // Declaration order is the sort order: by domain, then local, then resource.
  std::string domain_;
  std::string local_;
  std::string resource_;
};

struct JidHash {
  std::size_t operator()(const Jid& jid) const;
};

// The preparation of a single part, as Parse applies it; nullopt when invalid (including empty).
std::optional<std::string> PrepareLocal(std::string_view local);
std::optional<std::string> PrepareDomain(std::string_view domain);
std::optional<std::string> PrepareResource(std::string_view resource);

}  // namespace parley::jid
