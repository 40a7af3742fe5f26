"""`client.dataset`, every endpoint sync and async through real httpx machinery: the method, path, query
and body that go over the wire, and the answer parsed field by field.

The fixtures (`tests/fixtures/dataset_*.json`) were written from FastGPT's schemas at
f88b51b5c1e4987a2b917358339db1aa02bbc292 (4.16.0-beta1): `packages/global/openapi/core/dataset/api.ts`,
`collection/api.ts`, `collection/createApi.ts` and `data/api.ts` (the request and response schemas),
`packages/global/core/dataset/type.ts` (`DatasetListItemSchema`, `DatasetItemSchema`,
`SearchDataResponseItemSchema`, `DatasetCollectionItemSchema`, `DatasetDataItemSchema`), the model
objects of `packages/global/core/ai/model.schema.ts`, the serialized `Permission` of
`packages/global/support/permission/controller.ts`, and the handlers under
`projects/app/src/pages/api/core/dataset/` (what they add: `sourceMember`, training status, `file`).
The multipart upload (`create_file_collection`) is tested in `test_dataset_file_upload.py`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from conftest import envelope, fixture_json, make_client
from endpoint_cases import Case, Fixture, check, table
from http_support import Wire, body_of, call, drain, query_of, run

from fastgpt_oapi import InternalServerError
from fastgpt_oapi.api.dataset.model import (
    CreateApiCollectionRequest,
    CreateCollectionRequest,
    CreateDatasetRequest,
    CreateFileCollectionRequest,
    CreateLinkCollectionRequest,
    CreateTextCollectionRequest,
    DataIndex,
    DataItem,
    DeleteCollectionRequest,
    DeleteDataRequest,
    DeleteDatasetRequest,
    GetCollectionRequest,
    GetCollectionTrainingDetailRequest,
    GetDataRequest,
    GetDatasetRequest,
    GetDatasetTrainingQueueRequest,
    GetQuoteDataRequest,
    GetTrainingDataDetailRequest,
    InsertDataRequest,
    ListCollectionsRequest,
    ListDataRequest,
    ListDatasetsRequest,
    PushDataRequest,
    SearchResult,
    SearchTestRequest,
    SyncCollectionRequest,
    UpdateCollectionRequest,
    UpdateDataIndex,
    UpdateDataRequest,
    UpdateTrainingDataRequest,
)
from fastgpt_oapi.testing import FakeFastGPT

DATASET = "6593e137231a2be9c5603ba7"
FOLDER = "6593e137231a2be9c5603bb0"
COLLECTION = "65abd0ad9d1448617cba6031"
DATA = "65abd0ad9d1448617cba6100"
TMB = "65422be6aa44b7da77729ec9"
TEAM = "65422be6aa44b7da77729ec8"
UTC = timezone.utc


def serve(fixture: str, headers: dict[str, str] | None = None) -> Wire:
    payload = fixture_json(fixture)
    return Wire(lambda request: httpx.Response(200, json=payload, headers=headers))


def serve_null() -> Wire:
    return Wire(lambda request: httpx.Response(200, json=envelope(None), headers={"x-request-id": "req-9"}))


def sent(wire: Wire) -> tuple[str, str, dict[str, str], Any]:
    request = wire.last
    return request.method, request.url.path, query_of(request), body_of(request)


REQUEST_ID = {"x-request-id": "req-9"}
CASES = [
    Case(
        "dataset.create_dataset",
        CreateDatasetRequest(
            name="产品手册", parent_id=FOLDER, intro="docs", vector_model="text-embedding-3-small"
        ),
        "POST /api/core/dataset/create",
        # intro, avatar and type are required by FastGPT's schema: always sent
        body={
            "name": "产品手册",
            "type": "dataset",
            "parentId": FOLDER,
            "intro": "docs",
            "avatar": "",
            "vectorModel": "text-embedding-3-small",
        },
        answer=Fixture("dataset_create.json"),
        expect={"id": DATASET},
    ),
    Case(
        "dataset.delete_dataset",
        DeleteDatasetRequest(id=DATASET),
        "DELETE /api/core/dataset/delete",
        query={"id": DATASET},
        expect={"request_id": "req-9"},
        headers=REQUEST_ID,
    ),
    Case(
        "dataset.get_dataset_training_queue",
        GetDatasetTrainingQueueRequest(dataset_id=DATASET),
        "GET /api/core/dataset/training/getDatasetTrainingQueue",
        query={"datasetId": DATASET},
        answer={"rebuildingCount": 3, "trainingCount": 12},
    ),
    Case(
        "dataset.update_collection",
        UpdateCollectionRequest(dataset_id=DATASET, external_file_id="ext-7", forbid=False),
        "POST /api/core/dataset/collection/update",
        body={"datasetId": DATASET, "externalFileId": "ext-7", "forbid": False},
        name="update_collection-by-external-file-id",
    ),
    Case(
        "dataset.delete_collection",
        DeleteCollectionRequest(id=COLLECTION),
        "POST /api/core/dataset/collection/delete",
        body={"id": COLLECTION},
        expect={"request_id": "req-9"},
        headers=REQUEST_ID,
        name="delete_collection-one-by-body",
    ),
    Case(
        "dataset.delete_collection",
        DeleteCollectionRequest(collection_ids=[COLLECTION, "65abd0ad9d1448617cba6032"]),
        "POST /api/core/dataset/collection/delete",
        body={"collectionIds": [COLLECTION, "65abd0ad9d1448617cba6032"]},
        name="delete_collection-several-by-body",
    ),
    Case(
        "dataset.sync_collection",
        SyncCollectionRequest(collection_id=COLLECTION),
        "POST /api/core/dataset/collection/sync",
        body={"collectionId": COLLECTION},
        answer=Fixture("dataset_collection_sync.json"),
        expect={"result": "success"},
    ),
    Case(
        "dataset.get_collection_training_detail",
        GetCollectionTrainingDetailRequest(collection_id=COLLECTION),
        "GET /api/core/dataset/collection/trainingDetail",
        query={"collectionId": COLLECTION},
        answer={"trainingType": "chunk", "trainingCounts": {"chunk": 2}, "trainedCount": 5},
    ),
    Case(
        "dataset.get_training_data_detail",
        GetTrainingDataDetailRequest(collection_id=COLLECTION, data_id=DATA),
        "POST /api/core/dataset/training/getTrainingDataDetail",
        body={"collectionId": COLLECTION, "dataId": DATA},
        # `GetTrainingDataDetailResponseSchema` (training/api.ts @ 09bba826)
        answer={
            "_id": DATA,
            "datasetId": DATASET,
            "collectionId": COLLECTION,
            "mode": "image",
            "q": "",
            "imagePreviewUrl": "https://example.com/image.png",
        },
    ),
    Case(
        "dataset.get_training_data_detail",
        GetTrainingDataDetailRequest(collection_id=COLLECTION, data_id=DATA, dataset_id=DATASET),
        "POST /api/core/dataset/training/getTrainingDataDetail",
        body={"collectionId": COLLECTION, "dataId": DATA, "datasetId": DATASET},
        answer={"_id": DATA, "datasetId": DATASET, "mode": "chunk", "q": "one", "a": "1"},  # @ 6398f9d4
        name="get_training_data_detail-older-server",
    ),
    Case(
        "dataset.update_training_data",
        UpdateTrainingDataRequest(data_id=DATA, collection_id=COLLECTION, q="fixed", chunk_index=2),
        "PUT /api/core/dataset/training/updateTrainingData",
        body={"dataId": DATA, "collectionId": COLLECTION, "q": "fixed", "chunkIndex": 2},
        expect={"request_id": "req-9"},
        headers=REQUEST_ID,
    ),
    Case(
        "dataset.update_training_data",
        UpdateTrainingDataRequest(dataset_id=DATASET),
        "PUT /api/core/dataset/training/updateTrainingData",
        body={"datasetId": DATASET},
        name="update_training_data-every-failed-item-of-a-dataset",
    ),
    Case(
        "dataset.delete_data",
        DeleteDataRequest(id=DATA),
        "DELETE /api/core/dataset/data/delete",
        query={"id": DATA},
        expect={"request_id": "req-9"},
        headers=REQUEST_ID,
    ),
    Case(
        "dataset.get_quote_data",
        GetQuoteDataRequest(id=DATA),
        "POST /api/core/dataset/data/getQuoteData",
        body={"id": DATA},
        # `GetQuoteDataResponseSchema`: q, a and the stored collection (`DatasetCollectionSchema`)
        answer={
            "q": "What is FastGPT?",
            "a": "A platform.",
            "collection": {"_id": COLLECTION, "datasetId": DATASET, "type": "virtual", "name": "manual"},
        },
    ),
]


@table(CASES)
async def test_wire(case: Case, way: str) -> None:
    await check(case, way)


# ---- datasets -----------------------------------------------------------------------------------


async def test_list_datasets(io_mode: str) -> None:
    wire = serve("dataset_list.json")
    service = make_client(wire).dataset
    request = ListDatasetsRequest.builder().parent_id(FOLDER).type("dataset").search_key("手册").build()

    page = await run(io_mode, lambda: service.list_datasets(request), lambda: service.alist_datasets(request))

    # FastGPT reads these from the body only (its docs' ?parentId= is ignored)
    assert sent(wire) == (
        "POST",
        "/api/core/dataset/list",
        {},
        {"parentId": FOLDER, "type": "dataset", "searchKey": "手册"},
    )
    first, second = page.list
    assert first.id == DATASET
    assert first.tmb_id == TMB
    assert first.avatar == "core/dataset/commonDatasetColor"
    assert first.update_time == datetime(2026, 7, 30, 3, 29, 5, 779000, tzinfo=UTC)
    assert (first.name, first.intro, first.type) == ("产品手册", "FastGPT 产品文档", "dataset")
    assert first.permission is not None
    assert first.permission.role == 4294967295
    assert first.permission.is_owner is True
    assert first.permission.has_write_per is True
    assert first.permission.model_extra is not None
    assert first.permission.model_extra["perList"] == {"read": 4, "write": 2, "manage": 1}  # kept
    assert first.vector_model is not None
    assert first.vector_model.model == "text-embedding-3-small"
    assert first.vector_model.type == "embedding"
    assert first.vector_model.max_token == 3000
    assert first.vector_model.default_token == 512
    assert first.vector_model.model_extra == {
        "avatar": "/imgs/model/openai.svg",
        "isActive": True,
        "isCustom": False,
        "isDefault": True,
        "charsPointsPrice": 0,
        "weight": 100,
        "normalization": False,
    }
    assert first.inherit_permission is True
    assert first.private is False
    assert first.source_member is not None
    assert (first.source_member.name, first.source_member.status) == ("Owner", "active")
    assert second.id == FOLDER
    assert second.type == "folder"
    assert second.permission is not None
    assert (second.permission.is_owner, second.permission.has_read_per) == (False, True)
    assert second.private is True
    assert second.source_member is not None
    assert (second.source_member.avatar, second.source_member.status) == (None, "leave")


async def test_list_datasets_at_the_top_level_sends_an_empty_body(io_mode: str) -> None:
    wire = Wire(lambda request: httpx.Response(200, json=envelope([])))
    service = make_client(wire).dataset
    page = await run(
        io_mode,
        lambda: service.list_datasets(ListDatasetsRequest()),
        lambda: service.alist_datasets(ListDatasetsRequest()),
    )
    assert sent(wire) == ("POST", "/api/core/dataset/list", {}, {})
    assert page.list == []


async def test_get_dataset(io_mode: str) -> None:
    wire = serve("dataset_detail.json")
    service = make_client(wire).dataset
    request = GetDatasetRequest(id=DATASET)

    dataset = await run(io_mode, lambda: service.get_dataset(request), lambda: service.aget_dataset(request))

    assert sent(wire) == ("GET", "/api/core/dataset/detail", {"id": DATASET}, None)
    assert dataset.id == DATASET
    assert dataset.parent_id is None
    assert (dataset.team_id, dataset.tmb_id) == (TEAM, TMB)
    assert (dataset.name, dataset.type, dataset.status) == ("产品手册", "dataset", "active")
    assert dataset.inherit_permission is True
    assert dataset.auto_sync is False
    assert dataset.update_time == datetime(2026, 7, 30, 3, 29, 5, 779000, tzinfo=UTC)
    assert dataset.vector_model is not None
    assert dataset.vector_model.model == "text-embedding-3-small"
    assert dataset.agent_model is not None
    assert (dataset.agent_model.model, dataset.agent_model.type) == ("gpt-4o-mini", "llm")
    assert (dataset.agent_model.max_context, dataset.agent_model.max_response) == (128000, 16000)
    assert dataset.agent_model.vision is True
    assert dataset.vlm_model is not None
    assert dataset.vlm_model.model == "gpt-4o"
    settings = dataset.chunk_settings
    assert settings is not None
    assert (settings.training_type, settings.chunk_setting_mode, settings.chunk_split_mode) == (
        "chunk",
        "custom",
        "paragraph",
    )
    assert (settings.chunk_trigger_type, settings.chunk_trigger_min_size) == ("minSize", 1000)
    assert settings.paragraph_chunk_ai_mode == "forbid"  # wire name paragraphChunkAIMode
    assert (settings.paragraph_chunk_deep, settings.paragraph_chunk_min_size) == (5, 100)
    assert (settings.chunk_size, settings.index_size) == (1000, 512)
    assert (settings.auto_indexes, settings.image_index, settings.index_prefix_title) == (False, False, True)
    assert dataset.permission is not None
    assert dataset.permission.is_owner is True
    assert dataset.website_config is None
    assert dataset.api_dataset_server is None
    assert dataset.model_extra == {"deleteTime": None}


async def test_the_emulator_counts_a_datasets_training_queue(io_mode: str) -> None:
    now = [1_790_000_000.0]
    async with FakeFastGPT(clock=lambda: now[0], training_delay=20).client() as client:
        dataset_id = client.dataset.create_dataset(CreateDatasetRequest(name="kb")).id
        other_id = client.dataset.create_dataset(CreateDatasetRequest(name="other")).id
        for name in ("a", "b"):
            text = CreateTextCollectionRequest(dataset_id=dataset_id, name=name, text="one.\n\ntwo.")
            client.dataset.create_text_collection(text)
        queue = client.dataset.get_dataset_training_queue
        mine = GetDatasetTrainingQueueRequest(dataset_id=dataset_id)
        parsing = await call(io_mode, queue, mine)
        elsewhere = await call(io_mode, queue, GetDatasetTrainingQueueRequest(dataset_id=other_id))
        now[0] += 20
        done = await call(io_mode, queue, mine)
        binary = CreateFileCollectionRequest(dataset_id=dataset_id, file=b"\x00\xff", filename="a.txt")
        client.dataset.create_file_collection(binary)
        now[0] += 20
        failed = await call(io_mode, queue, mine)
    assert (parsing.training_count, parsing.rebuilding_count, elsewhere.training_count) == (2, 0, 0)
    assert (done.training_count, failed.training_count) == (0, 1)


async def test_search_test(io_mode: str) -> None:
    wire = serve("dataset_search_test.json")
    service = make_client(wire).dataset
    request = SearchTestRequest(
        dataset_id=DATASET,
        text="铃芽之旅的导演",
        limit=5000,
        similarity=0.4,
        search_mode="mixedRecall",
        embedding_weight=0.5,
        using_re_rank=False,
        dataset_search_using_extension_query=True,
        dataset_search_extension_model="gpt-4o-mini",
        dataset_search_extension_bg="Movies",
    )

    found = await run(io_mode, lambda: service.search_test(request), lambda: service.asearch_test(request))

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/searchTest",
        {},
        {
            "datasetId": DATASET,
            "text": "铃芽之旅的导演",
            "similarity": 0.4,
            "limit": 5000,
            "searchMode": "mixedRecall",
            "embeddingWeight": 0.5,
            "usingReRank": False,
            "datasetSearchUsingExtensionQuery": True,
            "datasetSearchExtensionModel": "gpt-4o-mini",
            "datasetSearchExtensionBg": "Movies",
        },
    )
    assert (found.duration, found.duration_seconds) == ("0.312s", 0.312)
    assert (found.limit, found.search_mode, found.using_re_rank, found.similarity) == (
        5000,
        "mixedRecall",
        False,
        0.4,
    )
    assert found.query_extension_model is None
    first, second = found.list
    assert isinstance(first, SearchResult)
    assert first.id == DATA
    assert (first.dataset_id, first.collection_id) == (DATASET, COLLECTION)
    assert (first.q, first.a) == ("铃芽之旅的导演是谁？", "新海诚。")
    assert first.update_time == "2026-07-29T03:22:19.950Z"
    assert (first.source_name, first.source_id) == (
        "电影资料.txt",
        "dataset/6593e137231a2be9c5603ba7/mov.txt",
    )
    assert first.chunk_index == 3
    assert [(s.type, s.value, s.index) for s in first.score] == [
        ("embedding", 0.8713, 0),
        ("fullText", 1.2, 1),
        ("rrf", 0.0325, 0),
    ]
    assert first.metadata == {"lang": "zh"}
    assert second.a is None
    assert second.image_id == "dataset/6593e137231a2be9c5603ba7/poster.png"
    assert second.image_preivew_url == "https://fastgpt.example.com/api/system/file/d/abc.exp.sig"
    assert [(s.type, s.value) for s in second.score] == [("embedding", 0.51)]


async def test_search_test_by_images_alone(io_mode: str) -> None:
    wire = serve("dataset_search_test.json")
    service = make_client(wire).dataset
    request = SearchTestRequest(dataset_id=DATASET, query_image_urls=["temp/team/search.png"])
    await run(io_mode, lambda: service.search_test(request), lambda: service.asearch_test(request))
    assert body_of(wire.last) == {"datasetId": DATASET, "queryImageUrls": ["temp/team/search.png"]}


# ---- collections --------------------------------------------------------------------------------


async def test_the_emulator_queues_a_training_item_again_edited(io_mode: str) -> None:
    now = [1_790_000_000.0]
    async with FakeFastGPT(clock=lambda: now[0], training_delay=20).client() as client:
        dataset_id = client.dataset.create_dataset(CreateDatasetRequest(name="kb")).id
        manual = CreateCollectionRequest(dataset_id=dataset_id, name="manual", type="virtual")
        collection_id = client.dataset.create_collection(manual).id
        client.dataset.push_data(PushDataRequest(collection_id=collection_id, data=[DataItem(q="one")]))
        data_id = client.dataset.list_data(ListDataRequest(collection_id=collection_id)).list[0].id
        update, of = client.dataset.update_training_data, UpdateTrainingDataRequest
        now[0] += 10
        await call(io_mode, update, of(data_id=data_id, q="fixed", a="1", chunk_index=3))
        now[0] += 15  # past the first training's end, not the second's
        detail = GetTrainingDataDetailRequest(collection_id=collection_id, data_id=data_id)
        queued = client.dataset.get_training_data_detail(detail)
        now[0] += 5
        trained = client.dataset.get_data(GetDataRequest(id=data_id))
        with pytest.raises(InternalServerError, match="data not found"):
            await call(io_mode, update, of(data_id=data_id))
        binary = CreateFileCollectionRequest(dataset_id=dataset_id, file=b"\x00\xff", filename="a.txt")
        broken = client.dataset.create_file_collection(binary).collection_id
        now[0] += 20
        await call(io_mode, update, of(dataset_id=dataset_id))
        training = GetCollectionTrainingDetailRequest(collection_id=broken)
        retried = client.dataset.get_collection_training_detail(training)
    assert (queued.id, queued.q, queued.a) == (data_id, "fixed", "1")
    assert (trained.q, trained.a, trained.chunk_index) == ("fixed", "1", 3)
    assert (retried.training_counts["parse"], sum(retried.error_counts.values())) == (1, 0)


async def test_the_emulator_answers_a_training_item_while_it_trains(io_mode: str) -> None:
    now = [1_790_000_000.0]
    async with FakeFastGPT(clock=lambda: now[0], training_delay=20).client() as client:
        dataset_id = client.dataset.create_dataset(CreateDatasetRequest(name="kb")).id
        manual = CreateCollectionRequest(dataset_id=dataset_id, name="manual", type="virtual")
        collection_id = client.dataset.create_collection(manual).id
        push = PushDataRequest(collection_id=collection_id, data=[DataItem(q="one", a="1")])
        client.dataset.push_data(push)
        data_id = client.dataset.list_data(ListDataRequest(collection_id=collection_id)).list[0].id
        get, of = client.dataset.get_training_data_detail, GetTrainingDataDetailRequest
        queued = await call(io_mode, get, of(collection_id=collection_id, data_id=data_id))
        unknown = await call(io_mode, get, of(collection_id=collection_id, data_id=DATA))
        now[0] += 20
        trained = await call(io_mode, get, of(collection_id=collection_id, data_id=data_id))
    assert (queued.id, queued.dataset_id, queued.collection_id) == (data_id, dataset_id, collection_id)
    assert (queued.mode, queued.q, queued.a, queued.image_preview_url) == ("chunk", "one", "1", None)
    assert (unknown.id, unknown.mode, trained.id, trained.q) == ("", None, "", None)


async def test_the_emulator_counts_training_tasks_by_mode(io_mode: str) -> None:
    now = [1_790_000_000.0]
    async with FakeFastGPT(clock=lambda: now[0], training_delay=20).client() as client:
        dataset_id = client.dataset.create_dataset(CreateDatasetRequest(name="kb")).id
        first, second = (
            client.dataset.create_text_collection(
                CreateTextCollectionRequest(dataset_id=dataset_id, name=name, text="one.\n\ntwo.")
            ).collection_id
            for name in ("a", "b")
        )
        get, of = client.dataset.get_collection_training_detail, GetCollectionTrainingDetailRequest
        parsing = await call(io_mode, get, of(collection_id=first))
        behind = await call(io_mode, get, of(collection_id=second))
        now[0] += 20
        done = await call(io_mode, get, of(collection_id=first))
        binary = CreateFileCollectionRequest(dataset_id=dataset_id, file=b"\x00\xff", filename="a.txt")
        broken = client.dataset.create_file_collection(binary).collection_id
        reading = await call(io_mode, get, of(collection_id=broken))
        now[0] += 20
        failed = await call(io_mode, get, of(collection_id=broken))
    assert (parsing.training_type, parsing.training_counts["parse"], parsing.trained_count) == ("chunk", 1, 0)
    assert (sum(parsing.queued_counts.values()), behind.queued_counts["parse"]) == (0, 1)
    assert (sum(done.training_counts.values()), done.trained_count) == (0, 1)
    assert (reading.training_counts["parse"], sum(reading.error_counts.values())) == (1, 0)
    assert (failed.error_counts["parse"], sum(failed.training_counts.values())) == (1, 0)


async def test_create_collection(io_mode: str) -> None:
    wire = serve("dataset_collection_create.json")
    service = make_client(wire).dataset
    request = CreateCollectionRequest(
        dataset_id=DATASET, name="Manual", type="virtual", parent_id=COLLECTION, tags=["docs"]
    )

    created = await run(
        io_mode, lambda: service.create_collection(request), lambda: service.acreate_collection(request)
    )

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/collection/create",
        {},
        {"datasetId": DATASET, "name": "Manual", "type": "virtual", "parentId": COLLECTION, "tags": ["docs"]},
    )
    assert created.id == "65abcd009d1448617cba5f40"


async def test_create_text_collection_with_chunk_settings(io_mode: str) -> None:
    wire = serve("dataset_collection_create_result.json")
    service = make_client(wire).dataset
    request = (
        CreateTextCollectionRequest.builder()
        .dataset_id(DATASET)
        .name("notes")
        .text("第一段。\n\n第二段。")
        .parent_id("")
        .tags(["电影"])
        .metadata({"source": "sdk"})
        .training_type("qa")
        .qa_prompt("Make Q&A pairs")
        .chunk_setting_mode("custom")
        .chunk_split_mode("char")
        .chunk_splitter("\n\n")
        .chunk_size(512)
        .index_size(256)
        .paragraph_chunk_ai_mode("auto")
        .paragraph_chunk_deep(3)
        .paragraph_chunk_min_size(50)
        .chunk_trigger_type("forceChunk")
        .chunk_trigger_min_size(200)
        .data_enhance_collection_name(True)
        .auto_indexes(True)
        .image_index(False)
        .index_prefix_title(True)
        .custom_pdf_parse(False)
        .build()
    )

    created = await run(
        io_mode,
        lambda: service.create_text_collection(request),
        lambda: service.acreate_text_collection(request),
    )

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/collection/create/text",
        {},
        {
            "datasetId": DATASET,
            "parentId": "",
            "tags": ["电影"],
            "metadata": {"source": "sdk"},
            "customPdfParse": False,
            "trainingType": "qa",
            "chunkTriggerType": "forceChunk",
            "chunkTriggerMinSize": 200,
            "dataEnhanceCollectionName": True,
            "imageIndex": False,
            "autoIndexes": True,
            "indexPrefixTitle": True,
            "chunkSettingMode": "custom",
            "chunkSplitMode": "char",
            "paragraphChunkAIMode": "auto",  # FastGPT's spelling, not camelCase of the field
            "paragraphChunkDeep": 3,
            "paragraphChunkMinSize": 50,
            "chunkSize": 512,
            "chunkSplitter": "\n\n",
            "indexSize": 256,
            "qaPrompt": "Make Q&A pairs",
            "name": "notes",
            "text": "第一段。\n\n第二段。",
        },
    )
    assert created.collection_id == COLLECTION
    assert created.results.insert_len == 5


async def test_create_link_collection(io_mode: str) -> None:
    wire = serve("dataset_collection_create_result.json")
    service = make_client(wire).dataset
    link = "https://doc.fastgpt.io/docs/intro"  # sent exactly as given: no trailing slash added
    request = CreateLinkCollectionRequest(
        dataset_id=DATASET, link=link, metadata={"webPageSelector": "main"}, training_type="chunk"
    )

    created = await run(
        io_mode,
        lambda: service.create_link_collection(request),
        lambda: service.acreate_link_collection(request),
    )

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/collection/create/link",
        {},
        {
            "datasetId": DATASET,
            "metadata": {"webPageSelector": "main"},
            "trainingType": "chunk",
            "link": link,
        },
    )
    assert (created.collection_id, created.results.insert_len) == (COLLECTION, 5)


async def test_create_api_collection_reads_the_old_answer(io_mode: str) -> None:
    wire = serve("dataset_collection_create_result.json")  # FastGPT 4.8.15 - 4.10
    service = make_client(wire).dataset
    request = CreateApiCollectionRequest(dataset_id=DATASET, name="Guide.md", api_file_id="file-42")

    created = await run(
        io_mode,
        lambda: service.create_api_collection(request),
        lambda: service.acreate_api_collection(request),
    )

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/collection/create/apiCollection",
        {},
        {"datasetId": DATASET, "name": "Guide.md", "apiFileId": "file-42"},
    )
    assert created.collection_id == COLLECTION
    assert created.results is not None
    assert created.results.insert_len == 5


async def test_create_api_collection_reads_the_null_answer(io_mode: str) -> None:
    wire = serve_null()  # FastGPT >= 4.10.1: the V1 path answers data: null
    service = make_client(wire).dataset
    request = CreateApiCollectionRequest(dataset_id=DATASET, name="Guide.md", api_file_id="file-42")

    created = await run(
        io_mode,
        lambda: service.create_api_collection(request),
        lambda: service.acreate_api_collection(request),
    )

    assert (created.collection_id, created.results, created.request_id) == (None, None, "req-9")


async def test_list_collections(io_mode: str) -> None:
    wire = serve("dataset_collection_list.json")
    service = make_client(wire).dataset
    request = ListCollectionsRequest(
        dataset_id=DATASET,
        parent_id=FOLDER,
        search_text="电影",
        select_folder=False,
        filter_tags=["tag-1"],
        simple=True,
        offset=20,
        page_size=100,
    )

    page = await run(
        io_mode, lambda: service.list_collections(request), lambda: service.alist_collections(request)
    )

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/collection/listV2",
        {},
        {
            "datasetId": DATASET,
            "parentId": FOLDER,
            "searchText": "电影",
            "selectFolder": False,
            "filterTags": ["tag-1"],
            "simple": True,
            "offset": 20,
            "pageSize": 100,
        },
    )
    assert page.total == 2
    ready, failing = page.list
    assert ready.id == COLLECTION
    assert (ready.parent_id, ready.tmb_id) == (None, TMB)
    assert (ready.name, ready.type, ready.training_type) == ("电影资料.txt", "file", "chunk")
    assert ready.create_time == datetime(2026, 7, 29, 3, 22, 19, 950000, tzinfo=UTC)
    assert ready.update_time == datetime(2026, 7, 29, 3, 22, 19, 950000, tzinfo=UTC)
    assert ready.forbid is False
    assert ready.file_id == "dataset/6593e137231a2be9c5603ba7/mov.txt"
    assert ready.raw_link is None
    assert ready.tags == ["电影"]
    assert ready.data_amount == 12
    assert (ready.training_amount, ready.active_training_amount, ready.final_error_amount) == (0, 0, 0)
    assert (ready.has_error, ready.slowest_training_mode, ready.slowest_training_status) == (
        False,
        None,
        "ready",
    )
    assert ready.permission is not None
    assert ready.permission.has_manage_per is True
    assert failing.type == "link"
    assert failing.forbid is True
    assert failing.raw_link == "https://doc.fastgpt.io/docs/intro"
    assert (failing.training_amount, failing.active_training_amount, failing.final_error_amount) == (3, 2, 1)
    assert (failing.has_error, failing.slowest_training_mode, failing.slowest_training_status) == (
        True,
        "qa",
        "error",
    )


async def test_get_collection(io_mode: str) -> None:
    wire = serve("dataset_collection_detail.json")
    service = make_client(wire).dataset
    request = GetCollectionRequest(id=COLLECTION)

    collection = await run(
        io_mode, lambda: service.get_collection(request), lambda: service.aget_collection(request)
    )

    assert sent(wire) == ("GET", "/api/core/dataset/collection/detail", {"id": COLLECTION}, None)
    assert collection.id == COLLECTION
    assert (collection.team_id, collection.tmb_id, collection.dataset_id) == (TEAM, TMB, DATASET)
    assert collection.parent_id is None
    assert (collection.name, collection.type, collection.tags) == ("电影资料.txt", "file", ["电影"])
    assert collection.forbid is False
    assert collection.file_id == "dataset/6593e137231a2be9c5603ba7/mov.txt"
    assert (collection.raw_text_length, collection.hash_raw_text) == (
        2048,
        "9a0364b9e99bb480dd25e1f0284c8555",
    )
    assert collection.metadata == {"relatedImgId": "dataset/6593e137231a2be9c5603ba7/mov.txt"}
    assert collection.custom_pdf_parse is False
    # its chunk settings, flattened into the collection
    assert (collection.training_type, collection.chunk_setting_mode, collection.chunk_split_mode) == (
        "chunk",
        "custom",
        "size",
    )
    assert (collection.chunk_size, collection.index_size, collection.chunk_splitter) == (512, 256, "\n\n")
    assert (collection.paragraph_chunk_ai_mode, collection.paragraph_chunk_deep) == ("forbid", 0)
    assert (collection.auto_indexes, collection.image_index) == (False, False)
    # the dataset as stored: model names, not model objects
    assert collection.dataset is not None
    assert (collection.dataset.id, collection.dataset.name) == (DATASET, "产品手册")
    assert (
        collection.dataset.vector_model,
        collection.dataset.agent_model,
        collection.dataset.vlm_model,
    ) == (
        "text-embedding-3-small",
        "gpt-4o-mini",
        "gpt-4o",
    )
    assert (collection.source_name, collection.source_id) == (
        "电影资料.txt",
        "dataset/6593e137231a2be9c5603ba7/mov.txt",
    )
    assert collection.file is not None
    assert (collection.file.filename, collection.file.content_length) == ("电影资料.txt", 2048)
    assert collection.index_amount == 14
    assert (collection.training_amount, collection.active_training_amount, collection.final_error_amount) == (
        2,
        1,
        1,
    )
    assert (collection.has_error, collection.slowest_training_mode, collection.slowest_training_status) == (
        True,
        "chunk",
        "running",
    )
    assert collection.error_count == 1
    assert collection.permission is not None
    assert collection.permission.is_owner is True


async def test_update_collection(io_mode: str) -> None:
    wire = serve_null()
    service = make_client(wire).dataset
    request = UpdateCollectionRequest(
        id=COLLECTION,
        parent_id="",  # to the top level
        name="renamed",
        tags=["a", "b"],
        forbid=True,
        create_time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )

    result = await run(
        io_mode, lambda: service.update_collection(request), lambda: service.aupdate_collection(request)
    )

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/collection/update",
        {},
        {
            "id": COLLECTION,
            "parentId": "",
            "name": "renamed",
            "tags": ["a", "b"],
            "forbid": True,
            "createTime": "2026-01-02T03:04:05Z",
        },
    )
    assert result.request_id == "req-9"


async def test_delete_by_api_files_sends_the_dataset_and_the_files(io_mode: str) -> None:
    wire = serve_null()
    service = make_client(wire).dataset
    request = DeleteCollectionRequest(dataset_id=DATASET, api_file_ids=["doc-1", "doc-2"])

    await run(
        io_mode, lambda: service.delete_collection(request), lambda: service.adelete_collection(request)
    )

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/collection/delete",
        {},
        {"datasetId": DATASET, "apiFileIds": ["doc-1", "doc-2"]},
    )


@pytest.mark.parametrize(
    "refusal",
    [
        httpx.Response(404, text="Not Found"),
        httpx.Response(
            500,
            json={
                "code": 507004,
                "statusText": "missingParams",
                "message": "common:error.missingParams",
                "data": None,
            },
        ),
    ],
    ids=["bare-404", "missingParams"],
)
async def test_delete_falls_back_to_delete_with_the_id_in_the_query_once(
    io_mode: str, refusal: httpx.Response
) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(refusal.status_code, content=refusal.content, headers=refusal.headers)
        return httpx.Response(200, json=envelope(None))

    wire = Wire(reply)
    service = make_client(wire).dataset
    request = DeleteCollectionRequest(id=COLLECTION)

    for _ in range(2):
        await run(
            io_mode, lambda: service.delete_collection(request), lambda: service.adelete_collection(request)
        )

    # The old form carries the id in the query and has no body; the second call goes there first.
    assert [(r.method, query_of(r), r.content) for r in wire.requests] == [
        ("POST", {}, b'{"id":"' + COLLECTION.encode() + b'"}'),
        ("DELETE", {"id": COLLECTION}, b""),
        ("DELETE", {"id": COLLECTION}, b""),
    ]
    assert "content-type" not in wire.last.headers


# ---- data ---------------------------------------------------------------------------------------


async def test_the_emulator_answers_a_chunk_with_its_collection(io_mode: str) -> None:
    async with FakeFastGPT().client() as client:
        dataset_id = client.dataset.create_dataset(CreateDatasetRequest(name="kb")).id
        manual = CreateCollectionRequest(dataset_id=dataset_id, name="manual", type="virtual")
        collection_id = client.dataset.create_collection(manual).id
        insert = InsertDataRequest(collection_id=collection_id, q="What is FastGPT?", a="A platform.")
        request = GetQuoteDataRequest(id=client.dataset.insert_data(insert).id)
        quote = await call(io_mode, client.dataset.get_quote_data, request)
    assert (quote.q, quote.a) == ("What is FastGPT?", "A platform.")
    assert quote.collection is not None
    assert (quote.collection.id, quote.collection.dataset_id, quote.collection.name) == (
        collection_id,
        dataset_id,
        "manual",
    )


async def test_push_data_takes_items_and_dicts(io_mode: str) -> None:
    wire = serve("dataset_data_push.json")
    service = make_client(wire).dataset
    request = PushDataRequest(
        collection_id=COLLECTION,
        data=[
            DataItem(
                q="铃芽之旅的导演是谁？",
                a="新海诚。",
                chunk_index=0,
                indexes=[DataIndex(text="Suzume director"), DataIndex(type="question", text="谁导演的")],
                metadata={"lang": "zh"},
            ),
            {"imageId": "dataset/6593e137231a2be9c5603ba7/poster.png", "chunk_index": 1},
        ],
        training_type="chunk",
        index_size=512,
        auto_indexes=False,
        image_index=True,
        prompt="p",
        bill_id="usage-1",
    )

    pushed = await run(io_mode, lambda: service.push_data(request), lambda: service.apush_data(request))

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/data/pushData",
        {},
        {
            "collectionId": COLLECTION,
            "data": [
                {
                    "q": "铃芽之旅的导演是谁？",
                    "a": "新海诚。",
                    "chunkIndex": 0,
                    "indexes": [{"text": "Suzume director"}, {"type": "question", "text": "谁导演的"}],
                    "metadata": {"lang": "zh"},
                },
                {"imageId": "dataset/6593e137231a2be9c5603ba7/poster.png", "chunkIndex": 1},
            ],
            "trainingType": "chunk",
            "indexSize": 512,
            "autoIndexes": False,
            "imageIndex": True,
            "prompt": "p",
            "billId": "usage-1",
        },
    )
    assert pushed.insert_len == 2


async def test_list_data(io_mode: str) -> None:
    wire = serve("dataset_data_list.json")
    service = make_client(wire).dataset
    request = ListDataRequest(collection_id=COLLECTION, search_text="导演", offset=30, page_size=30)

    page = await run(io_mode, lambda: service.list_data(request), lambda: service.alist_data(request))

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/data/v2/list",
        {},
        {"collectionId": COLLECTION, "searchText": "导演", "offset": 30, "pageSize": 30},
    )
    assert page.total == 2
    text, image = page.list
    assert text.id == DATA
    assert (text.dataset_id, text.collection_id) == (DATASET, COLLECTION)
    assert (text.q, text.a, text.chunk_index) == ("铃芽之旅的导演是谁？", "新海诚。", 0)
    assert (text.image_id, text.image_size, text.image_preview_url, text.updated) == (None, None, None, None)
    assert image.id == "65abd0ad9d1448617cba6101"
    assert image.a is None
    assert image.image_id == "dataset/6593e137231a2be9c5603ba7/poster.png"
    assert image.image_size == 183220
    assert image.image_preview_url == "https://fastgpt.example.com/api/system/file/d/abc.exp.sig"


async def test_get_data(io_mode: str) -> None:
    wire = serve("dataset_data_detail.json")
    service = make_client(wire).dataset
    request = GetDataRequest(id=DATA)

    data = await run(io_mode, lambda: service.get_data(request), lambda: service.aget_data(request))

    assert sent(wire) == ("GET", "/api/core/dataset/data/detail", {"id": DATA}, None)
    assert data.id == DATA  # FastGPT sends `id` here, not `_id`
    assert (data.team_id, data.dataset_id, data.collection_id) == (TEAM, DATASET, COLLECTION)
    assert (data.q, data.a) == ("铃芽之旅的导演是谁？", "新海诚。")
    assert data.update_time == datetime(2026, 7, 29, 3, 22, 19, 950000, tzinfo=UTC)
    assert (data.source_name, data.source_id) == ("电影资料.txt", "dataset/6593e137231a2be9c5603ba7/mov.txt")
    assert data.chunk_index == 0
    assert [(i.type, i.data_id, i.text) for i in data.indexes] == [
        ("default", "454213702718545920", "铃芽之旅的导演是谁？\n新海诚。"),
        ("custom", "454213702718545921", "Suzume director"),
    ]
    assert data.is_owner is True
    assert data.metadata == {"lang": "zh", "page": 3}
    assert (data.image_id, data.image_preivew_url, data.image_desc_map) == (None, None, None)


async def test_update_data(io_mode: str) -> None:
    wire = serve("dataset_data_update.json")
    service = make_client(wire).dataset
    request = UpdateDataRequest(
        data_id=DATA,
        q="铃芽之旅的导演是谁？",
        a="新海诚（Makoto Shinkai）。",
        indexes=[
            UpdateDataIndex(data_id="454213702718545921", text="Suzume director"),
            UpdateDataIndex(text="新"),
        ],
        index_prefix="# 电影资料",
    )

    updated = await run(io_mode, lambda: service.update_data(request), lambda: service.aupdate_data(request))

    assert sent(wire) == (
        "PUT",
        "/api/core/dataset/data/update",
        {},
        {
            "dataId": DATA,
            "q": "铃芽之旅的导演是谁？",
            "a": "新海诚（Makoto Shinkai）。",
            "indexes": [{"text": "Suzume director", "dataId": "454213702718545921"}, {"text": "新"}],
            "indexPrefix": "# 电影资料",
        },
    )
    assert (updated.q, updated.a) == ("铃芽之旅的导演是谁？", "新海诚（Makoto Shinkai）。")


# ---- walking pages ------------------------------------------------------------------------------


def _ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{n:06x}" for n in range(count)]


def paged(items: list[dict[str, Any]]) -> Wire:
    """A server that pages `items` by the body's offset and pageSize, as FastGPT does."""

    def answer(request: httpx.Request) -> httpx.Response:
        body = body_of(request)
        start, size = body["offset"], body["pageSize"]
        return httpx.Response(200, json=envelope({"list": items[start : start + size], "total": len(items)}))

    return Wire(answer)


