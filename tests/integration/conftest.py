"""Fixtures for the integration suite: real server processes on free ports with throw-away data.

`server`      one server per test module, in-band registration on (most tests share it; they use
              fresh usernames so they never collide).
`new_server`  a factory for tests that need their own configuration or lifecycle.
`account`     a registered (user, password) on `server`.
"""

from __future__ import annotations

import asyncio
import atexit
import resource
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import raw_stream  # noqa: E402
import servers  # noqa: E402
from xmpp_client import run, unique  # noqa: E402

_running: list[servers.Server] = []


def _raise_fd_limit() -> None:
    # The load test holds 1,000 sockets; the servers started from here inherit the limit too.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            pass


_raise_fd_limit()


@atexit.register
def _kill_leftovers() -> None:
    for s in _running:
        s.kill()


def pytest_report_header(config):
    kind = servers.server_kind()
    import os
    target = os.environ.get("PARLEYD", "(PARLEYD not set)") if kind == "parleyd" else "prosody"
    return f"server under test: {kind} ({target})"


def launch(s: servers.Server) -> servers.Server:
    """Starts a prepared (or stopped) server; it is killed at exit if a test leaves it running."""
    if s not in _running:
        _running.append(s)
    s.start()
    return s


def start_server(base_dir: Path, **kwargs) -> servers.Server:
    return launch(servers.make_server(base_dir, **kwargs))


def stop_server(s: servers.Server) -> None:
    """SIGTERM; the server must exit with status 0 within 10 s."""
    alive_before = s.alive()
    rc = s.stop()
    if s in _running:
        _running.remove(s)
    assert alive_before, f"{s.kind} died during the tests (exit {rc}):\n{s.log_tail()}"
    assert rc is not None, f"{s.kind} ignored SIGTERM for {s.stop_timeout()}s:\n{s.log_tail()}"
    assert rc == 0, f"{s.kind} exited with {rc} after SIGTERM:\n{s.log_tail()}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = start_server(tmp_path_factory.mktemp("server"), allow_registration=True)
    yield s
    stop_server(s)


@pytest.fixture
def new_server(tmp_path_factory):
    """Factory: new_server(allow_registration=..., config={...}, domains=(...)) -> a started Server.

    Each one is stopped (and its clean exit checked) at the end of the test."""
    started: list[servers.Server] = []

    def factory(**kwargs) -> servers.Server:
        s = start_server(tmp_path_factory.mktemp("server"), **kwargs)
        started.append(s)
        return s
    yield factory
    for s in started:
        if s.proc is not None and s.proc.returncode is None:
            stop_server(s)


def register_raw(s: servers.Server, user: str, password: str, domain: str | None = None) -> None:
    """In-band registration over a raw stream (fails the test if the server refuses)."""
    async def go():
        st = await raw_stream.open_session(s.host, s.c2s_port, domain or s.domain)
        try:
            await st.register(user, password)
        finally:
            await st.close()
    run(go(), timeout=30)


@pytest.fixture
def account(server):
    """A fresh account on `server`, created by in-band registration: (user, password)."""
    user, password = unique("acct"), "pw-" + unique("")
    register_raw(server, user, password)
    return user, password


@pytest.fixture
def expect_prosody_gap(request):
    """Call with a reason where Prosody 0.12 is known to differ; the test becomes non-strict xfail
    when the suite runs against Prosody, and is unaffected against parleyd."""
    def mark(reason: str) -> None:
        if servers.server_kind() == "prosody":
            request.node.add_marker(pytest.mark.xfail(reason=f"Prosody 0.12: {reason}", strict=False))
    return mark


def require_parleyd(what: str) -> None:
    if servers.server_kind() != "parleyd":
        pytest.skip(f"{what} exists only in parleyd")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for s in list(_running):
            report.sections.append((f"{s.kind} log ({s.base_dir.name}, last lines)", s.log_tail()))


def assert_login_works(s: servers.Server) -> None:
    """After a hostile input the server must still serve a normal client."""
    from xmpp_client import login
    user, password = unique("after"), "pw-after"
    register_raw(s, user, password)

    async def go():
        c = await login(s, user, password)
        await c.close()
    run(go(), timeout=45)
    assert s.alive(), f"{s.kind} died:\n{s.log_tail()}"


# asyncio's default is to log 'Task was destroyed but it is pending' noise from slixmpp at
# loop close; keep the output readable.
asyncio.log.logger.setLevel("CRITICAL")
