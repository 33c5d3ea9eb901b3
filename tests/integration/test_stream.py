"""The stream layer driven byte by byte: TLS before authentication, XMPP's XML restrictions
(RFC 6120 §11), limits, and input cut or batched in awkward places. Every hostile input ends with a
check that a normal client can still log in to the same server."""

import asyncio
import socket

import pytest

from conftest import assert_login_works, register_raw
from raw_stream import (NS_CLIENT, NS_SASL, NS_STREAMS, NS_TLS, RawStream, StreamClosed,
                        StreamErrorReceived, open_session, q, stream_header)
from xmpp_client import login, run, unique

MAX_STANZA = 262144  # limits.max_stanza_bytes default


async def connect(server, **kwargs) -> RawStream:
    return await RawStream.connect(server.host, server.c2s_port, server.domain, **kwargs)


async def authed(server, account, resource="raw") -> RawStream:
    user, password = account
    return await open_session(server.host, server.c2s_port, server.domain, user=user,
                              password=password, resource=resource)


async def expect_error_and_close(s: RawStream, condition: str, timeout: float = 15) -> None:
    got = await s.expect_stream_error(timeout)
    assert got == condition, f"expected <{condition}/>, got <{got}/>"
    # RFC 6120 §4.9.1.1: after a stream error the server closes the stream and the connection.
    await s.wait_closed(10)


def no_delay(s: RawStream) -> None:
    sock = s.writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


# --- negotiation ---------------------------------------------------------------------------------

def test_stream_header_reply(server):
    async def go():
        s = await connect(server)
        try:
            await s.open_stream()
            attrs = s.stream_attrs
            assert attrs.get("from") == server.domain
            assert attrs.get("id"), "no stream id"
            assert attrs.get("version") == "1.0"
        finally:
            await s.close()
    run(go())


def test_tls_required_before_sasl(server, expect_prosody_gap):
    expect_prosody_gap("no SCRAM-SHA-256")

    async def go():
        s = await connect(server)
        try:
            features = await s.open_stream()
            starttls = features.find(q(NS_TLS, "starttls"))
            assert starttls is not None, "no STARTTLS offered"
            assert starttls.find(q(NS_TLS, "required")) is not None, "STARTTLS not marked <required/>"
            assert features.find(q(NS_SASL, "mechanisms")) is None, \
                f"SASL offered before TLS: {s.mechanisms()}"
            features = await s.starttls()
            assert features.find(q(NS_TLS, "starttls")) is None, "STARTTLS offered again under TLS"
            mechs = set(s.mechanisms())
            assert {"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"} <= mechs, mechs
        finally:
            await s.close()
    run(go())


def test_direct_tls_offers_sasl_at_once(server):
    async def go():
        s = await RawStream.connect(server.host, server.tls_port, server.domain, direct_tls=True)
        try:
            assert s.is_tls
            features = await s.open_stream()
            assert features.find(q(NS_TLS, "starttls")) is None
            assert {"SCRAM-SHA-1", "PLAIN"} <= set(s.mechanisms())
        finally:
            await s.close()
    run(go())


def test_plain_auth_without_tls_never_succeeds(server, account):
    """Even with the right password, SASL before TLS must not log the client in."""
    user, password = account

    async def go():
        s = await connect(server)
        try:
            await s.open_stream()
            try:
                el = await s.auth_plain(user, password)
            except (StreamErrorReceived, StreamClosed):
                return
            assert el.tag != q(NS_SASL, "success"), "PLAIN succeeded on an unencrypted stream"
        finally:
            await s.close()
    run(go())
    assert_login_works(server)


def test_unknown_host_is_host_unknown(server):
    async def go():
        s = await connect(server)
        try:
            await s.send(stream_header("no-such-host.example"))
            await expect_error_and_close(s, "host-unknown")
        finally:
            await s.close()
    run(go())


@pytest.mark.parametrize("phase", ["plain", "after_starttls"])
def test_stanza_before_authentication_is_refused(server, phase, expect_prosody_gap):
    expect_prosody_gap("answers pre-auth stanzas with a stanza error, not a stream error")
    async def go():
        s = await connect(server)
        try:
            await s.open_stream()
            if phase == "after_starttls":
                await s.starttls()
            await s.send(f"<iq type='get' id='early' to='{server.domain}'>"
                         f"<ping xmlns='urn:xmpp:ping'/></iq>")
            await expect_error_and_close(s, "not-authorized")
        finally:
            await s.close()
    run(go())
    assert_login_works(server)


