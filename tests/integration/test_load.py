"""Many connections at once: the server must serve 1,000 concurrent streams and still log a client in."""

import asyncio
import resource

import pytest

from conftest import register_raw
from raw_stream import NS_STREAMS, NS_TLS, RawStream, q
from xmpp_client import login, run, unique

CONNECTIONS = 1000


def test_thousand_concurrent_connections(server, account):
    hold_connections(server, *account)


def test_server_raises_its_own_open_file_limit(new_server, expect_prosody_gap):
    """Started with the common default soft limit of 1024 open files, the server still serves 1,000
    connections plus its own files: it raises the soft limit itself."""
    expect_prosody_gap("does not raise its open-file limit")
    s = new_server(soft_nofile=1024)
    user, password = unique("fd"), "pw-fd"
    register_raw(s, user, password)
    hold_connections(s, user, password, count=1100)


def hold_connections(server, user, password, count=CONNECTIONS):
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 200:
        pytest.fail(f"the test runner's open-file limit is {soft}; raise it (ulimit -n 4096)")

    async def open_one(i: int, gate: asyncio.Semaphore) -> RawStream:
        async with gate:  # bound the connect burst, not the number held open
            st = await RawStream.connect(server.host, server.c2s_port, server.domain, timeout=60)
        try:
            features = await st.open_stream(timeout=60)
            assert features.tag == q(NS_STREAMS, "features")
            assert features.find(q(NS_TLS, "starttls")) is not None
        except BaseException:
            await st.close()
            raise
        return st

    async def go():
        gate = asyncio.Semaphore(100)
        results = await asyncio.gather(*(open_one(i, gate) for i in range(count)),
                                       return_exceptions=True)
        streams = [r for r in results if isinstance(r, RawStream)]
        errors = [r for r in results if not isinstance(r, RawStream)]
        try:
            assert not errors, f"{len(errors)} of {count} connections failed; first: {errors[0]!r}"
            assert server.alive()
            # With all of them open, a normal client still gets in.
            c = await login(server, user, password)
            try:
                await c["xep_0199"].send_ping(server.domain, timeout=20)
            finally:
                await c.close()
            # And the held streams are still served: one of them can still do STARTTLS.
            await streams[len(streams) // 2].starttls(timeout=30)
        finally:
            await asyncio.gather(*(st.close() for st in streams), return_exceptions=True)
    run(go(), timeout=240)
    assert server.alive()
