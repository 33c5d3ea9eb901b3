#pragma once
// RosterStore: the RFC 6121 §2 roster and §3 subscription state of every account.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/user_store.hpp"

namespace parley::storage {

// RFC 6121 §2.1.2.5: the subscription attribute of a roster item.
enum class Subscription { kNone, kTo, kFrom, kBoth };

std::string_view ToString(Subscription s);  // "none", "to", "from", "both"

// One contact in a roster.
struct RosterItem {
  std::string jid;   // The contact's bare JID.
  std::string name;  // "" = none.
  Subscription subscription = Subscription::kNone;
  bool pending_out = false;         // We asked the contact (ask='subscribe').
  bool pending_in = false;          // The contact asked us and we have not answered.
  bool preapproved = false;         // RFC 6121 §3.4 pre-approval.
  std::vector<std::string> groups;  // Sorted, unique.

  friend bool operator==(const RosterItem&, const RosterItem&) = default;
};

struct Roster {
  std::uint64_t version = 0;      // XEP-0237 roster version, bumped by every change.
  std::vector<RosterItem> items;  // Sorted by jid, bytewise.
};

// An inbound subscription request kept until the user answers it (RFC 6121 §3.1.3: redelivered at
// every login), even for a contact that is not in the roster.
struct PendingRequest {
  std::string jid;     // The requester's bare JID.
  std::string stanza;  // The serialized <presence type='subscribe'/>.

  friend bool operator==(const PendingRequest&, const PendingRequest&) = default;
};

// The roster store. `domain` and `username` are already prepared and compared byte for byte, as
// in UserStore; so are the contacts' JIDs. Blocking and thread-safe: call from BlockingPool
// threads, never from a shard. A backend owns its store; the store lives as long as its backend.
// The caller (the roster module) computes versions; the store keeps them with the items.
class RosterStore {
 public:
  virtual ~RosterStore() = default;

  // nullopt on error (logged); an empty roster with version 0 when the account has none.
  virtual std::optional<Roster> Load(std::string_view domain, std::string_view username) = 0;
  // Inserts or replaces the item with `item.jid` and stores `new_version`, atomically.
  // kNotFound when there is no such account.
  virtual StoreStatus Put(std::string_view domain, std::string_view username,
                          const RosterItem& item, std::uint64_t new_version) = 0;
  // Removes the item and stores `new_version`, atomically. kNotFound when there is no such item
  // (the version is still stored if the account exists).
  virtual StoreStatus Remove(std::string_view domain, std::string_view username,
                             std::string_view jid, std::uint64_t new_version) = 0;

  // Oldest first; empty on error (logged).
  virtual std::vector<PendingRequest> LoadPending(std::string_view domain,
                                                  std::string_view username) = 0;
  // Replaces an older request from the same jid (which then counts as the newest).
  // kNotFound when there is no such account.
  virtual StoreStatus PutPending(std::string_view domain, std::string_view username,
                                 const PendingRequest& request) = 0;
  // kNotFound when there is no request from `jid`.
  virtual StoreStatus RemovePending(std::string_view domain, std::string_view username,
                                    std::string_view jid) = 0;
};

}  // namespace parley::storage
