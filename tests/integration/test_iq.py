"""Server-answered iqs: disco (XEP-0030), ping (XEP-0199), version (XEP-0092), and the
service-unavailable answer for anything unknown (RFC 6120 §8.4, RFC 6121 §8.5)."""

import pytest
from slixmpp.exceptions import IqError

from conftest import register_raw
from xmpp_client import login, run, unique


@pytest.fixture
def client_session(server, account):
    """Runs `body(client)` with a logged-in slixmpp client."""
    user, password = account

    def with_client(body, **kwargs):
        async def go():
            c = await login(server, user, password, **kwargs)
            try:
                await body(c)
            finally:
                await c.close()
        run(go())
    return with_client


def test_disco_info_on_domain(server, client_session):
    async def body(c):
        info = (await c["xep_0030"].get_info(jid=server.domain, local=False, timeout=10))["disco_info"]
        identities = {(cat, typ) for cat, typ, _lang, _name in info["identities"]}
        assert ("server", "im") in identities
        features = set(info["features"])
        for ns in ("http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items",
                   "urn:xmpp:ping", "jabber:iq:version"):
            assert ns in features, f"{ns} missing from {sorted(features)}"
    client_session(body)


def test_disco_items_on_domain(server, client_session):
    async def body(c):
        iq = await c["xep_0030"].get_items(jid=server.domain, local=False, timeout=10)
        assert iq["type"] == "result"
        assert iq["disco_items"] is not None
    client_session(body)


def test_ping_server(server, client_session):
    async def body(c):
        # send_ping, not ping: slixmpp's ping() treats an error from the own server as a pong.
        iq = await c["xep_0199"].send_ping(server.domain, timeout=10)
        assert iq["type"] == "result"
        assert iq["from"] == server.domain
    client_session(body)


def test_ping_between_clients(server, account):
    user, password = account
    other, other_pw = unique("peer"), "pw-peer"
    register_raw(server, other, other_pw)

    async def go():
        a = await login(server, user, password)
        b = await login(server, other, other_pw)
        try:
            # slixmpp answers pings, so these round-trip through the server both ways.
            await a["xep_0199"].send_ping(b.boundjid.full, timeout=10)
            await b["xep_0199"].send_ping(a.boundjid.full, timeout=10)
        finally:
            await a.close()
            await b.close()
    run(go())


def test_version(server, client_session):
    async def body(c):
        iq = await c["xep_0092"].get_version(server.domain, timeout=10)
        version = iq["software_version"]
        assert version["name"], "empty software name"
        assert version["version"], "empty software version"
    client_session(body)


@pytest.mark.parametrize("itype", ["get", "set"])
def test_unknown_namespace_to_domain_is_service_unavailable(server, client_session, itype):
    async def body(c):
        with pytest.raises(IqError) as err:
            await c.iq(server.domain, "<query xmlns='urn:example:parley:unknown'/>", itype=itype)
        assert err.value.iq["error"]["condition"] == "service-unavailable"
        assert err.value.iq["error"]["type"] == "cancel"
        # The session goes on.
        await c["xep_0199"].send_ping(server.domain, timeout=10)
    client_session(body)


def test_unknown_namespace_to_own_bare_jid_is_service_unavailable(server, client_session):
    async def body(c):
        with pytest.raises(IqError) as err:
            await c.iq(c.boundjid.bare, "<query xmlns='urn:example:parley:unknown'/>")
        assert err.value.iq["error"]["condition"] == "service-unavailable"
    client_session(body)


def test_iq_to_offline_full_jid_is_service_unavailable(server, client_session):
    async def body(c):
        with pytest.raises(IqError) as err:
            await c["xep_0199"].send_ping(c.boundjid.bare + "/no-such-resource", timeout=10)
        assert err.value.iq["error"]["condition"] == "service-unavailable"
    client_session(body)
