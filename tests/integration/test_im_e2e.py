"""The README's story end to end: two accounts subscribe to each other, see each other come online
and go offline, chat, and a message sent while one was offline arrives after a server restart.
alice uses slixmpp, bob aioxmpp."""

import aioxmpp

from im_clients import (aio_body, aio_login, aio_pres_from, close_all, make_accounts, new_im_server,  # noqa: F401
                        pres_from, push_for, restart, slix_login, until, wait_for)
from xmpp_client import run


def test_two_accounts_chat_with_presence_and_offline_across_restart(new_im_server):
    s = new_im_server()
    alice, bob = make_accounts(s, "alice", "bob")

    async def first_session():
        a = await slix_login(s, alice, "laptop", roster=True, presence=True)
        b = await aio_login(s, bob, "phone")
        try:
            b.available()
            # alice adds bob; bob approves and adds alice back; alice approves.
            a.presence_to(bob.jid, "subscribe")
            await wait_for(b.presences, aio_pres_from(alice.jid, aioxmpp.PresenceType.SUBSCRIBE),
                           what="alice's request at bob")
            b.send_presence(alice.jid, aioxmpp.PresenceType.SUBSCRIBED)
            b.send_presence(alice.jid, aioxmpp.PresenceType.SUBSCRIBE)
            # Presences that arrive while waiting for something else are kept: bob's presence
            # comes with his approval (RFC 6121 §3.1.5), before his own request.
            seen_a = []
            await wait_for(a.presences, pres_from(bob.jid, "subscribe"), what="bob's request at alice",
                           seen=seen_a)
            a.presence_to(bob.jid, "subscribed")
            await a.next_push(push_for(bob.jid, "both"), what="alice's roster: bob 'both'")
            await until(lambda: (item := b.roster.items.get(aioxmpp.JID.fromstr(alice.jid))) is not None
                        and item.subscription == "both", what="bob's roster: alice 'both'")
            # Each sees the other online.
            if not any(pres_from(b.full, "available")(p) for p in seen_a):
                await a.next_presence(pres_from(b.full, "available"), what="bob online at alice")
            await wait_for(b.presences, aio_pres_from(a.boundjid.full, aioxmpp.PresenceType.AVAILABLE),
                           what="alice online at bob")
            # They chat.
            a.send_message(mto=bob.jid, mbody="Hello Bob", mtype="chat")
            m = await wait_for(b.stanzas, lambda m: aio_body(m) == "Hello Bob", what="alice's message")
            assert str(m.from_) == a.boundjid.full
            b.send_chat(str(m.from_), "Hi")
            reply = await a.next_stanza(lambda m: m["body"] == "Hi", what="bob's answer")
            assert reply["from"].full == b.full
            # bob goes offline: alice sees it.
            b_full = b.full
            await b.stop()
            await a.next_presence(pres_from(b_full, "unavailable"), what="bob offline at alice")
            # alice writes while bob is offline.
            a.send_message(mto=bob.jid, mbody="Are you there?", mtype="chat")
            await a.roundtrip()
            assert not [m for m in _drain(a.stanzas) if m["type"] == "error"], \
                "the message to offline bob was bounced"
        finally:
            await close_all(a, b)
    run(first_session(), timeout=120)

    restart(s)

    async def second_session():
        a = await slix_login(s, alice, "laptop", roster=True, presence=True)
        b = await aio_login(s, bob, "phone")
        try:
            assert b.roster.items[aioxmpp.JID.fromstr(alice.jid)].subscription == "both", \
                "the roster did not survive the restart"
            b.available()
            m = await wait_for(b.stanzas, lambda m: aio_body(m) == "Are you there?",
                               what="the offline message after the restart")
            assert str(m.from_.bare()) == alice.jid
            await a.next_presence(pres_from(b.full, "available"), what="bob online at alice again")
            await wait_for(b.presences, aio_pres_from(a.boundjid.full, aioxmpp.PresenceType.AVAILABLE),
                           what="alice's presence at bob (probe at his login)")
            a_full = a.boundjid.full
            await a.close()
            await wait_for(b.presences, aio_pres_from(a_full, aioxmpp.PresenceType.UNAVAILABLE),
                           what="alice offline at bob")
        finally:
            await close_all(a, b)
    run(second_session(), timeout=120)


def _drain(queue) -> list:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out
