"""Multi-user chat (XEP-0045), the owner's and moderator's side: room creation (instant and
reserved), the configuration form, anonymity, roles and affiliations (kick, ban, member, moderator,
admin, owner), members-only and moderated rooms, password protection, the occupant limit,
invitations (mediated, and XEP-0249 direct) and destroying a room.

One server for the module; every test uses fresh accounts and rooms."""

import servers
from muc_clients import (NS_CONFERENCE, NS_MUC_USER, close_all, from_occupant, make_accounts,
                         muc_item, muc_login, muc_logins, new_room, q, status_codes, wait_all, xml_of)
from xmpp_client import run, unique

CONFIG_FIELDS = ("muc#roomconfig_roomname", "muc#roomconfig_roomdesc", "muc#roomconfig_publicroom",
                 "muc#roomconfig_persistentroom", "muc#roomconfig_membersonly",
                 "muc#roomconfig_moderatedroom", "muc#roomconfig_roomsecret", "muc#roomconfig_whois")
# In XEP-0045's registry, absent from Prosody 0.12's form (it has no occupant limit, and a secret
# alone protects a room).
CONFIG_FIELDS_PARLEYD = ("muc#roomconfig_maxusers", "muc#roomconfig_passwordprotectedroom")


def _value(form: dict, var: str) -> list:
    return form.get(var, {}).get("values")


# --- creation (§10.1) ---------------------------------------------------------------------------------

