"""results.md and the gnuplot PNGs, from raw.jsonl.

Every figure is the median over the repetitions with [min..max], and its ratio to Parley's median
(value / Parley's value, whatever the direction of "better": the figure's name says it).
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
from pathlib import Path

ORDER = ["parley", "prosody", "ejabberd", "relay", "relay-plain"]
TITLES = {"parley": "Parley", "prosody": "Prosody 0.12", "ejabberd": "ejabberd 23.01",
          "relay": "bare relay, TLS", "relay-plain": "bare relay, plain TCP"}
GEN_SATURATED = 0.90     # generator CPU share (per thread) at or above this: generator-bound
BOX_SATURATED = 1.80     # server + generator cores used (of 2) at or above this: the box is full


def load(raw: Path) -> list[dict]:
    out = []
    for line in raw.read_text().splitlines():
        if line.strip():
            out.append(json.loads(line))
    return out


def ok(r: dict) -> bool:
    return r.get("compare_exit") == 0 and "scenario" in r


def duration(r: dict) -> float:
    return float(r.get("duration") or r.get("hold_seconds") or 0) or 1.0


def derived(r: dict) -> dict:
    """Figures computed from one JSON line: cores used by server and generator, shares."""
    d = {}
    dur = duration(r)
    if r.get("server_cpu_seconds") is not None:
        d["server_cores"] = r["server_cpu_seconds"] / dur
    if r.get("generator_cpu_seconds") is not None:
        d["generator_cores"] = r["generator_cpu_seconds"] / dur
        d["generator_share"] = r.get("generator_cpu_share",
                                     d["generator_cores"] / max(1, int(r.get("threads") or 1)))
    if r.get("scenario") == "login" and r.get("logins_per_server_cpu_second") is None:
        if r.get("server_cpu_seconds"):
            d["logins_per_server_cpu_second"] = r["logins"] / r["server_cpu_seconds"]
    return d


def value(r: dict, metric: str):
    v = r.get(metric)
    if v is None:
        v = derived(r).get(metric)
    return v


def stats(values: list[float]):
    values = [v for v in values if isinstance(v, (int, float))]
    if not values:
        return None
    return statistics.median(values), min(values), max(values), len(values)


def fmt_num(v: float) -> str:
    if v is None:
        return "–"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def cell(st, ref=None) -> str:
    if st is None:
        return "–"
    med, lo, hi, n = st
    text = fmt_num(med) if n == 1 else f"{fmt_num(med)} [{fmt_num(lo)}..{fmt_num(hi)}]"
    if ref is not None and ref[0]:
        text += f" (×{med / ref[0]:.2f})"
    return text


class Results:
    def __init__(self, records: list[dict]):
        self.records = [r for r in records if r.get("compare_key") != "register"]
        self.register = [r for r in records if r.get("compare_key") == "register"]
        self.servers = [s for s in ORDER if any(r["compare_server"] == s for r in records)]

    def runs(self, server: str, key: str, mode: str) -> list[dict]:
        return [r for r in self.records if r["compare_server"] == server and
                r["compare_key"] == key and r["compare_mode"] == mode and ok(r)]

    def failed(self, server: str, key: str, mode: str) -> list[dict]:
        return [r for r in self.records if r["compare_server"] == server and
                r["compare_key"] == key and r["compare_mode"] == mode and not ok(r)]

    def stat(self, server, key, mode, metric):
        return stats([value(r, metric) for r in self.runs(server, key, mode)])

    def groups(self) -> list[tuple[str, str]]:
        seen = []
        for r in self.records:
            g = (r["compare_key"], r["compare_mode"])
            if g not in seen:
                seen.append(g)
        return seen

    def open_rates(self, mode="pinned") -> list[int]:
        rates = {int(k.rsplit("-", 1)[1]) for k, m in self.groups()
                 if k.startswith("msg-open-") and m == mode}
        return sorted(rates)


HEADLINES = [
    ("KiB per idle authenticated connection (TLS; lower is better)", "idle", "unpinned",
     "kib_per_connection"),
    ("KiB per idle authenticated connection (plain TCP; lower is better)", "idle-plain",
     "unpinned", "kib_per_connection"),
    ("logins/s, TLS + SCRAM-SHA-1, pinned", "login", "pinned", "logins_per_second"),
    ("logins/s, TLS + SCRAM-SHA-1, unpinned", "login", "unpinned", "logins_per_second"),
    ("logins per second of server CPU, pinned", "login", "pinned", "logins_per_server_cpu_second"),
    ("1:1 messages/s delivered (closed loop), pinned", "msg-closed", "pinned",
     "delivered_per_second"),
    ("1:1 messages/s delivered (closed loop), unpinned", "msg-closed", "unpinned",
     "delivered_per_second"),
    ("messages per second of server CPU, pinned", "msg-closed", "pinned",
     "delivered_per_server_cpu_second"),
    ("messages per second of server CPU, unpinned", "msg-closed", "unpinned",
     "delivered_per_server_cpu_second"),
    ("p99 latency ms, closed loop, pinned (lower is better)", "msg-closed", "pinned",
     "latency_p99_ms"),
    ("1:1 messages/s delivered (closed loop), plain TCP, pinned", "msg-closed-plain", "pinned",
     "delivered_per_second"),
    ("messages per second of server CPU, plain TCP, pinned", "msg-closed-plain", "pinned",
     "delivered_per_server_cpu_second"),
    ("logins/s, plain TCP + SCRAM-SHA-1, pinned", "login-plain", "pinned", "logins_per_second"),
    ("logins per second of server CPU, plain TCP, pinned", "login-plain", "pinned",
     "logins_per_server_cpu_second"),
    ("MUC deliveries/s (one room), pinned", "muc", "pinned", "delivered_per_second"),
    ("MUC deliveries per second of server CPU, pinned", "muc", "pinned",
     "delivered_per_server_cpu_second"),
    ("MUC p99 latency ms, pinned (lower is better)", "muc", "pinned", "latency_p99_ms"),
    ("logins/s in a login storm with rosters, pinned", "roster-login", "pinned",
     "logins_per_second"),
    ("presence deliveries/s in that storm, pinned", "roster-login", "pinned",
     "presence_per_second"),
    ("presence deliveries per second of server CPU, pinned", "roster-login", "pinned",
     "presence_per_server_cpu_second"),
]

DETAIL_METRICS = {
    "idle": [("KiB/conn", "kib_per_connection"), ("held", "held_at_end"),
             ("setup logins/s", "logins_per_second"), ("RSS after KiB", "server_rss_after_kib")],
    "login": [("logins/s", "logins_per_second"),
              ("per server CPU-s", "logins_per_server_cpu_second"),
              ("p50 ms", "login_latency_p50_ms"), ("p99 ms", "login_latency_p99_ms")],
    "muc": [("deliveries/s", "delivered_per_second"),
            ("per server CPU-s", "delivered_per_server_cpu_second"),
            ("occupants", "occupants_ready"),
            ("p50 ms", "latency_p50_ms"), ("p99 ms", "latency_p99_ms")],
    "roster-login": [("logins/s", "logins_per_second"),
                     ("logins per server CPU-s", "logins_per_server_cpu_second"),
                     ("presences/s", "presence_per_second"),
                     ("presences per server CPU-s", "presence_per_server_cpu_second"),
                     ("storm s", "duration"), ("all contacts seen, p99 ms", "fanout_latency_p99_ms")],
    "msg": [("delivered/s", "delivered_per_second"),
            ("per server CPU-s", "delivered_per_server_cpu_second"),
            ("p50 ms", "latency_p50_ms"), ("p99 ms", "latency_p99_ms"), ("max ms", "latency_max_ms")],
}


def base_key(key: str) -> str:
    """The key without its transport suffix: "login-plain" -> "login"."""
    return key[: -len("-plain")] if key.endswith("-plain") else key


def detail_kind(key: str) -> str:
    return "msg" if key.startswith("msg") else base_key(key)


def notes_for(res: Results, server, key, mode) -> list[str]:
    runs = res.runs(server, key, mode)
    notes = []
    if res.failed(server, key, mode):
        notes.append(f"{len(res.failed(server, key, mode))} run(s) failed")
    errs = sum(int(r.get("errors") or 0) for r in runs)
    if errs:
        notes.append(f"{errs} errors")
    if any(r.get("timed_out") for r in runs):
        notes.append("timed out")
    if base_key(key) != "idle" and runs:
        gen = statistics.median([derived(r).get("generator_share", 0) for r in runs])
        srv = statistics.median([derived(r).get("server_cores", 0) for r in runs])
        genc = statistics.median([derived(r).get("generator_cores", 0) for r in runs])
        if gen >= GEN_SATURATED:
            notes.append("**generator-bound**")
        elif mode == "unpinned" and srv + genc >= BOX_SATURATED:
            notes.append("box full (server + generator ≈ 2 cores)")
        elif mode == "pinned" and srv >= 0.9:
            notes.append("server saturated (1 core)")
        if base_key(key) == "login":
            # C clients each cycling through login + close: a cycle much longer than a login
            # means the time went outside the login, e.g. waiting for the server's </stream>.
            cyc = statistics.median([int(r.get("concurrency") or 1) * 1000.0 /
                                     max(r.get("logins_per_second") or 0, 1e-9) for r in runs])
            p99 = statistics.median([r.get("login_latency_p99_ms") or 0 for r in runs])
            if cyc > 2 * p99 and cyc - p99 > 20:
                notes.append(f"cycle per client {cyc:.0f} ms vs login p99 {p99:.0f} ms: limited "
                             "outside the login (closing handshake), see docs/benchmark.md")
        if key.startswith("msg-open-"):
            rate = int(key.rsplit("-", 1)[1])
            dps = statistics.median([r.get("delivered_per_second") or 0 for r in runs])
            if dps < 0.95 * rate:
                notes.append(f"did not sustain the offered rate ({dps:,.0f}/s)")
    return notes


def relay_share_lines(res: Results) -> list[str]:
    """Parley's closed-loop rate as a share of the bare relay's (issue 4: >= 60 %, pinned)."""
    lines = []
    # Each relay against Parley over the same transport; the plain one also against Parley over
    # TLS, which is what a relay-like design would have to beat for the TLS figures.
    pairs = [("msg-closed", "relay", "msg-closed", "over TLS, both over TLS"),
             ("msg-closed-plain", "relay-plain", "msg-closed-plain",
              "over plain TCP, both over plain TCP"),
             ("msg-closed", "relay-plain", "msg-closed-plain", "over plain TCP, Parley over TLS")]
    for mode in ("pinned", "unpinned"):
        for parley_key, relay, relay_key, what in pairs:
            p = res.stat("parley", parley_key, mode, "delivered_per_second")
            r = res.stat(relay, relay_key, mode, "delivered_per_second")
            if p and r and r[0]:
                target = " (issue 4's target: ≥ 60 %)" if mode == "pinned" and \
                    parley_key == relay_key else ""
                lines.append(f"- Parley's 1:1 rate, closed loop {mode}, is **{100 * p[0] / r[0]:.0f} "
                             f"%** of the bare relay's {what}{target}.")
    return lines + [""] if lines else []


def latency_floor_lines(res: Results) -> list[str]:
    """The bare relay's p99 in the open loop: what the generator and the box add to every server."""
    lines = []
    for rate in res.open_rates():
        floor = res.stat("relay-plain", f"msg-open-{rate}", "pinned", "latency_p99_ms")
        if not floor:
            continue
        lines.append(f"- At {rate:,} msg/s offered, pinned, the bare relay's p99 is {floor[0]:.2f} ms: "
                     "the floor that the generator and the box put under every server's p99.")
        for s in ("parley", "prosody", "ejabberd"):
            p = res.stat(s, f"msg-open-{rate}", "pinned", "latency_p99_ms")
            if p:
                d = p[0] - floor[0]
                lines.append(f"  {TITLES[s]}: {p[0]:.2f} ms, {abs(d):.2f} ms "
                             f"{'above' if d >= 0 else 'below'} it.")
    return lines + [""] if lines else []


