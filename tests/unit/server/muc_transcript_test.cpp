// XEP-0045 transcripts, the occupant's side, against the real server stack with one shard and with
// two: discovery, creating and entering rooms, presence and status codes, nickname conflicts and
// changes, groupchat isolation, history, subject, private messages, leaving.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "muc_test_util.hpp"

namespace parley::testing_util::muc_test {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

class MucOccupant : public MucTest {};

INSTANTIATE_TEST_SUITE_P(Shards, MucOccupant, ::testing::Values(1, 2),
                         [](const auto& info) { return std::to_string(info.param) + "Shards"; });

std::vector<std::pair<std::string, std::string>> Items(const xml::Element& iq) {
  std::vector<std::pair<std::string, std::string>> out;
  const xml::Element* q = iq.Child("query");
  if (!q) return out;
  for (const xml::Element& c : q->Children()) {
    if (!c.IsText() && c.Name() == "item") out.emplace_back(c.AttrOr("jid"), c.AttrOr("name"));
  }
  return out;
}

std::vector<std::string> Features(const xml::Element& iq) {
  std::vector<std::string> out;
  const xml::Element* q = iq.Child("query");
  if (!q) return out;
  for (const xml::Element& c : q->Children()) {
    if (!c.IsText() && c.Name() == "feature") out.emplace_back(c.AttrOr("var"));
  }
  return out;
}

// XEP-0045 §6.1, §6.2: the host lists the service; the service is conference/text with the MUC
// feature.
TEST_P(MucOccupant, ServiceIsDiscoverable) {
  TestClient alice = Login("alice");
  xml::Element items =
      Iq(alice, "parley.test", "get", "<query xmlns='http://jabber.org/protocol/disco#items'/>");
  ASSERT_THAT(items, IsIqResult(items.AttrOr("id")));
  EXPECT_THAT(Items(items), Contains(std::pair<std::string, std::string>(kService, "Chatrooms")));
  xml::Element info =
      Iq(alice, kService, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  ASSERT_THAT(info, IsIqResult(info.AttrOr("id")));
  const xml::Element* identity = info.Child("query")->Child("identity");
  ASSERT_NE(identity, nullptr);
  EXPECT_EQ(identity->AttrOr("category"), "conference");
  EXPECT_EQ(identity->AttrOr("type"), "text");
  EXPECT_THAT(Features(info), Contains(kNsMuc));
}

// The default configuration predefines the public, persistent lobby; room lists are sorted by name
// (ignoring case: "alpha talk" before "Lobby") and carry occupant counts; hidden and locked rooms
// are not listed.
TEST_P(MucOccupant, RoomListSortedWithCounts) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  CreateInstant(alice, "zulu", "alice", {{"muc#roomconfig_roomname", "alpha talk"}});
  CreateInstant(alice, "hidden", "alice", {{"muc#roomconfig_publicroom", "0"}});
  Join(alice, "locked", "alice");  // created, not configured yet
  Join(bob, "zulu", "bob");
  xml::Element items =
      Iq(alice, kService, "get", "<query xmlns='http://jabber.org/protocol/disco#items'/>");
  ASSERT_THAT(items, IsIqResult(items.AttrOr("id")));
  EXPECT_THAT(Items(items),
              ElementsAre(std::pair<std::string, std::string>(RoomJid("zulu"), "alpha talk (2)"),
                          std::pair<std::string, std::string>(RoomJid("lobby"), "Lobby (0)")));
}

// §7.2.3, §10.1.1: the creator gets 110 and 201 as owner and moderator; the room is locked until
// configured (others get item-not-found); then others enter, see the occupants first and their
// own presence last.
TEST_P(MucOccupant, CreateLockedThenJoinInOrder) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  xml::Element self = Join(alice, "room", "alice");
  EXPECT_EQ(self.AttrOr("from"), Occupant("room", "alice"));
  EXPECT_EQ(Codes(self), (std::set<int>{110, 201}));
  EXPECT_EQ(Item(self).AttrOr("affiliation"), "owner");
  EXPECT_EQ(Item(self).AttrOr("role"), "moderator");

