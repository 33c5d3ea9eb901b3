#pragma once
// SqliteUserStore: UserStore on the `users` table of a SqliteDatabase.

#include "storage/sqlite/connection.hpp"
#include "storage/user_store.hpp"

namespace parley::storage::sqlite {

// Owns nothing but a reference to its database's Connection; each call takes the connection's
// mutex for its duration. Any thread; lives as long as its SqliteDatabase.
class SqliteUserStore final : public UserStore {
 public:
  explicit SqliteUserStore(Connection& conn) : conn_(conn) {}

  StoreStatus CreateUser(std::string_view domain, std::string_view username,
                         const sasl::StoredCredentials& creds) override;
  std::optional<sasl::StoredCredentials> GetCredentials(std::string_view domain,
                                                        std::string_view username) override;
  bool UserExists(std::string_view domain, std::string_view username) override;
  StoreStatus SetCredentials(std::string_view domain, std::string_view username,
                             const sasl::StoredCredentials& creds) override;
  StoreStatus DeleteUser(std::string_view domain, std::string_view username) override;
  std::vector<std::string> ListUsers(std::string_view domain) override;

 private:
  Connection& conn_;
};

}  // namespace parley::storage::sqlite
