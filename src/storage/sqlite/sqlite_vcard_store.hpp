#pragma once
// SqliteVCardStore: VCardStore on the vcards table of a SqliteDatabase.

#include "storage/sqlite/connection.hpp"
#include "storage/vcard_store.hpp"

namespace parley::storage::sqlite {

// Owns nothing but a reference to its database's Connection; each call takes the connection's
// mutex for its duration. Any thread; lives as long as its SqliteDatabase.
class SqliteVCardStore final : public VCardStore {
 public:
  explicit SqliteVCardStore(Connection& conn) : conn_(conn) {}

  std::optional<std::string> Get(std::string_view domain, std::string_view username) override;
  StoreStatus Set(std::string_view domain, std::string_view username,
                  std::string_view vcard) override;

 private:
  Connection& conn_;
};

}  // namespace parley::storage::sqlite