def test_instant_room_locked_until_owner_accepts_defaults(server):
    """§10.1.1-2: a join creates the room with status 201 and the creator as owner; until the owner
    submits the (empty) configuration form others get <item-not-found/>; afterwards they can join."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            p = await a.join(room, "alice")
            assert 201 in status_codes(p), xml_of(p)
            assert muc_item(p).get("affiliation") == "owner", xml_of(p)
            assert await b.join_error(room, "bob") == "item-not-found"
            await a.submit_config(room, {})
            await b.join(room, "bob")
        finally:
            await close_all(a, b)
    run(go())


def test_reserved_room_configuration_form(server):
    """§10.1.3, §10.2: the owner gets the muc#roomconfig form with the standard fields, submits it,
    and the room has that configuration (form values read back, disco#info features)."""
    alice, = make_accounts(server, "alice")
    room, name, desc = new_room(server), "Conf " + unique(""), "Described " + unique("")
    parleyd = servers.server_kind() == "parleyd"

    async def go():
        a, = await muc_logins(server, [alice])
        try:
            await a.join(room, "alice")
            form = await a.get_config(room)
            required = CONFIG_FIELDS + (CONFIG_FIELDS_PARLEYD if parleyd else ())
            missing = [v for v in required if v not in form]
            assert not missing, f"missing fields {missing}; the form has {sorted(form)}"
            history = await a.history_field(room)
            assert form["muc#roomconfig_whois"]["type"] == "list-single"
            assert {"moderators", "anyone"} <= set(form["muc#roomconfig_whois"]["options"]), form
            fields = {"muc#roomconfig_roomname": name, "muc#roomconfig_roomdesc": desc,
                      "muc#roomconfig_publicroom": False, "muc#roomconfig_persistentroom": True,
                      "muc#roomconfig_membersonly": True, "muc#roomconfig_moderatedroom": True,
                      "muc#roomconfig_passwordprotectedroom": True,
                      "muc#roomconfig_roomsecret": "s3cret", "muc#roomconfig_whois": "anyone",
                      history: 7}
            if parleyd:
                fields["muc#roomconfig_maxusers"] = 10
            await a.submit_config(room, fields)
            form = await a.get_config(room)
            assert _value(form, "muc#roomconfig_roomname") == [name]
            assert _value(form, "muc#roomconfig_roomdesc") == [desc]
            for var in ("muc#roomconfig_persistentroom", "muc#roomconfig_membersonly",
                        "muc#roomconfig_moderatedroom") + \
                    (("muc#roomconfig_passwordprotectedroom",) if parleyd else ()):
                assert _value(form, var) in (["1"], ["true"]), (var, form.get(var))
            assert _value(form, "muc#roomconfig_publicroom") in (["0"], ["false"]), form
            assert _value(form, "muc#roomconfig_whois") == ["anyone"]
            assert _value(form, history) == ["7"], form.get(history)
            if parleyd:
                assert _value(form, "muc#roomconfig_maxusers") == ["10"], form.get("muc#roomconfig_maxusers")
            _, features, _ = await a.disco_info(room)
            for f in ("muc_hidden", "muc_persistent", "muc_membersonly", "muc_moderated",
                      "muc_passwordprotected", "muc_nonanonymous"):
                assert f in features, (f, sorted(features))
            # Tidy up: a persistent room would outlive the test.
            await a["xep_0045"].destroy(room, timeout=10)
        finally:
            await close_all(a)
    run(go())


def test_configuration_is_for_owners_only(server):
    """§10.2: a non-owner asking for or submitting the configuration form gets <forbidden/>."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_instant(room, "alice")
            await b.join(room, "bob")
            assert await b.iq_error(b.get_config(room)) == "forbidden"
            assert await b.iq_error(b.submit_config(room, {"muc#roomconfig_roomname": "mine"})) == "forbidden"
        finally:
            await close_all(a, b)
    run(go())


# --- anonymity (§7.2.3-4) ----------------------------------------------------------------------------

def test_real_jids_public_status_100(server):
    """A non-anonymous room (whois=anyone): the self-presence carries 100 and every occupant sees
    the others' real JIDs."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_reserved(room, "alice", {"muc#roomconfig_whois": "anyone"})
            p = await b.join(room, "bob")
            assert 100 in status_codes(p), xml_of(p)
            seen = await b.next_presence(from_occupant(room, "alice", "available"))
            assert muc_item(seen).get("jid", "").split("/")[0] == a.boundjid.bare, xml_of(seen)
            assert muc_item(seen)["jid"] == a.boundjid.full, xml_of(seen)
        finally:
            await close_all(a, b)
    run(go())


def test_semi_anonymous_room_hides_real_jids(server):
    """A semi-anonymous room (whois=moderators): no 100; a participant does not see real JIDs, a
    moderator does."""
    alice, bob, carol = make_accounts(server, "alice", "bob", "carol")
    room = new_room(server)

    async def go():
        a, b, c = await muc_logins(server, [alice, bob, carol])
        try:
            await a.create_reserved(room, "alice", {"muc#roomconfig_whois": "moderators"})
            p = await b.join(room, "bob")
            assert 100 not in status_codes(p), xml_of(p)
            await c.join(room, "carol")
            seen = await b.next_presence(from_occupant(room, "carol", "available"),
                                         what="carol's presence at bob")
            assert "jid" not in muc_item(seen), f"a participant saw a real JID: {xml_of(seen)}"
            at_mod = await a.next_presence(from_occupant(room, "carol", "available"),
                                           what="carol's presence at the moderator")
            assert muc_item(at_mod).get("jid") == c.boundjid.full, xml_of(at_mod)
        finally:
            await close_all(a, b, c)
    run(go())


# --- roles and affiliations (§8, §9, §10) ------------------------------------------------------------

def test_kick(server):
    """§8.2: a moderator sets a participant's role to none: the kicked occupant gets unavailable with
    307 (and 110), the others with 307; a participant may not kick (<not-allowed/> or <forbidden/>
    per §8.2 wording: not-allowed); the kicked user may come back."""
    alice, bob, carol = make_accounts(server, "alice", "bob", "carol")
    room = new_room(server)

    async def go():
        a, b, c = await muc_logins(server, [alice, bob, carol])
        try:
            await a.create_instant(room, "alice")
            await b.join(room, "bob")
            await c.join(room, "carol")
            cond = await c.iq_error(c.admin_set(room, [{"nick": "bob", "role": "none"}]))
            assert cond in ("not-allowed", "forbidden"), cond
            await a["xep_0045"].set_role(room, "bob", "none", reason="behave", timeout=10)
            own = await b.next_presence(from_occupant(room, "bob", "unavailable"),
                                        what="bob's own kick presence")
            assert {307, 110} <= status_codes(own), xml_of(own)
            assert muc_item(own).get("role") == "none"
            assert muc_item(own).get("reason") == "behave", xml_of(own)
            for who in (a, c):
                p = await who.next_presence(from_occupant(room, "bob", "unavailable"),
                                            what="bob's kick at another occupant")
                assert 307 in status_codes(p) and 110 not in status_codes(p), xml_of(p)
            a.groupchat(room, "bob is out")
            await c.next_groupchat(room, "bob is out")
            await b.settle()
            assert not [m for m in b.pending_stanzas() if m["body"] == "bob is out"]
            await b.join(room, "bob")  # a kick is not a ban
        finally:
            await close_all(a, b, c)
    run(go())


def test_ban(server):
    """§9.1: an admin sets a user's affiliation to outcast: the occupant gets unavailable with 301,
    the others too; the outcast list names the user; joining again gets <forbidden/>."""
    alice, bob, carol = make_accounts(server, "alice", "bob", "carol")
    room = new_room(server)

    async def go():
        a, b, c = await muc_logins(server, [alice, bob, carol])
        try:
            await a.create_instant(room, "alice")
            await b.join(room, "bob")
            await c.join(room, "carol")
            await a["xep_0045"].set_affiliation(room, "outcast", jid=b.boundjid.bare, reason="out",
                                                timeout=10)
            own = await b.next_presence(from_occupant(room, "bob", "unavailable"),
                                        what="bob's own ban presence")
            assert {301, 110} <= status_codes(own), xml_of(own)
            assert muc_item(own).get("affiliation") == "outcast", xml_of(own)
            p = await c.next_presence(from_occupant(room, "bob", "unavailable"), what="the ban at carol")
            assert 301 in status_codes(p), xml_of(p)
            outcasts = await a["xep_0045"].get_affiliation_list(room, "outcast", timeout=10)
            assert [str(j) for j in outcasts] == [b.boundjid.bare], outcasts
            assert await b.join_error(room, "bob") == "forbidden"
            assert await b.join_error(room, "other-nick") == "forbidden"
        finally:
            await close_all(a, b, c)
    run(go())


def test_grant_member_moderator_admin_owner(server):
    """§9.3, §8.4, §10.6, §10.3: the owner grants membership, moderator role, admin and owner
    affiliations; each change is broadcast as the occupant's presence with the new affiliation/role,
    shows in the lists, and gives the rights that go with it."""
    alice, bob, carol, dave, erin = make_accounts(server, "alice", "bob", "carol", "dave", "erin")
    room = new_room(server)

    def change(nick, **attrs):
        def pred(p):
            item = muc_item(p)
            return (from_occupant(room, nick, "available")(p)
                    and all(item.get(k) == v for k, v in attrs.items()))
        return pred

    async def go():
        a, b, c, d, e = await muc_logins(server, [alice, bob, carol, dave, erin])
        try:
            await a.create_instant(room, "alice")
            await b.join(room, "bob")
            await c.join(room, "carol")
            await d.join(room, "dave")
            await e.join(room, "erin")
            # A participant may not read the member list (§9.5: admins only).
            assert await d.iq_error(d.admin_list(room, affiliation="member")) in ("forbidden", "not-allowed")

            await a.admin_set(room, [{"jid": d.boundjid.bare, "affiliation": "member"}])
            await c.next_presence(change("dave", affiliation="member", role="participant"),
                                  what="dave's membership broadcast")
            members = await a.admin_list(room, affiliation="member")
            assert d.boundjid.bare in [i.get("jid") for i in members], members

            await a.admin_set(room, [{"nick": "carol", "role": "moderator"}])
            await d.next_presence(change("carol", role="moderator"), what="carol's moderator broadcast")
            # ... and carol can now kick a participant.
            await c.admin_set(room, [{"nick": "erin", "role": "none"}])
            await a.next_presence(lambda p: from_occupant(room, "erin", "unavailable")(p)
                                  and 307 in status_codes(p), what="erin kicked by carol")

            await a.admin_set(room, [{"jid": b.boundjid.bare, "affiliation": "admin"}])
            await c.next_presence(change("bob", affiliation="admin", role="moderator"),
                                  what="bob's admin broadcast")
            members = await b.admin_list(room, affiliation="member")  # admins may read it
            assert d.boundjid.bare in [i.get("jid") for i in members], members
            admins = await a.admin_list(room, affiliation="admin")
            assert [i.get("jid") for i in admins] == [b.boundjid.bare], admins

            assert await c.iq_error(c.get_config(room)) == "forbidden"
            await a.admin_set(room, [{"jid": c.boundjid.bare, "affiliation": "owner"}])
            await b.next_presence(change("carol", affiliation="owner", role="moderator"),
                                  what="carol's owner broadcast")
            owners = await a.admin_list(room, affiliation="owner")
            assert sorted(i.get("jid") for i in owners) == sorted([a.boundjid.bare, c.boundjid.bare]), owners
            form = await c.get_config(room)  # an owner now
            assert "muc#roomconfig_roomname" in form
        finally:
            await close_all(a, b, c, d, e)
    run(go())


def test_privilege_limits(server):
    """Who may not do what to whom: a moderator may not revoke an owner's voice (§8.4, <not-allowed/>),
    an admin may not ban an owner (§9.1, <not-allowed/>), and the only owner may not give up
    ownership (§10.5, <conflict/>). Nothing changes."""
    alice, bob, carol = make_accounts(server, "alice", "bob", "carol")
    room = new_room(server)

    async def go():
        a, b, c = await muc_logins(server, [alice, bob, carol])
        try:
            await a.create_reserved(room, "alice", {"muc#roomconfig_moderatedroom": True})
            await b.join(room, "bob")
            await c.join(room, "carol")
            await a.admin_set(room, [{"jid": b.boundjid.bare, "affiliation": "admin"}])
            await a.admin_set(room, [{"nick": "carol", "role": "moderator"}])
            await c.next_presence(lambda p: from_occupant(room, "carol", "available")(p)
                                  and muc_item(p).get("role") == "moderator", what="carol's moderator role")
            cond = await c.iq_error(c.admin_set(room, [{"nick": "alice", "role": "visitor"}]))
            assert cond == "not-allowed", f"a moderator revoking an owner's voice: {cond}"
            cond = await b.iq_error(b.admin_set(room, [{"jid": a.boundjid.bare, "affiliation": "outcast"}]))
            assert cond == "not-allowed", f"an admin banning an owner: {cond}"
            cond = await a.iq_error(a.admin_set(room, [{"jid": a.boundjid.bare, "affiliation": "admin"}]))
            assert cond == "conflict", f"the only owner giving up ownership: {cond}"
            owners = [i.get("jid") for i in await a.admin_list(room, affiliation="owner")]
            assert owners == [a.boundjid.bare], owners
            await b.settle()
            assert not [p for p in b.pending_presences() if p["from"].full == f"{room}/alice"
                        and (p["type"] == "unavailable" or muc_item(p).get("role") != "moderator")], \
                "alice's role or presence changed"
        finally:
            await close_all(a, b, c)
    run(go())


def test_room_becoming_members_only_removes_non_members(server, expect_prosody_gap):
    """§9/§10.2: when a room is changed to members-only, non-members are removed with 322 in the
    unavailable presence sent to them and to the remaining occupants; members stay."""
    expect_prosody_gap("the remaining occupants get no 322 presence for the removed non-member")
    alice, bob, carol = make_accounts(server, "alice", "bob", "carol")
    room = new_room(server)

    async def go():
        a, b, c = await muc_logins(server, [alice, bob, carol])
        try:
            await a.create_instant(room, "alice")
            await a.admin_set(room, [{"jid": b.boundjid.bare, "affiliation": "member"}])
            await b.join(room, "bob")
            await c.join(room, "carol")
            await a.submit_config(room, {"muc#roomconfig_membersonly": True})
            own = await c.next_presence(from_occupant(room, "carol", "unavailable"),
                                        what="carol's removal")
            assert {322, 110} <= status_codes(own), xml_of(own)
            seen = await b.next_presence(from_occupant(room, "carol", "unavailable"),
                                         what="carol's removal at bob")
            assert 322 in status_codes(seen), xml_of(seen)
            a.groupchat(room, "members only now")
            await b.next_groupchat(room, "members only now")
            await c.settle()
            assert not [m for m in c.pending_stanzas() if m["body"] == "members only now"]
        finally:
            await close_all(a, b, c)
    run(go())


def test_temporary_room_goes_when_empty(server):
    """§4.2: a temporary room is destroyed when its last occupant leaves: disco#info says
    item-not-found, and the next join creates it again (201)."""
    alice, = make_accounts(server, "alice")
    room = new_room(server)

    async def go():
        a, = await muc_logins(server, [alice])
        try:
            await a.create_reserved(room, "alice", {"muc#roomconfig_persistentroom": False})
            a.leave(room, "alice")
            await a.next_presence(from_occupant(room, "alice", "unavailable"))
            assert await a.iq_error(a.disco_info(room)) == "item-not-found"
            p = await a.join(room, "alice")
            assert 201 in status_codes(p), xml_of(p)
        finally:
            await close_all(a)
    run(go())


def test_members_only_room(server):
    """§7.2.6: a members-only room refuses a non-member with <registration-required/>; once the owner
    grants membership the user can join, as a participant with affiliation member; revoking it
    removes the occupant with 321 (§9.4)."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_reserved(room, "alice", {"muc#roomconfig_membersonly": True})
            assert await b.join_error(room, "bob") == "registration-required"
            await a.admin_set(room, [{"jid": b.boundjid.bare, "affiliation": "member"}])
            p = await b.join(room, "bob")
            assert muc_item(p).get("affiliation") == "member", xml_of(p)
            # §9.4: revoking the membership of an occupant of a members-only room removes them (321).
            await a.admin_set(room, [{"jid": b.boundjid.bare, "affiliation": "none"}])
            own = await b.next_presence(from_occupant(room, "bob", "unavailable"), what="bob's removal")
            assert {321, 110} <= status_codes(own), xml_of(own)
            seen = await a.next_presence(from_occupant(room, "bob", "unavailable"),
                                         what="bob's removal at alice")
            assert 321 in status_codes(seen), xml_of(seen)
            assert await b.join_error(room, "bob") == "registration-required"
        finally:
            await close_all(a, b)
    run(go())


def test_moderated_room_voice(server):
    """§7.4, §8.3: in a moderated room a non-member joins as visitor; its groupchat is refused with
    <forbidden/> and reaches nobody; after a moderator grants voice (role participant, broadcast)
    its messages go through."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_reserved(room, "alice", {"muc#roomconfig_moderatedroom": True})
            p = await b.join(room, "bob")
            assert muc_item(p).get("role") == "visitor", xml_of(p)
            b.groupchat(room, "can you hear me")
            err = await b.next_error(lambda m: m["from"].bare == room, what="the visitor's error")
            assert err["error"]["condition"] == "forbidden", xml_of(err)
            await a.settle()
            assert not [m for m in a.pending_stanzas() if m["body"] == "can you hear me"], \
                "a visitor's message was delivered"
            await a.admin_set(room, [{"nick": "bob", "role": "participant"}])
            await b.next_presence(lambda x: from_occupant(room, "bob", "available")(x)
                                  and muc_item(x).get("role") == "participant", what="bob's voice")
            b.groupchat(room, "now you hear me")
            m = await a.next_groupchat(room, "now you hear me")
            assert m["from"].full == f"{room}/bob"
            # Revoking voice again silences him.
            await a.admin_set(room, [{"nick": "bob", "role": "visitor"}])
            await b.next_presence(lambda x: from_occupant(room, "bob", "available")(x)
                                  and muc_item(x).get("role") == "visitor", what="bob's voice revoked")
            b.groupchat(room, "silenced")
            err = await b.next_error(lambda m: m["from"].bare == room, what="the error after revoke")
            assert err["error"]["condition"] == "forbidden", xml_of(err)
        finally:
            await close_all(a, b)
    run(go())


# --- access (§7.2.5, §7.2.10) ----------------------------------------------------------------------------

def test_password_protected_room(server):
    """§7.2.5: without the password or with a wrong one, <not-authorized/>; with it, the join works."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_reserved(room, "alice", {"muc#roomconfig_passwordprotectedroom": True,
                                                    "muc#roomconfig_roomsecret": "open sesame"})
            _, features, _ = await b.disco_info(room)
            assert "muc_passwordprotected" in features and "muc_unsecured" not in features
            assert await b.join_error(room, "bob") == "not-authorized"
            assert await b.join_error(room, "bob", password="open barley") == "not-authorized"
            await b.join(room, "bob", password="open sesame")
        finally:
            await close_all(a, b)
    run(go())


def test_max_occupants(server, expect_prosody_gap):
    """§7.2.9: a full room refuses a (non-admin) newcomer with <service-unavailable/>, but MUST let an
    admin or owner in; when someone leaves there is room again."""
    expect_prosody_gap("no muc#roomconfig_maxusers (mod_muc_limits is not part of 0.12)")
    alice, bob, carol, dave = make_accounts(server, "alice", "bob", "carol", "dave")
    room = new_room(server)

    async def go():
        a, b, c, d = await muc_logins(server, [alice, bob, carol, dave])
        try:
            await a.create_reserved(room, "alice", {"muc#roomconfig_maxusers": 2})
            await a.admin_set(room, [{"jid": d.boundjid.bare, "affiliation": "admin"}])
            await b.join(room, "bob")
            assert await c.join_error(room, "carol") == "service-unavailable"
            p = await d.join(room, "dave")  # an admin, over the limit
            assert muc_item(p).get("affiliation") == "admin", xml_of(p)
            assert await c.join_error(room, "carol") == "service-unavailable"
            b.leave(room, "bob")
            d.leave(room, "dave")
            await a.next_presence(from_occupant(room, "bob", "unavailable"))
            await a.next_presence(from_occupant(room, "dave", "unavailable"))
            await c.join(room, "carol")
        finally:
            await close_all(a, b, c, d)
    run(go())


# --- invitations (§7.8) -----------------------------------------------------------------------------------

def test_mediated_invitation(server):
    """§7.8.2: an occupant sends <x xmlns='muc#user'><invite to=.../></x> to the room; the invitee
    gets a message from the room with <invite from=inviter/> and the reason."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_instant(room, "alice")
            a["xep_0045"].invite(room, b.boundjid.bare, reason="join us")
            m = await b.next_stanza(lambda m: m.xml.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'invite')}")
                                    is not None, what="the mediated invitation")
            assert m["from"].bare == room and not m["from"].resource, xml_of(m)
            inv = m.xml.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'invite')}")
            # §7.8.2: the bare JID, full JID, or occupant JID of the inviter.
            assert inv.get("from") in (a.boundjid.bare, a.boundjid.full, f"{room}/alice"), xml_of(m)
            assert inv.findtext(q(NS_MUC_USER, "reason")) == "join us", xml_of(m)
            await b.join(room, "bob")
        finally:
            await close_all(a, b)
    run(go())


