// SQLite-specific behaviour: opening, file settings, and schema migration.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sasl/credentials.hpp"
#include "storage/sqlite/connection.hpp"
#include "storage/sqlite/database.hpp"
#include "storage/sqlite/migrations.hpp"
#include "storage/sqlite/sqlite_user_store.hpp"
#include "storage/sqlite/statement.hpp"

namespace parley::storage::sqlite {
namespace {

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "parley-sqlite-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/nested/dir/parley.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs one statement on the file with a separate raw connection.
  void RawExec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* message = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
        << (message ? message : "");
    sqlite3_free(message);
    sqlite3_close(db);
  }

  std::string dir_;
  std::string path_;
};

TEST_F(SqliteTest, OpenCreatesDirectoriesAndAPrivateFile) {
  std::string error;
  auto db = SqliteDatabase::Open(path_, &error);
  ASSERT_NE(db, nullptr) << error;
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(db->SchemaVersion(), LatestSchemaVersion());
}

TEST_F(SqliteTest, ConnectionUsesWalAndForeignKeys) {
  std::string error;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  auto conn = Connection::Open(path_, &error);
  ASSERT_NE(conn, nullptr) << error;
  auto lock = conn->Lock();
  Statement mode(*conn, "PRAGMA journal_mode");
  ASSERT_EQ(mode.Step(), SQLITE_ROW);
  EXPECT_EQ(mode.ColumnText(0), "wal");
  Statement fk(*conn, "PRAGMA foreign_keys");
  ASSERT_EQ(fk.Step(), SQLITE_ROW);
  EXPECT_EQ(fk.ColumnInt(0), 1);
}

TEST_F(SqliteTest, ReopeningKeepsVersionAndData) {
  std::string error;
  auto creds = sasl::DeriveCredentials("secret", 4096);
  ASSERT_TRUE(creds.has_value());
  {
    auto db = SqliteDatabase::Open(path_, &error);
    ASSERT_NE(db, nullptr) << error;
    ASSERT_EQ(db->Users().CreateUser("localhost", "alice", *creds), StoreStatus::kOk);
  }
  auto db = SqliteDatabase::Open(path_, &error);
  ASSERT_NE(db, nullptr) << error;
  EXPECT_EQ(db->SchemaVersion(), LatestSchemaVersion());
  auto got = db->Users().GetCredentials("localhost", "alice");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->sha256.stored_key, creds->sha256.stored_key);
}

TEST_F(SqliteTest, NewerSchemaOnDiskIsRefused) {
  std::string error;
  ASSERT_NE(SqliteDatabase::Open(path_, &error), nullptr) << error;
  RawExec("UPDATE schema_version SET version = " + std::to_string(LatestSchemaVersion() + 1));
  EXPECT_EQ(SqliteDatabase::Open(path_, &error), nullptr);
  EXPECT_NE(error.find("newer than this Parley supports"), std::string::npos) << error;
  EXPECT_NE(error.find(path_), std::string::npos) << error;
}

TEST_F(SqliteTest, UnopenableFileIsAnError) {
  std::string error;
  std::filesystem::create_directories(path_);  // A directory where the file should be.
  EXPECT_EQ(SqliteDatabase::Open(path_, &error), nullptr);
  EXPECT_FALSE(error.empty());
}

TEST_F(SqliteTest, MigrationsApplyInOrderAndOnlyOnce) {
  std::string error;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  auto conn = Connection::Open(path_, &error);
  ASSERT_NE(conn, nullptr) << error;
  auto lock = conn->Lock();
  const Migration first[] = {{1, "one", "CREATE TABLE a (x INTEGER)"}};
  ASSERT_TRUE(Migrate(*conn, first, &error)) << error;
  EXPECT_EQ(ReadSchemaVersion(*conn, &error), 1);
  // Re-running version 1 would fail (table exists), so success means it was skipped.
  const Migration both[] = {{1, "one", "CREATE TABLE a (x INTEGER)"},
                            {2, "two", "CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (7);"}};
  ASSERT_TRUE(Migrate(*conn, both, &error)) << error;
  EXPECT_EQ(ReadSchemaVersion(*conn, &error), 2);
  Statement a(*conn, "SELECT x FROM a");
  ASSERT_EQ(a.Step(), SQLITE_ROW);
  EXPECT_EQ(a.ColumnInt(0), 7);
}

