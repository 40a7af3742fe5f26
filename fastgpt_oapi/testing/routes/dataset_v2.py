"""The dataset area's FastGPT 4.15 - 4.18 System OpenAPI operations: `dataset/listV2`, the one-index
edits `data/index/{create,update,delete}`, `data/insertData` and `collection/create/apiCollectionV2`.
The presigned upload and `create/fileId` are in `dataset_upload.py`.

They share the store and the lookups of `routes/dataset.py` (the same datasets, collections and data),
and answer as these FastGPT sources do:

- `listV2`: `GetDatasetListV2BodySchema` in `packages/global/openapi/core/dataset/api.ts` @ 037de007
  (4.17) and its handler `projects/app/src/pages/api/core/dataset/listV2.ts`.
- `data/index/*`: `DatasetDataPath` in `packages/global/openapi/core/dataset/data/index.ts`, the handlers
  under `projects/app/src/pages/api/core/dataset/data/index/` and `DatasetDataIndexOperation`
  (`projects/app/src/service/core/dataset/data/dataIndex.ts` @ 09bba826).
- `insertData`: `projects/app/src/pages/api/core/dataset/data/insertData.ts` @ d44befef and `hasSameValue`
  (`projects/app/src/service/core/dataset/data/utils.ts` @ 84008449).
- `apiCollectionV2`: `CreateApiCollectionV2BodySchema` (`collection/createApi.ts` @ 1e8bb154) and
  `projects/app/src/pages/api/core/dataset/collection/create/apiCollectionV2.ts` @ f1268f1e.
"""

from __future__ import annotations

from typing import Any

from ..datasets import Data, terms
from ..ids import object_id
from ..state import State, iso
from ..wire import Params, failed, missing_params
from . import schema as z
from .dataset import (
    _CREATE_BASE,
    _DATASET_TYPES,
    _INDEX_TYPES,
    _PERMISSION,
    _SOURCE_MEMBER,
    TMB_ID,
    _collection,
    _custom_indexes,
    _data,
    _dataset,
    _source_collection,
    _vector_model,
)
from .paging import paging
from .route import Route, enveloped
from .schema import PAGING, Spec, validate

__all__ = ["ROUTES"]

# The index types FastGPT rebuilds from a chunk's own content (`isDatasetDataSystemIndexType`).
_SYSTEM_INDEXES = ("default", "imageEmbedding")

# ---- dataset/listV2 ------------------------------------------------------------------------------

_SORTS = ("updateTimeDesc", "createTimeDesc", "createTimeAsc")  # AppListSortEnum
_LIST_V2: Spec = {
    "parentId": ("nullish", z.parent_id),
    "type": (
        "optional",
        lambda value, path: (
            z.array(z.one_of(*_DATASET_TYPES))(value, path)
            if isinstance(value, list)
            else z.one_of(*_DATASET_TYPES)(value, path)
        ),
    ),
    "searchKey": ("optional", z.string),
    "sort": ("optional", z.one_of(*_SORTS)),
    "tmbIds": ("optional", z.array(z.object_id)),
    "withAppCount": ("optional", z.boolean),
    **PAGING,
}


def _list_datasets_v2(state: State, params: Params) -> dict[str, Any]:
    """A page of datasets. As the handler: an empty `tmbIds` answers an empty page; without
    `searchKey` the datasets of one folder; with it, name or intro matches (case-insensitive) in that
    folder and every folder below it (everywhere at the top level); `type` (one or a list) and
    `tmbIds` filter in both cases. Sorted by `updateTime` (newest first) unless `sort` says creation
    time; `offset` (else `(pageNum - 1) * pageSize`) and `pageSize` (default 50) cut the page. The
    emulator's key owns every dataset, so each item has the owner's permission and no app count."""
    validate(params, _LIST_V2)
    store = state.datasets
    parent = (params.get("parentId") or "").lower() or None
    if parent:
        _dataset(state, parent)
    tmb_ids = params.get("tmbIds")
    if isinstance(tmb_ids, list) and not tmb_ids:
        return {"list": [], "total": 0}
    found = list(store.datasets.values())
    kinds = params.get("type")
    if kinds:
        wanted = set(kinds) if isinstance(kinds, list) else {kinds}
        found = [d for d in found if d.type in wanted]
    if tmb_ids is not None:
        found = [d for d in found if TMB_ID in {t.lower() for t in tmb_ids}]
    key = (params.get("searchKey") or "").lower()
    if key:
        found = [d for d in found if key in d.name.lower() or key in d.intro.lower()]
        if parent:
            scope = set(store.dataset_tree(parent))
            found = [d for d in found if d.parent_id in scope]
    else:
        found = [d for d in found if d.parent_id == parent]
    sort = params.get("sort")
    if sort == "createTimeAsc":
        found.sort(key=lambda d: d.seq)
    elif sort == "createTimeDesc":
        found.sort(key=lambda d: d.seq, reverse=True)
    else:
        found.sort(key=lambda d: (d.updated, d.seq), reverse=True)
    page = paging(params, default_size=50, style="mongo").cut(found)
    return {
        "list": [
            {
                "_id": d.id,
                "avatar": d.avatar,
                "name": d.name,
                "intro": d.intro,
                "type": d.type,
                "vectorModel": _vector_model(d.vector_model),
                "inheritPermission": True,
                "tmbId": TMB_ID,
                "createTime": iso(d.created),
                "updateTime": iso(d.updated),
                "permission": _PERMISSION,
                "private": True,
                "sourceMember": _SOURCE_MEMBER,
            }
            for d in page
        ],
        "total": len(found),
    }