def test_direct_invitation(server):
    """XEP-0249: <x xmlns='jabber:x:conference' jid=room password reason/> sent to a user reaches
    them unchanged, from the inviter."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_instant(room, "alice")
            a["xep_0249"].send_invitation(b.boundjid.bare, room, password="pw1", reason="come along")
            m = await b.next_stanza(lambda m: m.xml.find(q(NS_CONFERENCE, "x")) is not None,
                                    what="the direct invitation")
            x = m.xml.find(q(NS_CONFERENCE, "x"))
            assert x.get("jid") == room and x.get("reason") == "come along", xml_of(m)
            assert x.get("password") == "pw1", xml_of(m)
            assert m["from"].full == a.boundjid.full, xml_of(m)
            await b.join(room, "bob")
        finally:
            await close_all(a, b)
    run(go())


# --- destruction (§10.9) ---------------------------------------------------------------------------------

def test_destroy_room(server):
    """§10.9: only an owner may destroy; every occupant gets unavailable presence with <destroy/>
    (reason, alternate venue); the room leaves the public list and disco#info says item-not-found."""
    alice, bob = make_accounts(server, "alice", "bob")
    room, venue = new_room(server), new_room(server, "venue")
    name = "Doomed " + unique("")

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_reserved(room, "alice", {"muc#roomconfig_roomname": name,
                                                    "muc#roomconfig_publicroom": True})
            await b.join(room, "bob")
            assert room in dict(await b.disco_items(server.muc_domain))
            assert await b.iq_error(b["xep_0045"].destroy(room, reason="mine", timeout=10)) == "forbidden"
            await a["xep_0045"].destroy(room, reason="closing time", altroom=venue, timeout=10)
            own = await b.next_presence(from_occupant(room, "bob", "unavailable"), what="bob's destroy")
            d = own.xml.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'destroy')}")
            assert d is not None, xml_of(own)
            assert d.get("jid") == venue, xml_of(own)
            assert d.findtext(q(NS_MUC_USER, "reason")) == "closing time", xml_of(own)
            assert muc_item(own).get("role") == "none", xml_of(own)
            p = await a.next_presence(from_occupant(room, "alice", "unavailable"), what="alice's destroy")
            assert p.xml.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'destroy')}") is not None, xml_of(p)
            assert room not in dict(await b.disco_items(server.muc_domain))
            assert await b.iq_error(b.disco_info(room)) == "item-not-found"
        finally:
            await close_all(a, b)
    run(go())


