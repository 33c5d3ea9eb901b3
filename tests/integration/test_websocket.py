"""XMPP over WebSocket (RFC 7395) against the real parleyd, with a byte-exact client on Debian's
python3-websockets: the upgrade, framing, SASL and binding, routing to and from TCP clients, and
bad input. (npm's @xmpp/client drives the same endpoint in test_websocket_xmppjs.py.)"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

import pytest
import websockets

from conftest import assert_login_works, register_raw, require_parleyd
from im_clients import Account, raw_login
from raw_stream import NS_CLIENT as RAW_NS_CLIENT
from raw_stream import RawStream
from ws_client import (NS_CLIENT, NS_FRAMING, NS_SASL, NS_STREAM, WsClosed, WsStream, q,
                       stream_error_condition)
from xmpp_client import run, unique

def new_account(server) -> Account:
    user, password = unique("ws"), "pw-" + unique("")
    register_raw(server, user, password)
    return Account(user, password, server.jid(user))


def test_upgrade_negotiates_the_xmpp_subprotocol(server):
    async def go():
        st = await WsStream.connect(server.websocket_url, server.domain)
        assert st.ws.subprotocol == "xmpp"
        await st.close()
    run(go(), timeout=20)


def test_upgrade_without_the_xmpp_subprotocol_is_refused(server):
    require_parleyd("the exact refusal status")

    async def go():
        with pytest.raises(websockets.InvalidStatusCode) as info:
            await WsStream.connect(server.websocket_url, server.domain, subprotocols=None)
        assert info.value.status_code == 400
    run(go(), timeout=20)


def test_upgrade_elsewhere_is_not_found(server):
    require_parleyd("the exact refusal status")

    async def go():
        with pytest.raises(websockets.InvalidStatusCode) as info:
            await WsStream.connect(f"ws://{server.host}:{server.http_port}/other", server.domain)
        assert info.value.status_code == 404
    run(go(), timeout=20)


def test_open_is_answered_with_open_and_sasl_features(server):
    async def go():
        st = await WsStream.connect(server.websocket_url, server.domain)
        opened, features = await st.open()
        assert opened.get("from") == server.domain
        assert opened.get("version") == "1.0"
        assert opened.get("id")
        mechs = [m.text for m in features.iter(q(NS_SASL, "mechanism"))]
        assert "PLAIN" in mechs and "SCRAM-SHA-1" in mechs, st.raw[-1]
        # Loopback WebSocket is secure: no STARTTLS on a WebSocket.
        assert features.find(q("urn:ietf:params:xml:ns:xmpp-tls", "starttls")) is None
        # The features message declares the stream prefix itself.
        assert "xmlns:stream=" in st.raw[-1]
        await st.close()
    run(go(), timeout=20)


def test_register_login_and_chat_with_a_tcp_client(server):
    """In-band registration and login over WebSocket; messages both ways with a TCP client."""
    tcp_account = new_account(server)
    user, password = unique("wsreg"), "pw-" + unique("")

    async def go():
        reg = await WsStream.connect(server.websocket_url, server.domain)
        await reg.open()
        reply = await reg.register(user, password)
        assert reply.tag == q(NS_CLIENT, "iq") and reply.get("type") == "result", reg.raw[-1]
        await reg.close()

        st = await WsStream.connect(server.websocket_url, server.domain)
        jid = await st.login(user, password, resource="browser")
        assert jid == f"{user}@{server.domain}/browser"
        tcp = await raw_login(server, tcp_account)
        await tcp.send("<presence/>")  # available, so that a message to the bare JID is delivered
        try:
            await st.send(f"<message xmlns='jabber:client' to='{tcp_account.jid}' type='chat'>"
                          f"<body>from ws</body></message>")
            got = await tcp.next_stanza(10)
            while got.tag == f"{{{RAW_NS_CLIENT}}}presence":  # our own presence, echoed
                got = await tcp.next_stanza(10)
            assert got.tag == f"{{{RAW_NS_CLIENT}}}message"
            assert got.get("from") == jid
            assert got.findtext(f"{{{RAW_NS_CLIENT}}}body") == "from ws"

            await tcp.send(f"<message to='{jid}' type='chat'><body>from tcp</body></message>")
            msg = await st.next_matching(lambda el: el.tag == q(NS_CLIENT, "message"))
            assert msg.findtext(q(NS_CLIENT, "body")) == "from tcp"
            assert msg.get("from", "").startswith(tcp_account.jid)
            # RFC 7395 §3.3.3: the routed stanza declares jabber:client in its own message.
            assert "xmlns='jabber:client'" in st.raw[-1] or 'xmlns="jabber:client"' in st.raw[-1]
        finally:
            await tcp.close()
            await st.close()
    run(go(), timeout=45)


def test_close_is_answered_with_close(server):
    account = new_account(server)

    async def go():
        st = await WsStream.connect(server.websocket_url, server.domain)
        await st.login(account.user, account.password)
        await st.send(f"<close xmlns='{NS_FRAMING}'/>")
        closing = await st.next_matching(lambda el: el.tag == q(NS_FRAMING, "close"))
        assert closing is not None
        with pytest.raises(WsClosed):
            await st.recv(5)
    run(go(), timeout=30)


def test_unknown_host_gets_host_unknown_then_close(server):
    async def go():
        st = await WsStream.connect(server.websocket_url, server.domain)
        await st.send(f"<open xmlns='{NS_FRAMING}' to='nowhere.invalid' version='1.0'/>")
        opened = await st.recv()
        assert opened.tag == q(NS_FRAMING, "open")
        err = await st.recv()
        assert stream_error_condition(err) == "host-unknown", st.raw[-1]
        closing = await st.recv()
        assert closing.tag == q(NS_FRAMING, "close")
        with pytest.raises(WsClosed):
            await st.recv(5)
    run(go(), timeout=20)


def test_stanza_before_open_is_a_stream_error(server):
    require_parleyd("the exact condition")

    async def go():
        st = await WsStream.connect(server.websocket_url, server.domain)
        await st.send("<message xmlns='jabber:client' to='x@localhost'><body>hi</body></message>")
        first = await st.recv()
        assert first.tag == q(NS_FRAMING, "open")
        err = await st.recv()
        assert stream_error_condition(err) == "policy-violation", st.raw[-1]
    run(go(), timeout=20)


def test_stanza_before_authentication_is_refused(server):
    async def go():
        st = await WsStream.connect(server.websocket_url, server.domain)
        await st.open()
        await st.send("<message xmlns='jabber:client' to='x@localhost'><body>hi</body></message>")
        err = await st.next_matching(lambda el: el.tag == q(NS_STREAM, "error"))
        assert stream_error_condition(err) == "not-authorized", st.raw[-1]
    run(go(), timeout=20)
    assert_login_works(server)


def test_not_well_formed_message_is_a_stream_error(server):
    async def go():
        st = await WsStream.connect(server.websocket_url, server.domain)
        await st.open()
        await st.send("<iq xmlns='jabber:client' type='get' id='1'><query></iq>")
        err = await st.next_matching(lambda el: el.tag == q(NS_STREAM, "error"))
        assert stream_error_condition(err) == "not-well-formed", st.raw[-1]
        with pytest.raises(WsClosed):
            while True:
                await st.recv(5)
    run(go(), timeout=20)
    assert_login_works(server)


def test_oversized_message_closes_only_that_connection(server):
    account = new_account(server)

    async def go():
        bystander = await WsStream.connect(server.websocket_url, server.domain)
        await bystander.login(account.user, account.password)
        st = await WsStream.connect(server.websocket_url, server.domain)
        await st.open()
        big = "<message xmlns='jabber:client'><body>" + "x" * (400 * 1024) + "</body></message>"
        try:
            await st.send(big)
        except websockets.ConnectionClosed:
            pass
        with pytest.raises(WsClosed):
            while True:
                await st.recv(5)
        assert st.ws.close_code == 1009  # message too big
        # The other WebSocket session is unaffected.
        iq_id = bystander.next_id()
        await bystander.send(f"<iq xmlns='jabber:client' type='get' id='{iq_id}' to='{server.domain}'>"
                             f"<ping xmlns='urn:xmpp:ping'/></iq>")
        pong = await bystander.next_matching(lambda el: el.get("id") == iq_id)
        assert pong.get("type") == "result"
        await bystander.close()
    run(go(), timeout=30)
    assert_login_works(server)


def test_wrong_password_is_refused_over_websocket(server):
    account = new_account(server)

    async def go():
        st = await WsStream.connect(server.websocket_url, server.domain)
        await st.open()
        failure = await st.auth_plain(account.user, "not-the-password")
        assert failure.tag == q(NS_SASL, "failure")
        assert failure.find(q(NS_SASL, "not-authorized")) is not None, st.raw[-1]
        await st.close()
    run(go(), timeout=30)


def test_origin_allow_list(new_server):
    require_parleyd("[http] allowed_origins")
    s = new_server(config={"http": {"allowed_origins": ["https://chat.example"]}})

    async def go():
        with pytest.raises(websockets.InvalidStatusCode) as info:
            await WsStream.connect(s.websocket_url, s.domain, origin="https://evil.example")
        assert info.value.status_code == 403
        ok = await WsStream.connect(s.websocket_url, s.domain, origin="https://chat.example")
        opened, _ = await ok.open()
        assert opened.get("from") == s.domain
        await ok.close()
    run(go(), timeout=30)


def test_any_origin_is_accepted_by_default(server):
    """Authentication is in-band, so a page served from elsewhere (Converse.js on another port)
    may connect when no allow-list is set."""
    account = new_account(server)

    async def go():
        st = await WsStream.connect(server.websocket_url, server.domain,
                                    origin="http://127.0.0.1:8080")
        await st.login(account.user, account.password)
        assert st.jid and st.jid.startswith(account.jid)
        await st.close()
    run(go(), timeout=30)


def mechanisms_offered(features: ET.Element) -> list[str]:
    return [m.text for m in features.iter(q(NS_SASL, "mechanism"))]


@pytest.mark.parametrize("trusted,proto,secure", [
    (False, None, False),     # a proxy on this box forwards for a remote client: not "loopback"
    (False, "https", False),  # it says https, but nobody told us to believe it
    (True, "http", False),    # a trusted proxy says the client used plain http
    (True, "https", True),    # a trusted proxy terminated TLS for the client
])
def test_websocket_through_a_proxy_is_secure_only_when_a_trusted_proxy_says_https(
        new_server, trusted, proto, secure):
    require_parleyd("[http] trusted_proxies")
    s = new_server(config={"http": {"trusted_proxies": ["127.0.0.1"] if trusted else []}})
    headers = {"X-Forwarded-For": "203.0.113.7"}
    if proto:
        headers["X-Forwarded-Proto"] = proto

    account = new_account(s)

    async def go():
        st = await WsStream.connect(s.websocket_url, s.domain, extra_headers=headers)
        _, features = await st.open()
        mechs = mechanisms_offered(features)
        if secure:
            assert "SCRAM-SHA-1" in mechs and "PLAIN" in mechs, st.raw[-1]
        else:
            assert mechs == [], f"SASL offered over an insecure WebSocket: {st.raw[-1]}"
        await st.close()
        if secure:
            # The forwarded address is the client's, for limits and logs.
            st = await WsStream.connect(s.websocket_url, s.domain, extra_headers=headers)
            await st.login(account.user, account.password)
            await st.close()
            log = s.log_path.read_text(errors="replace")
            assert f"{account.jid} authenticated from 203.0.113.7" in log
    run(go(), timeout=30)


def test_connections_per_address_count_websockets_and_tcp_together(new_server):
    """[limits] max_connections_per_address covers the HTTP listener too, in one count with c2s:
    a client cannot get round it by mixing WebSocket and TCP."""
    require_parleyd("limits.max_connections_per_address")
    allowed = 3
    s = new_server(config={"limits": {"max_connections_per_address": allowed}})

    async def refused_ws() -> bool:
        try:
            st = await WsStream.connect(s.websocket_url, s.domain)
        except (OSError, websockets.InvalidHandshake, websockets.ConnectionClosed,
                asyncio.TimeoutError):
            return True
        try:
            await st.open()
            return False
        except (WsClosed, asyncio.TimeoutError):
            return True
        finally:
            await st.close()

    async def served_ws() -> WsStream:
        # The start-up probe's own connections (servers.py) count until the server has seen
        # them close, which may be a moment after the ports are open: retry for a while.
        deadline = asyncio.get_running_loop().time() + 10
        while True:
            st = None
            try:
                st = await WsStream.connect(s.websocket_url, s.domain)
                await st.open()
                return st
            except (OSError, websockets.InvalidHandshake, websockets.ConnectionClosed, WsClosed,
                    asyncio.TimeoutError):
                if st is not None:
                    await st.close()
                assert asyncio.get_running_loop().time() < deadline, \
                    "a WebSocket within the limit was refused"
                await asyncio.sleep(0.2)

    async def go():
        held = []
        try:
            for _ in range(allowed - 1):
                held.append(await served_ws())
            tcp = await RawStream.connect(s.host, s.c2s_port, s.domain)
            held.append(tcp)
            await tcp.open_stream()
            assert await refused_ws(), f"WebSocket {allowed + 1} from one address was served"
            await held.pop(0).close()
            deadline = asyncio.get_running_loop().time() + 10
            while await refused_ws():
                assert asyncio.get_running_loop().time() < deadline, "no room after a close"
                await asyncio.sleep(0.2)
        finally:
            for st in held:
                await st.close()
    run(go(), timeout=60)


def test_deleting_the_account_ends_its_websocket_session(new_server):
    require_parleyd("parleyctl")
    s = new_server()
    account = new_account(s)

    async def go():
        st = await WsStream.connect(s.websocket_url, s.domain)
        await st.login(account.user, account.password)
        result = await asyncio.to_thread(s.ctl, "user", "del", account.jid)
        assert result.returncode == 0, result.stderr
        err = await st.next_matching(lambda el: el.tag == q(NS_STREAM, "error"))
        assert stream_error_condition(err) == "not-authorized"
    run(go(), timeout=30)


def test_many_websocket_sessions_at_once(server):
    """50 concurrent WebSocket sessions log in and each gets its own message."""
    accounts = [new_account(server) for _ in range(5)]

    async def go():
        streams = []
        for i in range(50):
            a = accounts[i % len(accounts)]
            st = await WsStream.connect(server.websocket_url, server.domain)
            await st.login(a.user, a.password, resource=f"r{i}")
            streams.append(st)
        for st in streams:
            await st.send(f"<message xmlns='jabber:client' to='{st.jid}'><body>{st.jid}</body></message>")
        for st in streams:
            m = await st.next_matching(lambda el: el.tag == q(NS_CLIENT, "message"))
            assert m.findtext(q(NS_CLIENT, "body")) == st.jid
        for st in streams:
            await st.close()
    run(go(), timeout=90)



def test_https_and_secure_websocket(new_server):
    """[http] tls = true: the same listener speaks HTTPS with the c2s certificate, host-meta names
    wss://, and a WebSocket over it is a full session."""
    require_parleyd("[http] tls")
    import json
    import urllib.request
    from raw_stream import insecure_tls_context

    s = new_server(config={"http": {"tls": True}})
    account = new_account(s)
    ctx = insecure_tls_context()
    with urllib.request.urlopen(f"https://{s.host}:{s.http_port}/.well-known/host-meta.json",
                                context=ctx, timeout=10) as resp:
        doc = json.loads(resp.read())
    assert doc["links"][0]["href"] == f"wss://{s.host}:{s.http_port}/xmpp-websocket"

    async def go():
        ws = await asyncio.wait_for(websockets.connect(
            f"wss://{s.host}:{s.http_port}/xmpp-websocket", subprotocols=["xmpp"], ssl=ctx), 10)
        st = WsStream(ws, s.domain)
        jid = await st.login(account.user, account.password)
        assert jid.startswith(account.jid + "/")
        await st.close()
        # Plain HTTP on the TLS port gets nowhere.
        with pytest.raises(Exception):
            await asyncio.wait_for(websockets.connect(s.websocket_url, subprotocols=["xmpp"]), 10)
    run(go(), timeout=30)
