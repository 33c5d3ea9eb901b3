// XEP-0045 owner use cases (§10): the room configuration form, destruction, and the room as it
// is stored. Runs on the room's shard.

#include <algorithm>

#include "modules/muc/room.hpp"
#include "modules/muc/room_util.hpp"
#include "xep/namespaces.hpp"
#include "xep/stanzas.hpp"

namespace parley::mod::muc {

using stanza::StanzaCondition;
using stanza::StanzaError;

namespace {
constexpr std::size_t kMaxNameBytes = 256;
constexpr std::size_t kMaxDescriptionBytes = 1024;
constexpr std::size_t kMaxPasswordBytes = 256;
}  // namespace

// --- muc#owner ---

void Room::OwnerGet(const xml::Element& iq, const jid::Jid& from) {
  if (AffiliationOf(from) != Affiliation::kOwner) {  // §10.2
    ReplyError(iq, StanzaError(StanzaCondition::kForbidden));
    return;
  }
  const Limits& limits = host_.RoomLimits();
  std::vector<std::string> sizes;
  for (std::uint32_t n : {10u, 20u, 30u, 50u, 100u, 200u, 500u, 1000u}) {
    if (n < limits.max_occupants) sizes.push_back(std::to_string(n));
  }
  sizes.push_back(std::to_string(limits.max_occupants));
  auto b = [](bool v) { return std::vector<std::string>{v ? "1" : "0"}; };
  std::uint32_t max = config_.max_occupants ? config_.max_occupants : limits.max_occupants;
  xml::Element query("query", std::string(kNsMucOwner));
  query.AddChild(MakeForm(
      "form", "Configuration of " + jid_.BareString(),
      {
          {"FORM_TYPE", "hidden", "", {std::string(kNsRoomConfig)}, {}},
          {"muc#roomconfig_roomname", "text-single", "Name", {config_.name}, {}},
          {"muc#roomconfig_roomdesc", "text-single", "Description", {config_.description}, {}},
          {"muc#roomconfig_publicroom",
           "boolean",
           "Listed in the room list",
           b(config_.public_room),
           {}},
          {"muc#roomconfig_persistentroom",
           "boolean",
           "Kept when empty",
           b(config_.persistent),
           {}},
          {"muc#roomconfig_membersonly", "boolean", "Members only", b(config_.members_only), {}},
          {"muc#roomconfig_moderatedroom",
           "boolean",
           "Moderated (visitors have no voice)",
           b(config_.moderated),
           {}},
          {"muc#roomconfig_changesubject",
           "boolean",
           "Participants may change the subject",
           b(config_.change_subject),
           {}},
          {"muc#roomconfig_passwordprotectedroom",
           "boolean",
           "Password required",
           b(!config_.password.empty()),
           {}},
          {"muc#roomconfig_roomsecret", "text-private", "Password", {config_.password}, {}},
          {"muc#roomconfig_maxusers",
           "list-single",
           "Most occupants",
           {std::to_string(max)},
           sizes},
          {"muc#roomconfig_historylength",
           "text-single",
           "Messages of history (at most " + std::to_string(limits.max_history) + ")",
           {std::to_string(config_.history_length)},
           {}},
          {"muc#roomconfig_whois",
           "list-single",
           "Who may see real JIDs",
           {config_.whois_anyone ? "anyone" : "moderators"},
           {"moderators", "anyone"}},
      }));
  Reply(iq, std::move(query));
}

void Room::OwnerSet(const xml::Element& iq, const jid::Jid& from) {
  if (AffiliationOf(from) != Affiliation::kOwner) {  // §10.2, §10.9
    ReplyError(iq, StanzaError(StanzaCondition::kForbidden));
    return;
  }
  const xml::Element& query = *iq.FirstElement();
  if (const xml::Element* destroy = query.Child("destroy")) {
    Reply(iq, xml::Element());
    Destroy(destroy);
    return;
  }
  const xml::Element* form = query.Child("x", xep::kNsDataForms);
  if (!form) {
    ReplyError(iq, StanzaError(StanzaCondition::kBadRequest));
    return;
  }
  std::string_view type = form->AttrOr("type");
  if (type == "cancel") {
    // §10.1.3: cancelling the first configuration destroys the new room.
    Reply(iq, xml::Element());
    if (locked_) Destroy(nullptr);
    return;
  }
  if (type != "submit") {
    ReplyError(iq, StanzaError(StanzaCondition::kBadRequest));
    return;
  }
  bool was_persistent = config_.persistent;
  bool was_locked = locked_;
  if (std::optional<StanzaError> error = ApplyConfig(*form)) {
    ReplyError(iq, *error);
    return;
  }
  // §10.1.2, §10.1.3: an empty form (instant room) or a configuration unlocks a new room.
  locked_ = false;
  if (was_persistent && !config_.persistent) host_.Forget(*this);
  SaveIfPersistent();
  Reply(iq, xml::Element());
  if (!was_locked) Notify({104});  // §10.2.1: the configuration changed
}

std::optional<StanzaError> Room::ApplyConfig(const xml::Element& form) {
  const Limits& limits = host_.RoomLimits();
  RoomConfig next = config_;
  auto one = [&](std::string_view var) -> std::optional<std::string> {
    auto values = FieldValues(form, var);
    if (!values) return std::nullopt;
    return values->empty() ? std::string() : values->front();
  };
  auto invalid = [](std::string_view var) {
    return StanzaError(StanzaCondition::kNotAcceptable, "Invalid value for " + std::string(var));
  };
  if (auto v = one("FORM_TYPE"); v && *v != kNsRoomConfig) {
    return StanzaError(StanzaCondition::kBadRequest, "Wrong FORM_TYPE");
  }
  if (auto v = one("muc#roomconfig_roomname")) {
    if (v->size() > kMaxNameBytes) return invalid("muc#roomconfig_roomname");
    next.name = *v;
  }
  if (auto v = one("muc#roomconfig_roomdesc")) {
    if (v->size() > kMaxDescriptionBytes) return invalid("muc#roomconfig_roomdesc");
    next.description = *v;
  }
  struct BoolField {
    std::string_view var;
    bool* out;
  };
  std::optional<bool> password_protected;
  bool protected_value = false;
  for (BoolField f : {BoolField{"muc#roomconfig_publicroom", &next.public_room},
                      BoolField{"muc#roomconfig_persistentroom", &next.persistent},
                      BoolField{"muc#roomconfig_membersonly", &next.members_only},
                      BoolField{"muc#roomconfig_moderatedroom", &next.moderated},
                      BoolField{"muc#roomconfig_changesubject", &next.change_subject},
                      BoolField{"muc#roomconfig_passwordprotectedroom", &protected_value}}) {
    auto v = one(f.var);
    if (!v) continue;
    std::optional<bool> parsed = ParseBool(*v);
    if (!parsed) return invalid(f.var);
    *f.out = *parsed;
    if (f.out == &protected_value) password_protected = *parsed;
  }
  if (auto v = one("muc#roomconfig_roomsecret")) {
    if (v->size() > kMaxPasswordBytes) return invalid("muc#roomconfig_roomsecret");
    next.password = *v;
  }
  if (password_protected && !*password_protected) next.password.clear();
  if (password_protected && *password_protected && next.password.empty()) {
    return invalid("muc#roomconfig_roomsecret");
  }
  if (auto v = one("muc#roomconfig_maxusers")) {
    if (*v == "none" || v->empty()) {
      next.max_occupants = 0;
    } else {
      auto n = ParseUnsigned(*v);
      if (!n || *n == 0 || *n > limits.max_occupants) return invalid("muc#roomconfig_maxusers");
      next.max_occupants = *n == limits.max_occupants ? 0 : *n;
    }
  }
  for (std::string_view var : {"muc#roomconfig_historylength", "muc#maxhistoryfetch"}) {
    if (auto v = one(var)) {
      auto n = ParseUnsigned(*v);
      if (!n || *n > limits.max_history) return invalid(var);
      next.history_length = *n;
    }
  }
  if (auto v = one("muc#roomconfig_whois")) {
    if (*v != "anyone" && *v != "moderators") return invalid("muc#roomconfig_whois");
    next.whois_anyone = *v == "anyone";
  }
  bool now_members_only = next.members_only && !config_.members_only;
  config_ = std::move(next);
  while (history_.size() > config_.history_length) history_.pop_front();
  if (now_members_only) {
    // §9.4 / §10.2: who is not a member leaves a room that became members-only (322).
    std::vector<std::string> out;
    for (const auto& [nick, o] : occupants_) {
      if (AffiliationOf(o.real) < Affiliation::kMember) out.push_back(nick);
    }
    for (const std::string& nick : out) Remove(nick, {322}, nullptr, "");
  }
  return std::nullopt;
}

void Room::Destroy(const xml::Element* destroy) {
  // §10.9: every occupant gets unavailable presence with <destroy/> (alternate venue, reason).
  PresenceExtra extra;
  extra.affiliation = Affiliation::kNone;
  xml::Element d("destroy");
  if (destroy) {
    if (const std::string* alt = destroy->Attr("jid")) d.SetAttr("jid", *alt);
    if (const xml::Element* reason = destroy->Child("reason")) {
      d.AddChild("reason").AddText(reason->Text());
    }
  }
  extra.destroy = std::move(d);
  for (auto& [nick, o] : occupants_) {
    o.role = Role::kNone;
    host_.Send(PresenceOf(o, &o, "unavailable", {}, &extra));
    host_.Left(*this, o.real);
  }
  occupants_.clear();
  nick_of_.clear();
  destroyed_ = true;
  host_.Forget(*this);
}

// --- persistence ---

storage::MucRoomRecord Room::ToRecord() const {
  storage::MucRoomRecord r;
  r.service = jid_.Domain();
  r.room = jid_.Local();
  r.name = config_.name;
  r.description = config_.description;
  r.public_room = config_.public_room;
  r.members_only = config_.members_only;
  r.moderated = config_.moderated;
  r.password = config_.password;
  r.max_occupants = config_.max_occupants;
  r.history_length = config_.history_length;
  r.whois_anyone = config_.whois_anyone;
  r.change_subject = config_.change_subject;
  r.subject = subject_;
  r.subject_by = subject_by_;
  for (const auto& [bare, affiliation] : affiliations_) {
    r.affiliations.emplace_back(bare, std::string(ToString(affiliation)));
  }
  return r;
}

RoomConfig Room::ConfigOf(const storage::MucRoomRecord& r) {
  RoomConfig c;
  c.name = r.name;
  c.description = r.description;
  c.public_room = r.public_room;
  c.persistent = true;
  c.members_only = r.members_only;
  c.moderated = r.moderated;
  c.password = r.password;
  c.max_occupants = r.max_occupants;
  c.history_length = r.history_length;
  c.whois_anyone = r.whois_anyone;
  c.change_subject = r.change_subject;
  return c;
}

void Room::Restore(const storage::MucRoomRecord& r) {
  config_ = ConfigOf(r);
  subject_ = r.subject;
  subject_by_ = r.subject_by;
  affiliations_.clear();
  for (const auto& [bare, affiliation] : r.affiliations) {
    if (auto a = ParseAffiliation(affiliation); a && *a != Affiliation::kNone) {
      affiliations_[bare] = *a;
    }
  }
}

void Room::SetNameAndDescription(std::string name, std::string description) {
  config_.name = std::move(name);
  config_.description = std::move(description);
}

}  // namespace parley::mod::muc
