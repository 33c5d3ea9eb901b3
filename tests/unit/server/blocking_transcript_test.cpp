// XEP-0191 Blocking Command transcripts against the real server stack in process, with one shard
// and with two: the block list, its pushes, and what blocking does to messages, iqs and presence.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "server/harness/matchers.hpp"
#include "server/harness/test_client.hpp"
#include "server/harness/test_server.hpp"

namespace parley::testing_util {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kNsBlocking[] = "urn:xmpp:blocking";
constexpr char kNsBlockingErrors[] = "urn:xmpp:blocking:errors";

// The 'jid' of every <item/> in `iq`'s <name xmlns='urn:xmpp:blocking'/>.
std::vector<std::string> Items(const xml::Element& iq, std::string_view name) {
  std::vector<std::string> out;
  if (const xml::Element* list = iq.Child(name, kNsBlocking)) {
    for (const xml::Element& c : list->Children()) {
      if (!c.IsText() && c.Name() == "item") out.emplace_back(c.AttrOr("jid"));
    }
  }
  return out;
}

MATCHER_P(IsPush, command, "is a block list push <iq type='set'><" + std::string(command) + "/>") {
  return arg.Name() == "iq" && arg.AttrOr("type") == "set" &&
         arg.Child(command, kNsBlocking) != nullptr;
}

MATCHER(HasBlockedCondition, "has <blocked xmlns='urn:xmpp:blocking:errors'/> in its error") {
  const xml::Element* error = arg.Child("error");
  return error != nullptr && error->Child("blocked", kNsBlockingErrors) != nullptr;
}

// The next stanza that satisfies `want`; the ones before it are dropped. A test failure (and the
// placeholder) when none comes.
xml::Element ReceiveUntil(TestClient& c, const std::function<bool(const xml::Element&)>& want) {
  c.IgnorePresence(false);
  for (int i = 0; i < 50; ++i) {
    xml::Element e = c.Receive();
    if (e.Xmlns() == "parley:test" || want(e)) {
      c.IgnorePresence(true);
      return e;
    }
  }
  c.IgnorePresence(true);
  ADD_FAILURE() << "the expected stanza did not come among 50";
  return xml::Element("nothing", "parley:test");
}

// A message to the client's own full JID; returns what arrived before it came back. Whatever was
// delivered to the session before this call is in the list.
std::vector<xml::Element> Sync(TestClient& c) {
  std::string id = c.NextId("sync");
  c.Send("<message to='" + c.Jid() + "' id='" + id + "'/>");
  std::vector<xml::Element> before;
  c.IgnorePresence(false);
  for (int i = 0; i < 50; ++i) {
    xml::Element e = c.Receive();
    if (e.Xmlns() == "parley:test") break;
    if (e.Name() == "message" && e.AttrOr("id") == id) {
      c.IgnorePresence(true);
      return before;
    }
    before.push_back(std::move(e));
  }
  c.IgnorePresence(true);
  ADD_FAILURE() << "the sync message did not come back to " << c.Jid();
  return before;
}

std::string Command(std::string_view command, std::string_view id,
                    const std::vector<std::string>& jids) {
  std::string out = "<iq type='set' id='" + std::string(id) + "'><" + std::string(command) +
                    " xmlns='urn:xmpp:blocking'>";
  for (const std::string& j : jids) out += "<item jid='" + j + "'/>";
  return out + "</" + std::string(command) + "></iq>";
}

class Blocking : public ::testing::TestWithParam<std::size_t> {
 protected:
  void SetUp() override {
    TestServer::Options options;
    options.shards = GetParam();
    server_ = std::make_unique<TestServer>(std::move(options));
    for (const char* user : {"alice", "bob", "carol"}) {
      ASSERT_TRUE(server_->CreateUser(user, std::string(user) + "-secret"));
    }
  }
  TestClient Login(const std::string& user, std::string_view resource) {
    return server_->Login(user, user + "-secret", resource);
  }
  // Fetches the block list (which makes the resource one that gets pushes).
  std::vector<std::string> BlockList(TestClient& c) {
    std::string id = c.NextId("list");
    c.Send("<iq type='get' id='" + id + "'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
    xml::Element reply = c.Receive();
    EXPECT_THAT(reply, IsIqResult(id));
    EXPECT_THAT(reply, HasChild("blocklist", kNsBlocking));
    return Items(reply, "blocklist");
  }
  void Block(TestClient& c, const std::vector<std::string>& jids) {
    std::string id = c.NextId("block");
    c.Send(Command("block", id, jids));
    EXPECT_THAT(c.Receive(), IsIqResult(id));
  }
  void Unblock(TestClient& c, const std::vector<std::string>& jids) {
    std::string id = c.NextId("unblock");
    c.Send(Command("unblock", id, jids));
    EXPECT_THAT(c.Receive(), IsIqResult(id));
  }

  std::unique_ptr<TestServer> server_;
};

INSTANTIATE_TEST_SUITE_P(Shards, Blocking, ::testing::Values(1, 2),
                         [](const auto& info) { return std::to_string(info.param) + "Shards"; });

// XEP-0191 §3.2: no JIDs blocked, an empty <blocklist/>.
TEST_P(Blocking, BlockListStartsEmpty) {
  TestClient alice = Login("alice", "pc");
  EXPECT_THAT(BlockList(alice), IsEmpty());
}

// §3.3/§3.4: a block or unblock is pushed to every resource that requested the list, and only to
// those; the list then shows it.
TEST_P(Blocking, ChangesArePushedToResourcesThatRequestedTheList) {
  TestClient pc = Login("alice", "pc");
  TestClient phone = Login("alice", "phone");
  EXPECT_THAT(BlockList(phone), IsEmpty());

  Block(pc, {"bob@parley.test", "carol@parley.test"});
  xml::Element push = phone.Receive();
  ASSERT_THAT(push, IsPush("block"));
  EXPECT_THAT(push, HasAttr("to", "alice@parley.test/phone"));
  EXPECT_THAT(Items(push, "block"), ElementsAre("bob@parley.test", "carol@parley.test"));
  phone.Send("<iq type='result' id='" + std::string(push.AttrOr("id")) + "'/>");
  EXPECT_THAT(Sync(pc), IsEmpty()) << "pc never asked for the list, so it gets no push";
  EXPECT_THAT(BlockList(pc), ElementsAre("bob@parley.test", "carol@parley.test"));

  Unblock(pc, {"carol@parley.test"});
  push = pc.Receive();  // pc asked for the list by now
  EXPECT_THAT(push, IsPush("unblock"));
  EXPECT_THAT(Items(push, "unblock"), ElementsAre("carol@parley.test"));
  push = phone.Receive();
  EXPECT_THAT(push, IsPush("unblock"));
  EXPECT_THAT(Items(push, "unblock"), ElementsAre("carol@parley.test"));
  EXPECT_THAT(BlockList(phone), ElementsAre("bob@parley.test"));
}

// §3.5: an empty <unblock/> unblocks everyone, and is pushed as it is.
TEST_P(Blocking, EmptyUnblockUnblocksEveryone) {
  TestClient alice = Login("alice", "pc");
  EXPECT_THAT(BlockList(alice), IsEmpty());
  Block(alice, {"bob@parley.test", "carol@parley.test"});
  EXPECT_THAT(alice.Receive(), IsPush("block"));
  Unblock(alice, {});
  xml::Element push = alice.Receive();
  EXPECT_THAT(push, IsPush("unblock"));
  EXPECT_THAT(Items(push, "unblock"), IsEmpty());
  EXPECT_THAT(BlockList(alice), IsEmpty());
}

// §3.3: "If the <block/> element does not contain at least one <item/> child element, the server
// MUST return a <bad-request/> error"; a JID that does not parse is <jid-malformed/>; only the user
// reads or changes the list.
TEST_P(Blocking, InvalidCommandsAreRefusedAndChangeNothing) {
  TestClient alice = Login("alice", "pc");
  alice.Send("<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'/></iq>");
  EXPECT_THAT(alice.Receive(), IsIqError("b1", "bad-request"));
  alice.Send(Command("block", "b2", {"bob@parley.test", "@parley.test"}));
  EXPECT_THAT(alice.Receive(), IsIqError("b2", "jid-malformed"));
  alice.Send("<iq type='set' id='b3'><block xmlns='urn:xmpp:blocking'><item/></block></iq>");
  EXPECT_THAT(alice.Receive(), IsIqError("b3", "bad-request"));
  alice.Send(
      "<iq type='get' id='b4' to='bob@parley.test'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
  EXPECT_THAT(alice.Receive(), IsIqError("b4", "forbidden"));
  alice.Send(
      "<iq type='set' id='b5' to='bob@parley.test'><block xmlns='urn:xmpp:blocking'>"
      "<item jid='carol@parley.test'/></block></iq>");
  EXPECT_THAT(alice.Receive(), IsIqError("b5", "forbidden"));
  EXPECT_THAT(BlockList(alice), IsEmpty());
}

// §3.3: a message from a blocked JID is not delivered and "the server SHOULD return an error,
// which SHOULD be <service-unavailable/>"; presence is dropped without an answer.
TEST_P(Blocking, StanzasFromABlockedContactAreNotDelivered) {
  TestClient alice = Login("alice", "pc");
  TestClient bob = Login("bob", "phone");
  Block(alice, {"bob@parley.test"});

  bob.Send("<message type='chat' to='alice@parley.test/pc' id='m1'><body>hi</body></message>");
  xml::Element bounce = bob.Receive();
  EXPECT_THAT(bounce, IsMessageError("m1", "service-unavailable"));
  EXPECT_THAT(bounce, HasAttr("from", "alice@parley.test/pc"));
  bob.Send("<presence to='alice@parley.test/pc'/>");
  EXPECT_THAT(Sync(bob), IsEmpty()) << "no answer to presence";
  EXPECT_THAT(Sync(alice), IsEmpty()) << "nothing from bob reached alice";

  // carol is not blocked.
  TestClient carol = Login("carol", "pc");
  carol.Send("<message type='chat' to='alice@parley.test/pc' id='m2'><body>hi</body></message>");
  EXPECT_THAT(alice.Receive(), IsMessage("m2"));
}

// §3.3: the user's own stanzas to a blocked JID are not routed; a message or iq gets
// <not-acceptable/> with <blocked xmlns='urn:xmpp:blocking:errors'/>, presence is dropped.
TEST_P(Blocking, StanzasToABlockedJidAreRefused) {
  TestClient alice = Login("alice", "pc");
  TestClient bob = Login("bob", "phone");
  Block(alice, {"bob@parley.test"});

  alice.Send("<message type='chat' to='bob@parley.test/phone' id='m1'><body>hi</body></message>");
  xml::Element refused = alice.Receive();
  EXPECT_THAT(refused, IsMessageError("m1", "not-acceptable"));
  EXPECT_THAT(refused, HasBlockedCondition());
  EXPECT_THAT(refused, HasAttr("from", "bob@parley.test/phone"));
  alice.Send(
      "<iq type='get' to='bob@parley.test/phone' id='i1'><ping xmlns='urn:xmpp:ping'/></iq>");
  refused = alice.Receive();
  EXPECT_THAT(refused, IsIqError("i1", "not-acceptable"));
  EXPECT_THAT(refused, HasBlockedCondition());
  alice.Send("<presence to='bob@parley.test/phone'/>");
  EXPECT_THAT(Sync(alice), IsEmpty());
  EXPECT_THAT(Sync(bob), IsEmpty()) << "nothing from alice reached bob";
}

// §3.4: "After the user has unblocked communications with a JID, the user's server MUST deliver
// any subsequent XML stanzas from the JID to the user."
TEST_P(Blocking, UnblockRestoresDelivery) {
  TestClient alice = Login("alice", "pc");
  TestClient bob = Login("bob", "phone");
  Block(alice, {"bob@parley.test"});
  bob.Send("<message type='chat' to='alice@parley.test/pc' id='m1'><body>hi</body></message>");
  EXPECT_THAT(bob.Receive(), IsMessageError("m1", "service-unavailable"));

  Unblock(alice, {"bob@parley.test"});
  bob.Send("<message type='chat' to='alice@parley.test/pc' id='m2'><body>hi</body></message>");
  xml::Element got = alice.Receive();
  EXPECT_THAT(got, IsMessage("m2"));
  EXPECT_THAT(got, HasAttr("from", "bob@parley.test/phone"));
  alice.Send("<message type='chat' to='bob@parley.test/phone' id='m3'><body>hi</body></message>");
  EXPECT_THAT(bob.Receive(), IsMessage("m3"));
}

// A block is kept in storage: a later session (the account loaded again) still has it.
TEST_P(Blocking, BlockSurvivesTheSession) {
  {
    TestClient alice = Login("alice", "pc");
    Block(alice, {"bob@parley.test"});
  }
  TestClient bob = Login("bob", "phone");
  TestClient alice = Login("alice", "laptop");
  EXPECT_THAT(BlockList(alice), ElementsAre("bob@parley.test"));
  bob.Send("<message type='chat' to='alice@parley.test/laptop' id='m1'/>");
  EXPECT_THAT(bob.Receive(), IsMessageError("m1", "service-unavailable"));
}

// §3.3: blocking a contact that receives the user's presence sends it unavailable presence from
// each available resource; §3.4: unblocking sends it the current presence.
TEST_P(Blocking, BlockSendsUnavailableAndUnblockSendsCurrentPresence) {
  TestClient alice = Login("alice", "pc");
  TestClient bob = Login("bob", "phone");
  auto presence_from = [](std::string from, std::string type) {
    return [from, type](const xml::Element& e) {
      return e.Name() == "presence" && e.AttrOr("from") == from && e.AttrOr("type") == type;
    };
  };
  alice.Send("<presence><status>here</status></presence>");
  bob.Send("<presence/>");
  // bob subscribes to alice and alice approves: bob gets alice's presence ('from' for alice).
  bob.Send("<presence to='alice@parley.test' type='subscribe'/>");
  ReceiveUntil(alice, presence_from("bob@parley.test", "subscribe"));
  alice.Send("<presence to='bob@parley.test' type='subscribed'/>");
  ReceiveUntil(bob, presence_from("alice@parley.test/pc", ""));

  Block(alice, {"bob@parley.test"});
  ReceiveUntil(bob, presence_from("alice@parley.test/pc", "unavailable"));
  Unblock(alice, {"bob@parley.test"});
  xml::Element current = ReceiveUntil(bob, presence_from("alice@parley.test/pc", ""));
  ASSERT_NE(current.Child("status"), nullptr);
  EXPECT_EQ(current.Child("status")->Text(), "here");
}

}  // namespace
}  // namespace parley::testing_util
