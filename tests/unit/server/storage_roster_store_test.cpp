// The RosterStore behaviour suite. Every backend runs the same tests: add a Backend to kBackends.

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
#include "storage/roster_store.hpp"
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

RosterItem Item(std::string jid, Subscription subscription = Subscription::kNone,
                std::vector<std::string> groups = {}) {
  RosterItem item;
  item.jid = std::move(jid);
  item.subscription = subscription;
  item.groups = std::move(groups);
  return item;
}

std::vector<std::string> Jids(const Roster& roster) {
  std::vector<std::string> jids;
  for (const RosterItem& item : roster.items) jids.push_back(item.jid);
  return jids;
}

class RosterStoreSuite : public ::testing::TestWithParam<Backend> {
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
  RosterStore& rosters() { return instance_->Rosters(); }
  Roster MustLoad(std::string_view domain, std::string_view username) {
    std::optional<Roster> roster = rosters().Load(domain, username);
    EXPECT_TRUE(roster.has_value());
    return roster.value_or(Roster{});
  }

  std::unique_ptr<BackendInstance> instance_;
};

TEST_P(RosterStoreSuite, NewAccountHasEmptyRosterAtVersionZero) {
  Roster roster = MustLoad("a.example", "alice");
  EXPECT_EQ(roster.version, 0u);
  EXPECT_THAT(roster.items, IsEmpty());
  Roster unknown = MustLoad("a.example", "nobody");
  EXPECT_EQ(unknown.version, 0u);
  EXPECT_THAT(unknown.items, IsEmpty());
}

TEST_P(RosterStoreSuite, PutRoundTripsEveryField) {
  RosterItem item = Item("juliet@example.com", Subscription::kBoth, {"Friends", "Work"});
  item.name = "Juliet \xe2\x9d\xa4";
  item.pending_out = true;
  item.pending_in = true;
  item.preapproved = true;
  ASSERT_EQ(rosters().Put("a.example", "alice", item, 7), StoreStatus::kOk);
  Roster roster = MustLoad("a.example", "alice");
  EXPECT_EQ(roster.version, 7u);
  EXPECT_THAT(roster.items, ElementsAre(item));
}

TEST_P(RosterStoreSuite, EverySubscriptionStateRoundTrips) {
  const Subscription states[] = {Subscription::kNone, Subscription::kTo, Subscription::kFrom,
                                 Subscription::kBoth};
  std::vector<RosterItem> want;
  for (Subscription s : states) {
    want.push_back(Item(std::string(ToString(s)) + "@example.com", s));
    ASSERT_EQ(rosters().Put("a.example", "alice", want.back(), want.size()), StoreStatus::kOk);
  }
  // Sorted by jid: both, from, none, to.
  EXPECT_THAT(MustLoad("a.example", "alice").items,
              ElementsAre(want[3], want[2], want[0], want[1]));
}

TEST_P(RosterStoreSuite, SubscriptionNames) {
  EXPECT_EQ(ToString(Subscription::kNone), "none");
  EXPECT_EQ(ToString(Subscription::kTo), "to");
  EXPECT_EQ(ToString(Subscription::kFrom), "from");
  EXPECT_EQ(ToString(Subscription::kBoth), "both");
}

TEST_P(RosterStoreSuite, ItemsAreSortedByJidBytewise) {
  for (const char* jid : {"carol@x", "Bob@x", "al.ice@x", "alice@x", "\xc3\xa9mile@x"}) {
    ASSERT_EQ(rosters().Put("a.example", "alice", Item(jid), 1), StoreStatus::kOk) << jid;
  }
  EXPECT_THAT(Jids(MustLoad("a.example", "alice")),
              ElementsAre("Bob@x", "al.ice@x", "alice@x", "carol@x", "\xc3\xa9mile@x"));
}

TEST_P(RosterStoreSuite, GroupsComeBackSorted) {
  ASSERT_EQ(rosters().Put("a.example", "alice", Item("c@x", Subscription::kTo, {"b", "B", "a"}), 1),
            StoreStatus::kOk);
  EXPECT_THAT(MustLoad("a.example", "alice").items.at(0).groups, ElementsAre("B", "a", "b"));
}

