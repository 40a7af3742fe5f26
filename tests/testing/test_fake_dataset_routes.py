"""The emulator's dataset area through `handle()`, with raw JSON: datasets, collections and data, their
shapes field by field against FastGPT's schemas (4.16.0-beta1, f88b51b5), paging, the 200-item limit,
cascading deletes, refusals, and which versions serve which paths."""

from __future__ import annotations

import re
from typing import Any

import pytest
from dataset._support import BASE, OBJECT_ID, Api, Clock

from fastgpt_oapi.testing import FakeFastGPT

# Training as FastGPT ran it before 4.17.2 (live counters, rows only once trained); 4.17.2's is in
# tests/dataset/test_dataset_417.py.
PRE_4172 = "4.17.1"


OWNER = {
    "role": 0xFFFFFFFF,
    "isOwner": True,
    "hasManagePer": True,
    "hasWritePer": True,
    "hasReadPer": True,
    "hasManageRole": True,
    "hasWriteRole": True,
    "hasReadRole": True,
}
T0 = "2026-08-01T00:00:00.000Z"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(clock: Clock) -> Api:
    return Api(FakeFastGPT(version=PRE_4172, clock=clock))


def ready_status() -> dict[str, Any]:
    return {
        "trainingAmount": 0,
        "activeTrainingAmount": 0,
        "finalErrorAmount": 0,
        "hasError": False,
        "slowestTrainingStatus": "ready",
    }


# ---- datasets ------------------------------------------------------------------------------------


def test_a_created_dataset_has_fastgpts_detail_shape(api: Api) -> None:
    dataset_id = api.dataset("Docs", intro="Product docs", vectorModel="bge-m3")
    assert re.fullmatch(OBJECT_ID, dataset_id)
    detail = api.get("detail", id=dataset_id).data
    assert list(detail) == [
        "_id",
        "parentId",
        "teamId",
        "tmbId",
        "type",
        "avatar",
        "name",
        "intro",
        "updateTime",
        "vectorModel",
        "agentModel",
        "inheritPermission",
        "deleteTime",
        "status",
        "permission",
    ]
    assert detail["_id"] == dataset_id
    assert detail["parentId"] is None
    assert (detail["name"], detail["intro"], detail["type"]) == ("Docs", "Product docs", "dataset")
    assert detail["updateTime"] == T0
    assert detail["status"] == "active"
    assert detail["permission"] == OWNER
    assert detail["deleteTime"] is None
    # models as model objects: the requested one, and FastGPT's defaults otherwise
    assert detail["vectorModel"]["model"] == "bge-m3"
    assert detail["vectorModel"]["type"] == "embedding"
    assert {"defaultToken", "maxToken", "weight"} <= set(detail["vectorModel"])
    assert detail["agentModel"]["model"] == "gpt-4o-mini"
    assert {"maxContext", "maxResponse", "quoteMaxToken", "functionCall", "toolChoice"} <= set(
        detail["agentModel"]
    )


def test_create_refuses_what_fastgpts_schema_refuses(api: Api) -> None:
    # intro, avatar and type are required by CreateDatasetBodySchema at 4.16
    missing = api.post("create", {"name": "kb", "type": "dataset", "avatar": ""})
    assert missing.status == 400
    assert missing.body["message"] == "Data validation error"
    assert [issue["path"] for issue in missing.body["zodError"]] == [["intro"]]
    bad_type = api.post("create", {"name": "kb", "intro": "", "avatar": "", "type": "wiki"})
    assert bad_type.status == 400
    assert bad_type.body["zodError"][0]["code"] == "invalid_value"
    bad_parent = api.post(
        "create", {"name": "kb", "intro": "", "avatar": "", "type": "dataset", "parentId": "x"}
    )
    assert bad_parent.status == 400
    unknown_parent = api.post(
        "create", {"name": "kb", "intro": "", "avatar": "", "type": "dataset", "parentId": "0" * 24}
    )
    assert api.refusal(unknown_parent) == (500, 501002, "unExistDataset")
    assert unknown_parent.body["message"] == "common:core.dataset.error.unExistDataset"


