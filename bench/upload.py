"""7. Upload: a 200 MiB file through `create_file_collection` over loopback, in bounded memory.

Each run is a fresh interpreter (`python -m bench.upload --child ...`) against the emulator in its own
process (`python -m bench.server`): a warm-up upload of 1 MiB (imports, pools, the multipart code),
then a thread samples the resident set every 5 ms while the file is uploaded; the growth is the
highest reading during and after the upload minus the highest before it, the worst of the runs (as
bench/memory.py measures a stream). The file is a `.pdf` of random bytes: the emulator takes a PDF
without reading it (its parse task fails, which costs nothing), so the server's share is receiving
the body and cutting the file out of it.

Contenders, run by turns (SDK, raw, SDK, raw, ...):

- fastgpt-oapi: `client.dataset.create_file_collection(CreateFileCollectionRequest(file=path, ...))`,
  which streams the file 256 KiB at a time with an exact Content-Length.
- raw: `httpx.Client.post(url, files={"file": open file}, data={"data": json})`, which httpx streams
  too (for the time and memory beside the SDK's; no target).

To show that the method sees memory that is held, one more run gives the SDK the file's bytes, read
whole before the upload.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from fastgpt_oapi import Client
from fastgpt_oapi.api.dataset.model import CreateDatasetRequest, CreateFileCollectionRequest

from .bulk import Sampler
from .harness import ROOT, Row, at_most, served
from .memory import MB, _peak_rss, _rss

__all__ = ["run"]

MiB = 1024 * 1024
UPLOAD_PATH = "/api/core/dataset/collection/create/localFile"


def _write_file(path: Path, size: int) -> None:
    block = os.urandom(MiB)
    with path.open("wb") as out:
        for written in range(0, size, MiB):
            out.write(block[: min(MiB, size - written)])


def child(
    base_url: str, api_key: str, path: Path, warm: Path, raw: bool, whole: bool = False
) -> dict[str, float]:
    """`whole`: the SDK given the file's bytes, read first (not a way to upload a big file: the check
    that the method sees memory that is held)."""
    with Client.builder().base_url(base_url).api_key(api_key).timeout(300).build() as client:
        dataset_id = client.dataset.create_dataset(CreateDatasetRequest(name="bench-upload")).id
        http = httpx.Client(timeout=300)
        headers = {"Authorization": f"Bearer {api_key}"}

        def upload(file: Path) -> str:
            if not raw:
                source = file.read_bytes() if whole and file == path else file
                request = CreateFileCollectionRequest(dataset_id=dataset_id, file=source, filename=file.name)
                return client.dataset.create_file_collection(request).collection_id
            with file.open("rb") as opened:
                response = http.post(
                    base_url + UPLOAD_PATH,
                    files={"file": (file.name, opened, "application/pdf")},
                    data={"data": json.dumps({"datasetId": dataset_id})},
                    headers=headers,
                )
            response.raise_for_status()
            body = response.json()
            assert body["code"] == 200, body
            collection_id: str = body["data"]["collectionId"]
            return collection_id

        upload(warm)
        gc.collect()
        rss_before, peak_before = _rss(), _peak_rss()
        started = time.perf_counter()
        with Sampler() as sampler:
            collection_id = upload(path)
        elapsed = time.perf_counter() - started
        peak_after = _peak_rss()
        http.close()
    assert collection_id
    return {"growth": max(peak_after, sampler.highest) - max(peak_before, rss_before), "seconds": elapsed}


def _spawn(base_url: str, api_key: str, path: Path, warm: Path, *flags: str) -> dict[str, float]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.upload",
            "--child",
            base_url,
            api_key,
            str(path),
            str(warm),
            *flags,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def run(size_mib: int = 200, runs: int = 3) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="fastgpt-bench-") as folder:
        path, warm = Path(folder) / "manual.pdf", Path(folder) / "warm-up.pdf"
        _write_file(path, size_mib * MiB)
        _write_file(warm, MiB)
        results: dict[bool, list[dict[str, float]]] = {False: [], True: []}
        with served() as server:
            for _ in range(runs):
                for raw in (False, True):
                    flags = ["--raw"] if raw else []
                    results[raw].append(_spawn(server.base_url, server.api_key, path, warm, *flags))
            whole = _spawn(server.base_url, server.api_key, path, warm, "--whole")
    ours, theirs = results[False], results[True]
    worst = max(r["growth"] for r in ours)
    label = f"upload, a {size_mib} MiB file through create_file_collection"
    return [
        Row(
            "7",
            label,
            f"+{worst / MB:.1f} MB peak RSS",
            "raw httpx files= (streams too)",
            f"+{max(r['growth'] for r in theirs) / MB:.1f} MB",
            target="< 30 MB",
            result="met" if worst < 30 * MB else at_most(worst / MB, 30.0),
        ),
        Row(
            "7",
            "  the same, time over loopback",
            f"{statistics.median(r['seconds'] for r in ours):.2f} s",
            "raw httpx files= (streams too)",
            f"{statistics.median(r['seconds'] for r in theirs):.2f} s",
            result="info",
        ),
        Row(
            "7",
            "  the method's check: the same file as bytes, read first",
            f"+{whole['growth'] / MB:.1f} MB peak RSS",
            result="info",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=4, metavar=("BASE_URL", "API_KEY", "FILE", "WARM_UP_FILE"))
    parser.add_argument("--raw", action="store_true")
    parser.add_argument("--whole", action="store_true", help="the SDK given the file's bytes")
    parser.add_argument("--size-mib", type=int, default=200)
    args = parser.parse_args()
    if args.child:
        base_url, api_key, path, warm = args.child
        print(json.dumps(child(base_url, api_key, Path(path), Path(warm), args.raw, args.whole)))
    else:
        for row in run(args.size_mib, runs=1):
            print(row)


if __name__ == "__main__":
    main()
