"""Multi-user chat (XEP-0045), the occupant's side: discovery, joining and the presences it
produces, nickname conflicts and changes, groupchat delivery, history, subject, private messages,
leaving, and leaving by ending the session.

One server for the module; every test uses fresh accounts and rooms."""

import asyncio
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

from slixmpp import JID

from muc_clients import (NS_DELAY, NS_MUC, close_all, from_occupant, make_accounts, muc_item,
                         muc_login, muc_logins, new_room, q, status_codes, wait_all, wait_for, xml_of)
from muc_clients import is_subject as room_subject
from xmpp_client import run, unique


# --- discovery (§6) --------------------------------------------------------------------------------

def test_service_disco_info(server):
    """§6.1-6.2: the server lists the MUC service among its disco#items; the service is a
    conference/text identity supporting the MUC namespace."""
    alice, = make_accounts(server, "alice")

    async def go():
        a, = await muc_logins(server, [alice])
        try:
            items = [j for j, _ in await a.disco_items(server.domain)]
            assert server.muc_domain in items, items
            identities, features, _ = await a.disco_info(server.muc_domain)
            assert any(c == "conference" and t == "text" for c, t, _ in identities), identities
            assert NS_MUC in features, features
        finally:
            await close_all(a)
    run(go())


def test_public_rooms_listed_hidden_rooms_not(server):
    """§6.3: disco#items on the service lists public rooms (with their names), not hidden ones."""
    alice, = make_accounts(server, "alice")
    public, hidden = new_room(server, "pub"), new_room(server, "hid")
    public_name, hidden_name = "Public " + unique(""), "Hidden " + unique("")

    async def go():
        a, = await muc_logins(server, [alice])
        try:
            await a.create_reserved(public, "alice", {"muc#roomconfig_roomname": public_name,
                                                      "muc#roomconfig_publicroom": True},
                                    require=("muc#roomconfig_roomname", "muc#roomconfig_publicroom"))
            await a.create_reserved(hidden, "alice", {"muc#roomconfig_roomname": hidden_name,
                                                      "muc#roomconfig_publicroom": False})
            items = dict(await a.disco_items(server.muc_domain))
            assert public in items, f"public room not listed: {items}"
            assert items[public].startswith(public_name), f"listed name {items[public]!r}"
            assert hidden not in items, f"hidden room listed: {items}"
            # The hidden room exists all the same and says so.
            _, features, _ = await a.disco_info(hidden)
            assert "muc_hidden" in features and "muc_public" not in features, features
            _, features, _ = await a.disco_info(public)
            assert "muc_public" in features and "muc_hidden" not in features, features
        finally:
            await close_all(a)
    run(go())


def test_room_list_sorted_by_name_with_occupant_counts(server, expect_prosody_gap):
    """Parley's room list: each item's name carries the room's occupant count, and the items are
    sorted by room name (not by JID or creation order)."""
    expect_prosody_gap("the room list carries no occupant counts and is unsorted")
    alice, bob = make_accounts(server, "alice", "bob")
    tag = unique("")
    # JIDs in an order unlike the names' order; created in a third order.
    rooms = {new_room(server, "a"): f"{tag} charlie", new_room(server, "b"): f"{tag} alpha",
             new_room(server, "c"): f"{tag} bravo"}
    by_name = sorted(rooms, key=lambda r: rooms[r])

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            for room, name in rooms.items():
                await a.create_reserved(room, "alice", {"muc#roomconfig_roomname": name,
                                                        "muc#roomconfig_publicroom": True})
            await b.join(by_name[1], "bob")  # 'bravo' has two occupants, the others one
            items = [(j, n) for j, n in await a.disco_items(server.muc_domain) if j in rooms]
            assert [j for j, _ in items] == by_name, f"not sorted by name: {items}"
            for jid, listed in items:
                name = rooms[jid]
                assert listed.startswith(name), f"{jid} listed as {listed!r}, its name is {name!r}"
                count = re.findall(r"\d+", listed[len(name):])
                want = "2" if jid == by_name[1] else "1"
                assert count == [want], f"{jid} listed as {listed!r}: want occupant count {want}"
        finally:
            await close_all(a, b)
    run(go())


