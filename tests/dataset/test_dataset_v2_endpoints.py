"""The FastGPT 4.15 - 4.18 dataset operations on the wire, sync and async through real httpx machinery:
`list_datasets_v2` / `iter_datasets_v2`, `create_data_index` / `update_data_index` /
`delete_data_index`, `insert_data`, `create_api_collection_v2`, `upload_dataset_file` (presign, then
storage) and `create_file_id_collection`: the method, path, query and body sent, and the answer parsed.

The answers are inline envelopes written from FastGPT's schemas (no recording of these exists yet):
`GetDatasetListV2ResponseSchema` and the `listV2.ts` handler (`packages/global/openapi/core/dataset/api.ts`
@ 037de007), `DatasetDataIndexResponseSchema` (`{index}`), `InsertDataResponseSchema` (a bare id),
`CreatePostPresignedUrlResponseSchema` and `CreateCollectionWithResultResponseSchema`.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from conftest import API_KEY, envelope, make_client
from http_support import Wire, body_of, drain, query_of, run

from fastgpt_oapi import InternalServerError, RequestValidationError
from fastgpt_oapi.api.dataset.model import (
    ApiFileItem,
    CreateApiCollectionV2Request,
    CreateDataIndexRequest,
    CreateFileIdCollectionRequest,
    DataIndex,
    DeleteDataIndexRequest,
    InsertDataRequest,
    ListDatasetsV2Request,
    UpdateDataIndexRequest,
    UploadDatasetFileRequest,
)

DATASET = "6593e137231a2be9c5603ba7"
FOLDER = "6593e137231a2be9c5603bb0"
COLLECTION = "65abd0ad9d1448617cba6031"
DATA = "65abd0ad9d1448617cba6100"
TMB = "65422be6aa44b7da77729ec9"
UTC = timezone.utc
PRESIGN = "/api/core/dataset/file/presignDatasetFilePostUrl"


def answer(data: Any) -> Wire:
    return Wire(lambda request: httpx.Response(200, json=envelope(data)))


def sent(wire: Wire) -> tuple[str, str, dict[str, str], Any]:
    request = wire.last
    return request.method, request.url.path, query_of(request), body_of(request)


def dataset_item(dataset_id: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "_id": dataset_id,
        "avatar": "core/dataset/commonDatasetColor",
        "name": name,
        "intro": "",
        "type": "dataset",
        "vectorModel": {
            "model": "text-embedding-3-small",
            "name": "text-embedding-3-small",
            "type": "embedding",
        },
        "inheritPermission": True,
        "tmbId": TMB,
        "createTime": "2026-09-20T08:00:00.000Z",
        "updateTime": "2026-10-01T10:30:00.500Z",
        "permission": {"role": 4294967295, "isOwner": True, "hasWritePer": True},
        "private": True,
        "sourceMember": {"name": "root", "avatar": "", "status": "active"},
        **extra,
    }


# ---- dataset/listV2 -------------------------------------------------------------------------------


async def test_list_datasets_v2(io_mode: str) -> None:
    wire = answer({"list": [dataset_item(DATASET, "产品手册", appCount=3)], "total": 7})
    service = make_client(wire).dataset
    request = (
        ListDatasetsV2Request.builder()
        .parent_id(FOLDER)
        .type(["dataset", "apiDataset"])
        .search_key("手册")
        .sort("createTimeAsc")
        .tmb_ids([TMB])
        .with_app_count(True)
        .offset(20)
        .page_size(10)
        .build()
    )

    page = await run(
        io_mode, lambda: service.list_datasets_v2(request), lambda: service.alist_datasets_v2(request)
    )

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/listV2",
        {},
        {
            "parentId": FOLDER,
            "type": ["dataset", "apiDataset"],
            "searchKey": "手册",
            "sort": "createTimeAsc",
            "tmbIds": [TMB],
            "withAppCount": True,
            "offset": 20,
            "pageSize": 10,
        },
    )
    assert page.total == 7
    (item,) = page.list
    assert (item.id, item.name, item.type, item.tmb_id) == (DATASET, "产品手册", "dataset", TMB)
    assert item.create_time == datetime(2026, 9, 20, 8, 0, tzinfo=UTC)
    assert item.update_time == datetime(2026, 10, 1, 10, 30, 0, 500000, tzinfo=UTC)
    assert item.app_count == 3
    assert item.vector_model is not None
    assert item.vector_model.model == "text-embedding-3-small"
    assert item.permission is not None
    assert item.permission.is_owner is True
    assert item.source_member is not None
    assert item.source_member.name == "root"
    assert item.unparsed == {}


async def test_list_datasets_v2_sends_the_first_page_by_default(io_mode: str) -> None:
    wire = answer({"list": [], "total": 0})
    service = make_client(wire).dataset
    request = ListDatasetsV2Request()

    page = await run(
        io_mode, lambda: service.list_datasets_v2(request), lambda: service.alist_datasets_v2(request)
    )

    assert sent(wire) == ("POST", "/api/core/dataset/listV2", {}, {"offset": 0, "pageSize": 50})
    assert (page.list, page.total) == ([], 0)


async def test_iter_datasets_v2_walks_the_pages(io_mode: str) -> None:
    ids = [f"6593e137231a2be9c5603c{n:02x}" for n in range(5)]

    def reply(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        chunk = ids[body["offset"] : body["offset"] + body["pageSize"]]
        return httpx.Response(
            200, json=envelope({"list": [dataset_item(i, f"d{i}") for i in chunk], "total": len(ids)})
        )

    wire = Wire(reply)
    service = make_client(wire).dataset
    request = ListDatasetsV2Request(page_size=2, search_key="d")

    items = await drain(
        io_mode, lambda: service.iter_datasets_v2(request), lambda: service.aiter_datasets_v2(request)
    )

    assert [item.id for item in items] == ids
    assert [body_of(r)["offset"] for r in wire.requests] == [0, 2, 4]
    assert all(body_of(r)["searchKey"] == "d" for r in wire.requests)
    assert request.offset == 0  # the caller's request is untouched


def test_list_datasets_v2_refuses_bad_input_before_sending() -> None:
    with pytest.raises(RequestValidationError) as caught:
        ListDatasetsV2Request(tmb_ids=["not-an-id"])
    assert "tmb_ids" in str(caught.value)
    with pytest.raises(RequestValidationError):
        ListDatasetsV2Request(sort="nameAsc")  # type: ignore[arg-type]
    with pytest.raises(RequestValidationError):
        ListDatasetsV2Request(type=["dataset", "nope"])  # type: ignore[list-item]
    with pytest.raises(RequestValidationError):
        ListDatasetsV2Request(page_size=0)


# ---- data/index/* -----------------------------------------------------------------------------------


async def test_create_data_index(io_mode: str) -> None:
    index = {"type": "question", "dataId": "vec-901", "text": "How do I reset it?"}
    wire = answer({"index": index})
    service = make_client(wire).dataset
    request = CreateDataIndexRequest(data_id=DATA, type="question", text="How do I reset it?")

    created = await run(
        io_mode, lambda: service.create_data_index(request), lambda: service.acreate_data_index(request)
    )

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/data/index/create",
        {},
        {"dataId": DATA, "type": "question", "text": "How do I reset it?"},
    )
    assert created.index is not None
    assert (created.index.type, created.index.data_id, created.index.text) == (
        "question",
        "vec-901",
        "How do I reset it?",
    )


async def test_create_data_index_sends_custom_unless_told(io_mode: str) -> None:
    wire = answer({"index": {"type": "custom", "dataId": "v1", "text": "alias"}})
    service = make_client(wire).dataset
    request = CreateDataIndexRequest.builder().data_id(DATA).text("alias").build()

    await run(
        io_mode, lambda: service.create_data_index(request), lambda: service.acreate_data_index(request)
    )

    assert body_of(wire.last) == {"dataId": DATA, "type": "custom", "text": "alias"}


async def test_update_data_index(io_mode: str) -> None:
    wire = answer({"index": {"type": "summary", "dataId": "vec-902", "text": "shorter"}})
    service = make_client(wire).dataset
    request = UpdateDataIndexRequest(data_id=DATA, index_data_id="vec-901", type="summary", text="shorter")

    updated = await run(
        io_mode, lambda: service.update_data_index(request), lambda: service.aupdate_data_index(request)
    )

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/data/index/update",
        {},
        {"dataId": DATA, "indexDataId": "vec-901", "type": "summary", "text": "shorter"},
    )
    assert updated.index is not None
    assert updated.index.data_id == "vec-902"


async def test_delete_data_index(io_mode: str) -> None:
    wire = Wire(lambda request: httpx.Response(200, json=envelope(None), headers={"x-request-id": "r-7"}))
    service = make_client(wire).dataset
    request = DeleteDataIndexRequest(data_id=DATA, index_data_id="vec-901")

    done = await run(
        io_mode, lambda: service.delete_data_index(request), lambda: service.adelete_data_index(request)
    )

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/data/index/delete",
        {},
        {"dataId": DATA, "indexDataId": "vec-901"},
    )
    assert done.request_id == "r-7"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"data_id": DATA, "type": "default", "text": "x"}, "type"),  # a system index: FastGPT's to make
        ({"data_id": DATA, "type": "imageEmbedding", "text": "x"}, "type"),
        ({"data_id": DATA, "text": "   "}, "text"),  # FastGPT trims, then refuses
        ({"data_id": "abc", "text": "x"}, "data_id"),
    ],
)
def test_a_data_index_fastgpt_would_refuse_is_refused_before_sending(
    fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(RequestValidationError) as caught:
        CreateDataIndexRequest(**fields)
    assert caught.value.field == field
    with pytest.raises(RequestValidationError):
        UpdateDataIndexRequest(index_data_id="", data_id=DATA, text="x")


# ---- data/insertData --------------------------------------------------------------------------------


async def test_insert_data(io_mode: str) -> None:
    wire = answer(DATA)
    service = make_client(wire).dataset
    request = InsertDataRequest(
        collection_id=COLLECTION,
        q="What is FastGPT?",
        a="An AI agent platform.",
        indexes=[DataIndex(text="FastGPT intro")],
        metadata={"source": "faq"},
    )

    inserted = await run(io_mode, lambda: service.insert_data(request), lambda: service.ainsert_data(request))

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/data/insertData",
        {},
        {
            "collectionId": COLLECTION,
            "q": "What is FastGPT?",
            "a": "An AI agent platform.",
            "indexes": [{"text": "FastGPT intro"}],
            "metadata": {"source": "faq"},
        },
    )
    assert inserted.id == DATA


def test_insert_data_needs_a_q() -> None:
    with pytest.raises(RequestValidationError) as caught:
        InsertDataRequest(collection_id=COLLECTION, q="")
    assert caught.value.field == "q"


async def test_insert_data_is_not_sent_again_after_a_server_error(io_mode: str) -> None:
    wire = Wire(lambda request: httpx.Response(502, text="bad gateway"))
    service = make_client(wire).dataset
    request = InsertDataRequest(collection_id=COLLECTION, q="once")

    with pytest.raises(InternalServerError) as caught:
        await run(io_mode, lambda: service.insert_data(request), lambda: service.ainsert_data(request))

    assert caught.value.http_status == 502
    assert len(wire.requests) == 1


# ---- collection/create/apiCollectionV2 --------------------------------------------------------------


async def test_create_api_collection_v2(io_mode: str) -> None:
    wire = answer(None)
    service = make_client(wire).dataset
    files = [
        ApiFileItem(
            id="doc-1",
            raw_id="raw-1",
            parent_id=None,
            name="Guide.md",
            type="file",
            update_time=datetime(2026, 10, 1, tzinfo=UTC),
            create_time="2026-09-01T00:00:00.000Z",
        ),
        ApiFileItem(
            id="dir-2",
            raw_id="raw-2",
            parent_id="root",
            name="Specs",
            type="folder",
            update_time="2026-10-02T00:00:00.000Z",
            create_time="2026-09-02T00:00:00.000Z",
            has_child=True,
        ),
    ]
    request = CreateApiCollectionV2Request(
        dataset_id=DATASET, parent_id=FOLDER, api_files=files, chunk_setting_mode="custom", chunk_size=800
    )

    done = await run(
        io_mode,
        lambda: service.create_api_collection_v2(request),
        lambda: service.acreate_api_collection_v2(request),
    )

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/collection/create/apiCollectionV2",
        {},
        {
            "datasetId": DATASET,
            "parentId": FOLDER,
            "chunkSettingMode": "custom",
            "chunkSize": 800,
            "apiFiles": [
                {
                    "id": "doc-1",
                    "rawId": "raw-1",
                    "name": "Guide.md",
                    "type": "file",
                    "updateTime": "2026-10-01T00:00:00Z",
                    "createTime": "2026-09-01T00:00:00.000Z",
                },
                {
                    "id": "dir-2",
                    "rawId": "raw-2",
                    "parentId": "root",
                    "name": "Specs",
                    "type": "folder",
                    "updateTime": "2026-10-02T00:00:00.000Z",
                    "createTime": "2026-09-02T00:00:00.000Z",
                    "hasChild": True,
                },
            ],
        },
    )
    assert done.request_id is None


def test_an_api_file_needs_its_schema_fields() -> None:
    with pytest.raises(RequestValidationError):
        ApiFileItem(id="x", raw_id="x", name="a", type="doc", update_time="t", create_time="t")  # type: ignore[arg-type]
    with pytest.raises(RequestValidationError):
        ApiFileItem(id="x", name="a", type="file", update_time="t", create_time="t")  # type: ignore[call-arg]


# ---- presigned upload and create/fileId -------------------------------------------------------------


def storage_wire(*, key: str, headers: dict[str, str] | None = None) -> Wire:
    """FastGPT answers the presign with an S3 URL on another host; storage answers the PUT."""

    def reply(request: httpx.Request) -> httpx.Response:
        if request.url.path == PRESIGN:
            return httpx.Response(
                200,
                json=envelope(
                    {
                        "url": f"http://s3.test/bucket/{key}?X-Amz-Signature=abcdef0123456789",
                        "key": key,
                        "headers": {"content-type": "text/markdown"} if headers is None else headers,
                        "maxSize": 100 * 1024 * 1024,
                        "uploadMode": "single",
                    }
                ),
            )
        assert request.url.host == "s3.test"
        return httpx.Response(200, headers={"etag": '"e1"'})

    return Wire(reply)


async def test_upload_dataset_file_presigns_then_puts_without_the_key(io_mode: str) -> None:
    key = f"dataset/{DATASET}/guide_x1y2z3.md"
    wire = storage_wire(key=key)
    service = make_client(wire).dataset
    request = UploadDatasetFileRequest(dataset_id=DATASET, file=b"# Guide\n\nhello", filename="guide.md")

    uploaded = await run(
        io_mode, lambda: service.upload_dataset_file(request), lambda: service.aupload_dataset_file(request)
    )

    presign, put = wire.requests
    assert (presign.method, presign.url.path) == ("POST", PRESIGN)
    assert presign.headers["authorization"] == f"Bearer {API_KEY}"
    assert body_of(presign) == {"datasetId": DATASET, "filename": "guide.md", "size": 14}
    assert (put.method, put.url.host) == ("PUT", "s3.test")
    assert "authorization" not in put.headers
    assert put.headers["content-type"] == "text/markdown"
    assert put.content == b"# Guide\n\nhello"
    assert (uploaded.key, uploaded.file_id, uploaded.dataset_id) == (key, key, DATASET)
    assert (uploaded.filename, uploaded.size, uploaded.content_type) == ("guide.md", 14, "text/markdown")


async def test_an_empty_file_is_presigned_without_a_size(io_mode: str) -> None:
    wire = storage_wire(key=f"dataset/{DATASET}/empty.txt", headers={})
    service = make_client(wire).dataset
    request = UploadDatasetFileRequest(dataset_id=DATASET, file=b"", filename="empty.txt")

    uploaded = await run(
        io_mode, lambda: service.upload_dataset_file(request), lambda: service.aupload_dataset_file(request)
    )

    assert body_of(wire.requests[0]) == {"datasetId": DATASET, "filename": "empty.txt"}  # size must be > 0
    assert wire.requests[1].headers["content-length"] == "0"
    assert uploaded.content_type == "text/plain"  # guessed from the name when storage was told none


async def test_a_nameless_upload_is_refused_before_anything_is_sent(io_mode: str) -> None:
    wire = storage_wire(key="k")
    service = make_client(wire).dataset
    request = UploadDatasetFileRequest(dataset_id=DATASET, file=b"data")

    with pytest.raises(RequestValidationError) as caught:
        await run(
            io_mode,
            lambda: service.upload_dataset_file(request),
            lambda: service.aupload_dataset_file(request),
        )

    assert caught.value.field == "filename"
    assert wire.requests == []


async def test_a_missing_path_is_refused_before_anything_is_sent(io_mode: str, tmp_path: Any) -> None:
    wire = storage_wire(key="k")
    service = make_client(wire).dataset
    request = UploadDatasetFileRequest(dataset_id=DATASET, file=tmp_path / "nope.pdf")

    with pytest.raises(RequestValidationError) as caught:
        await run(
            io_mode,
            lambda: service.upload_dataset_file(request),
            lambda: service.aupload_dataset_file(request),
        )

    assert caught.value.field == "file"
    assert wire.requests == []


async def test_a_presign_that_may_have_run_is_not_sent_again(io_mode: str) -> None:
    wire = Wire(lambda request: httpx.Response(504, text="gateway timeout"))
    service = make_client(wire).dataset
    request = UploadDatasetFileRequest(dataset_id=DATASET, file=b"abc", filename="a.txt")

    with pytest.raises(InternalServerError) as caught:
        await run(
            io_mode,
            lambda: service.upload_dataset_file(request),
            lambda: service.aupload_dataset_file(request),
        )

    assert caught.value.http_status == 504
    assert [r.url.path for r in wire.requests] == [PRESIGN]


async def test_create_file_id_collection(io_mode: str) -> None:
    key = f"dataset/{DATASET}/guide_x1y2z3.md"
    wire = answer({"collectionId": COLLECTION, "results": {"insertLen": 0}})
    service = make_client(wire).dataset
    request = CreateFileIdCollectionRequest(
        dataset_id=DATASET, file_id=key, training_type="chunk", tags=["docs"], custom_pdf_parse=True
    )

    created = await run(
        io_mode,
        lambda: service.create_file_id_collection(request),
        lambda: service.acreate_file_id_collection(request),
    )

    assert sent(wire) == (
        "POST",
        "/api/core/dataset/collection/create/fileId",
        {},
        {
            "datasetId": DATASET,
            "tags": ["docs"],
            "customPdfParse": True,
            "trainingType": "chunk",
            "fileId": key,
        },
    )
    assert created.collection_id == COLLECTION
    assert created.results.insert_len == 0
