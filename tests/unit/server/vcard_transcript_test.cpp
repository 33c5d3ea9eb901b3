// XEP-0054 vcard-temp transcripts against the real server stack in process, with one shard and
// with two: one's own vCard, another user's, and the refusals.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "server/harness/matchers.hpp"
#include "server/harness/test_client.hpp"
#include "server/harness/test_server.hpp"

namespace parley::testing_util {
namespace {

using ::testing::Contains;

constexpr char kNsVCard[] = "vcard-temp";

// The text of <vCard><name/></vCard> in an iq result; "" when absent.
std::string Field(const xml::Element& iq, std::string_view name) {
  const xml::Element* card = iq.Child("vCard", kNsVCard);
  const xml::Element* field = card ? card->Child(name, kNsVCard) : nullptr;
  return field ? field->Text() : "";
}

std::string SetVCard(std::string_view id, std::string_view body, std::string_view to = {}) {
  std::string out = "<iq type='set' id='" + std::string(id) + "'";
  if (!to.empty()) out += " to='" + std::string(to) + "'";
  return out + "><vCard xmlns='vcard-temp'>" + std::string(body) + "</vCard></iq>";
}

std::string GetVCard(std::string_view id, std::string_view to = {}) {
  std::string out = "<iq type='get' id='" + std::string(id) + "'";
  if (!to.empty()) out += " to='" + std::string(to) + "'";
  return out + "><vCard xmlns='vcard-temp'/></iq>";
}

class VCard : public ::testing::TestWithParam<std::size_t> {
 protected:
  void SetUp() override {
    TestServer::Options options;
    options.shards = GetParam();
    server_ = std::make_unique<TestServer>(std::move(options));
    ASSERT_TRUE(server_->CreateUser("alice", "alice-secret"));
    ASSERT_TRUE(server_->CreateUser("bob", "bob-secret"));
  }
  TestClient Alice() { return server_->Login("alice", "alice-secret", "pc"); }
  TestClient Bob() { return server_->Login("bob", "bob-secret", "phone"); }

