"""4. Memory: consuming a very long stream does not accumulate it.

Each measurement runs in a fresh interpreter (`python -m bench.memory --child ...`): set up, read a
short stream (imports, schema builds and pools all done), note the resident set, then read a stream of
`events` events generated on the fly (the source holds nothing), sampling the resident set every 1,024
events, and take the growth of the highest reading. The events are the decode benchmark's mix:
answer chunks with a node status every 2,000.

Rows: iterating only (the target: nothing kept but the compact running result), then the same
followed by `get_final_response()`, and tracemalloc's peak for the iteration (Python allocations
only, so it does not depend on how the allocator hands memory back).
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator

from fastgpt_oapi import Client
from fastgpt_oapi.api.chat.model import AnswerEvent, ChatCompletionRequest, ChatMessage

from .harness import ROOT, Row, at_most
from .workloads import CHAT_VERSION, ReplayTransport, render, transcript

__all__ = ["run"]

MB = 1024 * 1024


class _Generated:
    """A detail stream of `answers` answer chunks made on the fly from a few prepared writes."""

    def __init__(self, answers: int) -> None:
        sample = transcript(18, statuses_every=0)
        wire = render(sample, detail=True)
        # The emulator writes `event:` and `data:` apart: two chunks per event.
        head = 2 * next(i for i, (name, _) in enumerate(sample.events) if name == "answer")
        self.head = wire.chunks[:head]
        self.answers = wire.chunks[head : head + 2 * 18]
        self.status = wire.chunks[:2]
        self.tail = wire.chunks[head + 2 * 18 :]
        self.headers = wire.headers
        self.count = answers

    def __iter__(self) -> Iterator[bytes]:
        yield from self.head
        answers = self.answers
        for i in range(self.count):
            j = 2 * (i % 18)
            yield answers[j]
            yield answers[j + 1]
            if i % 2000 == 1999:
                yield from self.status
        yield from self.tail


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _rss() -> int:
    """The resident set now (Linux); elsewhere the peak so far, which can only overstate growth."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except OSError:
        return _peak_rss()


def child(events: int, final: bool, trace: bool) -> dict[str, float]:
    def client(answers: int) -> Client:
        source = _Generated(answers)
        return (
            Client.builder()
            .base_url("http://fastgpt.bench")
            .api_key("fastgpt-bench-key")
            .app_id("be0c0000000000000000000f")
            .transport(ReplayTransport(source.headers, source))
            .completions_version(CHAT_VERSION)
            .build()
        )

    sampled = 0  # the resident set, looked at every 1024 events on the way

    def consume(client: Client) -> int:
        nonlocal sampled
        request = ChatCompletionRequest(messages=[ChatMessage.user("上海天气")], detail=True)
        seen = 0
        with client.chat.chat_stream(request) as stream:
            for event in stream:
                if isinstance(event, AnswerEvent):
                    seen += 1
                    if not seen % 1024:
                        sampled = max(sampled, _rss())
            if final:
                assert len(stream.get_final_response().answer) > 0
        return seen

    short, long = client(100), client(events)
    consume(short)
    gc.collect()
    # Peak over peak: the highest resident set seen before the stream against the highest seen during
    # and after it. The kernel's own peak (ru_maxrss) lags here, below the resident set at times, so
    # the resident set is also sampled as the stream goes.
    rss_before, peak_before = _rss(), _peak_rss()
    sampled = 0
    answers = consume(long)
    rss_after, peak_after = _rss(), _peak_rss()
    assert answers >= events, answers  # events, plus the stop chunk
    traced = 0
    if trace:  # a second pass, after the RSS figure is taken: tracing slows it down and costs memory
        gc.collect()
        tracemalloc.start()
        consume(long)
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {
        "rss_growth": max(peak_after, sampled, rss_after) - max(peak_before, rss_before),
        "traced_peak": traced,
        "rss_before": rss_before,
        "peak_before": peak_before,
        "sampled": sampled,
        "rss_after": rss_after,
        "peak_after": peak_after,
    }


def _spawn(events: int, *flags: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory", "--child", "--events", str(events), *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def run(events: int = 200_000, runs: int = 3) -> list[Row]:
    iterate = [_spawn(events, *(["--trace"] if i == 0 else [])) for i in range(runs)]
    final = [_spawn(events, "--final")["rss_growth"] for _ in range(runs)]
    traced = iterate[0]["traced_peak"]
    worst = max(r["rss_growth"] for r in iterate)  # a bound: the worst run decides
    label = f"memory, {events}-event stream, iterate"
    return [
        Row(
            "4",
            label,
            f"+{worst / MB:.1f} MB peak RSS",
            target="< 20 MB",
            result="met" if worst < 20 * MB else at_most(worst / MB, 20.0),
        ),
        Row(
            "4", "  the same, then get_final_response()", f"+{max(final) / MB:.1f} MB peak RSS", result="info"
        ),
        Row("4", "  tracemalloc peak while iterating", f"{traced / MB:.1f} MB", result="info"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--final", action="store_true")
    parser.add_argument("--trace", action="store_true", help="then a second pass under tracemalloc")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.events, args.final, args.trace)))
    else:
        for row in run(args.events, runs=1):
            print(row)


if __name__ == "__main__":
    main()
