"""Helpers for the instant-messaging tests (RFC 6121 rosters, subscriptions, presence, routing;
XEP-0160 offline messages, XEP-0191 blocking, XEP-0054 vCards).

Two independently written client libraries drive the server:

- `SlixClient`: slixmpp (xmpp_client.Client) with the XEP-0030/0054/0191/0199/0203 plugins and
  slixmpp's own roster handling, with automatic subscription handling turned off so that the tests
  decide every answer, and queues recording every presence, roster push and message it receives;
- `AioClient`: aioxmpp (Debian's python3-aioxmpp) with its RosterClient, PresenceServer,
  BlockingClient and VCardService, recording inbound presences and messages through its stream
  filters.

Raw XML (raw_stream.RawStream) is used where a test must see exact attributes.

Servers: `im_server` (one per test module) and `new_im_server` (a factory) are the suite's servers,
except that against Prosody (PARLEY_TEST_SERVER=prosody) the modules needed here are switched on
(offline, blocklist, vcard); the shared servers.py leaves them off. `restart(s)` stops a server with
SIGTERM (checking its clean exit) and starts it again on the same ports and data directory.

Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Callable, Optional

import pytest
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import StanzaPath

import servers
from conftest import launch, register_raw, stop_server
from raw_stream import NS_CLIENT, RawStream, open_session, q, stanza_error_condition
from xmpp_client import Client, unique

log = logging.getLogger("parley.tests.im")

NS_ROSTER = "jabber:iq:roster"
NS_ROSTERVER = "urn:xmpp:features:rosterver"
NS_BLOCKING = "urn:xmpp:blocking"
NS_BLOCKING_ERRORS = "urn:xmpp:blocking:errors"
NS_VCARD = "vcard-temp"
NS_DELAY = "urn:xmpp:delay"
NS_PING = "urn:xmpp:ping"

WAIT = 10.0  # seconds for anything that must arrive


# --- servers ------------------------------------------------------------------------------------

_PROSODY_IM_MODULES = ("offline", "blocklist", "vcard")


def make_im_server(base_dir, **kwargs) -> servers.Server:
    """servers.make_server, plus (for Prosody) the modules the IM tests need."""
    s = servers.make_server(base_dir, **kwargs)
    if s.kind == "prosody":
        cfg = s.base_dir / "prosody.cfg.lua"
        text = cfg.read_text()
        new = re.sub(r'^modules_disabled = \{[^}]*\}$', 'modules_disabled = { "s2s" }', text,
                     flags=re.M)
        new = re.sub(r'^modules_enabled = \{ (.*) \}$',
                     lambda m: "modules_enabled = { " + m.group(1) + ", " +
                     ", ".join(f'"{x}"' for x in _PROSODY_IM_MODULES) + " }",
                     new, flags=re.M)
        assert new.count('"blocklist"') == 1 and '"offline"' not in new.split("modules_disabled")[1] \
            .splitlines()[0], "could not enable Prosody's IM modules:\n" + new
        cfg.write_text(new)
    return s


@pytest.fixture(scope="module")
def im_server(tmp_path_factory):
    s = launch(make_im_server(tmp_path_factory.mktemp("im"), allow_registration=True))
    yield s
    stop_server(s)


@pytest.fixture
def new_im_server(tmp_path_factory):
    """Factory: new_im_server(config={...}) -> a started server, stopped (exit checked) after the test."""
    started: list[servers.Server] = []

    def factory(**kwargs) -> servers.Server:
        kwargs.setdefault("allow_registration", True)
        s = launch(make_im_server(tmp_path_factory.mktemp("im"), **kwargs))
        started.append(s)
        return s
    yield factory
    for s in started:
        if s.proc is not None and s.proc.returncode is None:
            stop_server(s)


def restart(s: servers.Server) -> None:
    """SIGTERM (exit 0 required), then the same binary on the same data dir and ports."""
    stop_server(s)
    launch(s)


@dataclass
class Account:
    user: str
    password: str
    jid: str  # bare


def make_accounts(s: servers.Server, *prefixes: str) -> list[Account]:
    out = []
    for p in prefixes:
        user, password = unique(p), "pw-" + unique("")
        register_raw(s, user, password)
        out.append(Account(user, password, s.jid(user)))
    return out


# --- waiting ------------------------------------------------------------------------------------

async def wait_for(queue: asyncio.Queue, pred: Callable, timeout: float = WAIT, what: str = "",
                   seen: Optional[list] = None):
    """Takes items from `queue` until one satisfies `pred` (returned); others go to `seen`.

    Raises AssertionError (naming `what` and what was seen) after `timeout` seconds."""
    seen = seen if seen is not None else []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or pred}; "
                                 f"received meanwhile: {[describe(x) for x in seen][-15:]}")
        try:
            item = await asyncio.wait_for(queue.get(), remaining)
        except asyncio.TimeoutError:
            continue
        if pred(item):
            return item
        seen.append(item)


def describe(x) -> str:
    if isinstance(x, ET.Element):
        return ET.tostring(x, "unicode")[:300]
    try:
        return str(x)[:300]
    except Exception:
        return repr(x)[:300]


# --- slixmpp ------------------------------------------------------------------------------------

class SlixClient(Client):
    """slixmpp with the IM plugins. Subscription requests are never answered automatically.

    presences:     every presence stanza received (slixmpp Presence objects)
    roster_pushes: every roster push (iq type='set' with a jabber:iq:roster query)
    stanzas:       every message received, errors included
    """

    def __init__(self, server, user: str, password: str, **kwargs):
        super().__init__(server, user, password, **kwargs)
        for plugin in ("xep_0054", "xep_0191", "xep_0203"):
            self.register_plugin(plugin)
        self.auto_authorize = None
        self.auto_subscribe = False
        self.presences: asyncio.Queue = asyncio.Queue()
        self.roster_pushes: asyncio.Queue = asyncio.Queue()
        self.block_pushes: asyncio.Queue = asyncio.Queue()
        self.stanzas: asyncio.Queue = asyncio.Queue()
        self.add_event_handler("presence", self.presences.put_nowait)
        self.add_event_handler("roster_update", self._on_roster_update)
        # slixmpp's own 'message' event fires only for messages with a <body/>: record them all.
        self.register_handler(Callback("im-all-messages", StanzaPath("message"),
                                       self.stanzas.put_nowait))
        self.add_event_handler("blocked", self.block_pushes.put_nowait)  # xep_0191 pushes
        self.add_event_handler("unblocked", self.block_pushes.put_nowait)

    def _on_roster_update(self, iq):
        if iq["type"] == "set":
            self.roster_pushes.put_nowait(iq)

    async def fetch_roster(self, timeout: float = WAIT):
        """An unversioned roster get (this resource becomes 'interested', RFC 6121 §2.1.6); returns
        the result iq. (slixmpp's get_roster would send the last version it saw.)"""
        iq = self.make_iq_get()
        iq.enable("roster")
        result = await iq.send(timeout=timeout)
        self.event("roster_update", result)
        return result

    def roster_items(self, result_iq) -> dict:
        """{jid: {'subscription', 'name', 'groups', 'ask'}} from a roster result or push."""
        return {str(j): {"subscription": i["subscription"], "name": i["name"],
                         "groups": sorted(i["groups"]), "ask": i["ask"]}
                for j, i in result_iq["roster"]["items"].items()}

    async def set_item(self, jid: str, name: str = "", groups=(), timeout: float = WAIT):
        iq = self.make_iq_set()
        iq["roster"]["items"] = {jid: {"name": name, "groups": list(groups), "subscription": "none"}}
        # slixmpp writes subscription='none' into a set; RFC 6121 §2.1.2.5 lets the server ignore it,
        # but keep the set clean of it.
        for item in iq.xml.iter(f"{{{NS_ROSTER}}}item"):
            item.attrib.pop("subscription", None)
        return await iq.send(timeout=timeout)

    async def remove_item(self, jid: str, timeout: float = WAIT):
        iq = self.make_iq_set()
        iq["roster"]["items"] = {jid: {"subscription": "remove"}}
        return await iq.send(timeout=timeout)

    def presence_to(self, to: str, ptype: Optional[str] = None, **kwargs) -> None:
        self.send_presence(pto=to, ptype=ptype, **kwargs)

    async def roundtrip(self, timeout: float = WAIT) -> None:
        """A ping to the server: everything this client sent before has been processed."""
        await self["xep_0199"].send_ping(self.boundjid.domain, timeout=timeout)

    async def next_presence(self, pred: Callable = lambda p: True, timeout: float = WAIT, what=""):
        return await wait_for(self.presences, pred, timeout, what or "a presence")

    async def next_push(self, pred: Callable = lambda iq: True, timeout: float = WAIT, what=""):
        return await wait_for(self.roster_pushes, pred, timeout, what or "a roster push")

    async def next_stanza(self, pred: Callable = lambda m: True, timeout: float = WAIT, what=""):
        return await wait_for(self.stanzas, pred, timeout, what or "a message")

    def drain(self) -> None:
        for qu in (self.presences, self.roster_pushes, self.stanzas, self.block_pushes, self.messages):
            while not qu.empty():
                qu.get_nowait()


def pres_from(jid: str, ptype: Optional[str] = None) -> Callable:
    """Predicate: a presence from `jid` (bare: any resource; full: exactly) of type `ptype`
    ('available' for no type)."""
    def pred(p) -> bool:
        frm = p["from"]
        if ("/" in jid and frm.full != jid) or ("/" not in jid and frm.bare != jid):
            return False
        return ptype is None or p["type"] == ptype or (ptype == "available" and p["type"] in
                                                       ("available", "", "chat", "away", "xa", "dnd"))
    return pred


def push_for(jid: str, subscription: Optional[str] = None) -> Callable:
    def pred(iq) -> bool:
        items = iq["roster"]["items"]
        for j, it in items.items():
            if str(j) == jid and (subscription is None or it["subscription"] == subscription):
                return True
        return False
    return pred


def body_is(text: str) -> Callable:
    return lambda m: m["body"] == text


async def slix_login(server, account: Account, resource: Optional[str] = None, *,
                     presence: bool = False, priority: Optional[int] = None,
                     roster: bool = False) -> SlixClient:
    """Logs in; optionally fetches the roster (first) and sends initial presence (then a round trip,
    so the server has handled it)."""
    c = SlixClient(server, account.user, account.password, resource=resource)
    try:
        await c.login()
        if roster:
            await c.fetch_roster()
        if presence:
            if priority is None:
                c.send_presence()
            else:
                c.send_presence(ppriority=priority)
            await c.roundtrip()
    except BaseException:
        await c.close()
        raise
    return c


async def close_all(*clients) -> None:
    for c in clients:
        if c is None:
            continue
        try:
            await asyncio.wait_for(c.close(), 15)
        except Exception as e:  # a test failure is more useful than a close failure
            log.warning("closing %r: %s", c, e)


def slix_error_condition(stanza) -> str:
    return stanza["error"]["condition"]


# --- aioxmpp ------------------------------------------------------------------------------------

try:
    import aioxmpp
    import aioxmpp.blocking
    import aioxmpp.connector
    import aioxmpp.dispatcher
    import aioxmpp.errors
    import aioxmpp.ping
    import aioxmpp.roster
    import aioxmpp.vcard
    HAVE_AIOXMPP = True
except ImportError:  # pragma: no cover
    HAVE_AIOXMPP = False


class AioClient:
    """An aioxmpp client with RosterClient, PresenceServer/PresenceClient, BlockingClient and
    VCardService. Inbound presences and messages are recorded in `presences` / `stanzas` (aioxmpp
    stanza objects) before aioxmpp dispatches them."""

    def __init__(self, server, account: Account, resource: str = "aio", *, roster: bool = True,
                 blocking: bool = False):
        self.server = server
        self.jid = aioxmpp.JID.fromstr(f"{account.user}@{server.domain}/{resource}")
        self.client = aioxmpp.Client(
            self.jid, aioxmpp.make_security_layer(account.password, no_verify=True),
            override_peer=[(server.host, server.c2s_port, aioxmpp.connector.STARTTLSConnector())],
            max_initial_attempts=1)
        self.presence_server = self.client.summon(aioxmpp.PresenceServer)
        self.roster = self.client.summon(aioxmpp.RosterClient) if roster else None
        self.blocking = self.client.summon(aioxmpp.BlockingClient) if blocking else None
        self.vcard = self.client.summon(aioxmpp.vcard.VCardService)
        self.presences: asyncio.Queue = asyncio.Queue()
        self.stanzas: asyncio.Queue = asyncio.Queue()
        self.failure: Optional[BaseException] = None
        self._established = asyncio.Event()
        self._stopped = asyncio.Event()
        self.client.on_stream_established.connect(lambda: self._established.set())
        self.client.on_failure.connect(self._on_failure)
        self.client.on_stopped.connect(lambda: self._stopped.set())
        stream = self.client.stream
        stream.app_inbound_presence_filter.register(self._record_presence, 0)
        stream.app_inbound_message_filter.register(self._record_message, 0)

    def _on_failure(self, exc):
        self.failure = exc
        self._stopped.set()

    def _record_presence(self, p):
        self.presences.put_nowait(p)
        return p

    def _record_message(self, m):
        self.stanzas.put_nowait(m)
        return m

    @property
    def bare(self) -> str:
        return str(self.jid.bare())

    @property
    def full(self) -> str:
        return str(self.client.local_jid)

    async def start(self, timeout: float = 20.0) -> "AioClient":
        self.client.start()
        est = asyncio.ensure_future(self._established.wait())
        stp = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait({est, stp}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            est.cancel()
            stp.cancel()
        if not self._established.is_set():
            await self.stop()
            raise AssertionError(f"aioxmpp could not log in as {self.jid}: {self.failure!r}")
        return self

    async def stop(self) -> None:
        if self.client.running:
            self.client.stop()
            try:
                await asyncio.wait_for(self._stopped.wait(), 10)
            except asyncio.TimeoutError:
                pass

    # aioxmpp's close, named like slixmpp's so close_all() takes both
    async def close(self) -> None:
        await self.stop()

    def available(self, priority: int = 0, status: Optional[str] = None) -> None:
        """Available presence with this priority. Not through PresenceServer.set_presence: in
        aioxmpp 0.13.3 its make_stanza() leaves the priority out of the stanza."""
        p = aioxmpp.Presence(type_=aioxmpp.PresenceType.AVAILABLE)
        p.priority = priority
        if status is not None:
            p.status[None] = status
        self.client.enqueue(p)

    def send_presence(self, to: str, ptype) -> None:
        p = aioxmpp.Presence(type_=ptype, to=aioxmpp.JID.fromstr(to))
        self.client.enqueue(p)

    def send_chat(self, to: str, body: str) -> None:
        m = aioxmpp.Message(type_=aioxmpp.MessageType.CHAT, to=aioxmpp.JID.fromstr(to))
        m.body[None] = body
        self.client.enqueue(m)

    async def roundtrip(self, timeout: float = WAIT) -> None:
        iq = aioxmpp.IQ(type_=aioxmpp.IQType.GET, to=self.jid.replace(localpart=None, resource=None),
                        payload=aioxmpp.ping.Ping())
        await asyncio.wait_for(self.client.send(iq), timeout)


def aio_pres_from(jid: str, ptype=None) -> Callable:
    def pred(p) -> bool:
        frm = p.from_
        if frm is None:
            return False
        if ("/" in jid and str(frm) != jid) or ("/" not in jid and str(frm.bare()) != jid):
            return False
        return ptype is None or p.type_ == ptype
    return pred


def aio_body(m) -> Optional[str]:
    try:
        return m.body.any()
    except (KeyError, ValueError, AttributeError):
        return None


async def aio_login(server, account: Account, resource: str = "aio", **kwargs) -> AioClient:
    if not HAVE_AIOXMPP:
        pytest.skip("python3-aioxmpp does not import")
    return await AioClient(server, account, resource, **kwargs).start()


# --- raw ----------------------------------------------------------------------------------------

async def raw_login(server, account: Account, resource: str = "raw") -> RawStream:
    return await open_session(server.host, server.c2s_port, server.domain, user=account.user,
                              password=account.password, resource=resource)


async def raw_iq(st: RawStream, body: str, itype: str = "get", to: Optional[str] = None,
                 timeout: float = WAIT) -> ET.Element:
    """Sends an iq and returns the response element (result or error, without raising)."""
    iq_id = st.next_id()
    to_attr = f" to='{to}'" if to else ""
    await st.send(f"<iq type='{itype}' id='{iq_id}'{to_attr}>{body}</iq>")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        el = await st.next_stanza(max(deadline - loop.time(), 0.01))
        if el.tag == q(NS_CLIENT, "iq") and el.get("id") == iq_id and el.get("type") in ("result",
                                                                                         "error"):
            return el
        st.skipped = getattr(st, "skipped", []) + [el]


async def raw_next(st: RawStream, pred: Callable[[ET.Element], bool], timeout: float = WAIT,
                   what: str = "") -> ET.Element:
    """The first element satisfying pred, looking first at those skipped earlier (e.g. a roster push
    that arrived before the result raw_iq was waiting for); others are kept in st.skipped."""
    backlog = getattr(st, "skipped", [])
    for i, el in enumerate(backlog):
        if pred(el):
            del backlog[i]
            return el
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {what}; skipped: "
                                 f"{[describe(e) for e in getattr(st, 'skipped', [])][-10:]}")
        try:
            el = await st.next_stanza(remaining)
        except asyncio.TimeoutError:
            continue
        if pred(el):
            return el
        st.skipped = getattr(st, "skipped", []) + [el]


def error_condition(el: ET.Element) -> Optional[str]:
    return stanza_error_condition(el)


def error_type(el: ET.Element) -> Optional[str]:
    err = el.find(q(NS_CLIENT, "error"))
    return err.get("type") if err is not None else None


def roster_items_raw(el: ET.Element) -> dict:
    query = el.find(q(NS_ROSTER, "query"))
    if query is None:
        return {}
    return {i.get("jid"): {"subscription": i.get("subscription", "none"), "name": i.get("name"),
                           "ask": i.get("ask"),
                           "groups": sorted((g.text or "") for g in i.findall(q(NS_ROSTER, "group")))}
            for i in query.findall(q(NS_ROSTER, "item"))}


def is_roster_push(el: ET.Element) -> bool:
    return el.tag == q(NS_CLIENT, "iq") and el.get("type") == "set" and \
        el.find(q(NS_ROSTER, "query")) is not None


async def ack_push(st: RawStream, push: ET.Element) -> None:
    await st.send(f"<iq type='result' id='{push.get('id')}'/>")



async def until(cond: Callable[[], bool], timeout: float = WAIT, what: str = "") -> None:
    """Polls cond() (for state kept by a client library, e.g. aioxmpp's roster) until true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or cond}")
        await asyncio.sleep(0.05)


async def establish_mutual(server, a: Account, b: Account) -> None:
    """a and b subscribe to each other (slixmpp sessions that are closed afterwards)."""
    ca = await slix_login(server, a, unique("setup"), roster=True, presence=True)
    cb = None
    try:
        cb = await slix_login(server, b, unique("setup"), roster=True, presence=True)
        ca.presence_to(b.jid, "subscribe")
        await cb.next_presence(pres_from(a.jid, "subscribe"))
        cb.presence_to(a.jid, "subscribed")
        await ca.next_push(push_for(b.jid, "to"))
        cb.presence_to(a.jid, "subscribe")
        await ca.next_presence(pres_from(b.jid, "subscribe"))
        ca.presence_to(b.jid, "subscribed")
        await ca.next_push(push_for(b.jid, "both"))
        await cb.next_push(push_for(a.jid, "both"))
    finally:
        await close_all(ca, cb)


def roster_of(result_iq) -> dict:
    """{jid: subscription} from a slixmpp roster result."""
    return {str(j): i["subscription"] for j, i in result_iq["roster"]["items"].items()}
