#include "storage/sqlite/sqlite_roster_store.hpp"

#include <spdlog/spdlog.h>

#include <string>

#include "storage/sqlite/statement.hpp"
#include "storage/sqlite/transaction.hpp"

// Logs name the account and the operation, never a contact or a stanza.

namespace parley::storage::sqlite {
namespace {

std::optional<Subscription> ParseSubscription(std::string_view text) {
  for (Subscription s :
       {Subscription::kNone, Subscription::kTo, Subscription::kFrom, Subscription::kBoth}) {
    if (ToString(s) == text) return s;
  }
  return std::nullopt;
}

StoreStatus Fail(std::string_view what, std::string_view domain, std::string_view username,
                 const std::string& error) {
  spdlog::error("storage: {} of {}@{} failed: {}", what, username, domain, error);
  return StoreStatus::kError;
}

// Versions are stored as the int64 with the same bits; Load() casts back.
bool StoreVersion(Connection& conn, std::string_view domain, std::string_view username,
                  std::uint64_t version, int* rc, std::string* error) {
  Statement upsert(conn,
                   "INSERT INTO roster_versions (domain, username, version) VALUES (?, ?, ?) "
                   "ON CONFLICT (domain, username) DO UPDATE SET version = excluded.version");
  upsert.Bind(1, domain).Bind(2, username).Bind(3, static_cast<std::int64_t>(version));
  *rc = upsert.Step();
  if (*rc == SQLITE_DONE) return true;
  *error = upsert.Error();
  return false;
}

}  // namespace

std::optional<Roster> SqliteRosterStore::Load(std::string_view domain, std::string_view username) {
  auto lock = conn_.Lock();
  Transaction tx(conn_, Transaction::Kind::kRead);  // Version and items from one snapshot.
  if (!tx.Ok()) {
    Fail("loading the roster", domain, username, tx.Error());
    return std::nullopt;
  }
  Roster roster;
  Statement version(conn_, "SELECT version FROM roster_versions WHERE domain = ? AND username = ?");
  version.Bind(1, domain).Bind(2, username);
  int rc = version.Step();
  if (rc == SQLITE_ROW) {
    roster.version = static_cast<std::uint64_t>(version.ColumnInt(0));
  } else if (rc != SQLITE_DONE) {
    Fail("loading the roster", domain, username, version.Error());
    return std::nullopt;
  }
  // One row per (item, group); an item without groups gives one row with a NULL group.
  Statement items(conn_,
                  "SELECT i.jid, i.name, i.subscription, i.pending_out, i.pending_in, "
                  "i.preapproved, g.group_name IS NOT NULL, g.group_name "
                  "FROM roster_items AS i LEFT JOIN roster_groups AS g "
                  "ON g.domain = i.domain AND g.username = i.username AND g.jid = i.jid "
                  "WHERE i.domain = ? AND i.username = ? ORDER BY i.jid, g.group_name");
  items.Bind(1, domain).Bind(2, username);
  while ((rc = items.Step()) == SQLITE_ROW) {
    std::string_view jid = items.ColumnText(0);
    if (roster.items.empty() || roster.items.back().jid != jid) {
      std::optional<Subscription> subscription = ParseSubscription(items.ColumnText(2));
      if (!subscription) {
        Fail("loading the roster", domain, username, "corrupt subscription value");
        return std::nullopt;
      }
      roster.items.push_back(RosterItem{.jid = std::string(jid),
                                        .name = std::string(items.ColumnText(1)),
                                        .subscription = *subscription,
                                        .pending_out = items.ColumnInt(3) != 0,
                                        .pending_in = items.ColumnInt(4) != 0,
                                        .preapproved = items.ColumnInt(5) != 0,
                                        .groups = {}});
    }
    if (items.ColumnInt(6) != 0) roster.items.back().groups.emplace_back(items.ColumnText(7));
  }
  if (rc != SQLITE_DONE) {
    Fail("loading the roster", domain, username, items.Error());
    return std::nullopt;
  }
  return roster;
}

StoreStatus SqliteRosterStore::Put(std::string_view domain, std::string_view username,
                                   const RosterItem& item, std::uint64_t new_version) {
  constexpr std::string_view kWhat = "storing a roster item";
  auto lock = conn_.Lock();
  Transaction tx(conn_);
  if (!tx.Ok()) return Fail(kWhat, domain, username, tx.Error());
  Statement upsert(conn_,
                   "INSERT INTO roster_items (domain, username, jid, name, subscription, "
                   "pending_out, pending_in, preapproved) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (domain, username, jid) DO UPDATE SET name = excluded.name, "
                   "subscription = excluded.subscription, pending_out = excluded.pending_out, "
                   "pending_in = excluded.pending_in, preapproved = excluded.preapproved");
  upsert.Bind(1, domain)
      .Bind(2, username)
      .Bind(3, item.jid)
      .Bind(4, item.name)
      .Bind(5, ToString(item.subscription))
      .Bind(6, std::int64_t{item.pending_out})
      .Bind(7, std::int64_t{item.pending_in})
      .Bind(8, std::int64_t{item.preapproved});
  int rc = upsert.Step();
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return StoreStatus::kNotFound;
  if (rc != SQLITE_DONE) return Fail(kWhat, domain, username, upsert.Error());

  Statement clear(conn_, "DELETE FROM roster_groups WHERE domain = ? AND username = ? AND jid = ?");
  clear.Bind(1, domain).Bind(2, username).Bind(3, item.jid);
  if (!clear.Run()) return Fail(kWhat, domain, username, clear.Error());
  // DO NOTHING: a caller that breaks the "unique" promise still gets a valid set.
  Statement group(conn_,
                  "INSERT INTO roster_groups (domain, username, jid, group_name) "
                  "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING");
  for (const std::string& name : item.groups) {
    group.Reset().Bind(1, domain).Bind(2, username).Bind(3, item.jid).Bind(4, name);
    if (!group.Run()) return Fail(kWhat, domain, username, group.Error());
  }

  std::string error;
  if (!StoreVersion(conn_, domain, username, new_version, &rc, &error) || !tx.Commit()) {
    return Fail(kWhat, domain, username, error.empty() ? tx.Error() : error);
  }
  return StoreStatus::kOk;
}

StoreStatus SqliteRosterStore::Remove(std::string_view domain, std::string_view username,
                                      std::string_view jid, std::uint64_t new_version) {
  constexpr std::string_view kWhat = "removing a roster item";
  auto lock = conn_.Lock();
  Transaction tx(conn_);
  if (!tx.Ok()) return Fail(kWhat, domain, username, tx.Error());
  // Its groups go with it (ON DELETE CASCADE).
  Statement del(conn_, "DELETE FROM roster_items WHERE domain = ? AND username = ? AND jid = ?");
  del.Bind(1, domain).Bind(2, username).Bind(3, jid);
  if (!del.Run()) return Fail(kWhat, domain, username, del.Error());
  bool removed = del.Changes() > 0;
  int rc;
  std::string error;
  if (!StoreVersion(conn_, domain, username, new_version, &rc, &error)) {
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return StoreStatus::kNotFound;  // No such account.
    return Fail(kWhat, domain, username, error);
  }
  if (!tx.Commit()) return Fail(kWhat, domain, username, tx.Error());
  return removed ? StoreStatus::kOk : StoreStatus::kNotFound;
}

std::vector<PendingRequest> SqliteRosterStore::LoadPending(std::string_view domain,
                                                           std::string_view username) {
  std::vector<PendingRequest> requests;
  auto lock = conn_.Lock();
  Statement select(conn_,
                   "SELECT jid, stanza FROM roster_pending WHERE domain = ? AND username = ? "
                   "ORDER BY id");
  select.Bind(1, domain).Bind(2, username);
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) {
    requests.push_back(PendingRequest{.jid = std::string(select.ColumnText(0)),
                                      .stanza = std::string(select.ColumnText(1))});
  }
  if (rc != SQLITE_DONE) {
    Fail("loading subscription requests", domain, username, select.Error());
    return {};
  }
  return requests;
}