def write_markdown(res: Results, out: Path, header_lines: list[str], extra_notes: list[str],
                   plots: list[str]) -> Path:
    L = ["# bench/compare results", ""] + header_lines + [""]
    cols = res.servers
    L.append("## Headline figures")
    L.append("")
    L.append("Median over the repetitions [min..max] (×ratio to Parley's median).")
    L.append("")
    L.append("| figure | " + " | ".join(TITLES[s] for s in cols) + " |")
    L.append("|---|" + "---|" * len(cols))
    headlines = list(HEADLINES)
    for rate in res.open_rates():
        headlines.append((f"p99 latency ms at {rate:,} msg/s offered, pinned (lower is better)",
                          f"msg-open-{rate}", "pinned", "latency_p99_ms"))
    for title, key, mode, metric in headlines:
        ref = res.stat("parley", key, mode, metric)
        cells = [cell(res.stat(s, key, mode, metric), ref) for s in cols]
        if all(c == "–" for c in cells):
            continue
        L.append(f"| {title} | " + " | ".join(cells) + " |")
    L.append("")
    L += relay_share_lines(res)
    L += latency_floor_lines(res)
    L.append("## Every scenario")
    L.append("")
    L.append("`server cores` = server CPU seconds / window; `gen share` = generator CPU seconds / "
             "(window × its threads); near 1.0 the generator, not the server, was the limit.")
    for key, mode in res.groups():
        kind = detail_kind(key)
        metrics = DETAIL_METRICS.get(kind, [])
        L.append("")
        L.append(f"### {key}, {mode}")
        sample = next(iter(r for s in cols for r in res.runs(s, key, mode)), None)
        if sample:
            keys = ("users", "connections", "concurrency", "pairs", "occupants", "senders",
                    "contacts", "window", "offered_rate", "duration", "hold_seconds", "threads")
            if key == "roster-login":  # its duration is a result (the storm), not a parameter
                keys = tuple(k for k in keys if k != "duration")
            params = {k: sample.get(k) for k in keys if k in sample}
            L.append("")
            L.append("parley-bench: " + ", ".join(f"{k} {v}" for k, v in params.items()))
        L.append("")
        heads = [m[0] for m in metrics] + ["server cores", "gen share", "notes"]
        L.append("| server | runs | " + " | ".join(heads) + " |")
        L.append("|---|---|" + "---|" * len(heads))
        for s in cols:
            runs = res.runs(s, key, mode)
            if not runs and not res.failed(s, key, mode):
                continue
            cells = []
            for _, metric in metrics:
                ref = res.stat("parley", key, mode, metric) if s != "parley" else None
                cells.append(cell(res.stat(s, key, mode, metric), ref))
            cells.append(cell(stats([derived(r).get("server_cores") for r in runs])))
            cells.append(cell(stats([derived(r).get("generator_share") for r in runs])))
            cells.append(", ".join(notes_for(res, s, key, mode)) or "")
            L.append(f"| {TITLES[s]} | {len(runs)} | " + " | ".join(cells) + " |")
    if res.register:
        L.append("")
        L.append("### register (once per server, accounts reused by every scenario)")
        L.append("")
        L.append("| server | created | existing | registrations/s | errors |")
        L.append("|---|---|---|---|---|")
        for r in res.register:
            L.append(f"| {TITLES.get(r['compare_server'], r['compare_server'])} | "
                     f"{r.get('created')} | {r.get('existing')} | "
                     f"{fmt_num(r.get('registrations_per_second'))} | {r.get('errors')} |")
    if plots:
        L += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
    if extra_notes:
        L += ["", "## Notes", ""] + [f"- {n}" for n in extra_notes]
    L.append("")
    path = out / "results.md"
    path.write_text("\n".join(L))
    return path


