"""Collections once made: `collection/listV2`, `detail`, `update`, `delete` and `sync` under
`/api/core/dataset/`, with `training/getTrainingDataDetail` and `training/updateTrainingData`; making
them is `collection_create.py`.

Sources: `packages/global/openapi/core/dataset/collection/{index.ts, api.ts}` and the handlers under
`projects/app/src/pages/api/core/dataset/collection/` at f88b51b5 (4.16.0-beta1), with the 4.17 and
4.18 changes cited where they apply.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ...datasets import Collection, text_hash
from ...ids import is_object_id
from ...state import State, iso
from ...wire import Params, SchemaRefusal, dataset_error, failed, file_not_found, missing_params
from .. import schema as z
from ..paging import paging
from ..schema import Spec, validate
from .documents import PERMISSION, TMB_ID, collection_doc, dataset_doc, training_counts
from .lookups import (
    TAG_INPUT,
    find_collection,
    find_dataset,
    page_title,
    parent_of,
    read_link,
    since,
    tags_in,
)
from .table import route

__all__ = ["ROUTES"]


_LIST_COLLECTIONS: Spec = {
    **z.PAGING,
    "datasetId": ("required", z.string),
    "parentId": ("nullish", z.string),
    "searchText": ("optional", z.max_length(100)),
    "selectFolder": ("optional", z.boolean),
    "filterTags": ("optional", z.array(z.string)),
    "simple": ("optional", z.boolean),
}


# 4.17.1: typed-tag conditions (page `dataset-collection/list-v2`: `tagFilters[] {tagId, ...}`): a
# collection with the tag, and one of `values` when given. Older versions strip the key, as zod does.
_TAG_FILTER: Spec = {"tagId": ("required", z.string), "values": ("optional", z.array(z.number_or_string))}


_LIST_COLLECTIONS_4171: Spec = {**_LIST_COLLECTIONS, "tagFilters": ("optional", z.array(z.obj(_TAG_FILTER)))}


def _matches(collection: Collection, condition: dict[str, Any]) -> bool:
    return any(
        isinstance(tag, dict)
        and tag["tagId"] == condition["tagId"]
        and ("values" not in condition or tag["value"] in condition["values"])
        for tag in collection.tags or ()
    )


def _list_collections(state: State, params: Params) -> dict[str, Any]:
    """`listV2`: a page of a folder's collections, newest update first, with their data and training
    counts. `searchText` searches names across every folder; `filterTags` matches tag labels (FastGPT
    matches tag ids, which the emulator does not give out); `simple` skips the counts, as FastGPT."""
    validate(params, _LIST_COLLECTIONS_4171 if since(state, "4.17.1") else _LIST_COLLECTIONS)
    window = paging(params, max_size=100, style="mongo")
    dataset = find_dataset(state, params["datasetId"])
    search = (params.get("searchText") or "").replace("'", "").lower()
    parent = params.get("parentId") or None
    if not search and parent is not None and not is_object_id(parent):
        raise failed("input must be a 24 character hex string, 12 byte Uint8Array, or an integer")
    store = state.datasets
    found = [c for c in store.collections.values() if c.dataset_id == dataset.id]
    if params.get("selectFolder"):
        found = [c for c in found if c.type == "folder"]
    if search:
        found = [c for c in found if search in c.name.lower()]
    else:
        found = [c for c in found if c.parent_id == (parent.lower() if parent else None)]
    if params.get("filterTags"):
        wanted = set(params["filterTags"])
        found = [c for c in found if wanted & {t for t in c.tags or () if isinstance(t, str)}]
    if params.get("tagFilters") and since(state, "4.17.1"):
        found = [c for c in found if all(_matches(c, f) for f in params["tagFilters"])]
    found.sort(key=lambda c: (c.updated, c.seq), reverse=True)
    page = window.cut(found)
    simple = params.get("simple") is True
    items = []
    for c in page:
        item: dict[str, Any] = {
            "_id": c.id,
            "parentId": c.parent_id,
            "tmbId": TMB_ID,
            "name": c.name,
            "type": c.type,
            "createTime": iso(c.created),
            "updateTime": iso(c.updated),
        }
        if c.forbid is not None:
            item["forbid"] = c.forbid
        if "trainingType" in c.settings:
            item["trainingType"] = c.settings["trainingType"]
        if c.tags:  # typed tags with their label, as the list answers them (4.17.1)
            item["tags"] = [
                t if isinstance(t, str) else {**t, "label": store.tag_label(c.dataset_id, t["tagId"])}
                for t in c.tags
            ]
        if c.file_id:
            item["fileId"] = c.file_id
        if c.raw_link:
            item["rawLink"] = c.raw_link
        item["permission"] = PERMISSION
        training = training_counts(state, c, simple=simple)
        item["dataAmount"] = 0 if simple else training.pop("dataAmount", len(store.trained(c.id)))
        item.update(training)
        items.append(item)
    return {"list": items, "total": len(found)}


def _collection_detail(state: State, params: Params) -> dict[str, Any]:
    """The collection with its dataset, source, file, index count and training counters."""
    validate(params, {"id": ("required", z.string)})
    collection = find_collection(state, params["id"])
    store = state.datasets
    detail = collection_doc(collection)
    detail["dataset"] = dataset_doc(store.datasets[collection.dataset_id])
    detail["sourceName"] = collection.name
    if collection.source_id:
        detail["sourceId"] = collection.source_id
    detail["permission"] = PERMISSION
    if collection.file_id:
        detail["file"] = {"filename": collection.name, "contentLength": collection.file_size or 0}
    detail["indexAmount"] = sum(d.index_count() for d in store.trained(collection.id))
    training = training_counts(state, collection)
    detail.update(training)
    detail["errorCount"] = training["finalErrorAmount"]
    return detail


# `TrainingModeEnum` (`packages/global/core/dataset/constants.ts` @ 054c3f18): every count names each.
_MODES = (
    *("parse", "qa", "chunk", "image", "auto", "imageParse", "databaseSchema", "hype", "small2Big"),
    *("synonymStandardize", "synonymRestore", "synthesis"),
)
_ADVANCED = ("customPdfParse", "imageIndex", "autoIndexes", "small2bigIndexes", "hypeIndexes")


def _training_detail(state: State, params: Params) -> dict[str, Any]:
    """`collection/trainingDetail` (`trainingDetail.ts` @ 054c3f18): the collection's tasks by mode, and
    the tasks of other collections queued ahead of its first. The emulator's tasks fail only at parse."""
    validate(params, {"collectionId": ("required", z.string)})
    collection = find_collection(state, params["collectionId"])
    store = state.datasets
    failed = ["parse"] if store.parse_failed(collection) else []
    modes = [[mode for mode, _ in store.tasks(collection)], store.queued_ahead(collection), failed]
    training, queued, errors = ({m: sum(1 for x in found if x == m) for m in _MODES} for found in modes)
    stored = store.rows(collection.id) if since(state, "4.17.2") else store.trained(collection.id)
    return {
        "trainingType": collection.settings.get("trainingType"),
        "advancedTraining": {key: bool(collection.settings.get(key)) for key in _ADVANCED},
        "queuedCounts": queued,
        "trainingCounts": training,
        "errorCounts": errors,
        "trainedCount": len(list(stored)),
    }