  SendJoin(bob, "room", "bob");
  xml::Element refused = bob.Receive();
  EXPECT_EQ(refused.AttrOr("type"), "error");
  EXPECT_EQ(StanzaErrorCondition(refused), "item-not-found");

  Configure(alice, "room", {});  // §10.1.2 instant room
  SendJoin(bob, "room", "bob");
  xml::Element first = bob.Receive();
  EXPECT_EQ(first.AttrOr("from"), Occupant("room", "alice"));
  EXPECT_EQ(Item(first).AttrOr("affiliation"), "owner");
  EXPECT_EQ(Item(first).AttrOr("jid"), "");  // semi-anonymous: a participant sees no real JID
  xml::Element own = bob.Receive();
  EXPECT_EQ(own.AttrOr("from"), Occupant("room", "bob"));
  EXPECT_EQ(Codes(own), (std::set<int>{110}));
  EXPECT_EQ(Item(own).AttrOr("role"), "participant");
  EXPECT_TRUE(IsSubject(bob.Receive()));
  // The moderator sees the newcomer's real JID.
  xml::Element seen = ReceiveUntil(alice, [](const xml::Element& e) {
    return e.Name() == "presence" && e.AttrOr("from") == Occupant("room", "bob");
  });
  EXPECT_EQ(Item(seen).AttrOr("jid"), server_->Bare("bob") + "/pc");
  EXPECT_TRUE(Codes(seen).empty());
}

// §7.2.8: a nickname in use is a conflict; §7.2.1: no nickname is jid-malformed.
TEST_P(MucOccupant, NicknameConflictAndMissingNick) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  Join(alice, "lobby", "sam");
  SendJoin(bob, "lobby", "sam");
  xml::Element error = bob.Receive();
  EXPECT_EQ(error.Name(), "presence");
  EXPECT_EQ(error.AttrOr("type"), "error");
  EXPECT_EQ(error.AttrOr("from"), Occupant("lobby", "sam"));
  EXPECT_EQ(StanzaErrorCondition(error), "conflict");
  bob.Send("<presence to='" + RoomJid("lobby") + "'><x xmlns='" + kNsMuc + "'/></presence>");
  EXPECT_EQ(StanzaErrorCondition(bob.Receive()), "jid-malformed");
  std::string long_nick(65, 'n');
  SendJoin(bob, "lobby", long_nick);
  EXPECT_EQ(StanzaErrorCondition(bob.Receive()), "not-acceptable");
}

// §7.4: groupchat goes to every occupant of that room, the sender included, and to nobody else;
// a non-occupant is refused.
TEST_P(MucOccupant, GroupchatStaysInItsRoom) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  TestClient carol = Login("carol");
  CreateInstant(alice, "one", "alice");
  CreateInstant(carol, "two", "carol");
  Join(bob, "one", "bob");
  Say(alice, "one", "hello one", "m1");
  xml::Element at_bob = NextGroupchat(bob);
  EXPECT_EQ(at_bob.AttrOr("from"), Occupant("one", "alice"));
  EXPECT_EQ(at_bob.AttrOr("to"), server_->Bare("bob") + "/pc");
  EXPECT_EQ(ChildText(at_bob, "body"), "hello one");
  xml::Element echo = NextGroupchat(alice);
  EXPECT_EQ(echo.AttrOr("id"), "m1");
  EXPECT_EQ(ChildText(echo, "body"), "hello one");
  // carol got nothing from room one: the next groupchat she sees is her own room's.
  Say(carol, "two", "hello two", "m2");
  xml::Element at_carol = NextGroupchat(carol);
  EXPECT_EQ(ChildText(at_carol, "body"), "hello two");
  EXPECT_EQ(at_carol.AttrOr("from"), Occupant("two", "carol"));
  std::vector<xml::Element> rest;
  Sync(bob, "two", &rest);
  for (const xml::Element& e : rest) EXPECT_NE(ChildText(e, "body"), "hello two");
  // Not an occupant of room two.
  Say(bob, "two", "intruder", "m3");
  xml::Element error =
      ReceiveUntil(bob, [](const xml::Element& e) { return e.AttrOr("id") == "m3"; });
  EXPECT_THAT(error, IsMessageError("m3", "not-acceptable"));
  // Groupchat to one occupant is a bad request (§7.5).
  bob.Send("<message type='groupchat' id='m4' to='" + Occupant("one", "alice") +
           "'><body>x</body></message>");
  EXPECT_THAT(ReceiveUntil(bob, [](const xml::Element& e) { return e.AttrOr("id") == "m4"; }),
              IsMessageError("m4", "bad-request"));
}

