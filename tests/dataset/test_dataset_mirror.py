"""`mirror_folder` / `amirror_folder` against the emulator: what each run sends (counted on the
emulator), what the dataset holds after it, and runs cut off by injected failures, then run again."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest
from http_support import run, served_client

from fastgpt_oapi import (
    AuthenticationError,
    Client,
    MirrorProgress,
    MirrorResult,
    RequestValidationError,
)
from fastgpt_oapi.api.dataset.model import (
    CollectionDetail,
    CreateDatasetRequest,
    CreateFileCollectionRequest,
    GetCollectionRequest,
    ListCollectionsRequest,
)
from fastgpt_oapi.testing import FakeFastGPT

API = "/api/core/dataset/collection"
LOCAL_FILE = f"{API}/create/localFile"
DELETE = f"{API}/delete"
WRITES = (LOCAL_FILE, DELETE)


def folder(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "docs"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    root.mkdir(exist_ok=True)
    return root


FILES = {
    "intro.md": "# Intro\nWelcome.",
    "guide/install.md": "# Install\npip install fastgpt-oapi",
    "guide/faq.txt": "Q: why?\nA: because.",
}


def setup() -> tuple[FakeFastGPT, Client, str]:
    fake = FakeFastGPT()
    # Retries keep their count; their waits, which the retry tests measure, would only slow these.
    client = fake.client(configure=lambda b: b.retry_backoff(initial=0.001, maximum=0.001, jitter=0))
    return fake, client, client.dataset.create_dataset(CreateDatasetRequest(name="Docs")).id


async def mirror(mode: str, client: Client, dataset: str, root: Path, **options: object) -> MirrorResult:
    return await run(
        mode,
        lambda: client.dataset.mirror_folder(dataset, root, **options),  # type: ignore[arg-type]
        lambda: client.dataset.amirror_folder(dataset, root, **options),  # type: ignore[arg-type]
    )


def collections(client: Client, dataset: str) -> list[CollectionDetail]:
    listed = client.dataset.iter_collections(ListCollectionsRequest(dataset_id=dataset, page_size=100))
    return [client.dataset.get_collection(GetCollectionRequest(id=item.id)) for item in listed]


def names(client: Client, dataset: str) -> Counter[str]:
    return Counter(c.name for c in collections(client, dataset))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def test_the_first_run_creates_a_collection_per_file_named_by_its_path(
    io_mode: str, tmp_path: Path
) -> None:
    fake, client, dataset = setup()
    root = folder(tmp_path, {**FILES, ".hidden.md": "no", ".git/config.md": "no"})
    result = await mirror(io_mode, client, dataset, root)

    assert sorted(result.created) == ["guide/faq.txt", "guide/install.md", "intro.md"]
    assert result.summary() == {"created": 3, "updated": 0, "unchanged": 0, "deleted": 0, "failed": []}
    assert result.ok
    assert not result.dry_run
    stored = {c.name: c for c in collections(client, dataset)}
    assert set(stored) == set(FILES)  # hidden files and folders left out
    for name, text in FILES.items():
        assert stored[name].type == "file"
        assert (stored[name].metadata or {})["fastgptOapiMirror"] == {
            "sha256": sha256(text),
            "size": len(text),
        }
    assert sorted(result.collection_ids) == sorted(c.id for c in stored.values())
    # The hash goes under `metadata` and, for GridFS-era servers, `collectionMetadata` too.
    sent = json.loads(next(r for r in fake.requests if r.path == LOCAL_FILE).body["data"])
    assert sent["metadata"] == sent["collectionMetadata"]
    assert set(sent["metadata"]) == {"fastgptOapiMirror"}


async def test_a_second_run_uploads_nothing(io_mode: str, tmp_path: Path) -> None:
    fake, client, dataset = setup()
    root = folder(tmp_path, FILES)
    await mirror(io_mode, client, dataset, root)
    uploads = fake.count(LOCAL_FILE)

    again = await mirror(io_mode, client, dataset, root)
    assert fake.count(LOCAL_FILE) == uploads == 3
    assert fake.count(DELETE) == 0
    assert sorted(again.unchanged) == sorted(FILES)
    assert again.summary()["unchanged"] == 3
    assert again.collection_ids == []


async def test_a_changed_file_is_replaced_new_first_then_the_old_deleted(
    io_mode: str, tmp_path: Path
) -> None:
    fake, client, dataset = setup()
    root = folder(tmp_path, FILES)
    await mirror(io_mode, client, dataset, root)
    old = {c.name: c.id for c in collections(client, dataset)}
    (root / "intro.md").write_text("# Intro\nWelcome, again.")

    result = await mirror(io_mode, client, dataset, root)
    assert result.updated == ["intro.md"]
    assert sorted(result.unchanged) == [
        "guide/faq.txt",
        "guide/install.md",
    ]
    assert fake.count(LOCAL_FILE) == 4
    writes = [(r.path, r.body) for r in fake.requests if r.path in WRITES][3:]
    assert [path for path, _ in writes] == [LOCAL_FILE, DELETE]  # the new one first
    assert writes[1][1] == {"id": old["intro.md"]}
    stored = {c.name: c for c in collections(client, dataset)}
    assert names(client, dataset) == Counter(list(FILES))
    assert stored["intro.md"].id != old["intro.md"]
    assert result.collection_ids == [stored["intro.md"].id]
    assert stored["intro.md"].metadata["fastgptOapiMirror"]["sha256"] == sha256("# Intro\nWelcome, again.")  # type: ignore[index]


async def test_prune_deletes_only_the_mirrors_collections(io_mode: str, tmp_path: Path) -> None:
    fake, client, dataset = setup()
    root = folder(tmp_path, FILES)
    await mirror(io_mode, client, dataset, root)
    # A hand-made collection named like a file of the folder, and one like a file that will go.
    hand_made = tmp_path / "notes.md"
    hand_made.write_text("mine")
    client.dataset.create_file_collection(CreateFileCollectionRequest(dataset_id=dataset, file=hand_made))
    client.dataset.create_file_collection(
        CreateFileCollectionRequest(dataset_id=dataset, file=b"mine too", filename="intro.md")
    )
    (root / "guide" / "faq.txt").unlink()

    kept = await mirror(io_mode, client, dataset, root)  # no prune: nothing deleted
    assert kept.deleted == []
    assert fake.count(DELETE) == 0

    pruned = await mirror(io_mode, client, dataset, root, prune=True)
    assert pruned.deleted == ["guide/faq.txt"]
    assert pruned.summary() == {"created": 0, "updated": 0, "unchanged": 2, "deleted": 1, "failed": []}
    assert names(client, dataset) == Counter({"intro.md": 2, "guide/install.md": 1, "notes.md": 1})
    assert fake.count(DELETE) == 1


async def test_prune_keeps_what_the_pattern_leaves_out(io_mode: str, tmp_path: Path) -> None:
    _fake, client, dataset = setup()
    root = folder(tmp_path, FILES)
    await mirror(io_mode, client, dataset, root)
    result = await mirror(io_mode, client, dataset, root, pattern="*.md", prune=True)
    assert sorted(result.unchanged) == ["guide/install.md", "intro.md"]
    assert result.deleted == []  # guide/faq.txt is outside the pattern, not gone
    only_guide = await mirror(io_mode, client, dataset, root, pattern="guide/*", dry_run=True)
    assert sorted(only_guide.unchanged) == ["guide/faq.txt", "guide/install.md"]


async def test_a_dry_run_sends_no_write_and_says_what_would_happen(io_mode: str, tmp_path: Path) -> None:
    fake, client, dataset = setup()
    root = folder(tmp_path, FILES)
    first = await mirror(io_mode, client, dataset, root, dry_run=True)
    assert first.dry_run
    assert sorted(first.created) == sorted(FILES)
    assert first.collection_ids == []
    assert not any(r.path in WRITES for r in fake.requests)

    await mirror(io_mode, client, dataset, root)
    (root / "intro.md").write_text("changed")
    (root / "guide" / "faq.txt").unlink()
    (root / "new.md").write_text("new")
    before = len(fake.requests)
    plan = await mirror(io_mode, client, dataset, root, prune=True, dry_run=True)
    assert plan.summary() == {"created": 1, "updated": 1, "unchanged": 1, "deleted": 1, "failed": []}
    assert (plan.created, plan.updated, plan.deleted) == (["new.md"], ["intro.md"], ["guide/faq.txt"])
    assert {r.method for r in fake.requests[before:]} <= {"GET", "POST"}
    assert not any(r.path in WRITES for r in fake.requests[before:])  # reads only: listV2, detail


async def test_a_run_cut_off_by_failures_is_finished_by_the_next_with_nothing_twice(
    io_mode: str, tmp_path: Path
) -> None:
    files = {f"doc{i}.md": f"# Doc {i}\ntext {i}" for i in range(6)}
    fake, client, dataset = setup()
    root = folder(tmp_path, files)
    # The third upload is refused (nothing stored), the fifth fails after the server stored it: the
    # answer never arrives in time (a read timeout), so the client cannot know it landed.
    fake.fail_next(500, {"code": 500, "statusText": "", "message": "disk full"}, path=LOCAL_FILE, after=2)
    fake.delay_next(5.0, path=LOCAL_FILE, after=4)
    slow = fake.client(timeout=0.5, max_retries=0)
    first = await mirror(io_mode, slow, dataset, root)

    assert [f.path for f in first.failed] == ["doc2.md", "doc4.md"]
    assert first.failed[0].error == "InternalServerError"
    assert "disk full" in first.failed[0].message
    assert first.failed[1].error == "APITimeoutError"
    assert first.summary()["created"] == 4
    assert first.summary()["failed"][1]["path"] == "doc4.md"
    assert names(client, dataset) == Counter({n: 1 for n in files if n != "doc2.md"})  # doc4 landed
    assert fake.count(LOCAL_FILE) == 6  # no upload sent twice, the failed ones included

    second = await mirror(io_mode, client, dataset, root)
    assert second.created == ["doc2.md"]
    assert sorted(second.unchanged) == sorted(set(files) - {"doc2.md"})
    assert fake.count(LOCAL_FILE) == 7  # only doc2 again: doc4 is found by name and hash
    assert names(client, dataset) == Counter(dict.fromkeys(files, 1))


async def test_a_replacement_cut_off_before_the_old_was_deleted_is_finished_without_an_upload(
    io_mode: str, tmp_path: Path
) -> None:
    fake, client, dataset = setup()
    root = folder(tmp_path, FILES)
    await mirror(io_mode, client, dataset, root)
    (root / "intro.md").write_text("v2")
    fake.fail_next(503, b"", path=DELETE, times=3)  # 503 is retried: refuse every try
    broken = await mirror(io_mode, client, dataset, root)
    assert [f.path for f in broken.failed] == ["intro.md"]
    assert broken.collection_ids
    assert names(client, dataset)["intro.md"] == 2
    uploads = fake.count(LOCAL_FILE)

    fixed = await mirror(io_mode, client, dataset, root)
    assert fixed.updated == ["intro.md"]
    assert fixed.collection_ids == []
    assert fake.count(LOCAL_FILE) == uploads  # the new one was kept, not sent again
    (survivor,) = [c for c in collections(client, dataset) if c.name == "intro.md"]
    assert survivor.metadata["fastgptOapiMirror"]["sha256"] == sha256("v2")  # type: ignore[index]


async def test_a_refused_key_stops_the_run(io_mode: str, tmp_path: Path) -> None:
    fake, client, dataset = setup()
    root = folder(tmp_path, FILES)
    fake.fail_next(
        401, {"code": 514, "statusText": "unAuthApiKey", "message": "unAuthApiKey"}, path=LOCAL_FILE
    )
    with pytest.raises(AuthenticationError):
        await mirror(io_mode, client, dataset, root)
    assert fake.count(LOCAL_FILE) == 1  # stopped at the first file


async def test_a_file_fastgpt_refuses_is_failed_and_the_others_go_on(io_mode: str, tmp_path: Path) -> None:
    _fake, client, dataset = setup()
    root = folder(tmp_path, {**FILES, "build.py": "print(1)"})
    result = await mirror(io_mode, client, dataset, root)
    assert [f.path for f in result.failed] == ["build.py"]
    assert len(result.created) == 3
    assert result.failed[0].as_dict()["error"] == "BadRequestError"


async def test_progress_reports_stages_and_bytes(io_mode: str, tmp_path: Path) -> None:
    _fake, client, dataset = setup()
    root = folder(tmp_path, FILES)
    events: list[MirrorProgress] = []
    await mirror(io_mode, client, dataset, root, on_progress=events.append)
    total = sum(len(t) for t in FILES.values())
    assert events[0].stage == "plan"
    assert events[0].bytes_total == total
    assert events[0].files_total == 3
    assert events[-1].stage == "done"
    assert events[-1].bytes_done == total
    assert events[-1].files_done == 3
    uploads = [e for e in events if e.stage == "upload"]
    assert [e.bytes_done for e in uploads] == sorted(e.bytes_done for e in uploads)
    assert [e.stage for e in events if e.path == "intro.md"] == ["upload", "upload", "uploaded"]
    assert next(e for e in events if e.stage == "uploaded").collection_id

    events.clear()
    (root / "guide" / "faq.txt").unlink()
    await mirror(io_mode, client, dataset, root, prune=True, on_progress=events.append)
    assert [e.stage for e in events] == ["plan", "unchanged", "unchanged", "deleted", "done"]


async def test_a_callback_that_raises_stops_the_run(io_mode: str, tmp_path: Path) -> None:
    fake, client, dataset = setup()
    root = folder(tmp_path, FILES)

    def stop(event: MirrorProgress) -> None:
        if event.stage == "uploaded":
            raise KeyError("stop")

    with pytest.raises(KeyError):
        await mirror(io_mode, client, dataset, root, on_progress=stop)
    assert fake.count(LOCAL_FILE) == 1
    again = await mirror(io_mode, client, dataset, root)
    assert len(again.unchanged) == 1
    assert len(again.created) == 2


async def test_bad_input_is_refused_before_anything_is_sent(io_mode: str, tmp_path: Path) -> None:
    fake, client, _ = setup()
    sent = len(fake.requests)
    with pytest.raises(RequestValidationError) as caught:
        await mirror(io_mode, client, "not-an-id", tmp_path)
    assert caught.value.errors[0].field == "dataset_id"
    with pytest.raises(RequestValidationError) as caught:
        await mirror(io_mode, client, "6651f0c1a2b3c4d5e6f7a8b9", tmp_path / "missing")
    assert caught.value.errors[0].field == "folder"
    assert len(fake.requests) == sent


@pytest.mark.system  # a loopback server
async def test_over_http_a_second_run_uploads_nothing(io_mode: str, tmp_path: Path) -> None:
    fake = FakeFastGPT()
    root = folder(tmp_path, FILES)
    with fake.serve() as base_url:
        client = served_client(base_url, fake.api_key)
        try:
            dataset = client.dataset.create_dataset(CreateDatasetRequest(name="Docs")).id
            events: list[MirrorProgress] = []
            first = await mirror(io_mode, client, dataset, root, on_progress=events.append)
            second = await mirror(io_mode, client, dataset, root)
        finally:
            await client.aclose()
    assert len(first.created) == 3
    assert sorted(second.unchanged) == sorted(FILES)
    assert fake.count(LOCAL_FILE) == 3
    assert events[-1].bytes_done == sum(len(t) for t in FILES.values())
