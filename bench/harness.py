"""What every benchmark shares: interleaved rounds, median ratios, the result table, the server process."""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ROOT",
    "Row",
    "Server",
    "at_least",
    "at_most",
    "cpu_seconds",
    "installed",
    "interleave",
    "median_ratio",
    "render",
    "served",
    "times",
]

ROOT = Path(__file__).resolve().parents[1]

Measure = Callable[[], float]


def installed(package: str) -> bool:
    """Whether an optional peer (the `bench` Poetry group) can be imported."""
    return importlib.util.find_spec(package) is not None


def interleave(
    contenders: Sequence[tuple[str, Measure]], rounds: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Run A B C D, A B C D, ... `rounds` times; each call returns its own figure (e.g. seconds per event).

    A warm-up pass first (imports, schema builds, caches, connections); a full collection before each
    run, so no contender pays for the garbage of the one before it.
    """
    for _ in range(warmup):
        for _, measure in contenders:
            measure()
    results: dict[str, list[float]] = {name: [] for name, _ in contenders}
    for _ in range(rounds):
        for name, measure in contenders:
            gc.collect()
            results[name].append(measure())
    return results


def median_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """Each round's ratio, then the median of those: a slow moment shared by a round cancels out."""
    return statistics.median(a / b for a, b in zip(numerators, denominators, strict=True))


@dataclass(frozen=True)
class Row:
    number: str
    measurement: str
    ours: str  # fastgpt-oapi's figure
    versus: str = "-"  # the contender compared with
    theirs: str = "-"
    ratio: str = "-"
    target: str = "-"
    result: str = "-"  # "met", "MISSED (...)", "info", "skipped (...)"


def at_most(ratio: float, limit: float) -> str:
    return "met" if ratio <= limit else _missed(ratio / limit - 1)


def at_least(value: float, limit: float) -> str:
    return "met" if value >= limit else _missed(1 - value / limit)


def _missed(by: float) -> str:
    if by < 0.001:
        return "MISSED by <0.1%"
    return f"MISSED by {by * 100:.1f}%" if by < 0.1 else f"MISSED by {by * 100:.0f}%"


def times(value: float, limit: float | None = None) -> str:
    """`1.07x`; with more decimals when two would round onto the limit and hide the verdict."""
    digits = 2
    while (
        limit is not None and value != limit and digits < 5 and f"{value:.{digits}f}" == f"{limit:.{digits}f}"
    ):
        digits += 1
    return f"{value:.{digits}f}x"


_COLUMNS = ("#", "measurement", "fastgpt-oapi", "vs", "theirs", "ratio", "target", "result")


def render(rows: Sequence[Row]) -> str:
    """A Markdown table (readable as plain text too)."""
    cells = [[r.number, r.measurement, r.ours, r.versus, r.theirs, r.ratio, r.target, r.result] for r in rows]
    widths = [max(len(c[i]) for c in [list(_COLUMNS), *cells]) for i in range(len(_COLUMNS))]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(_COLUMNS), separator, *(line(c) for c in cells)])


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), to see whether a server kept up."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    base_url: str
    api_key: str
    app_ids: dict[str, str]
    pid: int


@contextmanager
def served() -> Iterator[Server]:
    """The emulator on loopback HTTP in its own process (`python -m bench.server`).

    In its own process, its CPU is not the client's: a server thread inside the benchmark process
    would share the GIL with the client being measured.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.server"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        info = json.loads(process.stdout.readline())
        yield Server(info["base_url"], info["api_key"], info["app_ids"], process.pid)
    finally:
        process.stdin.close()  # the server stops when its stdin closes
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
