#include "storage/sqlite/statement.hpp"

namespace parley::storage::sqlite {

Statement::Statement(Connection& conn, std::string_view sql) : db_(conn.Handle()) {
  Connection::CachedStatement* entry = conn.CachedFor(sql, &rc_);
  if (entry != nullptr && !entry->lent) {
    entry->lent = true;
    cached_ = entry;
    stmt_ = entry->stmt;
    sql_ = entry->sql;
    return;
  }
  own_sql_ = sql;
  sql_ = own_sql_;
  if (rc_ != SQLITE_OK) return;  // The cache could not prepare it: nor can we.
  rc_ = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
}

Statement::~Statement() {
  if (cached_ == nullptr) {
    sqlite3_finalize(stmt_);
    return;
  }
  // Back to the cache as if new: not left mid-step (which would hold a read snapshot open in WAL
  // mode) and holding no bound values (which may be credentials).
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  cached_->lent = false;
}

Statement& Statement::Bind(int index, std::string_view text) {
  if (Ok()) {
    rc_ = sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                            SQLITE_TRANSIENT);
  }
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  if (Ok()) rc_ = sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Reset() {
  if (stmt_ == nullptr) return *this;
  sqlite3_reset(stmt_);
  rc_ = SQLITE_OK;
  return *this;
}

int Statement::Step() {
  if (!Ok()) return rc_;
  rc_ = sqlite3_step(stmt_);
  return rc_;
}

std::string_view Statement::ColumnText(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text),
          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))};
}

int64_t Statement::ColumnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::Error() const {
  return std::string(sqlite3_errmsg(db_)) + " (" + std::string(sql_) + ")";
}

}  // namespace parley::storage::sqlite
