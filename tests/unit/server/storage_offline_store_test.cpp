// The OfflineStore behaviour suite. Every backend runs the same tests: add a Backend to kBackends.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "sasl/credentials.hpp"
#include "storage/offline_store.hpp"
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

std::vector<std::string> Stanzas(const std::vector<OfflineMessage>& messages) {
  std::vector<std::string> stanzas;
  for (const OfflineMessage& m : messages) stanzas.push_back(m.stanza);
  return stanzas;
}

constexpr std::size_t kNoLimit = 1000;

class OfflineStoreSuite : public ::testing::TestWithParam<Backend> {
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
  OfflineStore& offline() { return instance_->Offline(); }

  std::unique_ptr<BackendInstance> instance_;
};

TEST_P(OfflineStoreSuite, NothingStoredAtFirst) {
  EXPECT_EQ(offline().Count("a.example", "alice"), 0u);
  EXPECT_THAT(offline().Fetch("a.example", "alice", 10), IsEmpty());
  EXPECT_EQ(offline().Count("a.example", "nobody"), 0u);
  EXPECT_THAT(offline().Fetch("a.example", "nobody", 10), IsEmpty());
}

TEST_P(OfflineStoreSuite, FetchReturnsOldestFirstWithIncreasingIds) {
  for (const char* stanza : {"<message id='1'/>", "<message id='2'/>", "<message id='3'/>"}) {
    ASSERT_EQ(offline().Push("a.example", "alice", stanza, kNoLimit), StoreStatus::kOk);
  }
  std::vector<OfflineMessage> got = offline().Fetch("a.example", "alice", 10);
  EXPECT_THAT(Stanzas(got),
              ElementsAre("<message id='1'/>", "<message id='2'/>", "<message id='3'/>"));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_LT(got[0].id, got[1].id);
  EXPECT_LT(got[1].id, got[2].id);
  EXPECT_EQ(offline().Count("a.example", "alice"), 3u);
  // Fetching does not delete.
  EXPECT_EQ(offline().Fetch("a.example", "alice", 10).size(), 3u);
}

TEST_P(OfflineStoreSuite, FetchHonoursMax) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(offline().Push("a.example", "alice", "<m" + std::to_string(i) + "/>", kNoLimit),
              StoreStatus::kOk);
  }
  EXPECT_THAT(Stanzas(offline().Fetch("a.example", "alice", 2)), ElementsAre("<m0/>", "<m1/>"));
  EXPECT_THAT(offline().Fetch("a.example", "alice", 0), IsEmpty());
  EXPECT_EQ(offline().Fetch("a.example", "alice", SIZE_MAX).size(), 5u);
}

TEST_P(OfflineStoreSuite, StanzaBytesRoundTrip) {
  std::string stanza = "<message><body>\xc3\xa9t\xc3\xa9 &amp; 'quotes' \"x\"\n\t</body></message>";
  stanza += std::string(100000, 'x');
  ASSERT_EQ(offline().Push("a.example", "alice", stanza, kNoLimit), StoreStatus::kOk);
  EXPECT_THAT(Stanzas(offline().Fetch("a.example", "alice", 1)), ElementsAre(stanza));
}

TEST_P(OfflineStoreSuite, PushAtTheLimitIsFullUntilDeleted) {
  constexpr std::size_t kLimit = 3;
  for (std::size_t i = 0; i < kLimit; ++i) {
    ASSERT_EQ(offline().Push("a.example", "alice", "<m/>", kLimit), StoreStatus::kOk);
  }
  EXPECT_EQ(offline().Push("a.example", "alice", "<over/>", kLimit), StoreStatus::kFull);
  EXPECT_EQ(offline().Count("a.example", "alice"), kLimit);
  // The limit is per account.
  EXPECT_EQ(offline().Push("a.example", "bob", "<m/>", kLimit), StoreStatus::kOk);
  EXPECT_EQ(offline().Push("b.example", "alice", "<m/>", kLimit), StoreStatus::kOk);
  // A lower limit than what is held is full too.
  EXPECT_EQ(offline().Push("a.example", "alice", "<over/>", 1), StoreStatus::kFull);
  EXPECT_EQ(offline().Push("a.example", "alice", "<over/>", 0), StoreStatus::kFull);

  std::vector<OfflineMessage> got = offline().Fetch("a.example", "alice", 1);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(offline().DeleteUpTo("a.example", "alice", got[0].id), StoreStatus::kOk);
  EXPECT_EQ(offline().Push("a.example", "alice", "<again/>", kLimit), StoreStatus::kOk);
  EXPECT_EQ(offline().Push("a.example", "alice", "<over/>", kLimit), StoreStatus::kFull);
  EXPECT_THAT(Stanzas(offline().Fetch("a.example", "alice", 10)),
              ElementsAre("<m/>", "<m/>", "<again/>"));
}

TEST_P(OfflineStoreSuite, ZeroLimitStoresNothing) {
  EXPECT_EQ(offline().Push("a.example", "alice", "<m/>", 0), StoreStatus::kFull);
  EXPECT_EQ(offline().Count("a.example", "alice"), 0u);
}

TEST_P(OfflineStoreSuite, PushForUnknownAccountIsNotFound) {
  EXPECT_EQ(offline().Push("a.example", "nobody", "<m/>", kNoLimit), StoreStatus::kNotFound);
  EXPECT_EQ(offline().Push("c.example", "alice", "<m/>", kNoLimit), StoreStatus::kNotFound);
  EXPECT_EQ(offline().Push("a.example", "nobody", "<m/>", 0), StoreStatus::kNotFound);
  EXPECT_EQ(offline().Count("a.example", "nobody"), 0u);
}

