"""A byte-exact XMPP-over-WebSocket (RFC 7395) client for the tests, on Debian's python3-websockets.

Each WebSocket message is parsed on its own as a standalone XML document, which is itself a check
of RFC 7395 §3.3.3 (every message one complete, namespace-declaring element).
"""

from __future__ import annotations

import asyncio
import base64
import xml.etree.ElementTree as ET
from typing import Optional

import websockets

NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
NS_STREAM = "http://etherx.jabber.org/streams"
NS_STREAMS = "urn:ietf:params:xml:ns:xmpp-streams"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind"
NS_CLIENT = "jabber:client"
NS_REGISTER = "jabber:iq:register"
TIMEOUT = 10.0


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


class WsClosed(Exception):
    pass


class WsStream:
    def __init__(self, ws, domain: str):
        self.ws = ws
        self.domain = domain
        self.jid: Optional[str] = None
        self.raw: list[str] = []  # every message received, as text
        self._ids = 0

    @classmethod
    async def connect(cls, url: str, domain: str, *, subprotocols=("xmpp",), origin=None,
                      max_size: int = 1 << 22, extra_headers=None) -> "WsStream":
        ws = await asyncio.wait_for(
            websockets.connect(url, subprotocols=list(subprotocols) if subprotocols else None,
                               origin=origin, max_size=max_size, open_timeout=TIMEOUT,
                               extra_headers=extra_headers),
            TIMEOUT)
        return cls(ws, domain)

    def next_id(self) -> str:
        self._ids += 1
        return f"ws{self._ids}"

    async def send(self, text: str) -> None:
        await self.ws.send(text)

    async def recv(self, timeout: float = TIMEOUT) -> ET.Element:
        try:
            text = await asyncio.wait_for(self.ws.recv(), timeout)
        except websockets.ConnectionClosed as e:
            raise WsClosed(str(e)) from e
        if isinstance(text, bytes):
            raise AssertionError("RFC 7395 §3.2: messages are text frames, got a binary one")
        self.raw.append(text)
        return ET.fromstring(text)

    async def open(self, to: Optional[str] = None) -> tuple[ET.Element, ET.Element]:
        """Sends <open/>; returns the server's <open/> and <stream:features/>."""
        await self.send(f"<open xmlns='{NS_FRAMING}' to='{to or self.domain}' version='1.0'/>")
        opened = await self.recv()
        assert opened.tag == q(NS_FRAMING, "open"), self.raw[-1]
        features = await self.recv()
        assert features.tag == q(NS_STREAM, "features"), self.raw[-1]
        return opened, features

    async def auth_plain(self, user: str, password: str) -> ET.Element:
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        await self.send(f"<auth xmlns='{NS_SASL}' mechanism='PLAIN'>{token}</auth>")
        return await self.recv()

    async def bind(self, resource: str = "ws") -> str:
        iq_id = self.next_id()
        await self.send(f"<iq xmlns='{NS_CLIENT}' type='set' id='{iq_id}'><bind xmlns='{NS_BIND}'>"
                        f"<resource>{resource}</resource></bind></iq>")
        reply = await self.recv()
        assert reply.get("type") == "result", self.raw[-1]
        self.jid = reply.find(f"{q(NS_BIND, 'bind')}/{q(NS_BIND, 'jid')}").text
        return self.jid

    async def login(self, user: str, password: str, resource: str = "ws") -> str:
        await self.open()
        success = await self.auth_plain(user, password)
        assert success.tag == q(NS_SASL, "success"), self.raw[-1]
        await self.open()  # RFC 7395 §3.5: a new <open/> after SASL
        return await self.bind(resource)

    async def register(self, user: str, password: str) -> ET.Element:
        iq_id = self.next_id()
        await self.send(f"<iq xmlns='{NS_CLIENT}' type='set' id='{iq_id}'><query xmlns='{NS_REGISTER}'>"
                        f"<username>{user}</username><password>{password}</password></query></iq>")
        return await self.recv()

    async def next_matching(self, pred, timeout: float = TIMEOUT) -> ET.Element:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            el = await self.recv(max(deadline - loop.time(), 0.01))
            if pred(el):
                return el

    async def close(self) -> None:
        await self.ws.close()


def stream_error_condition(el: ET.Element) -> Optional[str]:
    if el.tag != q(NS_STREAM, "error"):
        return None
    for child in el:
        if child.tag.startswith("{" + NS_STREAMS + "}") and not child.tag.endswith("}text"):
            return child.tag.split("}", 1)[1]
    return None
