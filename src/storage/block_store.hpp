#pragma once
// BlockStore: the XEP-0191 block list of every account.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/user_store.hpp"

namespace parley::storage {

// The block list store. `domain`, `username` and the blocked JIDs are already prepared and
// compared byte for byte. Blocking and thread-safe: call from BlockingPool threads, never from a
// shard. A backend owns its store; the store lives as long as its backend.
class BlockStore {
 public:
  virtual ~BlockStore() = default;

  // Sorted bytewise; empty when nothing is blocked; nullopt on error (logged).
  virtual std::optional<std::vector<std::string>> Load(std::string_view domain,
                                                       std::string_view username) = 0;
  // Idempotent; all or nothing. kNotFound when there is no such account.
  virtual StoreStatus Add(std::string_view domain, std::string_view username,
                          const std::vector<std::string>& jids) = 0;
  // Idempotent (a JID that is not blocked is skipped); all or nothing.
  virtual StoreStatus Remove(std::string_view domain, std::string_view username,
                             const std::vector<std::string>& jids) = 0;
  // XEP-0191 §3.4: unblock everything. Idempotent.
  virtual StoreStatus Clear(std::string_view domain, std::string_view username) = 0;
};

}  // namespace parley::storage
