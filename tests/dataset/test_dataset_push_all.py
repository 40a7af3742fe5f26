"""`push_all` / `apush_all`: batching, the batches in flight, reading the items lazily, and stopping
and resuming after a failed batch, against the emulator, sync and async."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from conftest import envelope, make_client

from fastgpt_oapi import (
    Client,
    FastGPTError,
    InternalServerError,
    PushAllError,
    RequestValidationError,
)
from fastgpt_oapi.api.dataset.model import (
    CreateCollectionRequest,
    CreateDatasetRequest,
    DataIndex,
    DataItem,
    DataItemInput,
    PushAllResult,
)
from fastgpt_oapi.api.dataset.service import DEFAULT_PUSH_CONCURRENCY
from fastgpt_oapi.testing import FakeFastGPT

from ._support import InFlight, Intercept, fake_client

PUSH = "/api/core/dataset/data/pushData"
COLLECTION = "65abd0ad9d1448617cba6031"
REFUSED = {"code": 500, "statusText": "error", "message": "Mongo is down", "data": None}


class Source:
    """Numbered items `{"q": "fact <n>"}`, counting how many were pulled (sync or async)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.pulled = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for n in range(self.count):
            self.pulled += 1
            yield {"q": f"fact {n}"}

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        for n in range(self.count):
            self.pulled += 1
            yield {"q": f"fact {n}"}
            if n % 97 == 0:
                await asyncio.sleep(0)


def facts(count: int) -> list[dict[str, Any]]:
    return [{"q": f"fact {n}"} for n in range(count)]


async def push_all(
    mode: str, client: Client, collection_id: str, items: Any, **options: Any
) -> PushAllResult:
    """`push_all` or `apush_all`, as `mode` says; in async mode a `Source` is read as an async iterable."""
    if mode == "sync":
        return client.dataset.push_all(collection_id, items, **options)
    return await client.dataset.apush_all(collection_id, items, **options)


async def failing(mode: str, client: Client, collection_id: str, items: Any, **options: Any) -> PushAllError:
    with pytest.raises(PushAllError) as caught:
        await push_all(mode, client, collection_id, items, **options)
    return caught.value


def virtual_collection(fake: FakeFastGPT) -> str:
    with fake.client() as client:
        dataset = client.dataset.create_dataset(CreateDatasetRequest(name="Bulk")).id
        return client.dataset.create_collection(
            CreateCollectionRequest(dataset_id=dataset, name="facts", type="virtual")
        ).id


def stored(fake: FakeFastGPT, collection_id: str) -> list[str]:
    """The `q` of every chunk the emulator holds for the collection."""
    return [d.q for d in fake.datasets.data.values() if d.collection_id == collection_id]


def pushed_bodies(fake: FakeFastGPT) -> list[dict[str, Any]]:
    return [r.body for r in fake.requests if r.path == PUSH]


# ---- batching -----------------------------------------------------------------------------------


async def test_items_go_in_batches_of_batch_size_in_order(io_mode: str) -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)
    with fake_client(fake) as client:
        result = await push_all(io_mode, client, collection, Source(450), concurrency=1)
    bodies = pushed_bodies(fake)
    assert [len(b["data"]) for b in bodies] == [200, 200, 50]
    assert [item["q"] for b in bodies for item in b["data"]] == [f"fact {n}" for n in range(450)]
    assert all(b["collectionId"] == collection for b in bodies)
    assert result.inserted == result.items == 450
    assert [b.insert_len for b in result.batches] == [200, 200, 50]
    assert sorted(stored(fake, collection)) == sorted(f"fact {n}" for n in range(450))


async def test_a_batch_size_of_its_own_and_an_input_that_fills_the_last_batch(io_mode: str) -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)
    with fake_client(fake) as client:
        result = await push_all(io_mode, client, collection, facts(90), batch_size=30, concurrency=2)
    assert sorted(len(b["data"]) for b in pushed_bodies(fake)) == [30, 30, 30]
    assert result.items == 90
    assert len(result.batches) == 3


async def test_batches_are_reported_in_batch_order_whatever_order_they_finish_in(io_mode: str) -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)

    def first_batch_last(request: httpx.Request) -> float:
        return 0.2 if json.loads(request.content)["data"][0]["q"] == "fact 0" else 0.0

    wire = Intercept(fake, lambda request: None, pause=first_batch_last)
    with fake_client(fake, transport=wire, async_transport=wire) as client:
        result = await push_all(io_mode, client, collection, facts(10), batch_size=3, concurrency=4)
    arrived = [b["data"][0]["q"] for b in pushed_bodies(fake)]
    assert arrived[-1] == "fact 0"  # batch 0 did finish last
    assert [b.insert_len for b in result.batches] == [3, 3, 3, 1]  # batch 0 first all the same


