#include "storage/sqlite/transaction.hpp"

#include "storage/sqlite/statement.hpp"

namespace parley::storage::sqlite {
namespace {

// One statement that returns no rows, from the connection's statement cache (sqlite3_exec would
// parse it again on every call).
bool Run(Connection& conn, const char* sql, std::string* error) {
  Statement statement(conn, sql);
  if (statement.Run()) return true;
  *error = statement.Error();
  return false;
}

}  // namespace

Transaction::Transaction(Connection& conn, Kind kind) : conn_(conn) {
  begun_ = Run(conn_, kind == Kind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN", &error_);
}

Transaction::~Transaction() {
  if (!begun_ || committed_) return;
  std::string ignored;
  Run(conn_, "ROLLBACK", &ignored);
}

bool Transaction::Commit() {
  if (!begun_ || committed_) return committed_;
  committed_ = Run(conn_, "COMMIT", &error_);
  return committed_;
}

}  // namespace parley::storage::sqlite
