"""Starting and stopping the server under test.

The server is the real parleyd binary named by the environment variable PARLEYD (parleyctl: PARLEYCTL).
With PARLEY_TEST_SERVER=prosody the same tests run against a private Prosody instance instead (Debian's
prosody package), which is how the test logic itself is checked; see docs/testing.md.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

HOST = "127.0.0.1"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0  # parleyd must exit within this after SIGTERM
PROSODY_STOP_TIMEOUT = 30.0  # Prosody waits for its sessions to close (c2s_close_timeout per session)


def server_kind() -> str:
    kind = os.environ.get("PARLEY_TEST_SERVER", "parleyd")
    if kind not in ("parleyd", "prosody"):
        raise RuntimeError(f"PARLEY_TEST_SERVER must be parleyd or prosody, not {kind!r}")
    return kind


def free_ports(n: int) -> list[int]:
    """n distinct ports that are free right now on 127.0.0.1."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def to_toml(config: dict) -> str:
    """A minimal TOML writer for {table: {key: int|bool|str}} and top-level scalars."""
    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(x) for x in v) + "]"
        raise TypeError(f"cannot write {v!r} as TOML")

    lines = [f"{k} = {value(v)}" for k, v in config.items() if not isinstance(v, dict)]
    for table, entries in config.items():
        if isinstance(entries, dict):
            lines.append(f"\n[{table}]")
            lines += [f"{k} = {value(v)}" for k, v in entries.items()]
    return "\n".join(lines) + "\n"


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Server:
    """One running server process and what a test needs to reach it."""
    kind: str
    domain: str
    domains: list[str]
    c2s_port: int
    tls_port: int
    http_port: int  # plain HTTP on loopback: web client, XMPP over WebSocket, host-meta
    base_dir: Path
    data_dir: Path
    log_path: Path
    argv: list[str]
    allow_registration: bool
    config: dict = field(default_factory=dict)
    proc: Optional[subprocess.Popen] = None
    host: str = HOST
    soft_nofile: Optional[int] = None  # start with this open-file soft limit (the server may raise it)
    _log_file: object = None

    def jid(self, user: str) -> str:
        return f"{user}@{self.domain}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> None:
        self._log_file = open(self.log_path, "ab")
        preexec = None
        if self.soft_nofile is not None:
            def preexec(limit=self.soft_nofile):
                import resource
                _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log_file,
                                     stderr=subprocess.STDOUT, cwd=self.base_dir,
                                     start_new_session=True, preexec_fn=preexec)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode} during start-up:\n"
                                   f"{' '.join(self.argv)}\n{self.log_tail()}")
            if all(_port_open(p) for p in self.ports()):
                return
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"{self.kind} did not accept connections on ports {self.ports()} "
                           f"within {START_TIMEOUT}s:\n{self.log_tail()}")

    def ports(self) -> list[int]:
        return [self.c2s_port, self.tls_port, self.http_port]

    @property
    def muc_domain(self) -> str:
        """The MUC service of the first domain (XEP-0045), conference.<domain> by default."""
        return f"conference.{self.domain}"

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    @property
    def websocket_url(self) -> str:
        """RFC 7395 endpoint (plain ws:// on loopback counts as secure)."""
        return f"ws://{self.host}:{self.http_port}/xmpp-websocket"

    def stop_timeout(self) -> float:
        return STOP_TIMEOUT if self.kind == "parleyd" else PROSODY_STOP_TIMEOUT

    def stop(self, timeout: float | None = None) -> int:
        """SIGTERM and wait; kills after `timeout` seconds. Returns the exit code (None if killed)."""
        timeout = timeout if timeout is not None else self.stop_timeout()
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        rc = self.proc.returncode
        self._close_log()
        return rc

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def ctl(self, *args: str, input: Optional[str] = None, timeout: float = 30.0) -> subprocess.CompletedProcess:
        """Runs parleyctl against this server's data directory."""
        ctl = os.environ.get("PARLEYCTL")
        if not ctl:
            raise RuntimeError("PARLEYCTL is not set")
        return subprocess.run([ctl, "--data-dir", str(self.data_dir), *args], input=input,
                              capture_output=True, text=True, timeout=timeout)