def test_invalid_configuration_refused(server, expect_prosody_gap):
    """§10.2: a submitted form the room cannot apply (a value outside a list-single field's options)
    gets an error, and the configuration stays as it was."""
    expect_prosody_gap("a form with an unknown muc#roomconfig_whois value gets no answer at all")
    alice, = make_accounts(server, "alice")
    room = new_room(server)

    async def go():
        a, = await muc_logins(server, [alice])
        try:
            await a.create_reserved(room, "alice", {"muc#roomconfig_whois": "moderators"})
            cond = await a.iq_error(a.submit_config(room, {"muc#roomconfig_whois": "everybody"}))
            assert cond in ("not-acceptable", "bad-request"), cond
            form = await a.get_config(room)
            assert form["muc#roomconfig_whois"]["values"] == ["moderators"], form["muc#roomconfig_whois"]
        finally:
            await close_all(a)
    run(go())


def test_ban_removes_every_session_of_the_user(server):
    """§9.1: a ban is by bare JID, so every occupant that user is (two resources, two nicks) is
    removed with 301."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, = await muc_logins(server, [alice])
        b1 = await muc_login(server, bob, "one")
        b2 = await muc_login(server, bob, "two")
        try:
            await a.create_instant(room, "alice")
            await b1.join(room, "bob-one")
            await b2.join(room, "bob-two")
            await a.admin_set(room, [{"jid": bob.jid, "affiliation": "outcast"}])
            got = await wait_all(a.presences, {
                nick: (lambda p, n=nick: from_occupant(room, n, "unavailable")(p)
                       and 301 in status_codes(p))
                for nick in ("bob-one", "bob-two")})
            assert len(got) == 2
            for client, nick in ((b1, "bob-one"), (b2, "bob-two")):
                own = await client.next_presence(from_occupant(room, nick, "unavailable"),
                                                 what=f"{nick}'s own ban presence")
                assert {301, 110} <= status_codes(own), xml_of(own)
        finally:
            await close_all(a, b1, b2)
    run(go())
