"""Presence (RFC 6121 §4): broadcast of initial presence to contacts and own resources, probes at
login, directed presence, priorities, unavailable presence on logout / stream close / dropped TCP,
and no presence for non-subscribers."""

import asyncio

import aioxmpp
import pytest

from im_clients import (aio_login, aio_pres_from, close_all, establish_mutual, im_server,  # noqa: F401
                        make_accounts, pres_from, push_for, raw_login, slix_login, wait_for)
from xmpp_client import run, unique


def test_initial_presence_broadcast_and_echo(im_server):
    """§4.2.2: initial presence goes to subscribed contacts and to all the user's available resources,
    including the one that sent it."""
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        await establish_mutual(im_server, alice, bob)
        b = await slix_login(im_server, bob, "b", roster=True, presence=True)
        a2 = await aio_login(im_server, alice, "second")
        a1 = None
        try:
            a2.available()
            await a2.roundtrip()
            a1 = await slix_login(im_server, alice, "first", roster=True)
            a1.send_presence(pstatus="hello world")
            p = await b.next_presence(pres_from(a1.boundjid.full, "available"),
                                      what="alice/first's presence at bob")
            assert p["status"] == "hello world"
            assert p["to"].bare == bob.jid
            echo = await wait_for(a2.presences, aio_pres_from(a1.boundjid.full,
                                                              aioxmpp.PresenceType.AVAILABLE),
                                  what="alice/first's presence at alice/second")
            assert echo.status.any() == "hello world"
            await a1.next_presence(pres_from(a1.boundjid.full, "available"),
                                   what="the echo of alice/first's presence to itself")
            # And the new resource learns of its contacts' presence (the probe, §4.3).
            await a1.next_presence(pres_from(b.boundjid.full, "available"), what="bob's presence")
        finally:
            await close_all(a1, a2, b)
    run(go())


def test_new_resource_gets_presence_of_own_other_resources(im_server):
    """A newly available resource receives the presence of the account's other available resources
    (an entity is implicitly subscribed to its own presence, RFC 6121 §4.2.2, so the probes of
    §4.3 cover the user's own bare JID). Prosody does this."""
    alice, = make_accounts(im_server, "alice")

    async def go():
        a2 = await aio_login(im_server, alice, "second", roster=False)
        a1 = None
        try:
            a2.available(status="already here")
            await a2.roundtrip()
            a1 = await slix_login(im_server, alice, "first")
            a1.send_presence()
            p = await a1.next_presence(pres_from(a2.full, "available"), what="alice/second's presence")
            assert p["status"] == "already here"
        finally:
            await close_all(a1, a2)
    run(go())


def test_probe_answered_at_login(im_server):
    """§4.3: a user who comes online later gets the current presence of contacts already online."""
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        await establish_mutual(im_server, alice, bob)
        b = await aio_login(im_server, bob, "b")
        a = None
        try:
            b.presence_server.set_presence(aioxmpp.PresenceState(True, aioxmpp.PresenceShow.AWAY),
                                           status="out for lunch")
            await b.roundtrip()
            a = await slix_login(im_server, alice, "a", roster=True)
            a.send_presence()
            p = await a.next_presence(pres_from(b.full, "available"),
                                      what="bob's current presence, answering the server's probe")
            assert p["show"] == "away" and p["status"] == "out for lunch", p
        finally:
            await close_all(a, b)
    run(go())


def test_directed_presence_to_non_contact(im_server):
    """§4.6: directed presence reaches a non-contact, and when the sender goes offline the recipient
    gets unavailable presence from it."""
    alice, carol = make_accounts(im_server, "alice", "carol")

    async def go():
        c = await slix_login(im_server, carol, "c", presence=True)
        a = await slix_login(im_server, alice, "a", presence=True)
        try:
            a.send_presence(pto=c.boundjid.full, pstatus="just for you")
            p = await c.next_presence(pres_from(a.boundjid.full, "available"),
                                      what="the directed presence")
            assert p["status"] == "just for you"
            a_full = a.boundjid.full
            await a.close()
            await c.next_presence(pres_from(a_full, "unavailable"),
                                  what="unavailable from alice after she logged out")
        finally:
            await close_all(a, c)
    run(go())


def test_negative_priority_gets_no_bare_jid_messages(im_server):
    """§8.5.2.1.1 / §4.7.2.3: a message to the bare JID goes to the resource(s) with the highest
    non-negative priority, never to a negative-priority one."""
    alice, carol = make_accounts(im_server, "alice", "carol")

    async def go():
        hi = await slix_login(im_server, alice, "hi", presence=True, priority=5)
        lo = await slix_login(im_server, alice, "lo", presence=True, priority=3)
        neg = await aio_login(im_server, alice, "neg", roster=False)
        c = await slix_login(im_server, carol, "c", presence=True)
        try:
            neg.available(priority=-1)
            await neg.roundtrip()
            c.send_message(mto=alice.jid, mbody="to the bare jid", mtype="chat")
            c.send_message(mto=neg.full, mbody="marker-neg", mtype="chat")
            c.send_message(mto=lo.boundjid.full, mbody="marker-lo", mtype="chat")
            m = await hi.next_stanza(lambda m: m["body"] == "to the bare jid",
                                     what="the bare-JID message at the highest priority")
            assert m["from"].full == c.boundjid.full
            seen_neg = []
            await wait_for(neg.stanzas, lambda m: m.body.any() == "marker-neg", what="marker at neg",
                           seen=seen_neg)
            assert not seen_neg, f"the negative-priority resource got {seen_neg}"
            seen_lo = []
            await wait_for(lo.stanzas, lambda m: m["body"] == "marker-lo", what="marker at lo",
                           seen=seen_lo)
            assert not seen_lo, "a bare-JID message went to a lower-priority resource"
        finally:
            await close_all(hi, lo, neg, c)
    run(go())