def _gnuplot(script: str, cwd: Path) -> bool:
    if not shutil.which("gnuplot"):
        return False
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, cwd=cwd,
                       timeout=60)
    if p.returncode != 0:
        (cwd / "gnuplot.err").write_text(p.stderr)
    return p.returncode == 0


def _bars(res: Results, out: Path, name: str, title: str, rows: list[tuple[str, str, str, str]],
          ylabel: str) -> str | None:
    # Only the servers with a figure in this plot (the relays take part in one group only).
    cols = [s for s in res.servers
            if any(res.stat(s, key, mode, metric) for _, key, mode, metric in rows)]
    lines = []
    for label, key, mode, metric in rows:
        vals = []
        for s in cols:
            st = res.stat(s, key, mode, metric)
            vals += ["0", "0", "0"] if st is None else [f"{st[0]:.3f}", f"{st[1]:.3f}",
                                                        f"{st[2]:.3f}"]
        if any(v != "0" for v in vals):
            lines.append(f'"{label}" ' + " ".join(vals))
    if not lines:
        return None
    dat = out / f"{name}.dat"
    dat.write_text("\n".join(lines) + "\n")
    plots = ", ".join(
        f"'{dat.name}' using {2 + 3 * i}:{3 + 3 * i}:{4 + 3 * i}:xtic(1) title '{TITLES[s]}'"
        for i, s in enumerate(cols))
    script = f"""set terminal pngcairo size 1000,560 font ',10'
set output '{name}.png'
set title "{title}"
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.8 border -1
set ylabel "{ylabel}"
set yrange [0:*]
set grid ytics
set key top right
plot {plots}
"""
    return f"{name}.png" if _gnuplot(script, out) else None


