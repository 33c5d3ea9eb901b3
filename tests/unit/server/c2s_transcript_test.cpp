// Client-to-server transcripts against the real server stack in process (harness/test_server.hpp),
// over real loopback sockets, each run with one shard and with two. A bug report becomes a test
// here.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/harness/matchers.hpp"
#include "server/harness/test_client.hpp"
#include "server/harness/test_server.hpp"

namespace parley::testing_util {
namespace {

using ::testing::IsSupersetOf;
using ::testing::Not;
using ::testing::StartsWith;
using namespace std::chrono_literals;

constexpr char kNsTls[] = "urn:ietf:params:xml:ns:xmpp-tls";
constexpr char kNsSasl[] = "urn:ietf:params:xml:ns:xmpp-sasl";
constexpr char kNsBind[] = "urn:ietf:params:xml:ns:xmpp-bind";
constexpr char kNsRegisterFeature[] = "http://jabber.org/features/iq-register";
constexpr char kNsRegister[] = "jabber:iq:register";

std::vector<std::string> Texts(const xml::Element& parent, std::string_view child) {
  std::vector<std::string> out;
  for (const xml::Element& c : parent.Children()) {
    if (!c.IsText() && c.Name() == child) out.push_back(c.Text());
  }
  return out;
}

std::vector<std::string> DiscoFeatures(const xml::Element& reply) {
  std::vector<std::string> out;
  if (const xml::Element* query = reply.Child("query")) {
    for (const xml::Element& c : query->Children()) {
      if (!c.IsText() && c.Name() == "feature") out.emplace_back(c.AttrOr("var"));
    }
  }
  return out;
}

class C2s : public ::testing::TestWithParam<std::size_t> {
 protected:
  TestServer& Start(TestServer::Options options = {}) {
    options.shards = GetParam();
    server_ = std::make_unique<TestServer>(std::move(options));
    EXPECT_TRUE(server_->CreateUser("alice", "alice-secret"));
    EXPECT_TRUE(server_->CreateUser("bob", "bob-secret"));
    return *server_;
  }
  TestClient Alice(std::string_view resource = "pc") {
    return server_->Login("alice", "alice-secret", resource);
  }
  TestClient Bob(std::string_view resource) {
    return server_->Login("bob", "bob-secret", resource);
  }

