"""The HTTP side of parleyd: static files of the web client, XEP-0156 discovery, our client's
config document, and bad HTTP (each gets its status and costs nothing else)."""

from __future__ import annotations

import http.client
import json
import socket
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import assert_login_works, require_parleyd

def get(server, path: str, method: str = "GET", headers: dict | None = None, body=None):
    conn = http.client.HTTPConnection(server.host, server.http_port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def raw_http(server, data: bytes, timeout: float = 10) -> bytes:
    with socket.create_connection((server.host, server.http_port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


@pytest.fixture(scope="module")
def web_server(tmp_path_factory):
    """A parleyd whose web root is a directory made here, with two domains."""
    require_parleyd("the HTTP listener's web root")
    from conftest import start_server, stop_server
    root = tmp_path_factory.mktemp("webroot")
    (root / "index.html").write_text("<!doctype html><title>Parley</title><script src='app.js'></script>")
    (root / "app.js").write_text("console.log('parley');")
    (root / "assets").mkdir()
    (root / "assets" / "style.css").write_text("body{}")
    s = start_server(tmp_path_factory.mktemp("server"), domains=("localhost", "second.test"),
                     config={"http": {"web_root": str(root), "request_timeout_seconds": 2}})
    yield s
    stop_server(s)


def test_index_and_assets_are_served_with_their_types(web_server):
    status, headers, body = get(web_server, "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert b"<title>Parley</title>" in body
    assert "Content-Security-Policy" in headers
    status, headers, body = get(web_server, "/app.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert body == b"console.log('parley');"
    status, headers, _ = get(web_server, "/assets/style.css?v=1")
    assert status == 200 and headers["Content-Type"].startswith("text/css")


def test_head_has_headers_but_no_body(web_server):
    status, headers, body = get(web_server, "/app.js", method="HEAD")
    assert status == 200
    assert headers["Content-Length"] == str(len("console.log('parley');"))
    assert body == b""


def test_directory_redirects_and_unknown_paths_are_not_found(web_server):
    status, headers, _ = get(web_server, "/assets")
    assert status == 301 and headers["Location"] == "/assets/"
    status, _, _ = get(web_server, "/nope.html")
    assert status == 404


def test_paths_cannot_leave_the_web_root(web_server):
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2fetc/passwd",
                 "/a%00b", "/%zz"):
        data = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
        reply = raw_http(web_server, data)
        status = int(reply.split(b" ", 2)[1])
        assert status in (400, 404), (path, reply[:200])
        assert b"root:" not in reply


def test_only_get_and_head(web_server):
    status, headers, _ = get(web_server, "/", method="POST", body=b"x")
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"


def test_host_meta_points_at_the_websocket(web_server):
    status, headers, body = get(web_server, "/.well-known/host-meta")
    assert status == 200 and headers["Content-Type"].startswith("application/xrd+xml")
    assert headers["Access-Control-Allow-Origin"] == "*"
    xrd = ET.fromstring(body)
    links = [l.attrib for l in xrd.iter("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")]
    assert {"rel": "urn:xmpp:alt-connections:websocket",
            "href": f"ws://{web_server.host}:{web_server.http_port}/xmpp-websocket"} in links
    status, headers, body = get(web_server, "/.well-known/host-meta.json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    doc = json.loads(body)
    assert {"rel": "urn:xmpp:alt-connections:websocket",
            "href": f"ws://{web_server.host}:{web_server.http_port}/xmpp-websocket"} in doc["links"]


def test_client_config_follows_the_host_header(web_server):
    _, _, body = get(web_server, "/parley-client.json")
    doc = json.loads(body)
    assert doc == {"domain": "localhost", "muc": "conference.localhost",
                   "websocket": "/xmpp-websocket", "registration": True}
    _, _, body = get(web_server, "/parley-client.json",
                     headers={"Host": f"second.test:{web_server.http_port}"})
    assert json.loads(body)["domain"] == "second.test"
    assert json.loads(body)["muc"] == "conference.second.test"


def test_plain_get_on_the_websocket_path_asks_for_an_upgrade(web_server):
    status, headers, _ = get(web_server, "/xmpp-websocket")
    assert status == 426 and headers["Upgrade"] == "websocket"


def test_oversized_headers_get_431(web_server):
    data = (b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    reply = raw_http(web_server, data)
    assert reply.startswith(b"HTTP/1.1 431"), reply[:100]


def test_oversized_body_gets_413(web_server):
    data = (b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n" + b"a" * 100000)
    reply = raw_http(web_server, data)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:100]


def test_garbage_gets_400(web_server):
    reply = raw_http(web_server, b"\x16\x03\x01\x02\x00garbage\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400"), reply[:100]


def test_slow_client_is_cut_off(web_server):
    """A request that never finishes is closed after request_timeout (2 s here), unanswered."""
    with socket.create_connection((web_server.host, web_server.http_port), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: loc")
        start = time.monotonic()
        reply = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        elapsed = time.monotonic() - start
    assert 1.5 <= elapsed <= 6, elapsed
    assert reply == b"", reply[:100]


def test_keep_alive_serves_several_requests_on_one_connection(web_server):
    conn = http.client.HTTPConnection(web_server.host, web_server.http_port, timeout=10)
    try:
        for _ in range(3):
            conn.request("GET", "/app.js")
            resp = conn.getresponse()
            assert resp.status == 200
            assert resp.read() == b"console.log('parley');"
    finally:
        conn.close()


def test_server_still_serves_xmpp_after_bad_http(web_server):
    assert_login_works(web_server)


def test_missing_web_client_says_how_to_build_it(new_server, tmp_path):
    require_parleyd("the web root message")
    s = new_server(config={"http": {"web_root": str(tmp_path / "empty")}})
    status, _, body = get(s, "/")
    assert status == 404
    assert b"scripts/build" in body
