// XEP-0045 occupant use cases: entering (§7.2), presence and nick changes (§7.6, §7.7), leaving
// (§7.14), groupchat (§7.4), subject (§8.1), private messages (§7.5), mediated invitations
// (§7.8.2). Everything runs on the room's shard.

#include "modules/muc/room.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>

#include "modules/muc/room_util.hpp"
#include "xep/namespaces.hpp"
#include "xep/stanzas.hpp"
#include "xml/serializer.hpp"

namespace parley::mod::muc {

using stanza::ErrorType;
using stanza::StanzaCondition;
using stanza::StanzaError;

std::string_view ToString(Affiliation a) {
  switch (a) {
    case Affiliation::kOutcast:
      return "outcast";
    case Affiliation::kNone:
      return "none";
    case Affiliation::kMember:
      return "member";
    case Affiliation::kAdmin:
      return "admin";
    case Affiliation::kOwner:
      return "owner";
  }
  return "none";
}

std::string_view ToString(Role r) {
  switch (r) {
    case Role::kNone:
      return "none";
    case Role::kVisitor:
      return "visitor";
    case Role::kParticipant:
      return "participant";
    case Role::kModerator:
      return "moderator";
  }
  return "none";
}

std::optional<Affiliation> ParseAffiliation(std::string_view s) {
  for (Affiliation a : {Affiliation::kOutcast, Affiliation::kNone, Affiliation::kMember,
                        Affiliation::kAdmin, Affiliation::kOwner}) {
    if (ToString(a) == s) return a;
  }
  return std::nullopt;
}

std::optional<Role> ParseRole(std::string_view s) {
  for (Role r : {Role::kNone, Role::kVisitor, Role::kParticipant, Role::kModerator}) {
    if (ToString(r) == s) return r;
  }
  return std::nullopt;
}

Room::Room(RoomHost& host, jid::Jid jid, RoomConfig config)
    : host_(host), jid_(std::move(jid)), config_(std::move(config)) {}

const std::string& Room::DisplayName() const {
  return config_.name.empty() ? jid_.Local() : config_.name;
}

bool Room::Finished() const { return destroyed_ || (!config_.persistent && occupants_.empty()); }

// --- helpers ---

Affiliation Room::AffiliationOf(const jid::Jid& real) const {
  auto it = affiliations_.find(real.BareString());
  return it == affiliations_.end() ? Affiliation::kNone : it->second;
}

// §5.1.2 default roles: owners and admins moderate; in a moderated room only members and up have
// voice.
Role Room::DefaultRole(Affiliation a) const {
  if (a >= Affiliation::kAdmin) return Role::kModerator;
  if (a == Affiliation::kOutcast) return Role::kNone;
  if (config_.moderated && a < Affiliation::kMember) return Role::kVisitor;
  return Role::kParticipant;
}

Occupant* Room::FindByReal(const jid::Jid& real) {
  auto it = nick_of_.find(real.Full());
  return it == nick_of_.end() ? nullptr : FindByNick(it->second);
}

Occupant* Room::FindByNick(std::string_view nick) {
  auto it = occupants_.find(std::string(nick));
  return it == occupants_.end() ? nullptr : &it->second;
}

std::string Room::OccupantJid(std::string_view nick) const {
  return jid_.BareString() + "/" + std::string(nick);
}

// §5.1.3 / §10.2: real JIDs go to moderators, or to everyone in a non-anonymous room.
bool Room::SeesRealJids(const Occupant* receiver) const {
  return config_.whois_anyone || (receiver && receiver->role == Role::kModerator);
}

void Room::ReplyError(const xml::Element& stanza, StanzaError error) const {
  if (stanza.AttrOr("type") == "error") return;  // RFC 6120 §8.3.1
  host_.Send(xep::MakeErrorReply(stanza, error));
}

void Room::SaveIfPersistent() {
  if (config_.persistent && !destroyed_) host_.Save(*this);
}

xml::Element Room::PresenceOf(const Occupant& occupant, const Occupant* receiver,
                              std::string_view type, const std::vector<int>& codes,
                              const PresenceExtra* extra) const {
  xml::Element p("presence", std::string(xep::kNsClient));
  p.SetAttr("from", OccupantJid(occupant.nick));
  if (receiver) p.SetAttr("to", receiver->real.Full());
  if (!type.empty()) p.SetAttr("type", std::string(type));
  if (type.empty()) {
    for (const xml::Element& c : occupant.presence.Children()) p.AddChild(c);
  } else if (extra && !extra->status.empty()) {
    p.AddChild("status").AddText(extra->status);
  }
  xml::Element x("x", std::string(kNsMucUser));
  xml::Element item("item");
  Affiliation affiliation =
      extra && extra->affiliation ? *extra->affiliation : AffiliationOf(occupant.real);
  item.SetAttr("affiliation", std::string(ToString(affiliation)));
  item.SetAttr("role", std::string(ToString(occupant.role)));
  if (SeesRealJids(receiver) || (receiver && receiver->real == occupant.real)) {
    item.SetAttr("jid", occupant.real.Full());
  }
  if (extra) {
    if (!extra->new_nick.empty()) item.SetAttr("nick", extra->new_nick);
    for (const xml::Element& c : extra->item_children) item.AddChild(c);
  }
  x.AddChild(std::move(item));
  if (extra && extra->destroy) x.AddChild(*extra->destroy);
  for (int code : codes) x.AddChild("status").SetAttr("code", std::to_string(code));
  p.AddChild(std::move(x));
  return p;
}

void Room::BroadcastPresence(const Occupant& occupant, std::string_view type,
                             std::vector<int> codes, std::vector<int> self_codes,
                             const PresenceExtra* extra) {
  for (const auto& [nick, o] : occupants_) {
    if (o.real == occupant.real) continue;
    host_.Send(PresenceOf(occupant, &o, type, codes, extra));
  }
  // §7.2.3: the occupant's own copy comes last and carries 110.
  codes.insert(codes.begin(), 110);
  codes.insert(codes.end(), self_codes.begin(), self_codes.end());
  host_.Send(PresenceOf(occupant, &occupant, type, codes, extra));
}

// --- presence ---

void Room::HandlePresence(const xml::Element& presence, const jid::Jid& from, const jid::Jid& to,
                          bool creating) {
  std::string_view type = presence.AttrOr("type");
  Occupant* occupant = FindByReal(from);
  if (type == "unavailable" || type == "error") {
    if (occupant) Leave(from, type == "error" ? nullptr : &presence);
    return;
  }
  if (!type.empty()) return;  // probes and subscriptions mean nothing to a room
  const std::string& nick = to.Resource();
  if (nick.empty()) {
    // §7.2.1: entering needs a nickname.
    ReplyError(presence, StanzaError(StanzaCondition::kJidMalformed));
    return;
  }
  if (nick.size() > host_.RoomLimits().max_nick_length) {
    ReplyError(presence, StanzaError(StanzaCondition::kNotAcceptable, "Nickname too long"));
    return;
  }
  if (!occupant) {
    Join(presence, from, nick, creating);
  } else if (occupant->nick != nick) {
    ChangeNick(*occupant, presence, nick);
  } else {
    // §7.7: a change of availability status goes to everyone.
    occupant->presence = PresencePayload(presence);
    BroadcastPresence(*occupant, "", {}, {});
  }
}

void Room::Join(const xml::Element& presence, const jid::Jid& from, const std::string& nick,
                bool creating) {
  if (creating) {
    // §10.1.1: the creator owns the room, which stays locked until it is configured.
    affiliations_[from.BareString()] = Affiliation::kOwner;
    locked_ = true;
  }
  Affiliation affiliation = AffiliationOf(from);
  const xml::Element* muc_x = presence.Child("x", kNsMuc);
  if (locked_ && affiliation != Affiliation::kOwner) {
    // §10.1.1: nobody enters a room that is still being created.
    ReplyError(presence, StanzaError(StanzaCondition::kItemNotFound, "Room is locked"));
    return;
  }
  if (affiliation == Affiliation::kOutcast) {  // §7.2.7
    ReplyError(presence, StanzaError(StanzaCondition::kForbidden));
    return;
  }
  if (FindByNick(nick)) {  // §7.2.8
    ReplyError(presence, StanzaError(StanzaCondition::kConflict));
    return;
  }
  if (config_.members_only && affiliation < Affiliation::kMember) {  // §7.2.6
    ReplyError(presence, StanzaError(StanzaCondition::kRegistrationRequired));
    return;
  }
  if (!config_.password.empty() && affiliation < Affiliation::kAdmin) {  // §7.2.5
    const xml::Element* password = muc_x ? muc_x->Child("password") : nullptr;
    if (!password || password->Text() != config_.password) {
      ReplyError(presence, StanzaError(StanzaCondition::kNotAuthorized));
      return;
    }
  }
  std::uint32_t max =
      config_.max_occupants ? config_.max_occupants : host_.RoomLimits().max_occupants;
  if (occupants_.size() >= max && affiliation < Affiliation::kAdmin) {  // §7.2.10
    ReplyError(presence, StanzaError(StanzaCondition::kServiceUnavailable, "Room is full"));
    return;
  }
  Occupant joining{nick, from, DefaultRole(affiliation), PresencePayload(presence)};
  // §7.2.3: first the presence of everyone already there...
  for (const auto& [n, o] : occupants_) host_.Send(PresenceOf(o, &joining, "", {}));
  Occupant& occupant = occupants_.emplace(nick, std::move(joining)).first->second;
  nick_of_[from.Full()] = nick;
  host_.Joined(*this, from);
  // ...then the newcomer's to everyone, its own copy last (§7.2.3, §7.2.4, §10.1.1).
  std::vector<int> self_codes;
  if (config_.whois_anyone) self_codes.push_back(100);
  if (creating) self_codes.push_back(201);
  BroadcastPresence(occupant, "", {}, self_codes);
  // §7.2.13 history, then §7.2.15 the subject.
  SendHistory(occupant, muc_x ? muc_x->Child("history") : nullptr);
  SendSubject(occupant.real);
}

void Room::ChangeNick(Occupant& occupant, const xml::Element& presence, const std::string& nick) {
  if (FindByNick(nick)) {  // §7.6.3
    ReplyError(presence, StanzaError(StanzaCondition::kConflict));
    return;
  }
  // §7.6.2: unavailable from the old nick with 303 and the new nick, then available from the new.
  PresenceExtra extra;
  extra.new_nick = nick;
  BroadcastPresence(occupant, "unavailable", {303}, {}, &extra);
  Occupant moved = std::move(occupant);
  occupants_.erase(moved.nick);
  moved.nick = nick;
  moved.presence = PresencePayload(presence);
  nick_of_[moved.real.Full()] = nick;
  Occupant& now = occupants_.emplace(nick, std::move(moved)).first->second;
  BroadcastPresence(now, "", {}, {});
}

void Room::Leave(const jid::Jid& real, const xml::Element* presence) {
  auto nick_it = nick_of_.find(real.Full());
  if (nick_it == nick_of_.end()) return;
  auto it = occupants_.find(nick_it->second);
  Occupant gone = std::move(it->second);
  occupants_.erase(it);
  nick_of_.erase(nick_it);
  host_.Left(*this, real);
  // §7.14: unavailable to everyone left, and to the occupant itself with 110.
  gone.role = Role::kNone;
  PresenceExtra extra;
  if (presence) {
    if (const xml::Element* status = presence->Child("status")) extra.status = status->Text();
  }
  BroadcastPresence(gone, "unavailable", {}, {}, &extra);
}

void Room::SessionGone(const jid::Jid& real) { Leave(real, nullptr); }

void Room::SendHistory(const Occupant& to, const xml::Element* request) {
  // §7.2.13: maxchars, maxstanzas, seconds and since limit what is sent; all of them apply.
  std::size_t max_stanzas = history_.size();
  std::optional<std::size_t> max_chars;
  std::optional<std::chrono::system_clock::time_point> not_before;
  if (request) {
    if (auto v = ParseUnsigned(request->AttrOr("maxstanzas")))
      max_stanzas = std::min<std::size_t>(*v, max_stanzas);
    if (auto v = ParseUnsigned(request->AttrOr("maxchars"))) max_chars = *v;
    if (auto v = ParseUnsigned(request->AttrOr("seconds"))) {
      not_before = std::chrono::system_clock::now() - std::chrono::seconds(*v);
    }
    if (auto since = ParseStamp(request->AttrOr("since"))) {
      not_before = not_before ? std::max(*not_before, *since) : *since;
    }
  }
  std::size_t first = history_.size();
  std::size_t chars = 0;
  while (first > 0 && history_.size() - first < max_stanzas) {
    const HistoryEntry& e = history_[first - 1];
    if (not_before && e.when < *not_before) break;
    if (max_chars && chars + e.chars > *max_chars) break;
    chars += e.chars;
    --first;
  }
  for (std::size_t i = first; i < history_.size(); ++i) {
    xml::Element m = history_[i].message;
    m.SetAttr("to", to.real.Full());
    host_.Send(std::move(m));
  }
}

void Room::SendSubject(const jid::Jid& to) const {
  xml::Element m("message", std::string(xep::kNsClient));
  m.SetAttr("from", subject_by_.empty() ? jid_.BareString() : OccupantJid(subject_by_));
  m.SetAttr("to", to.Full());
  m.SetAttr("type", "groupchat");
  xml::Element subject("subject");
  if (!subject_.empty()) subject.AddText(subject_);
  m.AddChild(std::move(subject));
  host_.Send(std::move(m));
}

// --- messages ---

void Room::HandleMessage(const xml::Element& message, const jid::Jid& from, const jid::Jid& to) {
  std::string_view type = message.AttrOr("type");
  if (type == "error") return;  // an occupant's client bounced something: nothing to answer
  if (!to.IsBare()) {
    if (type == "groupchat") {  // §7.5: groupchat to one occupant makes no sense
      ReplyError(message, StanzaError(StanzaCondition::kBadRequest));
      return;
    }
    Private(message, from, to.Resource());
    return;
  }
  if (type == "groupchat") {
    Groupchat(message, from);
    return;
  }
  if (const xml::Element* x = message.Child("x", kNsMucUser);
      x && (x->Child("invite") || x->Child("decline"))) {
    Invitations(message, *x, from);
    return;
  }
  ReplyError(message, StanzaError(StanzaCondition::kBadRequest));
}

void Room::Broadcast(const xml::Element& stanza) const {
  for (const auto& [nick, o] : occupants_) {
    xml::Element copy = stanza;
    copy.SetAttr("to", o.real.Full());
    host_.Send(std::move(copy));
  }
}

void Room::Notify(std::vector<int> codes) const {
  xml::Element m("message", std::string(xep::kNsClient));
  m.SetAttr("from", jid_.BareString());
  m.SetAttr("type", "groupchat");
  xml::Element x("x", std::string(kNsMucUser));
  for (int code : codes) x.AddChild("status").SetAttr("code", std::to_string(code));
  m.AddChild(std::move(x));
  Broadcast(m);
}

void Room::Groupchat(const xml::Element& message, const jid::Jid& from) {
  Occupant* sender = FindByReal(from);
  if (!sender) {  // §7.4: only occupants speak
    ReplyError(message, StanzaError(StanzaCondition::kNotAcceptable));
    return;
  }
  if (sender->role < Role::kParticipant) {  // §7.4 / §8.3: a visitor has no voice
    ReplyError(message, StanzaError(StanzaCondition::kForbidden, "No voice in this room"));
    return;
  }
  const xml::Element* subject = message.Child("subject");
  const xml::Element* body = message.Child("body");
  if (subject && !body) {
    // §8.1: moderators change the subject, participants too if the room allows it.
    if (sender->role != Role::kModerator && !config_.change_subject) {
      ReplyError(message, StanzaError(StanzaCondition::kForbidden));
      return;
    }
    std::string text = subject->Text();
    if (text.size() > host_.RoomLimits().max_subject_length) {
      ReplyError(message, StanzaError(StanzaCondition::kNotAcceptable, "Subject too long"));
      return;
    }
    subject_ = std::move(text);
    subject_by_ = sender->nick;
    SaveIfPersistent();
  }
  xml::Element out = message;
  out.SetAttr("from", OccupantJid(sender->nick));
  Broadcast(out);
  if (body && config_.history_length > 0) {
    HistoryEntry entry{std::move(out), std::chrono::system_clock::now(), 0};
    xml::Element delay("delay", std::string(kNsDelay));
    delay.SetAttr("from", jid_.BareString());
    delay.SetAttr("stamp", FormatStamp(entry.when));
    entry.message.RemoveAttr("to");
    entry.message.AddChild(std::move(delay));
    entry.chars = xml::ToString(entry.message, xep::kNsClient).size();
    history_.push_back(std::move(entry));
    while (history_.size() > config_.history_length) history_.pop_front();
  }
}

void Room::Private(const xml::Element& message, const jid::Jid& from, const std::string& nick) {
  Occupant* sender = FindByReal(from);
  if (!sender) {  // §7.5: only occupants send private messages
    ReplyError(message, StanzaError(StanzaCondition::kNotAcceptable));
    return;
  }
  Occupant* target = FindByNick(nick);
  if (!target) {
    ReplyError(message, StanzaError(StanzaCondition::kItemNotFound));
    return;
  }
  xml::Element out = message;
  out.SetAttr("from", OccupantJid(sender->nick));
  out.SetAttr("to", target->real.Full());
  if (!out.Child("x", kNsMucUser)) out.AddChild("x", std::string(kNsMucUser));
  host_.Send(std::move(out));
}

void Room::Invitations(const xml::Element& message, const xml::Element& x, const jid::Jid& from) {
  Occupant* sender = FindByReal(from);
  for (const xml::Element& c : x.Children()) {
    if (c.IsText() || (c.Name() != "invite" && c.Name() != "decline")) continue;
    std::optional<jid::Jid> to = jid::Jid::Parse(c.AttrOr("to"));
    if (!to) {
      ReplyError(message, StanzaError(StanzaCondition::kJidMalformed));
      return;
    }
    xml::Element out("message", std::string(xep::kNsClient));
    out.SetAttr("from", jid_.BareString());
    out.SetAttr("to", to->Full());
    if (const std::string* id = message.Attr("id")) out.SetAttr("id", *id);
    xml::Element ux("x", std::string(kNsMucUser));
    xml::Element what(c.Name());
    what.SetAttr("from", from.BareString());
    if (const xml::Element* reason = c.Child("reason")) what.AddChild(*reason);
    if (c.Name() == "invite") {
      // §7.8.2: occupants invite; in a members-only room only admins and owners, and the invitee
      // becomes a member.
      if (!sender) {
        ReplyError(message, StanzaError(StanzaCondition::kNotAcceptable));
        return;
      }
      if (config_.members_only && AffiliationOf(from) < Affiliation::kAdmin) {
        ReplyError(message, StanzaError(StanzaCondition::kForbidden));
        return;
      }
      if (config_.members_only && AffiliationOf(*to) == Affiliation::kNone) {
        SetAffiliation(to->BareString(), Affiliation::kMember, sender, "");
      }
      ux.AddChild(std::move(what));
      if (!config_.password.empty()) ux.AddChild("password").AddText(config_.password);
      out.AddChild("body").AddText(from.BareString() + " invites you to the room " +
                                   jid_.BareString());
    } else {
      ux.AddChild(std::move(what));  // §7.8.2: a decline goes back to the inviter
    }
    out.AddChild(std::move(ux));
    host_.Send(std::move(out));
  }
}

}  // namespace parley::mod::muc
