"""8. The command line's start: `fastgpt-oapi --help` and `--version`, whole processes, under 300 ms.

Measured as a user meets it: the wall time of a fresh `python -m fastgpt_oapi ...` from spawn to exit,
interpreter start-up included (the console script runs the same code). `python -c pass` is shown beside
it: the part no program can save. Rounds alternate the three after a warm-up so bytecode caches exist.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from .harness import ROOT, Row, at_most, interleave

__all__ = ["run"]

LIMIT_MS = 300.0


def _wall(*args: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FASTGPT_")}
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, check=True)
    return time.perf_counter() - started


def run(rounds: int = 20) -> list[Row]:
    results = interleave(
        [
            ("--help", lambda: _wall("-m", "fastgpt_oapi", "--help")),
            ("--version", lambda: _wall("-m", "fastgpt_oapi", "--version")),
            ("python", lambda: _wall("-c", "pass")),
        ],
        rounds,
    )
    bare = statistics.median(results["python"]) * 1e3
    rows = []
    for flag in ("--help", "--version"):
        ms = statistics.median(results[flag]) * 1e3
        rows.append(
            Row(
                "8",
                f"`fastgpt-oapi {flag}`, whole process, {rounds} fresh runs",
                f"{ms:.0f} ms",
                "python -c pass",
                f"{bare:.0f} ms",
                "-",
                f"< {LIMIT_MS:.0f} ms",
                at_most(ms / LIMIT_MS, 1.0),
            )
        )
    return rows
