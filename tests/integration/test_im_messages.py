"""Message and iq routing for accounts (RFC 6121 §8.5): bare-JID delivery to the highest priority
resources, service-unavailable for unknown accounts and unavailable full JIDs, and no answer to
error stanzas."""

import asyncio

import aioxmpp

from im_clients import (NS_PING, aio_body, aio_login, close_all, error_condition, im_server,  # noqa: F401
                        make_accounts, raw_iq, raw_login, raw_next, slix_login, wait_for)
from raw_stream import NS_CLIENT, q
from xmpp_client import run, unique


def test_bare_jid_message_goes_to_all_highest_priority(im_server):
    """Two resources at priority 2 get the message, the one at priority 1 does not."""
    alice, carol = make_accounts(im_server, "alice", "carol")

    async def go():
        top1 = await slix_login(im_server, alice, "top1", presence=True, priority=2)
        top2 = await aio_login(im_server, alice, "top2", roster=False)
        low = await slix_login(im_server, alice, "low", presence=True, priority=1)
        c = await slix_login(im_server, carol, "c", presence=True)
        try:
            top2.available(priority=2)
            await top2.roundtrip()
            c.send_message(mto=alice.jid, mbody="to everyone on top", mtype="chat")
            c.send_message(mto=low.boundjid.full, mbody="marker-low", mtype="chat")
            m1 = await top1.next_stanza(lambda m: m["body"] == "to everyone on top", what="at top1")
            assert m1["from"].full == c.boundjid.full
            m2 = await wait_for(top2.stanzas, lambda m: aio_body(m) == "to everyone on top",
                                what="at top2 (aioxmpp)")
            assert str(m2.from_) == c.boundjid.full
            seen = []
            await wait_for(low.stanzas, lambda m: m["body"] == "marker-low", what="marker", seen=seen)
            assert not seen, f"the lower-priority resource got {seen}"
        finally:
            await close_all(top1, top2, low, c)
    run(go())


def test_message_and_iq_to_unknown_account(im_server, expect_prosody_gap):
    """§8.5.1: no such account: message and iq get <service-unavailable/>."""
    expect_prosody_gap("answers a ping to the bare JID of an account that does not exist")
    alice, = make_accounts(im_server, "alice")
    ghost = im_server.jid(unique("ghost"))

    async def go():
        a = await aio_login(im_server, alice, roster=False)
        try:
            a.send_chat(ghost, "anyone?")
            err = await wait_for(a.stanzas, lambda m: m.type_ == aioxmpp.MessageType.ERROR,
                                 what="the bounce")
            assert str(err.from_) == ghost
            assert err.error.condition == aioxmpp.ErrorCondition.SERVICE_UNAVAILABLE
            iq = aioxmpp.IQ(type_=aioxmpp.IQType.GET, to=aioxmpp.JID.fromstr(ghost),
                            payload=aioxmpp.ping.Ping())
            try:
                await asyncio.wait_for(a.client.send(iq), 10)
                raise AssertionError("an iq to an unknown account got a result")
            except aioxmpp.errors.XMPPCancelError as e:
                assert e.condition == aioxmpp.ErrorCondition.SERVICE_UNAVAILABLE
        finally:
            await close_all(a)
    run(go())


def test_iq_to_unavailable_full_jid(im_server):
    """§8.5.3.2.1: an iq to a full JID with no session is answered with <service-unavailable/>, for
    an existing account with and without other sessions online."""
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        st = await raw_login(im_server, alice)
        b = None
        try:
            for _ in range(2):
                res = await raw_iq(st, f"<ping xmlns='{NS_PING}'/>", to=f"{bob.jid}/nowhere")
                assert res.get("type") == "error" and error_condition(res) == "service-unavailable", \
                    res.attrib
                assert res.get("from") == f"{bob.jid}/nowhere"
                if b is None:
                    b = await slix_login(im_server, bob, "somewhere", presence=True)
        finally:
            await st.close()
            await close_all(b)
    run(go())


def test_error_messages_are_never_answered(im_server):
    """RFC 6120 §8.3.1: a type='error' message is not answered with another error, whether its
    recipient does not exist or is offline; and it is not stored offline (XEP-0160 §3)."""
    alice, bob = make_accounts(im_server, "alice", "bob")
    ghost = im_server.jid(unique("ghost"))

    async def go():
        st = await raw_login(im_server, alice)
        try:
            err_body = ("<error type='cancel'><item-not-found "
                        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>")
            await st.send(f"<message type='error' to='{ghost}' id='e1'><body>x</body>{err_body}</message>")
            await st.send(f"<message type='error' to='{bob.jid}' id='e2'><body>x</body>{err_body}</message>")
            await st.send(f"<message type='chat' to='{ghost}' id='m3'><body>bounce me</body></message>")
            bounce = await raw_next(st, lambda e: e.tag == q(NS_CLIENT, "message") and
                                    e.get("id") == "m3", what="the bounce of the chat message")
            assert error_condition(bounce) == "service-unavailable"
            answered = [e for e in getattr(st, "skipped", []) if e.get("id") in ("e1", "e2")]
            assert not answered, f"an error stanza was answered: {answered}"
        finally:
            await st.close()

        b = await slix_login(im_server, bob, "b", presence=True)
        try:
            b.send_message(mto=b.boundjid.full, mbody="marker-self", mtype="chat")
            seen = []
            await wait_for(b.stanzas, lambda m: m["body"] == "marker-self", what="the marker", seen=seen)
            # Offline messages may come just after the marker: give them a moment.
            await asyncio.sleep(1.0)
            while not b.stanzas.empty():
                seen.append(b.stanzas.get_nowait())
            assert not [m for m in seen if m["type"] == "error"], \
                f"an error message was stored offline: {seen}"
        finally:
            await close_all(b)
    run(go())


def test_message_to_full_jid_of_offline_resource_goes_to_bare(im_server):
    """§8.5.3.2.1: a message to a full JID that has no session is handled as if sent to the bare
    JID: here delivered to the account's available resource."""
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        b = await slix_login(im_server, bob, "here", presence=True)
        a = await slix_login(im_server, alice, "a", presence=True)
        try:
            a.send_message(mto=f"{bob.jid}/gone", mbody="to a resource that is gone", mtype="chat")
            m = await b.next_stanza(lambda m: m["body"] == "to a resource that is gone",
                                    what="the message at bob's other resource")
            assert m["type"] == "chat"
        finally:
            await close_all(a, b)
    run(go())