def test_list_reads_the_body_only_newest_first(api: Api, clock: Clock) -> None:
    folder = api.dataset("Folder", type="folder")
    clock.now += 1
    inside = api.dataset("Inside", parentId=folder, intro="the manual")
    clock.now += 1
    root = api.dataset("Root")
    listed = api.post("list", {}).data
    assert [d["_id"] for d in listed] == [root, folder]  # root level, newest update first
    # FastGPT reads `parentId` from the body: a query one is ignored (schema-audit 4.1)
    assert [d["_id"] for d in api.post("list", {}, parentId=folder).data] == [root, folder]
    assert [d["_id"] for d in api.post("list", {"parentId": folder}).data] == [inside]
    assert [d["_id"] for d in api.post("list", {"type": "folder"}).data] == [folder]
    # a search key matches names and intros in every folder
    assert [d["_id"] for d in api.post("list", {"searchKey": "MANUAL"}).data] == [inside]
    item = listed[0]
    assert list(item) == [
        "_id",
        "avatar",
        "name",
        "intro",
        "type",
        "vectorModel",
        "inheritPermission",
        "tmbId",
        "updateTime",
        "permission",
        "private",
        "sourceMember",
    ]
    assert item["vectorModel"]["model"] == "text-embedding-3-small"
    assert item["sourceMember"] == {
        "name": "root",
        "avatar": "/imgs/avatar/BlueAvatar.svg",
        "status": "active",
    }
    assert api.refusal(api.post("list", {"parentId": "1" * 24})) == (500, 501002, "unExistDataset")


def test_detail_and_delete_refuse_bad_and_unknown_ids(api: Api) -> None:
    assert api.get("detail", id="nope").status == 400
    assert api.get("detail").status == 400
    assert api.refusal(api.get("detail", id="a" * 24)) == (500, 501002, "unExistDataset")
    assert api.delete("delete", id="nope").status == 400
    assert api.refusal(api.delete("delete", id="a" * 24)) == (500, 501002, "unExistDataset")


def test_deleting_a_dataset_deletes_its_children_collections_and_data(api: Api) -> None:
    folder = api.dataset("Folder", type="folder")
    child = api.dataset("Child", parentId=folder)
    other = api.dataset("Other")
    kept = api.virtual(other)
    api.push(kept, {"q": "kept"})
    doomed = api.virtual(child)
    api.push(doomed, {"q": "doomed"})
    doomed_data = api.data(doomed)[0]["_id"]
    assert api.delete("delete", id=folder).data is None
    assert api.refusal(api.get("detail", id=child)) == (500, 501002, "unExistDataset")
    assert api.refusal(api.get("collection/detail", id=doomed)) == (500, 501003, "unExistCollection")
    gone = api.get("data/detail", id=doomed_data)
    assert api.refusal(gone) == (500, 500, "error")
    assert gone.body["message"] == "common:core.dataset.error.Data not found"
    assert [d["q"] for d in api.data(kept)] == ["kept"]
    assert [d["_id"] for d in api.post("list", {}).data] == [other]


# ---- collections ---------------------------------------------------------------------------------