async def test_the_push_data_fields_go_with_every_batch(io_mode: str) -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)
    with fake_client(fake) as client:
        await push_all(
            io_mode,
            client,
            collection,
            facts(5),
            batch_size=2,
            training_type="qa",
            index_size=512,
            auto_indexes=True,
            image_index=False,
            prompt="Make questions",
            bill_id="6712a0c1f0e4a1b2c3d4e5f6",
        )
    bodies = pushed_bodies(fake)
    assert len(bodies) == 3
    for body in bodies:
        assert {k: v for k, v in body.items() if k != "data"} == {
            "collectionId": collection,
            "trainingType": "qa",
            "indexSize": 512,
            "autoIndexes": True,
            "imageIndex": False,
            "prompt": "Make questions",
            "billId": "6712a0c1f0e4a1b2c3d4e5f6",
        }


async def test_data_items_and_dicts_are_sent_with_fastgpts_names(io_mode: str) -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)
    items: list[DataItemInput] = [
        DataItem(q="What is the Lumen?", a="A lamp.", chunk_index=3, indexes=[DataIndex(text="lamp")]),
        {"q": "Where is the switch?", "chunk_index": 4, "metadata": {"page": 2}},
        {"q": "Plain", "a": "pair"},
        {"q": "Plain question only"},
    ]
    with fake_client(fake) as client:
        result = await push_all(io_mode, client, collection, items)
    assert result.inserted == 4
    (body,) = pushed_bodies(fake)
    assert body["data"] == [
        {"q": "What is the Lumen?", "a": "A lamp.", "chunkIndex": 3, "indexes": [{"text": "lamp"}]},
        {"q": "Where is the switch?", "chunkIndex": 4, "metadata": {"page": 2}},
        {"q": "Plain", "a": "pair"},
        {"q": "Plain question only"},
    ]


async def test_nothing_to_push_sends_nothing(io_mode: str) -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)
    with fake_client(fake) as client:
        result = await push_all(io_mode, client, collection, [])
    assert result == PushAllResult(inserted=0, items=0, batches=[])
    assert fake.count(PUSH) == 0


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 201}, "batch_size"),
        ({"concurrency": 0}, "concurrency"),
        ({"collection_id": "not-an-id"}, "collection_id"),
        ({"training_type": "summary"}, "training_type"),
        ({"index_size": 10}, "index_size"),
    ],
)
async def test_settings_are_checked_before_anything_is_read_or_sent(
    io_mode: str, options: dict[str, Any], field: str
) -> None:
    fake = FakeFastGPT()
    options = dict(options)  # the parameters are shared by the sync and async runs
    collection = options.pop("collection_id", virtual_collection(fake))
    source = Source(10)
    with fake_client(fake) as client, pytest.raises(RequestValidationError) as caught:
        await push_all(io_mode, client, collection, source, **options)
    assert caught.value.field == field
    assert source.pulled == 0
    assert fake.count(PUSH) == 0


# ---- concurrency --------------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [None, 1, 3])
async def test_at_most_concurrency_batches_are_in_flight_and_that_many_are(
    io_mode: str, concurrency: int | None
) -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)
    width = concurrency or DEFAULT_PUSH_CONCURRENCY
    # Each request is held until one more than allowed is in flight (never, if the SDK keeps to its
    # bound), or 0.25 s: long enough for all the batches the SDK would start to be inside together.
    meter = InFlight(width + 1, patience=0.25)
    options = {} if concurrency is None else {"concurrency": concurrency}
    with fake_client(
        fake,
        transport=meter.transport(fake.transport()),
        async_transport=meter.async_transport(fake.async_transport()),
    ) as client:
        result = await push_all(io_mode, client, collection, facts(2 * width * 20), batch_size=20, **options)
    assert meter.most == width
    assert meter.seen == 2 * width
    assert result.inserted == 2 * width * 20


def test_the_default_concurrency_is_four() -> None:
    assert DEFAULT_PUSH_CONCURRENCY == 4


