"""FastGPT 4.17 - 4.18 in the dataset area, through the SDK against the emulator playing each version:
typed collection tags (4.17.1), model ids (4.17.0), the collection delete by POST with its learned
fallback, `inherit_permission` (4.17.3), `list_datasets`' type list, and 4.17.2's training (rows
before indexes, counters updated later, edits of unindexed data refused)."""

from __future__ import annotations

from typing import Any

import pytest
from http_support import run

from fastgpt_oapi import BadRequestError, Client, DataNotIndexedError, NotFoundError
from fastgpt_oapi.api.dataset.model import (
    CollectionDetail,
    CollectionTag,
    CollectionTagFilter,
    CollectionTagInput,
    CreateCollectionRequest,
    CreateDatasetRequest,
    DeleteCollectionRequest,
    DeleteDataRequest,
    GetCollectionRequest,
    GetDatasetRequest,
    ListCollectionsRequest,
    ListDataRequest,
    ListDatasetsRequest,
    PushDataRequest,
    SearchTestRequest,
    UpdateCollectionRequest,
    UpdateDataRequest,
)
from fastgpt_oapi.testing import FakeFastGPT

from ._support import fake_client
from .test_dataset_wait_for_training import TestClock

DELETE_PATH = "/api/core/dataset/collection/delete"


def client_of(version: str, **options: Any) -> tuple[FakeFastGPT, Client]:
    fake = FakeFastGPT(version=version, **options)
    return fake, fake.client()


def a_dataset(client: Client) -> str:
    return client.dataset.create_dataset(CreateDatasetRequest(name="kb")).id


def a_collection(client: Client, dataset_id: str, **fields: Any) -> str:
    request = CreateCollectionRequest(
        dataset_id=dataset_id, name=fields.pop("name", "c"), type="virtual", **fields
    )
    return client.dataset.create_collection(request).id


# ---- typed tags (4.17.1) ---------------------------------------------------------------------------


async def test_typed_tags_are_read_from_listings_and_details(io_mode: str) -> None:
    # Before: `tags: list[str]` made every call here raise APIResponseValidationError.
    _fake, client = client_of("4.18.0")
    with client:
        dataset = a_dataset(client)
        english = a_collection(client, dataset, name="en", tags=["plain", {"tag": "lang", "value": "en"}])
        a_collection(
            client, dataset, name="fr", tags=[{"tag": "lang", "value": "fr"}, {"tag": "year", "value": 2026}]
        )
        listed = await run(
            io_mode,
            lambda: client.dataset.list_collections(ListCollectionsRequest(dataset_id=dataset)),
            lambda: client.dataset.alist_collections(ListCollectionsRequest(dataset_id=dataset)),
        )
        detail = await run(
            io_mode,
            lambda: client.dataset.get_collection(GetCollectionRequest(id=english)),
            lambda: client.dataset.aget_collection(GetCollectionRequest(id=english)),
        )
        walked = list(client.dataset.iter_collections(ListCollectionsRequest(dataset_id=dataset)))
        waited = client.dataset.wait_for_training(english)
    by_name = {item.name: item for item in listed.list}
    plain, typed = by_name["en"].tags or []
    assert plain == "plain"
    assert isinstance(typed, CollectionTag)
    assert (typed.value, typed.label) == ("en", "lang")
    year = (by_name["fr"].tags or [])[1]
    assert isinstance(year, CollectionTag)
    assert (year.value, year.label) == (2026, "year")
    detail_tags = detail.tags or []
    assert isinstance(detail_tags[1], CollectionTag)
    assert detail_tags[1].tag_id == typed.tag_id
    assert detail_tags[1].label is None
    assert len(walked) == 2
    assert waited.id == english


async def test_tag_filters_keep_the_collections_with_the_tag_value(io_mode: str) -> None:
    _, client = client_of("4.18.0")
    with client:
        dataset = a_dataset(client)
        a_collection(client, dataset, name="en", tags=[{"tag": "lang", "value": "en"}])
        a_collection(client, dataset, name="fr", tags=[{"tag": "lang", "value": "fr"}])
        a_collection(client, dataset, name="none")
        listed = client.dataset.list_collections(ListCollectionsRequest(dataset_id=dataset))
        lang = next(t for item in listed.list for t in item.tags or [] if isinstance(t, CollectionTag))
        request = ListCollectionsRequest(
            dataset_id=dataset, tag_filters=[CollectionTagFilter(tag_id=lang.tag_id, values=["fr"])]
        )
        found = await run(
            io_mode,
            lambda: client.dataset.list_collections(request),
            lambda: client.dataset.alist_collections(request),
        )
        any_value = client.dataset.list_collections(
            ListCollectionsRequest(dataset_id=dataset, tag_filters=[CollectionTagFilter(tag_id=lang.tag_id)])
        )
    assert [c.name for c in found.list] == ["fr"]
    assert sorted(c.name for c in any_value.list) == ["en", "fr"]


