"""`wait_for_training([id, ...])`: several collections waited for at once, one progress for all, on the
test clock the client and the emulator share (see `test_dataset_wait_for_training.py`)."""

from __future__ import annotations

from typing import Any

import pytest
from http_support import run

from fastgpt_oapi import (
    APITimeoutError,
    Client,
    RequestValidationError,
    TrainingFailedError,
    TrainingProgress,
)
from fastgpt_oapi.api.dataset.model import (
    CollectionDetail,
    CreateFileCollectionRequest,
    CreateTextCollectionRequest,
)

from .test_dataset_wait_for_training import DETAIL, dataset_of, emulator


def text_collection(client: Client, dataset: str, name: str) -> str:
    request = CreateTextCollectionRequest(dataset_id=dataset, name=name, text=f"# {name}\n\nAbout {name}.")
    return client.dataset.create_text_collection(request).collection_id


async def wait_many(mode: str, client: Client, ids: list[str], **options: Any) -> list[CollectionDetail]:
    return await run(
        mode,
        lambda: client.dataset.wait_for_training(ids, **options),
        lambda: client.dataset.await_for_training(ids, **options),
    )


async def test_several_collections_are_waited_for_with_one_progress(io_mode: str) -> None:
    fake, clock, client = emulator(training_delay=20)
    with client:
        dataset = dataset_of(client)
        first = text_collection(client, dataset, "first")
        clock.now += 10  # the second one starts later, and ends 10 s after the first
        second = text_collection(client, dataset, "second")
        rounds: list[TrainingProgress] = []
        details = await wait_many(
            io_mode, client, [second, first], poll_interval=5, on_progress=rounds.append
        )

    assert [d.id for d in details] == [second, first]  # in the order given
    assert all(d.training_amount == 0 for d in details)
    assert [(r.finished, r.total, r.remaining) for r in rounds] == [
        (0, 2, 2),  # t=0 (10 s after the first started)
        (0, 2, 2),  # 5
        (1, 2, 1),  # 10: the first is done
        (1, 2, 1),  # 15: only the second is polled from here on
        (2, 2, 0),  # 20
    ]
    assert clock.sleeps == [5, 5, 5, 5]
    assert fake.count(DETAIL) == 2 + 2 + 2 + 1 + 1
    assert set(rounds[-1].details) == {first, second}


async def test_a_single_id_keeps_its_answer_and_its_progress(io_mode: str) -> None:
    _, _, client = emulator(training_delay=0)
    with client:
        only = text_collection(client, dataset_of(client), "only")
        seen: list[object] = []
        detail = await run(
            io_mode,
            lambda: client.dataset.wait_for_training(only, on_progress=seen.append),
            lambda: client.dataset.await_for_training(only, on_progress=seen.append),
        )
        as_list = await wait_many(io_mode, client, [only], on_progress=seen.append)
    assert isinstance(detail, CollectionDetail)
    assert isinstance(seen[0], CollectionDetail)
    assert isinstance(seen[1], TrainingProgress)
    assert [d.id for d in as_list] == [only]


async def test_one_failure_waits_for_the_others_then_raises(io_mode: str) -> None:
    _, clock, client = emulator(training_delay=10)
    with client:
        dataset = dataset_of(client)
        broken = client.dataset.create_file_collection(
            CreateFileCollectionRequest(dataset_id=dataset, file=b"%PDF-1.7 not really", filename="a.pdf")
        ).collection_id
        clock.now += 5
        fine = text_collection(client, dataset, "fine")
        rounds: list[TrainingProgress] = []
        with pytest.raises(TrainingFailedError) as caught:
            await wait_many(io_mode, client, [broken, fine], poll_interval=5, on_progress=rounds.append)
    assert caught.value.collection_id == broken
    assert rounds[-1].finished == 2  # the fine one was waited for to the end
    assert rounds[-1].details[fine].training_amount == 0


async def test_the_deadline_is_shared(io_mode: str) -> None:
    _, clock, client = emulator(training_delay=100)
    with client:
        dataset = dataset_of(client)
        ids = [text_collection(client, dataset, "a"), text_collection(client, dataset, "b")]
        with pytest.raises(APITimeoutError):
            await wait_many(io_mode, client, ids, timeout=12, poll_interval=5)
    assert clock.sleeps == [5, 5, 2]


async def test_no_ids_is_refused(io_mode: str) -> None:
    _, _, client = emulator(training_delay=0)
    with client, pytest.raises(RequestValidationError):
        await wait_many(io_mode, client, [])
