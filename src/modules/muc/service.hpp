#pragma once
// One MUC service: the rooms of one host's conference sub-domain. Receives every stanza for the
// service domain from the router (on the sender's shard), answers what is addressed to the service
// itself and posts the rest to the shard that owns the addressed room. Rooms live in per-shard
// maps touched only by their shard (docs/architecture/muc.md). Created at start-up; lives as long
// as the module registry.

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "modules/module.hpp"
#include "modules/muc/room.hpp"
#include "router/router.hpp"

namespace parley::mod::muc {

// A room that exists from start-up ([[muc.rooms]]).
struct PredefinedRoom {
  std::string name, title, description;
};

class Service final : public router::ServiceHandler, public RoomHost {
 public:
  Service(ModuleServices& services, std::string host, std::string domain, Limits limits,
          std::uint32_t max_rooms);

  const std::string& Domain() const { return domain_; }
  // Start-up only, before the shards run: reads the stored rooms (blocking) and creates the
  // predefined ones that are missing.
  void LoadRooms(const std::vector<PredefinedRoom>& predefined);
  // A user's session ended: it leaves every room of this service. Any shard.
  void SessionGone(const jid::Jid& full);

  // router::ServiceHandler
  void HandleServiceStanza(xml::Element stanza, jid::Jid to) override;
  // RoomHost
  void Send(xml::Element stanza) override;
  void Save(const Room& room) override;
  void Forget(const Room& room) override;
  void Joined(const Room& room, const jid::Jid& real) override;
  void Left(const Room& room, const jid::Jid& real) override;
  const Limits& RoomLimits() const override { return limits_; }

 private:
  // State of one shard; touched only on that shard's thread (or before the shards run).
  struct ShardRooms {
    std::unordered_map<std::string, std::unique_ptr<Room>> rooms;     // by bare room JID
    std::unordered_map<std::string, std::set<std::string>> rooms_of;  // real full JID -> rooms
  };
  ShardRooms& Local();
  std::size_t ShardOf(const std::string& room_key);
  void HandleForService(const xml::Element& stanza, const jid::Jid& from);
  void ListRooms(const xml::Element& iq);
  void OnRoomShard(const xml::Element& stanza, const jid::Jid& from, const jid::Jid& to);
  // Room creation on first join (§10.1.1); nullptr (answered) when refused.
  Room* Create(const xml::Element& presence, const jid::Jid& from, const jid::Jid& to);
  void DropIfFinished(ShardRooms& shard, const std::string& key);
  RoomConfig DefaultConfig() const;

  ModuleServices& services_;
  std::string host_;
  std::string domain_;
  Limits limits_;
  std::uint32_t max_rooms_;
  std::atomic<std::uint32_t> room_count_{0};
  std::atomic<std::size_t> occupant_count_{0};  // all rooms; lets SessionGone skip idle services
  std::vector<std::unique_ptr<ShardRooms>> shards_;
};

}  // namespace parley::mod::muc
