#pragma once
// One multi-user chat room (XEP-0045): its occupants, affiliations, configuration, subject and
// history. A Room lives on one shard (hash of its bare JID, see docs/architecture/muc.md) and is
// touched only by that shard's thread; the service creates it on the first join (or at start-up
// for stored and predefined rooms) and drops it when it is destroyed, or when a temporary room
// becomes empty.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jid/jid.hpp"
#include "stanza/error.hpp"
#include "storage/muc_store.hpp"
#include "xml/element.hpp"

namespace parley::mod::muc {

inline constexpr std::string_view kNsMuc = "http://jabber.org/protocol/muc";
inline constexpr std::string_view kNsMucUser = "http://jabber.org/protocol/muc#user";
inline constexpr std::string_view kNsMucAdmin = "http://jabber.org/protocol/muc#admin";
inline constexpr std::string_view kNsMucOwner = "http://jabber.org/protocol/muc#owner";
inline constexpr std::string_view kNsRoomConfig = "http://jabber.org/protocol/muc#roomconfig";
inline constexpr std::string_view kNsRoomInfo = "http://jabber.org/protocol/muc#roominfo";
inline constexpr std::string_view kNsConference = "jabber:x:conference";  // XEP-0249
inline constexpr std::string_view kNsDelay = "urn:xmpp:delay";            // XEP-0203

// XEP-0045 §5.2, ordered by privilege.
enum class Affiliation { kOutcast, kNone, kMember, kAdmin, kOwner };
// XEP-0045 §5.1, ordered by privilege.
enum class Role { kNone, kVisitor, kParticipant, kModerator };

std::string_view ToString(Affiliation a);
std::string_view ToString(Role r);
std::optional<Affiliation> ParseAffiliation(std::string_view s);
std::optional<Role> ParseRole(std::string_view s);

// The service's bounds ([muc] in the configuration).
struct Limits {
  std::uint32_t max_occupants = 200;
  std::uint32_t default_history = 20;
  std::uint32_t max_history = 100;
  std::uint32_t max_nick_length = 64;
  std::uint32_t max_subject_length = 1024;
};

// The muc#roomconfig settings a room has (§10.2).
struct RoomConfig {
  std::string name;
  std::string description;
  bool public_room = true;
  bool persistent = false;
  bool members_only = false;
  bool moderated = false;
  std::string password;  // empty: none
  std::uint32_t max_occupants = 0;
  std::uint32_t history_length = 0;
  bool whois_anyone = false;    // real JIDs visible to everyone (non-anonymous room)
  bool change_subject = false;  // participants may change the subject, not only moderators
};

class Room;

// What a room needs from its service. Implemented by the service; called on the room's shard.
class RoomHost {
 public:
  virtual ~RoomHost() = default;
  // Sends a stanza the room produced (presence, message, iq answer) through the router.
  virtual void Send(xml::Element stanza) = 0;
  // Stores a persistent room (configuration, subject, affiliations) on the db pool.
  virtual void Save(const Room& room) = 0;
  // Removes a room from storage (destroyed, or no longer persistent).
  virtual void Forget(const Room& room) = 0;
  // A real full JID became, or stopped being, an occupant of the room (the service's index).
  virtual void Joined(const Room& room, const jid::Jid& real) = 0;
  virtual void Left(const Room& room, const jid::Jid& real) = 0;
  virtual const Limits& RoomLimits() const = 0;
};

struct Occupant {
  std::string nick;
  jid::Jid real;  // the occupant's full JID
  Role role = Role::kNone;
  xml::Element presence;  // the last available presence it sent (show, status, ...)
};

// What changes in an occupant's presence beyond its role and affiliation (kick, ban, nick change,
// destruction).
struct PresenceExtra {
  std::string new_nick;                     // §7.6.2: <item nick=.../> with 303
  std::optional<Affiliation> affiliation;   // shown instead of the stored one
  std::vector<xml::Element> item_children;  // <actor/>, <reason/>
  std::optional<xml::Element> destroy;      // §10.9: <destroy/>
  std::string status;                       // <status/> text of an unavailable presence
};

class Room {
 public:
  Room(RoomHost& host, jid::Jid jid, RoomConfig config);

  const jid::Jid& Jid() const { return jid_; }
  const RoomConfig& Config() const { return config_; }
  // The name shown in lists: the configured name, else the room's local part.
  const std::string& DisplayName() const;
  std::size_t OccupantCount() const { return occupants_.size(); }
  bool Locked() const { return locked_; }
  void SetLocked(bool locked) { locked_ = locked; }
  // Nothing left to keep: destroyed, or temporary and empty. The service then drops it.
  bool Finished() const;

