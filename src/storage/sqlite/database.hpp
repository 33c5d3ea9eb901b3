#pragma once
// SqliteDatabase: the embedded default storage backend, one SQLite file (DATA_DIR/parley.db).

#include <memory>
#include <string>

#include "storage/block_store.hpp"
#include "storage/muc_store.hpp"
#include "storage/offline_store.hpp"
#include "storage/roster_store.hpp"
#include "storage/user_store.hpp"
#include "storage/vcard_store.hpp"

namespace parley::storage::sqlite {

class Connection;
class SqliteBlockStore;
class SqliteMucStore;
class SqliteOfflineStore;
class SqliteRosterStore;
class SqliteUserStore;
class SqliteVCardStore;

// Owns the connection to one SQLite file and one instance of every store on it, each in its own
// sqlite_*_store.cpp. The schema is migrated
// when the file is opened. Thread-safe: stores serialise on the connection's mutex, so call them
// from BlockingPool threads (or parleyctl), never from a shard. Created at start-up, destroyed at
// shutdown after the pool has stopped.
class SqliteDatabase {
 public:
  // Creates the file (mode 0600) and its directories if needed and migrates the schema. nullptr
  // and `*error` set when the file cannot be opened or its schema is newer than this binary's.
  static std::unique_ptr<SqliteDatabase> Open(const std::string& path, std::string* error);
  ~SqliteDatabase();

  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  UserStore& Users();
  RosterStore& Rosters();
  OfflineStore& Offline();
  BlockStore& Blocks();
  VCardStore& VCards();
  MucStore& Mucs();

  int SchemaVersion() const { return schema_version_; }
  const std::string& Path() const { return path_; }

 private:
  SqliteDatabase(std::string path, std::unique_ptr<Connection> conn, int schema_version);

  std::string path_;
  std::unique_ptr<Connection> conn_;
  int schema_version_;
  std::unique_ptr<SqliteUserStore> users_;
  std::unique_ptr<SqliteRosterStore> rosters_;
  std::unique_ptr<SqliteOfflineStore> offline_;
  std::unique_ptr<SqliteBlockStore> blocks_;
  std::unique_ptr<SqliteVCardStore> vcards_;
  std::unique_ptr<SqliteMucStore> mucs_;
};

}  // namespace parley::storage::sqlite
