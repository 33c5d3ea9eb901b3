#pragma once
// The storage backends every store behaviour suite runs against (STYLE.md: one suite, every
// backend). A suite is a TestWithParam<Backend>; each test opens a fresh instance. PostgreSQL will
// be one more entry in kBackends.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "sasl/credentials.hpp"
#include "storage/sqlite/database.hpp"
#include "storage/stores.hpp"

namespace parley::storage::testing_backends {

// One backend under test and whatever keeps it alive (a temp file, a connection).
class BackendInstance {
 public:
  virtual ~BackendInstance() = default;
  virtual UserStore& Users() = 0;
  virtual RosterStore& Rosters() = 0;
  virtual OfflineStore& Offline() = 0;
  virtual BlockStore& Blocks() = 0;
  virtual VCardStore& VCards() = 0;
  virtual MucStore& Mucs() = 0;
  // Closes the backend and opens it again, as a restart would. References taken before are stale.
  virtual void Reopen() = 0;
};

struct Backend {
  std::string name;
  std::function<std::unique_ptr<BackendInstance>()> open;
};

class SqliteInstance final : public BackendInstance {
 public:
  SqliteInstance() {
    std::string pattern = (std::filesystem::temp_directory_path() / "parley-store-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    Reopen();
  }
  ~SqliteInstance() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  UserStore& Users() override { return db_->Users(); }
  RosterStore& Rosters() override { return db_->Rosters(); }
  OfflineStore& Offline() override { return db_->Offline(); }
  BlockStore& Blocks() override { return db_->Blocks(); }
  VCardStore& VCards() override { return db_->VCards(); }
  MucStore& Mucs() override { return db_->Mucs(); }
  void Reopen() override {
    db_.reset();
    std::string error;
    db_ = sqlite::SqliteDatabase::Open(dir_ + "/parley.db", &error);
    if (!db_) ADD_FAILURE() << error;
  }

 private:
  std::string dir_;
  std::unique_ptr<sqlite::SqliteDatabase> db_;
};

inline void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

inline const Backend kBackends[] = {
    {"Sqlite", [] { return std::make_unique<SqliteInstance>(); }},
};

// Credentials for test accounts (derived once: PBKDF2 is slow).
inline const sasl::StoredCredentials& Creds() {
  static const sasl::StoredCredentials creds = *sasl::DeriveCredentials("pw", 4096);
  return creds;
}

}  // namespace parley::storage::testing_backends
