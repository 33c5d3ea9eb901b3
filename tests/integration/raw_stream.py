"""A bare XMPP client stream over asyncio sockets, for tests that must control every byte.

RawStream sends whatever it is given and parses what the server sends with an incremental parser,
handing out each top-level element of the server's stream. It knows just enough protocol (STARTTLS,
SASL PLAIN, resource binding, XEP-0077 registration) to reach the state a test needs. Every wait is
bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import xml.etree.ElementTree as ET
from typing import Optional

NS_STREAMS = "http://etherx.jabber.org/streams"
NS_STREAM_ERRORS = "urn:ietf:params:xml:ns:xmpp-streams"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind"
NS_CLIENT = "jabber:client"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_REGISTER = "jabber:iq:register"
NS_REGISTER_FEATURE = "http://jabber.org/features/iq-register"
NS_PING = "urn:xmpp:ping"

DEFAULT_TIMEOUT = 15.0


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def insecure_tls_context() -> ssl.SSLContext:
    """The servers under test use self-signed certificates: do not verify them."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def stream_header(domain: str, *, xml_decl: bool = True) -> str:
    decl = "<?xml version='1.0'?>" if xml_decl else ""
    return (f"{decl}<stream:stream to='{domain}' version='1.0' xml:lang='en' "
            f"xmlns='jabber:client' xmlns:stream='{NS_STREAMS}'>")


class StreamClosed(Exception):
    """The server closed the stream (</stream:stream>) or the connection (EOF)."""


class StreamErrorReceived(Exception):
    def __init__(self, condition: str, element: ET.Element):
        super().__init__(f"stream error <{condition}/>")
        self.condition = condition
        self.element = element


class StanzaError(Exception):
    def __init__(self, condition: str, element: ET.Element):
        super().__init__(f"stanza error <{condition}/>: {ET.tostring(element, 'unicode')[:500]}")
        self.condition = condition
        self.element = element


def stream_error_condition(el: ET.Element) -> Optional[str]:
    """The defined condition of a <stream:error/>, e.g. 'not-authorized', or None if el is not one."""
    if el.tag != q(NS_STREAMS, "error"):
        return None
    for child in el:
        if child.tag.startswith("{" + NS_STREAM_ERRORS + "}") and child.tag != q(NS_STREAM_ERRORS, "text"):
            return child.tag.split("}", 1)[1]
    return "(no defined condition)"


def stanza_error_condition(el: ET.Element) -> Optional[str]:
    """The defined condition of an error stanza (type='error'), or None."""
    if el.get("type") != "error":
        return None
    err = el.find(q(NS_CLIENT, "error"))
    if err is None:
        return "(no error element)"
    for child in err:
        if child.tag.startswith("{" + NS_STANZAS + "}") and child.tag != q(NS_STANZAS, "text"):
            return child.tag.split("}", 1)[1]
    return "(no defined condition)"


