"""SASL authentication (RFC 6120 §6) as a stock client (slixmpp) does it, over STARTTLS and direct TLS."""

import ssl

import pytest

from conftest import register_raw, require_parleyd
from xmpp_client import Client, LoginFailed, login, run, unique

TRANSPORTS = ["starttls", "direct_tls"]
TLS_VERSIONS = {"tls-default": None, "tls1.2": ssl.TLSVersion.TLSv1_2}


def _is_tls(client) -> bool:
    return isinstance(client.socket, (ssl.SSLObject, ssl.SSLSocket))


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"])
def test_login_with_each_mechanism(server, account, mechanism, transport, expect_prosody_gap):
    if mechanism == "SCRAM-SHA-256":
        expect_prosody_gap("internal_hashed stores SCRAM-SHA-1 credentials only")
    user, password = account

    async def go():
        # Without channel binding data, SCRAM sends the gs2 flag 'n': a plain login with this mechanism.
        c = await login(server, user, password, mechanisms=[mechanism], channel_binding=False,
                        direct_tls=(transport == "direct_tls"))
        try:
            assert c.mechanism == mechanism
            assert mechanism in c.offered_mechanisms
            if mechanism.startswith("SCRAM"):
                assert c.gs2_header.startswith(b"n,")
            assert _is_tls(c)
            assert c.boundjid.bare == server.jid(user)
            await c["xep_0199"].send_ping(server.domain, timeout=10)
        finally:
            await c.close()
    run(go())


@pytest.mark.parametrize("tls", TLS_VERSIONS)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_default_login_uses_channel_binding(server, account, transport, tls, expect_prosody_gap):
    """slixmpp picks the strongest mechanism offered: a -PLUS one, with p=tls-unique."""
    if tls == "tls-default":
        expect_prosody_gap("no tls-unique channel binding over TLS 1.3, so no -PLUS offered")
    user, password = account

    async def go():
        c = await login(server, user, password, direct_tls=(transport == "direct_tls"),
                        tls_max_version=TLS_VERSIONS[tls])
        try:
            assert c.mechanism.endswith("-PLUS"), \
                f"used {c.mechanism}; offered {sorted(c.offered_mechanisms)}"
            if "SCRAM-SHA-256-PLUS" in c.offered_mechanisms:
                assert c.mechanism == "SCRAM-SHA-256-PLUS"
            assert c.gs2_header.startswith(b"p=tls-unique,")
        finally:
            await c.close()
    run(go())


@pytest.mark.parametrize("tls", list(TLS_VERSIONS))
def test_scram_sha1_with_y_flag(server, account, tls, expect_prosody_gap):
    """slixmpp restricted to SCRAM-SHA-1 still holds channel-binding data, so it sends gs2 flag 'y'
    ('I could bind, but I think you cannot') although the server offered -PLUS. RFC 5802 §6 says such
    a server MUST fail it; Parley's documented decision (docs/sasl-channel-binding.md) is to accept it
    by default so that such clients log in with SCRAM rather than not at all, and to refuse it when
    sasl.strict_downgrade_check is on (see the next test)."""
    if tls == "tls1.2":
        expect_prosody_gap("follows RFC 5802 §6 strictly: fails 'y' once it offered -PLUS")
    user, password = account

    async def go():
        c = Client(server, user, password, mechanisms=["SCRAM-SHA-1"],
                   tls_max_version=TLS_VERSIONS[tls])
        try:
            await c.login()
            assert c.mechanism == "SCRAM-SHA-1"
            assert c.gs2_header.startswith(b"y,"), c.gs2_header
            if server.kind == "parleyd":
                assert "SCRAM-SHA-1-PLUS" in c.offered_mechanisms
        finally:
            await c.close()
    run(go())


def test_y_flag_refused_in_strict_mode(new_server):
    """With sasl.strict_downgrade_check the RFC 5802 §6 MUST applies: 'y' after -PLUS was offered fails."""
    require_parleyd("sasl.strict_downgrade_check is a Parley setting")
    s = new_server(config={"sasl": {"strict_downgrade_check": True}})
    user, password = unique("strict"), "pw-strict-1"
    register_raw(s, user, password)

    async def go():
        c = Client(s, user, password, mechanisms=["SCRAM-SHA-1"])
        try:
            with pytest.raises(LoginFailed) as failed:
                await c.login()
            assert c.gs2_header.startswith(b"y,"), c.gs2_header
            assert failed.value.condition == "not-authorized"
        finally:
            await c.close()
    run(go())
    # The same account still logs in with channel binding (slixmpp's default, -PLUS).
    async def plus():
        c = await login(s, user, password)
        try:
            assert c.mechanism.endswith("-PLUS")
        finally:
            await c.close()
    run(plus())


@pytest.mark.parametrize("mechanism", [None, "SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN"])
def test_wrong_password_is_not_authorized(server, account, mechanism, expect_prosody_gap):
    if mechanism == "SCRAM-SHA-256":
        expect_prosody_gap("no SCRAM-SHA-256")
    user, _ = account

    async def go():
        kwargs = {"mechanisms": [mechanism], "channel_binding": False} if mechanism else {}
        with pytest.raises(LoginFailed) as failed:
            c = await login(server, user, "not-the-password", **kwargs)
            await c.close()
        assert failed.value.condition == "not-authorized"
    run(go())


def test_unknown_user_is_not_authorized(server):
    async def go():
        with pytest.raises(LoginFailed) as failed:
            c = await login(server, unique("nobody"), "whatever", mechanisms=["PLAIN"])
            await c.close()
        assert failed.value.condition == "not-authorized"
        with pytest.raises(LoginFailed) as failed:
            c = await login(server, unique("nobody"), "whatever", mechanisms=["SCRAM-SHA-1"],
                            channel_binding=False)
            await c.close()
        assert failed.value.condition == "not-authorized"
    run(go())
