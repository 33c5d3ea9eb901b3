"""The run plan and its execution: parley-bench against each server, interleaved A B C A B C.

One Run is one parley-bench invocation; its JSON line goes to raw.jsonl with our own fields added
(all prefixed `compare_`). Servers stay up for the whole run, except `idle`, which needs a freshly
started server each time (its figure is RSS growth from /proc).
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from .util import cpu_seconds, log

SERVER_CPUS, GENERATOR_CPUS = "0", "1"   # pinned mode: server on core 0, generator on core 1
ALL_CPUS = "0,1"


@dataclass
class Settings:
    reps: int = 3
    window: float = 10.0
    smoke: bool = False
    users: int = 1000            # accounts registered per server (idle connections use them all)
    idle_hold: float = 3.0       # idle: seconds the connections are held before RSS is read (a
    #                              memory figure, not a rate: it needs no 10-second window)
    login_users: int = 100
    login_concurrency: int = 50
    pairs: int = 100
    in_flight: int = 10
    open_rates: list[float] = field(default_factory=lambda: [3000, 20000])
    open_pairs: int = 100
    open_unpinned: bool = False
    muc_occupants: int = 200     # the MUC figure: 200 occupants, 5 senders
    muc_senders: int = 5
    muc_in_flight: int = 10
    roster_users: int = 200      # roster-login: its own accounts (roster0..), 50 contacts each
    #                              (made over XMPP on ejabberd: ~1 min for 200; with 100 its
    #                              provisioning did not finish within 260 s on 2026-12-02)
    roster_contacts: int = 50
    deadline_seconds: float = 23.5 * 60  # runs that would end past it are skipped


@dataclass
class Group:
    """One row group of the report: a scenario at one set of parameters in one CPU mode."""
    key: str            # e.g. "msg-closed", "msg-open-3000", "login", "idle"
    scenario: str       # parley-bench scenario
    mode: str           # "pinned" | "unpinned"
    args: list[str]
    fresh_server: bool = False
    only: tuple[str, ...] = ()  # the servers that take part; () = all

    @property
    def kind(self) -> str:
        """The key without its transport suffix: "idle-plain" -> "idle"."""
        return base_key(self.key)


PLAIN = "-plain"  # key suffix of the groups run over plain TCP (parley-bench --no-tls)


def base_key(key: str) -> str:
    return key[: -len(PLAIN)] if key.endswith(PLAIN) else key


def over_plain_tcp(g: Group, only: tuple[str, ...] = ()) -> Group:
    """The same group with logins over plain TCP, without STARTTLS (SCRAM in the clear)."""
    return Group(g.key + PLAIN, g.scenario, g.mode, [*g.args, "--no-tls"], g.fresh_server, only)


def plan(s: Settings) -> list[Group]:
    """The groups in order of importance to issue 4's targets, so that if the time bound cuts the
    run short it is the secondary figures that are missing."""
    size = (lambda *a: []) if s.smoke else (lambda *a: list(a))
    login = lambda mode: Group("login", "login", mode, size(  # noqa: E731
        "--users", str(s.login_users), "--concurrency", str(s.login_concurrency)))
    closed = lambda mode: Group("msg-closed", "msg", mode, size(  # noqa: E731
        "--pairs", str(s.pairs), "--window", str(s.in_flight)))
    opened = lambda mode, rate: Group(f"msg-open-{int(rate)}", "msg", mode,  # noqa: E731
                                      ["--rate", str(rate), *size("--pairs", str(s.open_pairs))])
    muc = lambda mode: Group("muc", "muc", mode, size(  # noqa: E731
        "--occupants", str(s.muc_occupants), "--senders", str(s.muc_senders),
        "--window", str(s.muc_in_flight)))
    roster = lambda mode: Group("roster-login", "roster-login", mode, size(  # noqa: E731
        "--users", str(s.roster_users), "--contacts", str(s.roster_contacts),
        "--concurrency", "50"))
    rates = sorted(s.open_rates)
    # The latency targets: a rate all three sustain (3,000) and 20,000.
    first = [r for r in rates if r in (3000, 20000)] or rates[:1]
    rest = [r for r in rates if r not in first]
    idle = Group("idle", "idle", "unpinned",
                 size("--users", str(s.users), "--concurrency", "50"), fresh_server=True)
    groups = [idle, over_plain_tcp(idle), closed("pinned"), login("pinned")]
    groups += [opened("pinned", r) for r in first]
    # Over plain TCP the closed loop is Parley against the plain relay (the ceiling on the same
    # transport); the peers' plain-TCP figures that issue 4 quotes are memory and logins.
    groups += [muc("pinned"), over_plain_tcp(closed("pinned"), ("parley", "relay-plain")),
               roster("pinned"), over_plain_tcp(login("pinned"))]
    groups += [closed("unpinned"), login("unpinned")]
    groups += [opened("pinned", r) for r in rest]
    if s.open_unpinned:
        groups += [opened("unpinned", r) for r in rates]
    return groups


def estimate_seconds(s: Settings, groups: list[Group], servers: list) -> float:
    """A rough wall-time estimate: window plus set-up per run (logins, warm-up, quiet wait).
    `servers` are the servers and relays; each counts in the groups it takes part in."""
    per_run = {"idle": 12.0 if not s.smoke else 5.0, "login": 3.0 if s.smoke else 5.0,
               "msg": 2.0 if s.smoke else 8.0, "muc": 3.0 if s.smoke else 10.0}
    total = 0.0
    for g in groups:
        runs = sum(1 for srv in servers if (not g.only or srv.name in g.only) and srv.runs(g))
        if g.scenario == "roster-login":  # no window: registration check + one storm, ~15 s
            total += s.reps * runs * (5.0 if s.smoke else 15.0)
            total += runs * (5.0 if s.smoke else 30.0)  # the rosters, made once
            continue
        window = min(s.idle_hold, s.window) if g.scenario == "idle" else s.window
        total += s.reps * runs * (window + per_run.get(g.scenario, 4.0))
    return total + 20.0 * len(servers)


class Runner:
    def __init__(self, bench: Path, out_dir: Path, domain: str, settings: Settings):
        self.bench, self.out, self.domain, self.s = bench, out_dir, domain, settings
        self.raw = open(out_dir / "raw.jsonl", "a")
        self.t0 = time.monotonic()
        self.notes: list[str] = []
        self.skipped = 0
        self.restarts: list[str] = []

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def bench_argv(self, scenario: str, server, mode: str, extra: list[str]) -> list[str]:
        threads = "1" if mode == "pinned" else "2"
        argv = [str(self.bench), scenario, "--host", "127.0.0.1", "--port", str(server.port),
                "--domain", self.domain, "--server-pid", str(server.pid),
                "--server-name", server.name, "--threads", threads, *server.bench_args, *extra]
        if self.s.smoke:
            argv.append("--smoke")
        if scenario == "idle":
            argv += ["--duration", str(min(self.s.idle_hold, self.s.window))]
        elif scenario != "register":
            argv += ["--duration", str(self.s.window)]
        if mode == "pinned":
            argv = ["taskset", "-c", GENERATOR_CPUS, *argv]
        return argv

    def run_one(self, server, scenario: str, mode: str, extra: list[str], key: str,
                rep: int) -> dict | None:
        # Skip a run that could not finish before the deadline (window + set-up + quiet wait).
        if scenario != "register" and \
                self.elapsed() + self.s.window + 20 > self.s.deadline_seconds:
            self.skipped += 1
            return None
        server.pin(SERVER_CPUS if mode == "pinned" else ALL_CPUS)
        argv = self.bench_argv(scenario, server, mode, extra)
        # parley-bench bounds itself (--timeout); this is the outer bound in case it hangs.
        bound = 240 + self.s.window * 2
        cpu0, w0 = cpu_seconds(server.pid), time.monotonic()
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=bound,
                               stdin=subprocess.DEVNULL)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = 124, (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (
                e.stdout or ""), f"killed after {bound:.0f} s"
        wall, cpu1 = time.monotonic() - w0, cpu_seconds(server.pid)
        line = next((l for l in reversed(out.splitlines()) if l.startswith("{")), None)
        try:
            rec = json.loads(line) if line else {}
        except json.JSONDecodeError:
            rec = {}
        rec.update({
            "compare_server": server.name, "compare_key": key, "compare_mode": mode,
            "compare_rep": rep, "compare_exit": rc, "compare_wall_seconds": round(wall, 3),
            "compare_server_cpu_run_seconds": (round(cpu1 - cpu0, 3)
                                               if cpu0 is not None and cpu1 is not None else None),
            "compare_server_version": server.version_text,
            "compare_argv": " ".join(argv),
        })
        if rc != 0 or not line:
            rec["compare_stderr"] = err[-1500:]
            log(f"{server.name} {key} {mode} rep {rep}: exit {rc}: {err.strip()[-300:]}")
        else:
            log(f"{server.name:8} {key:16} {mode:8} rep {rep}: {headline(rec)}")
        self.raw.write(json.dumps(rec) + "\n")
        self.raw.flush()
        return rec

    def register(self, servers) -> None:
        extra = [] if self.s.smoke else ["--users", str(self.s.users)]
        extra += ["--concurrency", "50"]
        for srv in servers:
            rec = self.run_one(srv, "register", "unpinned", extra, "register", 1)
            if not rec or rec.get("compare_exit") != 0 or rec.get("errors"):
                self.notes.append(f"registration on {srv.name} had problems: "
                                  f"{(rec or {}).get('error_samples')}")

    def run_groups(self, servers, groups: list[Group]) -> None:
        overloaded: dict[str, float] = {}  # server -> lowest open-loop rate it did not sustain
        told: set[tuple[str, str]] = set()
        broken: set[str] = set()  # servers whose prepare_mode failed: left out from then on
        # A run that hit the outer time bound is not repeated in its group: the next repetition
        # would most likely hang as long again, and the deadline would cut the groups after it.
        hung: set[tuple[str, str, str]] = set()
        for g in groups:
            rate = float(g.key.rsplit("-", 1)[1]) if g.key.startswith("msg-open-") else None
            log(f"-- {g.key} {g.mode} ({self.elapsed() / 60:.1f} min in)")
            if g.scenario == "roster-login":
                users, contacts = (12, 4) if self.s.smoke else (self.s.roster_users,
                                                                 self.s.roster_contacts)
                for srv in servers:
                    note = srv.seed_rosters("roster", users, contacts)
                    if note:
                        log(note)
                        self.notes.append(note)
            for rep in range(1, self.s.reps + 1):
                for srv in servers:
                    if (g.only and srv.name not in g.only) or not srv.runs(g):
                        continue
                    # An open-loop rate a server did not sustain is not repeated, nor tried
                    # higher: its latency only grows with the window, and the backlog costs time.
                    if rate and srv.name in overloaded and rate >= overloaded[srv.name]:
                        if (srv.name, g.key) not in told:
                            told.add((srv.name, g.key))
                            msg = (f"{srv.name}: {g.key} {g.mode} "
                                   f"{'not repeated' if rate == overloaded[srv.name] else 'not run'}"
                                   f": it did not sustain {overloaded[srv.name]:,.0f} msg/s")
                            log(msg)
                            self.notes.append(msg)
                        continue
                    if g.fresh_server:
                        if self.elapsed() + self.s.window + 40 > self.s.deadline_seconds:
                            self.skipped += 1
                            continue
                        srv.stop()
                        srv.start()
                        wait_quiet(srv.pid)  # RSS "before" only once start-up work is done
                    if srv.name in broken or (srv.name, g.key, g.mode) in hung:
                        continue
                    try:
                        srv.prepare_mode(g.mode)
                    except RuntimeError as e:
                        broken.add(srv.name)
                        msg = f"{srv.name} left out from {g.key} {g.mode} on: it did not start: {e}"
                        log(msg)
                        self.notes.append(msg)
                        continue
                    rec = self.run_one(srv, g.scenario, g.mode, g.args, g.key, rep)
                    if rec and rec.get("compare_exit") == 124:
                        hung.add((srv.name, g.key, g.mode))
                        msg = (f"{srv.name}: {g.key} {g.mode} not repeated: rep {rep} was killed "
                               "at the outer time bound")
                        log(msg)
                        self.notes.append(msg)
                    if rate and rec and (rec.get("delivered_per_second") or 0) < 0.8 * rate:
                        overloaded[srv.name] = min(rate, overloaded.get(srv.name, rate))
                    # A server still working off a backlog (an open-loop rate it could not
                    # sustain) would steal CPU from the next run: restart it instead of waiting.
                    if not wait_quiet(srv.pid, limit=5.0):
                        log(f"{srv.name} still busy 5 s after {g.key} {g.mode} rep {rep}: "
                            "restarting it")
                        self.restarts.append(f"{srv.name} after {g.key} {g.mode} rep {rep}")
                        srv.stop(timeout=5.0)
                        srv.start()
                        wait_quiet(srv.pid)


def wait_quiet(pid: int, limit: float = 20.0) -> bool:
    """Waits (at most `limit` s) until the process used < 5% of a core over two 0.25 s samples:
    ejabberd, for one, keeps starting applications for seconds after its port answers."""
    deadline, quiet = time.monotonic() + limit, 0
    last = cpu_seconds(pid)
    while time.monotonic() < deadline and quiet < 2:
        time.sleep(0.25)
        now = cpu_seconds(pid)
        if now is None or last is None:
            return True
        quiet = quiet + 1 if now - last < 0.013 else 0
        last = now
    return quiet >= 2


def headline(r: dict) -> str:
    sc = r.get("scenario")
    if sc == "msg":
        return (f"{r.get('delivered_per_second', 0):.0f} msg/s, p99 {r.get('latency_p99_ms')} ms, "
                f"server {r.get('server_cpu_seconds')} s CPU, gen share "
                f"{r.get('generator_cpu_share')}, errors {r.get('errors')}")
    if sc == "login":
        return (f"{r.get('logins_per_second', 0):.0f} logins/s, p99 "
                f"{r.get('login_latency_p99_ms')} ms, errors {r.get('errors')}")
    if sc == "idle":
        return (f"{r.get('kib_per_connection')} KiB/conn over {r.get('held_at_end')} held, "
                f"errors {r.get('errors')}")
    if sc == "muc":
        return (f"{r.get('delivered_per_second', 0):.0f} deliveries/s to "
                f"{r.get('occupants_ready')} occupants, p99 {r.get('latency_p99_ms')} ms, server "
                f"{r.get('server_cpu_seconds')} s CPU, errors {r.get('errors')}")
    if sc == "roster-login":
        return (f"{r.get('logins_per_second', 0):.0f} logins/s, "
                f"{r.get('presence_per_second', 0):.0f} presences/s over {r.get('duration')} s"
                f"{' (rosters made first)' if r.get('provisioned') else ''}, errors "
                f"{r.get('errors')}")
    if sc == "register":
        return f"created {r.get('created')}, existing {r.get('existing')}, errors {r.get('errors')}"
    return "?"