class RawStream:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, domain: str):
        self.reader = reader
        self.writer = writer
        self.domain = domain
        self.stream_attrs: dict = {}
        self.features: Optional[ET.Element] = None
        self.jid: Optional[str] = None
        self._eof = False
        self._ids = 0
        self.transcript = bytearray()  # the last bytes received, for failure messages
        self._reset_parser()

    # --- connection -------------------------------------------------------------------------------

    @classmethod
    async def connect(cls, host: str, port: int, domain: str, *, direct_tls: bool = False,
                      timeout: float = DEFAULT_TIMEOUT) -> "RawStream":
        ctx = insecure_tls_context() if direct_tls else None
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ctx, server_hostname=domain if ctx else None,
                                    limit=1 << 22),
            timeout)
        return cls(reader, writer, domain)

    @property
    def is_tls(self) -> bool:
        return self.writer.get_extra_info("ssl_object") is not None

    def _reset_parser(self) -> None:
        self._parser = ET.XMLPullParser(events=("start", "end"))
        self._depth = 0
        self._root: Optional[ET.Element] = None
        self._pending: list[ET.Element] = []
        self._stream_ended = False

    async def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode()
        self.writer.write(data)
        await self.writer.drain()

    async def send_slowly(self, data: bytes | str, *, chunk: int = 1, delay: float = 0.01) -> None:
        """Sends data in small pieces with a pause between them (a slow or fragmenting peer)."""
        if isinstance(data, str):
            data = data.encode()
        for i in range(0, len(data), chunk):
            self.writer.write(data[i:i + chunk])
            await self.writer.drain()
            await asyncio.sleep(delay)

    async def close(self) -> None:
        try:
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 5)
        except (OSError, asyncio.TimeoutError, ssl.SSLError):
            pass

    # --- reading ----------------------------------------------------------------------------------

    def tail(self, n: int = 600) -> str:
        return bytes(self.transcript[-n:]).decode(errors="replace")

    def _feed(self, data: bytes) -> None:
        self.transcript += data
        del self.transcript[:-4096]
        self._parser.feed(data)
        for event, el in self._parser.read_events():
            if event == "start":
                self._depth += 1
                if self._depth == 1:
                    self._root = el
                    self.stream_attrs = dict(el.attrib)
            else:
                self._depth -= 1
                if self._depth == 1:
                    self._pending.append(el)
                    if self._root is not None:
                        self._root.remove(el)
                elif self._depth == 0:
                    self._stream_ended = True

    async def _read_more(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise asyncio.TimeoutError("timed out waiting for data from the server")
        try:
            data = await asyncio.wait_for(self.reader.read(65536), remaining)
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            data = b""
        if not data:
            self._eof = True
            raise StreamClosed("connection closed by the server; "
                               f"last bytes received: {self.tail()!r}")
        self._feed(data)

    async def wait_stream_header(self, timeout: float = DEFAULT_TIMEOUT) -> dict:
        deadline = asyncio.get_running_loop().time() + timeout
        while self._root is None:
            await self._read_more(deadline)
        return self.stream_attrs

    async def next_element(self, timeout: float = DEFAULT_TIMEOUT) -> ET.Element:
        """The next top-level element from the server. Raises StreamClosed at the end of the stream."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._pending:
            if self._stream_ended or self._eof:
                raise StreamClosed("stream closed by the server")
            await self._read_more(deadline)
        return self._pending.pop(0)

    async def next_stanza(self, timeout: float = DEFAULT_TIMEOUT) -> ET.Element:
        """Like next_element, but a stream error raises StreamErrorReceived."""
        el = await self.next_element(timeout)
        cond = stream_error_condition(el)
        if cond is not None:
            raise StreamErrorReceived(cond, el)
        return el

    async def expect_stream_error(self, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Reads until a stream error arrives and returns its condition.

        Raises AssertionError if the stream ends without one."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                el = await self.next_element(max(remaining, 0.001))
            except StreamClosed:
                raise AssertionError("the server closed the stream without a stream error; "
                                     f"last bytes received: {self.tail()!r}")
            except ET.ParseError as e:
                raise AssertionError(f"unparsable reply from the server ({e}); "
                                     f"last bytes received: {self.tail()!r}")
            cond = stream_error_condition(el)
            if cond is not None:
                return cond

    async def wait_closed(self, timeout: float = 10.0) -> None:
        """Waits until the server closes the TCP connection (anything it sends meanwhile is dropped).

        Raises asyncio.TimeoutError if the connection is still open after `timeout` seconds."""
        if self._eof:
            return
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise asyncio.TimeoutError("the server did not close the connection")
            try:
                data = await asyncio.wait_for(self.reader.read(65536), remaining)
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
                data = b""
            if not data:
                self._eof = True
                return

    # --- protocol steps ---------------------------------------------------------------------------

    def next_id(self) -> str:
        self._ids += 1
        return f"raw{self._ids}"

    async def open_stream(self, *, header: Optional[str] = None,
                          timeout: float = DEFAULT_TIMEOUT) -> ET.Element:
        """Sends a stream header and returns the server's <stream:features/>."""
        self._reset_parser()
        await self.send(header if header is not None else stream_header(self.domain))
        await self.wait_stream_header(timeout)
        el = await self.next_stanza(timeout)
        assert el.tag == q(NS_STREAMS, "features"), f"expected stream features, got {el.tag}"
        self.features = el
        return el

    def mechanisms(self) -> list[str]:
        assert self.features is not None
        mechs = self.features.find(q(NS_SASL, "mechanisms"))
        if mechs is None:
            return []
        return [m.text or "" for m in mechs.findall(q(NS_SASL, "mechanism"))]

    async def starttls(self, timeout: float = DEFAULT_TIMEOUT, *,
                       restart: bool = True) -> Optional[ET.Element]:
        """STARTTLS then (unless restart is False) a new stream; returns the new features."""
        await self.send(f"<starttls xmlns='{NS_TLS}'/>")
        el = await self.next_stanza(timeout)
        assert el.tag == q(NS_TLS, "proceed"), f"expected <proceed/>, got {ET.tostring(el, 'unicode')}"
        await asyncio.wait_for(
            self.writer.start_tls(insecure_tls_context(), server_hostname=self.domain), timeout)
        self._reset_parser()
        if not restart:
            return None
        return await self.open_stream(timeout=timeout)

    async def auth_plain(self, user: str, password: str, timeout: float = DEFAULT_TIMEOUT) -> ET.Element:
        """SASL PLAIN; returns <success/> or <failure/> (the stream is restarted after success)."""
        token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
        await self.send(f"<auth xmlns='{NS_SASL}' mechanism='PLAIN'>{token}</auth>")
        el = await self.next_stanza(timeout)
        if el.tag == q(NS_SASL, "success"):
            await self.open_stream(timeout=timeout)
        return el

    async def bind(self, resource: str = "raw", timeout: float = DEFAULT_TIMEOUT) -> str:
        iq_id = self.next_id()
        await self.send(f"<iq type='set' id='{iq_id}'><bind xmlns='{NS_BIND}'>"
                        f"<resource>{resource}</resource></bind></iq>")
        el = await self.iq_response(iq_id, timeout)
        jid = el.find(f"{q(NS_BIND, 'bind')}/{q(NS_BIND, 'jid')}")
        assert jid is not None and jid.text, f"bind result without a JID: {ET.tostring(el, 'unicode')}"
        self.jid = jid.text
        return jid.text

    async def iq_response(self, iq_id: str, timeout: float = DEFAULT_TIMEOUT) -> ET.Element:
        """Waits for the iq result or error with this id (other stanzas are skipped).

        Raises StanzaError for an error response."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise asyncio.TimeoutError(f"no response to iq {iq_id}")
            el = await self.next_stanza(remaining)
            if el.tag == q(NS_CLIENT, "iq") and el.get("id") == iq_id:
                cond = stanza_error_condition(el)
                if cond is not None:
                    raise StanzaError(cond, el)
                return el

    async def ping(self, to: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT) -> ET.Element:
        iq_id = self.next_id()
        to_attr = f" to='{to or self.domain}'"
        await self.send(f"<iq type='get' id='{iq_id}'{to_attr}><ping xmlns='{NS_PING}'/></iq>")
        return await self.iq_response(iq_id, timeout)

    async def register(self, user: str, password: str, timeout: float = DEFAULT_TIMEOUT) -> ET.Element:
        iq_id = self.next_id()
        await self.send(f"<iq type='set' id='{iq_id}'><query xmlns='{NS_REGISTER}'>"
                        f"<username>{user}</username><password>{password}</password></query></iq>")
        return await self.iq_response(iq_id, timeout)


async def open_session(host: str, port: int, domain: str, *, direct_tls: bool = False,
                       user: Optional[str] = None, password: Optional[str] = None,
                       resource: str = "raw", timeout: float = DEFAULT_TIMEOUT) -> RawStream:
    """A stream that is encrypted and, when user is given, authenticated with PLAIN and bound."""
    s = await RawStream.connect(host, port, domain, direct_tls=direct_tls, timeout=timeout)
    try:
        await s.open_stream(timeout=timeout)
        if not direct_tls:
            await s.starttls(timeout=timeout)
        if user is not None:
            assert password is not None
            el = await s.auth_plain(user, password, timeout=timeout)
            assert el.tag == q(NS_SASL, "success"), \
                f"PLAIN login as {user} failed: {ET.tostring(el, 'unicode')}"
            await s.bind(resource, timeout=timeout)
    except BaseException:
        await s.close()
        raise
    return s
