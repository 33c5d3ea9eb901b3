"""Rosters (RFC 6121 §2) and roster versioning (XEP-0237 / RFC 6121 §2.6), with slixmpp, aioxmpp
and raw XML."""

import asyncio

from im_clients import (NS_ROSTER, NS_ROSTERVER, aio_login, close_all, error_condition, error_type,
                        im_server, is_roster_push, make_accounts, new_im_server, push_for,  # noqa: F401
                        raw_iq, raw_login, raw_next, roster_items_raw, slix_login, ack_push)
from raw_stream import q
from xmpp_client import run


def test_roster_get_set_update(im_server):
    """Empty roster, then an added item with name and groups, then an update of both."""
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        a = await slix_login(im_server, alice, "desk")
        try:
            empty = await a.fetch_roster()
            assert empty["type"] == "result"
            assert a.roster_items(empty) == {}, "a new account's roster is not empty"

            res = await a.set_item(bob.jid, name="Bob", groups=["Friends", "Work"])
            assert res["type"] == "result"
            items = a.roster_items(await a.fetch_roster())
            assert set(items) == {bob.jid}
            assert items[bob.jid]["name"] == "Bob"
            assert items[bob.jid]["groups"] == ["Friends", "Work"]
            assert items[bob.jid]["subscription"] == "none", "adding an item grants no subscription"
            assert not items[bob.jid]["ask"]

            await a.set_item(bob.jid, name="Robert", groups=["Family"])
            items = a.roster_items(await a.fetch_roster())
            assert items[bob.jid]["name"] == "Robert"
            assert items[bob.jid]["groups"] == ["Family"], "the update must replace the groups"
            assert items[bob.jid]["subscription"] == "none"
        finally:
            await close_all(a)
    run(go())


def test_roster_remove(im_server):
    """aioxmpp adds and removes an item; a fresh raw get no longer lists it."""
    alice, bob, carol = make_accounts(im_server, "alice", "bob", "carol")

    async def go():
        a = await aio_login(im_server, alice)
        raw = None
        try:
            await asyncio.wait_for(a.roster.set_entry(a.jid.fromstr(bob.jid), name="Bob",
                                                      add_to_groups={"G"}), 10)
            await asyncio.wait_for(a.roster.set_entry(a.jid.fromstr(carol.jid), name="Carol"), 10)
            raw = await raw_login(im_server, alice)
            got = await raw_iq(raw, f"<query xmlns='{NS_ROSTER}'/>")
            assert set(roster_items_raw(got)) == {bob.jid, carol.jid}

            await asyncio.wait_for(a.roster.remove_entry(a.jid.fromstr(bob.jid)), 10)
            got = await raw_iq(raw, f"<query xmlns='{NS_ROSTER}'/>")
            assert got.get("type") == "result"
            assert set(roster_items_raw(got)) == {carol.jid}, "the removed item is still there"
        finally:
            if raw is not None:
                await raw.close()
            await close_all(a)
    run(go())


def test_roster_push_reaches_other_interested_resource(im_server):
    """RFC 6121 §2.1.6: a set from one resource is pushed to every resource that requested the
    roster (aioxmpp's RosterClient, a raw stream) and to the one that made it (slixmpp)."""
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        a = await slix_login(im_server, alice, "desk", roster=True)
        other = await aio_login(im_server, alice, "phone")  # RosterClient requests the roster
        raw = await raw_login(im_server, alice, "raw")
        try:
            await raw_iq(raw, f"<query xmlns='{NS_ROSTER}'/>")
            await a.set_item(bob.jid, name="Bob", groups=["Pals"])

            push = await a.next_push(push_for(bob.jid), what="the push to the resource that set it")
            assert push["from"].full in ("", alice.jid), f"push from {push['from']}"

            el = await raw_next(raw, is_roster_push, what="the roster push on the raw resource")
            assert el.get("from") in (None, alice.jid), f"push from {el.get('from')}"
            assert el.get("to") in (None, raw.jid), f"push to {el.get('to')}"
            items = roster_items_raw(el)
            assert items == {bob.jid: {"subscription": "none", "name": "Bob", "ask": None,
                                       "groups": ["Pals"]}}
            await ack_push(raw, el)

            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            bob_jid = other.jid.fromstr(bob.jid)
            while bob_jid not in other.roster.items and loop.time() < deadline:
                await asyncio.sleep(0.05)
            assert bob_jid in other.roster.items, "aioxmpp's resource got no roster push"
            assert other.roster.items[bob_jid].name == "Bob"
            assert set(other.roster.items[bob_jid].groups) == {"Pals"}
        finally:
            await raw.close()
            await close_all(a, other)
    run(go())


