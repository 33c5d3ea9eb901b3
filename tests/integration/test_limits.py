"""Configured limits reach the running server: stanza size, nesting, connections per address,
registrations per address, and the slow-down of failed logins (docs/configuration.md)."""

import asyncio
import time

import pytest

from conftest import assert_login_works, register_raw, require_parleyd
from raw_stream import (NS_SASL, NS_STREAMS, RawStream, StanzaError, StreamClosed,
                        StreamErrorReceived, open_session, q)
from xmpp_client import login, run, unique


def test_configured_stanza_limit(new_server):
    limit = 16384
    s = new_server(config={"limits": {"max_stanza_bytes": limit}})
    user, password = unique("lim"), "pw-lim"
    register_raw(s, user, password)

    async def go():
        st = await open_session(s.host, s.c2s_port, s.domain, user=user, password=password)
        try:
            body = "s" * (limit - 4096)
            await st.send(f"<message to='{st.jid}' type='chat' id='ok'><body>{body}</body></message>")
            el = await st.next_stanza(10)
            assert el.get("id") == "ok" and el.tag.endswith("message")
            await st.send(f"<message to='{st.jid}' type='chat'><body>{'x' * (limit + 4096)}"
                          f"</body></message>")
            cond = await st.expect_stream_error(10)
            assert cond == "policy-violation"
        finally:
            await st.close()
    run(go())
    assert_login_works(s)


def test_moderate_nesting_is_accepted(server, account):
    user, password = account
    depth = 16

    async def go():
        st = await open_session(server.host, server.c2s_port, server.domain, user=user,
                                password=password)
        try:
            payload = "<a>" * depth + "</a>" * depth
            await st.send(f"<message to='{st.jid}' type='chat' id='nest'><body>n</body>"
                          f"<x xmlns='urn:example:nest'>{payload}</x></message>")
            el = await st.next_stanza(10)
            assert el.get("id") == "nest"
        finally:
            await st.close()
    run(go())


def test_connections_per_address(new_server):
    require_parleyd("limits.max_connections_per_address")
    allowed = 5
    s = new_server(config={"limits": {"max_connections_per_address": allowed}})

    async def features(st: RawStream) -> bool:
        try:
            el = await st.open_stream(timeout=10)
            return el.tag == q(NS_STREAMS, "features")
        except (StreamClosed, StreamErrorReceived, ConnectionError, asyncio.TimeoutError):
            return False

    async def go():
        held = []
        try:
            for _ in range(allowed):
                # The start-up probe's own connections (servers.py) count until the server has
                # seen them close, which may be a moment after the ports are open: retry a while.
                deadline = time.monotonic() + 10
                while True:
                    st = await RawStream.connect(s.host, s.c2s_port, s.domain)
                    held.append(st)
                    if await features(st):
                        break
                    held.remove(st)
                    await st.close()
                    assert time.monotonic() < deadline, "a connection within the limit was refused"
                    await asyncio.sleep(0.2)
            try:
                extra = await RawStream.connect(s.host, s.c2s_port, s.domain)
            except ConnectionError:
                extra = None
            if extra is not None:
                held.append(extra)
                assert not await features(extra), f"connection {allowed + 1} from one address served"
            # Closing one makes room again (the server may take a moment to notice).
            await held.pop(0).close()
            deadline = time.monotonic() + 10
            while True:
                st = await RawStream.connect(s.host, s.c2s_port, s.domain)
                held.append(st)
                if await features(st):
                    break
                assert time.monotonic() < deadline, "no room after a connection was closed"
                await asyncio.sleep(0.2)
        finally:
            for st in held:
                await st.close()
    run(go())


def test_registrations_per_address(new_server):
    require_parleyd("registration.per_address_per_hour")
    s = new_server(config={"registration": {"per_address_per_hour": 2}})
    for _ in range(2):
        register_raw(s, unique("quota"), "pw")
    refused = unique("quota")

    async def go():
        st = await open_session(s.host, s.c2s_port, s.domain)
        try:
            with pytest.raises(StanzaError) as err:
                await st.register(refused, "pw")
            assert err.value.condition in ("resource-constraint", "policy-violation", "not-allowed")
        finally:
            await st.close()
        # Refused means not created.
        st = await open_session(s.host, s.c2s_port, s.domain)
        try:
            el = await st.auth_plain(refused, "pw")
            assert el.tag == q(NS_SASL, "failure")
        finally:
            await st.close()
    run(go())


def test_failed_logins_are_slowed_down(new_server):
    require_parleyd("sasl.max_failures_per_address")
    free = 2
    s = new_server(config={"sasl": {"max_failures_per_address": free,
                                    "max_failures_per_account": free}})
    victim, other = unique("victim"), unique("other")
    register_raw(s, victim, "right")
    register_raw(s, other, "other-pw")

    async def failed_attempt() -> float:
        st = await open_session(s.host, s.c2s_port, s.domain)
        try:
            start = time.monotonic()
            el = await st.auth_plain(victim, "wrong", timeout=30)
            took = time.monotonic() - start
            assert el.tag == q(NS_SASL, "failure")
            return took
        finally:
            await st.close()

    async def go():
        times = [await failed_attempt() for _ in range(free + 2)]
        assert all(t < 1.0 for t in times[:free]), f"the first failures were delayed: {times}"
        assert all(t >= 0.2 for t in times[free:]), f"no slow-down after {free} failures: {times}"
        # Another account from the same address still logs in (only failures are held back).
        start = time.monotonic()
        c = await login(s, other, "other-pw")
        await c.close()
        assert time.monotonic() - start < 5
    run(go())
