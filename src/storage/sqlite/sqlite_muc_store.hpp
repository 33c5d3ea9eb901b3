#pragma once
// SqliteMucStore: MucStore on the muc_rooms and muc_affiliations tables of a SqliteDatabase.

#include "storage/muc_store.hpp"
#include "storage/sqlite/connection.hpp"

namespace parley::storage::sqlite {

// Owns nothing but a reference to its database's Connection; each call takes the connection's
// mutex for its duration and is one transaction. Any thread; lives as long as its SqliteDatabase.
class SqliteMucStore final : public MucStore {
 public:
  explicit SqliteMucStore(Connection& conn) : conn_(conn) {}

  std::optional<std::vector<MucRoomRecord>> LoadRooms(std::string_view service) override;
  StoreStatus SaveRoom(const MucRoomRecord& room) override;
  StoreStatus DeleteRoom(std::string_view service, std::string_view room) override;

 private:
  Connection& conn_;
};

}  // namespace parley::storage::sqlite
