"""Private instances of parleyd, Prosody 0.12 and ejabberd 23.01 for one bench/compare run.

Each server lives in RUN_DIR/<name>/ (config, data, log), listens on a free loopback port, uses the
run's one certificate, and is stopped by PID. Nothing under /etc/prosody or /etc/ejabberd is used or
changed. Every private argv/environment carries the marker "bench-compare-private" so that the
install step can tell our instances from a system service.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

from .util import free_port, log, port_answers

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
MARKER = "bench-compare-private"


def fill(template: str, values: dict[str, str]) -> str:
    text = (CONFIGS / template).read_text()
    for k, v in values.items():
        text = text.replace(f"@{k}@", str(v))
    return text


def make_certificate(out_dir: Path, domain: str) -> tuple[Path, Path]:
    """One RSA-2048 self-signed certificate for `domain`, shared by all three servers."""
    cert, key = out_dir / "cert.pem", out_dir / "key.pem"
    if not cert.exists():
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                        "-subj", f"/CN={domain}", "-addext", f"subjectAltName=DNS:{domain}",
                        "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True, timeout=60)
    return cert, key


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in _children(p):
            out.append(c)
            todo.append(c)
    return out


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return False


class Server:
    """One private server: writes its config, starts, answers on its port, stops by PID."""
    name = "?"
    start_timeout = 30.0
    stop_timeout = 20.0
    bench_args: list[str] = []  # added to every parley-bench command line for this server

    def __init__(self, run_dir: Path, domain: str, cert: Path, key: Path):
        self.dir = run_dir / self.name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.domain, self.cert, self.key = domain, cert, key
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.pid: int | None = None  # the process that does the work (CPU time, RSS)
        self.log_path = self.dir / "stdout.log"
        self.starts = 0

    # -- overridden per server --
    def prepare(self) -> None: ...
    def argv(self) -> list[str]: raise NotImplementedError
    def env(self) -> dict[str, str]:
        return dict(os.environ, BENCH_COMPARE=MARKER)
    def find_worker_pid(self) -> int | None:
        return self.proc.pid if self.proc else None
    def version(self) -> str: return ""
    def popen_kwargs(self) -> dict:
        return {}
    def runs(self, group) -> bool:
        """Whether this server takes part in a scenario group (the relay: closed loop only)."""
        return True
    def prepare_mode(self, mode: str) -> None:
        """Called before each run with "pinned" or "unpinned"."""
    def seed_rosters(self, prefix: str, users: int, contacts: int) -> str | None:
        """Writes roster-login's rosters into the server's storage directly, when making them
        over XMPP would take too long; returns a note saying so, or None (made over XMPP)."""
        return None

    def start(self, taskset_cpus: str | None = None) -> None:
        """Starts the server (pinned with taskset if asked) and waits until its port answers."""
        if self.starts == 0:
            self.prepare()
        self.starts += 1
        argv = self.argv()
        if taskset_cpus:
            argv = ["taskset", "-c", taskset_cpus, *argv]
        logf = open(self.log_path, "ab")
        logf.write(f"\n=== start {self.starts}: {' '.join(argv)}\n".encode())
        logf.flush()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                     stderr=subprocess.STDOUT, cwd=self.dir, env=self.env(),
                                     start_new_session=True, preexec_fn=_raise_nofile,
                                     **self.popen_kwargs())
        logf.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} while "
                                   f"starting; see {self.log_path}\n{self.log_tail()}")
            if port_answers(self.port):
                self.pid = self.find_worker_pid()
                if self.pid:
                    log(f"{self.name} answers on 127.0.0.1:{self.port} (PID {self.pid})")
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer on port {self.port} within "
                           f"{self.start_timeout:.0f} s; see {self.log_path}\n{self.log_tail()}")

    def stop(self, timeout: float | None = None) -> None:
        """SIGTERM to the worker and the launcher, SIGKILL after `timeout` (default
        stop_timeout); all by PID."""
        if not self.proc:
            return
        pids = [p for p in {self.pid, self.proc.pid} if p]
        pids += [p for p in _descendants(self.proc.pid) if p not in pids]
        for p in pids:
            if _alive(p):
                try:
                    os.kill(p, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        timeout = self.stop_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(_alive(p) for p in pids):
            self.proc.poll()
            time.sleep(0.2)
        for p in pids:
            if _alive(p):
                log(f"{self.name}: PID {p} still there {timeout:.0f} s after SIGTERM; SIGKILL")
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log(f"{self.name}: launcher PID {self.proc.pid} still there after SIGKILL")
        self.proc, self.pid = None, None

    def pin(self, cpus: str) -> None:
        """Moves every thread of the running server onto `cpus` (taskset -a -p)."""
        for p in [self.pid, *(_descendants(self.pid) if self.pid else [])]:
            subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(p)], capture_output=True,
                           timeout=10)

    def log_tail(self, n: int = 25) -> str:
        lines = []
        for f in sorted(self.dir.glob("*.log")):
            try:
                lines += [f"{f.name}: {l}" for l in f.read_text(errors="replace").splitlines()[-n:]]
            except OSError:
                pass
        return "\n".join(lines[-n:])


def _raise_nofile() -> None:
    import resource
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except ValueError:
        pass


class Parley(Server):
    name = "parley"
    start_timeout = 20.0
    stop_timeout = 15.0

    MUC_SECTION = ("[muc]\n# Multi-user chat for parley-bench's muc scenario: the occupant limit "
                   "raised.\nmax_occupants = 10000\n")

    def __init__(self, run_dir, domain, cert, key, binary: Path):
        super().__init__(run_dir, domain, cert, key)
        self.binary = binary
        self.muc = True  # False once a parleyd without MUC refused the [muc] section

    def prepare(self) -> None:
        self.config = self.dir / "parley.toml"
        self.config.write_text(fill("parley.toml.in", {
            "DATA": self.dir / "data", "PORT": self.port, "CERT": self.cert, "KEY": self.key,
            "DOMAIN": self.domain, "MUC": self.MUC_SECTION if self.muc else ""}))

    def start(self, taskset_cpus: str | None = None) -> None:
        try:
            super().start(taskset_cpus)
        except RuntimeError as e:
            if not self.muc:
                raise
            # A parleyd built before its MUC module rejects the unknown [muc] section.
            log(f"parley did not start with a [muc] section ({str(e).splitlines()[0]}); "
                "starting it without: no MUC figures for Parley")
            self.muc = False
            self.prepare()
            super().start(taskset_cpus)

    def runs(self, group) -> bool:
        return self.muc or group.scenario != "muc"

    def argv(self) -> list[str]:
        return [str(self.binary), "--config", str(self.config), "--domain", self.domain,
                "--data-dir", str(self.dir / "data"), "--c2s", f"127.0.0.1:{self.port}",
                "--c2s-tls", "off", "--http", "off", "--allow-registration"]

    def version(self) -> str:
        r = subprocess.run([str(self.binary), "--version"], capture_output=True, text=True,
                           timeout=10)
        return (r.stdout or r.stderr).strip().splitlines()[0] if r.returncode == 0 else "?"


class Prosody(Server):
    name = "prosody"
    start_timeout = 30.0
    stop_timeout = 20.0  # Prosody closes every session on SIGTERM before it exits

    def prepare(self) -> None:
        (self.dir / "data").mkdir(exist_ok=True)
        self.config = self.dir / "prosody.cfg.lua"
        self.config.write_text(fill("prosody.cfg.lua.in", {
            "DIR": self.dir, "DATA": self.dir / "data", "PORT": self.port, "CERT": self.cert,
            "KEY": self.key, "DOMAIN": self.domain, "CERTDIR": self.cert.parent}))

    def seed_rosters(self, prefix: str, users: int, contacts: int) -> str | None:
        """Prosody 0.12 rewrites a user's whole roster file (as Lua source) on every change: made
        over XMPP, 500 rosters of 50 mutual contacts took it far longer than the whole benchmark
        on the 2-core box (~80 roster changes/s). So its rosters are written in its own storage
        format (util/datamanager: DATA/<host>/roster/<user>.dat), which is exactly what the
        XMPP route leaves behind: items {subscription = "both", groups = {}}, no pending."""
        def enc(s: str) -> str:  # datamanager's encode(): every non-alphanumeric byte as %xx
            return "".join(c if c.isalnum() else f"%{ord(c):02x}" for c in s)
        folder = self.dir / "data" / enc(self.domain) / "roster"
        folder.mkdir(parents=True, exist_ok=True)
        half = contacts // 2
        for i in range(users):
            lines = ["return {", "\t[false] = {", "\t\t[\"version\"] = 1;",
                     "\t\t[\"pending\"] = {};", "\t};"]
            for d in [*range(1, half + 1), *range(-half, 0)]:
                jid = f"{prefix}{(i + d) % users}@{self.domain}"
                lines += [f"\t[\"{jid}\"] = {{", "\t\t[\"subscription\"] = \"both\";",
                          "\t\t[\"groups\"] = {};", "\t};"]
            lines.append("};")
            (folder / f"{enc(prefix + str(i))}.dat").write_text("\n".join(lines) + "\n")
        return (f"prosody: the {users} roster-login rosters ({contacts} mutual contacts each) were "
                "written into its storage files before the group, not made over XMPP (Prosody "
                "0.12 rewrites a whole roster file per change: ~80 changes/s on this box)")

    def argv(self) -> list[str]:
        # 0.12's launcher takes -F (foreground) and --config FILE (util/startup.lua).
        return ["/usr/bin/prosody", "-F", "--config", str(self.config)]

    def version(self) -> str:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "prosody"], capture_output=True,
                           text=True, timeout=10)
        return "prosody " + r.stdout.strip()


class Ejabberd(Server):
    """ejabberd through Debian's ejabberdctl, run as the package's `ejabberd` user (the private
    directory is chowned to it). Started by root, ejabberdctl would switch user with `su`, whose
    PAM session resets the open-file limit to 1024 ("Failed TCP accept: too many open files" past
    ~1,000 connections); so we switch user ourselves and keep the limit we raised. The node uses a
    fixed distribution port (ERL_DIST_PORT) and no epmd."""
    name = "ejabberd"
    start_timeout = 60.0
    stop_timeout = 30.0

    def prepare(self) -> None:
        etc, spool, logs = self.dir / "etc", self.dir / "spool", self.dir / "logs"
        for d in (etc, etc / "modules.d", spool, logs):
            d.mkdir(parents=True, exist_ok=True)
        cert, key = etc / "cert.pem", etc / "key.pem"
        shutil.copyfile(self.cert, cert)
        shutil.copyfile(self.key, key)
        self.node = "benchcompare@localhost"  # constant: the mnesia spool is tied to it
        (etc / "ejabberd.yml").write_text(fill("ejabberd.yml.in", {
            "PORT": self.port, "CERT": cert, "KEY": key, "DOMAIN": self.domain}))
        (etc / "ejabberdctl.cfg").write_text(fill("ejabberdctl.cfg.in", {
            "NODE": self.node, "DISTPORT": free_port(), "DIR": self.dir}))
        if Path("/etc/ejabberd/inetrc").exists():
            shutil.copyfile("/etc/ejabberd/inetrc", etc / "inetrc")
        if os.geteuid() == 0:
            pw = pwd.getpwnam("ejabberd")
            for p in [self.dir, *self.dir.rglob("*")]:
                os.chown(p, pw.pw_uid, pw.pw_gid)
            os.chmod(key, 0o600)

    def argv(self) -> list[str]:
        return ["/usr/sbin/ejabberdctl", "--config-dir", str(self.dir / "etc"),
                "--spool", str(self.dir / "spool"), "--logs", str(self.dir / "logs"),
                "foreground"]

    def popen_kwargs(self) -> dict:
        if os.geteuid() != 0:
            return {}
        return {"user": "ejabberd", "group": "ejabberd", "extra_groups": []}

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(HOME=str(self.dir / "spool"), USER="ejabberd", LOGNAME="ejabberd")
        return env

    def find_worker_pid(self) -> int | None:
        for p in _descendants(self.proc.pid):
            if _comm(p).startswith("beam"):
                return p
        return None

    def version(self) -> str:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "ejabberd"], capture_output=True,
                           text=True, timeout=10)
        return "ejabberd " + r.stdout.strip()