def test_room_disco_info_features_and_roominfo(server):
    """§6.4: disco#info on a room: conference/text identity named after the room, the muc feature,
    one feature of each pair describing its configuration, and the muc#roominfo form with the
    description and the number of occupants."""
    alice, bob = make_accounts(server, "alice", "bob")
    room, name, desc = new_room(server), "Room " + unique(""), "About " + unique("")

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_reserved(room, "alice", {
                "muc#roomconfig_roomname": name, "muc#roomconfig_roomdesc": desc,
                "muc#roomconfig_publicroom": True, "muc#roomconfig_persistentroom": False,
                "muc#roomconfig_membersonly": False, "muc#roomconfig_moderatedroom": True,
                "muc#roomconfig_whois": "anyone"},
                require=("muc#roomconfig_roomdesc", "muc#roomconfig_whois",
                         "muc#roomconfig_moderatedroom", "muc#roomconfig_membersonly",
                         "muc#roomconfig_persistentroom"))
            await b.join(room, "bob")
            identities, features, roominfo = await b.disco_info(room)
            assert ("conference", "text", name) in identities, identities
            assert NS_MUC in features
            for present, absent in (("muc_public", "muc_hidden"), ("muc_temporary", "muc_persistent"),
                                    ("muc_open", "muc_membersonly"), ("muc_moderated", "muc_unmoderated"),
                                    ("muc_unsecured", "muc_passwordprotected"),
                                    ("muc_nonanonymous", "muc_semianonymous")):
                assert present in features and absent not in features, (present, sorted(features))
            assert roominfo is not None, "no muc#roominfo form"
            assert roominfo.get("muc#roominfo_description", {}).get("values") == [desc], roominfo
            assert roominfo.get("muc#roominfo_occupants", {}).get("values") == ["2"], roominfo
        finally:
            await close_all(a, b)
    run(go())


# --- joining (§7.2) -----------------------------------------------------------------------------------

def test_join_presences_and_status_codes(server):
    """§7.2.3: the newcomer gets the existing occupants' presence before its own (110); everyone
    gets the newcomer's; the creator's self-presence carries 201 (§10.1.1), a later one does not;
    nobody's carries 210 when the nick was taken as asked."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            p = await a.join(room, "alice")
            codes = status_codes(p)
            assert {110, 201} <= codes and 210 not in codes, xml_of(p)
            item = muc_item(p)
            assert item.get("affiliation") == "owner" and item.get("role") == "moderator", item
            await a.submit_config(room, {})
            a.pending_presences()

            b.send_join(room, "bob")
            seen: list = []
            first = await wait_for(b.presences, from_occupant(room, "alice", "available"),
                                   what="alice's presence at bob", seen=seen)
            assert not any(110 in status_codes(x) for x in seen), \
                "bob's self-presence came before the existing occupant's"
            assert muc_item(first).get("role") == "moderator"
            own = await wait_for(b.presences, lambda x: 110 in status_codes(x), what="bob's self-presence")
            assert own["from"].full == f"{room}/bob"
            assert 201 not in status_codes(own) and 210 not in status_codes(own), xml_of(own)
            assert muc_item(own).get("role") == "participant", xml_of(own)
            assert muc_item(own).get("affiliation") == "none", xml_of(own)
            at_alice = await a.next_presence(from_occupant(room, "bob", "available"),
                                             what="bob's join presence at alice")
            assert 110 not in status_codes(at_alice)
        finally:
            await close_all(a, b)
    run(go())


def test_join_without_nick_is_jid_malformed(server, expect_prosody_gap):
    """§7.2.1: a join to the bare room JID (no nickname) gets <jid-malformed/>, whether the room
    exists or not."""
    expect_prosody_gap("a join without nick gets service-unavailable (existing room) or nothing (no room)")
    alice, bob = make_accounts(server, "alice", "bob")
    existing, absent = new_room(server), new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_instant(existing, "alice")
            for room in (existing, absent):
                p = b.make_presence(pto=room)
                ET.SubElement(p.xml, q(NS_MUC, "x"))
                p.send()
                err = await b.next_presence(lambda x: x["from"].bare == room and x["type"] == "error",
                                            what=f"the error for a join without nick to {room} "
                                                 f"({'existing' if room == existing else 'no such room'})")
                assert err["error"]["condition"] == "jid-malformed", xml_of(err)
        finally:
            await close_all(a, b)
    run(go())


def test_nick_conflict(server):
    """§7.2.9: a nickname in use by another user gets <conflict/>; the room is unchanged."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_instant(room, "taken")
            assert await b.join_error(room, "taken") == "conflict"
            a.pending_presences()
            await b.join(room, "other")  # a free nick still works
            await a.next_presence(from_occupant(room, "other", "available"))
            assert not [p for p in a.pending_presences() if p["from"].resource == "taken"
                        and p["type"] == "unavailable"], "the holder of the nick was disturbed"
        finally:
            await close_all(a, b)
    run(go())


