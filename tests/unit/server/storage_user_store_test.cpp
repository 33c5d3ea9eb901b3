// The UserStore behaviour suite. Every backend runs the same tests: add a Backend to kBackends
// (PostgreSQL will add one that connects to a scratch database).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sasl/credentials.hpp"
#include "storage/sqlite/database.hpp"
#include "storage/user_store.hpp"

namespace parley::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// One store under test and whatever keeps it alive (a temp file, a connection).
class BackendInstance {
 public:
  virtual ~BackendInstance() = default;
  virtual UserStore& Users() = 0;
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
    std::string error;
    db_ = sqlite::SqliteDatabase::Open(dir_ + "/parley.db", &error);
    if (!db_) ADD_FAILURE() << error;
  }
  ~SqliteInstance() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  UserStore& Users() override { return db_->Users(); }

 private:
  std::string dir_;
  std::unique_ptr<sqlite::SqliteDatabase> db_;
};

const Backend kBackends[] = {
    {"Sqlite", [] { return std::make_unique<SqliteInstance>(); }},
};

// Derived once: PBKDF2 is slow on purpose.
const sasl::StoredCredentials& Creds(int which) {
  static const std::vector<sasl::StoredCredentials> creds = [] {
    std::vector<sasl::StoredCredentials> out;
    for (const char* password : {"correct horse", "battery staple"}) {
      out.push_back(*sasl::DeriveCredentials(password, 4096));
    }
    return out;
  }();
  return creds.at(which);
}

void ExpectSameCredential(const sasl::ScramCredential& a, const sasl::ScramCredential& b) {
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.salt, b.salt);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.stored_key, b.stored_key);
  EXPECT_EQ(a.server_key, b.server_key);
}

void ExpectSameCredentials(const std::optional<sasl::StoredCredentials>& got,
                           const sasl::StoredCredentials& want) {
  ASSERT_TRUE(got.has_value());
  ExpectSameCredential(got->sha1, want.sha1);
  ExpectSameCredential(got->sha256, want.sha256);
}

class UserStoreSuite : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    instance_ = GetParam().open();
    ASSERT_NE(instance_, nullptr);
  }
  UserStore& users() { return instance_->Users(); }

 private:
  std::unique_ptr<BackendInstance> instance_;
};

TEST_P(UserStoreSuite, CreatedUserHasItsCredentials) {
  EXPECT_EQ(users().CreateUser("localhost", "alice", Creds(0)), StoreStatus::kOk);
  ExpectSameCredentials(users().GetCredentials("localhost", "alice"), Creds(0));
}

TEST_P(UserStoreSuite, UnknownUserHasNoCredentials) {
  EXPECT_EQ(users().GetCredentials("localhost", "nobody"), std::nullopt);
}

TEST_P(UserStoreSuite, DuplicateCreateIsRefusedAndKeepsCredentials) {
  ASSERT_EQ(users().CreateUser("localhost", "alice", Creds(0)), StoreStatus::kOk);
  EXPECT_EQ(users().CreateUser("localhost", "alice", Creds(1)), StoreStatus::kExists);
  ExpectSameCredentials(users().GetCredentials("localhost", "alice"), Creds(0));
}

TEST_P(UserStoreSuite, DomainsAreSeparate) {
  ASSERT_EQ(users().CreateUser("a.example", "alice", Creds(0)), StoreStatus::kOk);
  EXPECT_EQ(users().GetCredentials("b.example", "alice"), std::nullopt);
  EXPECT_EQ(users().CreateUser("b.example", "alice", Creds(1)), StoreStatus::kOk);
  ExpectSameCredentials(users().GetCredentials("a.example", "alice"), Creds(0));
  ExpectSameCredentials(users().GetCredentials("b.example", "alice"), Creds(1));
  EXPECT_EQ(users().DeleteUser("a.example", "alice"), StoreStatus::kOk);
  ExpectSameCredentials(users().GetCredentials("b.example", "alice"), Creds(1));
}

TEST_P(UserStoreSuite, NamesCompareBytewise) {
  ASSERT_EQ(users().CreateUser("localhost", "alice", Creds(0)), StoreStatus::kOk);
  EXPECT_EQ(users().GetCredentials("localhost", "Alice"), std::nullopt);
  EXPECT_EQ(users().GetCredentials("localhost", "alice "), std::nullopt);
  EXPECT_EQ(users().GetCredentials("LOCALHOST", "alice"), std::nullopt);
}