# ---- laziness -----------------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_million_item_generator_is_read_only_as_batches_go(io_mode: str, concurrency: int) -> None:
    source = Source(1_000_000)
    lock = threading.Lock()
    answered = 0
    overdrawn: list[tuple[int, int]] = []  # (pulled, answered) whenever the bound did not hold

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal answered
        with lock:
            # A batch is read only when fewer than `concurrency` are in flight, and a batch whose
            # answer is not back yet is still in flight.
            if source.pulled > (answered + concurrency) * 200:
                overdrawn.append((source.pulled, answered))
            if answered == 30:  # the 31st batch fails, which ends the run early
                return httpx.Response(500, json=REFUSED)
            answered += 1
        return httpx.Response(200, json=envelope({"insertLen": 200}))

    client = make_client(handler)
    error = await failing(io_mode, client, COLLECTION, source, concurrency=concurrency)
    assert overdrawn == []
    assert source.pulled <= (31 + concurrency) * 200  # nowhere near the million
    assert error.failed_batch <= 30 + concurrency


@pytest.mark.system  # a million items through the SDK: a few seconds
async def test_a_million_items_go_through_with_the_generator_read_lazily_all_the_way(io_mode: str) -> None:
    source = Source(1_000_000)
    lock = threading.Lock()
    answered = 0
    worst = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal answered, worst
        with lock:
            worst = max(worst, source.pulled - answered * 200)
            answered += 1
        return httpx.Response(200, json=envelope({"insertLen": request.content.count(b'"q":')}))

    client = make_client(handler)
    result = await push_all(io_mode, client, COLLECTION, source)
    assert result.inserted == result.items == 1_000_000
    assert len(result.batches) == 5000
    assert 0 < worst <= DEFAULT_PUSH_CONCURRENCY * 200


# ---- a failed batch, and resuming ---------------------------------------------------------------


async def test_a_failed_batch_stops_the_run_and_resume_sends_exactly_the_rest(io_mode: str) -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)
    fake.fail_next(500, REFUSED, path=PUSH, after=2)  # the third pushData
    source = Source(1000)
    with fake_client(fake) as client:
        error = await failing(io_mode, client, collection, source, concurrency=1)
        assert isinstance(error, FastGPTError)
        assert isinstance(error.__cause__, InternalServerError)
        assert error.failed_batch == 2
        assert error.failed_batches == (2,)
        assert error.resume_from == 400
        assert error.succeeded_later == ()
        assert error.inserted == 400
        assert (error.collection_id, error.batch_size) == (collection, 200)
        assert "batch 2 (items 400 to 599)" in str(error)
        assert "resume from item 400" in str(error)
        assert "Mongo is down" in str(error)
        assert fake.count(PUSH) == 3  # nothing started after the failure
        assert source.pulled == 600  # nor read
        assert len(stored(fake, collection)) == 400

        result = await push_all(io_mode, client, collection, Source(1000), concurrency=1, resume=error)
    assert result.inserted == result.items == 600
    assert len(result.batches) == 3
    assert fake.count(PUSH) == 6
    chunks = stored(fake, collection)
    assert sorted(chunks) == sorted(f"fact {n}" for n in range(1000))  # each once: no duplicates


