#include "storage/sqlite/sqlite_muc_store.hpp"

#include <spdlog/spdlog.h>

#include <map>

#include "storage/sqlite/statement.hpp"
#include "storage/sqlite/transaction.hpp"

// Logs name the room and the operation, never a password or a subject.

namespace parley::storage::sqlite {
namespace {

StoreStatus Fail(std::string_view what, std::string_view service, std::string_view room,
                 const std::string& error) {
  spdlog::error("storage: {} of room {}@{} failed: {}", what, room, service, error);
  return StoreStatus::kError;
}

}  // namespace

std::optional<std::vector<MucRoomRecord>> SqliteMucStore::LoadRooms(std::string_view service) {
  std::vector<MucRoomRecord> rooms;
  auto lock = conn_.Lock();
  Transaction tx(conn_, Transaction::Kind::kRead);
  if (!tx.Ok()) {
    Fail("loading the rooms", service, "*", tx.Error());
    return std::nullopt;
  }
  Statement select(conn_,
                   "SELECT room, name, description, public, members_only, moderated, password, "
                   "max_occupants, history_length, whois_anyone, change_subject, subject, "
                   "subject_by FROM muc_rooms WHERE service = ? ORDER BY room");
  select.Bind(1, service);
  std::map<std::string, std::size_t, std::less<>> index;
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) {
    MucRoomRecord r;
    r.service = std::string(service);
    r.room = select.ColumnText(0);
    r.name = select.ColumnText(1);
    r.description = select.ColumnText(2);
    r.public_room = select.ColumnInt(3) != 0;
    r.members_only = select.ColumnInt(4) != 0;
    r.moderated = select.ColumnInt(5) != 0;
    r.password = select.ColumnText(6);
    r.max_occupants = static_cast<std::uint32_t>(select.ColumnInt(7));
    r.history_length = static_cast<std::uint32_t>(select.ColumnInt(8));
    r.whois_anyone = select.ColumnInt(9) != 0;
    r.change_subject = select.ColumnInt(10) != 0;
    r.subject = select.ColumnText(11);
    r.subject_by = select.ColumnText(12);
    index.emplace(r.room, rooms.size());
    rooms.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) {
    Fail("loading the rooms", service, "*", select.Error());
    return std::nullopt;
  }
  Statement affs(conn_,
                 "SELECT room, jid, affiliation FROM muc_affiliations WHERE service = ? "
                 "ORDER BY room, jid");
  affs.Bind(1, service);
  while ((rc = affs.Step()) == SQLITE_ROW) {
    auto it = index.find(affs.ColumnText(0));
    if (it == index.end()) continue;
    rooms[it->second].affiliations.emplace_back(std::string(affs.ColumnText(1)),
                                                std::string(affs.ColumnText(2)));
  }
  if (rc != SQLITE_DONE) {
    Fail("loading the affiliations", service, "*", affs.Error());
    return std::nullopt;
  }
  return rooms;
}

StoreStatus SqliteMucStore::SaveRoom(const MucRoomRecord& r) {
  constexpr std::string_view kWhat = "saving";
  auto lock = conn_.Lock();
  Transaction tx(conn_);
  if (!tx.Ok()) return Fail(kWhat, r.service, r.room, tx.Error());
  Statement upsert(
      conn_,
      "INSERT INTO muc_rooms (service, room, name, description, public, members_only, moderated, "
      "password, max_occupants, history_length, whois_anyone, change_subject, subject, "
      "subject_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (service, room) DO UPDATE SET name = excluded.name, "
      "description = excluded.description, public = excluded.public, "
      "members_only = excluded.members_only, moderated = excluded.moderated, "
      "password = excluded.password, max_occupants = excluded.max_occupants, "
      "history_length = excluded.history_length, whois_anyone = excluded.whois_anyone, "
      "change_subject = excluded.change_subject, subject = excluded.subject, "
      "subject_by = excluded.subject_by");
  upsert.Bind(1, r.service)
      .Bind(2, r.room)
      .Bind(3, r.name)
      .Bind(4, r.description)
      .Bind(5, int64_t{r.public_room})
      .Bind(6, int64_t{r.members_only})
      .Bind(7, int64_t{r.moderated})
      .Bind(8, r.password)
      .Bind(9, int64_t{r.max_occupants})
      .Bind(10, int64_t{r.history_length})
      .Bind(11, int64_t{r.whois_anyone})
      .Bind(12, int64_t{r.change_subject})
      .Bind(13, r.subject)
      .Bind(14, r.subject_by);
  if (!upsert.Run()) return Fail(kWhat, r.service, r.room, upsert.Error());
  Statement clear(conn_, "DELETE FROM muc_affiliations WHERE service = ? AND room = ?");
  if (!clear.Bind(1, r.service).Bind(2, r.room).Run()) {
    return Fail(kWhat, r.service, r.room, clear.Error());
  }
  Statement insert(
      conn_,
      "INSERT INTO muc_affiliations (service, room, jid, affiliation) "
      "VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET affiliation = excluded.affiliation");
  for (const auto& [jid, affiliation] : r.affiliations) {
    if (!insert.Reset()
             .Bind(1, r.service)
             .Bind(2, r.room)
             .Bind(3, jid)
             .Bind(4, affiliation)
             .Run()) {
      return Fail(kWhat, r.service, r.room, insert.Error());
    }
  }
  if (!tx.Commit()) return Fail(kWhat, r.service, r.room, tx.Error());
  return StoreStatus::kOk;
}

StoreStatus SqliteMucStore::DeleteRoom(std::string_view service, std::string_view room) {
  auto lock = conn_.Lock();
  Statement del(conn_, "DELETE FROM muc_rooms WHERE service = ? AND room = ?");
  if (!del.Bind(1, service).Bind(2, room).Run()) {
    return Fail("deleting", service, room, del.Error());
  }
  return del.Changes() > 0 ? StoreStatus::kOk : StoreStatus::kNotFound;
}

}  // namespace parley::storage::sqlite
