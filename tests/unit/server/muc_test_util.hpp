#pragma once
// Helpers for the XEP-0045 transcript tests: a fixture with alice, bob and carol, stanzas to send
// and what to look for in what comes back.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "server/harness/matchers.hpp"
#include "server/harness/test_client.hpp"
#include "server/harness/test_server.hpp"

namespace parley::testing_util::muc_test {

inline constexpr char kNsMuc[] = "http://jabber.org/protocol/muc";
inline constexpr char kNsMucUser[] = "http://jabber.org/protocol/muc#user";
inline constexpr char kNsMucAdmin[] = "http://jabber.org/protocol/muc#admin";
inline constexpr char kNsMucOwner[] = "http://jabber.org/protocol/muc#owner";
inline constexpr char kNsData[] = "jabber:x:data";
inline constexpr char kService[] = "conference.parley.test";

inline std::string RoomJid(std::string_view room) { return std::string(room) + "@" + kService; }
inline std::string Occupant(std::string_view room, std::string_view nick) {
  return RoomJid(room) + "/" + std::string(nick);
}

// Status codes of a presence or message (<x xmlns=muc#user><status code=.../></x>).
inline std::set<int> Codes(const xml::Element& stanza) {
  std::set<int> out;
  const xml::Element* x = stanza.Child("x", kNsMucUser);
  if (!x) return out;
  for (const xml::Element& c : x->Children()) {
    if (!c.IsText() && c.Name() == "status") out.insert(std::stoi(std::string(c.AttrOr("code"))));
  }
  return out;
}

// The <item/> of a muc#user presence (an empty element when absent).
inline xml::Element Item(const xml::Element& presence) {
  const xml::Element* x = presence.Child("x", kNsMucUser);
  const xml::Element* item = x ? x->Child("item") : nullptr;
  return item ? *item : xml::Element();
}

// Text of a child, "" when absent.
inline std::string ChildText(const xml::Element& e, std::string_view name) {
  const xml::Element* c = e.Child(name);
  return c ? c->Text() : "";
}

// A jabber:x:data submit form for the room configuration.
inline std::string ConfigForm(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out =
      "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
      "<value>http://jabber.org/protocol/muc#roomconfig</value></field>";
  for (const auto& [var, value] : fields) {
    out += "<field var='" + var + "'><value>" + value + "</value></field>";
  }
  return out + "</x>";
}

class MucTest : public ::testing::TestWithParam<std::size_t> {
 protected:
  void SetUp() override { Start(); }

  void Start(TestServer::Options options = {}) {
    options.shards = GetParam();
    server_ = std::make_unique<TestServer>(std::move(options));
    for (const char* user : {"alice", "bob", "carol"}) {
      server_->CreateUser(user, std::string(user) + "-secret");
    }
  }
  TestClient Login(std::string_view user, std::string_view resource = "pc") {
    TestClient c = server_->Login(user, std::string(user) + "-secret", resource);
    c.IgnorePresence(false);
    return c;
  }

  // Sends a join; `x` goes inside <x xmlns=muc/>.
  static void SendJoin(TestClient& c, std::string_view room, std::string_view nick,
                       std::string_view x = {}) {
    c.Send("<presence to='" + Occupant(room, nick) + "'><x xmlns='" + kNsMuc + "'>" +
           std::string(x) + "</x></presence>");
  }

  // Receives until `pred` matches (failing the test after 20 other stanzas); the skipped
  // stanzas are appended to `skipped` when given.
  static xml::Element ReceiveUntil(TestClient& c,
                                   const std::function<bool(const xml::Element&)>& pred,
                                   std::vector<xml::Element>* skipped = nullptr) {
    for (int i = 0; i < 20; ++i) {
      xml::Element e = c.Receive();
      if (e.Xmlns() == "parley:test") return e;  // timeout or closed: already a failure
      if (pred(e)) return e;
      if (skipped) skipped->push_back(e);
    }
    ADD_FAILURE() << "the expected stanza did not come";
    return xml::Element();
  }
  static bool IsSelfPresence(const xml::Element& e) {
    return e.Name() == "presence" && Codes(e).count(110) > 0;
  }
  static bool IsSubject(const xml::Element& e) {
    return e.Name() == "message" && e.Child("subject") && !e.Child("body");
  }

