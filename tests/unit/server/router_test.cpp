// Router delivery rules (docs/architecture/routing.md; RFC 6120 §10, RFC 6121 §8) with fake
// sessions on one and on two shards: the sender, the addressee's home shard and each resource's
// shard differ whenever there is more than one shard.

#include "router/router.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "hosts/host.hpp"
#include "net/shard.hpp"
#include "server/harness/fake_session.hpp"
#include "server/harness/matchers.hpp"
#include "server/harness/shard_util.hpp"

namespace parley::testing_util {
namespace {

using stanza::StanzaCondition;
using stanza::StanzaError;
using stanza::StreamCondition;
using ::testing::ElementsAre;

constexpr char kAlice[] = "alice@parley.test/pc";

// Records what the router hands to the server (modules) instead of delivering it.
class FakeServerHandler final : public router::ServerHandler {
 public:
  void HandleServerStanza(xml::Element stanza) override {
    std::lock_guard lock(mu_);
    stanzas_.push_back(std::move(stanza));
  }
  std::vector<xml::Element> Stanzas() {
    std::lock_guard lock(mu_);
    return stanzas_;
  }

 private:
  std::mutex mu_;
  std::vector<xml::Element> stanzas_;
};

class RouterTest : public ::testing::TestWithParam<std::size_t> {
 protected:
  RouterTest()
      : shards_(GetParam()), hosts_({hosts::Host{"parley.test", false}}), router_(shards_, hosts_) {
    router_.SetServerHandler(&server_);
    shards_.Start();
  }
  ~RouterTest() override {
    shards_.Stop();
    shards_.Join();
  }

  // The i-th session of a test lives on shard i mod N.
  BoundSession On(std::size_t i, const std::string& full_jid) {
    return Bind(router_, i % shards_.Size(), full_jid);
  }
  void Available(const BoundSession& s, int priority) {
    router_.SetPresence(s.jid, s.ref, true, priority);
  }
  // As a session would after stamping 'from'. Posted from the test thread, so it reaches the home
  // shard after the SetPresence calls made before it.
  void Route(const std::string& xml) { router_.Route(Stanza(xml)); }
  void Drain() { testing_util::Drain(shards_); }

