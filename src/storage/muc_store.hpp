#pragma once
// MucStore: the persistent rooms of the multi-user chat services (XEP-0045), with their
// configuration, subject and affiliations. Temporary rooms are never stored.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/user_store.hpp"

namespace parley::storage {

// One stored room. `service` is the service domain (conference.example.org), `room` the room's
// local part; both prepared as in a parsed jid::Jid.
struct MucRoomRecord {
  std::string service;
  std::string room;
  std::string name;  // muc#roomconfig_roomname
  std::string description;
  bool public_room = true;
  bool members_only = false;
  bool moderated = false;
  std::string password;  // empty: none
  std::uint32_t max_occupants = 0;
  std::uint32_t history_length = 0;
  bool whois_anyone = false;    // who may see real JIDs: anyone (true) or moderators (false)
  bool change_subject = false;  // participants may change the subject
  std::string subject;
  std::string subject_by;  // nick of who set it
  // (bare JID, "owner" | "admin" | "member" | "outcast"), sorted by JID.
  std::vector<std::pair<std::string, std::string>> affiliations;
  bool operator==(const MucRoomRecord&) const = default;
};

// Blocking and thread-safe: call from BlockingPool threads (the ordered db pool), never from a
// shard. A backend owns its store; the store lives as long as its backend.
class MucStore {
 public:
  virtual ~MucStore() = default;

  // The rooms of `service`, sorted by room; nullopt on error (logged).
  virtual std::optional<std::vector<MucRoomRecord>> LoadRooms(std::string_view service) = 0;
  // Creates or replaces the room, its configuration and all its affiliations; all or nothing.
  virtual StoreStatus SaveRoom(const MucRoomRecord& room) = 0;
  // kNotFound when there is no such room.
  virtual StoreStatus DeleteRoom(std::string_view service, std::string_view room) = 0;
};

}  // namespace parley::storage
