"""Bad dataset requests fail before anything is sent, naming the field.

What FastGPT's schemas refuse (packages/global/openapi/core/dataset/{api.ts, collection/api.ts,
collection/createApi.ts, data/api.ts} and packages/global/core/dataset/type.ts at
f88b51b5c1e4987a2b917358339db1aa02bbc292): ids that are not ObjectIds, enums out of their sets, more
than 200 items in one pushData; and what FastGPT would silently lose (an item with neither text nor
image) or mishandle (page sizes above its caps).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import envelope, make_client
from http_support import Wire

from fastgpt_oapi import RequestValidationError
from fastgpt_oapi.api.dataset.model import (
    MAX_PUSH_ITEMS,
    CreateCollectionRequest,
    CreateDatasetRequest,
    CreateFileCollectionRequest,
    CreateLinkCollectionRequest,
    CreateTextCollectionRequest,
    DataItem,
    DeleteCollectionRequest,
    GetCollectionRequest,
    GetDataRequest,
    GetDatasetRequest,
    ListCollectionsRequest,
    ListDataRequest,
    ListDatasetsRequest,
    PushDataRequest,
    SearchTestRequest,
    SyncCollectionRequest,
    UpdateCollectionRequest,
    UpdateDataRequest,
    UpdateTrainingDataRequest,
)

from ._support import upload

DATASET = "6593e137231a2be9c5603ba7"
COLLECTION = "65abd0ad9d1448617cba6031"
NOT_AN_ID = "6593e137231a2be9c5603ba"  # 23 characters


def refused(build: Any) -> RequestValidationError:
    with pytest.raises(RequestValidationError) as caught:
        build()
    assert isinstance(caught.value, ValueError)
    return caught.value


# ---- ids ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: GetDatasetRequest(id=NOT_AN_ID), "id"),
        (lambda: GetDatasetRequest(id="zz93e137231a2be9c5603ba7"), "id"),
        (lambda: GetDatasetRequest(id=DATASET + "\n"), "id"),
        (lambda: GetCollectionRequest(id=""), "id"),
        (lambda: GetDataRequest(id=DATASET + "0"), "id"),
        (lambda: CreateDatasetRequest(name="x", parent_id=NOT_AN_ID), "parent_id"),
        (lambda: ListDatasetsRequest(parent_id="root"), "parent_id"),
        (lambda: SearchTestRequest(dataset_id=NOT_AN_ID, text="q"), "dataset_id"),
        (lambda: CreateCollectionRequest(dataset_id=NOT_AN_ID, name="n", type="folder"), "dataset_id"),
        (
            lambda: CreateTextCollectionRequest(dataset_id=DATASET, parent_id="x", name="n", text="t"),
            "parent_id",
        ),
        (lambda: ListCollectionsRequest(dataset_id=DATASET, parent_id=NOT_AN_ID), "parent_id"),
        (lambda: UpdateCollectionRequest(id=NOT_AN_ID), "id"),
        (lambda: DeleteCollectionRequest(collection_ids=[COLLECTION, NOT_AN_ID]), "collection_ids.1"),
        (lambda: SyncCollectionRequest(collection_id=NOT_AN_ID), "collection_id"),
        (lambda: PushDataRequest(collection_id=NOT_AN_ID, data=[{"q": "x"}]), "collection_id"),
        (lambda: ListDataRequest(collection_id=NOT_AN_ID), "collection_id"),
        (lambda: UpdateDataRequest(data_id=NOT_AN_ID, q="x"), "data_id"),
    ],
)
def test_ids_are_24_hex_characters(build: Any, field: str) -> None:
    error = refused(build)
    assert error.errors[0].field == field
    assert "24 hexadecimal characters" in error.errors[0].message


def test_an_empty_parent_id_means_the_top_level() -> None:
    assert CreateDatasetRequest(name="x", parent_id="").to_wire()[1] == {
        "name": "x",
        "type": "dataset",
        "parentId": "",
        "intro": "",
        "avatar": "",
    }


# ---- push_data ----------------------------------------------------------------------------------


def test_push_data_refuses_more_than_200_items() -> None:
    assert MAX_PUSH_ITEMS == 200
    PushDataRequest(collection_id=COLLECTION, data=[{"q": f"q{n}"} for n in range(200)])
    error = refused(
        lambda: PushDataRequest(collection_id=COLLECTION, data=[{"q": f"q{n}"} for n in range(201)])
    )
    assert error.field == "data"
    assert "200" in str(error)


@pytest.mark.parametrize(
    "item", [{}, {"a": "only an answer"}, {"q": ""}, {"q": None, "chunkIndex": 2}, DataItem.model_construct()]
)
def test_an_item_needs_text_or_an_image(item: Any) -> None:
    error = refused(lambda: PushDataRequest(collection_id=COLLECTION, data=[{"q": "fine"}, item]))
    assert [p.field for p in error.errors] == ["data.1.q"]
    assert "q (its text) or image_id" in error.errors[0].message


def test_an_item_with_an_image_needs_no_text() -> None:
    request = PushDataRequest(collection_id=COLLECTION, data=[{"imageId": "dataset/x/a.png"}])
    assert request.to_wire()[1] == {"collectionId": COLLECTION, "data": [{"imageId": "dataset/x/a.png"}]}


def test_dict_items_are_checked_as_data_items_and_name_index_and_field() -> None:
    error = refused(
        lambda: PushDataRequest(
            collection_id=COLLECTION,
            data=[
                {"q": "ok"},
                {"q": 5},
                {"q": "x", "chunkIndex": -1},
                {"q": "x", "indexes": [{"type": "summary"}]},
                {"q": "x", "indexes": [{"type": "nope", "text": "t"}]},
                {"q": "x", "unknown": 1},
                "not an item",  # type: ignore[list-item]
            ],
        )
    )
    assert [p.field for p in error.errors] == [
        "data.1.q",
        "data.2.chunk_index",
        "data.3.indexes.0.text",
        "data.4.indexes.0.type",
        "data.5.unknown",
        "data.6",
    ]


def test_a_data_item_model_is_checked_too() -> None:
    error = refused(lambda: DataItem(a="no question"))
    assert error.errors[0].field == "q"
    # and again in the request: its fields may have changed since
    item = DataItem(q="text")
    item.q = ""
    error = refused(lambda: PushDataRequest(collection_id=COLLECTION, data=[item]))
    assert [p.field for p in error.errors] == ["data.0.q"]


def test_push_data_enums_are_fastgpts() -> None:
    error = refused(lambda: PushDataRequest(collection_id=COLLECTION, data=[], training_type="summary"))  # type: ignore[arg-type]
    assert error.field == "training_type"


# ---- chunk settings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"training_type": "paragraph"}, "training_type"),
        ({"chunk_setting_mode": "manual"}, "chunk_setting_mode"),
        ({"chunk_split_mode": "sentence"}, "chunk_split_mode"),
        ({"paragraph_chunk_ai_mode": "always"}, "paragraph_chunk_ai_mode"),
        ({"chunk_trigger_type": "always"}, "chunk_trigger_type"),
        ({"chunk_size": 63}, "chunk_size"),
        ({"chunk_size": "big"}, "chunk_size"),
        ({"index_size": 0}, "index_size"),
        ({"paragraph_chunk_deep": 9}, "paragraph_chunk_deep"),
        ({"paragraph_chunk_deep": 0}, "paragraph_chunk_deep"),
        ({"chunk_trigger_min_size": 99}, "chunk_trigger_min_size"),
        ({"auto_indexes": "maybe"}, "auto_indexes"),
        ({"tags": "one"}, "tags"),
        ({"metadata": ["not", "a", "mapping"]}, "metadata"),
        ({"trainingMode": "chunk"}, "trainingMode"),  # not in FastGPT's collection schema
    ],
)
def test_chunk_settings_fastgpt_refuses_are_refused(settings: dict[str, Any], field: str) -> None:
    error = refused(lambda: CreateTextCollectionRequest(dataset_id=DATASET, name="n", text="t", **settings))
    assert error.field == field


def test_chunk_settings_are_checked_on_assignment_too() -> None:
    request = CreateTextCollectionRequest(dataset_id=DATASET, name="n", text="t")
    with pytest.raises(ValueError, match="chunk_size"):
        request.chunk_size = 10


@pytest.mark.parametrize("link", ["doc.fastgpt.io/intro", "ftp://doc.fastgpt.io/a", "https://", ""])
def test_a_link_is_an_http_url(link: str) -> None:
    error = refused(lambda: CreateLinkCollectionRequest(dataset_id=DATASET, link=link))
    assert error.field == "link"


def test_a_collection_is_a_folder_or_virtual() -> None:
    assert refused(lambda: CreateCollectionRequest(dataset_id=DATASET, name="n", type="file")).field == "type"  # type: ignore[arg-type]


# ---- one way or the other -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields", [{}, {"id": COLLECTION, "collection_ids": [COLLECTION]}, {"collection_ids": []}]
)
def test_delete_collection_takes_id_or_ids(fields: dict[str, Any]) -> None:
    assert refused(lambda: DeleteCollectionRequest(**fields)).field == "collection_ids"


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"name": "x"},
        {"dataset_id": DATASET},
        {"external_file_id": "ext"},
        {"id": COLLECTION, "external_file_id": "ext"},
        {"id": COLLECTION, "dataset_id": DATASET, "external_file_id": "ext"},
    ],
)
def test_update_collection_is_named_one_way(fields: dict[str, Any]) -> None:
    assert refused(lambda: UpdateCollectionRequest(**fields)).field == "external_file_id"


@pytest.mark.parametrize(
    "fields",
    [{}, {"collection_id": COLLECTION, "dataset_id": DATASET}, {"collection_id": COLLECTION, "q": "x"}],
)
def test_update_training_data_names_one_item_or_one_scope(fields: dict[str, Any]) -> None:
    assert refused(lambda: UpdateTrainingDataRequest(**fields)).field == "data_id"


@pytest.mark.parametrize("fields", [{}, {"text": "   "}, {"text": "", "query_image_urls": []}])
def test_search_test_needs_text_or_images(fields: dict[str, Any]) -> None:
    assert refused(lambda: SearchTestRequest(dataset_id=DATASET, **fields)).field == "text"


def test_search_test_takes_at_most_10_images() -> None:
    error = refused(
        lambda: SearchTestRequest(dataset_id=DATASET, query_image_urls=[f"temp/t/{n}" for n in range(11)])
    )
    assert error.field == "query_image_urls"


# ---- nothing is sent ----------------------------------------------------------------------------


def _server() -> Wire:
    return Wire(lambda request: httpx.Response(200, json=envelope({"insertLen": 1})))


async def test_a_file_that_is_not_there_fails_before_sending(io_mode: str, tmp_path: Path) -> None:
    wire = _server()
    client = make_client(wire)
    for missing in (tmp_path / "missing.pdf", tmp_path):  # no such file; a directory
        request = CreateFileCollectionRequest(dataset_id=DATASET, file=missing)
        with pytest.raises(RequestValidationError) as caught:
            await upload(client, io_mode, request)
        assert caught.value.field == "file"
        assert str(missing) in str(caught.value)
    assert wire.requests == []


async def test_bytes_need_a_filename(io_mode: str) -> None:
    wire = _server()
    request = CreateFileCollectionRequest(dataset_id=DATASET, file=b"text")
    with pytest.raises(RequestValidationError) as caught:
        await upload(make_client(wire), io_mode, request)
    assert caught.value.field == "filename"
    assert wire.requests == []


def test_file_content_is_bytes_a_path_or_a_binary_file() -> None:
    assert refused(lambda: CreateFileCollectionRequest(dataset_id=DATASET, file=42)).field == "file"  # type: ignore[arg-type]
    error = refused(
        lambda: CreateFileCollectionRequest(dataset_id=DATASET, file=b"x", content_type="text/plain\r\nX: 1")
    )
    assert error.field == "content_type"
