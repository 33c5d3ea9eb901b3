"""Timers: unauthenticated connections are closed after c2s.handshake_timeout_seconds; idle
authenticated sessions are pinged (XEP-0199) every c2s.ping_interval_seconds and dropped when they do
not answer within c2s.ping_timeout_seconds.

These tests assume those config keys; the server under test reads them from --config (TOML)."""

import asyncio

import pytest

from conftest import assert_login_works, register_raw
from raw_stream import NS_CLIENT, NS_PING, RawStream, open_session, q
from xmpp_client import login, run, unique

HANDSHAKE_TIMEOUT = 2
PING_INTERVAL = 2
PING_TIMEOUT = 2


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory):
    from conftest import start_server, stop_server
    s = start_server(tmp_path_factory.mktemp("quick"), allow_registration=True, config={
        "c2s": {"handshake_timeout_seconds": HANDSHAKE_TIMEOUT,
                "ping_interval_seconds": PING_INTERVAL,
                "ping_timeout_seconds": PING_TIMEOUT},
    })
    yield s
    stop_server(s)


@pytest.mark.parametrize("sends", ["nothing", "stream_header", "starttls"])
def test_silent_peer_is_closed_after_handshake_timeout(quick_server, sends):
    s = quick_server

    async def go():
        loop = asyncio.get_running_loop()
        st = await RawStream.connect(s.host, s.c2s_port, s.domain)
        start = loop.time()
        try:
            if sends != "nothing":
                await st.open_stream()
            if sends == "starttls":
                await st.starttls()
            await st.wait_closed(HANDSHAKE_TIMEOUT + 8)
            took = loop.time() - start
            assert took >= HANDSHAKE_TIMEOUT * 0.5, f"closed after {took:.1f}s, before the timeout"
        finally:
            await st.close()
    run(go())
    assert_login_works(s)


def test_authenticated_session_outlives_handshake_timeout(quick_server):
    s = quick_server
    user, password = unique("idle"), "pw-idle"
    register_raw(s, user, password)

    async def go():
        c = await login(s, user, password)
        try:
            await asyncio.sleep(HANDSHAKE_TIMEOUT * 2.5)
            assert not c.disconnected_event.is_set(), f"dropped: {c.stream_errors}"
            await c["xep_0199"].send_ping(s.domain, timeout=10)
        finally:
            await c.close()
    run(go())


def test_server_pings_idle_client_that_answers_and_keeps_it(quick_server, expect_prosody_gap):
    expect_prosody_gap("does not ping clients")
    s = quick_server
    user, password = unique("pong"), "pw-pong"
    register_raw(s, user, password)

    async def go():
        c = await login(s, user, password)
        pings = []

        def count(stanza):
            if stanza.name == "iq" and stanza["type"] == "get" and \
                    stanza.xml.find(q(NS_PING, "ping")) is not None:
                pings.append(stanza["from"])
            return stanza
        c.add_filter("in", count)
        try:
            await asyncio.sleep(PING_INTERVAL * 3 + PING_TIMEOUT)
            assert pings, "the server never pinged the idle client"
            assert not c.disconnected_event.is_set(), f"dropped although it answered: {c.stream_errors}"
            await c["xep_0199"].send_ping(s.domain, timeout=10)
        finally:
            await c.close()
    run(go())


def test_client_that_ignores_pings_is_dropped(quick_server, expect_prosody_gap):
    expect_prosody_gap("does not ping clients")
    s = quick_server
    user, password = unique("deaf"), "pw-deaf"
    register_raw(s, user, password)

    async def go():
        st = await open_session(s.host, s.c2s_port, s.domain, user=user, password=password)
        pinged = False
        try:
            deadline = asyncio.get_running_loop().time() + PING_INTERVAL + PING_TIMEOUT + 10
            while True:
                remaining = deadline - asyncio.get_running_loop().time()
                assert remaining > 0, "the server kept a client that never answered its pings"
                try:
                    el = await st.next_element(remaining)
                except Exception:
                    break  # closed: expected
                if el.tag == q(NS_CLIENT, "iq") and el.find(q(NS_PING, "ping")) is not None:
                    pinged = True  # and do not answer
            assert pinged, "dropped without being pinged first"
        finally:
            await st.close()
    run(go())