def make_server(base_dir: Path, *, allow_registration: bool = True, config: Optional[dict] = None,
                domains: tuple[str, ...] = ("localhost",), kind: Optional[str] = None,
                soft_nofile: Optional[int] = None) -> Server:
    """Prepares (but does not start) a server in base_dir with fresh ports and data."""
    kind = kind or server_kind()
    base_dir.mkdir(parents=True, exist_ok=True)
    c2s_port, tls_port, http_port = free_ports(3)
    data_dir = base_dir / "data"
    data_dir.mkdir(exist_ok=True)
    config = dict(config or {})
    if kind == "parleyd":
        # The suite registers many accounts from 127.0.0.1; the per-address registration limit has
        # its own test, which sets it back down.
        config.setdefault("registration", {"per_address_per_hour": 100000})
        # The load test holds 1,000 connections from 127.0.0.1 and then logs in once more.
        config.setdefault("limits", {})
        config["limits"] = {"max_connections_per_address": 2000, **config["limits"]}
        # Likewise every failed login comes from 127.0.0.1; the throttle has its own test.
        config.setdefault("sasl", {})
        config["sasl"] = {"max_failures_per_address": 1000, "max_failures_per_account": 1000,
                          **config["sasl"]}
    server = Server(kind=kind, domain=domains[0], domains=list(domains), c2s_port=c2s_port,
                    tls_port=tls_port, http_port=http_port, base_dir=base_dir, data_dir=data_dir,
                    log_path=base_dir / f"{kind}.log", argv=[],
                    allow_registration=allow_registration, config=config,
                    soft_nofile=soft_nofile)
    if kind == "parleyd":
        server.argv = _parleyd_argv(server)
    else:
        server.argv = _prosody_argv(server)
    return server


def _parleyd_argv(s: Server) -> list[str]:
    binary = os.environ.get("PARLEYD")
    if not binary:
        raise RuntimeError("PARLEYD is not set: run the suite through ctest (scripts/test), or set "
                           "PARLEYD=build/src/parleyd PARLEYCTL=build/src/parleyctl")
    argv = [binary]
    for d in s.domains:
        argv += ["--domain", d]
    argv += ["--data-dir", str(s.data_dir), "--c2s", f"{HOST}:{s.c2s_port}",
             "--c2s-tls", f"{HOST}:{s.tls_port}", "--http", f"{HOST}:{s.http_port}"]
    if s.allow_registration:
        argv.append("--allow-registration")
    if s.config:
        path = s.base_dir / "parley.toml"
        path.write_text(to_toml(s.config))
        argv += ["--config", str(path)]
    return argv


# Parley config keys that have a Prosody equivalent, for runs against Prosody.
_PROSODY_EQUIVALENTS = {
    ("c2s", "handshake_timeout_seconds"): "c2s_timeout",
    ("limits", "max_stanza_bytes"): "c2s_stanza_size_limit",
}


def _lua(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "{ " + ", ".join(_lua(x) for x in v) + " }"
    raise TypeError(v)


def _prosody_argv(s: Server) -> list[str]:
    prosody = shutil.which("prosody")
    if not prosody:
        raise RuntimeError("PARLEY_TEST_SERVER=prosody needs Debian's prosody package")
    certs = s.base_dir / "certs"
    certs.mkdir(exist_ok=True)
    for d in s.domains:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                        "-subj", f"/CN={d}", "-addext", f"subjectAltName=DNS:{d}",
                        "-keyout", str(certs / f"{d}.key"), "-out", str(certs / f"{d}.crt")],
                       check=True, capture_output=True)
    options = {
        "pidfile": str(s.base_dir / "prosody.pid"),
        "data_path": str(s.data_dir),
        "interfaces": [HOST],
        "c2s_ports": [s.c2s_port],
        "c2s_direct_tls_ports": [s.tls_port],
        "s2s_ports": [],
        "http_ports": [s.http_port],
        "http_interfaces": [HOST],
        "https_ports": [],
        "admin_socket": str(s.base_dir / "prosody.sock"),
        "modules_enabled": ["roster", "saslauth", "tls", "disco", "ping", "version", "register",
                            "websocket"],
        "consider_websocket_secure": True,  # loopback, as parleyd treats it
        "cross_domain_websocket": True,
        "modules_disabled": ["s2s", "offline"],
        "allow_registration": s.allow_registration,
        "c2s_require_encryption": True,
        "authentication": "internal_hashed",
        "storage": "internal",
        "certificates": str(certs),
        "run_as_root": os.geteuid() == 0,
    }
    for (table, key), option in _PROSODY_EQUIVALENTS.items():
        if key in s.config.get(table, {}):
            options[option] = s.config[table][key]
    first = s.domains[0]
    lines = [f"{k} = {_lua(v)}" for k, v in options.items()]
    lines.append('log = { { levels = { min = "info" }, to = "console" } }')
    lines.append(f'ssl = {{ certificate = {_lua(str(certs / (first + ".crt")))}, '
                 f'key = {_lua(str(certs / (first + ".key")))} }}')
    for d in s.domains:
        lines.append(f"VirtualHost {_lua(d)}")
    for d in s.domains:
        lines.append(f"Component {_lua('conference.' + d)} \"muc\"")
    path = s.base_dir / "prosody.cfg.lua"
    path.write_text("\n".join(lines) + "\n")
    return [prosody, "-F", "--config", str(path)]
