"""Presence subscriptions (RFC 6121 §3): request, approval, mutual subscription, unsubscribe, cancel,
requests to offline contacts, pre-approval. alice uses slixmpp, bob aioxmpp where both take part."""

import aioxmpp

from im_clients import (NS_ROSTER, aio_login, aio_pres_from, close_all, establish_mutual,
                        im_server, make_accounts, pres_from, push_for, raw_iq, raw_login,  # noqa: F401
                        roster_items_raw, roster_of, slix_login, until, wait_for)
from raw_stream import q
from xmpp_client import run


def _aio_sub(bob, jid: str):
    item = bob.roster.items.get(aioxmpp.JID.fromstr(jid))
    return item.subscription if item is not None else None


def test_subscribe_approve_then_mutual(im_server):
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        a = await slix_login(im_server, alice, "a", roster=True, presence=True)
        b = await aio_login(im_server, bob, "b")
        try:
            b.available()
            await b.roundtrip()

            a.presence_to(bob.jid, "subscribe")
            # RFC 6121 §3.1.2: the user's roster gets the contact with ask='subscribe'.
            push = await a.next_push(push_for(bob.jid), what="the push with ask='subscribe'")
            item = a.roster_items(push)[bob.jid]
            assert item["subscription"] == "none" and item["ask"] == "subscribe", item
            # §3.1.3: the contact receives it from the user's bare JID.
            req = await wait_for(b.presences, aio_pres_from(alice.jid, aioxmpp.PresenceType.SUBSCRIBE),
                                 what="alice's subscribe at bob")
            assert str(req.from_) == alice.jid, f"subscribe from {req.from_}, not the bare JID"

            b.send_presence(alice.jid, aioxmpp.PresenceType.SUBSCRIBED)
            # §3.1.5/§3.1.6: both rosters are updated through pushes.
            await a.next_push(push_for(bob.jid, "to"), what="alice's push subscription='to'")
            await until(lambda: _aio_sub(b, alice.jid) == "from", what="bob's item subscription='from'")
            await a.next_presence(pres_from(bob.jid, "subscribed"), what="'subscribed' at alice")
            # §3.1.5: the contact's server sends the contact's current presence to the user.
            avail = await a.next_presence(pres_from(bob.jid, "available"), what="bob's presence at alice")
            assert avail["from"].full == b.full

            # And the other way: mutual.
            b.send_presence(alice.jid, aioxmpp.PresenceType.SUBSCRIBE)
            await a.next_presence(pres_from(bob.jid, "subscribe"), what="bob's subscribe at alice")
            a.presence_to(bob.jid, "subscribed")
            await a.next_push(push_for(bob.jid, "both"), what="alice's push subscription='both'")
            await until(lambda: _aio_sub(b, alice.jid) == "both", what="bob's item 'both'")
            await wait_for(b.presences, aio_pres_from(a.boundjid.full, aioxmpp.PresenceType.AVAILABLE),
                           what="alice's presence at bob after his subscription was approved")

            st = await raw_login(im_server, alice, "check")
            try:
                items = roster_items_raw(await raw_iq(st, f"<query xmlns='{NS_ROSTER}'/>"))
                assert items[bob.jid]["subscription"] == "both" and items[bob.jid]["ask"] is None
            finally:
                await st.close()
        finally:
            await close_all(a, b)
    run(go())


def test_unsubscribe(im_server, expect_prosody_gap):
    """§3.3: alice unsubscribes from bob: alice 'both'->'from', bob 'both'->'to'; bob's presence
    no longer reaches alice, and (§3.3.3) she is sent his unavailable."""
    expect_prosody_gap("no 'unavailable' from the contact's resources after an unsubscribe")
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        await establish_mutual(im_server, alice, bob)
        a = await slix_login(im_server, alice, "a", roster=True, presence=True)
        b = await slix_login(im_server, bob, "b", roster=True, presence=True)
        try:
            await a.next_presence(pres_from(b.boundjid.full, "available"), what="bob online at alice")

            a.presence_to(bob.jid, "unsubscribe")
            await a.next_push(push_for(bob.jid, "from"), what="alice's push subscription='from'")
            await b.next_push(push_for(alice.jid, "to"), what="bob's push subscription='to'")
            await b.next_presence(pres_from(alice.jid, "unsubscribe"), what="'unsubscribe' at bob")

            # bob changes his presence: it must not reach alice any more. The marker message from
            # bob's same session proves the server handled the presence first.
            b.send_presence(pstatus="busy now", pshow="dnd")
            b.send_message(mto=a.boundjid.full, mbody="marker-unsub", mtype="chat")
            await a.next_stanza(lambda m: m["body"] == "marker-unsub", what="the marker")
            received = []
            while not a.presences.empty():
                received.append(a.presences.get_nowait())
            leaked = [p for p in received if p["from"].bare == bob.jid and p["type"] != "unavailable"]
            assert not leaked, f"alice still receives bob's presence: {leaked}"
            assert roster_of(await a.fetch_roster())[bob.jid] == "from"
            assert roster_of(await b.fetch_roster())[alice.jid] == "to"
            # Last, so that the rest is checked against Prosody too.
            assert any(p["from"].full == b.boundjid.full and p["type"] == "unavailable"
                       for p in received), "alice was not sent bob's unavailable (RFC 6121 §3.3.3)"
        finally:
            await close_all(a, b)
    run(go())