  // A stanza from a user to the room (`to` bare) or to an occupant (`to` = room/nick); `from` is
  // the sender's full JID. `creating`: the room was made for this join (§10.1.1).
  void HandlePresence(const xml::Element& presence, const jid::Jid& from, const jid::Jid& to,
                      bool creating = false);
  void HandleMessage(const xml::Element& message, const jid::Jid& from, const jid::Jid& to);
  void HandleIq(const xml::Element& iq, const jid::Jid& from, const jid::Jid& to);
  // The session went away without a word: it leaves the room (occupants see it unavailable).
  void SessionGone(const jid::Jid& real);

  // Persistence.
  storage::MucRoomRecord ToRecord() const;
  static RoomConfig ConfigOf(const storage::MucRoomRecord& record);
  void Restore(const storage::MucRoomRecord& record);
  void SetNameAndDescription(std::string name, std::string description);

 private:
  struct HistoryEntry {
    xml::Element message;  // from room/nick, with <delay/>
    std::chrono::system_clock::time_point when;
    std::size_t chars;
  };

  // --- presence (room.cpp) ---
  void Join(const xml::Element& presence, const jid::Jid& from, const std::string& nick,
            bool creating);
  void ChangeNick(Occupant& occupant, const xml::Element& presence, const std::string& nick);
  void Leave(const jid::Jid& real, const xml::Element* presence);
  void SendHistory(const Occupant& to, const xml::Element* history_request);
  void SendSubject(const jid::Jid& to) const;
  // The presence of `occupant` as `receiver` sees it, with the given status codes.
  xml::Element PresenceOf(const Occupant& occupant, const Occupant* receiver, std::string_view type,
                          const std::vector<int>& codes,
                          const PresenceExtra* extra = nullptr) const;
  // Sends `occupant`'s presence to every other occupant with `codes`, and to the occupant itself
  // (last) with 110, `codes` and `self_codes`.
  void BroadcastPresence(const Occupant& occupant, std::string_view type, std::vector<int> codes,
                         std::vector<int> self_codes, const PresenceExtra* extra = nullptr);
  // --- messages (room.cpp) ---
  void Groupchat(const xml::Element& message, const jid::Jid& from);
  void Private(const xml::Element& message, const jid::Jid& from, const std::string& nick);
  void Invitations(const xml::Element& message, const xml::Element& x, const jid::Jid& from);
  void Broadcast(const xml::Element& stanza) const;
  void Notify(std::vector<int> codes) const;  // a groupchat message with status codes only
  // --- iq (room_admin.cpp) ---
  void RelayIq(const xml::Element& iq, const jid::Jid& from, const std::string& nick);
  void DiscoInfo(const xml::Element& iq) const;
  void AdminGet(const xml::Element& iq, const jid::Jid& from);
  void AdminSet(const xml::Element& iq, const jid::Jid& from);
  void OwnerGet(const xml::Element& iq, const jid::Jid& from);
  void OwnerSet(const xml::Element& iq, const jid::Jid& from);
  // Applies a submitted muc#roomconfig form; the error when a value is refused (nothing changed).
  std::optional<stanza::StanzaError> ApplyConfig(const xml::Element& form);
  void Destroy(const xml::Element* destroy);
  // Sets a bare JID's affiliation and applies its effect on the occupants who have it.
  void SetAffiliation(const std::string& bare, Affiliation affiliation, const Occupant* actor,
                      const std::string& reason);
  // Ends an occupant's presence with `codes` (kick 307, ban 301, ...).
  void Remove(const std::string& nick, std::vector<int> codes, const Occupant* actor,
              const std::string& reason);

  // --- helpers ---
  Affiliation AffiliationOf(const jid::Jid& real) const;
  Role DefaultRole(Affiliation a) const;
  Occupant* FindByReal(const jid::Jid& real);
  Occupant* FindByNick(std::string_view nick);
  std::string OccupantJid(std::string_view nick) const;
  bool SeesRealJids(const Occupant* receiver) const;
  void Reply(const xml::Element& iq, xml::Element payload) const;
  void ReplyError(const xml::Element& stanza, stanza::StanzaError error) const;
  void SaveIfPersistent();

  RoomHost& host_;
  jid::Jid jid_;
  RoomConfig config_;
  bool locked_ = false;
  bool destroyed_ = false;
  std::map<std::string, Occupant> occupants_;        // by nick
  std::map<std::string, std::string> nick_of_;       // real full JID -> nick
  std::map<std::string, Affiliation> affiliations_;  // bare JID -> not kNone
  std::deque<HistoryEntry> history_;
  std::string subject_, subject_by_;
};

}  // namespace parley::mod::muc
