"""`kb sync`, `kb import` and `kb wait` as a user runs them, against the served emulator."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from fastgpt_oapi.api.dataset.model import CreateCollectionRequest, CreateDatasetRequest
from fastgpt_oapi.testing import FakeFastGPT

from ._support import cli_env, run_with_terminal_stderr
from .conftest import Cli

API = "/api/core/dataset"
LOCAL_FILE = f"{API}/collection/create/localFile"
PUSH = f"{API}/data/pushData"
WRITES = (LOCAL_FILE, f"{API}/collection/delete", PUSH)


def dataset(fake: FakeFastGPT) -> str:
    with fake.client() as client:
        return client.dataset.create_dataset(CreateDatasetRequest(name="docs")).id


def virtual_collection(fake: FakeFastGPT, dataset_id: str) -> str:
    with fake.client() as client:
        request = CreateCollectionRequest(dataset_id=dataset_id, name="imported", type="virtual")
        return client.dataset.create_collection(request).id


def names(fake: FakeFastGPT, dataset_id: str) -> Counter[str]:
    return Counter(c.name for c in fake.datasets.collections.values() if c.dataset_id == dataset_id)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "handbook"
    (root / "guides").mkdir(parents=True)
    (root / "refunds.md").write_text("# Refunds\n\nRefunds take five days.\n")
    (root / "guides" / "setup.md").write_text("# Setup\n\nInstall it, then run it.\n")
    (root / "notes.txt").write_text("Plain notes.\n")
    (root / ".hidden.md").write_text("never mirrored\n")
    return root


# ---- kb sync ----


def test_sync_twice_uploads_once(connected: Cli, fake: FakeFastGPT, folder: Path) -> None:
    dataset_id = dataset(fake)
    first = connected("kb", "sync", str(folder), "--dataset", dataset_id)
    assert first.code == 0, first.stderr
    assert first.json() == {"created": 3, "updated": 0, "unchanged": 0, "deleted": 0, "failed": []}
    assert names(fake, dataset_id) == Counter({"refunds.md": 1, "guides/setup.md": 1, "notes.txt": 1})
    assert fake.count(LOCAL_FILE) == 3

    second = connected("kb", "sync", str(folder), "--dataset", dataset_id)
    assert second.json() == {"created": 0, "updated": 0, "unchanged": 3, "deleted": 0, "failed": []}
    assert fake.count(LOCAL_FILE) == 3  # the second run sent no upload

    (folder / "notes.txt").write_text("Changed notes.\n")
    third = connected("kb", "sync", str(folder), "--dataset", dataset_id, "--pattern", "*.txt")
    assert (third.json()["updated"], third.json()["unchanged"]) == (1, 0)
    assert names(fake, dataset_id)["notes.txt"] == 1


def test_a_sync_cut_off_midway_resumes_without_sending_anything_twice(
    connected: Cli, fake: FakeFastGPT, folder: Path
) -> None:
    dataset_id = dataset(fake)
    fake.fail_next(500, {"code": 500, "statusText": "", "message": "disk full"}, path=LOCAL_FILE, after=1)
    cut = connected("kb", "sync", str(folder), "--dataset", dataset_id)
    assert cut.code == 1  # a file failed
    summary = cut.json()
    assert (summary["created"], len(summary["failed"])) == (2, 1)
    assert summary["failed"][0]["error"] == "InternalServerError"

    again = connected("kb", "sync", str(folder), "--dataset", dataset_id)
    assert again.code == 0
    assert (again.json()["created"], again.json()["unchanged"]) == (1, 2)
    assert fake.count(LOCAL_FILE) == 4  # 2 stored, 1 refused, then only the refused one again
    assert set(names(fake, dataset_id).values()) == {1}  # no file has two collections


def test_prune_asks_and_refuses_without_a_terminal(connected: Cli, fake: FakeFastGPT, folder: Path) -> None:
    dataset_id = dataset(fake)
    connected("kb", "sync", str(folder), "--dataset", dataset_id)
    (folder / "notes.txt").unlink()

    refused = connected("kb", "sync", str(folder), "--dataset", dataset_id, "--prune")
    assert refused.code == 2
    assert "--yes" in refused.stderr
    assert "notes.txt" in refused.stderr
    assert names(fake, dataset_id)["notes.txt"] == 1

    dry = connected("kb", "sync", str(folder), "--dataset", dataset_id, "--prune", "--dry-run")
    assert dry.json()["deleted"] == 1
    assert names(fake, dataset_id)["notes.txt"] == 1

    done = connected("kb", "sync", str(folder), "--dataset", dataset_id, "--prune", "--yes")
    assert done.code == 0
    assert done.json() == {"created": 0, "updated": 0, "unchanged": 2, "deleted": 1, "failed": []}
    assert "notes.txt" not in names(fake, dataset_id)


def test_a_dry_run_sends_no_write(connected: Cli, fake: FakeFastGPT, folder: Path) -> None:
    dataset_id = dataset(fake)
    run = connected("kb", "sync", str(folder), "--dataset", dataset_id, "--dry-run", "-o", "text")
    assert run.code == 0
    assert run.stdout.startswith("3 would be created, 0 would be updated")
    assert sum(fake.count(path) for path in WRITES) == 0


def test_sync_wait_returns_once_trained(connected: Cli, fake: FakeFastGPT, folder: Path) -> None:
    fake.datasets.training_delay = 0.5
    dataset_id = dataset(fake)
    run = connected("kb", "sync", str(folder), "--dataset", dataset_id, "--wait", "--poll-interval", "0.1")
    assert run.code == 0, run.stderr
    chunks = [d for d in fake.datasets.data.values() if d.dataset_id == dataset_id]
    assert len(chunks) >= 3
    assert all(fake.datasets.is_ready(d) for d in chunks)


def test_sync_of_a_missing_folder_is_a_usage_error(connected: Cli, tmp_path: Path) -> None:
    run = connected("kb", "sync", str(tmp_path / "nope"), "--dataset", "a" * 24)
    assert run.code == 2


# ---- kb import ----


def write_items(path: Path, count: int) -> Path:
    path.write_text(
        "".join(json.dumps({"q": f"question {i}", "a": f"answer {i}"}) + "\n" for i in range(count))
    )
    return path


def test_import_pushes_every_line(connected: Cli, fake: FakeFastGPT, tmp_path: Path) -> None:
    collection_id = virtual_collection(fake, dataset(fake))
    items = write_items(tmp_path / "items.jsonl", 450)
    run = connected("kb", "import", str(items), "--collection", collection_id)
    assert run.code == 0, run.stderr
    assert run.json()["inserted"] == 450
    assert fake.count(PUSH) == 3
    stored = [d.q for d in fake.datasets.data.values() if d.collection_id == collection_id]
    assert sorted(stored) == sorted(f"question {i}" for i in range(450))


def test_a_failed_import_prints_the_exact_command_to_continue(
    connected: Cli, fake: FakeFastGPT, tmp_path: Path
) -> None:
    collection_id = virtual_collection(fake, dataset(fake))
    items = write_items(tmp_path / "items.jsonl", 450)
    fake.fail_next(503, {"code": 503, "statusText": "", "message": "busy"}, path=PUSH, after=1, times=3)
    cut = connected("kb", "import", str(items), "--collection", collection_id, "--concurrency", "1")
    assert cut.code == 8
    assert "--resume-from 200" in cut.stderr
    again = next(
        line.strip() for line in cut.stderr.splitlines() if line.strip().startswith("fastgpt-oapi kb import")
    )

    resumed = connected(*again.split()[1:])
    assert resumed.code == 0, resumed.stderr
    assert resumed.json()["inserted"] == 250
    stored = Counter(d.q for d in fake.datasets.data.values() if d.collection_id == collection_id)
    assert len(stored) == 450
    assert set(stored.values()) == {1}


def test_resume_skips_batches_that_landed_after_the_failure(
    connected: Cli, fake: FakeFastGPT, tmp_path: Path
) -> None:
    collection_id = virtual_collection(fake, dataset(fake))
    items = write_items(tmp_path / "items.jsonl", 500)
    # Batches 0 and 2 are in FastGPT, batch 1 is not: a concurrent run that failed on batch 1.
    lines = items.read_text().splitlines()
    for batch in (0, 2):
        part = tmp_path / f"part{batch}.jsonl"
        part.write_text("\n".join(lines[batch * 100 : (batch + 1) * 100]) + "\n")
        assert (
            connected("kb", "import", str(part), "--collection", collection_id, "--batch-size", "100").code
            == 0
        )
    pushes = fake.count(PUSH)
    run = connected(
        "kb", "import", str(items), "--collection", collection_id, "--batch-size", "100",
        "--resume-from", "100", "--skip-batches", "2",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert fake.count(PUSH) - pushes == 3  # batches 1, 3 and 4
    stored = Counter(d.q for d in fake.datasets.data.values() if d.collection_id == collection_id)
    assert len(stored) == 500
    assert set(stored.values()) == {1}


def test_a_bad_line_is_refused_before_anything_is_sent(
    connected: Cli, fake: FakeFastGPT, tmp_path: Path
) -> None:
    collection_id = virtual_collection(fake, dataset(fake))
    items = write_items(tmp_path / "items.jsonl", 300)
    with items.open("a") as out:
        out.write('{"question": "no q"}\n')
    run = connected("kb", "import", str(items), "--collection", collection_id)
    assert run.code == 5
    assert "line 301" in run.error()["message"]
    assert fake.count(PUSH) == 0
    bad_resume = connected("kb", "import", str(items), "--collection", collection_id, "--resume-from", "7")
    assert bad_resume.code == 2


# ---- kb wait ----


def test_wait_lists_the_trained_collections(connected: Cli, fake: FakeFastGPT, folder: Path) -> None:
    fake.datasets.training_delay = 0.3
    dataset_id = dataset(fake)
    synced = connected("kb", "sync", str(folder), "--dataset", dataset_id)
    assert synced.code == 0
    ids = [c.id for c in fake.datasets.collections.values() if c.dataset_id == dataset_id]
    run = connected("kb", "wait", *ids, "--poll-interval", "0.1")
    assert run.code == 0, run.stderr
    assert sorted(d["id"] for d in run.lines()) == sorted(ids)
    missing = connected("kb", "wait", "b" * 24, "--poll-interval", "0.1")
    assert missing.code in (1, 4)


def test_sync_draws_its_bars_on_a_terminals_stderr_and_keeps_stdout_clean(
    fake: FakeFastGPT, served: str, folder: Path, tmp_path: Path
) -> None:
    # stderr on a pseudo-terminal (a person watching), stdout piped: bars there, the summary here.
    fake.datasets.training_delay = 0.3
    dataset_id = dataset(fake)
    env = cli_env(tmp_path, {"FASTGPT_BASE_URL": served, "FASTGPT_API_KEY": fake.api_key})
    args = ["kb", "sync", str(folder), "--dataset", dataset_id, "--wait", "--poll-interval", "0.1"]
    done, seen = run_with_terminal_stderr(args, env)
    assert done.code == 0
    assert json.loads(done.stdout)["created"] == 3  # the data alone
    assert b"3/3 files" in seen  # the upload bar's label
    assert b"trained 3/3" in seen  # the training bar's
    assert b"\x1b[?25l" in seen  # rich's live display
