#pragma once
// SqliteBlockStore: BlockStore on the blocked_jids table of a SqliteDatabase.

#include "storage/block_store.hpp"
#include "storage/sqlite/connection.hpp"

namespace parley::storage::sqlite {

// Owns nothing but a reference to its database's Connection; each call takes the connection's
// mutex for its duration and is one transaction. Any thread; lives as long as its SqliteDatabase.
class SqliteBlockStore final : public BlockStore {
 public:
  explicit SqliteBlockStore(Connection& conn) : conn_(conn) {}

  std::optional<std::vector<std::string>> Load(std::string_view domain,
                                               std::string_view username) override;
  StoreStatus Add(std::string_view domain, std::string_view username,
                  const std::vector<std::string>& jids) override;
  StoreStatus Remove(std::string_view domain, std::string_view username,
                     const std::vector<std::string>& jids) override;
  StoreStatus Clear(std::string_view domain, std::string_view username) override;

 private:
  Connection& conn_;
};

}  // namespace parley::storage::sqlite
