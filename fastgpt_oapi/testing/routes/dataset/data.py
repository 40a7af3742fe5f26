"""Data (a collection's chunks): `data/pushData`, `data/v2/list`, `data/detail`, `data/update`,
`data/delete`, `data/insertData`, `data/getQuoteData` and the one-index edits
`data/index/{create,update,delete}` (4.15), under `/api/core/dataset/`.

Sources: `packages/global/openapi/core/dataset/data/{index.ts, api.ts}` and the handlers under
`projects/app/src/pages/api/core/dataset/data/` at f88b51b5 (4.16.0-beta1); `data/index/*`:
`DatasetDataIndexOperation` (`projects/app/src/service/core/dataset/data/dataIndex.ts` @ 09bba826);
`insertData`: `insertData.ts` @ d44befef and `hasSameValue`
(`projects/app/src/service/core/dataset/data/utils.ts` @ 84008449).
"""

from __future__ import annotations

from typing import Any

from ...datasets import Data, terms, trainable
from ...ids import object_id
from ...state import State, iso
from ...wire import Params, dataset_error, failed, missing_params
from .. import schema as z
from ..paging import paging
from ..schema import Spec, validate
from .documents import TEAM_ID, collection_doc
from .lookups import BY_OBJECT_ID, TRAINING_TYPES, find_collection, since
from .table import route

__all__ = ["ROUTES"]

_INDEX_TYPES = ("default", "imageEmbedding", "summary", "question", "image", "custom")
# An index as a caller writes one: pushData's and insertData's items.
_INDEX_INPUT = z.obj({"type": ("optional", z.one_of(*_INDEX_TYPES)), "text": ("required", z.string)})


def _find_data(state: State, data_id: str) -> Data:
    """`authDatasetData`: data not (yet) there is this plain rejection (HTTP 500). From 4.17.2 a row
    exists before it is indexed (`indexStatus`), so it is found while still training."""
    store = state.datasets
    found = store.data.get(data_id.lower()) if since(state, "4.17.2") else store.find_data(data_id.lower())
    if found is None:
        raise failed("common:core.dataset.error.Data not found")
    return found


def _writable(state: State, data: Data) -> Data:
    """4.17.2's `assertDatasetDataWritable`: a chunk still being indexed is `dataNotIndexed`."""
    if not state.datasets.is_ready(data):
        raise dataset_error("dataNotIndexed")
    return data


def _index_status(state: State, data: Data) -> str:
    return "indexed" if state.datasets.is_ready(data) else "indexing"


def _custom_indexes(indexes: Any) -> list[tuple[str, str]]:
    """The indexes a caller may set: system ones (`default`, `imageEmbedding`) are FastGPT's to make."""
    return [
        (index.get("type") or "custom", index["text"])
        for index in indexes or []
        if index.get("type") not in ("default", "imageEmbedding")
    ]


_PUSH_ITEM: Spec = {
    "q": ("optional", z.string),
    "a": ("optional", z.string),
    "imageId": ("optional", z.string),
    "chunkIndex": ("optional", z.number),
    "indexes": ("optional", z.array(_INDEX_INPUT)),
    "metadata": ("optional", z.record),
}


_PUSH_DATA: Spec = {
    "collectionId": ("required", z.object_id),
    "data": ("required", z.array(z.obj(_PUSH_ITEM), most=200)),
    "trainingType": ("optional", z.one_of(*TRAINING_TYPES)),
    "indexSize": ("optional", z.number),
    "autoIndexes": ("optional", z.boolean),
    "imageIndex": ("optional", z.boolean),
    "prompt": ("optional", z.string),
    "billId": ("optional", z.string),
    "trainingMode": ("optional", z.one_of(*TRAINING_TYPES)),
}


def _push_data(state: State, params: Params) -> dict[str, int]:
    """At most 200 items (more is a 400). As `pushDataListToTrainingQueue`: an item it would drop is
    skipped, not refused, and `insertLen` counts the rest (`trainable`: no `q` nor `imageId`, or too
    long for the agent model in `qa` mode; nothing trimmed nor deduplicated); an item's `chunkIndex`
    defaults to 0; they train in the collection's mode (`qa` for a QA collection, else `chunk`) for
    the training delay. QA training needs a model FastGPT has and the emulator has not: the items
    are kept as given."""
    validate(params, _PUSH_DATA)
    store = state.datasets
    collection = find_collection(state, params["collectionId"])
    ready = store.clock() + store.training_delay
    inserted = 0
    for item in params["data"]:
        q = item.get("q") or ""
        if not trainable(q, item.get("a") or "", item.get("imageId"), collection.mode):
            continue
        data = store.add_data(
            collection,
            q=q,
            a=item.get("a") or "",
            chunk_index=item.get("chunkIndex", 0),
            ready_at=ready,
            custom_indexes=_custom_indexes(item.get("indexes")),
            metadata=item.get("metadata"),
        )
        data.image_id = item.get("imageId")
        inserted += 1
    return {"insertLen": inserted}


