"""XMPP over WebSocket (RFC 7395) with npm's @xmpp/client, the library of the browser client.

Each test drives tests/ws/driver.mjs (node, @xmpp/client from web/node_modules) over JSON lines and
talks to a slixmpp client on the ordinary TCP port: SCRAM login over WebSocket, one-to-one messages
both ways, and groupchat in a MUC room between the two transports.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import register_raw
from xmpp_client import Client, run, unique

REPO = Path(__file__).resolve().parents[2]
DRIVER = REPO / "tests" / "ws" / "driver.mjs"
WEB = REPO / "web"
WAIT = 15.0


def node_binary() -> str:
    node = os.environ.get("NODE") or shutil.which("node")
    assert node, "node is missing: scripts/setup installs Debian's nodejs"
    assert (WEB / "node_modules" / "@xmpp" / "client").is_dir(), \
        "web/node_modules is missing: scripts/build (scripts/build-web) runs npm ci"
    return node


class WsClient:
    """One @xmpp/client over WebSocket in a node process; every call is bounded."""

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc
        self.ids = itertools.count(1)

    @classmethod
    async def spawn(cls) -> "WsClient":
        proc = await asyncio.create_subprocess_exec(
            node_binary(), str(DRIVER), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        return cls(proc)

    async def call(self, cmd: str, timeout: float = WAIT + 10, **args) -> dict:
        request = {"id": next(self.ids), "cmd": cmd, **args}
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        await self.proc.stdin.drain()
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"@xmpp/client did not answer {request} within {timeout}s")
        if not line:
            err = await self.proc.stderr.read()
            raise AssertionError(f"the node driver exited during {request}:\n{err.decode(errors='replace')}")
        answer = json.loads(line)
        assert answer["id"] == request["id"]
        assert answer["ok"], f"{cmd} failed: {answer.get('error')}"
        return answer

    async def login(self, server, user: str, password: str, register: bool = False) -> dict:
        return await self.call("login", service=server.websocket_url, domain=server.domain,
                               username=user, password=password, register=register)

    async def close(self) -> None:
        if self.proc.returncode is None:
            try:
                await self.call("stop", timeout=10)
            except AssertionError:
                pass
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def tcp_client(server, user: str, password: str, *plugins: str) -> Client:
    c = Client(server, user, password, resource="tcp")
    for plugin in plugins:
        c.register_plugin(plugin)
    await c.login()
    c.send_presence()
    return c


async def next_message(c: Client, pred, what: str):
    deadline = asyncio.get_running_loop().time() + WAIT
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError(f"slixmpp did not receive {what} within {WAIT}s")
        try:
            msg = await asyncio.wait_for(c.messages.get(), remaining)
        except asyncio.TimeoutError:
            raise AssertionError(f"slixmpp did not receive {what} within {WAIT}s")
        if pred(msg):
            return msg


def test_scram_login_over_websocket(server):
    user, password = unique("wsscram"), "pw-" + unique("")
    register_raw(server, user, password)

    async def go():
        ws = await WsClient.spawn()
        try:
            info = await ws.login(server, user, password)
            assert info["mechanism"] == "SCRAM-SHA-1", info
            assert info["jid"].startswith(f"{user}@{server.domain}/"), info
        finally:
            await ws.close()
    run(go(), timeout=60)


def test_wrong_password_is_refused_over_websocket(server):
    user, password = unique("wsbad"), "pw-" + unique("")
    register_raw(server, user, password)

    async def go():
        ws = await WsClient.spawn()
        try:
            with pytest.raises(AssertionError, match="not-authorized"):
                await ws.login(server, user, "wrong-" + password)
        finally:
            await ws.close()
    run(go(), timeout=60)


def test_registration_then_login_on_one_websocket_stream(server):
    user, password = unique("wsreg"), "pw-" + unique("")

    async def go():
        ws = await WsClient.spawn()
        try:
            info = await ws.login(server, user, password, register=True)
            assert info["jid"].startswith(f"{user}@{server.domain}/"), info
        finally:
            await ws.close()
        # The account exists for other clients too.
        c = await tcp_client(server, user, password)
        await c.close()
    run(go(), timeout=60)


def test_messages_between_websocket_and_tcp_users(server):
    ws_user, tcp_user, password = unique("wsmsg"), unique("tcpmsg"), "pw-" + unique("")
    register_raw(server, ws_user, password)
    register_raw(server, tcp_user, password)
    ws_jid, tcp_jid = server.jid(ws_user), server.jid(tcp_user)

    async def go():
        ws = await WsClient.spawn()
        c = None
        try:
            await ws.login(server, ws_user, password)
            c = await tcp_client(server, tcp_user, password)
            # TCP -> WebSocket
            c.send_message(mto=ws_jid, mbody="hello over tcp", mtype="chat")
            got = await ws.call("wait_message", body="hello over tcp")
            assert got["from"].split("/")[0] == tcp_jid and got["type"] == "chat", got
            # WebSocket -> TCP
            await ws.call("send", to=tcp_jid, body="hello over websocket")
            msg = await next_message(c, lambda m: m["body"] == "hello over websocket", "the ws message")
            assert msg["from"].bare == ws_jid and msg["type"] == "chat"
        finally:
            await ws.close()
            if c is not None:
                await c.close()
    run(go(), timeout=90)


def test_groupchat_between_websocket_and_tcp_users(server):
    ws_user, tcp_user, password = unique("wsmuc"), unique("tcpmuc"), "pw-" + unique("")
    register_raw(server, ws_user, password)
    register_raw(server, tcp_user, password)
    room = f"{unique('wsroom')}@{server.muc_domain}"

    async def go():
        ws = await WsClient.spawn()
        c = None
        try:
            await ws.login(server, ws_user, password)
            joined = await ws.call("join", room=room, nick="webby")
            assert "110" in joined["status_codes"], joined
            if "201" in joined["status_codes"]:
                # A new room stays locked until its owner accepts a configuration (XEP-0045 10.1.2).
                await ws.call("configure_instant", room=room)
            c = await tcp_client(server, tcp_user, password, "xep_0045")
            await asyncio.wait_for(c["xep_0045"].join_muc_wait(room, "tcpy", maxstanzas=0), WAIT)
            await ws.call("wait_occupant", room=room, nick="tcpy")
            # TCP -> room -> WebSocket
            c.send_message(mto=room, mbody="groupchat from tcp", mtype="groupchat")
            got = await ws.call("wait_message", body="groupchat from tcp", type="groupchat")
            assert got["from"] == f"{room}/tcpy", got
            # WebSocket -> room -> TCP
            await ws.call("send", to=room, body="groupchat from websocket", type="groupchat")
            msg = await next_message(c, lambda m: m["body"] == "groupchat from websocket",
                                     "the ws groupchat message")
            assert str(msg["from"]) == f"{room}/webby" and msg["type"] == "groupchat"
        finally:
            await ws.close()
            if c is not None:
                await c.close()
    run(go(), timeout=90)