// §7.2.13, §7.2.14: history comes with <delay/>, limited by maxstanzas, then the subject.
TEST_P(MucOccupant, HistoryOnJoin) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  TestClient carol = Login("carol");
  CreateInstant(alice, "hist", "alice");
  for (const char* body : {"one", "two", "three"}) {
    Say(alice, "hist", body);
    NextGroupchat(alice);
  }
  SendJoin(bob, "hist", "bob", "<history maxstanzas='2'/>");
  ReceiveUntil(bob, IsSelfPresence);
  xml::Element h1 = bob.Receive();
  xml::Element h2 = bob.Receive();
  EXPECT_EQ(ChildText(h1, "body"), "two");
  EXPECT_EQ(ChildText(h2, "body"), "three");
  EXPECT_EQ(h1.AttrOr("from"), Occupant("hist", "alice"));
  const xml::Element* delay = h1.Child("delay", "urn:xmpp:delay");
  ASSERT_NE(delay, nullptr);
  EXPECT_EQ(delay->AttrOr("from"), RoomJid("hist"));
  EXPECT_EQ(delay->AttrOr("stamp").size(), 20u);  // 2026-01-02T03:04:05Z
  EXPECT_TRUE(IsSubject(bob.Receive()));
  // maxstanzas='0': no history at all; 'since' in the future: none either.
  SendJoin(carol, "hist", "carol", "<history maxstanzas='0'/>");
  ReceiveUntil(carol, IsSelfPresence);
  EXPECT_TRUE(IsSubject(carol.Receive()));
}

TEST_P(MucOccupant, HistorySinceAndSeconds) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  CreateInstant(alice, "hist", "alice");
  Say(alice, "hist", "old");
  NextGroupchat(alice);
  SendJoin(bob, "hist", "bob", "<history since='2999-01-01T00:00:00Z'/>");
  ReceiveUntil(bob, IsSelfPresence);
  EXPECT_TRUE(IsSubject(bob.Receive()));
  bob.Send("<presence type='unavailable' to='" + Occupant("hist", "bob") + "'/>");
  ReceiveUntil(bob, IsSelfPresence);
  SendJoin(bob, "hist", "bob", "<history seconds='3600'/>");
  ReceiveUntil(bob, IsSelfPresence);
  EXPECT_EQ(ChildText(bob.Receive(), "body"), "old");
}

// §8.1: the moderator sets the subject; everyone sees it, newcomers get it on entering; a
// participant may not change it by default.
TEST_P(MucOccupant, Subject) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  TestClient carol = Login("carol");
  CreateInstant(alice, "subj", "alice");
  Join(bob, "subj", "bob");
  alice.Send("<message type='groupchat' to='" + RoomJid("subj") +
             "'><subject>Plans</subject></message>");
  xml::Element seen = ReceiveUntil(bob, IsSubject);
  EXPECT_EQ(ChildText(seen, "subject"), "Plans");
  EXPECT_EQ(seen.AttrOr("from"), Occupant("subj", "alice"));
  bob.Send("<message type='groupchat' id='s2' to='" + RoomJid("subj") +
           "'><subject>Mine</subject></message>");
  EXPECT_THAT(ReceiveUntil(bob, [](const xml::Element& e) { return e.AttrOr("id") == "s2"; }),
              IsMessageError("s2", "forbidden"));
  SendJoin(carol, "subj", "carol");
  xml::Element subject = ReceiveUntil(carol, IsSubject);
  EXPECT_EQ(ChildText(subject, "subject"), "Plans");
}

