// XEP-0045 transcripts, the moderator's, admin's and owner's side, with one shard and with two:
// the configuration form, passwords, members-only rooms, limits, kick, ban, voice in moderated
// rooms, affiliations, invitations (mediated and XEP-0249 direct), destruction, and persistent
// rooms across a restart.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "muc_test_util.hpp"

namespace parley::testing_util::muc_test {
namespace {

using ::testing::Contains;

class MucAdmin : public MucTest {};

INSTANTIATE_TEST_SUITE_P(Shards, MucAdmin, ::testing::Values(1, 2),
                         [](const auto& info) { return std::to_string(info.param) + "Shards"; });

std::map<std::string, std::string> FormValues(const xml::Element& iq) {
  std::map<std::string, std::string> out;
  const xml::Element* q = iq.Child("query");
  const xml::Element* x = q ? q->Child("x", kNsData) : nullptr;
  if (!x) return out;
  for (const xml::Element& f : x->Children()) {
    if (f.IsText() || f.Name() != "field") continue;
    const xml::Element* v = f.Child("value");
    out[std::string(f.AttrOr("var"))] = v ? v->Text() : "";
  }
  return out;
}

bool PresenceFrom(const xml::Element& e, const std::string& from, std::string_view type = "") {
  return e.Name() == "presence" && e.AttrOr("from") == from && e.AttrOr("type") == type;
}

// §10.1.3, §10.2: the owner reads the form, submits it; only owners may.
TEST_P(MucAdmin, ConfigurationForm) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  Join(alice, "conf", "alice");
  xml::Element form =
      Iq(alice, RoomJid("conf"), "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  ASSERT_THAT(form, IsIqResult(form.AttrOr("id")));
  std::map<std::string, std::string> values = FormValues(form);
  EXPECT_EQ(values["FORM_TYPE"], "http://jabber.org/protocol/muc#roomconfig");
  for (const char* var :
       {"muc#roomconfig_roomname", "muc#roomconfig_roomdesc", "muc#roomconfig_publicroom",
        "muc#roomconfig_persistentroom", "muc#roomconfig_membersonly",
        "muc#roomconfig_moderatedroom", "muc#roomconfig_passwordprotectedroom",
        "muc#roomconfig_roomsecret", "muc#roomconfig_maxusers", "muc#roomconfig_historylength",
        "muc#roomconfig_whois"}) {
    EXPECT_EQ(values.count(var), 1u) << var;
  }
  EXPECT_EQ(values["muc#roomconfig_publicroom"], "1");
  EXPECT_EQ(values["muc#roomconfig_persistentroom"], "0");
  Configure(alice, "conf",
            {{"muc#roomconfig_roomname", "Configured"},
             {"muc#roomconfig_persistentroom", "1"},
             {"muc#roomconfig_historylength", "5"}});
  values = FormValues(
      Iq(alice, RoomJid("conf"), "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>"));
  EXPECT_EQ(values["muc#roomconfig_roomname"], "Configured");
  EXPECT_EQ(values["muc#roomconfig_persistentroom"], "1");
  EXPECT_EQ(values["muc#roomconfig_historylength"], "5");
  // Bad values are refused and change nothing.
  xml::Element bad = Iq(alice, RoomJid("conf"), "set",
                        "<query xmlns='http://jabber.org/protocol/muc#owner'>" +
                            ConfigForm({{"muc#roomconfig_maxusers", "100000"}}) + "</query>");
  EXPECT_THAT(bad, IsIqError(bad.AttrOr("id"), "not-acceptable"));
  bad = Iq(alice, RoomJid("conf"), "set",
           "<query xmlns='http://jabber.org/protocol/muc#owner'>" +
               ConfigForm({{"muc#roomconfig_passwordprotectedroom", "1"}}) + "</query>");
  EXPECT_THAT(bad, IsIqError(bad.AttrOr("id"), "not-acceptable"));
  // The occupants hear of a change (104).
  Join(bob, "conf", "bob");
  Configure(alice, "conf", {{"muc#roomconfig_roomdesc", "new"}});
  xml::Element notice = ReceiveUntil(
      bob, [](const xml::Element& e) { return e.Name() == "message" && !Codes(e).empty(); });
  EXPECT_EQ(Codes(notice), (std::set<int>{104}));
  // Not an owner.
  xml::Element refused =
      Iq(bob, RoomJid("conf"), "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  EXPECT_THAT(refused, IsIqError(refused.AttrOr("id"), "forbidden"));
}

// §7.2.5: a password-protected room wants the password.
TEST_P(MucAdmin, Password) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  CreateInstant(alice, "safe", "alice",
                {{"muc#roomconfig_passwordprotectedroom", "1"},
                 {"muc#roomconfig_roomsecret", "open sesame"}});
  SendJoin(bob, "safe", "bob");
  EXPECT_EQ(StanzaErrorCondition(bob.Receive()), "not-authorized");
  SendJoin(bob, "safe", "bob", "<password>wrong</password>");
  EXPECT_EQ(StanzaErrorCondition(bob.Receive()), "not-authorized");
  Join(bob, "safe", "bob", "<password>open sesame</password>");
}

// §7.2.6, §9.3: members-only rooms take members only; an admin grants membership.
TEST_P(MucAdmin, MembersOnly) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  CreateInstant(alice, "club", "alice", {{"muc#roomconfig_membersonly", "1"}});
  SendJoin(bob, "club", "bob");
  EXPECT_EQ(StanzaErrorCondition(bob.Receive()), "registration-required");
  xml::Element granted = Admin(alice, "club", "set",
                               "<item affiliation='member' jid='" + server_->Bare("bob") + "'/>");
  EXPECT_THAT(granted, IsIqResult(granted.AttrOr("id")));
  xml::Element self = Join(bob, "club", "bob");
  EXPECT_EQ(Item(self).AttrOr("affiliation"), "member");
  xml::Element list = Admin(alice, "club", "get", "<item affiliation='member'/>");
  ASSERT_THAT(list, IsIqResult(list.AttrOr("id")));
  const xml::Element* item = list.Child("query")->Child("item");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->AttrOr("jid"), server_->Bare("bob"));
  // Taking the membership away removes bob (321).
  Admin(alice, "club", "set", "<item affiliation='none' jid='" + server_->Bare("bob") + "'/>");
  xml::Element out = ReceiveUntil(bob, [](const xml::Element& e) {
    return e.Name() == "presence" && e.AttrOr("type") == "unavailable";
  });
  EXPECT_EQ(Codes(out), (std::set<int>{110, 321}));
}