async def test_iter_collections_walks_every_page(io_mode: str) -> None:
    items = [{"_id": i, "name": f"c{n}"} for n, i in enumerate(_ids("65abd0ad9d1448617c", 25))]
    wire = paged(items)
    service = make_client(wire).dataset
    request = ListCollectionsRequest(dataset_id=DATASET, page_size=10)

    walked = await drain(
        io_mode, lambda: service.iter_collections(request), lambda: service.aiter_collections(request)
    )

    assert [c.name for c in walked] == [f"c{n}" for n in range(25)]
    assert [body_of(r)["offset"] for r in wire.requests] == [0, 10, 20]
    assert {body_of(r)["datasetId"] for r in wire.requests} == {DATASET}
    assert request.offset == 0  # the caller's request is untouched


async def test_iter_data_walks_every_page_once_each(io_mode: str) -> None:
    items = [{"_id": i, "q": f"q{n}", "chunkIndex": n} for n, i in enumerate(_ids("65abd0ad9d1448617c", 61))]
    wire = paged(items)
    service = make_client(wire).dataset
    request = ListDataRequest(collection_id=COLLECTION, page_size=30, offset=1)

    walked = await drain(io_mode, lambda: service.iter_data(request), lambda: service.aiter_data(request))

    assert [d.chunk_index for d in walked] == list(range(1, 61))
    assert [body_of(r)["offset"] for r in wire.requests] == [1, 31]


def test_pages_are_at_most_what_fastgpt_serves() -> None:
    # FastGPT lowers a larger pageSize (collections: 100, data: 30), so a walk would stop after the
    # first page, which is shorter than the size asked for.
    ListCollectionsRequest(dataset_id=DATASET, page_size=100)
    with pytest.raises(ValueError, match="page_size"):
        ListCollectionsRequest(dataset_id=DATASET, page_size=101)
    ListDataRequest(collection_id=COLLECTION, page_size=30)
    with pytest.raises(ValueError, match="page_size"):
        ListDataRequest(collection_id=COLLECTION, page_size=31)
