"""slixmpp clients for the tests: a stock XMPP library talking to the server under test.

Every wait is bounded. Use `run(coro)` from a test to drive a coroutine on a fresh event loop with an
overall timeout, and create clients inside that coroutine.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import uuid
from typing import Optional

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

from raw_stream import insecure_tls_context

log = logging.getLogger("parley.tests")

DEFAULT_TIMEOUT = 20.0


def run(coro, timeout: float = 60.0):
    """Runs a coroutine on a new event loop; fails the test if it takes longer than `timeout`."""
    async def bounded():
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(bounded())


def unique(prefix: str = "u") -> str:
    """A fresh username, so tests sharing a server never collide."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


class LoginFailed(Exception):
    def __init__(self, condition: str, detail: str = ""):
        super().__init__(f"login failed: {condition} {detail}".strip())
        self.condition = condition


class Client(slixmpp.ClientXMPP):
    """A slixmpp client bound to one server under test.

    mechanisms: restricts SASL to these mechanisms (slixmpp's feature_mechanisms `use_mechs`).
    channel_binding: False hides the TLS channel binding from SASL, so SCRAM sends the gs2 flag 'n';
      with True (slixmpp's default) it sends 'p=tls-unique' for -PLUS and 'y' otherwise.
    """

    def __init__(self, server, user: str, password: str, *, resource: Optional[str] = None,
                 direct_tls: bool = False, mechanisms: Optional[list[str]] = None,
                 channel_binding: bool = True, tls_max_version: Optional[ssl.TLSVersion] = None,
                 register: bool = False, domain: Optional[str] = None, starttls: bool = True):
        jid = f"{user}@{domain or server.domain}" + (f"/{resource}" if resource else "")
        super().__init__(jid, password)
        self.target = server
        self.direct_tls = direct_tls
        self.starttls = starttls  # False: stay on plain TCP (for servers that allow it)
        self.use_ipv6 = False
        self.whitespace_keepalive = False
        ctx = insecure_tls_context()
        if tls_max_version is not None:
            ctx.maximum_version = tls_max_version
        self.ssl_context = ctx
        for plugin in ("xep_0030", "xep_0199", "xep_0092", "xep_0077"):
            self.register_plugin(plugin)
        if mechanisms is not None:
            self["feature_mechanisms"].use_mechs = list(mechanisms)
        if not channel_binding:
            plugin = self["feature_mechanisms"]
            original = plugin.sasl_callback

            def without_channel_binding(required, optional):
                creds = original(required, optional)
                creds.pop("channel_binding", None)
                return creds
            plugin.sasl_callback = without_channel_binding

        self.session_started = asyncio.Event()
        self.disconnected_event = asyncio.Event()
        self.auth_failures: list[str] = []
        self.stream_errors: list[str] = []
        self.messages: asyncio.Queue = asyncio.Queue()
        self.registration_result: Optional[str] = None  # 'ok' or an error condition
        self.add_event_handler("session_start", self._on_session_start)
        self.add_event_handler("failed_auth", self._on_failed_auth)
        self.add_event_handler("stream_error", self._on_stream_error)
        self.add_event_handler("disconnected", self._on_disconnected)
        self.add_event_handler("message", self._on_message)
        self.no_mechanism = False
        self.add_event_handler("no_auth", self._on_no_auth)
        if register:
            self["xep_0077"].force_registration = True
            # COMPAT slixmpp 1.8: stanzas sent before session start are queued, which holds back the
            # registration iq; let them through.
            self._always_send_everything = True
            self.add_event_handler("register", self._on_register)

    # slixmpp resolves the JID's domain even when given an address; tests never use DNS.
    async def get_dns_records(self, domain, port=None):
        return [(domain, self.address[0], self.address[1])]

    def _on_session_start(self, _event):
        self.session_started.set()

    def _on_failed_auth(self, stanza):
        self.auth_failures.append(stanza["condition"] or "(none)")

    def _on_stream_error(self, error):
        self.stream_errors.append(error["condition"] or "(none)")

    def _on_no_auth(self, _event):
        self.no_mechanism = True

    def _on_disconnected(self, _reason):
        self.disconnected_event.set()

    def _on_message(self, msg):
        if msg["type"] in ("chat", "normal", "headline", "groupchat") and msg["body"]:
            self.messages.put_nowait(msg)

    async def _on_register(self, _form):
        iq = self.Iq()
        iq["type"] = "set"
        iq["register"]["username"] = self.boundjid.user
        iq["register"]["password"] = self.password
        try:
            await iq.send(timeout=DEFAULT_TIMEOUT)
            self.registration_result = "ok"
        except IqError as e:
            self.registration_result = e.iq["error"]["condition"] or "(none)"
            self.disconnect()
        except IqTimeout:
            self.registration_result = "timeout"
            self.disconnect()

    # --- state -----------------------------------------------------------------------------------

    @property
    def mechanism(self) -> Optional[str]:
        """The SASL mechanism slixmpp used for the last authentication attempt."""
        mech = self["feature_mechanisms"].mech
        return mech.name if mech is not None else None

    @property
    def gs2_header(self) -> Optional[bytes]:
        return getattr(self["feature_mechanisms"].mech, "gs2_header", None)

    @property
    def offered_mechanisms(self) -> set[str]:
        return set(self["feature_mechanisms"].mech_list)

    # --- actions ---------------------------------------------------------------------------------

    def start_connect(self) -> None:
        port = self.target.tls_port if self.direct_tls else self.target.c2s_port
        tcp_only = not self.direct_tls and not self.starttls
        self.connect((self.target.host, port), use_ssl=self.direct_tls,
                     force_starttls=not self.direct_tls and self.starttls,
                     disable_starttls=self.direct_tls or tcp_only)

    async def login(self, timeout: float = DEFAULT_TIMEOUT) -> "Client":
        """Connects and waits for session start; raises LoginFailed otherwise."""
        self.start_connect()
        started = asyncio.ensure_future(self.session_started.wait())
        gone = asyncio.ensure_future(self.disconnected_event.wait())
        try:
            done, _ = await asyncio.wait({started, gone}, timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            started.cancel()
            gone.cancel()
        if self.session_started.is_set():
            return self
        if not done:
            await self.close()
            raise LoginFailed("timeout", f"no session after {timeout}s")
        if self.registration_result not in (None, "ok"):
            raise LoginFailed("registration-" + self.registration_result)
        if self.auth_failures:
            raise LoginFailed(self.auth_failures[0], f"mechanism {self.mechanism}")
        if self.no_mechanism:
            raise LoginFailed("no-acceptable-mechanism", f"offered {sorted(self.offered_mechanisms)}")
        if self.stream_errors:
            raise LoginFailed("stream-error-" + self.stream_errors[0])
        raise LoginFailed("disconnected")

    async def wait_disconnected(self, timeout: float = 10.0) -> bool:
        try:
            await asyncio.wait_for(self.disconnected_event.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    async def close(self) -> None:
        if self.disconnected_event.is_set():
            return
        try:
            self.disconnect(wait=1.0)
        except Exception:  # already half-closed: nothing to do
            pass
        if not await self.wait_disconnected(5.0):
            self.abort()

    async def next_message(self, timeout: float = 10.0):
        return await asyncio.wait_for(self.messages.get(), timeout)

    async def iq(self, to: str, payload_xml: str, itype: str = "get", timeout: float = 10.0):
        """Sends an iq with a raw XML payload; returns the result or raises IqError."""
        from xml.etree import ElementTree as ET
        iq = self.make_iq(ito=to, itype=itype)
        iq.append(ET.fromstring(payload_xml))
        return await iq.send(timeout=timeout)


async def login(server, user: str, password: str, **kwargs) -> Client:
    client = Client(server, user, password, **kwargs)
    try:
        return await client.login()
    except BaseException:
        await client.close()
        raise


async def register(server, user: str, password: str, **kwargs) -> Client:
    """In-band registration with slixmpp's XEP-0077 plugin, then login with the new account."""
    return await login(server, user, password, register=True, **kwargs)


async def can_login(server, user: str, password: str, **kwargs) -> bool:
    """True if the login succeeds; False if it fails with not-authorized (anything else raises)."""
    try:
        client = await login(server, user, password, **kwargs)
    except LoginFailed as e:
        if e.condition != "not-authorized":
            raise
        return False
    await client.close()
    return True