// §7.2.10: a full room is service-unavailable.
TEST_P(MucAdmin, MaxOccupants) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  CreateInstant(alice, "tiny", "alice", {{"muc#roomconfig_maxusers", "1"}});
  SendJoin(bob, "tiny", "bob");
  EXPECT_EQ(StanzaErrorCondition(bob.Receive()), "service-unavailable");
}

// §8.2: a moderator kicks a participant (307); a participant kicks nobody; nobody kicks an owner.
TEST_P(MucAdmin, Kick) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  TestClient carol = Login("carol");
  CreateInstant(alice, "k", "alice");
  Join(bob, "k", "bob");
  Join(carol, "k", "carol");
  xml::Element refused = Admin(bob, "k", "set", "<item nick='carol' role='none'/>");
  EXPECT_THAT(refused, IsIqError(refused.AttrOr("id"), "forbidden"));
  xml::Element ok =
      Admin(alice, "k", "set", "<item nick='bob' role='none'><reason>Spam</reason></item>");
  EXPECT_THAT(ok, IsIqResult(ok.AttrOr("id")));
  xml::Element kicked = ReceiveUntil(bob, [](const xml::Element& e) {
    return e.Name() == "presence" && e.AttrOr("type") == "unavailable";
  });
  EXPECT_EQ(Codes(kicked), (std::set<int>{110, 307}));
  EXPECT_EQ(Item(kicked).AttrOr("role"), "none");
  EXPECT_EQ(ChildText(Item(kicked), "reason"), "Spam");
  xml::Element seen = ReceiveUntil(carol, [&](const xml::Element& e) {
    return PresenceFrom(e, Occupant("k", "bob"), "unavailable");
  });
  EXPECT_EQ(Codes(seen), (std::set<int>{307}));
  // bob is no longer an occupant.
  Say(bob, "k", "still here?", "x1");
  EXPECT_THAT(ReceiveUntil(bob, [](const xml::Element& e) { return e.AttrOr("id") == "x1"; }),
              IsMessageError("x1", "not-acceptable"));
  // Admins and owners cannot be kicked (§8.2).
  Admin(alice, "k", "set", "<item affiliation='admin' jid='" + server_->Bare("carol") + "'/>");
  xml::Element not_allowed = Admin(alice, "k", "set", "<item nick='carol' role='none'/>");
  EXPECT_THAT(not_allowed, IsIqError(not_allowed.AttrOr("id"), "not-allowed"));
}

