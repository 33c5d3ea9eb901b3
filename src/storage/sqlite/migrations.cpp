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
    // Rosters (RFC 6121), offline messages (XEP-0160), block lists (XEP-0191), vCards (XEP-0054).
    // Names compare bytewise: TEXT columns keep SQLite's default BINARY collation.
    {2, "instant messaging", R"sql(
      CREATE TABLE roster_versions (
        domain   TEXT NOT NULL,
        username TEXT NOT NULL,
        version  INTEGER NOT NULL,
        PRIMARY KEY (domain, username),
        FOREIGN KEY (domain, username) REFERENCES users (domain, username) ON DELETE CASCADE
      ) WITHOUT ROWID;
      CREATE TABLE roster_items (
        domain       TEXT NOT NULL,
        username     TEXT NOT NULL,
        jid          TEXT NOT NULL,
        name         TEXT NOT NULL,
        subscription TEXT NOT NULL CHECK (subscription IN ('none', 'to', 'from', 'both')),
        pending_out  INTEGER NOT NULL CHECK (pending_out IN (0, 1)),
        pending_in   INTEGER NOT NULL CHECK (pending_in IN (0, 1)),
        preapproved  INTEGER NOT NULL CHECK (preapproved IN (0, 1)),
        PRIMARY KEY (domain, username, jid),
        FOREIGN KEY (domain, username) REFERENCES users (domain, username) ON DELETE CASCADE
      ) WITHOUT ROWID;
      CREATE TABLE roster_groups (
        domain     TEXT NOT NULL,
        username   TEXT NOT NULL,
        jid        TEXT NOT NULL,
        group_name TEXT NOT NULL,
        PRIMARY KEY (domain, username, jid, group_name),
        FOREIGN KEY (domain, username, jid) REFERENCES roster_items (domain, username, jid)
          ON DELETE CASCADE
      ) WITHOUT ROWID;
      -- id orders the requests: a replaced request gets a new, larger one.
      CREATE TABLE roster_pending (
        id       INTEGER PRIMARY KEY,
        domain   TEXT NOT NULL,
        username TEXT NOT NULL,
        jid      TEXT NOT NULL,
        stanza   TEXT NOT NULL,
        UNIQUE (domain, username, jid),
        FOREIGN KEY (domain, username) REFERENCES users (domain, username) ON DELETE CASCADE
      );
      -- AUTOINCREMENT: an id is never reused, so DeleteUpTo cannot delete a message that arrived
      -- after the ones it was given were fetched.
      CREATE TABLE offline_messages (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        domain     TEXT NOT NULL,
        username   TEXT NOT NULL,
        stanza     TEXT NOT NULL,
        created_at INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
        FOREIGN KEY (domain, username) REFERENCES users (domain, username) ON DELETE CASCADE
      );
      CREATE INDEX offline_messages_by_account ON offline_messages (domain, username, id);
      CREATE TABLE blocked_jids (
        domain   TEXT NOT NULL,
        username TEXT NOT NULL,
        jid      TEXT NOT NULL,
        PRIMARY KEY (domain, username, jid),
        FOREIGN KEY (domain, username) REFERENCES users (domain, username) ON DELETE CASCADE
      ) WITHOUT ROWID;
      CREATE TABLE vcards (
        domain   TEXT NOT NULL,
        username TEXT NOT NULL,
        vcard    TEXT NOT NULL,
        PRIMARY KEY (domain, username),
        FOREIGN KEY (domain, username) REFERENCES users (domain, username) ON DELETE CASCADE
      ) WITHOUT ROWID;
    )sql"},
    // Persistent multi-user chat rooms (XEP-0045). Not owned by an account: deleting a user keeps
    // the rooms (and the user's affiliations, as XEP-0045 affiliations are by bare JID).
    {3, "multi-user chat", R"sql(
      CREATE TABLE muc_rooms (
        service        TEXT NOT NULL,
        room           TEXT NOT NULL,
        name           TEXT NOT NULL,
        description    TEXT NOT NULL,
        public         INTEGER NOT NULL CHECK (public IN (0, 1)),
        members_only   INTEGER NOT NULL CHECK (members_only IN (0, 1)),
        moderated      INTEGER NOT NULL CHECK (moderated IN (0, 1)),
        password       TEXT NOT NULL,
        max_occupants  INTEGER NOT NULL,
        history_length INTEGER NOT NULL,
        whois_anyone   INTEGER NOT NULL CHECK (whois_anyone IN (0, 1)),
        change_subject INTEGER NOT NULL CHECK (change_subject IN (0, 1)),
        subject        TEXT NOT NULL,
        subject_by     TEXT NOT NULL,
        PRIMARY KEY (service, room)
      ) WITHOUT ROWID;
      CREATE TABLE muc_affiliations (
        service     TEXT NOT NULL,
        room        TEXT NOT NULL,
        jid         TEXT NOT NULL,
        affiliation TEXT NOT NULL CHECK (affiliation IN ('owner', 'admin', 'member', 'outcast')),
        PRIMARY KEY (service, room, jid),
        FOREIGN KEY (service, room) REFERENCES muc_rooms (service, room) ON DELETE CASCADE
      ) WITHOUT ROWID;
    )sql"},
};

}  // namespace

std::span<const Migration> SchemaMigrations() { return kMigrations; }

int LatestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

int ReadSchemaVersion(Connection& conn, std::string* error) {
  Statement exists(conn,
                   "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'");
  int rc = exists.Step();
  if (rc == SQLITE_DONE) return 0;
  if (rc != SQLITE_ROW) {
    *error = exists.Error();
    return -1;
  }
  Statement version(conn, "SELECT version FROM schema_version");
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
        Statement bump(conn, "INSERT INTO schema_version (version) VALUES (?)");
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