def _list_data(state: State, params: Params) -> dict[str, Any]:
    """`data/v2/list`: a collection's trained data by `chunkIndex` (newest first among equals), at
    most 30 a page, `searchText` matching q or a (case-insensitive)."""
    validate(
        params, {**z.PAGING, "collectionId": ("required", z.object_id), "searchText": ("optional", z.string)}
    )
    window = paging(params, max_size=30, style="request")
    collection = find_collection(state, params["collectionId"])
    # A blank `searchText` filters nothing; any other is matched as sent, its spaces included.
    needle = (params.get("searchText") or "").lower()
    store = state.datasets
    rows = list(store.rows(collection.id)) if since(state, "4.17.2") else store.trained(collection.id)
    if needle.strip():
        rows = [d for d in rows if needle in d.q.lower() or needle in d.a.lower()]
    rows.sort(key=lambda d: (d.chunk_index, -d.seq))
    items = []
    for d in window.cut(rows):
        item: dict[str, Any] = {
            "_id": d.id,
            "datasetId": d.dataset_id,
            "collectionId": d.collection_id,
            "q": d.q,
            "a": d.a,
            "chunkIndex": d.chunk_index,
        }
        if d.image_id:
            item["imageId"] = d.image_id
        if since(state, "4.17.2"):
            item["indexStatus"] = _index_status(state, d)
        items.append(item)
    return {"list": items, "total": len(rows)}


def _data_detail(state: State, params: Params) -> dict[str, Any]:
    validate(params, BY_OBJECT_ID)
    data = _find_data(state, params["id"])
    collection = state.datasets.collections[data.collection_id]
    detail: dict[str, Any] = {"q": data.q, "a": data.a}
    if data.image_id:
        detail["imageId"] = data.image_id
    detail.update(
        id=data.id,
        teamId=TEAM_ID,
        datasetId=data.dataset_id,
        collectionId=data.collection_id,
        updateTime=iso(data.updated),
        sourceName=collection.name,
    )
    if collection.source_id:
        detail["sourceId"] = collection.source_id
    detail.update(chunkIndex=data.chunk_index, indexes=data.indexes, isOwner=True)
    if data.metadata:
        detail["metadata"] = data.metadata
    if since(state, "4.17.2"):
        detail["indexStatus"] = _index_status(state, data)
    return detail


_UPDATE_DATA: Spec = {
    "dataId": ("required", z.object_id),
    "q": ("required", z.string),
    "a": ("optional", z.string),
    "indexes": (
        "optional",
        z.array(
            z.obj(
                {
                    "type": ("optional", z.one_of(*_INDEX_TYPES)),
                    "dataId": ("optional", z.string),
                    "text": ("required", z.string),
                }
            )
        ),
    ),
    "imageId": ("optional", z.string),
    "indexPrefix": ("optional", z.string),
}


def _update_data(state: State, params: Params) -> dict[str, str]:
    """Rewrites q / a and the indexes at once (FastGPT embeds synchronously here: no training), keeps
    the old text in `history` (10 at most), and answers the new text; `a` is left out when empty."""
    validate(params, _UPDATE_DATA)
    store = state.datasets
    data = _writable(state, _find_data(state, params["dataId"]))
    q = params["q"]
    a = params["a"] if params.get("a") is not None else data.a
    if q != data.q or a != data.a:
        data.history = [{"q": data.q, "a": data.a, "updateTime": iso(data.updated)}, *data.history[:9]]
    if "indexes" in params:
        customs = _custom_indexes(params["indexes"])
    else:
        customs = [(i["type"], i["text"]) for i in data.indexes if i["type"] != "default"]
    store.set_content(data, q, a, customs)
    data.updated = store.clock()
    return {"q": q, "a": a} if a else {"q": q}


def _delete_data(state: State, params: Params) -> None:
    validate(params, BY_OBJECT_ID)
    state.datasets.delete_data(_writable(state, _find_data(state, params["id"])))


# The index types FastGPT rebuilds from a chunk's own content (`isDatasetDataSystemIndexType`).
_SYSTEM_INDEXES = ("default", "imageEmbedding")


_INDEX_WRITE: Spec = {
    "dataId": ("required", z.object_id),
    "type": ("required", z.one_of(*_INDEX_TYPES)),
    "text": ("required", z.string),
}


def _reindex(state: State, data: Data) -> None:
    """The emulator's search terms follow the indexes: q / a, then each non-default index."""
    data.terms = [
        terms(data.q + ("\n" + data.a if data.a else "")),
        *(terms(index["text"]) for index in data.indexes if index["type"] != "default"),
    ]
    data.updated = state.datasets.clock()


