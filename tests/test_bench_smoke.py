"""`bench/` still runs: every benchmark once, with tiny sizes. Nothing here checks a timing.

The real run is `make bench` (see bench/RESULTS.md). The peers (httpx-sse, openai) are an optional
Poetry group; without them their rows say "skipped" and the rest runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.system  # seconds of benchmark rounds, however tiny

ROOT = Path(__file__).resolve().parents[1]


def test_every_benchmark_runs_with_tiny_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))  # `bench` is a folder of the repository, not installed
    from bench import blocking, bulk, concurrency, decode, imports, memory, upload
    from bench.harness import render

    rows = [
        *decode.run(answers=40, rounds=1),
        *blocking.run(calls=4, rounds=2),
        *concurrency.run(streams=4, rounds=1),
        *memory.run(events=300, runs=1),
        *imports.run(rounds=1),
        *bulk.run(count=400, rounds=1, memory_runs=1),
        *upload.run(size_mib=2, runs=1),
    ]
    assert {row.number for row in rows} == {"1a", "1b", "2", "3", "4", "5", "6", "7"}
    for row in rows:
        assert row.result == "info" or row.result.startswith(("met", "MISSED", "skipped")), row
    table = render(rows)
    assert table.count("\n") == len(rows) + 1  # header, rule, one line a row