def _training_data_detail(state: State, params: Params) -> dict[str, Any] | None:
    """`training/getTrainingDataDetail` (`getTrainingDataDetail.ts` @ 1351e509): one item of the
    collection's training queue, or null when it has none by that id. Assumed: the emulator's items
    are its chunks still training, by the chunk's id (FastGPT's queue items have ids of their own);
    a source's parse task has none; an image's `imagePreviewUrl` is not sent (nothing to sign).
    `datasetId`, which older servers read, is stripped as the current schema strips it."""
    validate(params, {"collectionId": ("required", z.object_id), "dataId": ("required", z.object_id)})
    collection = find_collection(state, params["collectionId"])
    store = state.datasets
    data = store.data.get(params["dataId"].lower())
    if data is None or data.collection_id != collection.id or store.is_ready(data):
        return None
    item = {"_id": data.id, "datasetId": data.dataset_id, "collectionId": collection.id, "mode": data.mode}
    return {**item, "q": data.q, "a": data.a}


_UPDATE_TRAINING_DATA: Spec = {
    "datasetId": ("optional", z.object_id),
    "collectionId": ("optional", z.object_id),
    "dataId": ("optional", z.object_id),
    "q": ("optional", z.string),
    "a": ("optional", z.string),
    "chunkIndex": ("optional", z.integer(least=0)),
}


