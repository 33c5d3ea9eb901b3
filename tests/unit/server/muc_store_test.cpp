// The MucStore behaviour suite. Every backend runs the same tests: add a Backend to kBackends.

#include "storage/muc_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "storage/user_store.hpp"
#include "storage_backends.hpp"

namespace parley::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

using testing_backends::Backend;
using testing_backends::BackendInstance;
using testing_backends::kBackends;

MucRoomRecord Room(std::string service, std::string room) {
  MucRoomRecord r;
  r.service = std::move(service);
  r.room = std::move(room);
  r.name = "Room " + r.room;
  r.description = "About " + r.room;
  r.public_room = false;
  r.members_only = true;
  r.moderated = true;
  r.password = "s3cret";
  r.max_occupants = 42;
  r.history_length = 7;
  r.whois_anyone = true;
  r.change_subject = true;
  r.subject = "Today: tests";
  r.subject_by = "alice";
  r.affiliations = {{"alice@a.example", "owner"}, {"bob@a.example", "member"}};
  return r;
}

class MucStoreSuite : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    instance_ = GetParam().open();
    ASSERT_NE(instance_, nullptr);
  }
  MucStore& mucs() { return instance_->Mucs(); }
  std::vector<MucRoomRecord> MustLoad(std::string_view service) {
    auto rooms = mucs().LoadRooms(service);
    EXPECT_TRUE(rooms.has_value());
    return rooms.value_or(std::vector<MucRoomRecord>{});
  }

  std::unique_ptr<BackendInstance> instance_;
};

TEST_P(MucStoreSuite, NoRoomsAtFirst) { EXPECT_THAT(MustLoad("conference.a.example"), IsEmpty()); }

TEST_P(MucStoreSuite, SavedRoomLoadsBackWithEveryField) {
  MucRoomRecord room = Room("conference.a.example", "lobby");
  ASSERT_EQ(mucs().SaveRoom(room), StoreStatus::kOk);
  std::vector<MucRoomRecord> rooms = MustLoad("conference.a.example");
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0], room);
}

TEST_P(MucStoreSuite, RoomsAreSortedAndSeparatedByService) {
  ASSERT_EQ(mucs().SaveRoom(Room("conference.a.example", "zeta")), StoreStatus::kOk);
  ASSERT_EQ(mucs().SaveRoom(Room("conference.a.example", "alpha")), StoreStatus::kOk);
  ASSERT_EQ(mucs().SaveRoom(Room("conference.b.example", "alpha")), StoreStatus::kOk);
  std::vector<MucRoomRecord> a = MustLoad("conference.a.example");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].room, "alpha");
  EXPECT_EQ(a[1].room, "zeta");
  std::vector<MucRoomRecord> b = MustLoad("conference.b.example");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].service, "conference.b.example");
}

TEST_P(MucStoreSuite, SaveReplacesConfigurationAndAffiliations) {
  MucRoomRecord room = Room("conference.a.example", "lobby");
  ASSERT_EQ(mucs().SaveRoom(room), StoreStatus::kOk);
  room.name = "Renamed";
  room.password.clear();
  room.members_only = false;
  room.affiliations = {{"carol@a.example", "admin"}, {"mallory@x.example", "outcast"}};
  ASSERT_EQ(mucs().SaveRoom(room), StoreStatus::kOk);
  std::vector<MucRoomRecord> rooms = MustLoad("conference.a.example");
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].name, "Renamed");
  EXPECT_EQ(rooms[0].password, "");
  EXPECT_FALSE(rooms[0].members_only);
  EXPECT_THAT(rooms[0].affiliations,
              ElementsAre(Pair("carol@a.example", "admin"), Pair("mallory@x.example", "outcast")));
}

TEST_P(MucStoreSuite, DeleteRemovesRoomAndItsAffiliations) {
  ASSERT_EQ(mucs().SaveRoom(Room("conference.a.example", "lobby")), StoreStatus::kOk);
  ASSERT_EQ(mucs().SaveRoom(Room("conference.a.example", "other")), StoreStatus::kOk);
  EXPECT_EQ(mucs().DeleteRoom("conference.a.example", "lobby"), StoreStatus::kOk);
  EXPECT_EQ(mucs().DeleteRoom("conference.a.example", "lobby"), StoreStatus::kNotFound);
  std::vector<MucRoomRecord> rooms = MustLoad("conference.a.example");
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].room, "other");
  // Saving the deleted room again starts without its old affiliations.
  MucRoomRecord again = Room("conference.a.example", "lobby");
  again.affiliations.clear();
  ASSERT_EQ(mucs().SaveRoom(again), StoreStatus::kOk);
  for (const MucRoomRecord& r : MustLoad("conference.a.example")) {
    if (r.room == "lobby") {
      EXPECT_THAT(r.affiliations, IsEmpty());
    }
  }
}

TEST_P(MucStoreSuite, RoomsSurviveReopen) {
  ASSERT_EQ(mucs().SaveRoom(Room("conference.a.example", "lobby")), StoreStatus::kOk);
  instance_->Reopen();
  std::vector<MucRoomRecord> rooms = MustLoad("conference.a.example");
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0], Room("conference.a.example", "lobby"));
}

TEST_P(MucStoreSuite, UnknownAffiliationIsRefusedWhole) {
  MucRoomRecord room = Room("conference.a.example", "lobby");
  room.affiliations.emplace_back("zed@a.example", "emperor");
  EXPECT_EQ(mucs().SaveRoom(room), StoreStatus::kError);
  EXPECT_THAT(MustLoad("conference.a.example"), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Backends, MucStoreSuite, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace parley::storage