def test_roster_versioning(im_server):
    """XEP-0237: the feature is advertised; a get with the current version is answered with an empty
    result; later changes arrive as pushes carrying a new version; a get with an old version
    brings the client up to date (the full roster or pushes)."""
    alice, bob, carol, dave = make_accounts(im_server, "alice", "bob", "carol", "dave")

    async def go():
        st = await raw_login(im_server, alice)
        try:
            # Start from a non-empty roster (the empty one has its own test).
            await raw_iq(st, f"<query xmlns='{NS_ROSTER}'><item jid='{dave.jid}'/></query>", "set")
            assert st.features is not None and st.features.find(q(NS_ROSTERVER, "ver")) is not None, \
                "<ver xmlns='urn:xmpp:features:rosterver'/> missing from the stream features"
            first = await raw_iq(st, f"<query xmlns='{NS_ROSTER}' ver=''/>")
            assert first.get("type") == "result"
            query = first.find(q(NS_ROSTER, "query"))
            assert query is not None and query.get("ver"), \
                "a versioned get must return the roster with a version"
            v0 = query.get("ver")

            await raw_iq(st, f"<query xmlns='{NS_ROSTER}'><item jid='{bob.jid}'/></query>", "set")
            push = await raw_next(st, is_roster_push, what="the push for bob")
            await ack_push(st, push)
            v1 = push.find(q(NS_ROSTER, "query")).get("ver")
            assert v1 and v1 != v0, f"the push must carry a new version (was {v0!r}, now {v1!r})"

            same = await raw_iq(st, f"<query xmlns='{NS_ROSTER}' ver='{v1}'/>")
            assert same.get("type") == "result"
            assert same.find(q(NS_ROSTER, "query")) is None, \
                "RFC 6121 §2.6.3: an unchanged roster is answered with an empty IQ-result"

            # A second client that knows only v0 catches up on bob.
            st2 = await raw_login(im_server, alice, "second")
            try:
                old = await raw_iq(st2, f"<query xmlns='{NS_ROSTER}' ver='{v0}'/>")
                assert old.get("type") == "result"
                if old.find(q(NS_ROSTER, "query")) is not None:
                    assert bob.jid in roster_items_raw(old)
                else:
                    push = await raw_next(st2, lambda e: is_roster_push(e) and
                                          bob.jid in roster_items_raw(e), what="a push for bob")
                    assert push.find(q(NS_ROSTER, "query")).get("ver")
                # A later change reaches the versioned client as a push with a version.
                await raw_iq(st, f"<query xmlns='{NS_ROSTER}'><item jid='{carol.jid}'/></query>",
                             "set")
                push = await raw_next(st2, lambda e: is_roster_push(e) and
                                      carol.jid in roster_items_raw(e), what="the push for carol")
                v2 = push.find(q(NS_ROSTER, "query")).get("ver")
                assert v2 and v2 not in (v0, v1)
            finally:
                await st2.close()
        finally:
            await st.close()
    run(go())


def test_roster_version_changes_on_first_item(im_server, expect_prosody_gap):
    """The empty roster and the roster with one item must not share a version."""
    expect_prosody_gap("an empty roster and the first saved roster both have version '1'")
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        st = await raw_login(im_server, alice)
        try:
            first = await raw_iq(st, f"<query xmlns='{NS_ROSTER}' ver=''/>")
            v0 = first.find(q(NS_ROSTER, "query")).get("ver")
            await raw_iq(st, f"<query xmlns='{NS_ROSTER}'><item jid='{bob.jid}'/></query>", "set")
            push = await raw_next(st, is_roster_push, what="the push for bob")
            v1 = push.find(q(NS_ROSTER, "query")).get("ver")
            assert v1 and v1 != v0, f"the push must carry a new version (was {v0!r}, now {v1!r})"
            again = await raw_iq(st, f"<query xmlns='{NS_ROSTER}' ver='{v0}'/>")
            got = roster_items_raw(again) if again.find(q(NS_ROSTER, "query")) is not None else \
                roster_items_raw(await raw_next(st, is_roster_push, what="a push for bob"))
            assert bob.jid in got, "a client at the empty roster's version never learns of bob"
        finally:
            await st.close()
    run(go())


def test_roster_set_errors(im_server):
    """RFC 6121 §2.3.3 / §2.5: a malformed JID and a set with two items are errors; the roster is
    unchanged."""
    alice, bob, carol = make_accounts(im_server, "alice", "bob", "carol")

    async def go():
        st = await raw_login(im_server, alice)
        try:
            bad = await raw_iq(st, f"<query xmlns='{NS_ROSTER}'><item jid='a@b@{im_server.domain}'/>"
                                   f"</query>", "set")
            assert bad.get("type") == "error", "a roster item with an invalid JID was accepted"
            assert error_condition(bad) in ("jid-malformed", "bad-request"), error_condition(bad)
            assert error_type(bad) == "modify"

            two = await raw_iq(st, f"<query xmlns='{NS_ROSTER}'><item jid='{bob.jid}'/>"
                                   f"<item jid='{carol.jid}'/></query>", "set")
            assert two.get("type") == "error" and error_condition(two) == "bad-request"

            got = await raw_iq(st, f"<query xmlns='{NS_ROSTER}'/>")
            assert roster_items_raw(got) == {}, "a failed set changed the roster"
        finally:
            await st.close()
    run(go())


def test_roster_size_limit(new_im_server, expect_prosody_gap):
    expect_prosody_gap("no roster size limit")
    s = new_im_server(config={"roster": {"max_items": 3}})
    alice, *others = make_accounts(s, "alice", "b", "c", "d", "e")

    async def go():
        st = await raw_login(s, alice)
        try:
            for o in others[:3]:
                ok = await raw_iq(st, f"<query xmlns='{NS_ROSTER}'><item jid='{o.jid}'/></query>", "set")
                assert ok.get("type") == "result", f"item {o.jid} under the limit refused"
            over = await raw_iq(st, f"<query xmlns='{NS_ROSTER}'><item jid='{others[3].jid}'/></query>",
                                "set")
            assert over.get("type") == "error", "the roster grew past roster.max_items"
            assert error_condition(over) in ("policy-violation", "resource-constraint"), \
                error_condition(over)
            got = await raw_iq(st, f"<query xmlns='{NS_ROSTER}'/>")
            assert set(roster_items_raw(got)) == {o.jid for o in others[:3]}
            # Updating an existing item is not growth.
            upd = await raw_iq(st, f"<query xmlns='{NS_ROSTER}'><item jid='{others[0].jid}' "
                                   f"name='renamed'/></query>", "set")
            assert upd.get("type") == "result"
        finally:
            await st.close()
    run(go())
