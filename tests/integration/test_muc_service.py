"""Multi-user chat (XEP-0045), the service across its lifetime and under hostile input: persistent
rooms keep their configuration, subject and affiliations across a restart (temporary ones do not),
the predefined `lobby` room exists from start-up (parleyd), each served domain has its own service,
and malformed or out-of-place stanzas get errors while the server goes on serving."""

import asyncio
import xml.etree.ElementTree as ET

from conftest import assert_login_works, register_raw, require_parleyd
from im_clients import raw_login, restart
from muc_clients import (NS_MUC, NS_STANZAS, MucClient, close_all, from_occupant, is_subject,
                         make_accounts, muc_item, muc_logins, new_room, q, status_codes, xml_of)
from raw_stream import NS_CLIENT, StreamClosed, StreamErrorReceived, stanza_error_condition
from xmpp_client import run, unique


# --- persistence (§10.2: muc#roomconfig_persistentroom) -------------------------------------------------

def test_persistent_room_survives_restart(new_server):
    """A persistent room keeps its configuration, subject and affiliations (owner, admin, member,
    outcast; a revoked one stays revoked) across a restart of the server, and stays listed while
    empty; a temporary room is gone, and so is a persistent room destroyed before the restart."""
    s = new_server()
    alice, bob, carol, dave, erin = make_accounts(s, "alice", "bob", "carol", "dave", "erin")
    kept, temp, gone = new_room(s, "kept"), new_room(s, "temp"), new_room(s, "gone")
    name, desc = "Kept " + unique(""), "Still here " + unique("")

    async def before():
        a, = await muc_logins(s, [alice])
        try:
            await a.create_reserved(kept, "alice", {
                "muc#roomconfig_roomname": name, "muc#roomconfig_roomdesc": desc,
                "muc#roomconfig_publicroom": True, "muc#roomconfig_persistentroom": True,
                "muc#roomconfig_moderatedroom": True, "muc#roomconfig_whois": "anyone"})
            await a.admin_set(kept, [{"jid": bob.jid, "affiliation": "member"}])
            await a.admin_set(kept, [{"jid": carol.jid, "affiliation": "admin"}])
            await a.admin_set(kept, [{"jid": dave.jid, "affiliation": "outcast"}])
            # A membership granted and revoked again leaves nothing behind.
            await a.admin_set(kept, [{"jid": erin.jid, "affiliation": "member"}])
            await a.admin_set(kept, [{"jid": erin.jid, "affiliation": "none"}])
            a["xep_0045"].set_subject(kept, "kept subject")
            await a.next_stanza(lambda m: m["from"].bare == kept and m["subject"] == "kept subject",
                                what="the subject change")
            await a.create_reserved(temp, "alice", {"muc#roomconfig_publicroom": True,
                                                    "muc#roomconfig_persistentroom": False})
            # A persistent room destroyed before the restart stays destroyed.
            await a.create_reserved(gone, "alice", {"muc#roomconfig_publicroom": True,
                                                    "muc#roomconfig_persistentroom": True})
            await a["xep_0045"].destroy(gone, reason="done", timeout=10)
            items = dict(await a.disco_items(s.muc_domain))
            assert kept in items and temp in items and gone not in items, items
        finally:
            await close_all(a)
    run(before())
    restart(s)

    async def after():
        a, b, d = await muc_logins(s, [alice, bob, dave])
        try:
            items = dict(await a.disco_items(s.muc_domain))
            assert kept in items, f"the persistent room is not listed after the restart: {items}"
            assert items[kept].startswith(name), items[kept]
            assert temp not in items, f"the temporary room came back: {items}"
            assert gone not in items, f"the destroyed room came back: {items}"
            # RFC 6120 §8.3.3.5 <gone/> fits a destroyed room as well (Prosody keeps tombstones).
            assert await a.iq_error(a.disco_info(gone)) in ("item-not-found", "gone")
            if s.kind == "parleyd":
                assert f"lobby@{s.muc_domain}" in items, f"the predefined lobby is gone: {items}"
            identities, features, roominfo = await a.disco_info(kept)
            assert ("conference", "text", name) in identities, identities
            for f in ("muc_persistent", "muc_public", "muc_moderated", "muc_nonanonymous"):
                assert f in features, (f, sorted(features))
            assert roominfo and roominfo.get("muc#roominfo_description", {}).get("values") == [desc], roominfo
            form = await a.get_config(kept)  # alice is still the owner
            assert form["muc#roomconfig_roomname"]["values"] == [name]
            assert form["muc#roomconfig_moderatedroom"]["values"] in (["1"], ["true"])
            owners = [i.get("jid") for i in await a.admin_list(kept, affiliation="owner")]
            admins = [i.get("jid") for i in await a.admin_list(kept, affiliation="admin")]
            members = [i.get("jid") for i in await a.admin_list(kept, affiliation="member")]
            outcasts = [i.get("jid") for i in await a.admin_list(kept, affiliation="outcast")]
            assert (owners, admins, members, outcasts) == ([alice.jid], [carol.jid], [bob.jid], [dave.jid])
            assert await d.join_error(kept, "dave") == "forbidden"
            p = await b.join(kept, "bob")
            assert 201 not in status_codes(p), f"the room was created anew: {xml_of(p)}"
            assert muc_item(p).get("affiliation") == "member", xml_of(p)
            assert muc_item(p).get("role") == "participant", xml_of(p)  # a member has voice
            subj = await b.next_stanza(is_subject(kept), what="the subject on join after the restart")
            assert subj["subject"] == "kept subject", xml_of(subj)
            p = await a.join(kept, "alice")
            assert muc_item(p).get("affiliation") == "owner", xml_of(p)
            await b.next_presence(from_occupant(kept, "alice", "available"))
        finally:
            await close_all(a, b, d)
    run(after())