# --- messages (§7.4, §7.5) -----------------------------------------------------------------------------

def test_groupchat_reaches_all_occupants_and_no_one_else(server):
    """§7.4: a groupchat message goes to every occupant of the room (the sender included, from
    room/nick) and to nobody outside it, including occupants of another room."""
    alice, bob, carol, dave = make_accounts(server, "alice", "bob", "carol", "dave")
    room_a, room_b = new_room(server, "ra"), new_room(server, "rb")

    async def go():
        a, b, c, d = await muc_logins(server, [alice, bob, carol, dave])
        try:
            await a.create_instant(room_a, "alice")
            await b.join(room_a, "bob")
            await c.create_instant(room_b, "carol")
            a.groupchat(room_a, "hello A")
            for who in (a, b):
                m = await who.next_groupchat(room_a, "hello A")
                assert m["from"].full == f"{room_a}/alice", xml_of(m)
                assert m["to"].bare == who.boundjid.bare
            c.groupchat(room_b, "hello B")
            await c.next_groupchat(room_b, "hello B")
            await asyncio.gather(*(who.settle() for who in (a, b, c, d)))
            assert not [m for m in c.pending_stanzas() if m["body"] == "hello A"], \
                "an occupant of room B got room A's message"
            assert not [m for m in d.pending_stanzas() if m["body"] in ("hello A", "hello B")], \
                "a user in no room got a groupchat message"
            assert not [m for m in a.pending_stanzas() + b.pending_stanzas() if m["body"] == "hello B"], \
                "an occupant of room A got room B's message"
        finally:
            await close_all(a, b, c, d)
    run(go())


def _history(client, room) -> list:
    return [m for m in client.pending_stanzas()
            if m["type"] == "groupchat" and m["from"].bare == room and m["body"]]


async def _join_and_collect(client, room, nick, **kwargs) -> list:
    """Joins, waits for the subject (which ends the history, §7.2.15) and returns the history
    messages received in between, in order."""
    await client.join(room, nick, **kwargs)
    seen: list = []
    await wait_for(client.stanzas, room_subject(room), what="the subject after the history", seen=seen)
    return [m for m in seen if m["type"] == "groupchat" and m["body"]]