  net::ShardSet shards_;
  hosts::HostTable hosts_;
  router::Router router_;
  FakeServerHandler server_;
};

INSTANTIATE_TEST_SUITE_P(Shards, RouterTest, ::testing::Values(1, 2),
                         [](const auto& info) { return std::to_string(info.param) + "Shards"; });

TEST_P(RouterTest, MessageToFullJidReachesThatResourceOnly) {
  BoundSession alice = On(0, kAlice);
  BoundSession phone = On(1, "bob@parley.test/phone");
  BoundSession laptop = On(2, "bob@parley.test/laptop");
  Route("<message from='alice@parley.test/pc' to='bob@parley.test/laptop' id='m1'/>");
  EXPECT_THAT(laptop.session->Receive(), IsMessage("m1"));
  Drain();
  EXPECT_EQ(phone.session->ReceivedCount(), 0u);
  EXPECT_EQ(alice.session->ReceivedCount(), 0u);
  EXPECT_EQ(router_.SessionCount(), 3u);
}

// RFC 6121 §8.5.2.1.1: the available resources with the highest non-negative priority.
TEST_P(RouterTest, MessageToBareJidGoesToHighestNonNegativePriorityOnly) {
  On(0, kAlice);
  BoundSession top1 = On(1, "bob@parley.test/top1");
  BoundSession top2 = On(2, "bob@parley.test/top2");
  BoundSession low = On(3, "bob@parley.test/low");
  BoundSession negative = On(4, "bob@parley.test/negative");
  BoundSession silent = On(5, "bob@parley.test/silent");  // never sent presence
  Available(top1, 5);
  Available(top2, 5);
  Available(low, 1);
  Available(negative, -1);
  Route("<message type='chat' from='alice@parley.test/pc' to='bob@parley.test' id='m1'/>");
  EXPECT_THAT(top1.session->Receive(), IsMessage("m1"));
  EXPECT_THAT(top2.session->Receive(), IsMessage("m1"));
  Drain();
  EXPECT_EQ(low.session->ReceivedCount(), 0u);
  EXPECT_EQ(negative.session->ReceivedCount(), 0u);
  EXPECT_EQ(silent.session->ReceivedCount(), 0u);
}

TEST_P(RouterTest, MessageToBareJidWithoutNonNegativeResourceBouncesServiceUnavailable) {
  BoundSession alice = On(0, kAlice);
  BoundSession negative = On(1, "bob@parley.test/negative");
  On(2, "bob@parley.test/silent");
  Available(negative, -1);
  Route("<message type='chat' from='alice@parley.test/pc' to='bob@parley.test' id='m1'/>");
  xml::Element bounce = alice.session->Receive();
  EXPECT_THAT(bounce, IsMessageError("m1", "service-unavailable"));
  EXPECT_THAT(bounce, HasAttr("from", "bob@parley.test"));
  Drain();
  EXPECT_EQ(negative.session->ReceivedCount(), 0u);
}

TEST_P(RouterTest, MessageToUnknownAccountBouncesServiceUnavailable) {
  BoundSession alice = On(0, kAlice);
  Route("<message from='alice@parley.test/pc' to='nobody@parley.test' id='m1'/>");
  EXPECT_THAT(alice.session->Receive(), IsMessageError("m1", "service-unavailable"));
}

TEST_P(RouterTest, HeadlineToBareJidReachesEveryNonNegativeResource) {
  BoundSession alice = On(0, kAlice);
  BoundSession high = On(1, "bob@parley.test/high");
  BoundSession low = On(2, "bob@parley.test/low");
  BoundSession negative = On(3, "bob@parley.test/negative");
  Available(high, 10);
  Available(low, 0);
  Available(negative, -5);
  Route("<message type='headline' from='alice@parley.test/pc' to='bob@parley.test' id='h1'/>");
  EXPECT_THAT(high.session->Receive(), IsMessage("h1"));
  EXPECT_THAT(low.session->Receive(), IsMessage("h1"));
  Drain();
  EXPECT_EQ(negative.session->ReceivedCount(), 0u);
  EXPECT_EQ(alice.session->ReceivedCount(), 0u);  // headlines are not bounced
}

TEST_P(RouterTest, PresenceToBareJidReachesEveryAvailableResource) {
  On(0, kAlice);
  BoundSession high = On(1, "bob@parley.test/high");
  BoundSession negative = On(2, "bob@parley.test/negative");
  BoundSession silent = On(3, "bob@parley.test/silent");
  Available(high, 1);
  Available(negative, -1);
  Route("<presence from='alice@parley.test/pc' to='bob@parley.test' id='p1'/>");
  EXPECT_EQ(high.session->Receive().Name(), "presence");
  EXPECT_EQ(negative.session->Receive().Name(), "presence");
  Drain();
  EXPECT_EQ(silent.session->ReceivedCount(), 0u);
}

TEST_P(RouterTest, AvailabilityCanBeWithdrawn) {
  BoundSession alice = On(0, kAlice);
  BoundSession bob = On(1, "bob@parley.test/phone");
  Available(bob, 1);
  router_.SetPresence(bob.jid, bob.ref, false, 0);  // <presence type='unavailable'/>
  Route("<message from='alice@parley.test/pc' to='bob@parley.test' id='m1'/>");
  EXPECT_THAT(alice.session->Receive(), IsMessageError("m1", "service-unavailable"));
  EXPECT_EQ(bob.session->ReceivedCount(), 0u);
}

// RFC 6121 §8.5.3.2.1: a message to a resource that is not bound is handled as if to the bare JID.
TEST_P(RouterTest, ChatToUnknownResourceIsTreatedAsBareJid) {
  On(0, kAlice);
  BoundSession phone = On(1, "bob@parley.test/phone");
  Available(phone, 0);
  Route("<message type='chat' from='alice@parley.test/pc' to='bob@parley.test/gone' id='m1'/>");
  EXPECT_THAT(phone.session->Receive(), IsMessage("m1"));
}

TEST_P(RouterTest, GroupchatToUnknownResourceBounces) {
  BoundSession alice = On(0, kAlice);
  BoundSession phone = On(1, "bob@parley.test/phone");
  Available(phone, 0);
  Route(
      "<message type='groupchat' from='alice@parley.test/pc' to='bob@parley.test/gone' id='g1'/>");
  EXPECT_THAT(alice.session->Receive(), IsMessageError("g1", "service-unavailable"));
  Drain();
  EXPECT_EQ(phone.session->ReceivedCount(), 0u);
}

TEST_P(RouterTest, ErrorMessageToUnknownResourceIsDroppedSilently) {
  BoundSession alice = On(0, kAlice);
  BoundSession phone = On(1, "bob@parley.test/phone");
  Available(phone, 0);
  Route("<message type='error' from='alice@parley.test/pc' to='bob@parley.test/gone' id='e1'/>");
  // The groupchat bounce travels the same hops: if e1 had been bounced, its error came first.
  Route(
      "<message type='groupchat' from='alice@parley.test/pc' to='bob@parley.test/gone' id='g1'/>");
  EXPECT_THAT(alice.session->Receive(), IsMessageError("g1", "service-unavailable"));
  Drain();
  EXPECT_EQ(alice.session->ReceivedCount(), 1u);
  EXPECT_EQ(phone.session->ReceivedCount(), 0u);
}

TEST_P(RouterTest, IqToUnboundFullJidBouncesServiceUnavailable) {
  BoundSession alice = On(0, kAlice);
  BoundSession phone = On(1, "bob@parley.test/phone");
  Available(phone, 5);
  Route(
      "<iq type='get' from='alice@parley.test/pc' to='bob@parley.test/gone' id='q1'>"
      "<query xmlns='urn:example'/></iq>");
  EXPECT_THAT(alice.session->Receive(), IsIqError("q1", "service-unavailable"));
  Route(
      "<iq type='get' from='alice@parley.test/pc' to='bob@parley.test/phone' id='q2'>"
      "<query xmlns='urn:example'/></iq>");
  EXPECT_EQ(phone.session->Receive().AttrOr("id"), "q2");
  Drain();
  EXPECT_EQ(phone.session->ReceivedCount(), 1u);
}

TEST_P(RouterTest, PresenceToUnknownResourceIsDropped) {
  BoundSession alice = On(0, kAlice);
  BoundSession phone = On(1, "bob@parley.test/phone");
  Available(phone, 5);
  Route("<presence from='alice@parley.test/pc' to='bob@parley.test/gone'/>");
  Drain();
  EXPECT_EQ(phone.session->ReceivedCount(), 0u);
  EXPECT_EQ(alice.session->ReceivedCount(), 0u);
}

// RFC 6120 §10.3 and RFC 6121 §8.5.1: the server answers for itself and for accounts' bare JIDs.
TEST_P(RouterTest, ServerAddressesGoToTheServerHandler) {
  BoundSession bob = On(1, "bob@parley.test/phone");
  Available(bob, 5);
  Route("<iq type='get' from='alice@parley.test/pc' id='no-to'><ping xmlns='urn:xmpp:ping'/></iq>");
  Route(
      "<iq type='get' from='alice@parley.test/pc' to='parley.test' id='domain'>"
      "<ping xmlns='urn:xmpp:ping'/></iq>");
  Route(
      "<iq type='get' from='alice@parley.test/pc' to='bob@parley.test' id='bare'>"
      "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  Route("<message from='alice@parley.test/pc' to='parley.test' id='to-server'/>");
  Drain();
  std::vector<std::string> ids;
  for (const xml::Element& e : server_.Stanzas()) ids.emplace_back(e.AttrOr("id"));
  EXPECT_THAT(ids, ElementsAre("no-to", "domain", "bare", "to-server"));
  EXPECT_EQ(bob.session->ReceivedCount(), 0u);
}

TEST_P(RouterTest, UnservedDomainBouncesRemoteServerNotFound) {
  BoundSession alice = On(0, kAlice);
  Route("<message from='alice@parley.test/pc' to='carol@elsewhere.example' id='m1'/>");
  EXPECT_THAT(alice.session->Receive(), IsMessageError("m1", "remote-server-not-found"));
}

TEST_P(RouterTest, MalformedAddresseeBouncesJidMalformed) {
  BoundSession alice = On(0, kAlice);
  Route("<message from='alice@parley.test/pc' to='a@b@parley.test' id='m1'/>");
  EXPECT_THAT(alice.session->Receive(), IsMessageError("m1", "jid-malformed"));
}

// RFC 6120 §7.7.2.2 and routing.md "Binding conflicts".
TEST_P(RouterTest, SecondBindKicksFirstAndItsLateUnbindKeepsTheNewSession) {
  BoundSession alice = On(0, kAlice);
  BoundSession first = On(1, "bob@parley.test/phone");
  BoundSession second = On(2, "bob@parley.test/phone");
  EXPECT_FALSE(first.bind_result.replaced);
  EXPECT_TRUE(second.bind_result.ok);
  EXPECT_TRUE(second.bind_result.replaced);
  ASSERT_TRUE(first.session->WaitKicked());
  EXPECT_THAT(first.session->Kicks(), ElementsAre(StreamCondition::kConflict));

  router_.Unbind(first.jid, first.ref);  // the kicked session cleans up after the new bind
  Route(
      "<iq type='get' from='alice@parley.test/pc' to='bob@parley.test/phone' id='q1'>"
      "<query xmlns='urn:example'/></iq>");
  EXPECT_EQ(second.session->Receive().AttrOr("id"), "q1");
  Drain();
  EXPECT_EQ(first.session->ReceivedCount(), 0u);
  EXPECT_TRUE(second.session->Kicks().empty());

  router_.Unbind(second.jid, second.ref);  // now the resource is really gone
  Route(
      "<iq type='get' from='alice@parley.test/pc' to='bob@parley.test/phone' id='q2'>"
      "<query xmlns='urn:example'/></iq>");
  EXPECT_THAT(alice.session->Receive(), IsIqError("q2", "service-unavailable"));
}

TEST_P(RouterTest, RebindingTheSameSessionDoesNotKickIt) {
  BoundSession bob = On(1, "bob@parley.test/phone");
  std::promise<router::BindResult> again;
  auto future = again.get_future();
  RunOn(shards_.At(bob.ref.shard), [&] {
    router_.Bind(bob.jid, bob.ref, [&again](router::BindResult r) { again.set_value(r); });
  });
  ASSERT_EQ(future.wait_for(kShardWait), std::future_status::ready);
  EXPECT_FALSE(future.get().replaced);
  Drain();
  EXPECT_TRUE(bob.session->Kicks().empty());
}

TEST_P(RouterTest, KickUserReachesEveryResourceOfThatAccountOnly) {
  BoundSession phone = On(0, "bob@parley.test/phone");
  BoundSession laptop = On(1, "bob@parley.test/laptop");
  BoundSession tablet = On(2, "bob@parley.test/tablet");
  BoundSession carol = On(3, "carol@parley.test/pc");
  router_.KickUser(*jid::Jid::Parse("bob@parley.test"), StreamCondition::kNotAuthorized,
                   "Account removed");
  for (BoundSession* s : {&phone, &laptop, &tablet}) {
    ASSERT_TRUE(s->session->WaitKicked()) << s->jid.Full();
    EXPECT_THAT(s->session->Kicks(), ElementsAre(StreamCondition::kNotAuthorized));
  }
  Drain();
  EXPECT_TRUE(carol.session->Kicks().empty());
}

// RFC 6120 §8.3.1: an error is never answered with an error (nor is a result).
TEST_P(RouterTest, BounceNeverAnswersErrorsOrResults) {
  BoundSession alice = On(0, kAlice);
  router_.Bounce(Stanza("<message type='error' from='alice@parley.test/pc' "
                        "to='bob@parley.test' id='e1'/>"),
                 StanzaError(StanzaCondition::kServiceUnavailable));
  router_.Bounce(Stanza("<iq type='error' from='alice@parley.test/pc' to='bob@parley.test' "
                        "id='e2'/>"),
                 StanzaError(StanzaCondition::kServiceUnavailable));
  router_.Bounce(Stanza("<iq type='result' from='alice@parley.test/pc' to='bob@parley.test' "
                        "id='r1'/>"),
                 StanzaError(StanzaCondition::kServiceUnavailable));
  // The same path for a request: it is answered, and it is the first thing alice sees.
  router_.Bounce(Stanza("<iq type='get' from='alice@parley.test/pc' to='bob@parley.test' "
                        "id='g1'><query xmlns='urn:example'/></iq>"),
                 StanzaError(StanzaCondition::kItemNotFound));
  EXPECT_THAT(alice.session->Receive(), IsIqError("g1", "item-not-found"));
  Drain();
  EXPECT_EQ(alice.session->ReceivedCount(), 1u);
}

// routing.md "Races": the session ended while the stanza was on its way.
TEST_P(RouterTest, StanzaForASessionThatEndedIsBounced) {
  BoundSession alice = On(0, kAlice);
  BoundSession bob = On(1, "bob@parley.test/phone");
  bob.session.reset();  // the router only holds a weak reference
  Route("<message type='chat' from='alice@parley.test/pc' to='bob@parley.test/phone' id='m1'/>");
  EXPECT_THAT(alice.session->Receive(), IsMessageError("m1", "service-unavailable"));
}

}  // namespace
}  // namespace parley::testing_util