TEST_P(UserStoreSuite, UserExistsFollowsCreateAndDelete) {
  EXPECT_FALSE(users().UserExists("localhost", "alice"));
  ASSERT_EQ(users().CreateUser("localhost", "alice", Creds(0)), StoreStatus::kOk);
  EXPECT_TRUE(users().UserExists("localhost", "alice"));
  EXPECT_FALSE(users().UserExists("localhost", "Alice"));
  EXPECT_FALSE(users().UserExists("other.example", "alice"));
  ASSERT_EQ(users().DeleteUser("localhost", "alice"), StoreStatus::kOk);
  EXPECT_FALSE(users().UserExists("localhost", "alice"));
}

TEST_P(UserStoreSuite, StatusNames) {
  EXPECT_EQ(ToString(StoreStatus::kOk), "ok");
  EXPECT_EQ(ToString(StoreStatus::kExists), "exists");
  EXPECT_EQ(ToString(StoreStatus::kNotFound), "not found");
  EXPECT_EQ(ToString(StoreStatus::kFull), "full");
  EXPECT_EQ(ToString(StoreStatus::kError), "error");
}

TEST_P(UserStoreSuite, SetCredentialsReplacesBoth) {
  ASSERT_EQ(users().CreateUser("localhost", "alice", Creds(0)), StoreStatus::kOk);
  EXPECT_EQ(users().SetCredentials("localhost", "alice", Creds(1)), StoreStatus::kOk);
  ExpectSameCredentials(users().GetCredentials("localhost", "alice"), Creds(1));
}

TEST_P(UserStoreSuite, SetCredentialsOfUnknownUserIsNotFound) {
  EXPECT_EQ(users().SetCredentials("localhost", "nobody", Creds(0)), StoreStatus::kNotFound);
  EXPECT_EQ(users().GetCredentials("localhost", "nobody"), std::nullopt);
}

TEST_P(UserStoreSuite, DeleteRemovesTheUserAndAllowsRecreation) {
  ASSERT_EQ(users().CreateUser("localhost", "alice", Creds(0)), StoreStatus::kOk);
  ASSERT_EQ(users().CreateUser("localhost", "bob", Creds(0)), StoreStatus::kOk);
  EXPECT_EQ(users().DeleteUser("localhost", "alice"), StoreStatus::kOk);
  EXPECT_EQ(users().GetCredentials("localhost", "alice"), std::nullopt);
  EXPECT_THAT(users().ListUsers("localhost"), ElementsAre("bob"));
  EXPECT_EQ(users().DeleteUser("localhost", "alice"), StoreStatus::kNotFound);
  EXPECT_EQ(users().CreateUser("localhost", "alice", Creds(1)), StoreStatus::kOk);
  ExpectSameCredentials(users().GetCredentials("localhost", "alice"), Creds(1));
}

TEST_P(UserStoreSuite, ListIsSortedBytewisePerDomain) {
  EXPECT_THAT(users().ListUsers("localhost"), IsEmpty());
  for (const char* name : {"carol", "al.ice", "bob", "alice", "al-ice", "\xc3\xa9mile"}) {
    ASSERT_EQ(users().CreateUser("localhost", name, Creds(0)), StoreStatus::kOk) << name;
  }
  ASSERT_EQ(users().CreateUser("other.example", "dave", Creds(0)), StoreStatus::kOk);
  // Bytewise, not locale order: '-' < '.' < letters < UTF-8 lead bytes.
  EXPECT_THAT(users().ListUsers("localhost"),
              ElementsAre("al-ice", "al.ice", "alice", "bob", "carol", "\xc3\xa9mile"));
  EXPECT_THAT(users().ListUsers("other.example"), ElementsAre("dave"));
  EXPECT_THAT(users().ListUsers("nowhere.example"), IsEmpty());
}

TEST_P(UserStoreSuite, ConcurrentCallersAreSafe) {
  constexpr int kThreads = 4;
  constexpr int kUsersPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kUsersPerThread; ++i) {
        std::string name = "u" + std::to_string(t) + "-" + std::to_string(i);
        EXPECT_EQ(users().CreateUser("localhost", name, Creds(0)), StoreStatus::kOk);
        EXPECT_TRUE(users().GetCredentials("localhost", name).has_value());
        // Every thread also races on one shared name; exactly one wins each round.
        users().CreateUser("localhost", "shared" + std::to_string(i), Creds(1));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(users().ListUsers("localhost").size(), kThreads * kUsersPerThread + kUsersPerThread);
}

INSTANTIATE_TEST_SUITE_P(Backends, UserStoreSuite, ::testing::ValuesIn(kBackends),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace parley::storage
