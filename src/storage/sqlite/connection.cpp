#include "storage/sqlite/connection.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace parley::storage::sqlite {
namespace {

// The database holds credentials: create it readable by its owner only. SQLite gives the -wal and
// -shm files the same mode as the database.
bool CreateFilePrivately(const std::string& path, std::string* error) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      *error = "cannot create directory " + parent.string() + ": " + ec.message();
      return false;
    }
  }
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  ::close(fd);
  return true;
}

}  // namespace

std::unique_ptr<Connection> Connection::Open(const std::string& path, std::string* error) {
  if (path != ":memory:" && !CreateFilePrivately(path, error)) return nullptr;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    *error = "cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return nullptr;
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  auto lock = conn->Lock();
  std::string exec_error;
  // WAL: readers never block the writer. synchronous=FULL: a committed transaction survives a
  // power cut (nothing lost comes first).
  if (!conn->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
                  &exec_error)) {
    *error = "cannot configure " + path + ": " + exec_error;
    return nullptr;
  }
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, entry] : cache_) sqlite3_finalize(entry.stmt);
  sqlite3_close_v2(db_);
}

Connection::CachedStatement* Connection::CachedFor(std::string_view sql, int* rc) {
  *rc = SQLITE_OK;
  if (auto it = cache_.find(sql); it != cache_.end()) return &it->second;
  if (cache_.size() >= kStatementCacheSize) return nullptr;
  sqlite3_stmt* stmt = nullptr;
  *rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (*rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return nullptr;
  }
  auto [it, added] = cache_.emplace(std::string(sql), CachedStatement{stmt, {}, false});
  it->second.sql = it->first;
  return &it->second;
}

bool Connection::Exec(const char* sql, std::string* error) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return true;
  *error = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return false;
}

}  // namespace parley::storage::sqlite
