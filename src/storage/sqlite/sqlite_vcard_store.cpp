#include "storage/sqlite/sqlite_vcard_store.hpp"

#include <spdlog/spdlog.h>

#include "storage/sqlite/statement.hpp"

// Logs name the account and the operation, never the vCard (it holds personal data).

namespace parley::storage::sqlite {

std::optional<std::string> SqliteVCardStore::Get(std::string_view domain,
                                                 std::string_view username) {
  auto lock = conn_.Lock();
  Statement select(conn_, "SELECT vcard FROM vcards WHERE domain = ? AND username = ?");
  select.Bind(1, domain).Bind(2, username);
  int rc = select.Step();
  if (rc == SQLITE_ROW) return std::string(select.ColumnText(0));
  if (rc != SQLITE_DONE) {
    spdlog::error("storage: reading the vCard of {}@{} failed: {}", username, domain,
                  select.Error());
  }
  return std::nullopt;
}

StoreStatus SqliteVCardStore::Set(std::string_view domain, std::string_view username,
                                  std::string_view vcard) {
  auto lock = conn_.Lock();
  Statement upsert(conn_,
                   "INSERT INTO vcards (domain, username, vcard) VALUES (?, ?, ?) "
                   "ON CONFLICT (domain, username) DO UPDATE SET vcard = excluded.vcard");
  upsert.Bind(1, domain).Bind(2, username).Bind(3, vcard);
  int rc = upsert.Step();
  if (rc == SQLITE_DONE) return StoreStatus::kOk;
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return StoreStatus::kNotFound;
  spdlog::error("storage: storing the vCard of {}@{} failed: {}", username, domain, upsert.Error());
  return StoreStatus::kError;
}

}  // namespace parley::storage::sqlite
