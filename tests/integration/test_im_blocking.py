"""Blocking (XEP-0191): discovery, block list, pushes to the user's resources, messages and presence
of a blocked contact, unblocking. alice blocks bob."""

import asyncio

import aioxmpp

from im_clients import (NS_BLOCKING, NS_BLOCKING_ERRORS, aio_login, close_all, establish_mutual,  # noqa: F401
                        im_server, make_accounts, pres_from, slix_login, until, wait_for)
from xmpp_client import run


def test_blocking_advertised(im_server):
    alice, = make_accounts(im_server, "alice")

    async def go():
        a = await slix_login(im_server, alice)
        try:
            info = (await a["xep_0030"].get_info(jid=im_server.domain, local=False,
                                                 timeout=10))["disco_info"]
            assert NS_BLOCKING in set(info["features"]), sorted(info["features"])
        finally:
            await close_all(a)
    run(go())


def test_block_list_and_pushes(im_server):
    """§3.2-3.5: the list starts empty; a block is pushed to the other resource (aioxmpp's
    BlockingClient, which requested the list) and listed; unblock is pushed and unlisted."""
    alice, bob, carol = make_accounts(im_server, "alice", "bob", "carol")

    async def go():
        a = await slix_login(im_server, alice, "desk", presence=True)
        other = await aio_login(im_server, alice, "phone", roster=False, blocking=True)
        try:
            assert other.blocking.blocklist == frozenset(), other.blocking.blocklist
            assert set((await a["xep_0191"].get_blocked(timeout=10))["blocklist"]["items"]) == set()

            await a["xep_0191"].block([bob.jid, carol.jid], timeout=10)
            want = {aioxmpp.JID.fromstr(bob.jid), aioxmpp.JID.fromstr(carol.jid)}
            await until(lambda: other.blocking.blocklist == want, what="the block push at alice/phone")
            listed = (await a["xep_0191"].get_blocked(timeout=10))["blocklist"]["items"]
            assert {str(j) for j in listed} == {bob.jid, carol.jid}

            await a["xep_0191"].unblock([carol.jid], timeout=10)
            await until(lambda: other.blocking.blocklist == {aioxmpp.JID.fromstr(bob.jid)},
                        what="the unblock push at alice/phone")
            listed = (await a["xep_0191"].get_blocked(timeout=10))["blocklist"]["items"]
            assert {str(j) for j in listed} == {bob.jid}
        finally:
            await close_all(a, other)
    run(go())


def test_blocked_contact_messages_bounce_and_are_not_delivered(im_server):
    """§3.3: a message from a blocked contact is not delivered and answered with
    <service-unavailable/>; alice's own message to bob is refused with <not-acceptable/> and
    <blocked xmlns='urn:xmpp:blocking:errors'/>. Unblocking restores delivery."""
    alice, bob, carol = make_accounts(im_server, "alice", "bob", "carol")

    async def go():
        a = await slix_login(im_server, alice, "a", presence=True)
        b = await slix_login(im_server, bob, "b", presence=True)
        c = await slix_login(im_server, carol, "c", presence=True)
        try:
            await a["xep_0191"].block(bob.jid, timeout=10)
            b.send_message(mto=alice.jid, mbody="let me in", mtype="chat")
            err = await b.next_stanza(lambda m: m["type"] == "error", what="the bounce at bob")
            assert err["error"]["condition"] == "service-unavailable", err
            assert err["from"].bare == alice.jid
            # Delivered, it would be at alice before carol's later message.
            c.send_message(mto=a.boundjid.full, mbody="marker-block", mtype="chat")
            seen = []
            await wait_for(a.stanzas, lambda m: m["body"] == "marker-block", what="marker", seen=seen)
            assert not [m for m in seen if m["from"].bare == bob.jid], f"bob's message got through: {seen}"

            a.send_message(mto=bob.jid, mbody="I blocked you", mtype="chat")
            out = await a.next_stanza(lambda m: m["type"] == "error", what="alice's outbound refusal")
            assert out["error"]["condition"] == "not-acceptable", out
            assert out.xml.find(f".//{{{NS_BLOCKING_ERRORS}}}blocked") is not None, out

            await a["xep_0191"].unblock(bob.jid, timeout=10)
            b.send_message(mto=alice.jid, mbody="hello again", mtype="chat")
            m = await a.next_stanza(lambda m: m["body"] == "hello again", what="delivery after unblock")
            assert m["from"].full == b.boundjid.full
        finally:
            await close_all(a, b, c)
    run(go())


def test_blocked_contact_gets_unavailable_and_no_presence(im_server):
    """§3.3: when alice blocks bob (a subscribed contact), bob receives unavailable presence from
    alice's resources and no further presence; on unblock he gets her current presence."""
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        await establish_mutual(im_server, alice, bob)
        b = await slix_login(im_server, bob, "b", roster=True, presence=True)
        a = await slix_login(im_server, alice, "a", roster=True, presence=True)
        try:
            await b.next_presence(pres_from(a.boundjid.full, "available"), what="alice online at bob")
            await a["xep_0191"].block(bob.jid, timeout=10)
            await b.next_presence(pres_from(a.boundjid.full, "unavailable"),
                                  what="alice's unavailable at bob when blocked")
            a.send_presence(pstatus="invisible to bob", pshow="away")
            await a.roundtrip()
            await asyncio.sleep(1.0)  # bob has no marker he could receive from alice while blocked
            leaked = [p for p in _drain(b.presences) if p["from"].bare == alice.jid and
                      p["type"] != "unavailable"]
            assert not leaked, f"bob got alice's presence while blocked: {leaked}"

            await a["xep_0191"].unblock(bob.jid, timeout=10)
            p = await b.next_presence(pres_from(a.boundjid.full, "available"),
                                      what="alice's current presence at bob after unblock")
            assert p["status"] == "invisible to bob"
        finally:
            await close_all(a, b)
    run(go())


def _drain(queue) -> list:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out