def test_history_on_join(server):
    """§7.2.13-14: history is sent after the self-presence and before the subject, oldest first,
    each with a delay (XEP-0203) from the room; maxstanzas, seconds and since limit it, and
    maxchars='0' asks for none."""
    users = make_accounts(server, "alice", "bob", "carol", "dave", "erin", "fred")
    room = new_room(server)

    async def go():
        a, b, c, d, e, f = await muc_logins(server, users)
        try:
            await a.create_instant(room, "alice")
            for i in range(1, 4):
                a.groupchat(room, f"old {i}")
                await a.next_groupchat(room, f"old {i}")
            await asyncio.sleep(1.5)
            boundary = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=1)
            await asyncio.sleep(2.5)
            for i in range(1, 3):
                a.groupchat(room, f"new {i}")
                await a.next_groupchat(room, f"new {i}")

            got = await _join_and_collect(b, room, "bob", history={"maxstanzas": 2})
            assert [m["body"] for m in got] == ["new 1", "new 2"], [xml_of(m) for m in got]
            for m in got:
                delay = m.xml.find(q(NS_DELAY, "delay"))
                assert delay is not None and delay.get("stamp"), xml_of(m)
                assert delay.get("from") == room, xml_of(m)
                assert m["from"].full == f"{room}/alice"

            got = await _join_and_collect(c, room, "carol", history={"maxstanzas": 0})
            assert got == [], [xml_of(m) for m in got]
            got = await _join_and_collect(f, room, "fred", history={"maxchars": 0})
            assert got == [], [xml_of(m) for m in got]

            got = await _join_and_collect(d, room, "dave", history={"seconds": 3})
            assert [m["body"] for m in got] == ["new 1", "new 2"], [xml_of(m) for m in got]

            since = boundary.strftime("%Y-%m-%dT%H:%M:%SZ")
            got = await _join_and_collect(e, room, "erin", history={"since": since})
            assert [m["body"] for m in got] == ["new 1", "new 2"], [xml_of(m) for m in got]
        finally:
            await close_all(a, b, c, d, e, f)
    run(go())


def test_history_length_configured(server):
    """A room keeps as many messages as its history length; a join without <history/> gets
    them all, oldest first."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.join(room, "alice")
            field = await a.history_field(room)
            await a.submit_config(room, {field: 3})
            for i in range(1, 6):
                a.groupchat(room, f"m{i}")
                await a.next_groupchat(room, f"m{i}")
            # slixmpp's own join: it returns the self-presence, subject, occupants and history.
            pres, subject, occupants, history = await b["xep_0045"].join_muc_wait(
                JID(room), "bob", timeout=10)
            assert 110 in status_codes(pres), xml_of(pres)
            assert "alice" in [o["from"].resource for o in occupants], [xml_of(o) for o in occupants]
            assert [m["body"] for m in history] == ["m3", "m4", "m5"], [xml_of(m) for m in history]
        finally:
            await close_all(a, b)
    run(go())


def test_subject_set_and_sent_on_join(server):
    """§8.1: a moderator's subject change reaches all occupants (a message with <subject/> and no
    body, from room/nick); a new occupant gets it after the self-presence (§7.2.15); a room without
    a subject sends an empty <subject/>."""
    alice, bob, carol = make_accounts(server, "alice", "bob", "carol")
    room = new_room(server)

    is_subject = room_subject(room)

    async def go():
        a, b, c = await muc_logins(server, [alice, bob, carol])
        try:
            await a.create_instant(room, "alice")
            await b.join(room, "bob")
            empty = await b.next_stanza(is_subject, what="the empty subject on join")
            assert (empty["subject"] or "") == "", xml_of(empty)
            a["xep_0045"].set_subject(room, "Topic of the day")
            for who in (a, b):
                m = await who.next_stanza(lambda m: is_subject(m) and m["subject"] == "Topic of the day",
                                          what="the subject change")
                assert m["type"] == "groupchat" and m["from"].full == f"{room}/alice", xml_of(m)
            p = await c.join(room, "carol")
            assert p is not None
            m = await c.next_stanza(is_subject, what="the subject on carol's join")
            assert m["subject"] == "Topic of the day", xml_of(m)
        finally:
            await close_all(a, b, c)
    run(go())


def test_private_messages_between_occupants(server):
    """§7.5: a chat message to room/nick reaches that occupant only, from the sender's room JID."""
    alice, bob, carol = make_accounts(server, "alice", "bob", "carol")
    room = new_room(server)

    async def go():
        a, b, c = await muc_logins(server, [alice, bob, carol])
        try:
            await a.create_instant(room, "alice")
            await b.join(room, "bob")
            await c.join(room, "carol")
            b.send_message(mto=f"{room}/alice", mbody="psst alice", mtype="chat")
            m = await a.next_stanza(lambda m: m["body"] == "psst alice", what="bob's private message")
            assert m["from"].full == f"{room}/bob", xml_of(m)
            assert m["type"] == "chat"
            a.send_message(mto=f"{room}/bob", mbody="psst bob", mtype="chat")
            m = await b.next_stanza(lambda m: m["body"] == "psst bob", what="alice's reply")
            assert m["from"].full == f"{room}/alice", xml_of(m)
            await c.settle()
            assert not [m for m in c.pending_stanzas() if m["body"] in ("psst alice", "psst bob")], \
                "a third occupant saw a private message"
            # To a nick that is not in the room: an error, not a delivery.
            b.send_message(mto=f"{room}/nobody", mbody="lost", mtype="chat")
            err = await b.next_error(lambda m: m["from"].full == f"{room}/nobody",
                                     what="the error for a PM to an absent nick")
            assert err["error"]["condition"] == "item-not-found", xml_of(err)
        finally:
            await close_all(a, b, c)
    run(go())


