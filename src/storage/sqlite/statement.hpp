#pragma once
// Statement: RAII for one prepared SQLite statement.

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/sqlite/connection.hpp"

namespace parley::storage::sqlite {

// One prepared statement for the span of one store call: borrowed from the Connection's cache
// (reset, and its bindings cleared, on destruction) or, when that entry is already lent or the
// cache is full, prepared for this use alone (finalized on destruction). Used on one thread,
// inside the caller's Connection::Lock(). Binding is positional from 1, as in SQLite.
// A failed prepare or bind makes Ok() false and Step() return the error, so a call site can bind
// everything and check once.
class Statement {
 public:
  Statement(Connection& conn, std::string_view sql);
  ~Statement();

  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // False once prepare, a bind or a step has failed.
  bool Ok() const { return rc_ == SQLITE_OK || rc_ == SQLITE_ROW || rc_ == SQLITE_DONE; }

  Statement& Bind(int index, std::string_view text);  // Copied by SQLite.
  Statement& Bind(int index, int64_t value);

  // SQLITE_ROW, SQLITE_DONE, or an (extended) error code.
  int Step();
  // Steps a statement that returns no rows; true on SQLITE_DONE.
  bool Run() { return Step() == SQLITE_DONE; }
  // Rewinds the statement to run it again (bindings are kept until re-bound). Does not clear a
  // failed prepare.
  Statement& Reset();

  // Columns of the current row, from 0.
  std::string_view ColumnText(int index) const;
  int64_t ColumnInt(int index) const;

  // The last error of this statement, for logs: "<message> (<sql>)". Never contains bound values.
  std::string Error() const;
  int ErrorCode() const { return rc_; }
  // Rows changed by the last INSERT/UPDATE/DELETE on the connection.
  int Changes() const { return sqlite3_changes(db_); }

 private:
  sqlite3* db_;
  std::string own_sql_;   // A copy of the SQL when it is not cached.
  std::string_view sql_;  // For error messages: the cache's key or own_sql_.
  Connection::CachedStatement* cached_ = nullptr;  // Lent by the cache; else stmt_ is ours.
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

}  // namespace parley::storage::sqlite