TEST_P(RosterStoreSuite, PutReplacesTheWholeItem) {
  RosterItem first = Item("c@x", Subscription::kTo, {"Old", "Shared"});
  first.name = "Carol";
  first.pending_out = true;
  ASSERT_EQ(rosters().Put("a.example", "alice", first, 1), StoreStatus::kOk);
  RosterItem second = Item("c@x", Subscription::kBoth, {"New", "Shared"});
  ASSERT_EQ(rosters().Put("a.example", "alice", second, 2), StoreStatus::kOk);
  Roster roster = MustLoad("a.example", "alice");
  EXPECT_EQ(roster.version, 2u);
  EXPECT_THAT(roster.items, ElementsAre(second));
  // And back to no groups at all.
  RosterItem third = Item("c@x");
  ASSERT_EQ(rosters().Put("a.example", "alice", third, 3), StoreStatus::kOk);
  EXPECT_THAT(MustLoad("a.example", "alice").items, ElementsAre(third));
}

TEST_P(RosterStoreSuite, EveryChangeStoresItsVersion) {
  ASSERT_EQ(rosters().Put("a.example", "alice", Item("a@x"), 1), StoreStatus::kOk);
  ASSERT_EQ(rosters().Put("a.example", "alice", Item("b@x"), 2), StoreStatus::kOk);
  EXPECT_EQ(MustLoad("a.example", "alice").version, 2u);
  EXPECT_EQ(rosters().Remove("a.example", "alice", "a@x", 3), StoreStatus::kOk);
  Roster roster = MustLoad("a.example", "alice");
  EXPECT_EQ(roster.version, 3u);
  EXPECT_THAT(Jids(roster), ElementsAre("b@x"));
  // Absent: kNotFound, but the version is still stored.
  EXPECT_EQ(rosters().Remove("a.example", "alice", "a@x", 4), StoreStatus::kNotFound);
  EXPECT_EQ(MustLoad("a.example", "alice").version, 4u);
  // The whole 64-bit range survives.
  ASSERT_EQ(rosters().Put("a.example", "alice", Item("b@x"), UINT64_MAX), StoreStatus::kOk);
  EXPECT_EQ(MustLoad("a.example", "alice").version, UINT64_MAX);
}

TEST_P(RosterStoreSuite, RemovedItemLosesItsGroups) {
  ASSERT_EQ(rosters().Put("a.example", "alice", Item("c@x", Subscription::kTo, {"G"}), 1),
            StoreStatus::kOk);
  ASSERT_EQ(rosters().Remove("a.example", "alice", "c@x", 2), StoreStatus::kOk);
  ASSERT_EQ(rosters().Put("a.example", "alice", Item("c@x"), 3), StoreStatus::kOk);
  EXPECT_THAT(MustLoad("a.example", "alice").items.at(0).groups, IsEmpty());
}

TEST_P(RosterStoreSuite, UnknownAccountIsNotFound) {
  EXPECT_EQ(rosters().Put("a.example", "nobody", Item("c@x"), 1), StoreStatus::kNotFound);
  EXPECT_EQ(rosters().Remove("a.example", "nobody", "c@x", 2), StoreStatus::kNotFound);
  EXPECT_EQ(rosters().PutPending("a.example", "nobody", {"c@x", "<presence/>"}),
            StoreStatus::kNotFound);
  EXPECT_THAT(MustLoad("a.example", "nobody").items, IsEmpty());
  EXPECT_THAT(rosters().LoadPending("a.example", "nobody"), IsEmpty());
}

TEST_P(RosterStoreSuite, AccountsAndDomainsAreSeparate) {
  ASSERT_EQ(rosters().Put("a.example", "alice", Item("one@x"), 1), StoreStatus::kOk);
  ASSERT_EQ(rosters().Put("b.example", "alice", Item("two@x"), 5), StoreStatus::kOk);
  ASSERT_EQ(rosters().PutPending("a.example", "alice", {"p@x", "<a/>"}), StoreStatus::kOk);
  Roster a = MustLoad("a.example", "alice");
  Roster b = MustLoad("b.example", "alice");
  EXPECT_EQ(a.version, 1u);
  EXPECT_THAT(Jids(a), ElementsAre("one@x"));
  EXPECT_EQ(b.version, 5u);
  EXPECT_THAT(Jids(b), ElementsAre("two@x"));
  EXPECT_THAT(MustLoad("a.example", "bob").items, IsEmpty());
  EXPECT_THAT(rosters().LoadPending("b.example", "alice"), IsEmpty());
  EXPECT_EQ(rosters().Remove("b.example", "alice", "one@x", 6), StoreStatus::kNotFound);
  EXPECT_THAT(Jids(MustLoad("a.example", "alice")), ElementsAre("one@x"));
}

