"""`wait_for_training` / `await_for_training` against the emulator's training queue, on one test clock
shared by the client (its hooks: clock and sleeps) and the emulator (`FakeFastGPT(clock=...)`): the
SDK's sleeps move the emulator's time, and nothing really waits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import envelope, fixture_json, make_client
from http_support import run

from fastgpt_oapi import (
    APIResponseValidationError,
    APITimeoutError,
    Client,
    FastGPTError,
    RequestValidationError,
    TrainingFailedError,
)
from fastgpt_oapi.api.dataset.model import (
    CollectionDetail,
    CreateCollectionRequest,
    CreateDatasetRequest,
    CreateFileCollectionRequest,
    CreateTextCollectionRequest,
)
from fastgpt_oapi.core.http import Hooks
from fastgpt_oapi.testing import FakeFastGPT

from ._support import fake_client

# Training as FastGPT ran it before 4.17.2 (live counters, rows only once trained); 4.17.2's is in
# tests/dataset/test_dataset_417.py.
PRE_4172 = "4.17.1"

DETAIL = "/api/core/dataset/collection/detail"
COLLECTION = "65abd0ad9d1448617cba6031"


class TestClock:
    """One clock for the client and the emulator: a sleep of the client moves it on (and is noted)."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self.now = 1_780_000_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def hooks(self) -> Hooks:
        return Hooks(sleep=self.sleep, asleep=self.asleep, clock=self)


def emulator(training_delay: float) -> tuple[FakeFastGPT, TestClock, Client]:
    clock = TestClock()
    fake = FakeFastGPT(version=PRE_4172, clock=clock, training_delay=training_delay)
    return fake, clock, fake_client(fake, hooks=clock.hooks())


def dataset_of(client: Client) -> str:
    return client.dataset.create_dataset(CreateDatasetRequest(name="Manual")).id


async def wait(mode: str, client: Client, collection_id: str, **options: Any) -> CollectionDetail:
    detail: CollectionDetail  # options of type Any could fit either overload: the one id's answer
    if mode == "sync":
        detail = client.dataset.wait_for_training(collection_id, **options)
    else:
        detail = await client.dataset.await_for_training(collection_id, **options)
    return detail


async def test_an_import_is_waited_for_and_each_poll_is_reported(io_mode: str) -> None:
    fake, clock, client = emulator(training_delay=30)
    with client:
        text = "# Lumen\n\nThe Lumen lamp runs for ten hours on one charge."
        created = client.dataset.create_text_collection(
            CreateTextCollectionRequest(dataset_id=dataset_of(client), name="lumen", text=text)
        )
        started = clock.now
        seen: list[CollectionDetail] = []
        detail = await wait(io_mode, client, created.collection_id, poll_interval=5, on_progress=seen.append)
    assert clock.now - started == 30  # woke up when training ended, not later
    assert clock.sleeps == [5, 5, 5, 5, 5, 5]
    assert fake.count(DETAIL) == 7  # at 0, 5, ..., 30 s
    assert [(d.training_amount, d.active_training_amount, d.slowest_training_mode) for d in seen] == [
        (1, 1, "parse")
    ] * 6 + [(0, 0, None)]
    assert seen[-1] is detail
    assert detail.id == created.collection_id
    assert detail.slowest_training_status == "ready"
    assert detail.index_amount == 1


async def test_pushed_data_is_waited_for_too(io_mode: str) -> None:
    _, clock, client = emulator(training_delay=7)
    with client:
        virtual = client.dataset.create_collection(
            CreateCollectionRequest(dataset_id=dataset_of(client), name="faq", type="virtual")
        )
        await run(
            io_mode,
            lambda: client.dataset.push_all(virtual.id, [{"q": f"q{n}"} for n in range(250)]),
            lambda: client.dataset.apush_all(virtual.id, [{"q": f"q{n}"} for n in range(250)]),
        )
        counts: list[int] = []
        detail = await wait(
            io_mode,
            client,
            virtual.id,
            poll_interval=3,
            on_progress=lambda d: counts.append(d.training_amount),
        )
    assert counts == [250, 250, 250, 0]
    assert clock.sleeps == [3, 3, 3]  # 9 s: the poll after 7 s comes at 9
    assert detail.training_amount == 0


async def test_a_collection_done_already_takes_one_poll(io_mode: str) -> None:
    fake, clock, client = emulator(training_delay=0)
    with client:
        created = client.dataset.create_text_collection(
            CreateTextCollectionRequest(dataset_id=dataset_of(client), name="n", text="done at once")
        )
        detail = await wait(io_mode, client, created.collection_id)
    assert detail.training_amount == 0
    assert clock.sleeps == []
    assert fake.count(DETAIL) == 1


