#pragma once
// The versioned schema of the SQLite database and the code that migrates a file to it.

#include <span>
#include <string>
#include <string_view>

#include "storage/sqlite/connection.hpp"

namespace parley::storage::sqlite {

// One schema step: the SQL that takes the schema from version - 1 to `version`. Steps are applied
// in order, each in its own transaction together with the version bump, so a failed step leaves
// the file at the previous version. Never edit a released step; append a new one.
struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;  // One or more statements.
};

// Parley's schema, oldest first; versions are 1, 2, 3, ...
std::span<const Migration> SchemaMigrations();
int LatestSchemaVersion();

// The version recorded in schema_version; 0 for a new file; -1 on error (`*error` set).
// Hold conn.Lock().
int ReadSchemaVersion(Connection& conn, std::string* error);

// Brings the file up to the last of `migrations`. Refuses (false, `*error` set) a file whose
// version is newer than this binary knows, since an older Parley must not write to it.
// Hold conn.Lock().
bool Migrate(Connection& conn, std::span<const Migration> migrations, std::string* error);

}  // namespace parley::storage::sqlite
