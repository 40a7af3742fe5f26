"""`on_progress=` of the uploads (`create_file_collection`, `upload_dataset_file`, `client.chat.upload_file`)
and of `push_all`, through real transports: the emulator served over loopback (bytes counted as
httpx writes them to the socket) and in process; and what a callback that raises does."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from http_support import run, served_client, small_upload

from fastgpt_oapi import Client, PushAllError, RequestOption
from fastgpt_oapi.api.chat.model import UploadFileRequest
from fastgpt_oapi.api.dataset.model import (
    CreateCollectionRequest,
    CreateDatasetRequest,
    CreateFileCollectionRequest,
    ListCollectionsRequest,
    UploadDatasetFileRequest,
)
from fastgpt_oapi.core.upload import CHUNK_SIZE
from fastgpt_oapi.testing import FakeFastGPT

LOCAL_FILE = "/api/core/dataset/collection/create/localFile"


class Stop(Exception):
    pass


def text_file(tmp_path: Path, size: int, name: str = "manual.txt") -> Path:
    path = tmp_path / name
    line = b"FastGPT mirrors folders.\n"
    path.write_bytes((line * (size // len(line) + 1))[:size])
    return path


def assert_climbs(reports: list[tuple[int, int | None]], size: int) -> None:
    """From (0, size) to (size, size), never back, several steps in between."""
    assert reports[0] == (0, size)
    assert reports[-1] == (size, size)
    sent = [done for done, _ in reports]
    assert sent == sorted(sent)
    assert {total for _, total in reports} == {size}


async def create_file(
    mode: str, client: Client, request: CreateFileCollectionRequest, reports: list[tuple[int, int | None]]
) -> str:
    def note(done: int, total: int | None) -> None:
        reports.append((done, total))

    created = await run(
        mode,
        lambda: client.dataset.create_file_collection(request, on_progress=note),
        lambda: client.dataset.acreate_file_collection(request, on_progress=note),
    )
    return created.collection_id


@pytest.mark.system  # a loopback server
async def test_a_file_collection_reports_its_bytes_as_they_go_out_over_http(
    io_mode: str, tmp_path: Path
) -> None:
    size = 2 * CHUNK_SIZE + 1000
    path = text_file(tmp_path, size)
    fake = FakeFastGPT()
    reports: list[tuple[int, int | None]] = []
    with fake.serve() as base_url:
        client = served_client(base_url, fake.api_key)
        try:
            dataset = client.dataset.create_dataset(CreateDatasetRequest(name="Docs")).id
            await create_file(
                mode=io_mode,
                client=client,
                request=CreateFileCollectionRequest(dataset_id=dataset, file=path),
                reports=reports,
            )
        finally:
            await client.aclose()
    # One report per chunk written, the first before any: the file in three chunks.
    assert reports == [(0, size), (CHUNK_SIZE, size), (2 * CHUNK_SIZE, size), (size, size)]


async def test_in_process_the_same_counts_arrive(io_mode: str, tmp_path: Path) -> None:
    size = CHUNK_SIZE + 5
    path = text_file(tmp_path, size)
    fake = FakeFastGPT()
    client = fake.client()
    dataset = client.dataset.create_dataset(CreateDatasetRequest(name="Docs")).id
    reports: list[tuple[int, int | None]] = []
    await create_file(io_mode, client, CreateFileCollectionRequest(dataset_id=dataset, file=path), reports)
    assert reports == [(0, size), (CHUNK_SIZE, size), (size, size)]


@pytest.mark.system  # a loopback server
async def test_a_callback_that_raises_stops_the_upload_and_nothing_is_made_or_retried(
    io_mode: str, tmp_path: Path
) -> None:
    path = text_file(tmp_path, 3 * CHUNK_SIZE)
    fake = FakeFastGPT()
    with fake.serve() as base_url:
        client = served_client(base_url, fake.api_key)
        try:
            dataset = client.dataset.create_dataset(CreateDatasetRequest(name="Docs")).id

            def stop_after_first_chunk(done: int, total: int | None) -> None:
                if done >= CHUNK_SIZE:
                    raise Stop("cancelled by the user")

            request = CreateFileCollectionRequest(dataset_id=dataset, file=path)
            with pytest.raises(Stop, match="cancelled by the user"):
                await run(
                    io_mode,
                    lambda: client.dataset.create_file_collection(
                        request, on_progress=stop_after_first_chunk
                    ),
                    lambda: client.dataset.acreate_file_collection(
                        request, on_progress=stop_after_first_chunk
                    ),
                )
            listed = client.dataset.list_collections(ListCollectionsRequest(dataset_id=dataset))
        finally:
            await client.aclose()
    assert listed.total == 0  # FastGPT never got a whole form
    assert fake.count(LOCAL_FILE) <= 1  # cut off mid-body, and not sent again


@pytest.mark.system  # a loopback server
@pytest.mark.parametrize("multipart", [False, True], ids=["single", "multipart"])
async def test_a_chat_upload_reports_the_bytes_sent_to_storage(
    io_mode: str, multipart: bool, tmp_path: Path
) -> None:
    fake, path, data = small_upload(tmp_path, multipart=multipart)
    reports: list[tuple[int, int | None]] = []

    def note(done: int, total: int | None) -> None:
        reports.append((done, total))

    request = UploadFileRequest(chat_id="c1", content=path)
    with fake.serve() as base_url:
        client = served_client(base_url, fake.api_key, fake.app_id)
        try:
            await run(
                io_mode,
                lambda: client.chat.upload_file(request, on_progress=note),
                lambda: client.chat.aupload_file(request, on_progress=note),
            )
        finally:
            await client.aclose()
    assert_climbs(reports, len(data))
    if multipart:  # parts of 64 KiB: each part's start, then its end
        assert [done for done, _ in reports] == [0, 65536, 65536, 131072, 131072, len(data)]


@pytest.mark.system  # a loopback server
async def test_a_chat_upload_stopped_by_its_callback_is_aborted_and_raises_as_is(
    io_mode: str, tmp_path: Path
) -> None:
    fake, path, _ = small_upload(tmp_path, multipart=True)

    reports: list[int] = []

    def stop_in_part_two(done: int, total: int | None) -> None:
        reports.append(done)
        if len(reports) == 3:  # (0), part 1 written (65536), part 2 about to start (65536)
            raise Stop("enough")

    request = UploadFileRequest(chat_id="c1", content=path)
    with fake.serve() as base_url:
        client = served_client(base_url, fake.api_key, fake.app_id)
        try:
            with pytest.raises(Stop):
                await run(
                    io_mode,
                    lambda: client.chat.upload_file(request, on_progress=stop_in_part_two),
                    lambda: client.chat.aupload_file(request, on_progress=stop_in_part_two),
                )
        finally:
            await client.aclose()
    requests = list(fake.storage.requests)
    puts = sorted(len(r.body) for r in requests if r.method == "PUT")
    # Part 1 whole; part 2's headers may have gone, none of its bytes; nothing sent again.
    assert puts in ([65536], [0, 65536])
    assert [r.path.rsplit("/", 1)[-1] for r in requests if r.method == "POST"] == ["abort"]
    assert not fake.storage.objects


async def test_a_dataset_file_upload_reports_too(io_mode: str, tmp_path: Path) -> None:
    size = CHUNK_SIZE + 10
    path = text_file(tmp_path, size)
    fake = FakeFastGPT()
    client = fake.client()
    dataset = client.dataset.create_dataset(CreateDatasetRequest(name="Docs")).id
    reports: list[tuple[int, int | None]] = []

    def note(done: int, total: int | None) -> None:
        reports.append((done, total))

    request = UploadDatasetFileRequest(dataset_id=dataset, file=path)
    await run(
        io_mode,
        lambda: client.dataset.upload_dataset_file(request, on_progress=note),
        lambda: client.dataset.aupload_dataset_file(request, on_progress=note),
    )
    assert reports == [(0, size), (CHUNK_SIZE, size), (size, size)]


# ---- push_all ---------------------------------------------------------------------------------------


def virtual_collection(client: Client) -> str:
    dataset = client.dataset.create_dataset(CreateDatasetRequest(name="FAQ")).id
    return client.dataset.create_collection(
        CreateCollectionRequest(dataset_id=dataset, name="faq", type="virtual")
    ).id


async def push(mode: str, client: Client, collection: str, items: object, **options: object) -> object:
    return await run(
        mode,
        lambda: client.dataset.push_all(collection, items, **options),  # type: ignore[arg-type]
        lambda: client.dataset.apush_all(collection, items, **options),  # type: ignore[arg-type]
    )


async def test_push_all_reports_items_in_fastgpt_with_the_total_of_a_list(io_mode: str) -> None:
    fake = FakeFastGPT()
    client = fake.client()
    collection = virtual_collection(client)
    items = [{"q": f"question {i}", "a": "yes"} for i in range(450)]
    reports: list[tuple[int, int | None]] = []
    await push(
        io_mode,
        client,
        collection,
        items,
        batch_size=200,
        concurrency=1,
        on_progress=lambda d, t: reports.append((d, t)),
    )
    assert reports == [(0, 450), (200, 450), (400, 450), (450, 450)]


async def test_push_all_of_a_generator_has_no_total(io_mode: str) -> None:
    fake = FakeFastGPT()
    client = fake.client()
    collection = virtual_collection(client)
    reports: list[tuple[int, int | None]] = []
    items = ({"q": f"question {i}"} for i in range(250))
    await push(
        io_mode,
        client,
        collection,
        items,
        batch_size=100,
        concurrency=2,
        on_progress=lambda d, t: reports.append((d, t)),
    )
    assert reports[0] == (0, None)
    done = [d for d, _ in reports]
    # Batches of 100, 100 and 50, two at a time: they may be acknowledged in any order.
    assert done[0] == 0
    assert done[-1] == 250
    assert sorted(b - a for a, b in itertools.pairwise(done)) == [50, 100, 100]
    assert {t for _, t in reports} == {None}


async def test_a_push_all_callback_that_raises_stops_it_resumably_and_nothing_is_sent_twice(
    io_mode: str,
) -> None:
    fake = FakeFastGPT()
    client = fake.client()
    collection = virtual_collection(client)
    items = [{"q": f"question {i}"} for i in range(500)]

    def stop_after_two_batches(done: int, total: int | None) -> None:
        if done >= 200:
            raise Stop("closed the window")

    with pytest.raises(PushAllError) as caught:
        await push(
            io_mode,
            client,
            collection,
            items,
            batch_size=100,
            concurrency=1,
            on_progress=stop_after_two_batches,
        )
    error = caught.value
    assert isinstance(error.__cause__, Stop)
    assert error.failed_batch == 2  # batches 0 and 1 are in; nothing after them was started
    assert fake.count("/api/core/dataset/data/pushData") == 2

    reports: list[tuple[int, int | None]] = []
    await push(
        io_mode,
        client,
        collection,
        items,
        batch_size=100,
        concurrency=1,
        resume=error,
        on_progress=lambda d, t: reports.append((d, t)),
    )
    assert fake.count("/api/core/dataset/data/pushData") == 5  # 2, then the 3 left: none twice
    # The resumed run counts the batches it skipped: its bar goes on from where the first stopped.
    assert reports[0] == (0, 500)
    assert reports[-1] == (500, 500)
    assert [d for d, _ in reports][1:] == [300, 400, 500]


async def test_a_request_option_still_applies_with_progress(io_mode: str, tmp_path: Path) -> None:
    """`on_progress` is keyword-only, after `request_option`, which keeps its place."""
    path = text_file(tmp_path, 100)
    fake = FakeFastGPT()
    client = fake.client()
    dataset = client.dataset.create_dataset(CreateDatasetRequest(name="Docs")).id
    request = CreateFileCollectionRequest(dataset_id=dataset, file=path)
    option = RequestOption(headers={"X-Trace": "t1"})
    reports: list[int] = []
    await run(
        io_mode,
        lambda: client.dataset.create_file_collection(
            request, option, on_progress=lambda d, t: reports.append(d)
        ),
        lambda: client.dataset.acreate_file_collection(
            request, option, on_progress=lambda d, t: reports.append(d)
        ),
    )
    assert reports == [0, 100]
