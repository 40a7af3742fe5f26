"""What the emulator keeps of what it is given, as FastGPT keeps it: uploads decoded in the encoding
FastGPT would detect (or their parse fails: never U+FFFD in a ready collection), pushed items dropped
where `pushDataListToTrainingQueue` drops them (and only there), and sources parsed by a parse task
after the create call has answered."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dataset._support import Api, Clock, upload
from http_support import run

from fastgpt_oapi import TrainingFailedError
from fastgpt_oapi.api.dataset.model import (
    CreateCollectionRequest,
    CreateDatasetRequest,
    CreateFileCollectionRequest,
    DataItem,
    ListDataRequest,
    PushDataRequest,
)
from fastgpt_oapi.testing import FakeFastGPT
from fastgpt_oapi.testing.datasets import ParseFailure, decode_text, read_upload

CAFE = "# Café crème\n\nUn café crème, s'il vous plaît: 3,50 € à la terrasse.\n"
ZH = "# 退货政策\n\n商品可在三十天内退货。损坏的商品免费更换。\n"


# ---- decoding ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (CAFE.encode("utf-8"), CAFE),
        (b"\xef\xbb\xbf" + CAFE.encode("utf-8"), CAFE),  # the mark is dropped
        (b"\xff\xfe" + CAFE.encode("utf-16-le"), CAFE),
        (b"\xfe\xff" + CAFE.encode("utf-16-be"), CAFE),
        (CAFE.encode("cp1252"), CAFE),  # jschardet's Latin-1: windows-1252, with the euro sign
        ("Ol\u00e1, S\u00e3o Paulo".encode("latin-1"), "Olá, São Paulo"),
        (ZH.encode("gbk"), ZH),
        (ZH.encode("gb18030"), ZH),
        (b"", ""),
    ],
)
def test_text_is_decoded_in_the_encoding_fastgpt_detects(raw: bytes, text: str) -> None:
    assert decode_text(raw) == text


@pytest.mark.parametrize(
    "raw",
    [
        CAFE.encode("utf-16-le"),  # no mark: NULs between the letters
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # binary
        b"\xff\xfe\x00\xd8",  # a mark, then a lone surrogate
        b"caf\x81",  # a byte Windows-1252 leaves undefined
    ],
)
def test_bytes_no_encoding_reads_as_text_are_refused(raw: bytes) -> None:
    assert decode_text(raw) is None
    assert read_upload("notes.md", raw) == ParseFailure(
        "The emulator cannot detect the text encoding of this file"
    )


def test_csv_and_html_are_decoded_before_they_are_read() -> None:
    assert read_upload("a.csv", "q,a\nCafé,crème\n".encode("cp1252")) == (
        "| q | a |\n| --- | --- |\n| Café | crème |"
    )
    assert read_upload("a.html", "<p>退货政策</p>".encode("gbk")) == "退货政策\n"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (CAFE.encode("cp1252"), CAFE),
        (b"\xff\xfe" + CAFE.encode("utf-16-le"), CAFE),
        (ZH.encode("gbk"), ZH),
    ],
    ids=["latin-1", "utf-16-bom", "gbk"],
)
async def test_an_uploaded_file_keeps_its_text_whatever_its_encoding(
    io_mode: str, raw: bytes, text: str
) -> None:
    with FakeFastGPT().client() as client:
        dataset_id = client.dataset.create_dataset(CreateDatasetRequest(name="kb")).id
        request = CreateFileCollectionRequest(dataset_id=dataset_id, file=raw, filename="menu.md")
        created = await upload(client, io_mode, request)
        detail = await run(
            io_mode,
            lambda: client.dataset.wait_for_training(created.collection_id),
            lambda: client.dataset.await_for_training(created.collection_id),
        )
        [chunk] = client.dataset.iter_data(ListDataRequest(collection_id=created.collection_id))
    assert detail.slowest_training_status == "ready"
    assert chunk.q == text.strip()
    assert "\ufffd" not in chunk.q


async def test_a_file_no_encoding_reads_fails_its_parse_instead_of_storing_garbage(io_mode: str) -> None:
    with FakeFastGPT().client() as client:
        dataset_id = client.dataset.create_dataset(CreateDatasetRequest(name="kb")).id
        request = CreateFileCollectionRequest(
            dataset_id=dataset_id, file=CAFE.encode("utf-16-le"), filename="menu.md"
        )
        created = await upload(client, io_mode, request)
        with pytest.raises(TrainingFailedError) as caught:
            await run(
                io_mode,
                lambda: client.dataset.wait_for_training(created.collection_id),
                lambda: client.dataset.await_for_training(created.collection_id),
            )
        assert list(client.dataset.iter_data(ListDataRequest(collection_id=created.collection_id))) == []
    assert caught.value.slowest_training_mode == "parse"


# ---- pushData ------------------------------------------------------------------------------------


def test_push_keeps_blank_and_repeated_items_as_fastgpt_does() -> None:
    """`pushDataListToTrainingQueue` drops only items with neither q nor imageId: nothing is trimmed
    or deduplicated, and in chunk mode nothing is too long."""
    api = Api(FakeFastGPT())
    collection = api.virtual(api.dataset())
    long = "x" * 200_000
    items = [{"q": "same"}, {"q": "same"}, {"q": "   "}, {"q": long}, {"q": ""}, {"a": "no q"}]
    assert api.push(collection, *items) == 4
    assert sorted(row["q"] for row in api.data(collection)) == sorted(["same", "same", "   ", long])


async def test_push_to_a_qa_collection_drops_items_too_long_for_the_agent_model(io_mode: str) -> None:
    """In `qa` mode an item whose q + a is over `getLLMMaxChunkSize` (128,000 characters for the
    emulator's agent model) is dropped: `inserted` is less than the items sent."""
    fake = FakeFastGPT()
    with fake.client() as client:
        dataset_id = client.dataset.create_dataset(CreateDatasetRequest(name="kb")).id
        collection_id = client.dataset.create_collection(
            CreateCollectionRequest(dataset_id=dataset_id, name="faq", type="virtual")
        ).id
        fake.datasets.collections[collection_id].settings["trainingType"] = "qa"
        items: list[DataItem | dict[str, Any]] = [
            {"q": "short", "a": "answer"},
            {"q": "q" * 100_000, "a": "a" * 28_001},
            {"q": "q" * 128_000},
        ]
        request = PushDataRequest(collection_id=collection_id, data=items)
        pushed = await run(
            io_mode, lambda: client.dataset.push_data(request), lambda: client.dataset.apush_data(request)
        )
        result = client.dataset.push_all(collection_id, items)
    assert pushed.insert_len == 2
    assert (result.items, result.inserted) == (3, 2)


def test_an_empty_file_is_a_ready_collection_with_no_chunks_as_fastgpt_answers_it() -> None:
    """FastGPT parses an empty file to "" (`rawText2Chunks` answers one empty chunk, which
    `pushDataListToTrainingQueue` drops): the parse succeeds, the collection is ready and empty."""
    api = Api(FakeFastGPT())
    answer = api.upload(
        {"data": json.dumps({"datasetId": api.dataset()})}, {"file": ("empty.md", b"", "text/markdown")}
    )
    detail = api.collection(answer.data["collectionId"])
    assert (detail["slowestTrainingStatus"], detail["hasError"], detail["rawTextLength"]) == (
        "ready",
        False,
        0,
    )
    assert api.data(answer.data["collectionId"]) == []


# ---- the parse task ------------------------------------------------------------------------------


def test_a_source_is_split_by_its_parse_task_not_by_the_create_call() -> None:
    """While the parse task runs, FastGPT has no rows for the collection (4.17.2 lists rows still
    being indexed, but the parse writes them only when it ends), and no `rawTextLength`."""
    clock = Clock()
    fake = FakeFastGPT(clock=clock, training_delay=10)
    api = Api(fake)
    text = "\n\n".join(f"# Part {n}\n\nParagraph {n} of the guide." for n in range(50))
    collection = api.text_collection(api.dataset(), text, chunkTriggerType="forceChunk")
    parsing = api.collection(collection)
    assert (parsing["slowestTrainingMode"], "rawTextLength" in parsing) == ("parse", False)
    assert api.data(collection) == []
    assert [d for d in fake.datasets.data.values() if d.collection_id == collection] == []
    clock.now += 10
    assert len(api.data(collection)) == 30
    assert api.collection(collection)["rawTextLength"] == len(text)