@pytest.mark.parametrize("how", ["resume=", "by hand"])
async def test_batches_that_finish_after_the_failure_are_reported_and_not_sent_again(
    io_mode: str, how: str
) -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)
    size, total = 50, 500

    def fail_batch_1_once(request: httpx.Request) -> httpx.Response | None:
        first = json.loads(request.content)["data"][0]["q"]
        if first == f"fact {size}" and not failed_once.is_set():
            failed_once.set()
            return httpx.Response(500, json=REFUSED)
        return None  # to the emulator, 50 ms later: the other batches are still in flight

    failed_once = threading.Event()
    wire = Intercept(fake, fail_batch_1_once, pause=0.05)
    with fake_client(fake, transport=wire, async_transport=wire) as client:
        error = await failing(io_mode, client, collection, facts(total), batch_size=size, concurrency=4)
        assert error.failed_batch == 1
        assert error.resume_from == size
        # batches 0, 2 and 3 went out with batch 1, before its failure was known; they all arrive
        sent = sorted(int(b["data"][0]["q"].split()[1]) // size for b in pushed_bodies(fake))
        assert {0, 2, 3} <= set(sent)
        assert error.succeeded_later == tuple(i for i in sent if i > 1)
        assert error.inserted == len(stored(fake, collection)) == size * len(sent)
        assert f"leaving out batches {list(error.succeeded_later)}" in str(error)

        if how == "resume=":
            result = await push_all(
                io_mode, client, collection, facts(total), batch_size=size, concurrency=4, resume=error
            )
        else:  # the documented rule: from resume_from on, leaving out the batches in succeeded_later
            rest = [
                item
                for n, item in enumerate(facts(total))
                if n >= error.resume_from and n // size not in error.succeeded_later
            ]
            result = await push_all(io_mode, client, collection, rest)
    assert result.inserted == total - error.inserted
    chunks = stored(fake, collection)
    assert sorted(chunks) == sorted(f"fact {n}" for n in range(total))


async def test_a_resumed_run_that_fails_again_can_be_resumed_again(io_mode: str) -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)
    with fake_client(fake) as client:
        fake.fail_next(500, REFUSED, path=PUSH, after=1)
        first = await failing(io_mode, client, collection, facts(100), batch_size=10, concurrency=1)
        assert first.failed_batch == 1
        fake.fail_next(500, REFUSED, path=PUSH, after=3)  # batch 1, 2, 3 go; batch 4 fails
        second = await failing(
            io_mode, client, collection, facts(100), batch_size=10, concurrency=1, resume=first
        )
        assert second.failed_batch == 4
        assert second.inserted == 30  # by this call
        await push_all(io_mode, client, collection, facts(100), batch_size=10, concurrency=1, resume=second)
    assert sorted(stored(fake, collection)) == sorted(f"fact {n}" for n in range(100))


async def test_resume_needs_the_same_collection_and_batch_size(io_mode: str) -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)
    fake.fail_next(500, REFUSED, path=PUSH)
    with fake_client(fake) as client:
        error = await failing(io_mode, client, collection, facts(10), batch_size=5, concurrency=1)
        for target, batch_size in ((collection, 4), (COLLECTION, 5)):
            with pytest.raises(RequestValidationError) as caught:
                await push_all(io_mode, client, target, facts(10), batch_size=batch_size, resume=error)
            assert caught.value.field == "resume"
    assert fake.count(PUSH) == 1


async def test_an_item_that_does_not_check_fails_its_batch(io_mode: str) -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)
    items = facts(500)
    items[405] = {"q": "", "a": "an answer to no question"}
    with fake_client(fake) as client:
        error = await failing(io_mode, client, collection, items, concurrency=1)
    assert error.failed_batch == 2
    assert isinstance(error.__cause__, RequestValidationError)
    assert [p.field for p in error.__cause__.errors] == ["data.5.q"]
    assert fake.count(PUSH) == 2
    assert error.inserted == len(stored(fake, collection)) == 400


async def test_an_exception_from_the_items_fails_the_batch_being_read(io_mode: str) -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)

    def broken() -> Iterator[dict[str, Any]]:
        yield from facts(450)
        raise OSError("the export file went away")

    with fake_client(fake) as client:
        error = await failing(io_mode, client, collection, broken(), concurrency=1)
    assert error.failed_batch == 2
    assert isinstance(error.__cause__, OSError)
    assert "the export file went away" in str(error)
    assert error.inserted == 400


async def test_a_failure_at_the_first_batch_says_to_start_over() -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)
    fake.fail_next(500, REFUSED, path=PUSH)
    with fake_client(fake) as client:
        error = await failing("sync", client, collection, facts(3), concurrency=1)
    assert (error.failed_batch, error.resume_from, error.inserted) == (0, 0, 0)
    assert "Resume from item 0" in str(error)


# ---- async only ---------------------------------------------------------------------------------


async def test_apush_all_reads_an_async_iterable_lazily() -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)
    source = Source(1000)
    fake.fail_next(500, REFUSED, path=PUSH, after=1)
    with fake_client(fake) as client:
        error = await failing("async", client, collection, source.__aiter__(), concurrency=1)
    assert error.failed_batch == 1
    assert source.pulled == 400


async def test_apush_all_cancelled_cancels_its_batches_in_flight() -> None:
    fake = FakeFastGPT()
    collection = virtual_collection(fake)
    meter = InFlight(3, pause=30.0)  # once 3 are in flight, each waits 30 s more
    with fake_client(fake, async_transport=meter.async_transport(fake.async_transport())) as client:
        task = asyncio.create_task(client.dataset.apush_all(collection, facts(1000), concurrency=3))
        await asyncio.wait_for(meter.full().wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert meter.now == 0
    assert meter.seen == 3