TEST_F(SqliteTest, FailedMigrationRollsBackWholeStep) {
  std::string error;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  auto conn = Connection::Open(path_, &error);
  ASSERT_NE(conn, nullptr) << error;
  auto lock = conn->Lock();
  const Migration steps[] = {{1, "one", "CREATE TABLE a (x INTEGER)"},
                             {2, "broken", "CREATE TABLE b (y INTEGER); NOT SQL AT ALL;"}};
  EXPECT_FALSE(Migrate(*conn, steps, &error));
  EXPECT_NE(error.find("schema version 2 (broken)"), std::string::npos) << error;
  EXPECT_EQ(ReadSchemaVersion(*conn, &error), 1);
  Statement b(*conn, "SELECT 1 FROM sqlite_schema WHERE name = 'b'");
  EXPECT_EQ(b.Step(), SQLITE_DONE);  // Step 2's first statement was rolled back too.
}

// The tables that hold an account's data, for the cascade test below. A new one goes here too.
const char* const kAccountTables[] = {"roster_versions", "roster_items",     "roster_groups",
                                      "roster_pending",  "offline_messages", "blocked_jids",
                                      "vcards"};

std::int64_t CountRows(Connection& conn, const std::string& table) {
  Statement count(conn, "SELECT COUNT(*) FROM " + table);
  if (count.Step() != SQLITE_ROW) {
    ADD_FAILURE() << count.Error();
    return -1;
  }
  return count.ColumnInt(0);
}

TEST_F(SqliteTest, VersionOneDatabaseWithUsersMigrates) {
  std::string error;
  auto creds = sasl::DeriveCredentials("secret", 4096);
  ASSERT_TRUE(creds.has_value());
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  {
    // What a Parley with only schema step 1 left on disk.
    auto conn = Connection::Open(path_, &error);
    ASSERT_NE(conn, nullptr) << error;
    {
      auto lock = conn->Lock();
      ASSERT_TRUE(Migrate(*conn, SchemaMigrations().first(1), &error)) << error;
      ASSERT_EQ(ReadSchemaVersion(*conn, &error), 1);
    }
    SqliteUserStore users(*conn);
    ASSERT_EQ(users.CreateUser("localhost", "alice", *creds), StoreStatus::kOk);
    ASSERT_EQ(users.CreateUser("other.example", "bob", *creds), StoreStatus::kOk);
  }
  auto db = SqliteDatabase::Open(path_, &error);
  ASSERT_NE(db, nullptr) << error;
  EXPECT_EQ(db->SchemaVersion(), 3);
  EXPECT_EQ(LatestSchemaVersion(), 3);
  auto got = db->Users().GetCredentials("localhost", "alice");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->sha256.stored_key, creds->sha256.stored_key);
  EXPECT_TRUE(db->Users().UserExists("other.example", "bob"));
  // The new tables exist and work for the old accounts.
  RosterItem item;
  item.jid = "bob@other.example";
  EXPECT_EQ(db->Rosters().Put("localhost", "alice", item, 1), StoreStatus::kOk);
  EXPECT_EQ(db->Offline().Push("localhost", "alice", "<message/>", 10), StoreStatus::kOk);
  EXPECT_EQ(db->Blocks().Add("localhost", "alice", {"spam@x"}), StoreStatus::kOk);
  EXPECT_EQ(db->VCards().Set("other.example", "bob", "<vCard/>"), StoreStatus::kOk);
  EXPECT_EQ(db->Offline().Count("localhost", "alice"), 1u);
}

