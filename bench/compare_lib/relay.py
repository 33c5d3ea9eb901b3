"""The bare relay: the ceiling for 1:1 messages (issue 4: forwards bytes by a hash lookup, no XML).

build/bench/parley-relay (bench/relay/) speaks a line protocol: a client says `HELLO <id>`, then
every line `<id> <payload>` goes to the connection that said `HELLO <id>`, found by a hash lookup.
parley-bench's msg scenario drives it with `--relay plain|tls`: the same pairs, the same W in
flight, the same pre-serialised <message/> bytes (with the recipient's id and a newline around
them), the same latency clock; only the session set-up differs (no XMPP stream, no SASL, no bind).

Two columns: `relay` over TLS, the ceiling of the closed-loop group pinned to one core (every
server logs in over STARTTLS there), and `relay-plain` over plain TCP, the ceiling of the same
group over plain TCP (`msg-closed-plain`: the servers allow SCRAM without TLS in this run). Issue
4's "≥ 60 % of the bare relay's rate" is a pinned figure; unpinned relay runs would add ~2 minutes
to a run that must stay under 25. Pinned, the relay runs one worker thread
(one core: no thread switches, no lock contention); unpinned (when RELAY_GROUPS includes it) one
per CPU, like parleyd's shard-per-core, and the runner restarts it when the mode changes.
"""

from __future__ import annotations

import os
from pathlib import Path

from .servers import Server

# The plain relay also runs the open loop at 3,000 msg/s: its p99 there is the latency floor of the
# generator and the box (timer wake-ups, scheduling), the part of every server's p99 that is not
# the server's.
RELAY_GROUPS = {True: {("msg-closed", "pinned")},
                False: {("msg-closed-plain", "pinned"), ("msg-open-3000", "pinned")}}


def find_relay(build_dir: Path) -> Path | None:
    p = build_dir / "bench" / "parley-relay"
    return p if p.is_file() else None


class Relay(Server):
    start_timeout = 15.0
    stop_timeout = 10.0

    def __init__(self, run_dir, domain, cert, key, binary: Path, tls: bool):
        self.name = "relay" if tls else "relay-plain"
        super().__init__(run_dir, domain, cert, key)
        self.binary = binary
        self.tls = tls
        self.bench_args = ["--relay", "tls" if tls else "plain"]
        self.threads = 1
        self.mode: str | None = None
        self.version_text = self.version()

    def runs(self, group) -> bool:
        return (group.key, group.mode) in RELAY_GROUPS[self.tls]

    def prepare_mode(self, mode: str) -> None:
        threads = 1 if mode == "pinned" else (os.cpu_count() or 1)
        if self.proc is None or threads != self.threads:
            self.stop()
            self.threads = threads
            self.start()
        self.mode = mode

    def argv(self) -> list[str]:
        argv = [str(self.binary), "--listen", f"127.0.0.1:{self.port}",
                "--threads", str(self.threads)]
        if self.tls:
            argv += ["--cert", str(self.cert), "--key", str(self.key)]
        return argv

    def version(self) -> str:
        return "parley-relay (" + ("TLS" if self.tls else "plain TCP") + ")"
