// [muc] and [[muc.rooms]] in the configuration file.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace parley::config {
namespace {

using ::testing::HasSubstr;

void ExpectError(std::string_view toml, std::string_view fragment) {
  try {
    LoadString(toml, "test.toml");
    ADD_FAILURE() << "no error for:\n" << toml;
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr(std::string(fragment))) << toml;
  }
}

TEST(MucConfigTest, DefaultsPredefineTheLobby) {
  Settings s = DefaultSettings();
  EXPECT_TRUE(s.muc.enabled);
  EXPECT_EQ(s.muc.subdomain, "conference");
  ASSERT_EQ(s.muc.rooms.size(), 1u);
  EXPECT_EQ(s.muc.rooms[0].name, "lobby");
  EXPECT_EQ(s.muc.rooms[0].title, "Lobby");
  EXPECT_EQ(LoadString("[muc]\n").muc, s.muc);
}

TEST(MucConfigTest, ReadsEveryKey) {
  Settings s = LoadString(R"(
[muc]
enabled = false
subdomain = "Rooms"
max_rooms = 5
max_occupants = 30
default_history = 3
max_history = 9
max_nick_length = 20
max_subject_length = 100

[[muc.rooms]]
name = "dev"
title = "Developers"
description = "Talk about code"

[[muc.rooms]]
name = "ops"
)");
  EXPECT_FALSE(s.muc.enabled);
  EXPECT_EQ(s.muc.subdomain, "rooms");
  EXPECT_EQ(s.muc.max_rooms, 5u);
  EXPECT_EQ(s.muc.max_occupants, 30u);
  EXPECT_EQ(s.muc.default_history, 3u);
  EXPECT_EQ(s.muc.max_history, 9u);
  EXPECT_EQ(s.muc.max_nick_length, 20u);
  EXPECT_EQ(s.muc.max_subject_length, 100u);
  ASSERT_EQ(s.muc.rooms.size(), 2u);
  EXPECT_EQ(s.muc.rooms[0], (Settings::MucRoom{"dev", "Developers", "Talk about code"}));
  EXPECT_EQ(s.muc.rooms[1], (Settings::MucRoom{"ops", "", ""}));
}

TEST(MucConfigTest, EmptyRoomListPredefinesNothing) {
  EXPECT_TRUE(LoadString("[muc]\nrooms = []\n").muc.rooms.empty());
}

TEST(MucConfigTest, BadValuesAreErrors) {
  ExpectError("[muc]\nsubdomain = \"a.b\"\n", "muc.subdomain");
  ExpectError("[muc]\nsubdomain = \"\"\n", "muc.subdomain");
  ExpectError("[muc]\nmax_rooms = 0\n", "muc.max_rooms");
  ExpectError("[muc]\nmax_occupants = 100001\n", "muc.max_occupants");
  ExpectError("[muc]\ndefault_history = 50\nmax_history = 10\n", "muc.default_history");
  ExpectError("[muc]\nwhat = 1\n", "unknown key 'muc.what'");
  ExpectError("[muc]\nrooms = 3\n", "muc.rooms");
  ExpectError("[[muc.rooms]]\ntitle = \"x\"\n", "needs a name");
  ExpectError("[[muc.rooms]]\nname = \"Bad Name\"\n", "muc.rooms.name");
  ExpectError("[[muc.rooms]]\nname = \"a\"\n[[muc.rooms]]\nname = \"a\"\n", "duplicate room");
  ExpectError("[[muc.rooms]]\nname = \"a\"\ncolour = \"red\"\n", "unknown key 'muc.rooms.colour'");
}

TEST(MucConfigTest, ServiceDomainMayNotBeAHost) {
  ExpectError("[hosts.\"example.org\"]\n[hosts.\"conference.example.org\"]\n",
              "also configured as a host");
  EXPECT_NO_THROW(LoadString(
      "[muc]\nenabled = false\n[hosts.\"example.org\"]\n[hosts.\"conference.example.org\"]\n"));
}

}  // namespace
}  // namespace parley::config
