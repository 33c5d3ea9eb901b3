"""The bare relay: the ceiling for 1:1 messages (issue 4: forwards bytes by a hash lookup, no XML).

TODO(bench): there is no relay binary yet. It must be fast (C++, one Asio thread per core) and
speak just enough XMPP for parley-bench: stream header, STARTTLS, SASL (SCRAM-SHA-1 with a
server signature parley-bench accepts, or PLAIN via `--mechanism PLAIN`), bind, then forward each
<message> to the connection bound to its `to` by a hash lookup on the bare JID, without parsing XML
beyond finding the element boundary and the `to` attribute. A Python relay would measure Python,
not the ceiling, so none is provided. When it exists as build/bench/parley-relay and takes the
arguments in `argv()` below, bench/compare runs the msg scenarios against it as a fourth column.
"""

from __future__ import annotations

from pathlib import Path

from .servers import Server


def find_relay(build_dir: Path) -> Path | None:
    for p in (build_dir / "bench" / "parley-relay", build_dir / "bench" / "relay"):
        if p.is_file():
            return p
    return None


class Relay(Server):
    name = "relay"
    start_timeout = 15.0
    stop_timeout = 10.0

    def __init__(self, run_dir, domain, cert, key, binary: Path):
        super().__init__(run_dir, domain, cert, key)
        self.binary = binary

    def argv(self) -> list[str]:
        # TODO(bench): the relay's command line is not settled; this is what bench/compare gives it.
        return [str(self.binary), "--listen", f"127.0.0.1:{self.port}", "--domain", self.domain,
                "--cert", str(self.cert), "--key", str(self.key)]

    def version(self) -> str:
        return "parley-relay"
