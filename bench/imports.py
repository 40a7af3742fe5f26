"""5. Import time: `import fastgpt_oapi` plus building a client, against `import httpx, pydantic`.

Each figure is one fresh interpreter timing its own import (perf_counter around the statements, so the
interpreter's start-up, the same for both, is left out). Rounds alternate the two, after one warm-up
pair so bytecode caches exist; the ratio is taken per round and the median reported.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

from .harness import ROOT, Row, at_most, interleave, median_ratio, times

__all__ = ["run"]

_SDK = """
import time
started = time.perf_counter()
import fastgpt_oapi
client = fastgpt_oapi.Client.builder().base_url("http://localhost:3000").api_key("fastgpt-bench-key").build()
print(time.perf_counter() - started)
"""

_BASELINE = """
import time
started = time.perf_counter()
import httpx, pydantic
print(time.perf_counter() - started)
"""


def _fresh(code: str) -> float:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(done.stdout)


def run(rounds: int = 10) -> list[Row]:
    results = interleave(
        [("fastgpt-oapi", lambda: _fresh(_SDK)), ("baseline", lambda: _fresh(_BASELINE))], rounds
    )
    ours, theirs = results["fastgpt-oapi"], results["baseline"]
    ratio = median_ratio(ours, theirs)
    return [
        Row(
            "5",
            f"import fastgpt_oapi + build a client, {rounds} fresh interpreters",
            f"{statistics.median(ours) * 1e3:.0f} ms",
            "import httpx, pydantic",
            f"{statistics.median(theirs) * 1e3:.0f} ms",
            times(ratio, 1.25),
            "<= 1.25x",
            at_most(ratio, 1.25),
        )
    ]