TEST_P(OfflineStoreSuite, DeleteUpToDeletesOnlyThatAccountUpToTheId) {
  for (const char* stanza : {"<1/>", "<2/>", "<3/>"}) {
    ASSERT_EQ(offline().Push("a.example", "alice", stanza, kNoLimit), StoreStatus::kOk);
    ASSERT_EQ(offline().Push("a.example", "bob", stanza, kNoLimit), StoreStatus::kOk);
    ASSERT_EQ(offline().Push("b.example", "alice", stanza, kNoLimit), StoreStatus::kOk);
  }
  std::vector<OfflineMessage> got = offline().Fetch("a.example", "alice", 2);
  ASSERT_EQ(got.size(), 2u);
  // A message that arrives after the fetch is not covered by the delivered ids.
  ASSERT_EQ(offline().Push("a.example", "alice", "<late/>", kNoLimit), StoreStatus::kOk);
  ASSERT_EQ(offline().DeleteUpTo("a.example", "alice", got[1].id), StoreStatus::kOk);
  EXPECT_THAT(Stanzas(offline().Fetch("a.example", "alice", 10)), ElementsAre("<3/>", "<late/>"));
  EXPECT_EQ(offline().Count("a.example", "bob"), 3u);
  EXPECT_EQ(offline().Count("b.example", "alice"), 3u);
  // Nothing left below the id: still fine, and idempotent.
  EXPECT_EQ(offline().DeleteUpTo("a.example", "alice", got[1].id), StoreStatus::kOk);
  EXPECT_EQ(offline().DeleteUpTo("a.example", "nobody", INT64_MAX), StoreStatus::kOk);
  EXPECT_EQ(offline().DeleteUpTo("a.example", "alice", INT64_MAX), StoreStatus::kOk);
  EXPECT_EQ(offline().Count("a.example", "alice"), 0u);
}

TEST_P(OfflineStoreSuite, IdsAreNeverReused) {
  ASSERT_EQ(offline().Push("a.example", "alice", "<1/>", kNoLimit), StoreStatus::kOk);
  ASSERT_EQ(offline().Push("a.example", "alice", "<2/>", kNoLimit), StoreStatus::kOk);
  std::vector<OfflineMessage> first = offline().Fetch("a.example", "alice", 10);
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(offline().DeleteUpTo("a.example", "alice", first[1].id), StoreStatus::kOk);
  instance_->Reopen();
  ASSERT_EQ(offline().Push("a.example", "alice", "<3/>", kNoLimit), StoreStatus::kOk);
  std::vector<OfflineMessage> second = offline().Fetch("a.example", "alice", 10);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_GT(second[0].id, first[1].id);
}

TEST_P(OfflineStoreSuite, MessagesSurviveReopening) {
  ASSERT_EQ(offline().Push("a.example", "alice", "<1/>", kNoLimit), StoreStatus::kOk);
  ASSERT_EQ(offline().Push("a.example", "alice", "<2/>", kNoLimit), StoreStatus::kOk);
  std::vector<OfflineMessage> before = offline().Fetch("a.example", "alice", 10);
  instance_->Reopen();
  std::vector<OfflineMessage> after = offline().Fetch("a.example", "alice", 10);
  EXPECT_THAT(Stanzas(after), ElementsAre("<1/>", "<2/>"));
  ASSERT_EQ(after.size(), before.size());
  EXPECT_EQ(after[0].id, before[0].id);
  EXPECT_EQ(after[1].id, before[1].id);
}

TEST_P(OfflineStoreSuite, ConcurrentPushesRespectTheLimit) {
  constexpr std::size_t kLimit = 20;
  constexpr int kThreads = 4;
  constexpr int kPushesPerThread = 10;
  std::atomic<int> ok{0};
  std::atomic<int> full{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, &ok, &full] {
      for (int i = 0; i < kPushesPerThread; ++i) {
        StoreStatus status = offline().Push("a.example", "alice", "<m/>", kLimit);
        if (status == StoreStatus::kOk) ++ok;
        if (status == StoreStatus::kFull) ++full;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), static_cast<int>(kLimit));
  EXPECT_EQ(full.load(), kThreads * kPushesPerThread - static_cast<int>(kLimit));
  EXPECT_EQ(offline().Count("a.example", "alice"), kLimit);
}

TEST_P(OfflineStoreSuite, DeletingTheAccountDeletesItsMessages) {
  ASSERT_EQ(offline().Push("a.example", "alice", "<1/>", kNoLimit), StoreStatus::kOk);
  ASSERT_EQ(offline().Push("b.example", "alice", "<keep/>", kNoLimit), StoreStatus::kOk);
  ASSERT_EQ(users().DeleteUser("a.example", "alice"), StoreStatus::kOk);
  EXPECT_EQ(offline().Count("a.example", "alice"), 0u);
  ASSERT_EQ(users().CreateUser("a.example", "alice", Creds()), StoreStatus::kOk);
  EXPECT_THAT(offline().Fetch("a.example", "alice", 10), IsEmpty());
  EXPECT_THAT(Stanzas(offline().Fetch("b.example", "alice", 10)), ElementsAre("<keep/>"));
}

INSTANTIATE_TEST_SUITE_P(Backends, OfflineStoreSuite, ::testing::ValuesIn(kBackends),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace parley::storage