def test_list_v2_items_have_fastgpts_fields(api: Api) -> None:
    dataset = api.dataset()
    folder = api.post("collection/create", {"datasetId": dataset, "name": "Guides", "type": "folder"}).data
    virtual = api.virtual(dataset, "hand-made", parentId=folder, tags=["faq", "v2"])
    api.push(virtual, {"q": "one"}, {"q": "two"})
    page = api.post("collection/listV2", {"datasetId": dataset}).data
    assert page["total"] == 1
    item = page["list"][0]
    assert item == {
        "_id": folder,
        "parentId": None,
        "tmbId": "66e29b870b24ce35330c0e01",
        "name": "Guides",
        "type": "folder",
        "createTime": T0,
        "updateTime": T0,
        "permission": OWNER,
        "dataAmount": 0,
        **ready_status(),
    }
    inner = api.post("collection/listV2", {"datasetId": dataset, "parentId": folder}).data["list"][0]
    assert inner["_id"] == virtual
    assert inner["parentId"] == folder
    assert inner["tags"] == ["faq", "v2"]
    assert inner["dataAmount"] == 2
    text = api.text_collection(dataset, "Some text.")
    listed = api.post("collection/listV2", {"datasetId": dataset}).data["list"]
    text_item = next(i for i in listed if i["_id"] == text)
    assert text_item["trainingType"] == "chunk"
    assert text_item["fileId"].startswith(f"dataset/{dataset}/notes_")
    assert text_item["fileId"].endswith(".txt")


def test_list_v2_pages_filters_and_searches(api: Api, clock: Clock) -> None:
    dataset = api.dataset()
    made = []
    for n in range(12):
        clock.now += 1
        made.append(api.virtual(dataset, f"Collection {n:02}"))
    newest_first = list(reversed(made))
    first = api.post("collection/listV2", {"datasetId": dataset, "pageSize": 5}).data
    assert first["total"] == 12
    assert [c["_id"] for c in first["list"]] == newest_first[:5]
    by_offset = api.post("collection/listV2", {"datasetId": dataset, "offset": 10, "pageSize": 5}).data
    assert [c["_id"] for c in by_offset["list"]] == newest_first[10:]
    by_page = api.post("collection/listV2", {"datasetId": dataset, "pageNum": "2", "pageSize": "5"}).data
    assert [c["_id"] for c in by_page["list"]] == newest_first[5:10]
    # FastGPT caps pageSize at 100
    assert len(api.post("collection/listV2", {"datasetId": dataset, "pageSize": 500}).data["list"]) == 12
    # searchText matches names in every folder, case-insensitively; quotes are dropped
    folder = api.post("collection/create", {"datasetId": dataset, "name": "Deep", "type": "folder"}).data
    nested = api.virtual(dataset, "Needle in folder", parentId=folder, tags=["x"])
    found = api.post("collection/listV2", {"datasetId": dataset, "searchText": "nee'dle"}).data
    assert [c["_id"] for c in found["list"]] == [nested]
    folders = api.post("collection/listV2", {"datasetId": dataset, "selectFolder": True}).data
    assert [c["_id"] for c in folders["list"]] == [folder]
    tagged = api.post("collection/listV2", {"datasetId": dataset, "parentId": folder, "filterTags": ["x"]})
    assert [c["_id"] for c in tagged.data["list"]] == [nested]
    assert api.post("collection/listV2", {"datasetId": dataset, "searchText": "x" * 101}).status == 400
    assert api.refusal(api.post("collection/listV2", {"datasetId": "b" * 24})) == (
        500,
        501002,
        "unExistDataset",
    )


def test_list_v2_simple_skips_the_counts(api: Api) -> None:
    dataset = api.dataset()
    virtual = api.virtual(dataset)
    api.push(virtual, {"q": "one"})
    item = api.post("collection/listV2", {"datasetId": dataset, "simple": True}).data["list"][0]
    assert item["dataAmount"] == 0
    assert {k: item[k] for k in ready_status()} == ready_status()


