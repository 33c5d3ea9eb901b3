#pragma once
// Connection: the one SQLite connection of a SqliteDatabase and the mutex that serialises its use.

#include <sqlite3.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace parley::storage::sqlite {

// Owns an open sqlite3 handle (closed on destruction) and the mutex around it. Every store of the
// database shares it; any thread may use it while holding Lock(). Storage is never on the stanza
// path, so one connection behind a mutex is enough. Lives as long as its SqliteDatabase.
class Connection {
 public:
  // Opens (creating if needed) the file at `path` and applies the connection settings: WAL,
  // synchronous=FULL, busy timeout, foreign keys. nullptr and `*error` set on failure.
  static std::unique_ptr<Connection> Open(const std::string& path, std::string* error);
  ~Connection();

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  [[nodiscard]] std::unique_lock<std::mutex> Lock() { return std::unique_lock(mutex_); }
  // Only while holding Lock().
  sqlite3* Handle() const { return db_; }
  // Runs one or more statements that return no rows. Only while holding Lock(). On failure returns
  // false and sets `*error` to the statement's message.
  bool Exec(const char* sql, std::string* error);

  // The prepared-statement cache that Statement draws from, so that a store call does not parse
  // and plan its SQL again every time (on a login that was ~6% of parleyd's CPU). Only while
  // holding Lock(). An entry is lent to one Statement at a time; a second Statement with the
  // same SQL while the first lives prepares its own.
  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    std::string_view sql;  // The entry's key.
    bool lent = false;
  };
  // The entry for `sql`, prepared on first use; nullptr when the cache is full (the caller
  // prepares a statement of its own) or preparing failed (`*rc` says why).
  CachedStatement* CachedFor(std::string_view sql, int* rc);

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const {
      return std::hash<std::string_view>{}(sql);
    }
  };

  std::mutex mutex_;
  sqlite3* db_;
  // Keyed by SQL text. Node-based, so an entry's address is stable while it is lent. Bounded: the
  // stores' SQL is a fixed set, but a caller building SQL at run time must not grow it forever.
  std::unordered_map<std::string, CachedStatement, SqlHash, std::equal_to<>> cache_;
};

// Most statements the cache of one Connection holds.
inline constexpr std::size_t kStatementCacheSize = 128;

// Milliseconds a statement waits for another process's lock (parleyctl vs parleyd) before failing.
inline constexpr int kBusyTimeoutMs = 5000;

}  // namespace parley::storage::sqlite