# --- the predefined room (parleyd's [[muc.rooms]]) ------------------------------------------------------

def test_lobby_exists_at_start(server):
    """parleyd's default configuration predefines `lobby`: listed from start-up, persistent and
    public; a user joins it without creating it and without becoming its owner."""
    require_parleyd("the predefined lobby room")
    alice, bob = make_accounts(server, "alice", "bob")
    lobby = f"lobby@{server.muc_domain}"

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            items = dict(await a.disco_items(server.muc_domain))
            assert lobby in items, f"no lobby in the room list: {items}"
            identities, features, _ = await a.disco_info(lobby)
            assert any(c == "conference" and t == "text" and n for c, t, n in identities), identities
            for f in ("muc_persistent", "muc_public", "muc_open", "muc_unsecured"):
                assert f in features, (f, sorted(features))
            nick_a, nick_b = unique("a"), unique("b")
            p = await a.join(lobby, nick_a)
            assert 201 not in status_codes(p), f"joining the lobby created it: {xml_of(p)}"
            assert muc_item(p).get("affiliation") == "none", xml_of(p)
            await b.join(lobby, nick_b)
            a.groupchat(lobby, "hi lobby")
            await b.next_groupchat(lobby, "hi lobby")
        finally:
            await close_all(a, b)
    run(go())


# --- hostile input ----------------------------------------------------------------------------------------

def test_groupchat_to_room_not_joined_is_not_acceptable(server):
    """§7.4: a groupchat message from a non-occupant gets <not-acceptable/> and reaches nobody."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_instant(room, "alice")
            b.groupchat(room, "let me in")
            err = await b.next_error(lambda m: m["from"].bare == room, what="the non-occupant's error")
            assert err["error"]["condition"] == "not-acceptable", xml_of(err)
            await a.settle()
            assert not [m for m in a.pending_stanzas() if m["body"] == "let me in"]
        finally:
            await close_all(a, b)
    run(go())
    assert_login_works(server)


def test_groupchat_type_to_an_occupant_is_bad_request(server):
    """§7.5: a message of type groupchat addressed to one occupant (room/nick) is not delivered; the
    sender gets <bad-request/>."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_instant(room, "alice")
            await b.join(room, "bob")
            b.send_message(mto=f"{room}/alice", mbody="wrong type", mtype="groupchat")
            err = await b.next_error(lambda m: m["from"].bare == room, what="the bad-request")
            assert err["error"]["condition"] == "bad-request", xml_of(err)
            await a.settle()
            assert not [m for m in a.pending_stanzas() if m["body"] == "wrong type"]
        finally:
            await close_all(a, b)
    run(go())
    assert_login_works(server)


def test_overlong_nick_refused(server, expect_prosody_gap):
    """A nick far beyond any sensible length (but a valid JID resource) is refused with an error
    presence; nobody sees it join. A resource over 1023 bytes (no valid JID at all) gets an error
    too, or ends the stream; the server goes on."""
    expect_prosody_gap("no limit on the length of a nick")
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_instant(room, "alice")
            cond = await b.join_error(room, "n" * 1000)
            assert cond in ("not-acceptable", "jid-malformed", "bad-request", "policy-violation"), cond
            await a.settle()
            assert not [p for p in a.pending_presences() if p["from"].bare == room
                        and p["from"].resource != "alice"], "the overlong nick joined"
        finally:
            await close_all(a, b)
    run(go())

    async def beyond_jid_limit():
        st = await raw_login(server, bob, "raw")
        try:
            await st.send(f"<presence to='{room}/{'n' * 1100}'><x xmlns='{NS_MUC}'/></presence>")
            try:
                el = await st.next_stanza(10)
                assert el.get("type") == "error", ET.tostring(el, "unicode")[:400]
                assert stanza_error_condition(el) in ("jid-malformed", "not-acceptable"), \
                    ET.tostring(el, "unicode")[:400]
            except (StreamErrorReceived, StreamClosed):
                pass  # RFC 6120 §8.1.1.1 lets the server end the stream instead
        finally:
            await st.close()
    run(beyond_jid_limit())
    assert_login_works(server)