async def test_the_deadline_raises_api_timeout_error_after_a_last_poll(io_mode: str) -> None:
    fake, clock, client = emulator(training_delay=100)
    with client:
        created = client.dataset.create_text_collection(
            CreateTextCollectionRequest(dataset_id=dataset_of(client), name="slow", text="still training")
        )
        started = clock.now
        with pytest.raises(APITimeoutError) as caught:
            await wait(io_mode, client, created.collection_id, timeout=12, poll_interval=5)
    assert clock.sleeps == [5, 5, 2]  # the last wait ends at the deadline
    assert clock.now - started == 12
    assert fake.count(DETAIL) == 4  # at 0, 5, 10 and 12 s
    assert created.collection_id in str(caught.value)
    assert "after 12 s" in str(caught.value)
    assert "1 chunk(s) in training (stage: parse)" in str(caught.value)


async def test_a_failed_training_raises_training_failed_error(io_mode: str) -> None:
    _, clock, client = emulator(training_delay=10)
    with client:
        request = CreateFileCollectionRequest(
            dataset_id=dataset_of(client), file=b"%PDF-1.7 not really", filename="manual.pdf"
        )
        created = client.dataset.create_file_collection(request)  # the emulator cannot read a PDF
        seen: list[CollectionDetail] = []
        with pytest.raises(TrainingFailedError) as caught:
            await wait(io_mode, client, created.collection_id, poll_interval=4, on_progress=seen.append)
    error = caught.value
    assert isinstance(error, FastGPTError)
    assert error.collection_id == created.collection_id
    assert (error.training_amount, error.final_error_amount, error.slowest_training_mode) == (1, 1, "parse")
    assert "1 chunk(s) failed for good (stage: parse)" in str(error)
    assert [d.slowest_training_status for d in seen] == ["running"] * 3 + ["error"]
    assert clock.sleeps == [4, 4, 4]


def _detail(**training: object) -> dict[str, object]:
    body = fixture_json("dataset_collection_detail.json")
    data = body["data"]
    for key in (
        "trainingAmount",
        "activeTrainingAmount",
        "finalErrorAmount",
        "hasError",
        "slowestTrainingMode",
        "slowestTrainingStatus",
        "errorCount",
    ):
        data.pop(key)
    data.update(training)
    return envelope(data)


async def test_failures_are_reported_once_nothing_is_running_any_more(io_mode: str) -> None:
    answers = iter(
        [
            _detail(trainingAmount=5, activeTrainingAmount=3, finalErrorAmount=2, hasError=True),
            _detail(trainingAmount=2, activeTrainingAmount=0, finalErrorAmount=2, hasError=True),
        ]
    )
    client = make_client(lambda request: httpx.Response(200, json=next(answers)), sleeps=[])
    with pytest.raises(TrainingFailedError) as caught:
        await wait(io_mode, client, COLLECTION, poll_interval=0.01)
    assert caught.value.final_error_amount == 2


async def test_a_server_that_counts_only_the_whole_queue(io_mode: str) -> None:
    """Without activeTrainingAmount, what has not failed is taken as still running."""
    answers = iter([_detail(trainingAmount=3), _detail(trainingAmount=0)])
    client = make_client(lambda request: httpx.Response(200, json=next(answers)), sleeps=[])
    detail = await wait(io_mode, client, COLLECTION, poll_interval=0.01)
    assert detail.training_amount == 0


async def test_a_server_without_training_counters_cannot_be_waited_for(io_mode: str) -> None:
    client = make_client(lambda request: httpx.Response(200, json=_detail()))
    with pytest.raises(APIResponseValidationError, match="no training counters"):
        await wait(io_mode, client, COLLECTION)


@pytest.mark.parametrize(
    ("collection_id", "options", "field"),
    [
        ("not-an-id", {}, "id"),
        (COLLECTION, {"poll_interval": 0}, "poll_interval"),
        (COLLECTION, {"timeout": -1}, "timeout"),
    ],
)
async def test_settings_are_checked_before_the_first_poll(
    io_mode: str, collection_id: str, options: dict[str, float], field: str
) -> None:
    fake, _, client = emulator(training_delay=0)
    with client, pytest.raises(RequestValidationError) as caught:
        await wait(io_mode, client, collection_id, **options)
    assert caught.value.field == field
    assert fake.count(DETAIL) == 0
