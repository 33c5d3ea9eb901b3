#pragma once
// SqliteOfflineStore: OfflineStore on the offline_messages table of a SqliteDatabase.

#include "storage/offline_store.hpp"
#include "storage/sqlite/connection.hpp"

namespace parley::storage::sqlite {

// Owns nothing but a reference to its database's Connection; each call takes the connection's
// mutex for its duration. Any thread; lives as long as its SqliteDatabase.
class SqliteOfflineStore final : public OfflineStore {
 public:
  explicit SqliteOfflineStore(Connection& conn) : conn_(conn) {}

  StoreStatus Push(std::string_view domain, std::string_view username, std::string_view stanza,
                   std::size_t limit) override;
  std::vector<OfflineMessage> Fetch(std::string_view domain, std::string_view username,
                                    std::size_t max) override;
  StoreStatus DeleteUpTo(std::string_view domain, std::string_view username,
                         std::int64_t up_to_id) override;
  std::size_t Count(std::string_view domain, std::string_view username) override;

 private:
  Connection& conn_;
};

}  // namespace parley::storage::sqlite
