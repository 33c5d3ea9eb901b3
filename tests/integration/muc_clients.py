"""Helpers for the multi-user chat tests (XEP-0045, and XEP-0249 direct invitations).

`MucClient` is the IM tests' slixmpp client (im_clients.SlixClient: every presence and message is
recorded in the `presences` / `stanzas` queues) with slixmpp's xep_0045, xep_0004 and xep_0249
plugins. Where a test needs exact control of a stanza (the join presence, the configuration form,
admin items) it builds the XML itself and reads the answers from the queues; slixmpp's xep_0045
plugin is used for the rest (set_role, set_affiliation, get_affiliation_list, destroy, invite,
set_subject).

Conventions: `room` is a bare room JID (`name@conference.<domain>`), an occupant is `room/nick`.
Every wait is bounded (im_clients.WAIT).
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from typing import Callable, Iterable, Optional

from slixmpp.exceptions import IqError

from im_clients import (Account, SlixClient, WAIT, close_all, describe, make_accounts,  # noqa: F401
                        wait_for)
from xmpp_client import unique

NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_USER = NS_MUC + "#user"
NS_MUC_ADMIN = NS_MUC + "#admin"
NS_MUC_OWNER = NS_MUC + "#owner"
NS_ROOMCONFIG = NS_MUC + "#roomconfig"
NS_ROOMINFO = NS_MUC + "#roominfo"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
NS_DATA = "jabber:x:data"
NS_CONFERENCE = "jabber:x:conference"  # XEP-0249
NS_DELAY = "urn:xmpp:delay"
NS_CLIENT = "jabber:client"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def new_room(server, prefix: str = "room") -> str:
    return f"{unique(prefix)}@{server.muc_domain}"


# --- reading MUC stanzas -------------------------------------------------------------------------

def muc_user_x(stanza) -> Optional[ET.Element]:
    return stanza.xml.find(q(NS_MUC_USER, "x"))


def status_codes(stanza) -> set[int]:
    x = muc_user_x(stanza)
    if x is None:
        return set()
    return {int(s.get("code")) for s in x.findall(q(NS_MUC_USER, "status")) if s.get("code", "").isdigit()}


def muc_item(stanza) -> dict:
    """The attributes of the <item/> in the muc#user payload ({} if none), plus 'reason' and
    'actor' (the actor's nick or jid) when present."""
    x = muc_user_x(stanza)
    if x is None:
        return {}
    it = x.find(q(NS_MUC_USER, "item"))
    if it is None:
        return {}
    out = dict(it.attrib)
    reason = it.find(q(NS_MUC_USER, "reason"))
    if reason is not None:
        out["reason"] = reason.text or ""
    actor = it.find(q(NS_MUC_USER, "actor"))
    if actor is not None:
        out["actor"] = actor.get("nick") or actor.get("jid") or ""
    return out


def error_condition(stanza) -> str:
    return stanza["error"]["condition"]


def xml_of(stanza) -> str:
    return ET.tostring(stanza.xml, "unicode")[:600]


def from_occupant(room: str, nick: Optional[str] = None, ptype: Optional[str] = None) -> Callable:
    """Predicate on a presence: from room/nick (any nick if None), of type ptype ('available' for
    no type; None: any)."""
    def pred(p) -> bool:
        if p["from"].bare != room:
            return False
        if nick is not None and p["from"].resource != nick:
            return False
        if ptype is None:
            return True
        if ptype == "available":
            return p["type"] in ("available", "", "chat", "away", "xa", "dnd")
        return p["type"] == ptype
    return pred


def is_subject(room: str) -> Callable:
    """Predicate on a message: a subject message from the room (§8.1: <subject/> and no body)."""
    return lambda m: (m["from"].bare == room and m.xml.find(q(NS_CLIENT, "subject")) is not None
                      and not m["body"])


def groupchat_body(room: str, body: str) -> Callable:
    return lambda m: m["from"].bare == room and m["type"] == "groupchat" and m["body"] == body


def data_form_fields(x: ET.Element) -> dict[str, dict]:
    """{var: {'type': ..., 'values': [...], 'options': [...]}} of a jabber:x:data form."""
    out = {}
    for f in x.findall(q(NS_DATA, "field")):
        var = f.get("var")
        if var is None:
            continue
        out[var] = {"type": f.get("type", "text-single"),
                    "values": [v.text or "" for v in f.findall(q(NS_DATA, "value"))],
                    "options": [o.findtext(q(NS_DATA, "value")) for o in f.findall(q(NS_DATA, "option"))]}
    return out


# Where XEP-0045's registry names a field in two ways, the server may use either (Prosody 0.12 says
# muc#roomconfig_historylength; the registry's name is muc#maxhistoryfetch).
HISTORY_FIELDS = ("muc#maxhistoryfetch", "muc#roomconfig_historylength")


async def wait_all(queue: asyncio.Queue, preds: dict, timeout: float = WAIT) -> dict:
    """Takes items from `queue` until each predicate in `preds` ({name: pred}) has matched one, in
    any order; returns {name: item}. Fails naming what is missing after `timeout` seconds."""
    found: dict = {}
    seen: list = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(found) < len(preds):
        remaining = deadline - loop.time()
        if remaining <= 0:
            missing = [n for n in preds if n not in found]
            raise AssertionError(f"timed out after {timeout}s waiting for {missing}; received "
                                 f"meanwhile: {[describe(x) for x in seen][-15:]}")
        try:
            item = await asyncio.wait_for(queue.get(), remaining)
        except asyncio.TimeoutError:
            continue
        for name, pred in preds.items():
            if name not in found and pred(item):
                found[name] = item
                break
        else:
            seen.append(item)
    return found


# --- the client ----------------------------------------------------------------------------------

class MucClient(SlixClient):
    def __init__(self, server, user: str, password: str, **kwargs):
        super().__init__(server, user, password, **kwargs)
        for plugin in ("xep_0004", "xep_0045", "xep_0249", "xep_0082"):
            self.register_plugin(plugin)

    # joining ------------------------------------------------------------------------------------

    def send_join(self, room: str, nick: str, *, password: Optional[str] = None,
                  history: Optional[dict] = None, muc_x: bool = True) -> None:
        p = self.make_presence(pto=f"{room}/{nick}")
        if muc_x:
            x = ET.SubElement(p.xml, q(NS_MUC, "x"))
            if history is not None:
                h = ET.SubElement(x, q(NS_MUC, "history"))
                for k, v in history.items():
                    h.set(k, str(v))
            if password is not None:
                ET.SubElement(x, q(NS_MUC, "password")).text = password
        p.send()

    async def join_result(self, room: str, nick: str, **kwargs):
        """Sends a join and returns the self-presence (status 110) or the error presence."""
        self.send_join(room, nick, **kwargs)
        seen: list = []

        def pred(p) -> bool:
            if p["from"].bare != room:
                return False
            if p["type"] == "error":
                return True
            return 110 in status_codes(p)
        p = await wait_for(self.presences, pred, what=f"self-presence or error from {room}/{nick}",
                           seen=seen)
        for other in seen:  # put back what others tests may want (occupant presences before ours)
            self.presences.put_nowait(other)
        return p

    async def join(self, room: str, nick: str, **kwargs):
        """Joins; fails the test on an error presence. Returns the self-presence."""
        p = await self.join_result(room, nick, **kwargs)
        assert p["type"] != "error", f"join of {room} as {nick} refused: {xml_of(p)}"
        if p["from"].resource != nick:  # §7.2.9: a modified nick carries status 210
            assert 210 in status_codes(p), f"nick rewritten without status 210: {xml_of(p)}"
        return p

    async def join_error(self, room: str, nick: str, **kwargs) -> str:
        """Joins expecting an error presence; returns its condition."""
        p = await self.join_result(room, nick, **kwargs)
        assert p["type"] == "error", f"join of {room} as {nick} should have been refused: {xml_of(p)}"
        assert p["from"].bare == room
        return error_condition(p)

    async def create_instant(self, room: str, nick: str):
        """Creates a room with the default configuration (§10.1.2): join, expect 201, accept the
        default form. Returns the self-presence."""
        p = await self.join(room, nick)
        assert 201 in status_codes(p), f"room {room} should have been created: {xml_of(p)}"
        await self.submit_config(room, {})
        return p

    async def create_reserved(self, room: str, nick: str, fields: dict, *, require=()):
        """Creates a room configured with the muc#roomconfig form (§10.1.3). `fields` maps a var to a
        value (bool, int, str or list); vars in `require` must be in the form the server sends."""
        p = await self.join(room, nick)
        assert 201 in status_codes(p), f"room {room} should have been created: {xml_of(p)}"
        form = await self.get_config(room)
        missing = [v for v in require if v not in form]
        assert not missing, f"the configuration form lacks {missing}; it has {sorted(form)}"
        await self.submit_config(room, fields)
        return p

    def leave(self, room: str, nick: str, status: str = "") -> None:
        self.send_presence(pto=f"{room}/{nick}", ptype="unavailable", pstatus=status or None)

    # configuration --------------------------------------------------------------------------------

    async def owner_iq(self, room: str, payload: ET.Element, itype: str = "get", timeout: float = WAIT):
        iq = self.make_iq(ito=room, itype=itype)
        iq.append(payload)
        return await iq.send(timeout=timeout)

    async def get_config(self, room: str) -> dict[str, dict]:
        result = await self.owner_iq(room, ET.Element(q(NS_MUC_OWNER, "query")))
        x = result.xml.find(f"{q(NS_MUC_OWNER, 'query')}/{q(NS_DATA, 'x')}")
        assert x is not None, f"no configuration form: {xml_of(result)}"
        fields = data_form_fields(x)
        assert fields.get("FORM_TYPE", {}).get("values") == [NS_ROOMCONFIG], \
            f"FORM_TYPE of the form: {fields.get('FORM_TYPE')}"
        return fields

    async def submit_config(self, room: str, fields: dict):
        query = ET.Element(q(NS_MUC_OWNER, "query"))
        x = ET.SubElement(query, q(NS_DATA, "x"), {"type": "submit"})
        ft = ET.SubElement(x, q(NS_DATA, "field"), {"var": "FORM_TYPE"})
        ET.SubElement(ft, q(NS_DATA, "value")).text = NS_ROOMCONFIG
        for var, value in fields.items():
            f = ET.SubElement(x, q(NS_DATA, "field"), {"var": var})
            values = value if isinstance(value, (list, tuple)) else [value]
            for v in values:
                if isinstance(v, bool):
                    v = "1" if v else "0"
                ET.SubElement(f, q(NS_DATA, "value")).text = str(v)
        return await self.owner_iq(room, query, "set")

    async def history_field(self, room: str) -> str:
        form = await self.get_config(room)
        for f in HISTORY_FIELDS:
            if f in form:
                return f
        raise AssertionError(f"no history length field ({HISTORY_FIELDS}) in {sorted(form)}")

    # admin ------------------------------------------------------------------------------------------

    async def admin_set(self, room: str, items: Iterable[dict], reason: str = ""):
        query = ET.Element(q(NS_MUC_ADMIN, "query"))
        for attrs in items:
            it = ET.SubElement(query, q(NS_MUC_ADMIN, "item"), {k: str(v) for k, v in attrs.items()})
            if reason:
                ET.SubElement(it, q(NS_MUC_ADMIN, "reason")).text = reason
        return await self.owner_iq(room, query, "set")

    async def admin_list(self, room: str, **attrs) -> list[dict]:
        query = ET.Element(q(NS_MUC_ADMIN, "query"))
        ET.SubElement(query, q(NS_MUC_ADMIN, "item"), attrs)
        result = await self.owner_iq(room, query, "get")
        return [dict(i.attrib) for i in result.xml.iter(q(NS_MUC_ADMIN, "item"))]

    async def iq_error(self, coro) -> str:
        """Awaits an iq send that must fail; returns the error condition."""
        try:
            result = await coro
        except IqError as e:
            return e.iq["error"]["condition"]
        raise AssertionError(f"expected an error, got {xml_of(result)}")

    # disco ----------------------------------------------------------------------------------------

    async def disco_items(self, jid: str) -> list[tuple[str, str]]:
        """[(jid, name)] in the order the server sent them."""
        iq = self.make_iq_get(queryxmlns=NS_DISCO_ITEMS, ito=jid)
        result = await iq.send(timeout=WAIT)
        return [(i.get("jid"), i.get("name") or "") for i in result.xml.iter(q(NS_DISCO_ITEMS, "item"))]

    async def disco_info(self, jid: str):
        """(identities [(category, type, name)], features set, roominfo form fields or None)."""
        iq = self.make_iq_get(queryxmlns=NS_DISCO_INFO, ito=jid)
        result = await iq.send(timeout=WAIT)
        query = result.xml.find(q(NS_DISCO_INFO, "query"))
        identities = [(i.get("category"), i.get("type"), i.get("name"))
                      for i in query.findall(q(NS_DISCO_INFO, "identity"))]
        features = {f.get("var") for f in query.findall(q(NS_DISCO_INFO, "feature"))}
        roominfo = None
        for x in query.findall(q(NS_DATA, "x")):
            fields = data_form_fields(x)
            if fields.get("FORM_TYPE", {}).get("values") == [NS_ROOMINFO]:
                roominfo = fields
        return identities, features, roominfo

    # messages ----------------------------------------------------------------------------------------

    def groupchat(self, room: str, body: str) -> None:
        self.send_message(mto=room, mbody=body, mtype="groupchat")

    async def next_groupchat(self, room: str, body: str, timeout: float = WAIT):
        return await self.next_stanza(groupchat_body(room, body), timeout=timeout,
                                      what=f"groupchat {body!r} from {room}")

    async def next_error(self, pred: Callable = lambda m: True, timeout: float = WAIT, what=""):
        return await self.next_stanza(lambda m: m["type"] == "error" and pred(m), timeout=timeout,
                                      what=what or "an error message")

    async def settle(self) -> None:
        """A round trip to the server plus a short pause: stanzas routed before have arrived."""
        await self.roundtrip()
        await asyncio.sleep(0.3)

    def pending_stanzas(self) -> list:
        out = []
        while not self.stanzas.empty():
            out.append(self.stanzas.get_nowait())
        return out

    def pending_presences(self) -> list:
        out = []
        while not self.presences.empty():
            out.append(self.presences.get_nowait())
        return out


async def muc_login(server, account: Account, resource: Optional[str] = None,
                    presence: bool = True) -> MucClient:
    c = MucClient(server, account.user, account.password, resource=resource)
    try:
        await c.login()
        if presence:
            c.send_presence()
            await c.roundtrip()
    except BaseException:
        await c.close()
        raise
    return c


async def muc_logins(server, accounts: Iterable[Account]) -> list[MucClient]:
    clients = []
    try:
        for a in accounts:
            clients.append(await muc_login(server, a))
    except BaseException:
        await close_all(*clients)
        raise
    return clients