@pytest.mark.parametrize("how", ["unavailable", "stream-close", "tcp-drop"])
def test_unavailable_broadcast_when_going_offline(im_server, how):
    """§4.5.2: when a resource goes offline, gracefully or not, its contacts (and the user's other
    resources) get unavailable presence from it."""
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        await establish_mutual(im_server, alice, bob)
        b = await slix_login(im_server, bob, "b", roster=True, presence=True)
        a_other = await slix_login(im_server, alice, "other", presence=True)
        raw = await raw_login(im_server, alice, "leaving")
        try:
            await raw.send("<presence/>")
            await b.next_presence(pres_from(raw.jid, "available"), what="alice/leaving online at bob")
            await a_other.next_presence(pres_from(raw.jid, "available"),
                                        what="alice/leaving online at alice/other")
            if how == "unavailable":
                await raw.send("<presence type='unavailable'><status>bye</status></presence>")
            elif how == "stream-close":
                await raw.send("</stream:stream>")
            else:
                raw.writer.transport.abort()  # no </stream:stream>, no TLS close_notify
            t0 = asyncio.get_running_loop().time()
            p = await b.next_presence(pres_from(raw.jid, "unavailable"), timeout=10,
                                      what=f"alice's unavailable at bob after {how}")
            if how == "unavailable":
                assert p["status"] == "bye", "the unavailable presence must be broadcast as sent"
            else:
                assert asyncio.get_running_loop().time() - t0 < 5, "unavailable came late"
            await a_other.next_presence(pres_from(raw.jid, "unavailable"),
                                        what="the unavailable at alice's other resource")
        finally:
            await raw.close()
            await close_all(b, a_other)
    run(go())


def test_presence_not_sent_to_non_subscriber(im_server):
    """§4.2.2: broadcast goes only to contacts with subscription from/both; carol, who asked but was
    never approved, gets nothing. A message from alice's session after her presence proves ordering."""
    alice, bob, carol = make_accounts(im_server, "alice", "bob", "carol")

    async def go():
        await establish_mutual(im_server, alice, bob)
        c = await slix_login(im_server, carol, "c", roster=True, presence=True)
        b = await slix_login(im_server, bob, "b", roster=True, presence=True)
        a = None
        try:
            c.presence_to(alice.jid, "subscribe")  # pending, never approved
            await c.next_push(push_for(alice.jid), what="carol's pending item")
            a = await slix_login(im_server, alice, "a", roster=True)
            a.send_presence(pstatus="here")
            await b.next_presence(pres_from(a.boundjid.full, "available"), what="alice at bob")
            a.send_presence(pstatus="still here", pshow="away")
            a.send_message(mto=c.boundjid.full, mbody="marker-nonsub", mtype="chat")
            await c.next_stanza(lambda m: m["body"] == "marker-nonsub", what="the marker at carol")
            leaked = []
            while not c.presences.empty():
                p = c.presences.get_nowait()
                # (an unavailable from the bare JID may answer carol's own probe: it reveals nothing)
                if p["from"].bare == alice.jid and (p["from"].full == a.boundjid.full or p["type"]
                                                    not in ("unavailable", "unsubscribed")):
                    leaked.append(p)
            assert not leaked, f"carol, not subscribed, got alice's presence: {leaked}"
        finally:
            await close_all(a, b, c)
    run(go())


def test_presence_from_client_is_stamped(im_server):
    """RFC 6120 §8.1.2.1 for presence: a broadcast carries the sender's full JID whatever 'from' the
    client wrote; the server may instead reject the forged stanza, but never deliver it as written."""
    alice, bob = make_accounts(im_server, "alice", "bob")
    mallory = im_server.jid(unique("mallory"))

    async def go():
        await establish_mutual(im_server, alice, bob)
        b = await slix_login(im_server, bob, "b", roster=True, presence=True)
        raw = await raw_login(im_server, alice, "r")
        try:
            await raw.send(f"<presence from='{mallory}/x'><status>forged</status></presence>")
            try:
                await raw.send("<presence><status>marker</status></presence>")
            except (ConnectionError, OSError):
                pass  # rejected with a stream error: fine
            try:
                p = await b.next_presence(lambda p: p["from"].bare in (alice.jid, mallory) and
                                          p["type"] == "available", timeout=5, what="alice's presence")
            except AssertionError:
                return  # nothing delivered: the stream was rejected
            assert p["from"].bare != mallory, "presence delivered with the forged from"
            assert p["from"].full == raw.jid, f"presence delivered with from={p['from']}"
        finally:
            await raw.close()
            await close_all(b)
    run(go())