TEST_P(RosterStoreSuite, PendingRequestsComeOldestFirstAndReplaceByJid) {
  EXPECT_THAT(rosters().LoadPending("a.example", "alice"), IsEmpty());
  // RFC 6121 §3.1.3: kept even for contacts that are not in the roster.
  ASSERT_EQ(rosters().PutPending("a.example", "alice", {"z@x", "<z1/>"}), StoreStatus::kOk);
  ASSERT_EQ(rosters().PutPending("a.example", "alice", {"a@x", "<a1/>"}), StoreStatus::kOk);
  ASSERT_EQ(rosters().PutPending("a.example", "alice", {"m@x", "<m1/>"}), StoreStatus::kOk);
  EXPECT_THAT(rosters().LoadPending("a.example", "alice"),
              ElementsAre(PendingRequest{"z@x", "<z1/>"}, PendingRequest{"a@x", "<a1/>"},
                          PendingRequest{"m@x", "<m1/>"}));
  // A new request from z@x replaces the old one and is now the newest.
  ASSERT_EQ(rosters().PutPending("a.example", "alice", {"z@x", "<z2/>"}), StoreStatus::kOk);
  EXPECT_THAT(rosters().LoadPending("a.example", "alice"),
              ElementsAre(PendingRequest{"a@x", "<a1/>"}, PendingRequest{"m@x", "<m1/>"},
                          PendingRequest{"z@x", "<z2/>"}));
}

TEST_P(RosterStoreSuite, RemovePending) {
  ASSERT_EQ(rosters().PutPending("a.example", "alice", {"a@x", "<a/>"}), StoreStatus::kOk);
  ASSERT_EQ(rosters().PutPending("a.example", "alice", {"b@x", "<b/>"}), StoreStatus::kOk);
  EXPECT_EQ(rosters().RemovePending("a.example", "bob", "a@x"), StoreStatus::kNotFound);
  EXPECT_EQ(rosters().RemovePending("a.example", "alice", "a@x"), StoreStatus::kOk);
  EXPECT_EQ(rosters().RemovePending("a.example", "alice", "a@x"), StoreStatus::kNotFound);
  EXPECT_THAT(rosters().LoadPending("a.example", "alice"),
              ElementsAre(PendingRequest{"b@x", "<b/>"}));
}

TEST_P(RosterStoreSuite, EverythingSurvivesReopening) {
  RosterItem item = Item("c@x", Subscription::kFrom, {"G"});
  item.preapproved = true;
  ASSERT_EQ(rosters().Put("a.example", "alice", item, 9), StoreStatus::kOk);
  ASSERT_EQ(rosters().PutPending("a.example", "alice", {"p@x", "<p/>"}), StoreStatus::kOk);
  instance_->Reopen();
  Roster roster = MustLoad("a.example", "alice");
  EXPECT_EQ(roster.version, 9u);
  EXPECT_THAT(roster.items, ElementsAre(item));
  EXPECT_THAT(rosters().LoadPending("a.example", "alice"),
              ElementsAre(PendingRequest{"p@x", "<p/>"}));
}

TEST_P(RosterStoreSuite, DeletingTheAccountDeletesItsRoster) {
  ASSERT_EQ(rosters().Put("a.example", "alice", Item("c@x", Subscription::kBoth, {"G"}), 4),
            StoreStatus::kOk);
  ASSERT_EQ(rosters().PutPending("a.example", "alice", {"p@x", "<p/>"}), StoreStatus::kOk);
  ASSERT_EQ(rosters().Put("b.example", "alice", Item("keep@x"), 2), StoreStatus::kOk);
  ASSERT_EQ(users().DeleteUser("a.example", "alice"), StoreStatus::kOk);
  ASSERT_EQ(users().CreateUser("a.example", "alice", Creds()), StoreStatus::kOk);
  Roster roster = MustLoad("a.example", "alice");
  EXPECT_EQ(roster.version, 0u);
  EXPECT_THAT(roster.items, IsEmpty());
  EXPECT_THAT(rosters().LoadPending("a.example", "alice"), IsEmpty());
  // Same username in another domain is untouched.
  EXPECT_THAT(Jids(MustLoad("b.example", "alice")), ElementsAre("keep@x"));
}

INSTANTIATE_TEST_SUITE_P(Backends, RosterStoreSuite, ::testing::ValuesIn(kBackends),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace parley::storage
