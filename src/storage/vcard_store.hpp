#pragma once
// VCardStore: the XEP-0054 vcard-temp of every account, as its serialized <vCard/> element.

#include <optional>
#include <string>
#include <string_view>

#include "storage/user_store.hpp"

namespace parley::storage {

// The vCard store. `domain` and `username` are already prepared and compared byte for byte. The
// store does not parse the vCard. Blocking and thread-safe: call from BlockingPool threads, never
// from a shard. A backend owns its store; the store lives as long as its backend.
class VCardStore {
 public:
  virtual ~VCardStore() = default;

  // nullopt when the account has no vCard, or on error (logged).
  virtual std::optional<std::string> Get(std::string_view domain, std::string_view username) = 0;
  // Replaces the vCard. kNotFound when there is no such account.
  virtual StoreStatus Set(std::string_view domain, std::string_view username,
                          std::string_view vcard) = 0;
};

}  // namespace parley::storage
