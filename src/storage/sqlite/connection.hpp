#pragma once
// Connection: the one SQLite connection of a SqliteDatabase and the mutex that serialises its use.

#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <string>

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

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  std::mutex mutex_;
  sqlite3* db_;
};

// Milliseconds a statement waits for another process's lock (parleyctl vs parleyd) before failing.
inline constexpr int kBusyTimeoutMs = 5000;

}  // namespace parley::storage::sqlite
