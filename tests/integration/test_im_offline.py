"""Offline messages (XEP-0160) with delayed-delivery stamps (XEP-0203): storage, order, the
trigger (available presence with non-negative priority), a per-account limit, and a restart."""

import asyncio
import re
from datetime import datetime, timedelta, timezone

from im_clients import (NS_DELAY, aio_body, aio_login, close_all, im_server, make_accounts,  # noqa: F401
                        new_im_server, restart, slix_login, wait_for)
from xmpp_client import run

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]00:00)$")


def _check_delay(msg, domain: str, not_before: datetime) -> None:
    el = msg.xml.find(f"{{{NS_DELAY}}}delay")
    assert el is not None, f"offline message without <delay xmlns='urn:xmpp:delay'/>: {msg}"
    assert el.get("from") == domain, f"delay from={el.get('from')!r}, expected the server {domain!r}"
    stamp = el.get("stamp", "")
    assert STAMP.match(stamp), f"stamp {stamp!r} is not a UTC XEP-0082 DateTime"
    when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    now = datetime.now(timezone.utc)
    assert when <= now + timedelta(seconds=2), f"stamp {stamp} is in the future (now {now})"
    assert when >= not_before - timedelta(seconds=2), f"stamp {stamp} is before the message was sent"


def test_offline_messages_stored_and_delivered_in_order(im_server):
    alice, bob = make_accounts(im_server, "alice", "bob")
    bodies = [f"offline {i}" for i in range(5)]

    async def go():
        t0 = datetime.now(timezone.utc)
        a = await slix_login(im_server, alice, "a", presence=True)
        try:
            for i, body in enumerate(bodies):
                # chat and normal are stored; headline is not (XEP-0160 §3)
                a.send_message(mto=bob.jid, mbody=body, mtype="chat" if i % 2 else "normal")
            a.send_message(mto=bob.jid, mbody="a headline", mtype="headline")
            await a.roundtrip()
            errors = [m for m in _drain(a.stanzas) if m["type"] == "error"]
            assert not errors, f"messages to an offline account were bounced: {errors}"
        finally:
            await close_all(a)

        b = await slix_login(im_server, bob, "b")
        try:
            b.send_presence()
            got = []  # every stored message, in arrival order
            while len(got) < len(bodies):
                got.append(await b.next_stanza(lambda m: m["body"] in bodies,
                                               what=f"offline message {len(got) + 1}"))
            assert [m["body"] for m in got] == bodies, "offline messages out of order"
            for m in got:
                _check_delay(m, im_server.domain, t0)
                assert m["from"].bare == alice.jid
            # Sent once only: a second login gets nothing; and the headline was not kept.
            await b.roundtrip()
            await asyncio.sleep(0.5)
            rest = [m["body"] for m in _drain(b.stanzas)]
            assert "a headline" not in rest, "a headline message was stored offline"
        finally:
            await close_all(b)

        b2 = await slix_login(im_server, bob, "again")
        try:
            b2.send_presence()
            b2.send_message(mto=b2.boundjid.full, mbody="marker", mtype="chat")
            seen = []
            await wait_for(b2.stanzas, lambda m: m["body"] == "marker", what="marker", seen=seen)
            await asyncio.sleep(0.5)
            seen += _drain(b2.stanzas)
            assert not [m for m in seen if m["body"] in bodies], "offline messages delivered twice"
        finally:
            await close_all(b2)
    run(go())


def _drain(queue) -> list:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


def _store_one(s, alice, bob, body):
    async def go():
        a = await slix_login(s, alice, "a", presence=True)
        try:
            a.send_message(mto=bob.jid, mbody=body, mtype="chat")
            await a.roundtrip()
        finally:
            await close_all(a)
    return go()


def test_negative_priority_presence_does_not_trigger_delivery(im_server):
    """XEP-0160 §4 / RFC 6121 §8.5.2.1.1: offline messages wait for an available presence with a
    non-negative priority; they go to the resource that sent it."""
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        await _store_one(im_server, alice, bob, "for later")
        neg = await aio_login(im_server, bob, "neg", roster=False)
        pos = None
        try:
            neg.available(priority=-5)
            await neg.roundtrip()
            await asyncio.sleep(1.5)  # a delivery would be under way by now
            assert "for later" not in [aio_body(m) for m in _drain(neg.stanzas)], \
                "delivered on a negative-priority presence"
            pos = await slix_login(im_server, bob, "pos")
            pos.send_presence(ppriority=0)
            m = await pos.next_stanza(lambda m: m["body"] == "for later",
                                      what="delivery at the priority-0 initial presence")
            assert m["from"].bare == alice.jid
            await pos.roundtrip()
            assert "for later" not in [aio_body(m) for m in _drain(neg.stanzas)], \
                "the negative-priority resource got the offline message too"
        finally:
            await close_all(neg, pos)
    run(go())


def test_priority_raised_from_negative_triggers_delivery(im_server, expect_prosody_gap):
    """XEP-0160 §4: 'when the recipient next sends non-negative available presence' — also a
    presence update from a negative priority, not only the initial presence."""
    expect_prosody_gap("offline messages are sent only at the initial presence")
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        await _store_one(im_server, alice, bob, "for later")
        b = await aio_login(im_server, bob, "b", roster=False)
        try:
            b.available(priority=-1)
            await b.roundtrip()
            b.available(priority=1)
            m = await wait_for(b.stanzas, lambda m: aio_body(m) == "for later",
                               what="delivery when the priority became 1")
            assert str(m.from_.bare()) == alice.jid
        finally:
            await close_all(b)
    run(go())


def test_offline_limit(new_im_server, expect_prosody_gap):
    expect_prosody_gap("mod_offline has no per-account limit")
    s = new_im_server(config={"offline": {"max_messages": 2}})
    alice, bob = make_accounts(s, "alice", "bob")

    async def go():
        a = await slix_login(s, alice, "a", presence=True)
        try:
            for i in range(3):
                a.send_message(mto=bob.jid, mbody=f"m{i}", mtype="chat")
            err = await a.next_stanza(lambda m: m["type"] == "error", what="the error for the third")
            assert err["error"]["condition"] == "resource-constraint", err
            assert err["error"]["type"] == "wait"
            assert err["body"] in ("", "m2"), "the error must be for the message over the limit"
        finally:
            await close_all(a)
        b = await slix_login(s, bob, "b", presence=True)
        try:
            got = [(await b.next_stanza(lambda m: m["body"] == f"m{i}", what=f"m{i}"))["body"]
                   for i in range(2)]
            assert got == ["m0", "m1"]
        finally:
            await close_all(b)
    run(go())


def test_offline_messages_survive_restart(new_im_server):
    s = new_im_server()
    alice, bob = make_accounts(s, "alice", "bob")

    async def send():
        a = await slix_login(s, alice, "a", presence=True)
        try:
            a.send_message(mto=bob.jid, mbody="before restart 1", mtype="chat")
            a.send_message(mto=bob.jid, mbody="before restart 2", mtype="chat")
            await a.roundtrip()
        finally:
            await close_all(a)
    run(send())
    restart(s)

    async def receive():
        b = await slix_login(s, bob, "b", presence=True)
        try:
            m1 = await b.next_stanza(lambda m: m["body"] == "before restart 1", what="message 1")
            m2 = await b.next_stanza(lambda m: m["body"] == "before restart 2", what="message 2")
            assert m1["from"].bare == m2["from"].bare == alice.jid
            assert m1.xml.find(f"{{{NS_DELAY}}}delay") is not None
        finally:
            await close_all(b)
    run(receive())