def _update_training_data(state: State, params: Params) -> None:
    """`training/updateTrainingData` (`updateTrainingData.ts` @ 11976515): one item queued again, its
    `q`, `a`, `chunkIndex` replaced when given; without `dataId`, the failed tasks of a collection or
    of a dataset. Assumed: the emulator's items are its chunks still training, by the chunk's id (as
    `getTrainingDataDetail`), and one queued again trains for the training delay from now; its only
    failed tasks are source parses, which queued again read the same source and fail again."""
    validate(params, _UPDATE_TRAINING_DATA)
    data_id, collection_id, dataset_id = (params.get(key) for key in ("dataId", "collectionId", "datasetId"))
    if not (data_id or collection_id or dataset_id) or (not data_id and collection_id and dataset_id):
        both = "collectionId and datasetId cannot be used together without dataId"
        message = both if collection_id else "collectionId, datasetId or dataId is required"
        raise SchemaRefusal([z.issue(["collectionId"], message, "custom")])
    store = state.datasets
    if not data_id:
        dataset = None if collection_id else find_dataset(state, dataset_id)
        scope = [find_collection(state, collection_id)] if dataset is None else store.collections.values()
        for collection in (c for c in scope if dataset is None or c.dataset_id == dataset.id):
            if store.parse_failed(collection):
                collection.parse_until = store.clock() + store.training_delay
        return
    data = store.data.get(data_id.lower())
    if data is None or store.is_ready(data):
        raise failed("data not found")
    find_collection(state, data.collection_id)
    customs = [(index["type"], index["text"]) for index in data.indexes if index["type"] != "default"]
    store.set_content(data, params.get("q", data.q), params.get("a", data.a), customs)
    data.chunk_index = params.get("chunkIndex", data.chunk_index)
    data.ready_at = data.updated = store.clock() + store.training_delay


_UPDATE_COLLECTION: Spec = {
    "id": ("optional", z.object_id),
    "parentId": ("nullish", z.parent_id),
    "name": ("optional", z.string),
    "tags": ("optional", z.array(TAG_INPUT)),
    "forbid": ("optional", z.boolean),
    "createTime": ("optional", z.date),
    "datasetId": ("optional", z.string),
    "externalFileId": ("optional", z.string),
}


# `getCollectionUpdateTime`: FastGPT pins manual collections to the top of the list.
_PINNED = datetime(2999, 9, 9, tzinfo=timezone.utc).timestamp()


def _update_collection(state: State, params: Params) -> None:
    """Rename (which also bumps `updateTime`), move, tag, enable or disable (a folder passes it on to
    everything below it), or re-date a collection, found by `id`."""
    validate(params, _UPDATE_COLLECTION)
    store = state.datasets
    if params.get("datasetId") and params.get("externalFileId"):
        find_dataset(state, params["datasetId"])
        raise file_not_found()  # the emulator makes no external-file collections
    if not params.get("id"):
        raise missing_params()
    collection = find_collection(state, params["id"])
    if "parentId" in params:
        collection.parent_id = parent_of(params)
    if params.get("name"):
        name = params["name"]
        collection.name = name
        manual = name.startswith("手动") or name in ("manual", "mark")
        collection.updated = _PINNED if manual else store.clock()
    if params.get("tags") is not None:
        collection.tags = tags_in(state, collection.dataset_id, params["tags"])
    if params.get("forbid") is not None:
        targets = store.collection_tree(collection.id) if collection.type == "folder" else [collection.id]
        for target in targets:
            store.collections[target].forbid = params["forbid"]
    if "createTime" in params:
        collection.created = z.parse_date(params["createTime"]) or 0.0


