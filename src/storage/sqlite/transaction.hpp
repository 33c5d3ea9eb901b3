#pragma once
// Transaction: RAII for one write transaction on a Connection, for store calls that take more than
// one statement.

#include <string>

#include "storage/sqlite/connection.hpp"

namespace parley::storage::sqlite {

// Begins a transaction and rolls it back on destruction unless Commit() succeeded. kWrite takes
// the write lock at once (BEGIN IMMEDIATE), so that a read-then-write cannot race another process
// (parleyctl); kRead gives several SELECTs one snapshot. Used on one thread, inside the caller's
// Connection::Lock(), for the span of one store call.
class Transaction {
 public:
  enum class Kind { kRead, kWrite };

  explicit Transaction(Connection& conn, Kind kind = Kind::kWrite);
  ~Transaction();

  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // False when BEGIN failed; Error() says why.
  bool Ok() const { return begun_; }
  // True on success; afterwards the destructor does nothing.
  bool Commit();
  const std::string& Error() const { return error_; }

 private:
  Connection& conn_;
  bool begun_ = false;
  bool committed_ = false;
  std::string error_;
};

}  // namespace parley::storage::sqlite
