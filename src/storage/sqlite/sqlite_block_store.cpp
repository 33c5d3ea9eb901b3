#include "storage/sqlite/sqlite_block_store.hpp"

#include <spdlog/spdlog.h>

#include "storage/sqlite/statement.hpp"
#include "storage/sqlite/transaction.hpp"

// Logs name the account and the operation, never a blocked JID.

namespace parley::storage::sqlite {
namespace {

StoreStatus Fail(std::string_view what, std::string_view domain, std::string_view username,
                 const std::string& error) {
  spdlog::error("storage: {} of {}@{} failed: {}", what, username, domain, error);
  return StoreStatus::kError;
}

}  // namespace

std::optional<std::vector<std::string>> SqliteBlockStore::Load(std::string_view domain,
                                                               std::string_view username) {
  std::vector<std::string> jids;
  auto lock = conn_.Lock();
  Statement select(conn_,
                   "SELECT jid FROM blocked_jids WHERE domain = ? AND username = ? ORDER BY jid");
  select.Bind(1, domain).Bind(2, username);
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) jids.emplace_back(select.ColumnText(0));
  if (rc != SQLITE_DONE) {
    Fail("loading the block list", domain, username, select.Error());
    return std::nullopt;
  }
  return jids;
}

StoreStatus SqliteBlockStore::Add(std::string_view domain, std::string_view username,
                                  const std::vector<std::string>& jids) {
  constexpr std::string_view kWhat = "blocking";
  auto lock = conn_.Lock();
  Transaction tx(conn_);
  if (!tx.Ok()) return Fail(kWhat, domain, username, tx.Error());
  Statement insert(conn_,
                   "INSERT INTO blocked_jids (domain, username, jid) VALUES (?, ?, ?) "
                   "ON CONFLICT DO NOTHING");
  for (const std::string& jid : jids) {
    int rc = insert.Reset().Bind(1, domain).Bind(2, username).Bind(3, jid).Step();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return StoreStatus::kNotFound;
    if (rc != SQLITE_DONE) return Fail(kWhat, domain, username, insert.Error());
  }
  if (!tx.Commit()) return Fail(kWhat, domain, username, tx.Error());
  return StoreStatus::kOk;
}

StoreStatus SqliteBlockStore::Remove(std::string_view domain, std::string_view username,
                                     const std::vector<std::string>& jids) {
  constexpr std::string_view kWhat = "unblocking";
  auto lock = conn_.Lock();
  Transaction tx(conn_);
  if (!tx.Ok()) return Fail(kWhat, domain, username, tx.Error());
  Statement del(conn_, "DELETE FROM blocked_jids WHERE domain = ? AND username = ? AND jid = ?");
  for (const std::string& jid : jids) {
    if (!del.Reset().Bind(1, domain).Bind(2, username).Bind(3, jid).Run()) {
      return Fail(kWhat, domain, username, del.Error());
    }
  }
  if (!tx.Commit()) return Fail(kWhat, domain, username, tx.Error());
  return StoreStatus::kOk;
}

StoreStatus SqliteBlockStore::Clear(std::string_view domain, std::string_view username) {
  auto lock = conn_.Lock();
  Statement del(conn_, "DELETE FROM blocked_jids WHERE domain = ? AND username = ?");
  del.Bind(1, domain).Bind(2, username);
  if (!del.Run()) return Fail("clearing the block list", domain, username, del.Error());
  return StoreStatus::kOk;
}

}  // namespace parley::storage::sqlite
