#include "modules/muc/service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>

#include "core/check.hpp"
#include "net/shard.hpp"
#include "storage/blocking_pool.hpp"
#include "storage/stores.hpp"
#include "xep/namespaces.hpp"
#include "xep/stanzas.hpp"

namespace parley::mod::muc {

using stanza::StanzaCondition;
using stanza::StanzaError;

Service::Service(ModuleServices& services, std::string host, std::string domain, Limits limits,
                 std::uint32_t max_rooms)
    : services_(services),
      host_(std::move(host)),
      domain_(std::move(domain)),
      limits_(limits),
      max_rooms_(max_rooms) {
  for (std::size_t i = 0; i < services_.router.Shards().Size(); ++i) {
    shards_.push_back(std::make_unique<ShardRooms>());
  }
}

Service::ShardRooms& Service::Local() {
  net::Shard* s = net::Shard::Current();
  PARLEY_CHECK(s != nullptr);
  return *shards_[s->Index()];
}

std::size_t Service::ShardOf(const std::string& room_key) {
  return services_.router.Shards().ForHash(std::hash<std::string>{}(room_key)).Index();
}

RoomConfig Service::DefaultConfig() const {
  RoomConfig c;
  c.history_length = limits_.default_history;
  return c;
}

void Service::LoadRooms(const std::vector<PredefinedRoom>& predefined) {
  storage::MucStore* store = services_.stores ? services_.stores->mucs : nullptr;
  std::uint32_t count = 0;
  if (store) {
    std::optional<std::vector<storage::MucRoomRecord>> stored = store->LoadRooms(domain_);
    if (!stored) spdlog::error("muc: cannot read the rooms of {}; starting without them", domain_);
    for (const storage::MucRoomRecord& record :
         stored.value_or(std::vector<storage::MucRoomRecord>{})) {
      std::optional<jid::Jid> jid = jid::Jid::FromParts(record.room, domain_, "");
      if (!jid) continue;
      auto room = std::make_unique<Room>(*this, *jid, Room::ConfigOf(record));
      room->Restore(record);
      shards_[ShardOf(jid->BareString())]->rooms.emplace(jid->BareString(), std::move(room));
      ++count;
    }
  }
  for (const PredefinedRoom& p : predefined) {
    std::optional<jid::Jid> jid = jid::Jid::FromParts(p.name, domain_, "");
    if (!jid) {
      spdlog::error("muc: predefined room name '{}' is not a valid JID local part", p.name);
      continue;
    }
    auto& rooms = shards_[ShardOf(jid->BareString())]->rooms;
    auto it = rooms.find(jid->BareString());
    if (it == rooms.end()) {
      RoomConfig config = DefaultConfig();
      config.persistent = true;
      config.public_room = true;
      it = rooms.emplace(jid->BareString(), std::make_unique<Room>(*this, *jid, config)).first;
      ++count;
    }
    // The configuration file names and describes its rooms, also after a restart.
    it->second->SetNameAndDescription(p.title, p.description);
    Save(*it->second);
  }
  room_count_ = count;
  spdlog::info("muc: {} serves {} room(s)", domain_, count);
}

// --- stanzas from the router (sender's shard) ---

namespace {
// RFC 6120 §8.2.3: get/set carry exactly one payload element and an id.
bool ValidRequest(const xml::Element& iq) {
  if (!iq.Attr("id")) return false;
  int elements = 0;
  for (const auto& c : iq.Children()) elements += c.IsText() ? 0 : 1;
  return elements == 1;
}
}  // namespace

void Service::HandleServiceStanza(xml::Element stanza, jid::Jid to) {
  std::optional<jid::Jid> from = jid::Jid::Parse(stanza.AttrOr("from"));
  if (!from) return;
  xep::StanzaKind kind = xep::KindOf(stanza);
  std::string_view type = stanza.AttrOr("type");
  bool iq_answer = kind == xep::StanzaKind::kIq && (type == "result" || type == "error");
  // Users' sessions talk to rooms; an account answers only iqs relayed to it (a vCard).
  if (from->Resource().empty() && !iq_answer) return;
  if (kind == xep::StanzaKind::kIq) {
    if (iq_answer) {
      if (to.Local().empty() || to.Resource().empty()) return;  // answers to relayed iqs only
    } else if (type != "get" && type != "set") {
      return;
    } else if (!ValidRequest(stanza)) {
      Send(xep::MakeErrorReply(stanza, StanzaError(StanzaCondition::kBadRequest)));
      return;
    }
  }
  if (to.Local().empty()) {
    HandleForService(stanza, *from);
    return;
  }
  std::string key = to.BareString();
  services_.router.Shards()
      .At(ShardOf(key))
      .Post([this, stanza = std::move(stanza), from = std::move(*from), to = std::move(to)] {
        OnRoomShard(stanza, from, to);
      });
}

void Service::HandleForService(const xml::Element& stanza, const jid::Jid& from) {
  (void)from;
  xep::StanzaKind kind = xep::KindOf(stanza);
  if (kind == xep::StanzaKind::kPresence) return;
  if (kind == xep::StanzaKind::kMessage) {
    if (stanza.AttrOr("type") != "error") {
      Send(xep::MakeErrorReply(stanza, StanzaError(StanzaCondition::kServiceUnavailable)));
    }
    return;
  }
  const xml::Element& payload = *stanza.FirstElement();
  bool get = stanza.AttrOr("type") == "get";
  if (get && payload.Xmlns() == xep::kNsDiscoInfo && !payload.Attr("node")) {
    // XEP-0045 §6.2.
    xml::Element query("query", std::string(xep::kNsDiscoInfo));
    query.AddChild("identity")
        .SetAttr("category", "conference")
        .SetAttr("type", "text")
        .SetAttr("name", "Chatrooms");
    for (std::string_view f : {kNsMuc, xep::kNsDiscoInfo, xep::kNsDiscoItems, xep::kNsPing}) {
      query.AddChild("feature").SetAttr("var", std::string(f));
    }
    xml::Element reply = xep::MakeIqResult(stanza);
    reply.AddChild(std::move(query));
    Send(std::move(reply));
  } else if (get && payload.Xmlns() == xep::kNsDiscoItems && !payload.Attr("node")) {
    ListRooms(stanza);  // §6.3
  } else if (get && payload.Xmlns() == xep::kNsPing && payload.Name() == "ping") {
    Send(xep::MakeIqResult(stanza));
  } else {
    Send(xep::MakeErrorReply(stanza, StanzaError(StanzaCondition::kServiceUnavailable)));
  }
}

void Service::ListRooms(const xml::Element& iq) {
  // Each shard lists its public rooms; the last answer back on this shard sends the result.
  struct Gather {
    xml::Element iq;
    std::size_t remaining;
    std::vector<std::tuple<std::string, std::string, std::size_t>> rooms;  // name, jid, count
  };
  net::Shard* origin = net::Shard::Current();
  PARLEY_CHECK(origin != nullptr);
  auto gather = std::make_shared<Gather>(Gather{iq, shards_.size(), {}});
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    services_.router.Shards().At(i).Post([this, i, origin, gather] {
      std::vector<std::tuple<std::string, std::string, std::size_t>> found;
      for (const auto& [key, room] : shards_[i]->rooms) {
        if (!room->Config().public_room || room->Locked()) continue;
        found.emplace_back(room->DisplayName(), key, room->OccupantCount());
      }
      origin->Post([this, gather, found = std::move(found)]() mutable {
        for (auto& f : found) gather->rooms.push_back(std::move(f));
        if (--gather->remaining > 0) return;
        // Sorted by room name, ignoring ASCII case (then by JID), each named with its occupant
        // count.
        auto folded = [](const std::string& s) {
          std::string out = s;
          for (char& c : out) {
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
          }
          return out;
        };
        std::sort(gather->rooms.begin(), gather->rooms.end(), [&](const auto& a, const auto& b) {
          return std::forward_as_tuple(folded(std::get<0>(a)), std::get<1>(a)) <
                 std::forward_as_tuple(folded(std::get<0>(b)), std::get<1>(b));
        });
        xml::Element query("query", std::string(xep::kNsDiscoItems));
        for (const auto& [name, jid, count] : gather->rooms) {
          query.AddChild("item")
              .SetAttr("jid", jid)
              .SetAttr("name", name + " (" + std::to_string(count) + ")");
        }
        xml::Element reply = xep::MakeIqResult(gather->iq);
        reply.AddChild(std::move(query));
        Send(std::move(reply));
      });
    });
  }
}

