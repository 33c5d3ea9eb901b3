"""Installing Debian's prosody and ejabberd (and gnuplot) without letting their services start.

Debian starts a package's service from its postinst through invoke-rc.d; a /usr/sbin/policy-rc.d
that exits 101 forbids that, and `systemctl mask` covers machines that boot with systemd. The file
is removed afterwards only if we created it. After the install no system prosody/ejabberd may run:
if one does anyway, it is stopped through the package's own init script and reported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from .util import log, run_bounded

POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
SERVICES = ("prosody", "ejabberd")


def _installed(package: str) -> bool:
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                       capture_output=True, text=True)
    return r.returncode == 0 and "install ok installed" in r.stdout


def _mask_services() -> None:
    if not shutil.which("systemctl"):
        return
    r = run_bounded(["systemctl", "mask", *SERVICES], timeout=30)
    if r.returncode != 0:
        log(f"systemctl mask failed (no systemd here?): {r.stderr.strip()[:200]}")


def system_service_pids() -> dict[str, list[int]]:
    """PIDs of prosody/ejabberd processes that are not ours (not under our results folder)."""
    found: dict[str, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "bench-compare-private" in cmd:
            continue  # a private instance of ours (marker in every private argv/env)
        for svc in SERVICES:
            if svc == "prosody" and ("/usr/bin/prosody" in cmd and "--config" not in cmd):
                found.setdefault(svc, []).append(int(entry.name))
            if svc == "ejabberd" and "beam" in cmd and "/etc/ejabberd" in cmd:
                found.setdefault(svc, []).append(int(entry.name))
    return found


def _stop_system_services() -> list[str]:
    notes = []
    for svc, pids in system_service_pids().items():
        init = Path("/etc/init.d") / svc
        notes.append(f"a system {svc} was running (PIDs {pids}) after the install; "
                     f"stopped it with {init} stop")
        log(notes[-1])
        if init.exists():
            run_bounded([str(init), "stop"], timeout=60)
    return notes


def ensure_packages(packages: list[str]) -> list[str]:
    """Installs the missing ones with services masked; returns notes for the report."""
    notes: list[str] = []
    missing = [p for p in packages if not _installed(p)]
    if missing:
        log(f"installing {' '.join(missing)} (system services masked)")
        created_policy = False
        if not POLICY_RC_D.exists():
            POLICY_RC_D.write_text("#!/bin/sh\n# bench/compare: no service starts during install\n"
                                   "exit 101\n")
            POLICY_RC_D.chmod(0o755)
            created_policy = True
        try:
            _mask_services()
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            r = run_bounded(["apt-get", "install", "-y", "--no-install-recommends", *missing],
                            timeout=900, env=env)
            if r.returncode != 0:
                log("apt-get install failed; trying apt-get update first")
                run_bounded(["apt-get", "update"], timeout=300, env=env)
                r = run_bounded(["apt-get", "install", "-y", "--no-install-recommends", *missing],
                                timeout=900, env=env)
            if r.returncode != 0:
                raise SystemExit(f"apt-get install {' '.join(missing)} failed:\n{r.stderr[-2000:]}")
            notes.append(f"installed {' '.join(missing)}")
        finally:
            if created_policy:
                POLICY_RC_D.unlink(missing_ok=True)
    else:
        _mask_services()
    time.sleep(0.5)
    notes += _stop_system_services()
    return notes