async def test_tags_can_be_retyped_by_update(io_mode: str) -> None:
    _, client = client_of("4.18.0")
    with client:
        collection = a_collection(client, a_dataset(client), tags=["old"])
        request = UpdateCollectionRequest(id=collection, tags=[CollectionTagInput(tag="lang", value="de")])
        await run(
            io_mode,
            lambda: client.dataset.update_collection(request),
            lambda: client.dataset.aupdate_collection(request),
        )
        tags = client.dataset.get_collection(GetCollectionRequest(id=collection)).tags
    assert tags is not None
    assert isinstance(tags[0], CollectionTag)
    assert tags[0].value == "de"


def test_an_older_server_refuses_typed_tags_and_keeps_string_ones() -> None:
    _, client = client_of("4.17.0")
    with client:
        dataset = a_dataset(client)
        with pytest.raises(BadRequestError):
            a_collection(client, dataset, tags=[{"tag": "lang", "value": "en"}])
        collection = a_collection(client, dataset, tags=["plain"])
        assert client.dataset.get_collection(GetCollectionRequest(id=collection)).tags == ["plain"]


# ---- model ids (4.17.0) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "model"), [("4.17.0", "embed-id-7"), ("4.16.0", "text-embedding-3-small")]
)
async def test_a_dataset_takes_its_models_by_id_from_4_17(io_mode: str, version: str, model: str) -> None:
    _, client = client_of(version)
    request = CreateDatasetRequest(name="kb", vector_model_id="embed-id-7", agent_model_id="llm-id-1")
    with client:
        created = await run(
            io_mode,
            lambda: client.dataset.create_dataset(request),
            lambda: client.dataset.acreate_dataset(request),
        )
        detail = client.dataset.get_dataset(GetDatasetRequest(id=created.id))
        client.dataset.push_data(
            PushDataRequest(collection_id=a_collection(client, created.id), data=[{"q": "lamp"}])
        )
        search = SearchTestRequest(
            dataset_id=created.id,
            text="lamp",
            rerank_model_id="rerank-1",
            dataset_search_extension_model_id="llm-id-1",
            dataset_deep_search_model_id="llm-id-1",
        )
        found = await run(
            io_mode, lambda: client.dataset.search_test(search), lambda: client.dataset.asearch_test(search)
        )
    assert detail.vector_model is not None
    assert detail.vector_model.model == model
    assert [r.q for r in found.list] == ["lamp"]


# ---- collection delete (POST body, learned fallback) -------------------------------------------------


def _delete_calls(fake: FakeFastGPT) -> list[tuple[str, dict[str, str], Any]]:
    return [(r.method, r.query, r.body) for r in fake.requests if r.path == DELETE_PATH]


async def test_delete_by_body_on_4_18(io_mode: str) -> None:
    fake, client = client_of("4.18.0")
    with client:
        collection = a_collection(client, a_dataset(client))
        request = DeleteCollectionRequest(id=collection)
        await run(
            io_mode,
            lambda: client.dataset.delete_collection(request),
            lambda: client.dataset.adelete_collection(request),
        )
        with pytest.raises(NotFoundError):
            client.dataset.get_collection(GetCollectionRequest(id=collection))
    assert _delete_calls(fake) == [("POST", {}, {"id": collection})]


@pytest.mark.parametrize("version", ["4.17.0", "4.16.0"])
async def test_an_older_server_is_asked_in_the_old_form_once_learned(io_mode: str, version: str) -> None:
    fake, client = client_of(version)
    with client:
        dataset = a_dataset(client)
        first, second, third = (a_collection(client, dataset, name=n) for n in "abc")
        for collection in (first, second):
            request = DeleteCollectionRequest(id=collection)
            await run(
                io_mode,
                lambda r=request: client.dataset.delete_collection(r),  # type: ignore[misc]
                lambda r=request: client.dataset.adelete_collection(r),  # type: ignore[misc]
            )
        several = DeleteCollectionRequest(collection_ids=[third])
        client.dataset.delete_collection(several)  # the old form took a body `collectionIds` too
        left = client.dataset.list_collections(ListCollectionsRequest(dataset_id=dataset)).total
    assert left == 0
    assert _delete_calls(fake) == [
        ("POST", {}, {"id": first}),  # refused unread (missingParams): nothing deleted
        ("DELETE", {"id": first}, None),
        ("DELETE", {"id": second}, None),  # learned
        ("DELETE", {}, {"collectionIds": [third]}),
    ]


async def test_api_files_cannot_be_deleted_on_an_older_server(io_mode: str) -> None:
    fake, client = client_of("4.17.2")
    request = DeleteCollectionRequest(dataset_id="65abd0ad9d1448617cba6030", api_file_ids=["doc-1"])
    with client, pytest.raises(BadRequestError, match="api_file_ids") as raised:
        await run(
            io_mode,
            lambda: client.dataset.delete_collection(request),
            lambda: client.dataset.adelete_collection(request),
        )
    assert raised.value.status_text == "missingParams"
    assert [m for m, _, _ in _delete_calls(fake)] == ["POST", "DELETE"]


