#include "storage/sqlite/sqlite_offline_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "storage/sqlite/statement.hpp"
#include "storage/sqlite/transaction.hpp"

// Logs name the account and the operation, never a message.

namespace parley::storage::sqlite {
namespace {

StoreStatus Fail(std::string_view what, std::string_view domain, std::string_view username,
                 const std::string& error) {
  spdlog::error("storage: {} for {}@{} failed: {}", what, username, domain, error);
  return StoreStatus::kError;
}

std::int64_t ClampToInt64(std::size_t n) {
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(n, std::numeric_limits<std::int64_t>::max()));
}

// The account's message count; -1 on error (`*error` set). Hold the connection's lock.
std::int64_t CountMessages(Connection& conn, std::string_view domain, std::string_view username,
                           std::string* error) {
  Statement count(conn, "SELECT COUNT(*) FROM offline_messages WHERE domain = ? AND username = ?");
  count.Bind(1, domain).Bind(2, username);
  if (count.Step() != SQLITE_ROW) {
    *error = count.Error();
    return -1;
  }
  return count.ColumnInt(0);
}

}  // namespace

StoreStatus SqliteOfflineStore::Push(std::string_view domain, std::string_view username,
                                     std::string_view stanza, std::size_t limit) {
  constexpr std::string_view kWhat = "storing an offline message";
  auto lock = conn_.Lock();
  // Write lock from the start: the count and the insert must not interleave with another
  // process's Push.
  Transaction tx(conn_);
  if (!tx.Ok()) return Fail(kWhat, domain, username, tx.Error());
  Statement exists(conn_, "SELECT 1 FROM users WHERE domain = ? AND username = ?");
  exists.Bind(1, domain).Bind(2, username);
  int rc = exists.Step();
  if (rc == SQLITE_DONE) return StoreStatus::kNotFound;
  if (rc != SQLITE_ROW) return Fail(kWhat, domain, username, exists.Error());
  std::string error;
  std::int64_t held = CountMessages(conn_, domain, username, &error);
  if (held < 0) return Fail(kWhat, domain, username, error);
  if (held >= ClampToInt64(limit)) return StoreStatus::kFull;
  Statement insert(conn_,
                   "INSERT INTO offline_messages (domain, username, stanza) VALUES (?, ?, ?)");
  insert.Bind(1, domain).Bind(2, username).Bind(3, stanza);
  if (!insert.Run()) return Fail(kWhat, domain, username, insert.Error());
  if (!tx.Commit()) return Fail(kWhat, domain, username, tx.Error());
  return StoreStatus::kOk;
}

std::vector<OfflineMessage> SqliteOfflineStore::Fetch(std::string_view domain,
                                                      std::string_view username, std::size_t max) {
  std::vector<OfflineMessage> messages;
  auto lock = conn_.Lock();
  Statement select(conn_,
                   "SELECT id, stanza FROM offline_messages WHERE domain = ? AND username = ? "
                   "ORDER BY id LIMIT ?");
  select.Bind(1, domain).Bind(2, username).Bind(3, ClampToInt64(max));
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) {
    messages.push_back(
        OfflineMessage{.id = select.ColumnInt(0), .stanza = std::string(select.ColumnText(1))});
  }
  if (rc != SQLITE_DONE) {
    Fail("fetching offline messages", domain, username, select.Error());
    return {};
  }
  return messages;
}

StoreStatus SqliteOfflineStore::DeleteUpTo(std::string_view domain, std::string_view username,
                                           std::int64_t up_to_id) {
  auto lock = conn_.Lock();
  Statement del(conn_,
                "DELETE FROM offline_messages WHERE domain = ? AND username = ? AND id <= ?");
  del.Bind(1, domain).Bind(2, username).Bind(3, up_to_id);
  if (!del.Run()) return Fail("deleting offline messages", domain, username, del.Error());
  return StoreStatus::kOk;
}

std::size_t SqliteOfflineStore::Count(std::string_view domain, std::string_view username) {
  auto lock = conn_.Lock();
  std::string error;
  std::int64_t held = CountMessages(conn_, domain, username, &error);
  if (held < 0) {
    Fail("counting offline messages", domain, username, error);
    return 0;
  }
  return static_cast<std::size_t>(held);
}

}  // namespace parley::storage::sqlite
