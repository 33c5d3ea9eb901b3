"""End-to-end tests of the browser client: Debian's Chromium driven by playwright-core (npm, no
browser download) against a real server started on free ports (tests/integration/servers.py).

The scenario itself is browser_chat.mjs; this file starts the server with the built client
(web/dist) as its web root, runs the scenario, restarts the server when the scenario asks, and
reports the screenshots (PARLEY_ARTIFACTS, default build/test-artifacts/e2e/).

With PARLEY_TEST_SERVER=prosody the page is served by `vite preview`, which forwards the WebSocket
to Prosody, and the lobby is created first (parleyd predefines it).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))

import servers  # noqa: E402
from raw_stream import open_session  # noqa: E402
from xmpp_client import Client, run, unique  # noqa: E402

WEB = REPO / "web"
DIST = WEB / "dist"
SCENARIO = Path(__file__).with_name("browser_chat.mjs")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCENARIO_TIMEOUT = 300.0


def artifacts_dir() -> Path:
    path = Path(os.environ.get("PARLEY_ARTIFACTS") or REPO / "build" / "test-artifacts" / "e2e")
    path.mkdir(parents=True, exist_ok=True)
    return path


def fresh_artifacts_dir() -> Path:
    """The artifacts folder without the screenshots of an earlier run (a stale failure-*.png
    would mislead whoever reads it)."""
    path = artifacts_dir()
    for old in path.glob("*.png"):
        old.unlink()
    return path


def node_binary() -> str:
    node = os.environ.get("NODE") or shutil.which("node")
    assert node, "node is missing: scripts/setup installs Debian's nodejs"
    return node


def check_prerequisites() -> None:
    assert (WEB / "node_modules" / "playwright-core").is_dir(), \
        "web/node_modules is missing: scripts/build-web runs npm ci"
    assert (DIST / "index.html").is_file(), "web/dist is missing: scripts/build-web builds the client"
    assert os.access(CHROMIUM, os.X_OK), \
        f"{CHROMIUM} is missing: scripts/setup --test installs Debian's chromium"


def wait_http(url: str, timeout: float = 20.0) -> None:
    import urllib.request
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError as e:
            last = e
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s: {last}")


def create_lobby_on_prosody(server: servers.Server) -> None:
    """parleyd predefines the persistent public room `lobby`; Prosody needs it made."""
    async def go():
        st = await open_session(server.host, server.c2s_port, server.domain)
        try:
            await st.register("roommaker", "pw-roommaker")
        finally:
            await st.close()
        c = Client(server, "roommaker", "pw-roommaker")
        c.register_plugin("xep_0045")
        c.register_plugin("xep_0004")
        await c.login()
        room = f"lobby@{server.muc_domain}"
        await c["xep_0045"].join_muc_wait(room, "roommaker", maxstanzas=0)
        form = await c["xep_0045"].get_room_config(room)
        form["type"] = "submit"
        values = {"muc#roomconfig_persistentroom": True, "muc#roomconfig_publicroom": True,
                  "muc#roomconfig_roomname": "lobby"}
        for var, value in values.items():
            form.field[var]["value"] = value
        await c["xep_0045"].set_room_config(room, form)
        c["xep_0045"].leave_muc(room, "roommaker")
        await c.close()
    run(go(), timeout=60)


@pytest.fixture
def web_server(tmp_path):
    """A server with in-band registration, and the URL of the browser client it serves."""
    check_prerequisites()
    kind = servers.server_kind()
    config = {"http": {"web_root": str(DIST)}} if kind == "parleyd" else None
    server = servers.make_server(tmp_path / "server", allow_registration=True, config=config)
    server.start()
    preview = None
    try:
        if kind == "prosody":
            create_lobby_on_prosody(server)
            port = servers.free_ports(1)[0]
            preview = subprocess.Popen(
                [node_binary(), str(WEB / "node_modules" / "vite" / "bin" / "vite.js"), "preview",
                 "--port", str(port), "--strictPort"], cwd=WEB,
                env={**os.environ, "PARLEY_SERVER": server.http_url},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            url = f"http://{servers.HOST}:{port}/"
        else:
            url = server.http_url + "/"
        wait_http(url)
        yield server, url
    finally:
        if preview is not None:
            preview.terminate()
            preview.wait(10)
        rc = server.stop()
        assert rc == 0, f"{server.kind} exited with {rc}:\n{server.log_tail()}"


class StockClient:
    """A person on a stock client (Debian's slixmpp over TCP) in the browser users' rooms.

    slixmpp runs on its own event loop in a thread, so that it stays connected between the
    scenario's requests; every call is bounded."""

    def __init__(self, server: servers.Server):
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client = None

    def call(self, coro, timeout: float = 30.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _join(self, room: str, nick: str) -> None:
        user, password = unique("stock"), "pw-stock"
        st = await open_session(self.server.host, self.server.c2s_port, self.server.domain)
        try:
            await st.register(user, password)
        finally:
            await st.close()
        self.client = Client(self.server, user, password, resource="slixmpp")
        self.client.register_plugin("xep_0045")
        await self.client.login()
        await asyncio.wait_for(self.client["xep_0045"].join_muc_wait(room, nick, maxstanzas=0), 15)

    async def _say(self, room: str, body: str) -> None:
        self.client.send_message(mto=room, mbody=body, mtype="groupchat")

    async def _expect(self, body: str, timeout: float = 15.0) -> None:
        deadline = self.loop.time() + timeout
        while True:
            msg = await asyncio.wait_for(self.client.messages.get(), max(0.1, deadline - self.loop.time()))
            if msg["body"] == body and msg["type"] == "groupchat":
                return

    def handle(self, request: dict) -> str:
        try:
            kind = request["request"]
            if kind == "stock-join":
                self.call(self._join(request["room"], request["nick"]))
            elif kind == "stock-say":
                self.call(self._say(request["room"], request["body"]))
            elif kind == "stock-expect":
                self.call(self._expect(request["body"]))
            elif kind == "stock-leave":
                self.close_client()
            else:
                return f"error: unknown request {kind}"
            return "ok"
        except Exception as e:  # reported to the scenario, which fails with it
            return f"error: {type(e).__name__} {e}"

    def close_client(self) -> None:
        if self.client is not None:
            self.call(self.client.close(), timeout=15)
            self.client = None

    def close(self) -> None:
        async def cancel_the_rest():
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        try:
            self.close_client()
        finally:
            try:
                self.call(cancel_the_rest(), timeout=10)
            except Exception:  # the loop is going away anyway
                pass
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            if not self.thread.is_alive():
                self.loop.close()


def run_scenario(server: servers.Server, url: str) -> list[str]:
    """Runs browser_chat.mjs; stops and starts the server, or acts as the slixmpp user, when it asks.
    Returns its output lines."""
    env = {**os.environ, "PARLEY_URL": url, "PARLEY_MUC": server.muc_domain,
           "PARLEY_ARTIFACTS": str(fresh_artifacts_dir()), "CHROMIUM": CHROMIUM}
    proc = subprocess.Popen([node_binary(), str(SCENARIO)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    out: list[str] = []
    stock = StockClient(server)
    timer = threading.Timer(SCENARIO_TIMEOUT, proc.kill)
    timer.start()
    try:
        for line in proc.stdout:
            line = line.rstrip("\n")
            out.append(line)
            print(line, flush=True)
            if not line.startswith("{"):
                continue
            request = json.loads(line)
            if request.get("request") == "stop":
                rc = server.stop()
                assert rc == 0, f"{server.kind} exited with {rc} on restart:\n{server.log_tail()}"
                answer = "stopped"
            elif request.get("request") == "start":
                server.start()
                answer = "started"
            else:
                answer = stock.handle(request)
            proc.stdin.write(answer + "\n")
            proc.stdin.flush()
        rc = proc.wait(10)
    finally:
        timer.cancel()
        stock.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rc == 0, "browser scenario failed (exit %s):\n%s\n--- server log ---\n%s" % (
        rc, "\n".join(out[-40:]), server.log_tail())
    return out


def test_two_browser_users_chat_switch_rooms_and_reconnect(web_server):
    server, url = web_server
    out = run_scenario(server, url)
    shots = [line.split(": ", 1)[1] for line in out if line.startswith("screenshot: ")]
    assert len(shots) == 6, out
    for shot in shots:
        assert Path(shot).stat().st_size > 5000, f"{shot} is (nearly) empty"
    print("screenshots:\n  " + "\n  ".join(shots))
    assert "e2e: all steps passed" in out


def test_page_and_client_config_are_served(web_server):
    """The built client is what the server hands a browser at / (and its assets resolve)."""
    import re
    import urllib.request
    server, url = web_server
    with urllib.request.urlopen(url, timeout=5) as r:
        html = r.read().decode()
    assert '<select id="room-select"' in html
    assets = re.findall(r'(?:src|href)="\./(assets/[^"]+)"', html)
    assert len(assets) >= 2, html
    for asset in assets:
        with urllib.request.urlopen(url + asset, timeout=5) as r:
            assert r.status == 200 and len(r.read()) > 100
    if server.kind == "parleyd":
        with urllib.request.urlopen(server.http_url + "/parley-client.json", timeout=5) as r:
            config = json.loads(r.read())
        assert config["domain"] == server.domain and config["muc"] == server.muc_domain
        assert config["websocket"] == "/xmpp-websocket" and config["registration"] is True