# --- restricted XML (RFC 6120 §11.1) -------------------------------------------------------------

DTD = "<!DOCTYPE stream:stream>"
ENTITY = "<!DOCTYPE stream:stream [<!ENTITY boom 'boom'>]>"
RESTRICTED_IN_STREAM = {
    "processing_instruction": "<?parley please?>",
    "comment": "<!-- a comment -->",
    "comment_in_stanza": "<iq type='get' id='c1'><!-- hidden --><ping xmlns='urn:xmpp:ping'/></iq>",
    "pi_in_stanza": "<iq type='get' id='c2'><?parley please?><ping xmlns='urn:xmpp:ping'/></iq>",
}


async def _to_phase(server, phase: str) -> RawStream:
    """A stream just before its (next) stream header: plain TCP, or just after STARTTLS."""
    s = await connect(server)
    if phase == "after_starttls":
        await s.open_stream()
        await s.starttls(restart=False)
    return s


@pytest.mark.parametrize("phase", ["plain", "after_starttls"])
@pytest.mark.parametrize("prolog", ["dtd", "entity_declaration"])
def test_dtd_is_restricted_xml(server, phase, prolog, expect_prosody_gap):
    expect_prosody_gap("reports restricted XML as <not-well-formed/>")
    async def go():
        s = await _to_phase(server, phase)
        try:
            header = "<?xml version='1.0'?>" + (DTD if prolog == "dtd" else ENTITY) + \
                stream_header(server.domain, xml_decl=False)
            await s.send(header)
            await expect_error_and_close(s, "restricted-xml")
        finally:
            await s.close()
    run(go())
    assert_login_works(server)


@pytest.mark.parametrize("phase", ["plain", "after_starttls", "authenticated"])
@pytest.mark.parametrize("case", sorted(RESTRICTED_IN_STREAM))
def test_restricted_xml_in_stream(server, account, phase, case, expect_prosody_gap):
    expect_prosody_gap("reports restricted XML as <not-well-formed/>")
    async def go():
        if phase == "authenticated":
            s = await authed(server, account)
        else:
            s = await _to_phase(server, phase)
            await s.open_stream()
        try:
            await s.send(RESTRICTED_IN_STREAM[case])
            await expect_error_and_close(s, "restricted-xml")
        finally:
            await s.close()
    run(go())
    assert_login_works(server)


# --- well-formedness -----------------------------------------------------------------------------

NOT_WELL_FORMED = {
    "mismatched_tags": b"<message to='x@localhost'><body>hi</message>",
    "garbage": b"<<<>>>",
    "unbound_prefix": b"<foo:bar/>",
    "duplicate_attribute": b"<message id='a' id='b'/>",
    "invalid_utf8": b"<message><body>\xff\xfe\xfd</body></message>",
    "illegal_control_char": b"<message><body>\x01</body></message>",
}


@pytest.mark.parametrize("phase", ["plain", "authenticated"])
@pytest.mark.parametrize("case", sorted(NOT_WELL_FORMED))
def test_broken_xml_is_not_well_formed(server, account, phase, case):
    async def go():
        if phase == "authenticated":
            s = await authed(server, account)
        else:
            s = await connect(server)
            await s.open_stream()
        try:
            await s.send(NOT_WELL_FORMED[case])
            await expect_error_and_close(s, "not-well-formed")
        finally:
            await s.close()
    run(go())
    assert_login_works(server)


# --- limits --------------------------------------------------------------------------------------

async def send_until_error(s: RawStream, chunks, condition: str) -> None:
    """Sends chunks while watching for a stream error; the server may stop reading at any point."""
    watcher = asyncio.ensure_future(s.expect_stream_error(60))
    try:
        for chunk in chunks:
            if watcher.done():
                break
            try:
                s.writer.write(chunk)
                await asyncio.wait_for(s.writer.drain(), 30)
            except (ConnectionResetError, BrokenPipeError):
                break
        got = await asyncio.wait_for(watcher, 30)
    finally:
        watcher.cancel()
    assert got == condition, f"expected <{condition}/>, got <{got}/>"


