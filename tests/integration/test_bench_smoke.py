"""parley-bench at its --smoke size against a real parleyd, so that the load generator cannot rot.

The binary is named by the environment variable PARLEYBENCH (set by ctest); each scenario must
finish within seconds, print exactly one JSON line, and report no errors.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import require_parleyd

RUN_TIMEOUT = 120  # seconds per scenario; --smoke runs take a few


def bench_binary() -> str:
    binary = os.environ.get("PARLEYBENCH")
    if not binary:
        pytest.skip("PARLEYBENCH is not set (build the parley-bench target and run through ctest)")
    return binary


def run_bench(server, scenario: str, *extra: str) -> dict:
    argv = [bench_binary(), scenario, "--smoke", "--host", server.host,
            "--port", str(server.c2s_port), "--domain", server.domain,
            "--server-pid", str(server.proc.pid), "--threads", "2", *extra]
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


@pytest.mark.parametrize("scenario", ["muc", "roster-login"])
def test_unimplemented_scenarios_say_so(scenario):
    proc = subprocess.run([bench_binary(), scenario, "--smoke"], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 2
    assert "not implemented yet" in proc.stderr
    assert proc.stdout == ""