// §7.5: a private message goes to one occupant, from the sender's occupant JID.
TEST_P(MucOccupant, PrivateMessages) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  TestClient carol = Login("carol");
  Join(alice, "lobby", "alice");
  Join(bob, "lobby", "bob");
  alice.Send("<message type='chat' id='p1' to='" + Occupant("lobby", "bob") +
             "'><body>psst</body></message>");
  xml::Element pm = ReceiveUntil(bob, [](const xml::Element& e) { return e.Name() == "message"; });
  EXPECT_EQ(pm.AttrOr("from"), Occupant("lobby", "alice"));
  EXPECT_EQ(pm.AttrOr("type"), "chat");
  EXPECT_EQ(ChildText(pm, "body"), "psst");
  EXPECT_NE(pm.Child("x", kNsMucUser), nullptr);
  alice.Send("<message type='chat' id='p2' to='" + Occupant("lobby", "nobody") +
             "'><body>?</body></message>");
  EXPECT_THAT(ReceiveUntil(alice, [](const xml::Element& e) { return e.AttrOr("id") == "p2"; }),
              IsMessageError("p2", "item-not-found"));
  carol.Send("<message type='chat' id='p3' to='" + Occupant("lobby", "bob") +
             "'><body>hi</body></message>");
  EXPECT_THAT(ReceiveUntil(carol, [](const xml::Element& e) { return e.AttrOr("id") == "p3"; }),
              IsMessageError("p3", "not-acceptable"));
}

// §7.6: a nick change is unavailable with 303 and the new nick, then available from the new nick.
TEST_P(MucOccupant, NickChange) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  Join(alice, "lobby", "alice");
  Join(bob, "lobby", "bob");
  SendJoin(bob, "lobby", "alice");  // taken
  EXPECT_EQ(StanzaErrorCondition(ReceiveUntil(
                bob, [](const xml::Element& e) { return e.AttrOr("type") == "error"; })),
            "conflict");
  bob.Send("<presence to='" + Occupant("lobby", "robert") + "'/>");
  xml::Element gone = ReceiveUntil(alice, [](const xml::Element& e) {
    return e.AttrOr("from") == Occupant("lobby", "bob") && e.AttrOr("type") == "unavailable";
  });
  EXPECT_EQ(Codes(gone), (std::set<int>{303}));
  EXPECT_EQ(Item(gone).AttrOr("nick"), "robert");
  xml::Element back = alice.Receive();
  EXPECT_EQ(back.AttrOr("from"), Occupant("lobby", "robert"));
  EXPECT_EQ(back.AttrOr("type"), "");
  xml::Element own =
      ReceiveUntil(bob, [](const xml::Element& e) { return e.AttrOr("type") == "unavailable"; });
  EXPECT_EQ(Codes(own), (std::set<int>{110, 303}));
  // Messages now come from the new nick.
  Say(bob, "lobby", "renamed");
  EXPECT_EQ(NextGroupchat(alice).AttrOr("from"), Occupant("lobby", "robert"));
}