def _latency(res: Results, out: Path) -> str | None:
    rates = res.open_rates()
    if not rates:
        return None
    blocks = []
    titles = []
    for s in res.servers:
        rows = []
        for rate in rates:
            p99 = res.stat(s, f"msg-open-{rate}", "pinned", "latency_p99_ms")
            p50 = res.stat(s, f"msg-open-{rate}", "pinned", "latency_p50_ms")
            if p99:
                rows.append(f"{rate} {p99[0]:.4f} {p99[1]:.4f} {p99[2]:.4f} "
                            f"{(p50 or (0,))[0]:.4f}")
        if rows:
            blocks.append("\n".join(rows))
            titles.append(s)
    if not blocks:
        return None
    dat = out / "latency.dat"
    dat.write_text("\n\n\n".join(blocks) + "\n")
    plots = []
    for i, s in enumerate(titles):
        plots.append(f"'latency.dat' index {i} using 1:2:3:4 with yerrorlines lc {i + 1} pt 7 "
                     f"title '{TITLES[s]} p99'")
        plots.append(f"'latency.dat' index {i} using 1:5 with linespoints lc {i + 1} dt 2 pt 6 "
                     f"title '{TITLES[s]} p50'")
    script = f"""set terminal pngcairo size 1000,560 font ',10'
set output 'latency.png'
set title "1:1 message latency against offered load (open loop; server core 0, generator core 1)"
set xlabel "offered messages/s"
set ylabel "latency, ms (log)"
set logscale xy
set grid xtics ytics mytics
set key top left
plot {", ".join(plots)}
"""
    return "latency.png" if _gnuplot(script, out) else None