def test_cancel_subscription(im_server):
    """§3.2: bob cancels alice's subscription to him (unsubscribed): alice 'both'->'from' and gets
    'unsubscribed' and bob's unavailable; bob 'both'->'to'."""
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        await establish_mutual(im_server, alice, bob)
        a = await slix_login(im_server, alice, "a", roster=True, presence=True)
        b = await aio_login(im_server, bob, "b")
        try:
            b.available()
            await a.next_presence(pres_from(b.full, "available"), what="bob online at alice")
            b.send_presence(alice.jid, aioxmpp.PresenceType.UNSUBSCRIBED)
            await a.next_push(push_for(bob.jid, "from"), what="alice's push subscription='from'")
            await until(lambda: _aio_sub(b, alice.jid) == "to", what="bob's item subscription='to'")
            await a.next_presence(pres_from(bob.jid, "unsubscribed"), what="'unsubscribed' at alice")
            await a.next_presence(pres_from(b.full, "unavailable"), what="bob's unavailable at alice")
        finally:
            await close_all(a, b)
    run(go())


def test_subscribe_to_offline_contact_delivered_at_login(im_server):
    """§3.1.3: a request to a contact with no available resource is kept and delivered when the
    contact sends initial presence."""
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        a = await slix_login(im_server, alice, "a", roster=True, presence=True)
        b = None
        try:
            a.presence_to(bob.jid, "subscribe")
            await a.next_push(push_for(bob.jid), what="alice's push with ask='subscribe'")
            await a.roundtrip()
            b = await slix_login(im_server, bob, "b", roster=True)
            b.send_presence()
            req = await b.next_presence(pres_from(alice.jid, "subscribe"),
                                        what="the stored subscribe at bob's login")
            assert req["from"].full == alice.jid
            b.presence_to(alice.jid, "subscribed")
            await a.next_push(push_for(bob.jid, "to"), what="alice's push subscription='to'")
        finally:
            await close_all(a, b)
    run(go())


def test_pre_approval(im_server, expect_prosody_gap):
    """§3.4: bob approves alice before she asks; her later subscribe is answered by the server
    and bob is not asked. §2.1.2.1: the pushed item says approved='true' (a SHOULD)."""
    expect_prosody_gap("the roster push for a pre-approval has no approved='true'")
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        b = await slix_login(im_server, bob, "b", roster=True, presence=True)
        a = None
        try:
            b.presence_to(alice.jid, "subscribed")
            push = await b.next_push(push_for(alice.jid), what="bob's push for the pre-approval")
            approved = push.xml.find(f".//{{{NS_ROSTER}}}item")
            assert b.roster_items(push)[alice.jid]["subscription"] == "none"

            a = await slix_login(im_server, alice, "a", roster=True, presence=True)
            a.presence_to(bob.jid, "subscribe")
            await a.next_push(push_for(bob.jid, "to"), what="alice's push subscription='to'")
            await a.next_presence(pres_from(bob.jid, "subscribed"), what="the automatic 'subscribed'")
            await a.next_presence(pres_from(b.boundjid.full, "available"), what="bob's presence")
            await b.next_push(push_for(alice.jid, "from"), what="bob's push subscription='from'")
            # bob was not asked: a marker from alice's session arrives with no subscribe before it.
            a.send_message(mto=b.boundjid.full, mbody="marker-pre", mtype="chat")
            await b.next_stanza(lambda m: m["body"] == "marker-pre", what="the marker")
            asked = []
            while not b.presences.empty():
                p = b.presences.get_nowait()
                if p["type"] == "subscribe":
                    asked.append(p)
            assert not asked, f"bob was asked although he had pre-approved: {asked}"
            # Last, so that the rest is checked against Prosody too.
            assert approved is not None and approved.get("approved") == "true", \
                f"pre-approved item pushed without approved='true': {push}"
        finally:
            await close_all(a, b)
    run(go())


def test_pre_approval_feature_advertised(im_server):
    alice, = make_accounts(im_server, "alice")

    async def go():
        st = await raw_login(im_server, alice)
        try:
            assert st.features.find(q("urn:xmpp:features:pre-approval", "sub")) is not None, \
                "<sub xmlns='urn:xmpp:features:pre-approval'/> missing from the stream features"
        finally:
            await st.close()
    run(go())