// §7.14: leaving; and a session that ends leaves its rooms too (ResourceUnbound).
TEST_P(MucOccupant, LeaveAndDisconnect) {
  TestClient alice = Login("alice");
  Join(alice, "lobby", "alice");
  {
    TestClient bob = Login("bob");
    Join(bob, "lobby", "bob");
    ReceiveUntil(
        alice, [](const xml::Element& e) { return e.AttrOr("from") == Occupant("lobby", "bob"); });
    bob.Send("<presence type='unavailable' to='" + Occupant("lobby", "bob") +
             "'><status>bye</status></presence>");
    xml::Element own =
        ReceiveUntil(bob, [](const xml::Element& e) { return e.Name() == "presence"; });
    EXPECT_EQ(own.AttrOr("type"), "unavailable");
    EXPECT_EQ(Codes(own), (std::set<int>{110}));
    xml::Element seen = alice.Receive();
    EXPECT_EQ(seen.AttrOr("from"), Occupant("lobby", "bob"));
    EXPECT_EQ(seen.AttrOr("type"), "unavailable");
    EXPECT_EQ(ChildText(seen, "status"), "bye");
    Join(bob, "lobby", "bob");
    alice.Receive();  // bob is back
  }                   // bob's connection closes without a word
  xml::Element gone = alice.Receive();
  EXPECT_EQ(gone.AttrOr("from"), Occupant("lobby", "bob"));
  EXPECT_EQ(gone.AttrOr("type"), "unavailable");
  // Once only, and bob's nick is free again.
  TestClient carol = Login("carol");
  Join(carol, "lobby", "bob");
  xml::Element next = alice.Receive();
  EXPECT_EQ(next.AttrOr("from"), Occupant("lobby", "bob"));
  EXPECT_EQ(next.AttrOr("type"), "");
}