def test_collection_detail_has_fastgpts_fields(api: Api) -> None:
    dataset = api.dataset("Docs")
    collection = api.text_collection(
        dataset, "Refunds take 30 days.", name="refunds", metadata={"team": "ops"}
    )
    detail = api.collection(collection)
    file_id = detail["fileId"]
    assert re.fullmatch(rf"dataset/{dataset}/refunds_[A-Za-z0-9]{{6}}\.txt", file_id)
    assert detail == {
        "_id": collection,
        "parentId": None,
        "teamId": "66e29b870b24ce35330c0e00",
        "tmbId": "66e29b870b24ce35330c0e01",
        "datasetId": dataset,
        "type": "file",
        "name": "refunds.txt",
        "createTime": T0,
        "updateTime": T0,
        "metadata": {"team": "ops"},
        "fileId": file_id,
        "rawTextLength": 21,
        "hashRawText": detail["hashRawText"],
        # computedCollectionChunkSettings, auto mode
        "trainingType": "chunk",
        "chunkSplitMode": "paragraph",
        "paragraphChunkAIMode": "forbid",
        "paragraphChunkDeep": 5,
        "paragraphChunkMinSize": 100,
        "chunkSize": 1000,
        "indexSize": 512,
        "dataset": {
            "_id": dataset,
            "parentId": None,
            "teamId": "66e29b870b24ce35330c0e00",
            "tmbId": "66e29b870b24ce35330c0e01",
            "type": "dataset",
            "avatar": "/icon/logo.svg",
            "name": "Docs",
            "intro": "",
            "updateTime": T0,
            "vectorModel": "text-embedding-3-small",
            "agentModel": "gpt-4o-mini",
            "inheritPermission": True,
            "deleteTime": None,
        },
        "sourceName": "refunds.txt",
        "sourceId": file_id,
        "permission": OWNER,
        "file": {"filename": "refunds.txt", "contentLength": 21},
        "indexAmount": 1,
        **ready_status(),
        "errorCount": 0,
    }
    assert len(detail["hashRawText"]) == 64
    assert api.get("collection/detail").status == 400
    cast = api.get("collection/detail", id="abc")
    assert api.refusal(cast) == (500, 500, "error")
    assert cast.body["message"].startswith('Cast to ObjectId failed for value "abc"')
    assert api.refusal(api.get("collection/detail", id="c" * 24)) == (500, 501003, "unExistCollection")


def test_collection_create_refusals(api: Api) -> None:
    dataset = api.dataset()
    wrong_type = api.post("collection/create", {"datasetId": dataset, "name": "x", "type": "file"})
    assert wrong_type.status == 400
    assert wrong_type.body["zodError"][0]["path"] == ["type"]
    no_name = api.post("collection/create", {"datasetId": dataset, "type": "virtual"})
    assert no_name.body["zodError"][0]["message"] == "Invalid input: expected string, received undefined"
    unknown = api.post("collection/create", {"datasetId": "d" * 24, "name": "x", "type": "virtual"})
    assert api.refusal(unknown) == (500, 501002, "unExistDataset")
    assert api.refusal(api.post("collection/create", {"datasetId": "", "name": "x", "type": "virtual"})) == (
        500,
        501002,
        "unExistDataset",
    )


def test_collection_update_renames_moves_tags_and_forbids(api: Api, clock: Clock) -> None:
    dataset = api.dataset()
    folder = api.post("collection/create", {"datasetId": dataset, "name": "F", "type": "folder"}).data
    child = api.virtual(dataset, "child", parentId=folder)
    other = api.virtual(dataset, "other")
    clock.now += 60
    assert api.post("collection/update", {"id": other, "name": "renamed", "tags": ["a"]}).data is None
    detail = api.collection(other)
    assert (detail["name"], detail["tags"], detail["updateTime"]) == (
        "renamed",
        ["a"],
        "2026-08-01T00:01:00.000Z",
    )
    # FastGPT pins collections named "manual" / "mark" / "手动…" to the top: updateTime 2999-09-09
    api.post("collection/update", {"id": other, "name": "manual"})
    assert api.collection(other)["updateTime"] == "2999-09-09T00:00:00.000Z"
    # moving, and a re-dated creation
    api.post("collection/update", {"id": other, "parentId": folder, "createTime": "2025-01-02T03:04:05.000Z"})
    moved = api.collection(other)
    assert (moved["parentId"], moved["createTime"]) == (folder, "2025-01-02T03:04:05.000Z")
    api.post("collection/update", {"id": other, "parentId": None})
    assert api.collection(other)["parentId"] is None
    # a folder passes `forbid` on to everything below it
    api.post("collection/update", {"id": folder, "forbid": True})
    assert api.collection(child)["forbid"] is True
    assert "forbid" not in api.collection(other)
    # refusals
    assert api.refusal(api.post("collection/update", {"name": "x"})) == (500, 507004, "missingParams")
    assert api.refusal(api.post("collection/update", {"id": "e" * 24, "name": "x"})) == (
        500,
        501003,
        "unExistCollection",
    )
    by_external = api.post(
        "collection/update", {"datasetId": dataset, "externalFileId": "ext-1", "name": "x"}
    )
    assert api.refusal(by_external) == (404, 507002, "fileNotFound")
    assert api.post("collection/update", {"id": other, "createTime": "not a date"}).status == 400


