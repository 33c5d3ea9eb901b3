#pragma once
// FakeSession: a router::LocalSession that records what the router gives it, for router and module
// tests without sockets. Deliver/Kick run on the session's shard; the test thread reads with a
// mutex (tests are outside the no-mutex rule of router/ and modules/). Bind() puts one on a shard
// and binds it in the router's directory, as C2sSession does after <bind/>.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "jid/jid.hpp"
#include "router/router.hpp"
#include "server/harness/shard_util.hpp"
#include "xml/element.hpp"
#include "xml/xml_test_util.hpp"

namespace parley::testing_util {

class FakeSession final : public router::LocalSession {
 public:
  void Deliver(const router::SharedStanza& stanza) override {
    // What a client would see: the shared bytes, parsed back in a jabber:client stream.
    std::optional<xml::Element> parsed = xml::testing_util::ParseStanza(*stanza->bytes);
    if (!parsed) ADD_FAILURE() << "delivered bytes do not parse: " << *stanza->bytes;
    std::lock_guard lock(mu_);
    received_.push_back(parsed ? std::move(*parsed) : xml::Element("unparsable", "parley:test"));
    cv_.notify_all();
  }
  void Kick(stanza::StreamCondition condition, std::string) override {
    std::lock_guard lock(mu_);
    kicks_.push_back(condition);
    cv_.notify_all();
  }

  // The next stanza not yet taken, waiting up to kShardWait; nullopt when none comes.
  std::optional<xml::Element> Next() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, kShardWait, [this] { return taken_ < received_.size(); })) {
      return std::nullopt;
    }
    return received_[taken_++];
  }
  // Next(), or a placeholder <nothing xmlns='parley:test'/> and a test failure.
  xml::Element Receive() {
    std::optional<xml::Element> e = Next();
    if (e) return std::move(*e);
    ADD_FAILURE() << "nothing was delivered within 5 s";
    return xml::Element("nothing", "parley:test");
  }
  // Stanzas delivered so far (call Drain() first to let routing finish).
  std::size_t ReceivedCount() {
    std::lock_guard lock(mu_);
    return received_.size();
  }
  std::vector<stanza::StreamCondition> Kicks() {
    std::lock_guard lock(mu_);
    return kicks_;
  }
  bool WaitKicked() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kShardWait, [this] { return !kicks_.empty(); });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<xml::Element> received_;
  std::size_t taken_ = 0;
  std::vector<stanza::StreamCondition> kicks_;
};

// A fake session registered on a shard and bound to a full JID.
struct BoundSession {
  std::shared_ptr<FakeSession> session;
  router::SessionRef ref;
  jid::Jid jid;
  router::BindResult bind_result;
};

inline BoundSession Bind(router::Router& router, std::size_t shard, const std::string& full_jid) {
  BoundSession b{std::make_shared<FakeSession>(), {}, *jid::Jid::Parse(full_jid), {}};
  std::promise<router::BindResult> result;
  auto future = result.get_future();
  RunOn(router.Shards().At(shard), [&] {
    b.ref = router::SessionRef{shard, router.AddLocalSession(b.session)};
    router.Bind(b.jid, b.ref, [&result](router::BindResult r) { result.set_value(r); });
  });
  if (future.wait_for(kShardWait) != std::future_status::ready) {
    std::fprintf(stderr, "Router::Bind did not answer within 5 s\n");
    std::abort();
  }
  b.bind_result = future.get();
  return b;
}

// Parses one stanza written as XML text (jabber:client is the default namespace).
inline xml::Element Stanza(const std::string& text) {
  std::optional<xml::Element> e = xml::testing_util::ParseStanza(text);
  if (!e) {
    ADD_FAILURE() << "test stanza does not parse: " << text;
    return xml::Element("unparsable", "parley:test");
  }
  return std::move(*e);
}

}  // namespace parley::testing_util
