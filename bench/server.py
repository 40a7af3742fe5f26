"""`python -m bench.server`: the emulator on loopback HTTP, for the benchmarks that need a socket.

Prints one JSON line (base URL, API key, app ids), then serves until its stdin is closed. It keeps no
log of the requests (`fake.requests`): the bulk benchmarks send hundreds of thousands of items and a
200 MB file, which the log would hold for the life of the process.
"""

from __future__ import annotations

import json
import sys

from fastgpt_oapi.testing import FakeFastGPT, RunContext, Turn
from fastgpt_oapi.testing.fake import RecordedRequest

from .workloads import APP_IDS, small_app, transcript


class _Unrecorded(list[RecordedRequest]):
    """A request log that keeps nothing."""

    def append(self, request: RecordedRequest) -> None:
        pass


# Answer chunks per stream of the concurrency app: a short reply, 114 events and 19 KB on the wire.
STREAM_ANSWERS = 100


def main() -> None:
    fake = FakeFastGPT()
    fake.requests = _Unrecorded()
    streamed = transcript(STREAM_ANSWERS)

    def concurrency_app(ctx: RunContext) -> Turn:
        return streamed

    fake.register_app(APP_IDS["small"], small_app, name="small")
    fake.register_app(APP_IDS["concurrency"], concurrency_app, name="concurrency")
    with fake.serve() as base_url:
        print(json.dumps({"base_url": base_url, "api_key": fake.api_key, "app_ids": APP_IDS}), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