  std::unique_ptr<TestServer> server_;
};

INSTANTIATE_TEST_SUITE_P(Shards, C2s, ::testing::Values(1, 2),
                         [](const auto& info) { return std::to_string(info.param) + "Shards"; });

// --- Stream setup ---------------------------------------------------------------------------

// RFC 6120 §5.3.1: TLS is mandatory-to-negotiate; nothing else is offered before it.
TEST_P(C2s, BeforeTlsOnlyRequiredStartTlsIsOffered) {
  TestServer& server = Start();
  TestClient client = server.Connect();
  xml::Element features = client.Open(server.Domain());
  EXPECT_EQ(features.Name(), "features");
  ASSERT_THAT(features, HasChild("starttls", kNsTls));
  EXPECT_THAT(*features.Child("starttls"), HasChild("required", kNsTls));
  EXPECT_EQ(features.Children().size(), 1u);
  EXPECT_EQ(*client.ServerHeader().Attr("from"), server.Domain());

  ASSERT_TRUE(client.StartTls());
  features = client.Open(server.Domain());
  ASSERT_THAT(features, HasChild("mechanisms", kNsSasl));
  EXPECT_THAT(Texts(*features.Child("mechanisms"), "mechanism"),
              IsSupersetOf({"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"}));
  EXPECT_THAT(features, Not(HasChild("starttls", kNsTls)));
  EXPECT_THAT(features, Not(HasChild("register", kNsRegisterFeature)));  // not allowed here
}

// XEP-0368: on the direct-TLS port the first stream is already inside TLS.
TEST_P(C2s, DirectTlsOffersMechanismsAtOnce) {
  TestServer& server = Start();
  TestClient client = server.ConnectDirectTls();
  xml::Element features = client.Open(server.Domain());
  EXPECT_THAT(features, HasChild("mechanisms", kNsSasl));
  EXPECT_THAT(features, Not(HasChild("starttls", kNsTls)));
  EXPECT_THAT(client.AuthPlain("alice", "alice-secret"), IsSaslSuccess());
}

TEST_P(C2s, UnknownHostIsRefused) {
  TestServer& server = Start();
  TestClient client = server.Connect();
  EXPECT_THAT(client.Open("elsewhere.example"), IsStreamError("host-unknown"));
  EXPECT_TRUE(client.ExpectClosed());
}

// RFC 6120 §6.4.1: stanzas before TLS and authentication are refused.
TEST_P(C2s, MessageBeforeTlsIsNotAuthorized) {
  TestServer& server = Start();
  TestClient client = server.Connect();
  client.Open(server.Domain());
  client.Send("<message to='bob@parley.test' id='m1'><body>hi</body></message>");
  EXPECT_EQ(client.ReceiveStreamError(), "not-authorized");
  EXPECT_TRUE(client.ExpectClosed());
}

TEST_P(C2s, MessageBeforeAuthIsNotAuthorized) {
  TestServer& server = Start();
  TestClient client = server.Connect();
  client.Open(server.Domain());
  ASSERT_TRUE(client.StartTls());
  client.Open(server.Domain());
  client.Send("<message to='bob@parley.test' id='m1'><body>hi</body></message>");
  EXPECT_EQ(client.ReceiveStreamError(), "not-authorized");
  EXPECT_TRUE(client.ExpectClosed());
}

TEST_P(C2s, MessageBeforeBindIsNotAuthorized) {
  TestServer& server = Start();
  TestClient client = server.Connect();
  client.Open(server.Domain());
  ASSERT_TRUE(client.StartTls());
  client.Open(server.Domain());
  ASSERT_THAT(client.AuthPlain("alice", "alice-secret"), IsSaslSuccess());
  EXPECT_THAT(client.Open(server.Domain()), HasChild("bind", kNsBind));
  client.Send("<message to='bob@parley.test' id='m1'><body>hi</body></message>");
  EXPECT_EQ(client.ReceiveStreamError(), "not-authorized");
}

// --- Authentication and binding -------------------------------------------------------------

TEST_P(C2s, WrongPasswordFailsAndTheStreamMayTryAgain) {
  TestServer& server = Start();
  TestClient client = server.Connect();
  client.Open(server.Domain());
  ASSERT_TRUE(client.StartTls());
  client.Open(server.Domain());
  EXPECT_THAT(client.AuthPlain("alice", "wrong"), IsSaslFailure("not-authorized"));
  EXPECT_THAT(client.AuthPlain("nobody", "alice-secret"), IsSaslFailure("not-authorized"));
  EXPECT_THAT(client.AuthPlain("alice", "alice-secret"), IsSaslSuccess());
}

TEST_P(C2s, LoginAndBindAChosenResource) {
  TestServer& server = Start();
  TestClient client = server.Connect();
  ASSERT_TRUE(client.Login(server.Domain(), "alice", "alice-secret", "phone"));
  EXPECT_EQ(client.Jid(), "alice@parley.test/phone");
  // RFC 6120 §7.7.2.1: one resource per stream.
  client.Send(
      "<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
      "<resource>other</resource></bind></iq>");
  EXPECT_THAT(client.Receive(), IsIqError("b2", "not-allowed"));
}

// RFC 6120 §7.6: an empty <bind/> gets a resource chosen by the server, unique per stream.
TEST_P(C2s, ServerGeneratesAResourceWhenAskedTo) {
  Start();
  TestClient first = Alice("");
  TestClient second = Alice("");
  EXPECT_THAT(first.Jid(), StartsWith("alice@parley.test/"));
  EXPECT_GT(first.Jid().size(), std::string("alice@parley.test/").size());
  EXPECT_NE(first.Jid(), second.Jid());
  second.Send("<message to='" + first.Jid() + "' id='m1'/>");
  EXPECT_THAT(first.Receive(), IsMessage("m1"));
}

// RFC 6120 §7.7.2.2: the newer session wins; the older one gets <conflict/>.
TEST_P(C2s, BindingATakenResourceReplacesTheOlderSession) {
  Start();
  TestClient old_phone = Alice("phone");
  TestClient new_phone = Alice("phone");
  EXPECT_EQ(new_phone.Jid(), "alice@parley.test/phone");
  EXPECT_EQ(old_phone.ReceiveStreamError(), "conflict");
  EXPECT_TRUE(old_phone.ExpectClosed());

  TestClient bob = Bob("pc");
  bob.Send("<message to='alice@parley.test/phone' id='m1'><body>hi</body></message>");
  EXPECT_THAT(new_phone.Receive(), IsMessage("m1"));
}

// --- Routing --------------------------------------------------------------------------------

// RFC 6120 §8.1.2.1: the server stamps 'from' with the sender's full JID.
TEST_P(C2s, MessageToFullJidArrivesWithFromStamped) {
  Start();
  TestClient alice = Alice("pc");
  TestClient bob = Bob("phone");
  alice.Send("<message type='chat' to='bob@parley.test/phone' id='m1'><body>hi</body></message>");
  xml::Element got = bob.Receive();
  EXPECT_THAT(got, IsMessage("m1"));
  EXPECT_THAT(got, HasAttr("from", "alice@parley.test/pc"));
  EXPECT_THAT(got, HasAttr("to", "bob@parley.test/phone"));
  ASSERT_NE(got.Child("body"), nullptr);
  EXPECT_EQ(got.Child("body")->Text(), "hi");

  // Claiming one's own bare JID is allowed and gets the full JID stamped.
  alice.Send("<message from='alice@parley.test' to='bob@parley.test/phone' id='m2'/>");
  EXPECT_THAT(bob.Receive(), HasAttr("from", "alice@parley.test/pc"));
}

TEST_P(C2s, SpoofedFromIsAStreamError) {
  Start();
  TestClient alice = Alice("pc");
  TestClient bob = Bob("phone");
  alice.Send("<message from='bob@parley.test/other' to='bob@parley.test/phone' id='s1'/>");
  EXPECT_EQ(alice.ReceiveStreamError(), "invalid-from");
  EXPECT_TRUE(alice.ExpectClosed());
  // Nothing reached bob: the next message he sees is this one.
  TestClient again = Alice("pc2");
  again.Send("<message to='bob@parley.test/phone' id='next'/>");
  EXPECT_THAT(bob.Receive(), IsMessage("next"));
}

// RFC 6121 §8.5.2.1.1: the available resources with the highest non-negative priority.
TEST_P(C2s, MessageToBareJidGoesToHighestNonNegativePriority) {
  Start();
  TestClient top1 = Bob("top1");
  TestClient top2 = Bob("top2");
  TestClient low = Bob("low");
  TestClient negative = Bob("negative");
  TestClient silent = Bob("silent");  // never sends presence
  top1.Available(5);
  top2.Available(5);
  low.Available(1);
  negative.Available(-1);
  TestClient alice = Alice("pc");
  alice.Send("<message type='chat' to='bob@parley.test' id='m1'><body>hi</body></message>");
  EXPECT_THAT(top1.Receive(), IsMessage("m1"));
  EXPECT_THAT(top2.Receive(), IsMessage("m1"));
  // The others did not get m1: a later message to each full JID is the first thing they see.
  for (TestClient* other : {&low, &negative, &silent}) {
    alice.Send("<message to='" + other->Jid() + "' id='marker'/>");
    EXPECT_THAT(other->Receive(), IsMessage("marker")) << other->Jid();
  }
}

TEST_P(C2s, MessageToOfflineUserIsStoredAndToUnknownUserBounces) {
  Start();
  TestClient alice = Alice("pc");
  // XEP-0160: an existing account that is offline gets it later, with a <delay/>.
  alice.Send("<message type='chat' to='bob@parley.test' id='m1'><body>hi</body></message>");
  // RFC 6121 §8.5.1: an account that does not exist: <service-unavailable/>. This also proves that
  // m1 was not bounced (it would have come first).
  alice.Send("<message type='chat' to='nobody@parley.test' id='m2'><body>hi</body></message>");
  xml::Element bounce = alice.Receive();
  EXPECT_THAT(bounce, IsMessageError("m2", "service-unavailable"));
  EXPECT_THAT(bounce, HasAttr("from", "nobody@parley.test"));

  TestClient bob = Bob("phone");
  bob.Send("<presence/>");
  xml::Element stored = bob.Receive();
  EXPECT_THAT(stored, IsMessage("m1"));
  EXPECT_THAT(stored, HasChild("delay", "urn:xmpp:delay"));
  EXPECT_THAT(stored, HasAttr("from", "alice@parley.test/pc"));
}

TEST_P(C2s, IqToFullJidThatIsNotOnlineIsServiceUnavailable) {
  Start();
  TestClient alice = Alice("pc");
  TestClient bob = Bob("phone");
  alice.Send(
      "<iq type='get' to='bob@parley.test/tablet' id='q1'>"
      "<query xmlns='jabber:iq:version'/></iq>");
  EXPECT_THAT(alice.Receive(), IsIqError("q1", "service-unavailable"));
  alice.Send(
      "<iq type='get' to='nobody@parley.test/x' id='q2'>"
      "<query xmlns='jabber:iq:version'/></iq>");
  EXPECT_THAT(alice.Receive(), IsIqError("q2", "service-unavailable"));
  // An iq to a bound resource is delivered, and its answer comes back.
  alice.Send(
      "<iq type='get' to='bob@parley.test/phone' id='q3'>"
      "<query xmlns='jabber:iq:version'/></iq>");
  xml::Element request = bob.Receive();
  EXPECT_THAT(request, HasAttr("from", "alice@parley.test/pc"));
  bob.Send("<iq type='result' to='alice@parley.test/pc' id='q3'/>");
  EXPECT_THAT(alice.Receive(), IsIqResult("q3"));
}

// RFC 6120 §8.3.1: an error is never answered with an error, nor is a result.
TEST_P(C2s, ErrorsAndResultsAreNeverAnswered) {
  Start();
  TestClient alice = Alice("pc");
  alice.Send("<message type='error' to='nobody@parley.test' id='e1'/>");
  alice.Send("<message to='nobody@parley.test' id='marker1'/>");  // bounced along the same path
  EXPECT_THAT(alice.Receive(), IsMessageError("marker1", "service-unavailable"));

  alice.Send("<iq type='result' to='bob@parley.test/gone' id='r1'/>");
  alice.Send("<iq type='error' to='bob@parley.test/gone' id='e2'/>");
  alice.Send(
      "<iq type='get' to='bob@parley.test/gone' id='marker2'><ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_THAT(alice.Receive(), IsIqError("marker2", "service-unavailable"));

  alice.Send("<iq type='error' to='parley.test' id='e3'><query xmlns='urn:unknown'/></iq>");
  alice.Send("<iq type='get' to='parley.test' id='marker3'><query xmlns='urn:unknown'/></iq>");
  EXPECT_THAT(alice.Receive(), IsIqError("marker3", "service-unavailable"));
}

// --- Server features ------------------------------------------------------------------------

TEST_P(C2s, IqToUnknownNamespaceOnServerIsServiceUnavailable) {
  Start();
  TestClient alice = Alice("pc");
  alice.Send("<iq type='get' to='parley.test' id='u1'><query xmlns='urn:example:unknown'/></iq>");
  xml::Element reply = alice.Receive();
  EXPECT_THAT(reply, IsIqError("u1", "service-unavailable"));
  EXPECT_THAT(reply, HasAttr("from", "parley.test"));
  alice.Send("<iq type='set' id='u2'><query xmlns='urn:example:unknown'/></iq>");
  EXPECT_THAT(alice.Receive(), IsIqError("u2", "service-unavailable"));
}

TEST_P(C2s, DiscoInfoListsTheServerFeatures) {
  Start();
  TestClient alice = Alice("pc");
  alice.Send(
      "<iq type='get' to='parley.test' id='d1'>"
      "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  xml::Element info = alice.Receive();
  ASSERT_THAT(info, IsIqResult("d1"));
  EXPECT_THAT(DiscoFeatures(info),
              IsSupersetOf({"urn:xmpp:ping", "jabber:iq:version", "jabber:iq:register",
                            "http://jabber.org/protocol/disco#info",
                            "http://jabber.org/protocol/disco#items"}));
  ASSERT_THAT(*info.Child("query"), HasChild("identity", ""));
  EXPECT_THAT(*info.Child("query")->Child("identity"), HasAttr("category", "server"));

  alice.Send(
      "<iq type='get' to='parley.test' id='d2'>"
      "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
  EXPECT_THAT(alice.Receive(), IsIqResult("d2"));
}

TEST_P(C2s, PingAndVersionAreAnswered) {
  Start();
  TestClient alice = Alice("pc");
  alice.Send("<iq type='get' to='parley.test' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_THAT(alice.Receive(), IsIqResult("p1"));
  alice.Send("<iq type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>");  // own account
  EXPECT_THAT(alice.Receive(), IsIqResult("p2"));
  alice.Send("<iq type='get' to='parley.test' id='v1'><query xmlns='jabber:iq:version'/></iq>");
  xml::Element version = alice.Receive();
  ASSERT_THAT(version, IsIqResult("v1"));
  const xml::Element* query = version.Child("query", "jabber:iq:version");
  ASSERT_NE(query, nullptr);
  EXPECT_EQ(query->Child("name")->Text(), "Parley");
  EXPECT_FALSE(query->Child("version")->Text().empty());
  EXPECT_EQ(query->Child("os"), nullptr);
}

// --- In-band registration (XEP-0077) --------------------------------------------------------

TEST_P(C2s, RegistrationBeforeAuthWhenAllowed) {
  TestServer& server = Start({.allow_registration = true});
  TestClient client = server.Connect();
  client.Open(server.Domain());
  ASSERT_TRUE(client.StartTls());
  EXPECT_THAT(client.Open(server.Domain()), HasChild("register", kNsRegisterFeature));

  client.Send("<iq type='get' id='r1'><query xmlns='jabber:iq:register'/></iq>");
  xml::Element form = client.Receive();
  ASSERT_THAT(form, IsIqResult("r1"));
  ASSERT_THAT(form, HasChild("query", kNsRegister));
  EXPECT_THAT(*form.Child("query"), HasChild("username", ""));
  EXPECT_THAT(*form.Child("query"), HasChild("password", ""));

  client.Send(
      "<iq type='set' id='r2'><query xmlns='jabber:iq:register'>"
      "<username>carol</username><password>carol-secret</password></query></iq>");
  EXPECT_THAT(client.Receive(), IsIqResult("r2"));
  EXPECT_TRUE(server.UserExists("carol"));
  client.Send(
      "<iq type='set' id='r3'><query xmlns='jabber:iq:register'>"
      "<username>carol</username><password>other</password></query></iq>");
  EXPECT_THAT(client.Receive(), IsIqError("r3", "conflict"));
  client.Send(
      "<iq type='set' id='r4'><query xmlns='jabber:iq:register'>"
      "<username>alice</username><password>other</password></query></iq>");
  EXPECT_THAT(client.Receive(), IsIqError("r4", "conflict"));

  EXPECT_THAT(client.AuthPlain("carol", "carol-secret"), IsSaslSuccess());
  client.Open(server.Domain());
  EXPECT_THAT(client.Bind("home"), IsIqResult("bind-1"));
}

TEST_P(C2s, RegistrationBeforeAuthWhenNotAllowed) {
  TestServer& server = Start();
  TestClient client = server.Connect();
  client.Open(server.Domain());
  ASSERT_TRUE(client.StartTls());
  client.Open(server.Domain());
  client.Send("<iq type='get' id='r1'><query xmlns='jabber:iq:register'/></iq>");
  EXPECT_THAT(client.Receive(), IsIqError("r1", "service-unavailable"));
  client.Send(
      "<iq type='set' id='r2'><query xmlns='jabber:iq:register'>"
      "<username>carol</username><password>carol-secret</password></query></iq>");
  EXPECT_THAT(client.Receive(), IsIqError("r2", "service-unavailable"));
  EXPECT_FALSE(server.UserExists("carol"));
  // Any other iq before authentication ends the stream.
  client.Send("<iq type='get' to='parley.test' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_EQ(client.ReceiveStreamError(), "not-authorized");
}

TEST_P(C2s, PasswordChangeAfterLogin) {
  TestServer& server = Start();
  TestClient alice = Alice("pc");
  alice.Send(
      "<iq type='set' id='pw'><query xmlns='jabber:iq:register'>"
      "<username>alice</username><password>new-secret</password></query></iq>");
  EXPECT_THAT(alice.Receive(), IsIqResult("pw"));
  alice.Send(
      "<iq type='set' id='pw2'><query xmlns='jabber:iq:register'>"
      "<username>bob</username><password>stolen</password></query></iq>");
  EXPECT_THAT(alice.Receive(), IsIqError("pw2", "not-allowed"));

  TestClient client = server.Connect();
  client.Open(server.Domain());
  ASSERT_TRUE(client.StartTls());
  client.Open(server.Domain());
  EXPECT_THAT(client.AuthPlain("alice", "alice-secret"), IsSaslFailure("not-authorized"));
  EXPECT_THAT(client.AuthPlain("alice", "new-secret"), IsSaslSuccess());
  TestClient bob_again = server.Login("bob", "bob-secret", "pc");  // bob's password unchanged
  EXPECT_EQ(bob_again.Jid(), "bob@parley.test/pc");
}

// XEP-0077 §3.2: the account goes, and so do all of its sessions.
TEST_P(C2s, AccountRemovalClosesEverySession) {
  TestServer& server = Start();
  TestClient phone = Alice("phone");
  TestClient laptop = Alice("laptop");
  phone.Send("<iq type='set' id='rm'><query xmlns='jabber:iq:register'><remove/></query></iq>");
  EXPECT_THAT(phone.Receive(), IsIqResult("rm"));
  EXPECT_EQ(phone.ReceiveStreamError(), "not-authorized");
  EXPECT_EQ(laptop.ReceiveStreamError(), "not-authorized");
  EXPECT_TRUE(phone.ExpectClosed());
  EXPECT_TRUE(laptop.ExpectClosed());
  EXPECT_FALSE(server.UserExists("alice"));

  TestClient client = server.Connect();
  client.Open(server.Domain());
  ASSERT_TRUE(client.StartTls());
  client.Open(server.Domain());
  EXPECT_THAT(client.AuthPlain("alice", "alice-secret"), IsSaslFailure("not-authorized"));
}

// --- Liveness (XEP-0199 client pings, handshake deadline) ------------------------------------

TEST_P(C2s, ServerPingsAnIdleClientAndKeepsItWhenItAnswers) {
  Start({.ping_interval = 1s, .ping_timeout = 1s});
  TestClient alice = Alice("pc");
  for (int round = 0; round < 2; ++round) {
    xml::Element ping = alice.Receive();
    ASSERT_EQ(ping.Name(), "iq");
    EXPECT_THAT(ping, HasAttr("type", "get"));
    EXPECT_THAT(ping, HasAttr("from", "parley.test"));
    EXPECT_THAT(ping, HasAttr("to", "alice@parley.test/pc"));
    EXPECT_THAT(ping, HasChild("ping", "urn:xmpp:ping"));
    alice.Send("<iq type='result' to='parley.test' id='" + std::string(ping.AttrOr("id")) + "'/>");
  }
  alice.Send("<iq type='get' to='parley.test' id='still-here'><ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_THAT(alice.Receive(), IsIqResult("still-here"));
}

TEST_P(C2s, ClientThatDoesNotAnswerAPingIsClosed) {
  Start({.ping_interval = 1s, .ping_timeout = 1s});
  TestClient alice = Alice("pc");
  EXPECT_THAT(alice.Receive(), HasChild("ping", "urn:xmpp:ping"));
  EXPECT_EQ(alice.ReceiveStreamError(), "connection-timeout");
  EXPECT_TRUE(alice.ExpectClosed());
}

TEST_P(C2s, ClientThatNeverAuthenticatesIsClosed) {
  TestServer& server = Start({.handshake_timeout = 1s});
  TestClient opened = server.Connect();
  opened.Open(server.Domain());
  ASSERT_TRUE(opened.StartTls());
  opened.Open(server.Domain());
  TestClient silent = server.Connect();  // not even a stream header
  EXPECT_EQ(opened.ReceiveStreamError(), "connection-timeout");
  EXPECT_TRUE(opened.ExpectClosed());
  EXPECT_EQ(silent.ReceiveStreamError(), "connection-timeout");
  EXPECT_TRUE(silent.ExpectClosed());
}

}  // namespace
}  // namespace parley::testing_util
