"""vCards (XEP-0054): publish and read one's own vCard, read another user's, and the answer when
there is none."""

import asyncio

import aioxmpp
import aioxmpp.vcard
from slixmpp.exceptions import IqError

from im_clients import (NS_VCARD, aio_login, close_all, error_condition, im_server,  # noqa: F401
                        make_accounts, raw_iq, raw_login, slix_login)
from raw_stream import q
from xmpp_client import run, unique


def test_set_and_get_own_vcard_and_another_users(im_server):
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        a = await slix_login(im_server, alice)
        b = await aio_login(im_server, bob, roster=False)
        try:
            card = a["xep_0054"].make_vcard()
            card["FN"] = "Alice Example"
            card["NICKNAME"] = "ally"
            res = await a["xep_0054"].publish_vcard(card, timeout=10)
            # Own vCard: an iq without 'to' (§3.1).
            got = await a["xep_0054"].get_vcard(local=False, timeout=10)
            assert got["type"] == "result"
            assert got["vcard_temp"]["FN"] == "Alice Example"
            assert got["vcard_temp"]["NICKNAME"] in ("ally", ["ally"])  # slixmpp: a list
            # Another user, by bare JID (§3.2), with aioxmpp.
            vc = await asyncio.wait_for(b.vcard.get_vcard(aioxmpp.JID.fromstr(alice.jid)), 10)
            fn = vc.elements.find(q(NS_VCARD, "FN"))
            nick = vc.elements.find(q(NS_VCARD, "NICKNAME"))
            assert fn is not None and fn.text == "Alice Example", aioxmpp.xml.serialize_single_xso(vc)
            assert nick is not None and nick.text == "ally"
            # An update replaces the whole vCard.
            card2 = a["xep_0054"].make_vcard()
            card2["FN"] = "Alice Renamed"
            await a["xep_0054"].publish_vcard(card2, timeout=10)
            got = await a["xep_0054"].get_vcard(local=False, timeout=10)
            assert got["vcard_temp"]["FN"] == "Alice Renamed"
            assert not got["vcard_temp"]["NICKNAME"], "the old NICKNAME survived the update"
            del res
        finally:
            await close_all(a, b)
    run(go())


def test_no_vcard(im_server):
    """§3.1: one's own missing vCard is an empty <vCard/> result or an error (SHOULD be
    item-not-found). §3.3: another user's missing vCard is an error, service-unavailable or
    item-not-found, and the same one as for an account that does not exist."""
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        st = await raw_login(im_server, alice)
        try:
            own = await raw_iq(st, f"<vCard xmlns='{NS_VCARD}'/>")
            if own.get("type") == "result":
                card = own.find(q(NS_VCARD, "vCard"))
                assert card is not None and len(card) == 0 and not (card.text or "").strip(), \
                    "a missing vCard must come back as an empty <vCard/>"
            else:
                assert error_condition(own) == "item-not-found", error_condition(own)

            other = await raw_iq(st, f"<vCard xmlns='{NS_VCARD}'/>", to=bob.jid)
            ghost = await raw_iq(st, f"<vCard xmlns='{NS_VCARD}'/>", to=im_server.jid(unique("ghost")))
            assert ghost.get("type") == "error"
            assert error_condition(ghost) in ("service-unavailable", "item-not-found")
            if other.get("type") == "result":
                raise AssertionError("XEP-0054 §3.3: a missing vCard of another user must be an error")
            assert error_condition(other) == error_condition(ghost), \
                "an existing account without vCard must not be told apart from a missing account"
        finally:
            await st.close()
    run(go())


def test_cannot_set_another_users_vcard(im_server):
    alice, bob = make_accounts(im_server, "alice", "bob")

    async def go():
        a = await slix_login(im_server, alice)
        try:
            card = a["xep_0054"].make_vcard()
            card["FN"] = "Not Bob"
            try:
                await a["xep_0054"].publish_vcard(card, jid=bob.jid, timeout=10)
                raise AssertionError("alice could set bob's vCard")
            except IqError as e:
                assert e.iq["error"]["type"] in ("cancel", "auth"), e.iq
            b = await slix_login(im_server, bob)
            try:
                got = None
                try:
                    got = await b["xep_0054"].get_vcard(local=False, timeout=10)
                except IqError:
                    pass
                assert got is None or got["vcard_temp"]["FN"] != "Not Bob"
            finally:
                await close_all(b)
        finally:
            await close_all(a)
    run(go())