// §9.1: a ban removes the user (301) and keeps them out; the outcast list shows them.
TEST_P(MucAdmin, Ban) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  CreateInstant(alice, "b", "alice");
  Join(bob, "b", "bob");
  xml::Element ok =
      Admin(alice, "b", "set", "<item affiliation='outcast' jid='" + server_->Bare("bob") + "'/>");
  EXPECT_THAT(ok, IsIqResult(ok.AttrOr("id")));
  xml::Element banned = ReceiveUntil(bob, [](const xml::Element& e) {
    return e.Name() == "presence" && e.AttrOr("type") == "unavailable";
  });
  EXPECT_EQ(Codes(banned), (std::set<int>{110, 301}));
  EXPECT_EQ(Item(banned).AttrOr("affiliation"), "outcast");
  SendJoin(bob, "b", "bob");
  EXPECT_EQ(StanzaErrorCondition(bob.Receive()), "forbidden");
  xml::Element list = Admin(alice, "b", "get", "<item affiliation='outcast'/>");
  ASSERT_THAT(list, IsIqResult(list.AttrOr("id")));
  EXPECT_EQ(list.Child("query")->Child("item")->AttrOr("jid"), server_->Bare("bob"));
  // Non-admins may not read or change lists.
  TestClient carol = Login("carol");
  Join(carol, "b", "carol");
  xml::Element refused = Admin(carol, "b", "get", "<item affiliation='outcast'/>");
  EXPECT_THAT(refused, IsIqError(refused.AttrOr("id"), "forbidden"));
  refused = Admin(carol, "b", "set", "<item affiliation='member' jid='x@parley.test'/>");
  EXPECT_THAT(refused, IsIqError(refused.AttrOr("id"), "forbidden"));
}

// §8.3, §8.4: in a moderated room a newcomer without affiliation is a visitor without voice until a
// moderator grants it.
TEST_P(MucAdmin, VoiceInModeratedRoom) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  CreateInstant(alice, "mod", "alice", {{"muc#roomconfig_moderatedroom", "1"}});
  xml::Element self = Join(bob, "mod", "bob");
  EXPECT_EQ(Item(self).AttrOr("role"), "visitor");
  Say(bob, "mod", "may I?", "v1");
  EXPECT_THAT(ReceiveUntil(bob, [](const xml::Element& e) { return e.AttrOr("id") == "v1"; }),
              IsMessageError("v1", "forbidden"));
  xml::Element ok = Admin(alice, "mod", "set", "<item nick='bob' role='participant'/>");
  EXPECT_THAT(ok, IsIqResult(ok.AttrOr("id")));
  xml::Element voiced = ReceiveUntil(bob, IsSelfPresence);
  EXPECT_EQ(Item(voiced).AttrOr("role"), "participant");
  Say(bob, "mod", "thanks", "v2");
  xml::Element heard = NextGroupchat(alice);
  EXPECT_EQ(ChildText(heard, "body"), "thanks");
  // Granting moderator is for admins: bob as participant cannot; alice (owner) can.
  xml::Element refused = Admin(bob, "mod", "set", "<item nick='alice' role='visitor'/>");
  EXPECT_THAT(refused, IsIqError(refused.AttrOr("id"), "forbidden"));
  ok = Admin(alice, "mod", "set", "<item nick='bob' role='moderator'/>");
  EXPECT_THAT(ok, IsIqResult(ok.AttrOr("id")));
  xml::Element list = Admin(alice, "mod", "get", "<item role='moderator'/>");
  ASSERT_THAT(list, IsIqResult(list.AttrOr("id")));
  int moderators = 0;
  for (const xml::Element& c : list.Child("query")->Children()) moderators += c.IsText() ? 0 : 1;
  EXPECT_EQ(moderators, 2);
}