def test_collection_delete_cascades_by_query_id_or_body_ids(api: Api) -> None:
    dataset = api.dataset()
    folder = api.post("collection/create", {"datasetId": dataset, "name": "F", "type": "folder"}).data
    child = api.virtual(dataset, "child", parentId=folder)
    grandchild = api.virtual(dataset, "grandchild", parentId=child)
    api.push(grandchild, {"q": "deep"})
    deep_data = api.data(grandchild)[0]["_id"]
    loose = [api.virtual(dataset, f"loose {n}") for n in range(2)]
    assert api.delete("collection/delete", id=folder).data is None
    for gone in (folder, child, grandchild):
        assert api.refusal(api.get("collection/detail", id=gone)) == (500, 501003, "unExistCollection")
    assert api.get("data/detail", id=deep_data).body["message"] == "common:core.dataset.error.Data not found"
    assert api.delete("collection/delete", {"collectionIds": loose}).data is None
    assert api.post("collection/listV2", {"datasetId": dataset}).data["total"] == 0
    assert api.refusal(api.delete("collection/delete")) == (500, 507004, "missingParams")
    assert api.refusal(api.delete("collection/delete", {"collectionIds": []})) == (500, 500, "error")
    assert api.refusal(api.delete("collection/delete", id="f" * 24)) == (500, 501003, "unExistCollection")


def test_api_collections_are_refused_as_fastgpt_refuses_them(api: Api) -> None:
    plain = api.dataset()
    body = {"datasetId": plain, "name": "doc", "apiFileId": "file-1"}
    refused = api.post("collection/create/apiCollection", body)
    assert (refused.status, refused.body["message"]) == (500, "Can not find api dataset server")
    served = api.dataset(
        "api",
        type="apiDataset",
        apiDatasetServer={"apiServer": {"baseUrl": "http://127.0.0.1:9", "authorization": "k"}},
    )
    unreachable = api.post("collection/create/apiCollection", {**body, "datasetId": served})
    assert (unreachable.status, unreachable.body["message"]) == (500, "网络连接异常")
    # the server's secret is not given back
    assert api.get("detail", id=served).data["apiDatasetServer"] == {
        "apiServer": {"baseUrl": "http://127.0.0.1:9", "authorization": ""}
    }


# ---- data ----------------------------------------------------------------------------------------


def test_push_data_takes_at_most_200_items(api: Api) -> None:
    collection = api.virtual(api.dataset())
    items = [{"q": f"item {n}", "chunkIndex": n} for n in range(200)]
    assert api.push(collection, *items) == 200
    too_many = api.post("data/pushData", {"collectionId": collection, "data": [*items, {"q": "one more"}]})
    assert too_many.status == 400
    assert too_many.body["zodError"][0]["code"] == "too_big"
    assert too_many.body["zodError"][0]["path"] == ["data"]
    assert (
        api.post("collection/listV2", {"datasetId": api.collection(collection)["datasetId"]}).data["list"][0][
            "dataAmount"
        ]
        == 200
    )


