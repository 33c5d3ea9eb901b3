#include "storage/sqlite/database.hpp"

#include <spdlog/spdlog.h>

#include "storage/sqlite/connection.hpp"
#include "storage/sqlite/migrations.hpp"
#include "storage/sqlite/sqlite_block_store.hpp"
#include "storage/sqlite/sqlite_muc_store.hpp"
#include "storage/sqlite/sqlite_offline_store.hpp"
#include "storage/sqlite/sqlite_roster_store.hpp"
#include "storage/sqlite/sqlite_user_store.hpp"
#include "storage/sqlite/sqlite_vcard_store.hpp"

namespace parley::storage::sqlite {

std::unique_ptr<SqliteDatabase> SqliteDatabase::Open(const std::string& path, std::string* error) {
  std::unique_ptr<Connection> conn = Connection::Open(path, error);
  if (!conn) return nullptr;
  int version;
  {
    auto lock = conn->Lock();
    std::string migrate_error;
    if (!Migrate(*conn, SchemaMigrations(), &migrate_error)) {
      *error = path + ": " + migrate_error;
      return nullptr;
    }
    version = ReadSchemaVersion(*conn, &migrate_error);
  }
  spdlog::debug("storage: opened {} (schema version {})", path, version);
  return std::unique_ptr<SqliteDatabase>(new SqliteDatabase(path, std::move(conn), version));
}

SqliteDatabase::SqliteDatabase(std::string path, std::unique_ptr<Connection> conn,
                               int schema_version)
    : path_(std::move(path)),
      conn_(std::move(conn)),
      schema_version_(schema_version),
      users_(std::make_unique<SqliteUserStore>(*conn_)),
      rosters_(std::make_unique<SqliteRosterStore>(*conn_)),
      offline_(std::make_unique<SqliteOfflineStore>(*conn_)),
      blocks_(std::make_unique<SqliteBlockStore>(*conn_)),
      vcards_(std::make_unique<SqliteVCardStore>(*conn_)),
      mucs_(std::make_unique<SqliteMucStore>(*conn_)) {}

SqliteDatabase::~SqliteDatabase() = default;

UserStore& SqliteDatabase::Users() { return *users_; }
RosterStore& SqliteDatabase::Rosters() { return *rosters_; }
OfflineStore& SqliteDatabase::Offline() { return *offline_; }
BlockStore& SqliteDatabase::Blocks() { return *blocks_; }
VCardStore& SqliteDatabase::VCards() { return *vcards_; }
MucStore& SqliteDatabase::Mucs() { return *mucs_; }

}  // namespace parley::storage::sqlite