// §10.3, §10.6: owners grant ownership; the last owner cannot step down.
TEST_P(MucAdmin, OwnersAndAdmins) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  CreateInstant(alice, "own", "alice");
  Join(bob, "own", "bob");
  xml::Element last = Admin(alice, "own", "set",
                            "<item affiliation='member' jid='" + server_->Bare("alice") + "'/>");
  EXPECT_THAT(last, IsIqError(last.AttrOr("id"), "conflict"));
  xml::Element ok =
      Admin(alice, "own", "set", "<item affiliation='owner' jid='" + server_->Bare("bob") + "'/>");
  EXPECT_THAT(ok, IsIqResult(ok.AttrOr("id")));
  xml::Element promoted = ReceiveUntil(bob, IsSelfPresence);
  EXPECT_EQ(Item(promoted).AttrOr("affiliation"), "owner");
  EXPECT_EQ(Item(promoted).AttrOr("role"), "moderator");
  xml::Element form =
      Iq(bob, RoomJid("own"), "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  EXPECT_THAT(form, IsIqResult(form.AttrOr("id")));
  xml::Element owners = Admin(bob, "own", "get", "<item affiliation='owner'/>");
  ASSERT_THAT(owners, IsIqResult(owners.AttrOr("id")));
  int n = 0;
  for (const xml::Element& c : owners.Child("query")->Children()) n += c.IsText() ? 0 : 1;
  EXPECT_EQ(n, 2);
}

// §7.8.2 mediated invitations and declines; XEP-0249 direct invitations pass through.
TEST_P(MucAdmin, Invitations) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  CreateInstant(alice, "party", "alice");
  // Invitations and declines go to bare JIDs: both must be available (RFC 6121 §8.5.2).
  for (TestClient* c : {&alice, &bob}) {
    c->IgnorePresence(true);
    c->Available(0);
    c->IgnorePresence(false);
  }
  alice.Send("<message to='" + RoomJid("party") + "'><x xmlns='" + kNsMucUser + "'><invite to='" +
             server_->Bare("bob") + "'><reason>Come along</reason></invite></x></message>");
  xml::Element invite =
      ReceiveUntil(bob, [](const xml::Element& e) { return e.Name() == "message"; });
  EXPECT_EQ(invite.AttrOr("from"), RoomJid("party"));
  const xml::Element* x = invite.Child("x", kNsMucUser);
  ASSERT_NE(x, nullptr);
  ASSERT_NE(x->Child("invite"), nullptr);
  EXPECT_EQ(x->Child("invite")->AttrOr("from"), server_->Bare("alice"));
  EXPECT_EQ(ChildText(*x->Child("invite"), "reason"), "Come along");
  bob.Send("<message to='" + RoomJid("party") + "'><x xmlns='" + kNsMucUser + "'><decline to='" +
           server_->Bare("alice") + "'><reason>Busy</reason></decline></x></message>");
  xml::Element decline =
      ReceiveUntil(alice, [](const xml::Element& e) { return e.Name() == "message"; });
  const xml::Element* dx = decline.Child("x", kNsMucUser);
  ASSERT_NE(dx, nullptr);
  ASSERT_NE(dx->Child("decline"), nullptr);
  EXPECT_EQ(dx->Child("decline")->AttrOr("from"), server_->Bare("bob"));
  // A non-occupant cannot invite.
  TestClient carol = Login("carol");
  carol.Send("<message id='i3' to='" + RoomJid("party") + "'><x xmlns='" + kNsMucUser +
             "'><invite to='" + server_->Bare("bob") + "'/></x></message>");
  EXPECT_THAT(ReceiveUntil(carol, [](const xml::Element& e) { return e.AttrOr("id") == "i3"; }),
              IsMessageError("i3", "not-acceptable"));
  // XEP-0249: from user to user, untouched.
  alice.Send("<message id='d1' to='" + server_->Bare("bob") +
             "/pc'><x xmlns='jabber:x:conference' jid='" + RoomJid("party") +
             "' reason='Join us'/></message>");
  xml::Element direct =
      ReceiveUntil(bob, [](const xml::Element& e) { return e.AttrOr("id") == "d1"; });
  const xml::Element* cx = direct.Child("x", "jabber:x:conference");
  ASSERT_NE(cx, nullptr);
  EXPECT_EQ(cx->AttrOr("jid"), RoomJid("party"));
}

