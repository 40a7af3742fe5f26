"""`python -m bench [--quick] [--only decode,blocking,...]`: run the benchmarks, print one table."""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import blocking, bulk, cli_start, concurrency, decode, emulator_import, imports, memory, upload
from .harness import Row, render

# name -> (full run, --quick run)
BENCHMARKS: dict[str, tuple[Callable[[], list[Row]], Callable[[], list[Row]]]] = {
    "decode": (decode.run, lambda: decode.run(answers=2_000, rounds=3)),
    "blocking": (blocking.run, lambda: blocking.run(calls=200, rounds=4)),
    "concurrency": (concurrency.run, lambda: concurrency.run(streams=100, rounds=2)),
    "memory": (memory.run, lambda: memory.run(events=20_000, runs=1)),
    "imports": (imports.run, lambda: imports.run(rounds=3)),
    "bulk": (bulk.run, lambda: bulk.run(count=5_000, rounds=2, memory_runs=1)),
    "upload": (upload.run, lambda: upload.run(size_mib=20, runs=1)),
    "cli": (cli_start.run, lambda: cli_start.run(rounds=3)),
    "emulator": (emulator_import.run, lambda: emulator_import.run(sections=3_000, size=384 * 1024)),
}


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> str:
    peers = ", ".join(
        f"{p} {_version(p)}" for p in ("httpx", "pydantic", "pydantic-core", "httpx-sse", "openai")
    )
    return (
        f"{_cpu()}, {os.cpu_count()} CPUs; Python {platform.python_version()} "
        f"({platform.python_implementation()}) on {platform.system()}; {peers}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run, not a measurement")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    print(environment(), flush=True)
    rows: list[Row] = []
    for name in names:
        full, quick = BENCHMARKS[name]
        started = time.perf_counter()
        print(f"running {name} ...", end=" ", flush=True, file=sys.stderr)
        rows += (quick if args.quick else full)()
        print(f"{time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    print()
    print(render(rows))
    if args.quick:
        print("\n(--quick: small sizes, for checking that the benchmarks run; the figures mean little)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
