"""Prints where the browser tests saved their screenshots at the end of the run."""

import time

from test_browser import artifacts_dir

_started = time.time()


def pytest_terminal_summary(terminalreporter):
    shots = sorted(p for p in artifacts_dir().glob("*.png") if p.stat().st_mtime >= _started)
    if shots:
        terminalreporter.write_line("e2e screenshots:")
        for shot in shots:
            terminalreporter.write_line(f"  {shot}")