// §10.9: the owner destroys the room; occupants get <destroy/>; the room is gone.
TEST_P(MucAdmin, Destroy) {
  TestClient alice = Login("alice");
  TestClient bob = Login("bob");
  CreateInstant(alice, "doomed", "alice", {{"muc#roomconfig_persistentroom", "1"}});
  Join(bob, "doomed", "bob");
  xml::Element refused =
      Iq(bob, RoomJid("doomed"), "set",
         "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query>");
  EXPECT_THAT(refused, IsIqError(refused.AttrOr("id"), "forbidden"));
  xml::Element ok = Iq(alice, RoomJid("doomed"), "set",
                       "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy jid='" +
                           RoomJid("lobby") + "'><reason>Moved</reason></destroy></query>");
  EXPECT_THAT(ok, IsIqResult(ok.AttrOr("id")));
  xml::Element gone = ReceiveUntil(bob, [](const xml::Element& e) {
    return e.Name() == "presence" && e.AttrOr("type") == "unavailable";
  });
  const xml::Element* d = gone.Child("x", kNsMucUser)->Child("destroy");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->AttrOr("jid"), RoomJid("lobby"));
  EXPECT_EQ(ChildText(*d, "reason"), "Moved");
  xml::Element info =
      Iq(bob, RoomJid("doomed"), "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  EXPECT_THAT(info, IsIqError(info.AttrOr("id"), "item-not-found"));
}

// Persistent rooms keep configuration, subject and affiliations across a restart; the predefined
// lobby exists at start-up, unlocked and public.
TEST_P(MucAdmin, PersistentRoomsSurviveRestart) {
  std::string dir =
      (std::filesystem::temp_directory_path() /
       ("parley-muc-" + std::to_string(::getpid()) + "-" + std::to_string(GetParam())))
          .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  TestServer::Options options;
  options.data_dir = dir;
  Start(options);
  {
    TestClient alice = Login("alice");
    CreateInstant(alice, "keep", "alice",
                  {{"muc#roomconfig_persistentroom", "1"},
                   {"muc#roomconfig_membersonly", "1"},
                   {"muc#roomconfig_roomname", "Kept"}});
    Admin(alice, "keep", "set", "<item affiliation='member' jid='" + server_->Bare("bob") + "'/>");
    alice.Send("<message type='groupchat' to='" + RoomJid("keep") +
               "'><subject>Remember me</subject></message>");
    ReceiveUntil(alice, IsSubject);
    CreateInstant(alice, "temp", "alice");
  }
  server_.reset();  // drains the db pool
  Start(options);
  {
    TestClient bob = Login("bob");
    TestClient carol = Login("carol");
    xml::Element info =
        Iq(bob, RoomJid("keep"), "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    ASSERT_THAT(info, IsIqResult(info.AttrOr("id")));
    EXPECT_EQ(info.Child("query")->Child("identity")->AttrOr("name"), "Kept");
    SendJoin(bob, "keep", "bob");
    xml::Element self = ReceiveUntil(bob, IsSelfPresence);
    EXPECT_EQ(Item(self).AttrOr("affiliation"), "member");
    xml::Element subject = ReceiveUntil(bob, IsSubject);
    EXPECT_EQ(ChildText(subject, "subject"), "Remember me");
    SendJoin(carol, "keep", "carol");
    EXPECT_EQ(StanzaErrorCondition(carol.Receive()), "registration-required");
    xml::Element temp =
        Iq(bob, RoomJid("temp"), "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    EXPECT_THAT(temp, IsIqError(temp.AttrOr("id"), "item-not-found"));
    xml::Element lobby = Iq(carol, RoomJid("lobby"), "get",
                            "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    ASSERT_THAT(lobby, IsIqResult(lobby.AttrOr("id")));
    std::vector<std::string> features;
    for (const xml::Element& c : lobby.Child("query")->Children()) {
      if (!c.IsText() && c.Name() == "feature") features.emplace_back(c.AttrOr("var"));
    }
    EXPECT_THAT(features, Contains("muc_persistent"));
    EXPECT_THAT(features, Contains("muc_public"));
  }  // the clients go before the server (TestServer expects that)
  server_.reset();
  std::filesystem::remove_all(dir);
}

// [muc] enabled = false: no service, and the domain is unknown.
TEST_P(MucAdmin, DisabledService) {
  TestServer::Options options;
  options.muc.enabled = false;
  Start(options);
  TestClient alice = Login("alice");
  SendJoin(alice, "lobby", "alice");
  EXPECT_EQ(StanzaErrorCondition(alice.Receive()), "remote-server-not-found");
}

// [muc] max_rooms: creating one more room is not-allowed.
TEST_P(MucAdmin, RoomLimit) {
  TestServer::Options options;
  options.muc.max_rooms = 2;  // the lobby and one more
  Start(options);
  TestClient alice = Login("alice");
  CreateInstant(alice, "first", "alice");
  SendJoin(alice, "second", "alice");
  EXPECT_EQ(StanzaErrorCondition(alice.Receive()), "not-allowed");
}

}  // namespace
}  // namespace parley::testing_util::muc_test
