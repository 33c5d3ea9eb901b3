// ModuleRegistry: the handler table decides what is advertised and what is answered; the framework
// answers for handlers that fail (STYLE.md "Shape" and "Errors"). Replies travel the real router to
// a fake session bound as the sender.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <functional>
#include <stdexcept>

#include "hosts/host.hpp"
#include "modules/registry.hpp"
#include "net/shard.hpp"
#include "server/harness/fake_session.hpp"
#include "server/harness/matchers.hpp"
#include "server/harness/shard_util.hpp"
#include "storage/blocking_pool.hpp"
#include "storage/user_store.hpp"

namespace parley::testing_util {
namespace {

using mod::IqRequest;
using mod::IqType;
using mod::ModuleContext;
using stanza::StanzaCondition;
using stanza::StanzaError;
using ::testing::ElementsAre;

// The registry needs a store only for the modules that use one; these test modules do not.
class NoUsers final : public storage::UserStore {
 public:
  storage::StoreStatus CreateUser(std::string_view, std::string_view,
                                  const sasl::StoredCredentials&) override {
    return storage::StoreStatus::kError;
  }
  std::optional<sasl::StoredCredentials> GetCredentials(std::string_view,
                                                        std::string_view) override {
    return std::nullopt;
  }
  storage::StoreStatus SetCredentials(std::string_view, std::string_view,
                                      const sasl::StoredCredentials&) override {
    return storage::StoreStatus::kError;
  }
  storage::StoreStatus DeleteUser(std::string_view, std::string_view) override {
    return storage::StoreStatus::kError;
  }
  std::vector<std::string> ListUsers(std::string_view) override { return {}; }
};

// A module whose Start() is written by the test.
class TestModule final : public mod::Module {
 public:
  explicit TestModule(std::function<void(ModuleContext&)> start) : start_(std::move(start)) {}
  std::string_view Name() const override { return "test"; }
  std::string_view Implements() const override { return "nothing"; }
  void Start(ModuleContext& ctx) override { start_(ctx); }

 private:
  std::function<void(ModuleContext&)> start_;
};

class ModuleRegistryTest : public ::testing::TestWithParam<std::size_t> {
 protected:
  ModuleRegistryTest()
      : shards_(GetParam()),
        hosts_({hosts::Host{"parley.test", false}}),
        router_(shards_, hosts_),
        pool_(1),
        registry_(mod::ModuleServices{router_, pool_, users_, hosts_}) {
    // Failing handlers are logged at error level on purpose here.
    spdlog::set_level(std::getenv("PARLEY_TEST_LOG") ? spdlog::level::debug : spdlog::level::off);
    router_.SetServerHandler(&registry_);
    shards_.Start();
    alice_ = Bind(router_, 0, "alice@parley.test/pc");
  }
  ~ModuleRegistryTest() override {
    shards_.Stop();
    shards_.Join();
    pool_.Stop();
  }

  void Load(std::function<void(ModuleContext&)> start) {
    registry_.Load(std::make_unique<TestModule>(std::move(start)));
  }
  // An iq from alice, routed as her session routes it, on the last shard (not her home with two).
  void FromAlice(const std::string& xml) {
    xml::Element stanza = Stanza(xml);
    stanza.SetAttr("from", alice_.jid.Full());
    RunOn(shards_.At(shards_.Size() - 1), [&] { router_.Route(std::move(stanza)); });
  }
  xml::Element Reply() { return alice_.session->Receive(); }