  // Joins and returns the self-presence; reads up to and including the subject.
  xml::Element Join(TestClient& c, std::string_view room, std::string_view nick,
                    std::string_view x = {}) {
    SendJoin(c, room, nick, x);
    xml::Element self = ReceiveUntil(
        c, [](const xml::Element& e) { return IsSelfPresence(e) || e.AttrOr("type") == "error"; });
    EXPECT_NE(self.AttrOr("type"), "error") << "join of " << room << " as " << nick;
    if (self.AttrOr("type") != "error") ReceiveUntil(c, IsSubject);
    return self;
  }
  // Creates an instant room (§10.1.2) owned by `c`.
  void CreateInstant(TestClient& c, std::string_view room, std::string_view nick,
                     const std::vector<std::pair<std::string, std::string>>& fields = {}) {
    xml::Element self = Join(c, room, nick);
    EXPECT_EQ(Codes(self).count(201), 1u) << "room " << room << " already existed";
    Configure(c, room, fields);
  }
  void Configure(TestClient& c, std::string_view room,
                 const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string id = c.NextId("cfg");
    c.Send("<iq type='set' id='" + id + "' to='" + RoomJid(room) + "'><query xmlns='" +
           kNsMucOwner + "'>" +
           (fields.empty() ? "<x xmlns='jabber:x:data' type='submit'/>" : ConfigForm(fields)) +
           "</query></iq>");
    EXPECT_THAT(ReceiveUntil(c, [&](const xml::Element& e) { return e.AttrOr("id") == id; }),
                IsIqResult(id));
  }
  // An iq to the room with a muc#admin payload; returns the answer.
  xml::Element Admin(TestClient& c, std::string_view room, std::string_view type,
                     std::string_view items) {
    std::string id = c.NextId("adm");
    c.Send("<iq type='" + std::string(type) + "' id='" + id + "' to='" + RoomJid(room) +
           "'><query xmlns='" + kNsMucAdmin + "'>" + std::string(items) + "</query></iq>");
    return ReceiveUntil(c, [&](const xml::Element& e) { return e.AttrOr("id") == id; });
  }
  xml::Element Iq(TestClient& c, std::string_view to, std::string_view type,
                  std::string_view payload) {
    std::string id = c.NextId("iq");
    c.Send("<iq type='" + std::string(type) + "' id='" + id + "' to='" + std::string(to) + "'>" +
           std::string(payload) + "</iq>");
    return ReceiveUntil(c, [&](const xml::Element& e) { return e.AttrOr("id") == id; });
  }
  static void Say(TestClient& c, std::string_view room, std::string_view body,
                  std::string_view id = "g1") {
    c.Send("<message type='groupchat' id='" + std::string(id) + "' to='" + RoomJid(room) +
           "'><body>" + std::string(body) + "</body></message>");
  }
  static xml::Element NextGroupchat(TestClient& c) {
    return ReceiveUntil(c, [](const xml::Element& e) {
      return e.Name() == "message" && e.AttrOr("type") == "groupchat" && e.Child("body");
    });
  }
  // A round trip through the room's shard: when the answer comes, everything the room sent to `c`
  // before it has come too (same path, in order). What came first goes to `skipped`.
  static void Sync(TestClient& c, std::string_view room,
                   std::vector<xml::Element>* skipped = nullptr) {
    std::string id = c.NextId("sync");
    c.Send("<iq type='get' id='" + id + "' to='" + RoomJid(room) +
           "'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    ReceiveUntil(
        c, [&](const xml::Element& e) { return e.AttrOr("id") == id; }, skipped);
  }

  std::unique_ptr<TestServer> server_;
};

}  // namespace parley::testing_util::muc_test