# --- leaving and nick changes (§7.6, §7.14) -----------------------------------------------------------

def test_leave(server):
    """§7.14: leaving sends unavailable presence to the others and to the leaver (with 110);
    afterwards the leaver gets no groupchat from the room."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_instant(room, "alice")
            await b.join(room, "bob")
            b.leave(room, "bob", "bye now")
            own = await b.next_presence(lambda p: from_occupant(room, "bob", "unavailable")(p)
                                        and 110 in status_codes(p), what="bob's own unavailable")
            assert muc_item(own).get("role") == "none", xml_of(own)
            other = await a.next_presence(from_occupant(room, "bob", "unavailable"),
                                          what="bob's unavailable at alice")
            assert 110 not in status_codes(other)
            assert other["status"] == "bye now", xml_of(other)
            assert muc_item(other).get("role") == "none", xml_of(other)
            a.groupchat(room, "after you left")
            await a.next_groupchat(room, "after you left")
            await b.settle()
            assert not [m for m in b.pending_stanzas() if m["body"] == "after you left"]
        finally:
            await close_all(a, b)
    run(go())


def test_nick_change(server):
    """§7.6: a nick change gives everyone an unavailable presence from the old nick with 303 and the
    new nick in <item/>, then available presence from the new nick; the changer's copies carry 110.
    A change to a nick in use gets <conflict/>."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_instant(room, "alice")
            await b.join(room, "bob")
            b.send_presence(pto=f"{room}/robert")
            for who, own in ((a, False), (b, True)):
                gone = await who.next_presence(from_occupant(room, "bob", "unavailable"),
                                               what="unavailable from the old nick")
                codes = status_codes(gone)
                assert 303 in codes, xml_of(gone)
                assert (110 in codes) == own, xml_of(gone)
                assert muc_item(gone).get("nick") == "robert", xml_of(gone)
                back = await who.next_presence(from_occupant(room, "robert", "available"),
                                               what="available from the new nick")
                assert (110 in status_codes(back)) == own, xml_of(back)
            b.groupchat(room, "new name")
            m = await a.next_groupchat(room, "new name")
            assert m["from"].full == f"{room}/robert"
            b.send_presence(pto=f"{room}/alice")
            err = await b.next_presence(lambda p: p["from"].bare == room and p["type"] == "error",
                                        what="the conflict for a taken nick")
            assert err["error"]["condition"] == "conflict", xml_of(err)
        finally:
            await close_all(a, b)
    run(go())


def test_session_end_leaves_rooms(server):
    """A user whose session ends (stream closed, or TCP dropped) leaves every room: the others get
    unavailable presence from their occupant JID."""
    alice, bob, carol = make_accounts(server, "alice", "bob", "carol")
    room1, room2 = new_room(server), new_room(server)

    async def go():
        a, b, c = await muc_logins(server, [alice, bob, carol])
        try:
            await a.create_instant(room1, "alice")
            await a.create_instant(room2, "alice")
            await b.join(room1, "bob")
            await b.join(room2, "bob")
            await c.join(room1, "carol")
            await b.close()
            await wait_all(a.presences, {f"bob's unavailable in {r} after logout":
                                         from_occupant(r, "bob", "unavailable") for r in (room1, room2)})
            c.abort()  # no stream close: the server notices the dead TCP connection
            await a.next_presence(from_occupant(room1, "carol", "unavailable"),
                                  what="carol's unavailable after a dropped connection")
            a.groupchat(room1, "anyone?")
            await a.next_groupchat(room1, "anyone?")
        finally:
            await close_all(a, b, c)
    run(go())


