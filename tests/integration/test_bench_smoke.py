"""parley-bench at its --smoke size against a real parleyd, and against parley-relay (the bare
relay, bench/relay), so that neither the load generator nor the ceiling can rot.

The binaries are named by the environment variables PARLEYBENCH (set by ctest) and PARLEYRELAY
(default: parley-relay beside PARLEYBENCH); each scenario must finish within seconds, print exactly
one JSON line, and report no errors.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import require_parleyd
from xmpp_client import login, run

RUN_TIMEOUT = 120  # seconds per scenario; --smoke runs take a few


def bench_binary() -> str:
    binary = os.environ.get("PARLEYBENCH")
    if not binary:
        pytest.skip("PARLEYBENCH is not set (build the parley-bench target and run through ctest)")
    return binary


def run_bench(server, scenario: str, *extra: str) -> dict:
    return run_bench_at(server.host, server.c2s_port, server.domain, server.proc.pid, scenario,
                        *extra)


def run_bench_at(host: str, port: int, domain: str, pid: int, scenario: str, *extra: str) -> dict:
    argv = [bench_binary(), scenario, "--smoke", "--host", host, "--port", str(port),
            "--domain", domain, "--server-pid", str(pid), "--threads", "2", *extra]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stderr}"
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one JSON line, got:\n{proc.stdout}"
    report = json.loads(lines[0])
    assert report["scenario"] == scenario
    assert report["errors"] == 0, f"{scenario}: {report}"
    assert report["timed_out"] is False
    assert report["generator_cpu_seconds"] >= 0
    assert report["server_cpu_seconds"] is not None
    return report


def test_every_scenario_at_smoke_size(new_server):
    require_parleyd("the benchmark's server-side figures")
    s = new_server(allow_registration=True)

    reg = run_bench(s, "register")
    assert reg["created"] == reg["users"] > 0
    # Provisioning is idempotent: a second run finds the accounts.
    again = run_bench(s, "register")
    assert again["existing"] == reg["users"] and again["created"] == 0

    idle = run_bench(s, "idle")
    assert idle["established"] == idle["connections"] == idle["held_at_end"]
    assert idle["server_rss_after_kib"] > 0 and idle["kib_per_connection"] is not None

    login = run_bench(s, "login")
    assert login["logins"] > 0 and login["logins_per_second"] > 0
    assert login["login_latency_p99_ms"] > 0

    plain = run_bench(s, "login", "--mechanism", "PLAIN")
    assert plain["logins"] > 0

    closed = run_bench(s, "msg")
    assert closed["mode"] == "closed" and closed["pairs_ready"] == closed["pairs"]
    assert closed["delivered"] > 0 and closed["latency_p99_ms"] > 0

    opened = run_bench(s, "msg", "--rate", "500")
    assert opened["mode"] == "open" and opened["delivered"] > 0

    # Two source addresses on loopback.
    two = run_bench(s, "idle", "--source-addresses", "127.0.0.1,127.0.0.2")
    assert two["established"] == two["connections"]
    assert idle["tls"] is True and login["tls"] is True


def test_plain_tcp_scenarios_need_a_server_that_allows_them(new_server):
    """--no-tls logs in with SCRAM over plain TCP: measured where [c2s] require_encryption =
    false, and refused (every login an error) by a server with the default."""
    require_parleyd("[c2s] require_encryption")
    s = new_server(allow_registration=True, config={"c2s": {"require_encryption": False}})
    run_bench(s, "register")
    for scenario in ("idle", "login", "msg"):
        report = run_bench(s, scenario, "--no-tls")
        assert report["tls"] is False, report
    assert "over plain TCP" in s.log_path.read_text(errors="replace")

    strict = new_server(allow_registration=True)
    run_bench(strict, "register")
    argv = [bench_binary(), "login", "--smoke", "--no-tls", "--host", strict.host,
            "--port", str(strict.c2s_port), "--domain", strict.domain, "--threads", "1"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["errors"] > 0 and report["logins"] == 0, report




def relay_binary() -> str:
    binary = os.environ.get("PARLEYRELAY") or str(Path(bench_binary()).with_name("parley-relay"))
    assert Path(binary).is_file(), f"no parley-relay at {binary} (build the parley-relay target)"
    return binary


def test_bare_relay_plain_and_tls(tmp_path):
    """parley-bench's msg scenario against the bare relay over plain TCP and TLS on one port, both
    loops; the relay forwards every line to a known recipient and reports it on SIGTERM."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    relay = subprocess.Popen([relay_binary(), "--listen", "127.0.0.1:0", "--threads", "2",
                              "--cert", str(cert), "--key", str(key)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = relay.stderr.readline()
        m = re.search(r"listening on 127\.0\.0\.1:(\d+) \(2 thread\(s\), TLS on\)", banner)
        assert m, banner
        port = int(m.group(1))
        delivered = 0
        for transport in ("plain", "tls"):
            closed = run_bench_at("127.0.0.1", port, "localhost", relay.pid, "msg",
                                  "--relay", transport)
            assert closed["protocol"] == f"relay-{transport}" and closed["mode"] == "closed"
            assert closed["pairs_ready"] == closed["pairs"] and closed["delivered"] > 0
            assert closed["latency_p99_ms"] > 0
            opened = run_bench_at("127.0.0.1", port, "localhost", relay.pid, "msg",
                                  "--relay", transport, "--rate", "500")
            assert opened["mode"] == "open" and opened["delivered"] > 0
            delivered += closed["delivered"] + opened["delivered"]
    finally:
        relay.send_signal(signal.SIGTERM)
        out, err = relay.communicate(timeout=30)
    assert relay.returncode == 0, err
    totals = json.loads(out.strip().splitlines()[-1])
    assert totals["accepted"] >= 4 * 10  # four runs of 5 pairs
    assert totals["forwarded"] >= delivered
    # A line for a recipient that is not connected counts as unknown. Only the teardown of a run
    # can cause one (a message still in flight to a peer that has just closed): at most the
    # messages in flight, 5 pairs x 2 per run; a wrong id would make every line unknown.
    assert totals["unknown"] <= 4 * 5 * 2, totals