def test_push_data_skips_items_without_text_and_defaults_chunk_index(api: Api) -> None:
    collection = api.virtual(api.dataset())
    inserted = api.push(
        collection,
        {"q": "first", "a": "answer one"},
        {"a": "no question: skipped, as pushDataListToTrainingQueue does"},
        {"q": "", "chunkIndex": 3},
        {
            "q": "with indexes",
            "chunkIndex": 7,
            "indexes": [{"text": "alias"}, {"type": "default", "text": "ignored"}],
        },
    )
    assert inserted == 2
    rows = api.data(collection)
    assert [(r["q"], r["chunkIndex"]) for r in rows] == [("first", 0), ("with indexes", 7)]
    assert list(rows[0]) == ["_id", "datasetId", "collectionId", "q", "a", "chunkIndex"]
    assert rows[0]["a"] == "answer one"
    detail = api.get("data/detail", id=rows[1]["_id"]).data
    assert [(i["type"], i["text"]) for i in detail["indexes"]] == [
        ("default", "with indexes"),
        ("custom", "alias"),
    ]
    assert all(re.fullmatch(OBJECT_ID, i["dataId"]) for i in detail["indexes"])
    refused = api.post("data/pushData", {"collectionId": "9" * 24, "data": [{"q": "x"}]})
    assert api.refusal(refused) == (500, 501003, "unExistCollection")
    assert api.post("data/pushData", {"collectionId": collection, "data": [{"q": 1}]}).status == 400
    assert api.post("data/pushData", {"collectionId": "bad", "data": []}).status == 400


def test_data_list_orders_by_chunk_index_pages_by_30_and_searches(api: Api) -> None:
    collection = api.virtual(api.dataset())
    api.push(
        collection,
        *({"q": f"row {n}", "a": "Banana" if n == 5 else "", "chunkIndex": 39 - n} for n in range(40)),
    )
    first = api.post("data/v2/list", {"collectionId": collection, "pageSize": 100}).data
    assert first["total"] == 40
    assert len(first["list"]) == 30  # FastGPT caps a page at 30
    assert [r["chunkIndex"] for r in first["list"]] == list(range(30))
    second = api.post("data/v2/list", {"collectionId": collection, "pageSize": 10, "pageNum": 4}).data
    assert [r["chunkIndex"] for r in second["list"]] == list(range(30, 40))
    by_offset = api.post("data/v2/list", {"collectionId": collection, "pageSize": 5, "offset": 35}).data
    assert [r["chunkIndex"] for r in by_offset["list"]] == list(range(35, 40))
    # FastGPT reads paging only next to a pageSize: without one, an offset is ignored
    unpaged = api.post("data/v2/list", {"collectionId": collection, "offset": 35}).data
    assert [r["chunkIndex"] for r in unpaged["list"]] == list(range(10))
    found = api.post("data/v2/list", {"collectionId": collection, "searchText": "banana"}).data
    assert [r["q"] for r in found["list"]] == ["row 5"]
    assert found["total"] == 1
    assert api.refusal(api.post("data/v2/list", {"collectionId": collection, "pageSize": 0})) == (
        500,
        507004,
        "missingParams",
    )


