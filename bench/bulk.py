"""6. Bulk push: 100,000 items through `push_all` over loopback, against raw httpx posting the same batches.

Contenders, each with one client for the whole run, against the emulator in its own process
(`python -m bench.server`), each run into a fresh virtual collection:

- fastgpt-oapi: `client.dataset.push_all(collection_id, items)`: batches of 200 (`PushDataRequest`
  bodies), 4 in flight (its default), in worker threads over the client's pool.
- raw: a `ThreadPoolExecutor` of 4 over one `httpx.Client`, posting `{"collectionId", "data": batch}`
  with `json=` for the same 500 batches of 200, pulling a batch from the items only when fewer than 4
  are in flight, checking each answer's envelope and adding up `insertLen`.

Both read the same kind of generator: one dict (`q` and `a`, about 70 characters each) made per item
as it is pulled, so both bodies are the same JSON. The figure is client CPU per item: `time.process_time`
of this process (every thread) over the push, divided by the items. Each run checks that the
emulator holds every item (`data/v2/list`'s `total`); the collection is deleted after the run,
outside the timing. Throughput and how busy the server process was are shown too: the emulator
(which scores every chunk as it stores it) is the slow side here, so the client mostly waits.

Memory: in a fresh interpreter (`python -m bench.bulk --child`), after a warm-up push of 2,000 items,
a thread samples the resident set every 5 ms while `items` items go through `push_all` from a
generator; the growth is the highest reading during and after the push minus the highest before it,
the worst of `runs` runs (as bench/memory.py measures a stream). To show that the method sees memory
that is held, one more run pushes the same items from a list made first.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import httpx

from fastgpt_oapi import Client
from fastgpt_oapi.api.dataset.model import (
    CreateCollectionRequest,
    CreateDatasetRequest,
    DeleteCollectionRequest,
    ListDataRequest,
)

from .harness import ROOT, Row, at_most, cpu_seconds, interleave, median_ratio, served, times
from .memory import MB, _peak_rss, _rss

__all__ = ["run"]

BATCH = 200
CONCURRENCY = 4  # push_all's default; the raw contender keeps as many in flight
PUSH_PATH = "/api/core/dataset/data/pushData"


def items(count: int) -> Iterator[dict[str, Any]]:
    """FAQ-like items, made as they are pulled: nothing is held but the one being made."""
    for n in range(count):
        yield {
            "q": f"Question {n}: how long does the Lumen desk lamp run on one charge?",
            "a": f"Answer {n}: about ten hours at medium brightness, six at full brightness.",
        }


def raw_push(
    http: httpx.Client, url: str, headers: dict[str, str], collection_id: str, source: Iterator[Any]
) -> int:
    """What a user would write with httpx alone: the same batches, as many in flight, lazily read."""

    def post(batch: list[Any]) -> int:
        response = http.post(url, json={"collectionId": collection_id, "data": batch}, headers=headers)
        response.raise_for_status()
        body = response.json()
        if body.get("code") != 200:
            raise RuntimeError(f"pushData refused: {body}")
        inserted: int = body["data"]["insertLen"]
        return inserted

    inserted = 0
    exhausted = False
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        pending: set[Future[int]] = set()
        while True:
            while len(pending) < CONCURRENCY and not exhausted:
                batch = list(itertools.islice(source, BATCH))
                exhausted = len(batch) < BATCH
                if batch:
                    pending.add(pool.submit(post, batch))
            if not pending:
                return inserted
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                inserted += future.result()


def _client(base_url: str, api_key: str) -> Client:
    return Client.builder().base_url(base_url).api_key(api_key).build()


def _collection(client: Client, dataset_id: str) -> str:
    request = CreateCollectionRequest(dataset_id=dataset_id, name="bulk", type="virtual")
    return client.dataset.create_collection(request).id


def _stored(client: Client, collection_id: str) -> int:
    return client.dataset.list_data(ListDataRequest(collection_id=collection_id, page_size=1)).total


def run(count: int = 100_000, rounds: int = 5, memory_runs: int = 3) -> list[Row]:
    with served() as server:
        sdk = _client(server.base_url, server.api_key)
        raw = httpx.Client()
        url = server.base_url + PUSH_PATH
        headers = {"Authorization": f"Bearer {server.api_key}"}
        dataset_id = sdk.dataset.create_dataset(CreateDatasetRequest(name="bench")).id
        cpu: dict[str, list[float]] = {"fastgpt-oapi": [], "raw": []}
        busy: dict[str, list[float]] = {"fastgpt-oapi": [], "raw": []}

        def sdk_job(collection_id: str) -> int:
            return sdk.dataset.push_all(collection_id, items(count)).inserted

        def raw_job(collection_id: str) -> int:
            return raw_push(raw, url, headers, collection_id, items(count))

        def timed(name: str, job: Callable[[str], int]) -> Callable[[], float]:
            def measure() -> float:
                collection_id = _collection(sdk, dataset_id)
                server_before = cpu_seconds(server.pid)
                started_cpu, started = time.process_time(), time.perf_counter()
                inserted = job(collection_id)
                elapsed = time.perf_counter() - started
                cpu[name].append((time.process_time() - started_cpu) / count)
                server_after = cpu_seconds(server.pid)
                if server_before is not None and server_after is not None:
                    busy[name].append((server_after - server_before) / elapsed)
                if inserted != count or _stored(sdk, collection_id) != count:
                    raise AssertionError(f"{name}: {inserted} inserted, not {count}")
                sdk.dataset.delete_collection(DeleteCollectionRequest(id=collection_id))
                return count / elapsed

            return measure

        try:
            throughput = interleave(
                [("fastgpt-oapi", timed("fastgpt-oapi", sdk_job)), ("raw", timed("raw", raw_job))], rounds
            )
        finally:
            sdk.close()
            raw.close()
        for series in (*cpu.values(), *busy.values()):
            del series[: len(series) - rounds]  # drop the warm-up
        growth = [_spawn(server.base_url, server.api_key, count) for _ in range(memory_runs)]
        listed = _spawn(server.base_url, server.api_key, count, "--listed")
    ratio = median_ratio(cpu["fastgpt-oapi"], cpu["raw"])
    worst = max(growth)
    rows = [
        Row(
            "6",
            f"bulk push, {count} items in batches of {BATCH}, {CONCURRENCY} in flight: client CPU/item",
            f"{statistics.median(cpu['fastgpt-oapi']) * 1e6:.2f} us",
            "raw httpx posts, same batches",
            f"{statistics.median(cpu['raw']) * 1e6:.2f} us",
            times(ratio, 1.15),
            "<= 1.15x",
            at_most(ratio, 1.15),
        ),
        Row(
            "6",
            "  the same, throughput over loopback",
            f"{statistics.median(throughput['fastgpt-oapi']):.0f} items/s",
            "raw httpx posts, same batches",
            f"{statistics.median(throughput['raw']):.0f} items/s",
            times(median_ratio(throughput["fastgpt-oapi"], throughput["raw"])),
            result="info",
        ),
    ]
    if busy["raw"]:
        rows.append(
            Row(
                "6",
                "  server process busy (1.00 = one core)",
                f"{statistics.median(busy['fastgpt-oapi']):.2f}",
                "raw httpx posts, same batches",
                f"{statistics.median(busy['raw']):.2f}",
                result="info",
            )
        )
    rows.append(
        Row(
            "6",
            f"  memory, {count} items from a generator",
            f"+{worst / MB:.1f} MB peak RSS",
            target="< 30 MB",
            result="met" if worst < 30 * MB else at_most(worst / MB, 30.0),
        )
    )
    rows.append(
        Row(
            "6",
            "  the method's check: the same items as a list",
            f"+{listed / MB:.1f} MB peak RSS",
            result="info",
        )
    )
    return rows


# ---- memory, in a fresh interpreter -------------------------------------------------------------


class Sampler:
    """The highest resident set seen, read every `every` seconds by a thread while it runs."""

    def __init__(self, every: float = 0.005) -> None:
        self.every = every
        self.highest = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.highest = max(self.highest, _rss())
            self._stop.wait(self.every)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.highest = max(self.highest, _rss())


def child(base_url: str, api_key: str, count: int, listed: bool = False) -> dict[str, float]:
    """`listed`: the items as a list made before the push (what a generator spares), to check that the
    method sees memory that is held."""
    with _client(base_url, api_key) as client:
        dataset_id = client.dataset.create_dataset(CreateDatasetRequest(name="bench-memory")).id
        warm = _collection(client, dataset_id)
        client.dataset.push_all(warm, items(2_000))
        client.dataset.delete_collection(DeleteCollectionRequest(id=warm))
        collection_id = _collection(client, dataset_id)
        gc.collect()
        rss_before, peak_before = _rss(), _peak_rss()
        with Sampler() as sampler:
            source = list(items(count)) if listed else items(count)
            inserted = client.dataset.push_all(collection_id, source).inserted
            del source
        peak_after = _peak_rss()
        assert inserted == count, inserted
        client.dataset.delete_collection(DeleteCollectionRequest(id=collection_id))
    return {"growth": max(peak_after, sampler.highest) - max(peak_before, rss_before)}


def _spawn(base_url: str, api_key: str, count: int, *flags: str) -> float:
    done = subprocess.run(
        [sys.executable, "-m", "bench.bulk", "--child", base_url, api_key, "--items", str(count), *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    growth: float = json.loads(done.stdout)["growth"]
    return growth


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=2, metavar=("BASE_URL", "API_KEY"))
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--listed", action="store_true", help="the items as a list, made first")
    args = parser.parse_args()
    if args.child:
        base_url, api_key = args.child
        print(json.dumps(child(base_url, api_key, args.items, args.listed)))
    else:
        for row in run(args.items, rounds=2, memory_runs=1):
            print(row)


if __name__ == "__main__":
    main()