# ---- data/index/create|update|delete -------------------------------------------------------------

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
    data = _data(state, params["dataId"])
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
    data = _data(state, params["dataId"])
    target = next((index for index in data.indexes if index["dataId"] == params["indexDataId"]), None)
    if target is None:
        raise failed("Dataset data index not found")
    if target["type"] in _SYSTEM_INDEXES:
        raise failed("System indexes cannot be deleted separately")
    data.indexes.remove(target)
    _reindex(state, data)


# ---- data/insertData -----------------------------------------------------------------------------

_INSERT_INDEX = z.obj({"type": ("optional", z.one_of(*_INDEX_TYPES)), "text": ("required", z.string)})
_INSERT_DATA: Spec = {
    "collectionId": ("optional", z.string),
    "q": ("optional", z.string),
    "a": ("optional", z.string),
    "indexes": ("optional", z.array(_INSERT_INDEX)),
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
    collection = _collection(state, params["collectionId"])
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


# ---- collection/create/apiCollectionV2 -----------------------------------------------------------

_API_FILE = z.obj(
    {
        "id": ("required", z.string),
        "rawId": ("required", z.string),
        "parentId": ("nullish", z.string),
        "name": ("required", z.string),
        "type": ("required", z.one_of("file", "folder")),
        "updateTime": ("required", z.date),
        "createTime": ("required", z.date),
        "hasChild": ("optional", z.boolean),
    }
)
_API_SERVERS = ("apiServer", "yuqueServer", "feishuServer", "dingtalkServer")


def _create_api_collection_v2(state: State, params: Params) -> None:
    """Collections from an API dataset's files, in one transaction, answering `null`.

    Files whose id the dataset has already (and repeats in the list) are skipped; each file becomes
    an `apiFile` collection named after it. A folder with `hasChild` needs its files listed by the
    dataset's file server, which the emulator cannot reach: refused as FastGPT refuses a dataset
    without a server ("Can not find api dataset server") or an unreachable one ("网络连接异常"), and
    nothing is created. A file's content is read by FastGPT's parse task later; the emulator cannot
    read it either, so its parse fails (the collection shows one `parse` error)."""
    validate(params, {**_CREATE_BASE, "apiFiles": ("required", z.array(_API_FILE))})
    dataset = _dataset(state, params["datasetId"])
    files = params["apiFiles"]
    if any(item.get("hasChild") for item in files):
        server = dataset.api_server or {}
        if not any(server.get(kind) for kind in _API_SERVERS):
            raise failed("Can not find api dataset server")
        raise failed("网络连接异常")
    store = state.datasets
    seen = {
        c.metadata.get("relatedImgId")
        for c in store.collections.values()
        if c.dataset_id == dataset.id and c.type == "apiFile"
    }
    for item in files:
        if item["type"] != "file" or item["id"] in seen:
            continue
        seen.add(item["id"])
        collection = _source_collection(
            state,
            params,
            dataset,
            name=item["name"],
            type="apiFile",
            metadata={"relatedImgId": item["id"]},
        )
        collection.parse_until = store.clock() + store.training_delay
        collection.parse_error = f"The emulator cannot read API file {item['id']}"


_BASE = "/api/core/dataset"

ROUTES = (
    Route(f"{_BASE}/listV2", enveloped(_list_datasets_v2), since="4.17.0", reads="body"),
    Route(f"{_BASE}/data/index/create", enveloped(_create_index), since="4.15.0", reads="body"),
    Route(f"{_BASE}/data/index/update", enveloped(_update_index), since="4.15.0", reads="body"),
    Route(f"{_BASE}/data/index/delete", enveloped(_delete_index), since="4.15.0", reads="body"),
    Route(f"{_BASE}/data/insertData", enveloped(_insert_data), since="4.6", reads="body"),
    Route(
        f"{_BASE}/collection/create/apiCollectionV2",
        enveloped(_create_api_collection_v2),
        since="4.10.0",
        reads="body",
    ),
)
