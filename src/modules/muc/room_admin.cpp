// XEP-0045 iqs to a room: disco (§6.4), iqs relayed to occupants, moderator use cases (§8: kick,
// voice), admin use cases (§9: ban, members, moderators) and the owner's affiliation changes (§10:
// owners and admins). The configuration form and destruction are in room_owner.cpp. Runs on the
// room's shard.

#include <algorithm>

#include "modules/muc/room.hpp"
#include "modules/muc/room_util.hpp"
#include "xep/namespaces.hpp"
#include "xep/stanzas.hpp"

namespace parley::mod::muc {

using stanza::StanzaCondition;
using stanza::StanzaError;

void Room::Reply(const xml::Element& iq, xml::Element payload) const {
  xml::Element reply = xep::MakeIqResult(iq);
  if (!payload.Name().empty()) reply.AddChild(std::move(payload));
  host_.Send(std::move(reply));
}

void Room::HandleIq(const xml::Element& iq, const jid::Jid& from, const jid::Jid& to) {
  std::string_view type = iq.AttrOr("type");
  if (!to.IsBare() && !locked_) {
    RelayIq(iq, from, to.Resource());
    return;
  }
  if (type != "get" && type != "set") return;
  const xml::Element* payload = iq.FirstElement();
  if (!payload) {
    ReplyError(iq, StanzaError(StanzaCondition::kBadRequest));
    return;
  }
  // §10.1.1: a locked room does not exist for anyone but its owner.
  if (locked_ && AffiliationOf(from) != Affiliation::kOwner) {
    ReplyError(iq, StanzaError(StanzaCondition::kItemNotFound));
    return;
  }
  if (!to.IsBare()) {
    ReplyError(iq, StanzaError(StanzaCondition::kItemNotFound));
    return;
  }
  const std::string& ns = payload->Xmlns();
  bool get = type == "get";
  if (get && ns == xep::kNsDiscoInfo && !payload->Attr("node")) {
    DiscoInfo(iq);
  } else if (get && ns == xep::kNsDiscoItems && !payload->Attr("node")) {
    // §6.5: occupants are not listed (the room may be semi-anonymous).
    Reply(iq, xml::Element("query", std::string(xep::kNsDiscoItems)));
  } else if (ns == kNsMucAdmin && payload->Name() == "query") {
    get ? AdminGet(iq, from) : AdminSet(iq, from);
  } else if (ns == kNsMucOwner && payload->Name() == "query") {
    get ? OwnerGet(iq, from) : OwnerSet(iq, from);
  } else {
    ReplyError(iq, StanzaError(StanzaCondition::kServiceUnavailable));
  }
}

// §17.3 (IQ to an occupant): a request from one occupant to another goes to the addressee's real
// JID (a vCard request to its account, as vCards belong to accounts), from the asker's occupant
// JID; the answer comes back the same way. Neither side learns the other's real JID.
void Room::RelayIq(const xml::Element& iq, const jid::Jid& from, const std::string& nick) {
  std::string_view type = iq.AttrOr("type");
  bool request = type == "get" || type == "set";
  const Occupant* sender = FindByReal(from);
  if (!sender && !request) {
    // An answer from an account on its user's behalf comes from the bare JID.
    for (const auto& [n, o] : occupants_) {
      if (o.real.Bare() == from) {
        sender = &o;
        break;
      }
    }
  }
  const Occupant* target = FindByNick(nick);
  if (!sender || !target) {
    if (request) {
      ReplyError(iq, StanzaError(sender ? StanzaCondition::kItemNotFound
                                        : StanzaCondition::kNotAcceptable));
    }
    return;
  }
  xml::Element out = iq;
  out.SetAttr("from", OccupantJid(sender->nick));
  const xml::Element* payload = iq.FirstElement();
  bool vcard = request && payload && payload->Xmlns() == "vcard-temp";
  out.SetAttr("to", vcard ? target->real.BareString() : target->real.Full());
  host_.Send(std::move(out));
}

void Room::DiscoInfo(const xml::Element& iq) const {
  xml::Element query("query", std::string(xep::kNsDiscoInfo));
  query.AddChild("identity")
      .SetAttr("category", "conference")
      .SetAttr("type", "text")
      .SetAttr("name", DisplayName());
  std::vector<std::string> features{
      std::string(kNsMuc),
      std::string(xep::kNsDiscoInfo),
      config_.public_room ? "muc_public" : "muc_hidden",
      config_.persistent ? "muc_persistent" : "muc_temporary",
      config_.members_only ? "muc_membersonly" : "muc_open",
      config_.moderated ? "muc_moderated" : "muc_unmoderated",
      config_.password.empty() ? "muc_unsecured" : "muc_passwordprotected",
      config_.whois_anyone ? "muc_nonanonymous" : "muc_semianonymous",
  };
  for (const std::string& f : features) query.AddChild("feature").SetAttr("var", f);
  // §6.4 / §15.5.4: the muc#roominfo extension.
  query.AddChild(MakeForm(
      "result", "",
      {{"FORM_TYPE", "hidden", "", {std::string(kNsRoomInfo)}, {}},
       {"muc#roominfo_description", "text-single", "Description", {config_.description}, {}},
       {"muc#roominfo_subject", "text-single", "Subject", {subject_}, {}},
       {"muc#roominfo_occupants",
        "text-single",
        "Occupants",
        {std::to_string(occupants_.size())},
        {}},
       {"muc#roomconfig_roomname", "text-single", "Name", {config_.name}, {}}}));
  Reply(iq, std::move(query));
}

// --- muc#admin ---

void Room::AdminGet(const xml::Element& iq, const jid::Jid& from) {
  const xml::Element* item = iq.FirstElement()->Child("item");
  if (!item) {
    ReplyError(iq, StanzaError(StanzaCondition::kBadRequest));
    return;
  }
  xml::Element query("query", std::string(kNsMucAdmin));
  Occupant* actor = FindByReal(from);
  if (const std::string* a = item->Attr("affiliation")) {
    // §9.5, §9.8, §10.5, §10.8: admins and owners read the affiliation lists.
    std::optional<Affiliation> wanted = ParseAffiliation(*a);
    if (!wanted || *wanted == Affiliation::kNone) {
      ReplyError(iq, StanzaError(StanzaCondition::kBadRequest));
      return;
    }
    if (AffiliationOf(from) < Affiliation::kAdmin) {
      ReplyError(iq, StanzaError(StanzaCondition::kForbidden));
      return;
    }
    for (const auto& [bare, affiliation] : affiliations_) {
      if (affiliation != *wanted) continue;
      query.AddChild("item").SetAttr("affiliation", *a).SetAttr("jid", bare);
    }
  } else if (const std::string* r = item->Attr("role")) {
    // §8.5, §9.7: moderators read who has voice or moderates.
    std::optional<Role> wanted = ParseRole(*r);
    if (!wanted || *wanted == Role::kNone) {
      ReplyError(iq, StanzaError(StanzaCondition::kBadRequest));
      return;
    }
    if (!actor || actor->role != Role::kModerator) {
      ReplyError(iq, StanzaError(StanzaCondition::kForbidden));
      return;
    }
    for (const auto& [nick, o] : occupants_) {
      if (o.role != *wanted) continue;
      query.AddChild("item")
          .SetAttr("role", *r)
          .SetAttr("nick", nick)
          .SetAttr("jid", o.real.Full())
          .SetAttr("affiliation", std::string(ToString(AffiliationOf(o.real))));
    }
  } else {
    ReplyError(iq, StanzaError(StanzaCondition::kBadRequest));
    return;
  }
  Reply(iq, std::move(query));
}

void Room::AdminSet(const xml::Element& iq, const jid::Jid& from) {
  Affiliation actor_affiliation = AffiliationOf(from);
  for (const xml::Element& item : iq.FirstElement()->Children()) {
    if (item.IsText() || item.Name() != "item") continue;
    const Occupant* actor = FindByReal(from);
    std::string reason;
    if (const xml::Element* r = item.Child("reason")) reason = r->Text();
    if (const std::string* role_attr = item.Attr("role")) {
      std::optional<Role> role = ParseRole(*role_attr);
      if (!role || !item.Attr("nick")) {
        ReplyError(iq, StanzaError(StanzaCondition::kBadRequest));
        return;
      }
      if (!actor || actor->role != Role::kModerator) {
        ReplyError(iq, StanzaError(StanzaCondition::kForbidden));
        return;
      }
      Occupant* target = FindByNick(*item.Attr("nick"));
      if (!target) {
        ReplyError(iq, StanzaError(StanzaCondition::kItemNotFound));
        return;
      }
      Affiliation target_affiliation = AffiliationOf(target->real);
      // §8.2, §8.4: a moderator cannot kick or silence an admin or owner. §9.6, §9.7: granting or
      // revoking moderator is for admins and owners.
      if (*role != Role::kModerator && target_affiliation >= Affiliation::kAdmin) {
        ReplyError(iq, StanzaError(StanzaCondition::kNotAllowed));
        return;
      }
      if ((*role == Role::kModerator || target->role == Role::kModerator) &&
          actor_affiliation < Affiliation::kAdmin) {
        ReplyError(iq, StanzaError(StanzaCondition::kForbidden));
        return;
      }
      if (*role == Role::kNone) {
        Remove(target->nick, {307}, actor, reason);  // §8.2 kick
      } else if (target->role != *role) {
        target->role = *role;
        PresenceExtra extra;
        if (!reason.empty()) extra.item_children.push_back(xml::Element("reason").AddText(reason));
        BroadcastPresence(*target, "", {}, {}, &extra);
      }
    } else if (const std::string* affiliation_attr = item.Attr("affiliation")) {
      std::optional<Affiliation> affiliation = ParseAffiliation(*affiliation_attr);
      std::optional<jid::Jid> target = jid::Jid::Parse(item.AttrOr("jid"));
      if (!affiliation || !item.Attr("jid")) {
        ReplyError(iq, StanzaError(StanzaCondition::kBadRequest));
        return;
      }
      if (!target) {
        ReplyError(iq, StanzaError(StanzaCondition::kJidMalformed));
        return;
      }
      std::string bare = target->BareString();
      Affiliation current = AffiliationOf(*target);
      // §9: admins manage members and outcasts; §10: owners manage admins and owners.
      if (actor_affiliation < Affiliation::kAdmin ||
          (*affiliation >= Affiliation::kAdmin && actor_affiliation < Affiliation::kOwner)) {
        ReplyError(iq, StanzaError(StanzaCondition::kForbidden));
        return;
      }
      if (current >= Affiliation::kAdmin && actor_affiliation < Affiliation::kOwner) {
        ReplyError(iq, StanzaError(StanzaCondition::kNotAllowed));
        return;
      }
      if (current == Affiliation::kOwner && *affiliation != Affiliation::kOwner &&
          std::count_if(affiliations_.begin(), affiliations_.end(),
                        [](const auto& a) { return a.second == Affiliation::kOwner; }) == 1) {
        // §10.6: a room keeps at least one owner.
        ReplyError(iq, StanzaError(StanzaCondition::kConflict));
        return;
      }
      SetAffiliation(bare, *affiliation, actor, reason);
    } else {
      ReplyError(iq, StanzaError(StanzaCondition::kBadRequest));
      return;
    }
  }
  Reply(iq, xml::Element());
}

void Room::SetAffiliation(const std::string& bare, Affiliation affiliation, const Occupant* actor,
                          const std::string& reason) {
  if (affiliation == Affiliation::kNone) {
    affiliations_.erase(bare);
  } else {
    affiliations_[bare] = affiliation;
  }
  SaveIfPersistent();
  std::string actor_nick = actor ? actor->nick : "";
  std::vector<std::string> affected;
  for (const auto& [nick, o] : occupants_) {
    if (o.real.BareString() == bare) affected.push_back(nick);
  }
  for (const std::string& nick : affected) {
    Occupant* o = FindByNick(nick);
    const Occupant* by = actor_nick.empty() ? nullptr : FindByNick(actor_nick);
    if (affiliation == Affiliation::kOutcast) {
      Remove(nick, {301}, by, reason);  // §9.1 ban
    } else if (config_.members_only && affiliation < Affiliation::kMember) {
      Remove(nick, {321}, by, reason);  // §9.4: no longer a member of a members-only room
    } else {
      o->role = DefaultRole(affiliation);
      PresenceExtra extra;
      if (!reason.empty()) extra.item_children.push_back(xml::Element("reason").AddText(reason));
      BroadcastPresence(*o, "", {}, {}, &extra);
    }
  }
}

void Room::Remove(const std::string& nick, std::vector<int> codes, const Occupant* actor,
                  const std::string& reason) {
  auto it = occupants_.find(nick);
  if (it == occupants_.end()) return;
  PresenceExtra extra;
  if (actor) extra.item_children.push_back(xml::Element("actor").SetAttr("nick", actor->nick));
  if (!reason.empty()) extra.item_children.push_back(xml::Element("reason").AddText(reason));
  Occupant gone = std::move(it->second);
  occupants_.erase(it);
  nick_of_.erase(gone.real.Full());
  host_.Left(*this, gone.real);
  gone.role = Role::kNone;
  BroadcastPresence(gone, "unavailable", codes, {}, &extra);
}

}  // namespace parley::mod::muc