def test_malformed_room_jids(server):
    """Stanzas to addresses that are no valid occupant/room JIDs: each gets an error (or, where the
    address is no JID at all, may end the stream); nothing joins and the server goes on."""
    bob, = make_accounts(server, "bob")
    muc = server.muc_domain
    # Valid JIDs of rooms that do not exist: an iq always gets an answer (RFC 6120 §8.2.3).
    answered = [
        (f"<iq type='get' to='{unique('nosuch')}@{muc}' id='m1'>"
         "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>", "item-not-found"),
        (f"<iq type='set' to='{unique('nosuch')}@{muc}' id='m2'>"
         f"<query xmlns='{NS_MUC}#admin'><item nick='x' role='none'/></query></iq>", None),
    ]
    # Not JIDs at all (empty local part, empty resource, a space in the local part, a bad domain).
    broken = [f"@{muc}/nick", f"room@{muc}/", f"bad room@{muc}/nick", f"room@{muc[:-1]}../nick"]

    async def go():
        for stanza, want in answered:
            st = await raw_login(server, bob, unique("r"))
            try:
                await st.send(stanza)
                el = await st.next_stanza(10)
                assert el.get("type") == "error", f"{stanza} -> {ET.tostring(el, 'unicode')[:400]}"
                cond = stanza_error_condition(el)
                if want:
                    assert cond == want, f"{stanza} -> {cond}"
                assert el.find(q(NS_CLIENT, "error")).find(q(NS_STANZAS, cond)) is not None
            finally:
                await st.close()
        for to in broken:
            st = await raw_login(server, bob, unique("r"))
            try:
                await st.send(f"<presence to='{to}'><x xmlns='{NS_MUC}'/></presence>")
                try:
                    el = await st.next_stanza(10)
                    assert el.get("type") == "error", f"{to!r} -> {ET.tostring(el, 'unicode')[:400]}"
                except (StreamErrorReceived, StreamClosed):
                    pass
            finally:
                await st.close()
    run(go())
    assert_login_works(server)


def test_presence_flood_in_and_out(server):
    """Joining and leaving the same room 50 times in a burst leaves exactly one consistent state:
    the room's other occupant sees the user present at the end, once."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_instant(room, "alice")
            for _ in range(50):
                b.send_join(room, "bob")
                b.leave(room, "bob")
            await b.join(room, "bob")
            await b.settle()
            await a.settle()
            last = [p for p in a.pending_presences() if p["from"].full == f"{room}/bob"][-1]
            assert last["type"] != "unavailable", xml_of(last)
            b.groupchat(room, "still here")
            await a.next_groupchat(room, "still here")
            await asyncio.sleep(0)
        finally:
            await close_all(a, b)
    run(go())
    assert_login_works(server)


def test_each_domain_has_its_own_service(new_server):
    """With two served domains each has its MUC service: a room name used on both is two rooms, each
    service lists only its own, and messages never cross."""
    s = new_server(domains=("localhost", "second.test"))
    user_a, user_b = unique("first"), unique("second")
    register_raw(s, user_a, "pw-a", domain="localhost")
    register_raw(s, user_b, "pw-b", domain="second.test")
    name = unique("same")
    room_a, room_b = f"{name}@conference.localhost", f"{name}@conference.second.test"

    async def go():
        a = MucClient(s, user_a, "pw-a", domain="localhost")
        b = MucClient(s, user_b, "pw-b", domain="second.test")
        try:
            for c in (a, b):
                await c.login()
                c.send_presence()
                await c.roundtrip()
            p = await a.join(room_a, "x")
            assert 201 in status_codes(p)
            await a.submit_config(room_a, {"muc#roomconfig_publicroom": True})
            p = await b.join(room_b, "x")  # same nick, same room name: another room
            assert 201 in status_codes(p), f"the second domain's room was not new: {xml_of(p)}"
            await b.submit_config(room_b, {"muc#roomconfig_publicroom": True})
            items_a = [j for j, _ in await a.disco_items("conference.localhost")]
            items_b = [j for j, _ in await b.disco_items("conference.second.test")]
            assert room_a in items_a and room_b not in items_a, items_a
            assert room_b in items_b and room_a not in items_b, items_b
            a.groupchat(room_a, "on the first")
            await a.next_groupchat(room_a, "on the first")
            await b.settle()
            assert not [m for m in b.pending_stanzas() if m["body"] == "on the first"]
        finally:
            await close_all(a, b)
    run(go())