def test_subject_change_by_participant_forbidden(server):
    """§8.1: where only moderators may change the subject (muc#roomconfig_changesubject off), a
    participant's attempt gets <forbidden/> and the subject stays; with it on, it goes through."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_reserved(room, "alice", {"muc#roomconfig_changesubject": False},
                                    require=("muc#roomconfig_changesubject",))
            await b.join(room, "bob")
            b["xep_0045"].set_subject(room, "my topic")
            err = await b.next_error(lambda m: m["from"].bare == room, what="the refused subject")
            assert err["error"]["condition"] == "forbidden", xml_of(err)
            await a.settle()
            assert not [m for m in a.pending_stanzas() if m["subject"] == "my topic"]
            await a.submit_config(room, {"muc#roomconfig_changesubject": True})
            b["xep_0045"].set_subject(room, "my topic")
            m = await a.next_stanza(lambda m: m["from"].bare == room and m["subject"] == "my topic",
                                    what="the allowed subject change")
            assert m["from"].full == f"{room}/bob", xml_of(m)
        finally:
            await close_all(a, b)
    run(go())


def test_one_resource_leaving_keeps_the_other(server):
    """Two resources of one account are two occupants (different nicks); when one session ends only
    that occupant leaves, the other still gets the room's messages."""
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
            await b1.close()
            await a.next_presence(from_occupant(room, "bob-one", "unavailable"), what="bob-one leaving")
            a.groupchat(room, "still two of us")
            await b2.next_groupchat(room, "still two of us")
            await a.settle()
            assert not [p for p in a.pending_presences() if p["from"].full == f"{room}/bob-two"
                        and p["type"] == "unavailable"], "the other resource left the room too"
        finally:
            await close_all(a, b1, b2)
    run(go())


def test_presence_update_in_room(server):
    """§7.7: an occupant's change of availability (show, status) goes to every occupant, from its
    occupant JID, the changer's copy with 110."""
    alice, bob = make_accounts(server, "alice", "bob")
    room = new_room(server)

    async def go():
        a, b = await muc_logins(server, [alice, bob])
        try:
            await a.create_instant(room, "alice")
            await b.join(room, "bob")
            b.send_presence(pto=f"{room}/bob", pshow="away", pstatus="lunch")
            for who, own in ((a, False), (b, True)):
                p = await who.next_presence(lambda x: from_occupant(room, "bob", "available")(x)
                                            and x["show"] == "away", what="bob's away presence")
                assert p["status"] == "lunch", xml_of(p)
                assert (110 in status_codes(p)) == own, xml_of(p)
        finally:
            await close_all(a, b)
    run(go())


def test_session_end_after_nick_change_and_leave(server):
    """The room remembers who is who through nick changes and departures: when a user who changed
    nick logs out, the others see the new nick leave; a user who had already left the room causes no
    second unavailable presence when their session ends."""
    alice, bob, carol = make_accounts(server, "alice", "bob", "carol")
    room = new_room(server)

    async def go():
        a, b, c = await muc_logins(server, [alice, bob, carol])
        try:
            await a.create_instant(room, "alice")
            await b.join(room, "bob")
            await c.join(room, "carol")
            b.send_presence(pto=f"{room}/bobby")
            await a.next_presence(from_occupant(room, "bobby", "available"), what="bob as bobby")
            c.leave(room, "carol")
            await a.next_presence(from_occupant(room, "carol", "unavailable"), what="carol leaving")
            await b.close()
            await c.close()
            gone = await a.next_presence(from_occupant(room, "bobby", "unavailable"),
                                         what="bobby's unavailable after logout")
            assert 303 not in status_codes(gone), xml_of(gone)
            await a.settle()
            late = [p for p in a.pending_presences() if p["from"].bare == room
                    and p["from"].resource in ("bob", "bobby", "carol")]
            assert not late, f"presences after the logouts: {[xml_of(p) for p in late]}"
        finally:
            await close_all(a, b, c)
    run(go())