StoreStatus SqliteRosterStore::PutPending(std::string_view domain, std::string_view username,
                                          const PendingRequest& request) {
  auto lock = conn_.Lock();
  // REPLACE deletes the older request from the same jid; the new row gets a larger id, so the
  // request now counts as the newest.
  Statement replace(conn_,
                    "REPLACE INTO roster_pending (domain, username, jid, stanza) "
                    "VALUES (?, ?, ?, ?)");
  replace.Bind(1, domain).Bind(2, username).Bind(3, request.jid).Bind(4, request.stanza);
  int rc = replace.Step();
  if (rc == SQLITE_DONE) return StoreStatus::kOk;
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return StoreStatus::kNotFound;
  return Fail("storing a subscription request", domain, username, replace.Error());
}

StoreStatus SqliteRosterStore::RemovePending(std::string_view domain, std::string_view username,
                                             std::string_view jid) {
  auto lock = conn_.Lock();
  Statement del(conn_, "DELETE FROM roster_pending WHERE domain = ? AND username = ? AND jid = ?");
  del.Bind(1, domain).Bind(2, username).Bind(3, jid);
  if (!del.Run()) return Fail("removing a subscription request", domain, username, del.Error());
  return del.Changes() == 0 ? StoreStatus::kNotFound : StoreStatus::kOk;
}

}  // namespace parley::storage::sqlite