def plots(res: Results, out: Path) -> list[str]:
    made = []
    p = _bars(res, out, "throughput_msg", "1:1 messages delivered (closed loop), median [min..max]",
              [("per s, pinned", "msg-closed", "pinned", "delivered_per_second"),
               ("per s, unpinned", "msg-closed", "unpinned", "delivered_per_second"),
               ("per server CPU-s, pinned", "msg-closed", "pinned",
                "delivered_per_server_cpu_second"),
               ("per server CPU-s, unpinned", "msg-closed", "unpinned",
                "delivered_per_server_cpu_second"),
               ("plain TCP, per s, pinned", "msg-closed-plain", "pinned", "delivered_per_second"),
               ("plain TCP, per server CPU-s, pinned", "msg-closed-plain", "pinned",
                "delivered_per_server_cpu_second")], "messages")
    made += [p] if p else []
    p = _bars(res, out, "throughput_login", "Logins (SCRAM-SHA-1), median [min..max]",
              [("per s, pinned", "login", "pinned", "logins_per_second"),
               ("per s, unpinned", "login", "unpinned", "logins_per_second"),
               ("per server CPU-s, pinned", "login", "pinned",
                "logins_per_server_cpu_second"),
               ("per server CPU-s, unpinned", "login", "unpinned",
                "logins_per_server_cpu_second"),
               ("plain TCP, per s, pinned", "login-plain", "pinned", "logins_per_second"),
               ("plain TCP, per server CPU-s, pinned", "login-plain", "pinned",
                "logins_per_server_cpu_second")], "logins")
    made += [p] if p else []
    p = _bars(res, out, "throughput_muc", "MUC deliveries (one room), median [min..max]",
              [("per s, pinned", "muc", "pinned", "delivered_per_second"),
               ("per server CPU-s, pinned", "muc", "pinned", "delivered_per_server_cpu_second")],
              "deliveries")
    made += [p] if p else []
    p = _bars(res, out, "throughput_roster", "Login storm with rosters: presence deliveries, "
              "median [min..max]",
              [("per s, pinned", "roster-login", "pinned", "presence_per_second"),
               ("per server CPU-s, pinned", "roster-login", "pinned",
                "presence_per_server_cpu_second")], "presences")
    made += [p] if p else []
    p = _latency(res, out)
    made += [p] if p else []
    return made