def test_stanza_over_limit_is_policy_violation(server, account):
    async def go():
        s = await authed(server, account)
        try:
            body = b"a" * 16384
            chunks = [f"<message to='{s.jid}' type='chat'><body>".encode()]
            chunks += [body] * (MAX_STANZA // len(body) + 4)  # 64 KiB over the limit
            chunks += [b"</body></message>"]
            await send_until_error(s, chunks, "policy-violation")
        finally:
            await s.close()
    run(go())
    assert_login_works(server)


def test_stanza_under_limit_is_delivered(server, account):
    user, password = account

    async def go():
        c = await login(server, user, password)
        try:
            body = "b" * (MAX_STANZA - 4096)
            c.send_message(mto=c.boundjid.full, mbody=body, mtype="chat")
            msg = await c.next_message(20)
            assert msg["body"] == body
            assert not c.stream_errors
        finally:
            await c.close()
    run(go())


def test_deep_nesting_is_policy_violation(server, account, expect_prosody_gap):
    expect_prosody_gap("no nesting depth limit")
    depth = 10000

    async def go():
        s = await authed(server, account)
        try:
            payload = (f"<message to='{s.jid}'><x xmlns='urn:example:deep'>" + "<a>" * depth +
                       "</a>" * depth + "</x></message>").encode()
            await send_until_error(s, [payload[i:i + 8192] for i in range(0, len(payload), 8192)],
                                   "policy-violation")
        finally:
            await s.close()
    run(go())
    assert_login_works(server)


# --- awkward but valid input ---------------------------------------------------------------------

def test_stanza_split_across_many_reads(server, account, expect_prosody_gap):
    expect_prosody_gap("lua-expat stalls on input cut into small reads (expat reparse deferral)")
    async def go():
        s = await authed(server, account)
        try:
            no_delay(s)
            await s.send_slowly(f"<iq type='get' id='split' to='{server.domain}'>"
                                f"<ping xmlns='urn:xmpp:ping'/></iq>", chunk=1, delay=0.01)
            res = await s.iq_response("split", 15)
            assert res.get("type") == "result"
            # Multi-byte UTF-8 characters cut between reads.
            body = "h\u00e9llo \u2713 \U0001F600 \u4e16\u754c"
            await s.send_slowly(f"<message to='{s.jid}' type='chat' id='u8'><body>{body}</body>"
                                f"</message>".encode(), chunk=1, delay=0.005)
            el = await s.next_stanza(15)
            while el.tag != q(NS_CLIENT, "message"):
                el = await s.next_stanza(15)
            assert el.findtext(q(NS_CLIENT, "body")) == body
        finally:
            await s.close()
    run(go())


def test_many_stanzas_in_one_write(server, account):
    async def go():
        s = await authed(server, account)
        try:
            n = 50
            batch = " \n".join(f"<iq type='get' id='b{i}' to='{server.domain}'>"
                               f"<ping xmlns='urn:xmpp:ping'/></iq>" for i in range(n))
            await s.send(batch + "\n  \n")  # whitespace between stanzas is allowed
            seen = set()
            while len(seen) < n:
                el = await s.next_stanza(15)
                if el.tag == q(NS_CLIENT, "iq"):
                    assert el.get("type") == "result", el.attrib
                    seen.add(el.get("id"))
            assert seen == {f"b{i}" for i in range(n)}
        finally:
            await s.close()
    run(go())


def test_slow_peer_does_not_block_others(server, account, expect_prosody_gap):
    expect_prosody_gap("lua-expat stalls on input cut into small reads (expat reparse deferral)")
    user, password = account

    async def slow():
        s = await connect(server)
        try:
            no_delay(s)
            await s.send_slowly(stream_header(server.domain), chunk=2, delay=0.02)
            await s.wait_stream_header()
            el = await s.next_stanza()
            assert el.tag == q(NS_STREAMS, "features")
            await s.send_slowly(f"<starttls xmlns='{NS_TLS}'/>", chunk=1, delay=0.05)
            el = await s.next_stanza()
            assert el.tag == q(NS_TLS, "proceed")
        finally:
            await s.close()

    async def fast():
        await asyncio.sleep(0.5)
        start = asyncio.get_running_loop().time()
        c = await login(server, user, password)
        try:
            await c["xep_0199"].send_ping(server.domain, timeout=10)
        finally:
            await c.close()
        return asyncio.get_running_loop().time() - start

    async def go():
        _, fast_took = await asyncio.gather(slow(), fast())
        assert fast_took < 5, f"a normal login took {fast_took:.1f}s next to a slow peer"
    run(go())
    assert_login_works(server)
