#include "storage/sqlite/sqlite_user_store.hpp"

#include <spdlog/spdlog.h>

#include "storage/sqlite/statement.hpp"

// Logs name the account but never a credential: bound values never reach Statement::Error().

namespace parley::storage::sqlite {

StoreStatus SqliteUserStore::CreateUser(std::string_view domain, std::string_view username,
                                        const sasl::StoredCredentials& creds) {
  std::string sha1 = sasl::EncodeCredential(creds.sha1);
  std::string sha256 = sasl::EncodeCredential(creds.sha256);
  auto lock = conn_.Lock();
  Statement insert(conn_,
                   "INSERT INTO users (domain, username, scram_sha1, scram_sha256) "
                   "VALUES (?, ?, ?, ?)");
  insert.Bind(1, domain).Bind(2, username).Bind(3, sha1).Bind(4, sha256);
  int rc = insert.Step();
  if (rc == SQLITE_DONE) return StoreStatus::kOk;
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) return StoreStatus::kExists;
  spdlog::error("storage: creating {}@{} failed: {}", username, domain, insert.Error());
  return StoreStatus::kError;
}

std::optional<sasl::StoredCredentials> SqliteUserStore::GetCredentials(std::string_view domain,
                                                                       std::string_view username) {
  auto lock = conn_.Lock();
  Statement select(conn_,
                   "SELECT scram_sha1, scram_sha256 FROM users WHERE domain = ? AND username = ?");
  select.Bind(1, domain).Bind(2, username);
  int rc = select.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) {
    spdlog::error("storage: reading {}@{} failed: {}", username, domain, select.Error());
    return std::nullopt;
  }
  std::optional<sasl::ScramCredential> sha1 =
      sasl::DecodeCredential(sasl::Hash::kSha1, select.ColumnText(0));
  std::optional<sasl::ScramCredential> sha256 =
      sasl::DecodeCredential(sasl::Hash::kSha256, select.ColumnText(1));
  if (!sha1 || !sha256) {
    spdlog::error("storage: stored credentials of {}@{} are corrupt", username, domain);
    return std::nullopt;
  }
  return sasl::StoredCredentials{std::move(*sha1), std::move(*sha256)};
}

bool SqliteUserStore::UserExists(std::string_view domain, std::string_view username) {
  auto lock = conn_.Lock();
  Statement select(conn_, "SELECT 1 FROM users WHERE domain = ? AND username = ?");
  select.Bind(1, domain).Bind(2, username);
  int rc = select.Step();
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) {
    spdlog::error("storage: looking up {}@{} failed: {}", username, domain, select.Error());
  }
  return false;
}

StoreStatus SqliteUserStore::SetCredentials(std::string_view domain, std::string_view username,
                                            const sasl::StoredCredentials& creds) {
  std::string sha1 = sasl::EncodeCredential(creds.sha1);
  std::string sha256 = sasl::EncodeCredential(creds.sha256);
  auto lock = conn_.Lock();
  Statement update(conn_,
                   "UPDATE users SET scram_sha1 = ?, scram_sha256 = ? "
                   "WHERE domain = ? AND username = ?");
  update.Bind(1, sha1).Bind(2, sha256).Bind(3, domain).Bind(4, username);
  if (!update.Run()) {
    spdlog::error("storage: updating {}@{} failed: {}", username, domain, update.Error());
    return StoreStatus::kError;
  }
  return update.Changes() == 0 ? StoreStatus::kNotFound : StoreStatus::kOk;
}

// The account's rows in every other table go in the same statement: they reference users(domain,
// username) ON DELETE CASCADE (migrations.cpp).
StoreStatus SqliteUserStore::DeleteUser(std::string_view domain, std::string_view username) {
  auto lock = conn_.Lock();
  Statement del(conn_, "DELETE FROM users WHERE domain = ? AND username = ?");
  del.Bind(1, domain).Bind(2, username);
  if (!del.Run()) {
    spdlog::error("storage: deleting {}@{} failed: {}", username, domain, del.Error());
    return StoreStatus::kError;
  }
  return del.Changes() == 0 ? StoreStatus::kNotFound : StoreStatus::kOk;
}

std::vector<std::string> SqliteUserStore::ListUsers(std::string_view domain) {
  std::vector<std::string> users;
  auto lock = conn_.Lock();
  Statement select(conn_, "SELECT username FROM users WHERE domain = ? ORDER BY username");
  select.Bind(1, domain);
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) users.emplace_back(select.ColumnText(0));
  if (rc != SQLITE_DONE) {
    spdlog::error("storage: listing users of {} failed: {}", domain, select.Error());
    return {};
  }
  return users;
}

}  // namespace parley::storage::sqlite