  net::ShardSet shards_;
  hosts::HostTable hosts_;
  router::Router router_;
  storage::BlockingPool pool_;
  NoUsers users_;
  mod::ModuleRegistry registry_;
  BoundSession alice_;
};

INSTANTIATE_TEST_SUITE_P(Shards, ModuleRegistryTest, ::testing::Values(1, 2),
                         [](const auto& info) { return std::to_string(info.param) + "Shards"; });

void Answer(IqRequest& req) { req.Result(); }

TEST_P(ModuleRegistryTest, FeaturesAreDerivedFromHandlers) {
  Load([](ModuleContext& ctx) {
    ctx.OnIq(IqType::kGet, "urn:test:b", "query", Answer);
    ctx.OnIq(IqType::kSet, "urn:test:b", "item", Answer);  // same namespace: listed once
    ctx.OnIq(IqType::kGet, "urn:test:a", "query", Answer, mod::kScopeServer);
    ctx.OnIq(IqType::kSet, "urn:test:both", "query", Answer,
             mod::kScopePreAuth | mod::kScopeAccount);
    ctx.OnIq(IqType::kSet, "urn:test:pre-auth-only", "query", Answer, mod::kScopePreAuth);
    ctx.AddFeature("urn:test:stream-feature");
  });
  EXPECT_THAT(registry_.Features(),
              ElementsAre("urn:test:a", "urn:test:b", "urn:test:both", "urn:test:stream-feature"));
}

TEST_P(ModuleRegistryTest, BuiltinModulesAdvertiseWhatTheyHandle) {
  // Without the IM stores the IM modules stay out (and advertise nothing).
  mod::LoadBuiltinModules(registry_);
  EXPECT_THAT(
      registry_.Features(),
      ElementsAre("http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items",
                  "jabber:iq:register", "jabber:iq:version", "urn:xmpp:ping"));
}

TEST_P(ModuleRegistryTest, DispatchesByTypeNamespaceAndElement) {
  std::vector<std::string> seen;  // written on a shard, read after the reply came back
  Load([&seen](ModuleContext& ctx) {
    ctx.OnIq(IqType::kGet, "urn:test", "query", [&seen](IqRequest& req) {
      seen.push_back(req.From().Full() + " -> " + req.To().Full());
      req.Result(xml::Element("query", "urn:test"));
    });
  });
  FromAlice("<iq type='get' to='parley.test' id='ok'><query xmlns='urn:test'/></iq>");
  xml::Element reply = Reply();
  EXPECT_THAT(reply, IsIqResult("ok"));
  EXPECT_THAT(reply, HasChild("query", "urn:test"));
  EXPECT_THAT(reply, HasAttr("from", "parley.test"));
  EXPECT_THAT(seen, ElementsAre("alice@parley.test/pc -> parley.test"));

  FromAlice("<iq type='set' to='parley.test' id='wrong-type'><query xmlns='urn:test'/></iq>");
  EXPECT_THAT(Reply(), IsIqError("wrong-type", "service-unavailable"));
  FromAlice("<iq type='get' to='parley.test' id='wrong-element'><item xmlns='urn:test'/></iq>");
  EXPECT_THAT(Reply(), IsIqError("wrong-element", "service-unavailable"));
  FromAlice("<iq type='get' to='parley.test' id='wrong-ns'><query xmlns='urn:other'/></iq>");
  EXPECT_THAT(Reply(), IsIqError("wrong-ns", "service-unavailable"));
  EXPECT_EQ(seen.size(), 1u);
}

// RFC 6120 §10.3.3: no 'to' means the sender's own account; a server-scoped handler is not reached
// through an account's bare JID, nor an account-scoped one through the domain.
TEST_P(ModuleRegistryTest, ScopesDecideWhichAddressesAHandlerAnswers) {
  std::vector<std::string> to_seen;
  Load([&to_seen](ModuleContext& ctx) {
    ctx.OnIq(IqType::kGet, "urn:test:server", "query", Answer, mod::kScopeServer);
    ctx.OnIq(
        IqType::kGet, "urn:test:account", "query",
        [&to_seen](IqRequest& req) {
          to_seen.push_back(req.To().Full());
          req.Result();
        },
        mod::kScopeAccount);
  });
  FromAlice("<iq type='get' to='parley.test' id='s1'><query xmlns='urn:test:server'/></iq>");
  EXPECT_THAT(Reply(), IsIqResult("s1"));
  FromAlice("<iq type='get' to='alice@parley.test' id='s2'><query xmlns='urn:test:server'/></iq>");
  EXPECT_THAT(Reply(), IsIqError("s2", "service-unavailable"));
  FromAlice("<iq type='get' id='a1'><query xmlns='urn:test:account'/></iq>");
  xml::Element reply = Reply();
  EXPECT_THAT(reply, IsIqResult("a1"));
  EXPECT_THAT(reply, HasAttr("from", "alice@parley.test"));
  FromAlice("<iq type='get' to='parley.test' id='a2'><query xmlns='urn:test:account'/></iq>");
  EXPECT_THAT(Reply(), IsIqError("a2", "service-unavailable"));
  EXPECT_THAT(to_seen, ElementsAre("alice@parley.test"));
}

TEST_P(ModuleRegistryTest, ThrowingHandlerAnswersInternalServerError) {
  Load([](ModuleContext& ctx) {
    ctx.OnIq(IqType::kGet, "urn:test", "query",
             [](IqRequest&) { throw std::runtime_error("handler bug"); });
  });
  FromAlice("<iq type='get' to='parley.test' id='t1'><query xmlns='urn:test'/></iq>");
  EXPECT_THAT(Reply(), IsIqError("t1", "internal-server-error"));
  // Nothing else broke: the next request is dispatched as usual.
  FromAlice("<iq type='get' to='parley.test' id='t2'><query xmlns='urn:test'/></iq>");
  EXPECT_THAT(Reply(), IsIqError("t2", "internal-server-error"));
}

TEST_P(ModuleRegistryTest, HandlerThatNeverAnswersGetsInternalServerError) {
  Load([](ModuleContext& ctx) { ctx.OnIq(IqType::kGet, "urn:test", "query", [](IqRequest&) {}); });
  FromAlice("<iq type='get' to='parley.test' id='s1'><query xmlns='urn:test'/></iq>");
  EXPECT_THAT(Reply(), IsIqError("s1", "internal-server-error"));
}

TEST_P(ModuleRegistryTest, HandlerMayAnswerLaterAndOnlyOnce) {
  std::shared_ptr<IqRequest> pending;
  Load([&pending](ModuleContext& ctx) {
    ctx.OnIq(IqType::kGet, "urn:test", "query",
             [&pending](IqRequest& req) { pending = std::make_shared<IqRequest>(std::move(req)); });
  });
  FromAlice("<iq type='get' to='parley.test' id='later'><query xmlns='urn:test'/></iq>");
  Drain(shards_);
  EXPECT_EQ(alice_.session->ReceivedCount(), 0u);  // the moved-from request did not answer
  ASSERT_NE(pending, nullptr);
  RunOn(shards_.At(0), [&pending] {
    pending->Result();
    pending->Error(StanzaError(StanzaCondition::kConflict));  // ignored
    pending.reset();                                          // answered: no second reply
  });
  EXPECT_THAT(Reply(), IsIqResult("later"));
  Drain(shards_);
  EXPECT_EQ(alice_.session->ReceivedCount(), 1u);
}

TEST_P(ModuleRegistryTest, UnhandledStanzasToTheServer) {
  FromAlice("<iq type='get' to='parley.test' id='u1'><query xmlns='urn:unknown'/></iq>");
  EXPECT_THAT(Reply(), IsIqError("u1", "service-unavailable"));
  FromAlice("<iq type='set' id='u2'><query xmlns='urn:unknown'/></iq>");
  xml::Element reply = Reply();
  EXPECT_THAT(reply, IsIqError("u2", "service-unavailable"));
  EXPECT_THAT(reply, HasAttr("from", "alice@parley.test"));
  FromAlice("<message type='chat' to='parley.test' id='m1'><body>hello server</body></message>");
  EXPECT_THAT(Reply(), IsMessageError("m1", "service-unavailable"));
}

// RFC 6120 §8.3.1: results and errors addressed to the server are never answered.
TEST_P(ModuleRegistryTest, ResultsAndErrorsToTheServerAreNotAnswered) {
  FromAlice("<iq type='result' to='parley.test' id='r1'/>");
  FromAlice("<iq type='error' to='parley.test' id='e1'><query xmlns='urn:unknown'/></iq>");
  FromAlice("<message type='error' to='parley.test' id='e2'/>");
  FromAlice("<iq type='get' to='parley.test' id='marker'><query xmlns='urn:unknown'/></iq>");
  EXPECT_THAT(Reply(), IsIqError("marker", "service-unavailable"));
  Drain(shards_);
  EXPECT_EQ(alice_.session->ReceivedCount(), 1u);
}

// RFC 6120 §8.2.3: a get or set carries an id and exactly one payload element.
TEST_P(ModuleRegistryTest, InvalidIqIsBadRequest) {
  bool called = false;
  Load([&called](ModuleContext& ctx) {
    ctx.OnIq(IqType::kGet, "urn:test", "query", [&called](IqRequest& req) {
      called = true;
      req.Result();
    });
  });
  FromAlice("<iq type='get' to='parley.test'><query xmlns='urn:test'/></iq>");
  xml::Element no_id = Reply();
  EXPECT_THAT(no_id, IsIqError("", "bad-request"));
  EXPECT_EQ(no_id.Attr("id"), nullptr);
  FromAlice(
      "<iq type='get' to='parley.test' id='two'><query xmlns='urn:test'/>"
      "<query xmlns='urn:test'/></iq>");
  EXPECT_THAT(Reply(), IsIqError("two", "bad-request"));
  FromAlice("<iq type='get' to='parley.test' id='none'/>");
  EXPECT_THAT(Reply(), IsIqError("none", "bad-request"));
  FromAlice("<iq type='fetch' to='parley.test' id='bad-type'><query xmlns='urn:test'/></iq>");
  EXPECT_THAT(Reply(), IsIqError("bad-type", "bad-request"));
  EXPECT_FALSE(called);
}

TEST_P(ModuleRegistryTest, PreAuthDispatchReachesOnlyPreAuthHandlers) {
  std::vector<std::string> from_seen;
  Load([&from_seen](ModuleContext& ctx) {
    ctx.OnIq(
        IqType::kGet, "urn:test:pre", "query",
        [&from_seen](IqRequest& req) {
          from_seen.push_back(req.From().Full() + "|" + req.PeerAddress());
          req.Result();
        },
        mod::kScopePreAuth);
    ctx.OnIq(IqType::kGet, "urn:test:account", "query", Answer);
  });
  const hosts::Host& host = hosts_.Default();
  std::vector<xml::Element> replies;
  auto send = [&replies](xml::Element reply) { replies.push_back(std::move(reply)); };
  bool pre = false, account = false, invalid = false;
  RunOn(shards_.At(0), [&] {
    pre =
        registry_.HandlePreAuth(Stanza("<iq type='get' id='p1'><query xmlns='urn:test:pre'/></iq>"),
                                host, "192.0.2.1", send);
    account = registry_.HandlePreAuth(
        Stanza("<iq type='get' id='p2'><query xmlns='urn:test:account'/></iq>"), host, "192.0.2.1",
        send);
    invalid = registry_.HandlePreAuth(Stanza("<iq type='get'><query xmlns='urn:test:pre'/></iq>"),
                                      host, "192.0.2.1", send);
  });
  EXPECT_TRUE(pre);
  EXPECT_FALSE(account);
  EXPECT_FALSE(invalid);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_THAT(replies[0], IsIqResult("p1"));
  EXPECT_THAT(replies[0], HasAttr("from", "parley.test"));
  EXPECT_THAT(from_seen, ElementsAre("|192.0.2.1"));  // no sender before authentication
}

}  // namespace
}  // namespace parley::testing_util
