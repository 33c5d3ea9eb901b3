#include "storage/sqlite/migrations.hpp"

#include <spdlog/spdlog.h>

#include "storage/sqlite/statement.hpp"

namespace parley::storage::sqlite {
namespace {

// Stores add their tables here, one Migration each. A table owned by an account references
// users(domain, username) ON DELETE CASCADE, so that deleting the account deletes its data.
constexpr Migration kMigrations[] = {
    {1, "accounts", R"sql(
      CREATE TABLE users (
        domain       TEXT NOT NULL,
        username     TEXT NOT NULL,
        scram_sha1   TEXT NOT NULL,
        scram_sha256 TEXT NOT NULL,
        created_at   INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
        PRIMARY KEY (domain, username)
      ) WITHOUT ROWID;
    )sql"},
};

}  // namespace

std::span<const Migration> SchemaMigrations() { return kMigrations; }

int LatestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

int ReadSchemaVersion(Connection& conn, std::string* error) {
  Statement exists(conn.Handle(),
                   "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'");
  int rc = exists.Step();
  if (rc == SQLITE_DONE) return 0;
  if (rc != SQLITE_ROW) {
    *error = exists.Error();
    return -1;
  }
  Statement version(conn.Handle(), "SELECT version FROM schema_version");
  rc = version.Step();
  if (rc == SQLITE_ROW) return static_cast<int>(version.ColumnInt(0));
  *error = rc == SQLITE_DONE ? "schema_version table is empty" : version.Error();
  return -1;
}

bool Migrate(Connection& conn, std::span<const Migration> migrations, std::string* error) {
  int latest = migrations.empty() ? 0 : migrations.back().version;
  int current = ReadSchemaVersion(conn, error);
  if (current < 0) return false;
  if (current > latest) {
    *error = "database schema version " + std::to_string(current) +
             " is newer than this Parley supports (" + std::to_string(latest) +
             "); upgrade Parley or restore a matching backup";
    return false;
  }
  for (const Migration& step : migrations) {
    if (step.version <= current) continue;
    std::string step_error;
    // IMMEDIATE: take the write lock now, so two processes cannot both migrate.
    if (!conn.Exec("BEGIN IMMEDIATE", &step_error)) {
      *error = "cannot start migration: " + step_error;
      return false;
    }
    // Re-read inside the transaction: another process may have migrated meanwhile.
    int now = ReadSchemaVersion(conn, &step_error);
    bool ok = now >= 0;
    if (ok && now < step.version) {
      ok = conn.Exec(std::string(step.sql).c_str(), &step_error) &&
           conn.Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
                     &step_error) &&
           conn.Exec("DELETE FROM schema_version", &step_error);
      if (ok) {
        Statement bump(conn.Handle(), "INSERT INTO schema_version (version) VALUES (?)");
        ok = bump.Bind(1, int64_t{step.version}).Run();
        if (!ok) step_error = bump.Error();
      }
    }
    if (!ok || !conn.Exec("COMMIT", &step_error)) {
      std::string ignored;
      conn.Exec("ROLLBACK", &ignored);
      *error = "migration to schema version " + std::to_string(step.version) + " (" +
               std::string(step.description) + ") failed: " + step_error;
      return false;
    }
    spdlog::info("storage: migrated database to schema version {} ({})", step.version,
                 step.description);
  }
  return true;
}

}  // namespace parley::storage::sqlite