// A temporary room disappears with its last occupant (§10.1.3 / §10.9).
TEST_P(MucOccupant, TemporaryRoomGoesWithLastOccupant) {
  TestClient alice = Login("alice");
  CreateInstant(alice, "brief", "alice");
  alice.Send("<presence type='unavailable' to='" + Occupant("brief", "alice") + "'/>");
  ReceiveUntil(alice, IsSelfPresence);
  xml::Element info =
      Iq(alice, RoomJid("brief"), "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  EXPECT_THAT(info, IsIqError(info.AttrOr("id"), "item-not-found"));
  // Joining again creates it anew.
  EXPECT_EQ(Codes(Join(alice, "brief", "alice")).count(201), 1u);
}

// §6.4: disco#info on a room: features of its configuration and the muc#roominfo form.
TEST_P(MucOccupant, RoomInfo) {
  TestClient alice = Login("alice");
  CreateInstant(alice, "info", "alice",
                {{"muc#roomconfig_roomname", "Info Room"},
                 {"muc#roomconfig_roomdesc", "All about it"},
                 {"muc#roomconfig_moderatedroom", "1"},
                 {"muc#roomconfig_whois", "anyone"}});
  xml::Element info =
      Iq(alice, RoomJid("info"), "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  ASSERT_THAT(info, IsIqResult(info.AttrOr("id")));
  EXPECT_EQ(info.Child("query")->Child("identity")->AttrOr("name"), "Info Room");
  std::vector<std::string> f = Features(info);
  for (const char* want : {kNsMuc, "muc_public", "muc_temporary", "muc_open", "muc_moderated",
                           "muc_unsecured", "muc_nonanonymous"}) {
    EXPECT_THAT(f, Contains(want));
  }
  EXPECT_THAT(f, Not(Contains("muc_hidden")));
  const xml::Element* form = info.Child("query")->Child("x", kNsData);
  ASSERT_NE(form, nullptr);
  std::map<std::string, std::string> values;
  for (const xml::Element& field : form->Children()) {
    if (field.IsText() || field.Name() != "field") continue;
    const xml::Element* v = field.Child("value");
    values[std::string(field.AttrOr("var"))] = v ? v->Text() : "";
  }
  EXPECT_EQ(values["FORM_TYPE"], "http://jabber.org/protocol/muc#roominfo");
  EXPECT_EQ(values["muc#roominfo_description"], "All about it");
  EXPECT_EQ(values["muc#roominfo_occupants"], "1");
  // Nonexistent rooms are item-not-found.
  xml::Element none =
      Iq(alice, RoomJid("nope"), "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  EXPECT_THAT(none, IsIqError(none.AttrOr("id"), "item-not-found"));
}

}  // namespace
}  // namespace parley::testing_util::muc_test

namespace parley::testing_util::muc_test {
namespace {

// [[muc.rooms]]: administrators predefine rooms (name, description); they exist at start-up,
// unlocked, public and persistent, with no owner.
TEST_P(MucOccupant, PredefinedRoomsFromTheConfiguration) {
  TestServer::Options options;
  options.muc.rooms = {{"dev", "Developers", "Talk about code"}, {"ops", "", ""}};
  Start(options);
  TestClient alice = Login("alice");
  xml::Element items =
      Iq(alice, kService, "get", "<query xmlns='http://jabber.org/protocol/disco#items'/>");
  EXPECT_THAT(Items(items),
              ElementsAre(std::pair<std::string, std::string>(RoomJid("dev"), "Developers (0)"),
                          std::pair<std::string, std::string>(RoomJid("ops"), "ops (0)")));
  xml::Element self = Join(alice, "dev", "alice");
  EXPECT_EQ(Codes(self), (std::set<int>{110}));  // not created: no 201, not locked
  EXPECT_EQ(Item(self).AttrOr("affiliation"), "none");
  xml::Element info =
      Iq(alice, RoomJid("dev"), "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  EXPECT_THAT(Features(info), Contains("muc_persistent"));
  // Nobody owns it: the configuration form is not for users.
  xml::Element form =
      Iq(alice, RoomJid("dev"), "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  EXPECT_THAT(form, IsIqError(form.AttrOr("id"), "forbidden"));
}

}  // namespace
}  // namespace parley::testing_util::muc_test

namespace parley::testing_util::muc_test {
namespace {

// Iqs to an occupant JID are relayed between occupants without revealing real JIDs: a ping to
// the occupant's session, a vCard request to its account.
TEST_P(MucOccupant, IqsToOccupantsAreRelayed) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  TestClient carol = Login("carol");
  Join(alice, "lobby", "alice");
  Join(bob, "lobby", "bob");
  alice.Send("<iq type='get' id='rp1' to='" + Occupant("lobby", "bob") +
             "'><ping xmlns='urn:xmpp:ping'/></iq>");
  xml::Element ping = ReceiveUntil(bob, [](const xml::Element& e) { return e.Name() == "iq"; });
  EXPECT_EQ(ping.AttrOr("from"), Occupant("lobby", "alice"));
  EXPECT_EQ(ping.AttrOr("type"), "get");
  bob.Send("<iq type='result' id='" + std::string(ping.AttrOr("id")) + "' to='" +
           Occupant("lobby", "alice") + "'/>");
  xml::Element pong =
      ReceiveUntil(alice, [](const xml::Element& e) { return e.AttrOr("id") == "rp1"; });
  EXPECT_THAT(pong, IsIqResult("rp1"));
  EXPECT_EQ(pong.AttrOr("from"), Occupant("lobby", "bob"));
  // bob's vCard, answered by the server for bob's account.
  bob.Send("<iq type='set' id='v1'><vCard xmlns='vcard-temp'><FN>Bob B</FN></vCard></iq>");
  ASSERT_THAT(ReceiveUntil(bob, [](const xml::Element& e) { return e.AttrOr("id") == "v1"; }),
              IsIqResult("v1"));
  xml::Element card = Iq(alice, Occupant("lobby", "bob"), "get", "<vCard xmlns='vcard-temp'/>");
  ASSERT_THAT(card, IsIqResult(card.AttrOr("id")));
  EXPECT_EQ(card.AttrOr("from"), Occupant("lobby", "bob"));
  const xml::Element* vcard = card.Child("vCard");
  ASSERT_NE(vcard, nullptr);
  EXPECT_EQ(ChildText(*vcard, "FN"), "Bob B");
  // Not for non-occupants, nor to nicks that are not there.
  xml::Element refused =
      Iq(carol, Occupant("lobby", "bob"), "get", "<ping xmlns='urn:xmpp:ping'/>");
  EXPECT_THAT(refused, IsIqError(refused.AttrOr("id"), "not-acceptable"));
  xml::Element missing =
      Iq(alice, Occupant("lobby", "nobody"), "get", "<ping xmlns='urn:xmpp:ping'/>");
  EXPECT_THAT(missing, IsIqError(missing.AttrOr("id"), "item-not-found"));
}

}  // namespace
}  // namespace parley::testing_util::muc_test
