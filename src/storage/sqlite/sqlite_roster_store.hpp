#pragma once
// SqliteRosterStore: RosterStore on the roster_* tables of a SqliteDatabase.

#include "storage/roster_store.hpp"
#include "storage/sqlite/connection.hpp"

namespace parley::storage::sqlite {

// Owns nothing but a reference to its database's Connection; each call takes the connection's
// mutex for its duration and is one transaction. Any thread; lives as long as its SqliteDatabase.
class SqliteRosterStore final : public RosterStore {
 public:
  explicit SqliteRosterStore(Connection& conn) : conn_(conn) {}

  std::optional<Roster> Load(std::string_view domain, std::string_view username) override;
  StoreStatus Put(std::string_view domain, std::string_view username, const RosterItem& item,
                  std::uint64_t new_version) override;
  StoreStatus Remove(std::string_view domain, std::string_view username, std::string_view jid,
                     std::uint64_t new_version) override;
  std::vector<PendingRequest> LoadPending(std::string_view domain,
                                          std::string_view username) override;
  StoreStatus PutPending(std::string_view domain, std::string_view username,
                         const PendingRequest& request) override;
  StoreStatus RemovePending(std::string_view domain, std::string_view username,
                            std::string_view jid) override;

 private:
  Connection& conn_;
};

}  // namespace parley::storage::sqlite
