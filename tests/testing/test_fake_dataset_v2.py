"""The emulator's FastGPT 4.15 - 4.18 dataset operations, through the SDK (sync and async, a strict
`fake.client()`): `listV2`, the one-index edits, `insertData`, `apiCollectionV2`, and the presigned
dataset upload with `create/fileId` through the same `FakeStorage` as chat files. Each is also played
by an older version that lacks it (a bare 404)."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from dataset._support import Clock
from http_support import drain, run

from fastgpt_oapi import Client, InternalServerError, NotFoundError
from fastgpt_oapi.api.dataset.model import (
    ApiFileItem,
    CreateApiCollectionV2Request,
    CreateCollectionRequest,
    CreateDataIndexRequest,
    CreateDatasetRequest,
    CreateFileIdCollectionRequest,
    DataIndex,
    DeleteDataIndexRequest,
    GetCollectionRequest,
    GetDataRequest,
    InsertDataRequest,
    ListCollectionsRequest,
    ListDataRequest,
    ListDatasetsV2Request,
    PushDataRequest,
    SearchTestRequest,
    UpdateDataIndexRequest,
    UploadDatasetFileRequest,
)
from fastgpt_oapi.testing import FakeFastGPT


def dataset(client: Client, name: str, **fields: Any) -> str:
    return client.dataset.create_dataset(CreateDatasetRequest(name=name, **fields)).id


def virtual_collection(client: Client, dataset_id: str) -> str:
    return client.dataset.create_collection(
        CreateCollectionRequest(dataset_id=dataset_id, name="manual", type="virtual")
    ).id


# ---- dataset/listV2 -------------------------------------------------------------------------------


async def test_list_v2_pages_a_folder_newest_first(io_mode: str) -> None:
    clock = Clock()
    fake = FakeFastGPT(clock=clock)
    async with fake.client() as client:
        folder = dataset(client, "Team", type="folder")
        ids = []
        for n in range(5):
            clock.now += 1
            ids.append(dataset(client, f"Docs {n}", parent_id=folder))
        dataset(client, "Elsewhere")
        request = ListDatasetsV2Request(parent_id=folder, offset=1, page_size=2)

        page = await run(
            io_mode,
            lambda: client.dataset.list_datasets_v2(request),
            lambda: client.dataset.alist_datasets_v2(request),
        )

    assert page.total == 5
    assert [item.id for item in page.list] == [ids[3], ids[2]]
    first = page.list[0]
    assert first.name == "Docs 3"
    assert first.create_time is not None
    assert first.create_time == first.update_time
    assert first.permission is not None
    assert first.permission.is_owner
    assert first.vector_model is not None
    assert first.vector_model.type == "embedding"


async def test_list_v2_searches_the_folder_and_below_and_filters_by_type(io_mode: str) -> None:
    fake = FakeFastGPT()
    async with fake.client() as client:
        top = dataset(client, "Top", type="folder")
        inner = dataset(client, "Inner", type="folder", parent_id=top)
        deep = dataset(client, "Manual deep", parent_id=inner)
        near = dataset(client, "Manual near", parent_id=top, type="websiteDataset")
        dataset(client, "Manual outside")
        in_tree = ListDatasetsV2Request(parent_id=top, search_key="manual")
        by_type = ListDatasetsV2Request(search_key="MANUAL", type=["websiteDataset"])
        nobody = ListDatasetsV2Request(tmb_ids=[])

        found = await run(
            io_mode,
            lambda: client.dataset.list_datasets_v2(in_tree),
            lambda: client.dataset.alist_datasets_v2(in_tree),
        )
        typed = await run(
            io_mode,
            lambda: client.dataset.list_datasets_v2(by_type),
            lambda: client.dataset.alist_datasets_v2(by_type),
        )
        empty = await run(
            io_mode,
            lambda: client.dataset.list_datasets_v2(nobody),
            lambda: client.dataset.alist_datasets_v2(nobody),
        )

    assert {item.id for item in found.list} == {deep, near}
    assert [item.id for item in typed.list] == [near]
    assert (empty.list, empty.total) == ([], 0)


async def test_list_v2_sorts_by_creation_and_iterates(io_mode: str) -> None:
    clock = Clock()
    fake = FakeFastGPT(clock=clock)
    async with fake.client() as client:
        ids = []
        for n in range(5):
            clock.now += 1
            ids.append(dataset(client, f"d{n}"))
        request = ListDatasetsV2Request(sort="createTimeAsc", page_size=2)

        items = await drain(
            io_mode,
            lambda: client.dataset.iter_datasets_v2(request),
            lambda: client.dataset.aiter_datasets_v2(request),
        )

    assert [item.id for item in items] == ids


async def test_list_v2_is_not_served_before_4_17(io_mode: str) -> None:
    fake = FakeFastGPT(version="4.16.0")
    async with fake.client() as client:
        request = ListDatasetsV2Request()
        with pytest.raises(NotFoundError) as caught:
            await run(
                io_mode,
                lambda: client.dataset.list_datasets_v2(request),
                lambda: client.dataset.alist_datasets_v2(request),
            )
    assert caught.value.http_status == 404


# ---- data/index/* -----------------------------------------------------------------------------------


async def test_an_index_added_edited_and_removed_changes_the_chunk_and_its_search(io_mode: str) -> None:
    fake = FakeFastGPT()
    async with fake.client() as client:
        dataset_id = dataset(client, "Kb")
        collection_id = virtual_collection(client, dataset_id)
        client.dataset.push_data(
            PushDataRequest(collection_id=collection_id, data=[{"q": "Reset the router"}])
        )
        (row,) = client.dataset.list_data(ListDataRequest(collection_id=collection_id)).list
        create = CreateDataIndexRequest(data_id=row.id, type="question", text="  wifi password lost  ")

        created = await run(
            io_mode,
            lambda: client.dataset.create_data_index(create),
            lambda: client.dataset.acreate_data_index(create),
        )
        assert created.index is not None
        assert (created.index.type, created.index.text) == ("question", "wifi password lost")
        detail = client.dataset.get_data(GetDataRequest(id=row.id))
        assert [(i.type, i.text) for i in detail.indexes] == [
            ("question", "wifi password lost"),
            ("default", "Reset the router"),
        ]
        hits = client.dataset.search_test(SearchTestRequest(dataset_id=dataset_id, text="wifi password"))
        assert [hit.id for hit in hits.list] == [row.id]

        same = UpdateDataIndexRequest(
            data_id=row.id,
            index_data_id=created.index.data_id or "",
            type="question",
            text="wifi password lost",
        )
        unchanged = await run(
            io_mode,
            lambda: client.dataset.update_data_index(same),
            lambda: client.dataset.aupdate_data_index(same),
        )
        assert unchanged.index is not None
        assert unchanged.index.data_id == created.index.data_id

        edit = same.model_copy(update={"text": "forgot admin login", "type": "summary"})
        edited = await run(
            io_mode,
            lambda: client.dataset.update_data_index(edit),
            lambda: client.dataset.aupdate_data_index(edit),
        )
        assert edited.index is not None
        assert edited.index.data_id != created.index.data_id
        detail = client.dataset.get_data(GetDataRequest(id=row.id))
        assert (detail.indexes[0].type, detail.indexes[0].text) == ("summary", "forgot admin login")
        assert not client.dataset.search_test(SearchTestRequest(dataset_id=dataset_id, text="wifi")).list

        drop = DeleteDataIndexRequest(data_id=row.id, index_data_id=edited.index.data_id or "")
        await run(
            io_mode,
            lambda: client.dataset.delete_data_index(drop),
            lambda: client.dataset.adelete_data_index(drop),
        )
        detail = client.dataset.get_data(GetDataRequest(id=row.id))
        assert [i.type for i in detail.indexes] == ["default"]


async def test_system_and_unknown_indexes_are_refused_as_fastgpt_refuses_them(io_mode: str) -> None:
    fake = FakeFastGPT()
    async with fake.client() as client:
        collection_id = virtual_collection(client, dataset(client, "Kb"))
        client.dataset.push_data(PushDataRequest(collection_id=collection_id, data=[{"q": "text"}]))
        (row,) = client.dataset.list_data(ListDataRequest(collection_id=collection_id)).list
        (default,) = client.dataset.get_data(GetDataRequest(id=row.id)).indexes
        system = DeleteDataIndexRequest(data_id=row.id, index_data_id=default.data_id or "")
        unknown = UpdateDataIndexRequest(data_id=row.id, index_data_id="no-such-vector", text="x")

        with pytest.raises(InternalServerError) as refused:
            await run(
                io_mode,
                lambda: client.dataset.delete_data_index(system),
                lambda: client.dataset.adelete_data_index(system),
            )
        assert refused.value.message == "System indexes cannot be deleted separately"
        with pytest.raises(InternalServerError) as missing:
            await run(
                io_mode,
                lambda: client.dataset.update_data_index(unknown),
                lambda: client.dataset.aupdate_data_index(unknown),
            )
        assert missing.value.message == "Dataset data index not found"


async def test_data_indexes_are_not_served_before_4_15(io_mode: str) -> None:
    fake = FakeFastGPT(version="4.14.10")
    async with fake.client() as client:
        request = CreateDataIndexRequest(data_id="65abd0ad9d1448617cba6100", text="x")
        with pytest.raises(NotFoundError):
            await run(
                io_mode,
                lambda: client.dataset.create_data_index(request),
                lambda: client.dataset.acreate_data_index(request),
            )


# ---- data/insertData --------------------------------------------------------------------------------


async def test_inserted_data_is_there_at_once_and_a_duplicate_is_refused(io_mode: str) -> None:
    clock = Clock()
    fake = FakeFastGPT(clock=clock, training_delay=60)  # pushData would take a minute here
    async with fake.client() as client:
        dataset_id = dataset(client, "Kb")
        collection_id = virtual_collection(client, dataset_id)
        request = InsertDataRequest(
            collection_id=collection_id,
            q="  What is FastGPT? ",
            a="A platform.",
            indexes=[DataIndex(text="about")],
        )

        inserted = await run(
            io_mode, lambda: client.dataset.insert_data(request), lambda: client.dataset.ainsert_data(request)
        )

        detail = client.dataset.get_data(GetDataRequest(id=inserted.id))
        assert (detail.q, detail.a, detail.chunk_index) == ("What is FastGPT?", "A platform.", 0)
        assert [(i.type, i.text) for i in detail.indexes] == [
            ("default", "What is FastGPT?"),
            ("default", "A platform."),
            ("custom", "about"),
        ]
        hits = client.dataset.search_test(SearchTestRequest(dataset_id=dataset_id, text="FastGPT"))
        assert [hit.id for hit in hits.list] == [inserted.id]
        status = client.dataset.get_collection(GetCollectionRequest(id=collection_id))
        assert status.training_amount == 0

        with pytest.raises(InternalServerError) as caught:
            await run(
                io_mode,
                lambda: client.dataset.insert_data(request),
                lambda: client.dataset.ainsert_data(request),
            )
        assert caught.value.message == "已经存在完全一致的数据"


async def test_insert_data_into_a_missing_collection_is_not_found(io_mode: str) -> None:
    fake = FakeFastGPT()
    async with fake.client() as client:
        request = InsertDataRequest(collection_id="65abd0ad9d1448617cba6031", q="x")
        with pytest.raises(NotFoundError) as caught:
            await run(
                io_mode,
                lambda: client.dataset.insert_data(request),
                lambda: client.dataset.ainsert_data(request),
            )
    assert caught.value.status_text == "unExistCollection"


# ---- collection/create/apiCollectionV2 --------------------------------------------------------------


def api_file(file_id: str, name: str, **extra: Any) -> ApiFileItem:
    return ApiFileItem(
        id=file_id,
        raw_id=file_id,
        name=name,
        type=extra.pop("type", "file"),
        update_time="2026-10-01T00:00:00.000Z",
        create_time="2026-09-01T00:00:00.000Z",
        **extra,
    )


async def test_api_collections_v2_make_one_collection_per_new_file(io_mode: str) -> None:
    fake = FakeFastGPT()
    async with fake.client() as client:
        dataset_id = dataset(
            client,
            "Api",
            type="apiDataset",
            api_dataset_server={"apiServer": {"baseUrl": "http://127.0.0.1:9"}},
        )
        first = CreateApiCollectionV2Request(
            dataset_id=dataset_id,
            api_files=[api_file("f1", "a.md"), api_file("f2", "b.md"), api_file("f1", "a.md")],
        )
        again = CreateApiCollectionV2Request(
            dataset_id=dataset_id, api_files=[api_file("f2", "b.md"), api_file("f3", "c.md")]
        )

        for request in (first, again):
            done = await run(
                io_mode,
                partial(client.dataset.create_api_collection_v2, request),
                partial(client.dataset.acreate_api_collection_v2, request),
            )
            assert done.model_extra == {}

        page = client.dataset.list_collections(ListCollectionsRequest(dataset_id=dataset_id))
    assert sorted((c.name, c.type) for c in page.list) == [
        ("a.md", "apiFile"),
        ("b.md", "apiFile"),
        ("c.md", "apiFile"),
    ]


async def test_an_api_folder_needs_the_file_server(io_mode: str) -> None:
    fake = FakeFastGPT()
    async with fake.client() as client:
        dataset_id = dataset(client, "Plain")
        request = CreateApiCollectionV2Request(
            dataset_id=dataset_id,
            api_files=[api_file("f1", "a.md"), api_file("d1", "Specs", type="folder", has_child=True)],
        )
        with pytest.raises(InternalServerError) as caught:
            await run(
                io_mode,
                lambda: client.dataset.create_api_collection_v2(request),
                lambda: client.dataset.acreate_api_collection_v2(request),
            )
        assert caught.value.message == "Can not find api dataset server"
        page = client.dataset.list_collections(ListCollectionsRequest(dataset_id=dataset_id))
    assert page.list == []  # one transaction: nothing was created


# ---- presigned dataset upload and create/fileId -----------------------------------------------------


async def test_an_uploaded_file_becomes_a_collection(io_mode: str, tmp_path: Path) -> None:
    fake = FakeFastGPT()
    path = tmp_path / "guide.md"
    path.write_text("# Guide\n\nPlug the router in and wait for the green light.", encoding="utf-8")
    async with fake.client() as client:
        dataset_id = dataset(client, "Kb")
        upload = UploadDatasetFileRequest(dataset_id=dataset_id, file=path)

        uploaded = await run(
            io_mode,
            lambda: client.dataset.upload_dataset_file(upload),
            lambda: client.dataset.aupload_dataset_file(upload),
        )
        create = CreateFileIdCollectionRequest(dataset_id=dataset_id, file_id=uploaded.file_id)
        created = await run(
            io_mode,
            lambda: client.dataset.create_file_id_collection(create),
            lambda: client.dataset.acreate_file_id_collection(create),
        )

        detail = client.dataset.get_collection(GetCollectionRequest(id=created.collection_id))
        rows = client.dataset.list_data(ListDataRequest(collection_id=created.collection_id)).list

    assert uploaded.key.startswith(f"dataset/{dataset_id}/")
    assert (uploaded.filename, uploaded.content_type) == ("guide.md", "text/markdown")
    presign = fake.requests[1]
    assert presign.path == "/api/core/dataset/file/presignDatasetFilePostUrl"
    assert presign.body == {"datasetId": dataset_id, "filename": "guide.md", "size": uploaded.size}
    (put,) = fake.storage.requests
    assert put.method == "PUT"
    assert put.authorization is None
    assert fake.storage.objects[uploaded.key].data == path.read_bytes()
    assert (detail.name, detail.type, detail.file_id) == ("guide.md", "file", uploaded.key)
    assert [row.q for row in rows] == ["# Guide\n\nPlug the router in and wait for the green light."]


async def test_a_large_dataset_file_goes_in_parts(io_mode: str) -> None:
    fake = FakeFastGPT(upload_part_size=1000, multipart_threshold=2000)
    data = os.urandom(2500)
    async with fake.client() as client:
        dataset_id = dataset(client, "Kb")
        upload = UploadDatasetFileRequest(dataset_id=dataset_id, file=data, filename="scan.pdf")

        uploaded = await run(
            io_mode,
            lambda: client.dataset.upload_dataset_file(upload),
            lambda: client.dataset.aupload_dataset_file(upload),
        )

    *parts, complete = fake.storage.requests
    assert [(p.method, p.part_number) for p in parts] == [("PUT", 1), ("PUT", 2), ("PUT", 3)]
    assert complete.path.endswith("/complete")
    assert all(r.authorization is None for r in fake.storage.requests)
    assert fake.storage.objects[uploaded.key].data == data


async def test_before_4_16_a_large_dataset_file_is_one_put(io_mode: str) -> None:
    fake = FakeFastGPT(version="4.15.0", upload_part_size=1000, multipart_threshold=2000)
    async with fake.client() as client:
        dataset_id = dataset(client, "Kb")
        upload = UploadDatasetFileRequest(dataset_id=dataset_id, file=b"x" * 2500, filename="big.txt")

        await run(
            io_mode,
            lambda: client.dataset.upload_dataset_file(upload),
            lambda: client.dataset.aupload_dataset_file(upload),
        )

    (put,) = fake.storage.requests
    assert (put.method, len(put.body)) == ("PUT", 2500)


async def test_a_file_of_another_dataset_or_never_uploaded_is_not_found(io_mode: str) -> None:
    fake = FakeFastGPT()
    async with fake.client() as client:
        mine, other = dataset(client, "Mine"), dataset(client, "Other")
        uploaded = client.dataset.upload_dataset_file(
            UploadDatasetFileRequest(dataset_id=other, file=b"hello", filename="a.txt")
        )
        for file_id in (uploaded.key, f"dataset/{mine}/never.txt"):
            request = CreateFileIdCollectionRequest(dataset_id=mine, file_id=file_id)
            with pytest.raises(NotFoundError) as caught:
                await run(
                    io_mode,
                    partial(client.dataset.create_file_id_collection, request),
                    partial(client.dataset.acreate_file_id_collection, request),
                )
            assert caught.value.status_text == "fileNotFound"


async def test_the_dataset_presign_is_not_served_before_4_14_11(io_mode: str) -> None:
    fake = FakeFastGPT(version="4.14.10")
    async with fake.client() as client:
        dataset_id = dataset(client, "Kb")
        upload = UploadDatasetFileRequest(dataset_id=dataset_id, file=b"x", filename="a.txt")
        with pytest.raises(NotFoundError):
            await run(
                io_mode,
                lambda: client.dataset.upload_dataset_file(upload),
                lambda: client.dataset.aupload_dataset_file(upload),
            )
    assert fake.storage.requests == []