def _write_index(state: State, params: Params, *, index_data_id: str | None) -> dict[str, Any]:
    """`writeDatasetDataIndex`: the text trimmed and not empty, the type not a system one, an
    `indexDataId` that names one of the chunk's indexes; the same text and type change nothing (the
    old index comes back); otherwise a new vector id, in place of the old index or first in the list."""
    data = _find_data(state, params["dataId"])
    text = params["text"].strip()
    if not text:
        raise failed("Dataset data index text is required")
    if params["type"] in _SYSTEM_INDEXES:
        raise failed("System indexes cannot be saved separately")
    position = next((i for i, index in enumerate(data.indexes) if index["dataId"] == index_data_id), None)
    if index_data_id and position is None:
        raise failed("Dataset data index not found")
    if position is not None:
        current = data.indexes[position]
        if current["text"] == text and current["type"] == params["type"]:
            return {"index": dict(current)}
    fresh = {"type": params["type"], "dataId": object_id(), "text": text}
    if position is None:
        data.indexes.insert(0, fresh)
    else:
        data.indexes[position] = fresh
    _reindex(state, data)
    return {"index": dict(fresh)}


def _create_index(state: State, params: Params) -> dict[str, Any]:
    validate(params, _INDEX_WRITE)
    return _write_index(state, params, index_data_id=None)


def _update_index(state: State, params: Params) -> dict[str, Any]:
    validate(params, {**_INDEX_WRITE, "indexDataId": ("required", z.string)})
    return _write_index(state, params, index_data_id=params["indexDataId"])


def _delete_index(state: State, params: Params) -> None:
    """`deleteDatasetDataIndex`: an unknown index and the system ones are refused."""
    validate(params, {"dataId": ("required", z.object_id), "indexDataId": ("required", z.string)})
    data = _find_data(state, params["dataId"])
    target = next((index for index in data.indexes if index["dataId"] == params["indexDataId"]), None)
    if target is None:
        raise failed("Dataset data index not found")
    if target["type"] in _SYSTEM_INDEXES:
        raise failed("System indexes cannot be deleted separately")
    data.indexes.remove(target)
    _reindex(state, data)


_INSERT_DATA: Spec = {
    "collectionId": ("optional", z.string),
    "q": ("optional", z.string),
    "a": ("optional", z.string),
    "indexes": ("optional", z.array(_INDEX_INPUT)),
    "imageId": ("optional", z.string),
    "chunkIndex": ("optional", z.number),
    "metadata": ("optional", z.record),
    "id": ("optional", z.string),
}


def _insert_data(state: State, params: Params) -> str:
    """One chunk written at once, searchable when the call returns (FastGPT embeds it in the call; no
    training queue). As the handler: no `q` or no `collectionId` is `missingParams`; the same `q` and
    `a` (trimmed) already in the collection is refused; the chunk goes in at `chunkIndex` 0 with the
    caller's non-system indexes. FastGPT's token and plan limits are not emulated."""
    validate(params, _INSERT_DATA)
    if not params.get("q") or not params.get("collectionId"):
        raise missing_params()
    collection = find_collection(state, params["collectionId"])
    store = state.datasets
    q, a = params["q"].strip(), (params.get("a") or "").strip()
    if any(d.q == q and d.a == a for d in store.trained(collection.id)):
        raise failed("已经存在完全一致的数据")
    data = store.add_data(
        collection,
        q=q,
        a=a,
        chunk_index=0,
        ready_at=store.clock(),
        custom_indexes=_custom_indexes(params.get("indexes")),
        metadata=params.get("metadata"),
    )
    return data.id


def _quote_data(state: State, params: Params) -> dict[str, Any]:
    """`data/getQuoteData` by the chunk's id (`authDatasetData`): its text and its collection as
    stored. Assumptions: an image chunk's `q` is answered as stored (FastGPT's `formatDatasetDataValue`
    makes it a Markdown image of a preview URL, which the emulator has no storage to sign), and the
    chat form of the body (`appId`, `chatId`, `chatItemDataId`) is not emulated: its fields are
    stripped and the chunk is read by `id` alone."""
    validate(params, BY_OBJECT_ID)
    data = _find_data(state, params["id"])
    collection = state.datasets.collections[data.collection_id]
    return {"collection": collection_doc(collection), "q": data.q, "a": data.a}


ROUTES = (
    route("data/pushData", _push_data, since="4.4.5"),
    # FastGPT's handler reads the query and the body.
    route("data/v2/list", _list_data, since="4.8.12", reads="both"),
    route("data/detail", _data_detail, since="4.6", reads="query"),
    route("data/update", _update_data, since="4.6"),
    route("data/delete", _delete_data, since="4.6", reads="query"),
    route("data/insertData", _insert_data, since="4.6"),
    route("data/index/create", _create_index, since="4.15.0"),
    route("data/index/update", _update_index, since="4.15.0"),
    route("data/index/delete", _delete_index, since="4.15.0"),
    route("data/getQuoteData", _quote_data, since="4.8"),
)
