"""In-band registration, password change and account removal (XEP-0077)."""

import pytest

import raw_stream
from conftest import register_raw
from raw_stream import NS_REGISTER, NS_REGISTER_FEATURE, StanzaError, open_session, q
from xmpp_client import LoginFailed, can_login, login, register, run, unique


def test_register_with_slixmpp_then_login(server):
    user, password = unique("reg"), "pw-" + unique("")

    async def go():
        c = await register(server, user, password)
        try:
            assert c.registration_result == "ok"
            assert c.boundjid.bare == server.jid(user)
        finally:
            await c.close()
        assert await can_login(server, user, password)
    run(go())


def test_register_feature_advertised_after_tls(server):
    async def go():
        s = await open_session(server.host, server.c2s_port, server.domain)
        try:
            assert s.features.find(q(NS_REGISTER_FEATURE, "register")) is not None, \
                "no <register xmlns='http://jabber.org/features/iq-register'/> in the stream features"
            iq_id = s.next_id()
            await s.send(f"<iq type='get' id='{iq_id}'><query xmlns='{NS_REGISTER}'/></iq>")
            res = await s.iq_response(iq_id)
            query = res.find(q(NS_REGISTER, "query"))
            assert query is not None
            assert query.find(q(NS_REGISTER, "username")) is not None
            assert query.find(q(NS_REGISTER, "password")) is not None
        finally:
            await s.close()
    run(go())


def test_duplicate_registration_is_a_conflict(server):
    user = unique("dup")
    register_raw(server, user, "first-password")

    async def go():
        s = await open_session(server.host, server.c2s_port, server.domain)
        try:
            with pytest.raises(StanzaError) as err:
                await s.register(user, "second-password")
            assert err.value.condition == "conflict"
        finally:
            await s.close()
        # The first account is untouched.
        assert await can_login(server, user, "first-password")
        assert not await can_login(server, user, "second-password")
    run(go())


def test_registration_needs_username_and_password(server):
    async def go():
        s = await open_session(server.host, server.c2s_port, server.domain)
        try:
            iq_id = s.next_id()
            await s.send(f"<iq type='set' id='{iq_id}'><query xmlns='{NS_REGISTER}'>"
                         f"<username>{unique('nopw')}</username></query></iq>")
            with pytest.raises(StanzaError) as err:
                await s.iq_response(iq_id)
            assert err.value.condition in ("not-acceptable", "bad-request")
        finally:
            await s.close()
    run(go())


def test_registration_rejects_invalid_username(server):
    async def go():
        s = await open_session(server.host, server.c2s_port, server.domain)
        try:
            with pytest.raises(StanzaError) as err:
                await s.register("bad@user", "pw")  # '@' is not allowed in a localpart
            assert err.value.condition in ("jid-malformed", "not-acceptable", "bad-request")
        finally:
            await s.close()
    run(go())


def test_registration_refused_when_not_allowed(new_server):
    closed = new_server(allow_registration=False)
    user = unique("noreg")

    async def go():
        s = await open_session(closed.host, closed.c2s_port, closed.domain)
        try:
            assert s.features.find(q(NS_REGISTER_FEATURE, "register")) is None, \
                "registration is advertised although --allow-registration was not given"
            with pytest.raises(StanzaError) as err:
                await s.register(user, "pw")
            assert err.value.condition in ("not-allowed", "service-unavailable", "forbidden",
                                           "feature-not-implemented")
        finally:
            await s.close()
        with pytest.raises(LoginFailed) as failed:
            c = await login(closed, user, "pw")
            await c.close()
        assert failed.value.condition == "not-authorized"
    run(go())


def test_password_change(server, account):
    user, old = account
    new = "new-" + unique("")

    async def go():
        s = await open_session(server.host, server.c2s_port, server.domain, user=user, password=old)
        try:
            iq_id = s.next_id()
            await s.send(f"<iq type='set' id='{iq_id}' to='{server.domain}'>"
                         f"<query xmlns='{NS_REGISTER}'><username>{user}</username>"
                         f"<password>{new}</password></query></iq>")
            await s.iq_response(iq_id)
        finally:
            await s.close()
        assert await can_login(server, user, new)
        assert not await can_login(server, user, old)
    run(go())


def test_password_change_through_slixmpp(server, account):
    user, old = account
    new = "new-" + unique("")

    async def go():
        c = await login(server, user, old)
        try:
            await c["xep_0077"].change_password(new, jid=server.domain, timeout=10)
        finally:
            await c.close()
        assert await can_login(server, user, new)
        assert not await can_login(server, user, old)
    run(go())


def test_account_removal(server, account):
    user, password = account

    async def go():
        s = await open_session(server.host, server.c2s_port, server.domain, user=user,
                               password=password)
        try:
            iq_id = s.next_id()
            await s.send(f"<iq type='set' id='{iq_id}' to='{server.domain}'>"
                         f"<query xmlns='{NS_REGISTER}'><remove/></query></iq>")
            await s.iq_response(iq_id)
            # XEP-0077 §3.2: the server then ends the removed account's session.
            await s.wait_closed(10)
        except raw_stream.StreamErrorReceived:
            pass  # a stream error before the close is allowed too
        finally:
            await s.close()
        with pytest.raises(LoginFailed) as failed:
            c = await login(server, user, password)
            await c.close()
        assert failed.value.condition == "not-authorized"
        # The name is free again.
        s = await open_session(server.host, server.c2s_port, server.domain)
        try:
            await s.register(user, "another-password")
        finally:
            await s.close()
        assert await can_login(server, user, "another-password")
    run(go())