def test_data_detail_update_and_delete(api: Api, clock: Clock) -> None:
    dataset = api.dataset()
    collection = api.virtual(dataset, "hand")
    api.push(
        collection, {"q": "What is FastGPT?", "a": "A platform.", "chunkIndex": 2, "metadata": {"lang": "en"}}
    )
    data_id = api.data(collection)[0]["_id"]
    detail = api.get("data/detail", id=data_id).data
    assert list(detail) == [
        "q",
        "a",
        "id",
        "teamId",
        "datasetId",
        "collectionId",
        "updateTime",
        "sourceName",
        "chunkIndex",
        "indexes",
        "isOwner",
        "metadata",
    ]
    assert (detail["id"], detail["datasetId"], detail["collectionId"]) == (data_id, dataset, collection)
    assert (detail["sourceName"], detail["chunkIndex"], detail["isOwner"]) == ("hand", 2, True)
    assert detail["metadata"] == {"lang": "en"}
    assert [i["text"] for i in detail["indexes"]] == ["What is FastGPT?", "A platform."]
    clock.now += 30
    updated = api.put("data/update", {"dataId": data_id, "q": "What is it?", "a": ""})
    assert updated.data == {"q": "What is it?"}  # `a` left out when empty
    after = api.get("data/detail", id=data_id).data
    assert (after["q"], after["a"], after["updateTime"]) == ("What is it?", "", "2026-08-01T00:00:30.000Z")
    assert api.fake.datasets.data[data_id].history == [
        {"q": "What is FastGPT?", "a": "A platform.", "updateTime": T0}
    ]
    with_indexes = api.put(
        "data/update", {"dataId": data_id, "q": "What is it?", "indexes": [{"text": "alias"}]}
    )
    assert with_indexes.data == {"q": "What is it?"}
    assert [(i["type"], i["text"]) for i in api.get("data/detail", id=data_id).data["indexes"]] == [
        ("default", "What is it?"),
        ("custom", "alias"),
    ]
    assert api.put("data/update", {"dataId": data_id}).status == 400  # q is required
    assert api.delete("data/delete", id=data_id).data is None
    gone = api.get("data/detail", id=data_id)
    assert (gone.status, gone.body["statusText"], gone.body["message"]) == (
        500,
        "error",
        "common:core.dataset.error.Data not found",
    )
    assert api.delete("data/delete", id=data_id).status == 500
    assert api.get("data/detail", id="nope").status == 400


# ---- paths and versions --------------------------------------------------------------------------

PATHS = {
    "create": "4.4.5",
    "list": "4.4.5",
    "detail": "4.4.5",
    "delete": "4.4.5",
    "searchTest": "4.4.5",
    "collection/create": "4.5.1",
    "collection/create/text": "4.6.7",
    "collection/create/link": "4.6.7",
    "collection/create/localFile": "4.8",
    "collection/create/apiCollection": "4.8.15",
    "collection/listV2": "4.8.19",
    "collection/detail": "4.5.1",
    "collection/update": "4.5.1",
    "collection/delete": "4.6.3",
    "collection/sync": "4.8.15",
    "data/pushData": "4.4.5",
    "data/v2/list": "4.8.12",
    "data/detail": "4.6",
    "data/update": "4.6",
    "data/delete": "4.6",
}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_dataset_path_is_served(path: str) -> None:
    # without a key a served path is refused (401); only a path the table lacks answers 404
    assert FakeFastGPT().handle("POST", f"{BASE}/{path}", {}, {}, b"").status == 401


@pytest.mark.parametrize(
    ("path", "last_without", "first_with"),
    [
        ("collection/listV2", "4.8.18", "4.8.19"),
        ("collection/create/apiCollection", "4.8.14", "4.8.15"),
        ("collection/sync", "4.8.14", "4.8.15"),
        ("data/v2/list", "4.8.11", "4.8.12"),
        ("collection/create/localFile", "4.7.1", "4.8"),
        ("collection/create/text", "4.6.6", "4.6.7"),
    ],
)
def test_a_path_is_a_bare_404_before_its_version(path: str, last_without: str, first_with: str) -> None:
    old = FakeFastGPT(version=last_without).handle("POST", f"{BASE}/{path}", {}, {}, b"")
    assert (old.status, old.headers, old.body) == (
        404,
        {"content-type": "text/plain"},
        f"Cannot POST {BASE}/{path}".encode(),
    )
    assert FakeFastGPT(version=first_with).handle("POST", f"{BASE}/{path}", {}, {}, b"").status == 401


def test_an_old_server_still_keeps_datasets() -> None:
    api = Api(FakeFastGPT(version="4.8.11"))
    collection = api.virtual(api.dataset())
    assert api.push(collection, {"q": "old"}) == 1
    assert api.post("data/v2/list", {"collectionId": collection}).status == 404