def _delete_collection(state: State, params: Params) -> None:
    """`?id=` or a body `collectionIds` (any method: FastGPT's entry does not check it); FastGPT 4.18
    also reads a body `id`, and `datasetId` + `apiFileIds` (page `dataset-collection/delete`; none
    matching is `unExistCollection`). Each collection goes with the collections under it and all
    their data. Older versions read no body `id`: such a request is `missingParams`."""
    query, body = params["query"], params["body"]
    spec: Spec = {"collectionIds": ("optional", z.array(z.string))}
    if since(state, "4.18.0"):
        spec.update(
            id=("optional", z.string),
            datasetId=("optional", z.string),
            apiFileIds=("optional", z.array(z.string)),
        )
    validate(body, spec)
    validate(query, {"id": ("optional", z.string)})
    single = query.get("id") or (body.get("id") if since(state, "4.18.0") else None)
    ids = [single] if single else body.get("collectionIds")
    if ids is None and since(state, "4.18.0") and body.get("datasetId") and body.get("apiFileIds"):
        dataset = find_dataset(state, body["datasetId"])
        wanted = set(body["apiFileIds"])
        ids = [
            c.id
            for c in state.datasets.collections.values()
            if c.dataset_id == dataset.id and c.api_file_id in wanted
        ]
        if not ids:
            raise dataset_error("unExistCollection")
    if not isinstance(ids, list):
        raise missing_params()
    if not ids:
        raise failed("Cannot destructure property 'teamId' of 'undefined' as it is undefined.")
    found = [find_collection(state, collection_id).id for collection_id in ids]
    state.datasets.delete_collections(found)


def _sync_collection(state: State, params: Params) -> str:
    """A link collection reads its page again (`syncCollection`): the same text is "sameRaw"; a
    changed text replaces the collection by a new one (a new id, as FastGPT's delete-and-create
    does) whose chunks train again, "success"; a changed title alone renames it, "success". Only
    link collections sync (`notSupportSync` otherwise); an empty page is refused as unreadable."""
    validate(params, {"collectionId": ("required", z.object_id)})
    store = state.datasets
    collection = find_collection(state, params["collectionId"])
    if collection.type not in ("link", "apiFile") or not collection.raw_link:
        raise dataset_error("notSupportSync")
    page = read_link(state, collection.raw_link)
    if not page:
        raise failed("Can not fetch content from link")
    title = page_title(page)
    if collection.hash_raw_text and text_hash(page) != collection.hash_raw_text:
        fresh = store.add_collection(
            dataset_id=collection.dataset_id,
            parent_id=collection.parent_id,
            name=title or collection.name,
            type=collection.type,
            created=collection.created,
            tags=collection.tags,
            forbid=collection.forbid,
            settings=dict(collection.settings),
            raw_link=collection.raw_link,
            metadata=dict(collection.metadata),
        )
        store.delete_collections([collection.id])
        store.import_text(fresh, page)
        return "success"
    if title and collection.name != title:
        collection.name = title
        return "success"
    return "sameRaw"


ROUTES = (
    route("collection/listV2", _list_collections, since="4.8.19"),
    route("collection/detail", _collection_detail, since="4.5.1", reads="query"),
    route("collection/update", _update_collection, since="4.5.1"),
    # `?id=` or a body: both, kept apart.
    route("collection/delete", _delete_collection, since="4.6.3", reads="split"),
    route("collection/sync", _sync_collection, since="4.8.15"),
    route("training/getTrainingDataDetail", _training_data_detail, since="4.9.4"),
    route("training/updateTrainingData", _update_training_data, since="4.9.4"),
    route("collection/trainingDetail", _training_detail, since="4.9.0", reads="query"),
)