TEST_F(SqliteTest, DeleteUserLeavesNoRowInAnyAccountTable) {
  std::string error;
  auto creds = sasl::DeriveCredentials("secret", 4096);
  ASSERT_TRUE(creds.has_value());
  auto db = SqliteDatabase::Open(path_, &error);
  ASSERT_NE(db, nullptr) << error;
  ASSERT_EQ(db->Users().CreateUser("localhost", "alice", *creds), StoreStatus::kOk);
  RosterItem item;
  item.jid = "bob@x";
  item.groups = {"Friends", "Work"};
  ASSERT_EQ(db->Rosters().Put("localhost", "alice", item, 1), StoreStatus::kOk);
  ASSERT_EQ(db->Rosters().PutPending("localhost", "alice", {"carol@x", "<presence/>"}),
            StoreStatus::kOk);
  ASSERT_EQ(db->Offline().Push("localhost", "alice", "<message/>", 10), StoreStatus::kOk);
  ASSERT_EQ(db->Blocks().Add("localhost", "alice", {"spam@x"}), StoreStatus::kOk);
  ASSERT_EQ(db->VCards().Set("localhost", "alice", "<vCard/>"), StoreStatus::kOk);
  {
    // A raw connection sees the same file (WAL, committed data).
    auto conn = Connection::Open(path_, &error);
    ASSERT_NE(conn, nullptr) << error;
    auto lock = conn->Lock();
    for (const char* table : kAccountTables) EXPECT_GT(CountRows(*conn, table), 0) << table;
  }
  ASSERT_EQ(db->Users().DeleteUser("localhost", "alice"), StoreStatus::kOk);
  auto conn = Connection::Open(path_, &error);
  ASSERT_NE(conn, nullptr) << error;
  auto lock = conn->Lock();
  for (const char* table : kAccountTables) EXPECT_EQ(CountRows(*conn, table), 0) << table;
}

TEST_F(SqliteTest, EveryAccountTableIsListedForTheCascadeTest) {
  std::string error;
  auto db = SqliteDatabase::Open(path_, &error);
  ASSERT_NE(db, nullptr) << error;
  auto conn = Connection::Open(path_, &error);
  ASSERT_NE(conn, nullptr) << error;
  auto lock = conn->Lock();
  Statement tables(*conn,
                   "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN "
                   "('users', 'schema_version', 'sqlite_sequence') "
                   // Owned by a MUC service, not by an account.
                   "AND name NOT LIKE 'muc\\_%' ESCAPE '\\' ORDER BY name");
  std::vector<std::string> got;
  while (tables.Step() == SQLITE_ROW) got.emplace_back(tables.ColumnText(0));
  std::vector<std::string> want(std::begin(kAccountTables), std::end(kAccountTables));
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
}

TEST_F(SqliteTest, StatementReportsErrorsWithoutBoundValues) {
  std::string error;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  auto conn = Connection::Open(path_, &error);
  ASSERT_NE(conn, nullptr) << error;
  auto lock = conn->Lock();
  Statement bad(*conn, "SELECT * FROM no_such_table WHERE x = ?");
  EXPECT_FALSE(bad.Ok());
  bad.Bind(1, std::string_view("hunter2"));
  EXPECT_NE(bad.Step(), SQLITE_ROW);
  EXPECT_NE(bad.Error().find("no_such_table"), std::string::npos);
  EXPECT_EQ(bad.Error().find("hunter2"), std::string::npos);
}

// The prepared statements the connection holds, and how many of them are mid-step.
struct StatementCount {
  int total = 0;
  int busy = 0;
};
StatementCount CountStatements(Connection& conn) {
  StatementCount n;
  for (sqlite3_stmt* st = sqlite3_next_stmt(conn.Handle(), nullptr); st != nullptr;
       st = sqlite3_next_stmt(conn.Handle(), st)) {
    ++n.total;
    if (sqlite3_stmt_busy(st)) ++n.busy;
  }
  return n;
}