// --- on the room's shard ---

void Service::OnRoomShard(const xml::Element& stanza, const jid::Jid& from, const jid::Jid& to) {
  ShardRooms& shard = Local();
  std::string key = to.BareString();
  auto it = shard.rooms.find(key);
  Room* room = it == shard.rooms.end() ? nullptr : it->second.get();
  xep::StanzaKind kind = xep::KindOf(stanza);
  std::string_view type = stanza.AttrOr("type");
  if (!room) {
    if (kind == xep::StanzaKind::kPresence && type.empty() && !to.Resource().empty()) {
      room = Create(stanza, from, to);
      if (!room) return;
      room->HandlePresence(stanza, from, to, /*creating=*/true);
    } else if (kind == xep::StanzaKind::kPresence && type.empty()) {
      // §7.2.1: entering needs a nickname, whether the room exists or not.
      Send(xep::MakeErrorReply(stanza, StanzaError(StanzaCondition::kJidMalformed)));
      return;
    } else if (kind != xep::StanzaKind::kPresence && type != "error" && type != "result") {
      // §6.4, §7.4: no such room.
      Send(xep::MakeErrorReply(stanza, StanzaError(StanzaCondition::kItemNotFound)));
      return;
    } else {
      return;
    }
  } else if (kind == xep::StanzaKind::kPresence) {
    room->HandlePresence(stanza, from, to);
  } else if (kind == xep::StanzaKind::kMessage) {
    room->HandleMessage(stanza, from, to);
  } else if (kind == xep::StanzaKind::kIq) {
    room->HandleIq(stanza, from, to);
  }
  DropIfFinished(shard, key);
}