def test_api_files_unknown_to_a_4_18_server_are_not_found() -> None:
    _, client = client_of("4.18.0")
    with client:
        request = DeleteCollectionRequest(dataset_id=a_dataset(client), api_file_ids=["doc-1"])
        with pytest.raises(NotFoundError):
            client.dataset.delete_collection(request)


# ---- folders and dataset lists (4.17) --------------------------------------------------------------------


async def test_a_folder_takes_inherit_permission_from_4_17_3(io_mode: str) -> None:
    _, client = client_of("4.18.0")
    with client:
        request = CreateCollectionRequest(
            dataset_id=a_dataset(client), name="f", type="folder", inherit_permission=False
        )
        created = await run(
            io_mode,
            lambda: client.dataset.create_collection(request),
            lambda: client.dataset.acreate_collection(request),
        )
        assert client.dataset.get_collection(GetCollectionRequest(id=created.id)).inherit_permission is False


async def test_list_datasets_takes_several_types_and_creators(io_mode: str) -> None:
    _, client = client_of("4.18.0")
    with client:
        client.dataset.create_dataset(CreateDatasetRequest(name="folder", type="folder"))
        client.dataset.create_dataset(CreateDatasetRequest(name="kb"))
        client.dataset.create_dataset(CreateDatasetRequest(name="site", type="websiteDataset"))
        request = ListDatasetsRequest(type=["dataset", "folder"], sort="updateTime")
        found = await run(
            io_mode,
            lambda: client.dataset.list_datasets(request),
            lambda: client.dataset.alist_datasets(request),
        )
        nobody = client.dataset.list_datasets(ListDatasetsRequest(tmb_ids=["65abd0ad9d1448617cba6030"]))
    assert sorted(d.name for d in found.list) == ["folder", "kb"]
    assert nobody.list == []


def test_an_older_server_refuses_a_list_of_types() -> None:
    _, client = client_of("4.16.0")
    with client, pytest.raises(BadRequestError):
        client.dataset.list_datasets(ListDatasetsRequest(type=["dataset", "folder"]))


# ---- training (4.17.2) ------------------------------------------------------------------------------------


async def _wait(mode: str, client: Client, collection_id: str, **options: Any) -> CollectionDetail:
    detail: CollectionDetail  # options of type Any could fit either overload: the one id's answer
    if mode == "sync":
        detail = client.dataset.wait_for_training(collection_id, **options)
    else:
        detail = await client.dataset.await_for_training(collection_id, **options)
    return detail


@pytest.mark.parametrize("version", ["4.17.2", "4.18.0"])
async def test_the_wait_ends_when_the_data_is_searchable_despite_stale_counters(
    io_mode: str, version: str
) -> None:
    # Before: the first poll read the counters of before the push (all 0) and the wait returned at
    # once, with nothing searchable yet.
    clock = TestClock()
    fake = FakeFastGPT(version=version, clock=clock, training_delay=20)
    with fake_client(fake, hooks=clock.hooks()) as client:
        dataset = a_dataset(client)
        collection = a_collection(client, dataset)
        client.dataset.get_collection(GetCollectionRequest(id=collection))  # counters read before the push
        client.dataset.push_data(PushDataRequest(collection_id=collection, data=[{"q": "lumen lamp"}]))
        started = clock.now
        detail = await _wait(io_mode, client, collection, poll_interval=5)
        found = client.dataset.search_test(SearchTestRequest(dataset_id=dataset, text="lumen lamp"))
    assert clock.now - started >= 20
    assert [r.q for r in found.list] == ["lumen lamp"]
    assert detail.remaining_count == 0


async def test_unindexed_data_is_listed_and_refuses_edits(io_mode: str) -> None:
    clock = TestClock()
    fake = FakeFastGPT(version="4.17.2", clock=clock, training_delay=20)
    with fake_client(fake, hooks=clock.hooks()) as client:
        dataset = a_dataset(client)
        collection = a_collection(client, dataset)
        client.dataset.push_data(PushDataRequest(collection_id=collection, data=[{"q": "lumen lamp"}]))
        rows = client.dataset.list_data(ListDataRequest(collection_id=collection)).list
        update = UpdateDataRequest(data_id=rows[0].id, q="changed")
        with pytest.raises(DataNotIndexedError, match="not indexed yet") as raised:
            await run(
                io_mode,
                lambda: client.dataset.update_data(update),
                lambda: client.dataset.aupdate_data(update),
            )
        with pytest.raises(DataNotIndexedError):
            client.dataset.delete_data(DeleteDataRequest(id=rows[0].id))
        unsearchable = client.dataset.search_test(
            SearchTestRequest(dataset_id=dataset, text="lumen lamp")
        ).list
        clock.now += 20
        client.dataset.update_data(update)
        indexed = client.dataset.list_data(ListDataRequest(collection_id=collection)).list
    assert [r.index_status for r in rows] == ["indexing"]
    assert raised.value.status_text == "dataNotIndexed"
    assert unsearchable == []
    assert [(r.q, r.index_status) for r in indexed] == [("changed", "indexed")]