class StatementCacheTest : public SqliteTest {
 protected:
  void SetUp() override {
    SqliteTest::SetUp();
    std::string error;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
    conn_ = Connection::Open(path_, &error);
    ASSERT_NE(conn_, nullptr) << error;
    lock_ = conn_->Lock();
    ASSERT_TRUE(
        conn_->Exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3);", &error))
        << error;
  }
  void TearDown() override {
    lock_ = {};
    conn_.reset();
    SqliteTest::TearDown();
  }
  std::unique_ptr<Connection> conn_;
  std::unique_lock<std::mutex> lock_;
};

TEST_F(StatementCacheTest, TheSameSqlIsPreparedOnce) {
  const int before = CountStatements(*conn_).total;
  for (int i = 0; i < 5; ++i) {
    Statement select(*conn_, "SELECT x FROM t WHERE x = ?");
    select.Bind(1, int64_t{2});
    ASSERT_EQ(select.Step(), SQLITE_ROW);
    EXPECT_EQ(select.ColumnInt(0), 2);
  }
  EXPECT_EQ(CountStatements(*conn_).total, before + 1);
}

TEST_F(StatementCacheTest, AStatementComesBackResetAndWithoutItsBindings) {
  {
    Statement select(*conn_, "SELECT ?, x FROM t");
    select.Bind(1, std::string_view("hunter2"));
    ASSERT_EQ(select.Step(), SQLITE_ROW);  // Left mid-step: two rows are still to come.
    EXPECT_EQ(select.ColumnText(0), "hunter2");
    EXPECT_EQ(CountStatements(*conn_).busy, 1);
  }
  EXPECT_EQ(CountStatements(*conn_).busy, 0);  // No read snapshot held open by the cache.
  Statement again(*conn_, "SELECT ?, x FROM t");
  ASSERT_EQ(again.Step(), SQLITE_ROW);
  EXPECT_EQ(again.ColumnText(0), "");
  EXPECT_EQ(again.ColumnInt(1), 1);  // From the first row again.
}

TEST_F(StatementCacheTest, TwoLiveStatementsWithTheSameSqlAreIndependent) {
  Statement outer(*conn_, "SELECT x FROM t ORDER BY x");
  ASSERT_EQ(outer.Step(), SQLITE_ROW);
  EXPECT_EQ(outer.ColumnInt(0), 1);
  {
    Statement inner(*conn_, "SELECT x FROM t ORDER BY x");
    int rows = 0;
    while (inner.Step() == SQLITE_ROW) ++rows;
    EXPECT_EQ(rows, 3);
  }
  ASSERT_EQ(outer.Step(), SQLITE_ROW);
  EXPECT_EQ(outer.ColumnInt(0), 2);  // The inner one did not move the outer one on.
}

TEST_F(StatementCacheTest, AFailedPrepareIsNotKept) {
  {
    Statement early(*conn_, "SELECT y FROM later");
    EXPECT_FALSE(early.Ok());
    EXPECT_NE(early.Error().find("later"), std::string::npos);
  }
  std::string error;
  ASSERT_TRUE(conn_->Exec("CREATE TABLE later (y INTEGER); INSERT INTO later VALUES (9);", &error))
      << error;
  Statement now(*conn_, "SELECT y FROM later");
  ASSERT_EQ(now.Step(), SQLITE_ROW);
  EXPECT_EQ(now.ColumnInt(0), 9);
}

TEST_F(StatementCacheTest, TheCacheIsBounded) {
  const int before = CountStatements(*conn_).total;
  const int distinct = static_cast<int>(kStatementCacheSize) + 50;
  for (int i = 0; i < distinct; ++i) {
    Statement select(*conn_, "SELECT x + " + std::to_string(i) + " FROM t WHERE x = 1");
    ASSERT_EQ(select.Step(), SQLITE_ROW);
    EXPECT_EQ(select.ColumnInt(0), 1 + i);
    EXPECT_NE(select.Error().find(std::to_string(i) + " FROM t"), std::string::npos);
  }
  EXPECT_LE(CountStatements(*conn_).total, before + static_cast<int>(kStatementCacheSize));
}

}  // namespace
}  // namespace parley::storage::sqlite
