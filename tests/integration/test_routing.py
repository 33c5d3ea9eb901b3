"""Sessions and message routing: resource binding conflicts (RFC 6120 §7.7.2.2) and delivery to full
and bare JIDs (RFC 6121 §8.5)."""

import asyncio

import pytest

from conftest import register_raw
from raw_stream import open_session
from xmpp_client import login, run, unique


@pytest.fixture
def two_accounts(server):
    accounts = []
    for name in ("alice", "bob"):
        user, password = unique(name), "pw-" + unique("")
        register_raw(server, user, password)
        accounts.append((user, password))
    return accounts


def test_resource_conflict_replaces_old_session(server, account):
    user, password = account

    async def go():
        old = await login(server, user, password, resource="desk")
        new = None
        try:
            assert old.boundjid.full == f"{server.jid(user)}/desk"
            new = await login(server, user, password, resource="desk")
            assert new.boundjid.full == f"{server.jid(user)}/desk", \
                "the new session did not get the resource it asked for"
            assert await old.wait_disconnected(10), "the old session is still connected"
            assert old.stream_errors == ["conflict"]
            # The new session works.
            await new["xep_0199"].send_ping(server.domain, timeout=10)
        finally:
            await old.close()
            if new is not None:
                await new.close()
    run(go())


def test_different_resources_coexist(server, account):
    user, password = account

    async def go():
        a = await login(server, user, password, resource="one")
        b = await login(server, user, password, resource="two")
        try:
            await asyncio.sleep(0.5)
            assert not a.disconnected_event.is_set()
            assert a.boundjid.resource == "one" and b.boundjid.resource == "two"
            await a["xep_0199"].send_ping(b.boundjid.full, timeout=10)
        finally:
            await a.close()
            await b.close()
    run(go())


def test_message_to_full_jid(server, two_accounts):
    (alice_user, alice_pw), (bob_user, bob_pw) = two_accounts

    async def go():
        alice = await login(server, alice_user, alice_pw, resource="a")
        bob = await login(server, bob_user, bob_pw, resource="b")
        try:
            alice.send_presence()
            bob.send_presence()
            alice.send_message(mto=bob.boundjid.full, mbody="hello full", mtype="chat")
            msg = await bob.next_message(10)
            assert msg["body"] == "hello full"
            assert msg["from"].full == alice.boundjid.full
            assert msg["to"].full == bob.boundjid.full
            # And back.
            bob.send_message(mto=msg["from"], mbody="hi back", mtype="chat")
            reply = await alice.next_message(10)
            assert reply["body"] == "hi back"
            assert reply["from"].full == bob.boundjid.full
        finally:
            await alice.close()
            await bob.close()
    run(go())


def test_message_to_bare_jid(server, two_accounts):
    (alice_user, alice_pw), (bob_user, bob_pw) = two_accounts

    async def go():
        alice = await login(server, alice_user, alice_pw)
        bob = await login(server, bob_user, bob_pw)
        try:
            alice.send_presence()
            bob.send_presence()
            # A round trip after the presence: the server has handled bob's initial presence.
            await bob["xep_0199"].send_ping(server.domain, timeout=10)
            alice.send_message(mto=server.jid(bob_user), mbody="hello bare", mtype="chat")
            msg = await bob.next_message(10)
            assert msg["body"] == "hello bare"
            assert msg["from"].full == alice.boundjid.full
        finally:
            await alice.close()
            await bob.close()
    run(go())


def test_message_to_unknown_user_bounces(server, account):
    user, password = account

    async def go():
        c = await login(server, user, password)
        errors: asyncio.Queue = asyncio.Queue()
        c.add_event_handler("message_error", errors.put_nowait)
        try:
            c.send_message(mto=server.jid(unique("ghost")), mbody="anyone?", mtype="chat")
            err = await asyncio.wait_for(errors.get(), 10)
            assert err["error"]["condition"] == "service-unavailable"
        finally:
            await c.close()
    run(go())


def test_forged_from_is_never_delivered(server, two_accounts):
    """A client cannot send as someone else: the server stamps or rejects a forged 'from'
    (RFC 6120 §8.1.2.1), but never delivers it as it was."""
    (alice_user, alice_pw), (bob_user, bob_pw) = two_accounts

    async def go():
        bob = await login(server, bob_user, bob_pw, resource="b")
        raw = await open_session(server.host, server.c2s_port, server.domain, user=alice_user,
                                 password=alice_pw, resource="raw")
        try:
            forged = server.jid("mallory") + "/evil"
            await raw.send(f"<message type='chat' from='{forged}' to='{bob.boundjid.full}'>"
                           f"<body>forged</body></message>")
            try:
                msg = await bob.next_message(3)
            except asyncio.TimeoutError:
                return  # rejected: fine
            assert msg["from"].full == f"{server.jid(alice_user)}/raw", \
                f"delivered with from={msg['from']}"
        finally:
            await raw.close()
            await bob.close()
    run(go())
