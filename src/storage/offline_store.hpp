#pragma once
// OfflineStore: XEP-0160 messages kept for an account while it is offline.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/user_store.hpp"

namespace parley::storage {

struct OfflineMessage {
  std::int64_t id = 0;  // Increases with every Push, across accounts; never reused.
  std::string stanza;   // The serialized <message/>, already with its <delay/>.
};

// The offline message store. `domain` and `username` are already prepared and compared byte for
// byte. Blocking and thread-safe: call from BlockingPool threads, never from a shard. Delivery is
// Fetch, send, then DeleteUpTo, so that a crash in between duplicates rather than loses. A
// backend owns its store; the store lives as long as its backend.
class OfflineStore {
 public:
  virtual ~OfflineStore() = default;

  // Appends the message unless the account already holds `limit` messages (then kFull, and
  // nothing is written). kNotFound when there is no such account.
  virtual StoreStatus Push(std::string_view domain, std::string_view username,
                           std::string_view stanza, std::size_t limit) = 0;
  // At most `max` messages, oldest first (id order); empty on error (logged).
  virtual std::vector<OfflineMessage> Fetch(std::string_view domain, std::string_view username,
                                            std::size_t max) = 0;
  // Deletes the account's messages with id <= up_to_id, once they were delivered. kOk even when
  // there were none.
  virtual StoreStatus DeleteUpTo(std::string_view domain, std::string_view username,
                                 std::int64_t up_to_id) = 0;
  // 0 on error (logged).
  virtual std::size_t Count(std::string_view domain, std::string_view username) = 0;
};

}  // namespace parley::storage
