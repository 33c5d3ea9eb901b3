"""`[c2s] require_encryption = false`: an intranet (or benchmark) server where clients may log in
with SCRAM over plain TCP. What carries the password itself (PLAIN, in-band registration) still
needs TLS, and STARTTLS stays on offer as voluntary (RFC 6120 §5.3.1)."""

import base64

import pytest

from conftest import register_raw, require_parleyd
from raw_stream import NS_SASL, NS_TLS, RawStream, q, stanza_error_condition
from xmpp_client import Client, run, unique

NS_REGISTER_FEATURE = "http://jabber.org/features/iq-register"


@pytest.fixture
def cleartext_server(new_server):
    require_parleyd("[c2s] require_encryption")
    return new_server(allow_registration=True, config={"c2s": {"require_encryption": False}})


async def connect(server) -> RawStream:
    return await RawStream.connect(server.host, server.c2s_port, server.domain)


def test_features_offer_scram_but_not_plain_or_registration_before_tls(cleartext_server):
    async def go():
        s = await connect(cleartext_server)
        try:
            features = await s.open_stream()
            starttls = features.find(q(NS_TLS, "starttls"))
            assert starttls is not None, "STARTTLS no longer offered"
            assert starttls.find(q(NS_TLS, "required")) is None, "STARTTLS still <required/>"
            mechs = set(s.mechanisms())
            assert {"SCRAM-SHA-1", "SCRAM-SHA-256"} <= mechs, mechs
            assert "PLAIN" not in mechs and not any(m.endswith("-PLUS") for m in mechs), mechs
            assert features.find(q(NS_REGISTER_FEATURE, "register")) is None
            # Voluntary STARTTLS still works, and then everything is offered as usual.
            features = await s.starttls()
            assert features.find(q(NS_TLS, "starttls")) is None
            assert {"PLAIN", "SCRAM-SHA-1"} <= set(s.mechanisms())
            assert features.find(q(NS_REGISTER_FEATURE, "register")) is not None
        finally:
            await s.close()
    run(go())


def test_plain_mechanism_and_registration_are_refused_in_clear(cleartext_server):
    user, password = unique("clear"), "pw-clear"
    register_raw(cleartext_server, user, password)

    async def go():
        s = await connect(cleartext_server)
        try:
            await s.open_stream()
            iq_id = s.next_id()
            await s.send(f"<iq type='set' id='{iq_id}'><query xmlns='jabber:iq:register'>"
                         f"<username>{unique('r')}</username><password>x</password></query></iq>")
            reply = await s.next_stanza()
            assert reply.get("type") == "error" and reply.get("id") == iq_id
            assert stanza_error_condition(reply) == "not-allowed"
            token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
            await s.send(f"<auth xmlns='{NS_SASL}' mechanism='PLAIN'>{token}</auth>")
            failure = await s.next_stanza()
            assert failure.tag == q(NS_SASL, "failure"), failure.tag
            assert failure.find(q(NS_SASL, "invalid-mechanism")) is not None
        finally:
            await s.close()
    run(go())


def test_slixmpp_logs_in_with_scram_over_plain_tcp_and_chats(cleartext_server):
    """A stock client with STARTTLS disabled logs in with SCRAM-SHA-1 and delivers a message to a
    TLS client on the same server."""
    srv = cleartext_server
    alice, bob, password = unique("alice"), unique("bob"), "pw-clear"
    register_raw(srv, alice, password)
    register_raw(srv, bob, password)

    async def go():
        a = Client(srv, alice, password, mechanisms=["SCRAM-SHA-1"], channel_binding=False,
                   starttls=False)
        b = Client(srv, bob, password)
        try:
            await a.login()
            await b.login()
            assert a.mechanism == "SCRAM-SHA-1", a.mechanism
            a.send_message(mto=b.boundjid.full, mbody="in the clear", mtype="chat")
            msg = await b.messages.get()
            assert msg["body"] == "in the clear" and msg["from"].bare == f"{alice}@{srv.domain}"
        finally:
            await a.close()
            await b.close()
    run(go())
    log = srv.log_path.read_text(errors="replace")
    assert f"{alice}@{srv.domain} authenticated from 127.0.0.1 with SCRAM-SHA-1 over plain TCP" in log
    assert "require_encryption = false" in log  # the start-up warning
