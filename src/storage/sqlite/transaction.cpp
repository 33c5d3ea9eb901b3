#include "storage/sqlite/transaction.hpp"

namespace parley::storage::sqlite {

Transaction::Transaction(Connection& conn, Kind kind) : conn_(conn) {
  begun_ = conn_.Exec(kind == Kind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN", &error_);
}

Transaction::~Transaction() {
  if (!begun_ || committed_) return;
  std::string ignored;
  conn_.Exec("ROLLBACK", &ignored);
}

bool Transaction::Commit() {
  if (!begun_ || committed_) return committed_;
  committed_ = conn_.Exec("COMMIT", &error_);
  return committed_;
}

}  // namespace parley::storage::sqlite