Room* Service::Create(const xml::Element& presence, const jid::Jid& from, const jid::Jid& to) {
  // Rooms are created by the host's own users (a tenant's service is not another's).
  if (from.Domain() != host_) {
    Send(xep::MakeErrorReply(presence, StanzaError(StanzaCondition::kNotAllowed,
                                                   "Only users of " + host_ + " create rooms")));
    return nullptr;
  }
  if (to.Resource().size() > limits_.max_nick_length) {
    Send(xep::MakeErrorReply(presence,
                             StanzaError(StanzaCondition::kNotAcceptable, "Nickname too long")));
    return nullptr;
  }
  if (room_count_.fetch_add(1) >= max_rooms_) {
    room_count_.fetch_sub(1);
    Send(
        xep::MakeErrorReply(presence, StanzaError(StanzaCondition::kNotAllowed, "Too many rooms")));
    return nullptr;
  }
  auto room = std::make_unique<Room>(*this, to.Bare(), DefaultConfig());
  Room* raw = room.get();
  Local().rooms.emplace(to.BareString(), std::move(room));
  return raw;
}

void Service::DropIfFinished(ShardRooms& shard, const std::string& key) {
  auto it = shard.rooms.find(key);
  if (it == shard.rooms.end() || !it->second->Finished()) return;
  shard.rooms.erase(it);
  room_count_.fetch_sub(1);
}

void Service::SessionGone(const jid::Jid& full) {
  if (occupant_count_.load(std::memory_order_relaxed) == 0) return;
  std::string real = full.Full();
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    services_.router.Shards().At(i).Post([this, i, full, real] {
      ShardRooms& shard = *shards_[i];
      auto it = shard.rooms_of.find(real);
      if (it == shard.rooms_of.end()) return;
      std::set<std::string> keys = it->second;  // Left() edits the index
      for (const std::string& key : keys) {
        auto room = shard.rooms.find(key);
        if (room == shard.rooms.end()) continue;
        room->second->SessionGone(full);
        DropIfFinished(shard, key);
      }
    });
  }
}

// --- RoomHost ---

void Service::Send(xml::Element stanza) { services_.router.Route(std::move(stanza)); }

void Service::Save(const Room& room) {
  storage::MucStore* store = services_.stores ? services_.stores->mucs : nullptr;
  if (!store || !services_.db) return;
  services_.db->Post([store, record = room.ToRecord()] {
    if (store->SaveRoom(record) != storage::StoreStatus::kOk) {
      spdlog::error("muc: room {}@{} was not saved", record.room, record.service);
    }
  });
}

void Service::Forget(const Room& room) {
  storage::MucStore* store = services_.stores ? services_.stores->mucs : nullptr;
  if (!store || !services_.db) return;
  services_.db->Post([store, service = room.Jid().Domain(), name = room.Jid().Local()] {
    store->DeleteRoom(service, name);  // kNotFound: it was never stored
  });
}

void Service::Joined(const Room& room, const jid::Jid& real) {
  Local().rooms_of[real.Full()].insert(room.Jid().BareString());
  occupant_count_.fetch_add(1, std::memory_order_relaxed);
}

void Service::Left(const Room& room, const jid::Jid& real) {
  auto& index = Local().rooms_of;
  auto it = index.find(real.Full());
  if (it == index.end()) return;
  if (it->second.erase(room.Jid().BareString()) > 0) {
    occupant_count_.fetch_sub(1, std::memory_order_relaxed);
  }
  if (it->second.empty()) index.erase(it);
}

}  // namespace parley::mod::muc