  std::unique_ptr<TestServer> server_;
};

INSTANTIATE_TEST_SUITE_P(Shards, VCard, ::testing::Values(1, 2),
                         [](const auto& info) { return std::to_string(info.param) + "Shards"; });

// XEP-0054 §4: the feature is advertised.
TEST_P(VCard, FeatureIsAdvertised) {
  TestClient alice = Alice();
  alice.Send(
      "<iq type='get' to='parley.test' id='d1'>"
      "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  xml::Element reply = alice.Receive();
  ASSERT_THAT(reply, IsIqResult("d1"));
  std::vector<std::string> features;
  for (const xml::Element& c : reply.Child("query")->Children()) {
    if (!c.IsText() && c.Name() == "feature") features.emplace_back(c.AttrOr("var"));
  }
  EXPECT_THAT(features, Contains("vcard-temp"));
}

// §3.1: no vCard yet: an empty <vCard/> (with or without 'to' set to one's own bare JID).
TEST_P(VCard, OwnMissingVCardIsEmpty) {
  TestClient alice = Alice();
  alice.Send(GetVCard("v1"));
  xml::Element reply = alice.Receive();
  ASSERT_THAT(reply, IsIqResult("v1"));
  ASSERT_THAT(reply, HasChild("vCard", kNsVCard));
  EXPECT_TRUE(reply.Child("vCard")->Children().empty());
  alice.Send(GetVCard("v2", "alice@parley.test"));
  reply = alice.Receive();
  ASSERT_THAT(reply, IsIqResult("v2"));
  EXPECT_THAT(reply, HasChild("vCard", kNsVCard));
}

// §3.2: a set replaces the whole vCard; §3.1: the user reads it back.
TEST_P(VCard, SetThenGetOwn) {
  TestClient alice = Alice();
  alice.Send(SetVCard("v1", "<FN>Alice Example</FN><NICKNAME>ally</NICKNAME>"));
  EXPECT_THAT(alice.Receive(), IsIqResult("v1"));
  alice.Send(GetVCard("v2"));
  xml::Element reply = alice.Receive();
  ASSERT_THAT(reply, IsIqResult("v2"));
  EXPECT_EQ(Field(reply, "FN"), "Alice Example");
  EXPECT_EQ(Field(reply, "NICKNAME"), "ally");

  alice.Send(SetVCard("v3", "<FN>Alice Renamed</FN>"));
  EXPECT_THAT(alice.Receive(), IsIqResult("v3"));
  alice.Send(GetVCard("v4", "alice@parley.test"));
  reply = alice.Receive();
  ASSERT_THAT(reply, IsIqResult("v4"));
  EXPECT_EQ(Field(reply, "FN"), "Alice Renamed");
  EXPECT_EQ(Field(reply, "NICKNAME"), "") << "the old NICKNAME survived the update";
}

// §3.3: another user's vCard, answered by the server from that user's bare JID.
TEST_P(VCard, GetAnotherUsersVCard) {
  TestClient alice = Alice();
  alice.Send(SetVCard("v1", "<FN>Alice Example</FN><DESC>a &amp; b</DESC>"));
  EXPECT_THAT(alice.Receive(), IsIqResult("v1"));
  TestClient bob = Bob();
  bob.Send(GetVCard("v2", "alice@parley.test"));
  xml::Element reply = bob.Receive();
  ASSERT_THAT(reply, IsIqResult("v2"));
  EXPECT_THAT(reply, HasAttr("from", "alice@parley.test"));
  EXPECT_EQ(Field(reply, "FN"), "Alice Example");
  EXPECT_EQ(Field(reply, "DESC"), "a & b");
}

// §3.3: "If no vCard exists or the user does not exist, the server MUST return a stanza error,
// which SHOULD be <service-unavailable/> or <item-not-found/>" — the same for both.
TEST_P(VCard, MissingVCardOfAnotherUserOrAccountIsServiceUnavailable) {
  TestClient alice = Alice();
  alice.Send(GetVCard("v1", "bob@parley.test"));
  EXPECT_THAT(alice.Receive(), IsIqError("v1", "service-unavailable"));
  alice.Send(GetVCard("v2", "nobody@parley.test"));
  EXPECT_THAT(alice.Receive(), IsIqError("v2", "service-unavailable"));
}

// §3.2: "If a user attempts to perform an IQ set on another user's vCard ... the server MUST return
// a stanza error, which SHOULD be <forbidden/> or <not-allowed/>."
TEST_P(VCard, SettingAnotherUsersVCardIsForbidden) {
  TestClient alice = Alice();
  alice.Send(SetVCard("v1", "<FN>Not Bob</FN>", "bob@parley.test"));
  EXPECT_THAT(alice.Receive(), IsIqError("v1", "forbidden"));
  alice.Send(GetVCard("v2", "bob@parley.test"));
  EXPECT_THAT(alice.Receive(), IsIqError("v2", "service-unavailable")) << "bob's vCard was set";
}

// A vCard bigger than 64 KiB is refused and the stored one is kept.
TEST_P(VCard, OversizedVCardIsRefused) {
  TestClient alice = Alice();
  alice.Send(SetVCard("v1", "<FN>Alice</FN>"));
  EXPECT_THAT(alice.Receive(), IsIqResult("v1"));
  alice.Send(SetVCard("v2", "<DESC>" + std::string(65 * 1024, 'x') + "</DESC>"));
  EXPECT_THAT(alice.Receive(), IsIqError("v2", "not-acceptable"));
  alice.Send(GetVCard("v3"));
  xml::Element reply = alice.Receive();
  ASSERT_THAT(reply, IsIqResult("v3"));
  EXPECT_EQ(Field(reply, "FN"), "Alice");
}

}  // namespace
}  // namespace parley::testing_util