def test_relay_flag_is_for_msg_only():
    proc = subprocess.run([bench_binary(), "login", "--smoke", "--relay", "plain"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "msg scenario only" in proc.stderr and proc.stdout == ""


def test_roster_login_provisions_once_then_reuses(new_server):
    """The login storm with rosters: the first run registers the accounts and makes the mutual
    subscriptions; the second finds them and only measures. Every account must see each of its
    contacts come online."""
    require_parleyd("the benchmark's server-side figures")
    s = new_server(allow_registration=True)
    first = run_bench(s, "roster-login")
    n, k = first["users"], first["contacts"]
    assert first["created"] == n and first["provisioned"] is True
    assert first["logins"] == first["rosters_complete"] == first["fanout_complete"] == n
    # One available presence from each contact at least (a server may send one twice).
    assert first["presence_delivered"] >= n * k
    again = run_bench(s, "roster-login")
    assert again["existing"] == n and again["created"] == 0 and again["provisioned"] is False
    assert again["logins"] == again["rosters_complete"] == again["fanout_complete"] == n
    assert again["logins_per_second"] > 0 and again["presence_per_second"] > 0
    assert again["fanout_latency_p99_ms"] >= again["login_latency_p50_ms"] > 0


def muc_service_listed(server) -> bool:
    """disco#items on the domain lists conference.<domain> (XEP-0045 §6.1)."""
    async def go():
        c = await login(server, "user0", "bench-password")
        try:
            iq = await c["xep_0030"].get_items(jid=server.domain, local=False, timeout=10)
            return any(jid == f"conference.{server.domain}"
                       for jid, _node, _name in iq["disco_items"]["items"])
        finally:
            await c.close()
    return run(go())


def test_muc_scenario(new_server):
    """One room, smoke size, closed and open loop. A parleyd built without the MUC module must
    make the scenario fail cleanly (exit 1, the refused join named), not hang."""
    require_parleyd("the benchmark's server-side figures")
    s = new_server(allow_registration=True)
    run_bench(s, "register")
    if muc_service_listed(s):
        closed = run_bench(s, "muc")
        m = closed["occupants"]
        assert closed["occupants_ready"] == m and closed["mode"] == "closed"
        assert closed["delivered"] > 0 and closed["latency_p99_ms"] > 0
        # Each message reaches every occupant, its sender included.
        assert closed["delivered"] <= closed["sent"] * m
        opened = run_bench(s, "muc", "--rate", "100", "--room", "bench-open")
        assert opened["mode"] == "open" and opened["delivered"] > 0
    else:
        argv = [bench_binary(), "muc", "--smoke", "--port", str(s.c2s_port),
                "--domain", s.domain, "--op-timeout", "10"]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        assert proc.returncode == 1, proc.stderr
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        assert report["occupants_ready"] == 0 and report["errors"] >= 1
        assert "joining bench@conference." in report["error_samples"][0]
