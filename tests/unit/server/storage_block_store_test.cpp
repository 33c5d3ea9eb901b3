// The BlockStore behaviour suite. Every backend runs the same tests: add a Backend to kBackends.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "sasl/credentials.hpp"
#include "storage/block_store.hpp"
#include "storage/user_store.hpp"
#include "storage_backends.hpp"

namespace parley::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using testing_backends::Backend;
using testing_backends::BackendInstance;
using testing_backends::Creds;
using testing_backends::kBackends;

class BlockStoreSuite : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    instance_ = GetParam().open();
    ASSERT_NE(instance_, nullptr);
    for (const char* domain : {"a.example", "b.example"}) {
      for (const char* user : {"alice", "bob"}) {
        ASSERT_EQ(users().CreateUser(domain, user, Creds()), StoreStatus::kOk);
      }
    }
  }
  UserStore& users() { return instance_->Users(); }
  BlockStore& blocks() { return instance_->Blocks(); }
  std::vector<std::string> MustLoad(std::string_view domain, std::string_view username) {
    std::optional<std::vector<std::string>> jids = blocks().Load(domain, username);
    EXPECT_TRUE(jids.has_value());
    return jids.value_or(std::vector<std::string>{"<error>"});
  }

  std::unique_ptr<BackendInstance> instance_;
};

TEST_P(BlockStoreSuite, NothingBlockedAtFirst) {
  EXPECT_THAT(MustLoad("a.example", "alice"), IsEmpty());
  EXPECT_THAT(MustLoad("a.example", "nobody"), IsEmpty());
}

TEST_P(BlockStoreSuite, AddIsSortedBytewiseAndIdempotent) {
  ASSERT_EQ(blocks().Add("a.example", "alice", {"romeo@x", "Iago@x", "example.net"}),
            StoreStatus::kOk);
  ASSERT_EQ(blocks().Add("a.example", "alice", {"romeo@x", "romeo@x", "juliet@x/balcony"}),
            StoreStatus::kOk);
  EXPECT_THAT(MustLoad("a.example", "alice"),
              ElementsAre("Iago@x", "example.net", "juliet@x/balcony", "romeo@x"));
  EXPECT_EQ(blocks().Add("a.example", "alice", {}), StoreStatus::kOk);
  EXPECT_EQ(MustLoad("a.example", "alice").size(), 4u);
}

TEST_P(BlockStoreSuite, RemoveIsIdempotent) {
  ASSERT_EQ(blocks().Add("a.example", "alice", {"a@x", "b@x", "c@x"}), StoreStatus::kOk);
  EXPECT_EQ(blocks().Remove("a.example", "alice", {"b@x", "never@x"}), StoreStatus::kOk);
  EXPECT_THAT(MustLoad("a.example", "alice"), ElementsAre("a@x", "c@x"));
  EXPECT_EQ(blocks().Remove("a.example", "alice", {"b@x"}), StoreStatus::kOk);
  EXPECT_EQ(blocks().Remove("a.example", "alice", {}), StoreStatus::kOk);
  EXPECT_THAT(MustLoad("a.example", "alice"), ElementsAre("a@x", "c@x"));
}

TEST_P(BlockStoreSuite, ClearUnblocksEverything) {
  ASSERT_EQ(blocks().Add("a.example", "alice", {"a@x", "b@x"}), StoreStatus::kOk);
  ASSERT_EQ(blocks().Add("a.example", "bob", {"a@x"}), StoreStatus::kOk);
  EXPECT_EQ(blocks().Clear("a.example", "alice"), StoreStatus::kOk);
  EXPECT_THAT(MustLoad("a.example", "alice"), IsEmpty());
  EXPECT_EQ(blocks().Clear("a.example", "alice"), StoreStatus::kOk);
  EXPECT_THAT(MustLoad("a.example", "bob"), ElementsAre("a@x"));
}

TEST_P(BlockStoreSuite, JidsCompareBytewise) {
  ASSERT_EQ(blocks().Add("a.example", "alice", {"a@x"}), StoreStatus::kOk);
  ASSERT_EQ(blocks().Add("a.example", "alice", {"A@x"}), StoreStatus::kOk);
  EXPECT_THAT(MustLoad("a.example", "alice"), ElementsAre("A@x", "a@x"));
  ASSERT_EQ(blocks().Remove("a.example", "alice", {"A@X"}), StoreStatus::kOk);
  EXPECT_EQ(MustLoad("a.example", "alice").size(), 2u);
}

TEST_P(BlockStoreSuite, AddForUnknownAccountIsNotFoundAndWritesNothing) {
  EXPECT_EQ(blocks().Add("a.example", "nobody", {"a@x"}), StoreStatus::kNotFound);
  EXPECT_EQ(blocks().Add("c.example", "alice", {"a@x"}), StoreStatus::kNotFound);
  // Recreating the name later must not resurrect anything.
  ASSERT_EQ(users().CreateUser("a.example", "nobody", Creds()), StoreStatus::kOk);
  EXPECT_THAT(MustLoad("a.example", "nobody"), IsEmpty());
}

TEST_P(BlockStoreSuite, AccountsAndDomainsAreSeparate) {
  ASSERT_EQ(blocks().Add("a.example", "alice", {"one@x"}), StoreStatus::kOk);
  ASSERT_EQ(blocks().Add("b.example", "alice", {"two@x"}), StoreStatus::kOk);
  EXPECT_THAT(MustLoad("a.example", "alice"), ElementsAre("one@x"));
  EXPECT_THAT(MustLoad("b.example", "alice"), ElementsAre("two@x"));
  EXPECT_THAT(MustLoad("a.example", "bob"), IsEmpty());
  ASSERT_EQ(blocks().Remove("b.example", "alice", {"one@x"}), StoreStatus::kOk);
  ASSERT_EQ(blocks().Clear("a.example", "bob"), StoreStatus::kOk);
  EXPECT_THAT(MustLoad("a.example", "alice"), ElementsAre("one@x"));
}

TEST_P(BlockStoreSuite, BlockListSurvivesReopening) {
  ASSERT_EQ(blocks().Add("a.example", "alice", {"b@x", "a@x"}), StoreStatus::kOk);
  instance_->Reopen();
  EXPECT_THAT(MustLoad("a.example", "alice"), ElementsAre("a@x", "b@x"));
}

TEST_P(BlockStoreSuite, DeletingTheAccountDeletesItsBlockList) {
  ASSERT_EQ(blocks().Add("a.example", "alice", {"a@x"}), StoreStatus::kOk);
  ASSERT_EQ(blocks().Add("b.example", "alice", {"keep@x"}), StoreStatus::kOk);
  ASSERT_EQ(users().DeleteUser("a.example", "alice"), StoreStatus::kOk);
  ASSERT_EQ(users().CreateUser("a.example", "alice", Creds()), StoreStatus::kOk);
  EXPECT_THAT(MustLoad("a.example", "alice"), IsEmpty());
  EXPECT_THAT(MustLoad("b.example", "alice"), ElementsAre("keep@x"));
}

INSTANTIATE_TEST_SUITE_P(Backends, BlockStoreSuite, ::testing::ValuesIn(kBackends),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace parley::storage
