"""Datasets: `create`, `list`, `listV2` (4.17), `detail`, `delete`, `searchTest` and
`training/getDatasetTrainingQueue` under `/api/core/dataset/`.

Sources: `packages/global/openapi/core/dataset/{index.ts, api.ts}` and the handlers under
`projects/app/src/pages/api/core/dataset/` at f88b51b5 (4.16.0-beta1); `listV2`:
`GetDatasetListV2BodySchema` in `api.ts` @ 037de007 (4.17) and its handler `listV2.ts`.
"""

from __future__ import annotations

from typing import Any

from ...datasets import DEFAULT_LLM_MODEL, DEFAULT_VECTOR_MODEL
from ...state import State
from ...wire import Params, SchemaRefusal, failed
from .. import schema as z
from ..paging import paging
from ..schema import PAGING, Spec, validate
from .documents import TEAM_ID, TMB_ID, dataset_detail, dataset_list_item, search_item
from .lookups import BY_OBJECT_ID, DATASET_TYPES, find_dataset, since
from .table import route

__all__ = ["ROUTES"]


_CREATE_DATASET: Spec = {
    "parentId": ("nullish", z.parent_id),
    "type": ("required", z.one_of(*DATASET_TYPES)),
    "name": ("required", z.string),
    "intro": ("required", z.string),
    "avatar": ("required", z.string),
    "vectorModel": ("optional", z.string),
    "agentModel": ("optional", z.string),
    "vlmModel": ("optional", z.string),
    # 4.17.0 (`CreateDatasetBodySchema`, api.ts at 037de007): models by id, null or "" for none.
    "vectorModelId": ("nullish", z.string),
    "agentModelId": ("nullish", z.string),
    "vlmModelId": ("nullish", z.string),
    "apiDatasetServer": ("optional", z.record),
}


def _create_dataset(state: State, params: Params) -> str:
    validate(params, _CREATE_DATASET)
    parent = params.get("parentId") or None
    if parent:
        find_dataset(state, parent)
    if since(state, "4.17.0"):  # the emulator's models: an id is the model's name
        for field in ("vectorModel", "agentModel", "vlmModel"):
            if params.get(f"{field}Id"):
                params[field] = params[f"{field}Id"]
    return state.datasets.add_dataset(
        parent_id=parent.lower() if parent else None,
        name=params["name"],
        intro=params["intro"],
        avatar=params["avatar"],
        type=params["type"],
        vector_model=params.get("vectorModel") or DEFAULT_VECTOR_MODEL,
        agent_model=params.get("agentModel") or DEFAULT_LLM_MODEL,
        vlm_model=params.get("vlmModel"),
        api_server=params.get("apiDatasetServer"),
    ).id


_LIST_DATASETS: Spec = {
    "parentId": ("nullish", z.parent_id),
    "type": ("optional", z.one_of(*DATASET_TYPES)),
    "searchKey": ("optional", z.string),
}


# 4.17.0: `type` may be a list of types; `sort` and `tmbIds` (schema-audit-4.18 §3).
_LIST_DATASETS_417: Spec = {
    **_LIST_DATASETS,
    "type": ("optional", z.one_or_many(z.one_of(*DATASET_TYPES))),
    "sort": ("optional", z.string),
    "tmbIds": ("optional", z.array(z.string)),
}


def _list_datasets(state: State, params: Params) -> list[dict[str, Any]]:
    """FastGPT reads the body only: a `?parentId=` query is ignored (schema-audit 4.1). A `searchKey`
    matches names and intros in every folder, whatever `parentId` and `type` say."""
    validate(params, _LIST_DATASETS_417 if since(state, "4.17.0") else _LIST_DATASETS)
    parent = (params.get("parentId") or "").lower() or None
    if parent:
        find_dataset(state, parent)
    key = (params.get("searchKey") or "").lower()
    found = list(state.datasets.datasets.values())
    if key:
        found = [d for d in found if key in d.name.lower() or key in d.intro.lower()]
    else:
        found = [d for d in found if d.parent_id == parent]
        if params.get("type"):
            types = params["type"] if isinstance(params["type"], list) else [params["type"]]
            found = [d for d in found if d.type in types]
    if params.get("tmbIds") and since(state, "4.17.0") and TMB_ID not in params["tmbIds"]:
        found = []  # every dataset here is the key owner's
    found.sort(key=lambda d: (d.updated, d.seq), reverse=True)
    return [dataset_list_item(d) for d in found]


def _dataset_detail(state: State, params: Params) -> dict[str, Any]:
    validate(params, BY_OBJECT_ID)
    return dataset_detail(find_dataset(state, params["id"]))


def _delete_dataset(state: State, params: Params) -> None:
    """Deletes the dataset, its child datasets, and their collections and data."""
    validate(params, BY_OBJECT_ID)
    state.datasets.delete_dataset(find_dataset(state, params["id"]).id)


_SEARCH_TEST: Spec = {
    "datasetId": ("required", z.object_id),
    "text": ("optional", z.string),
    "queryImageUrls": (
        "optional",
        z.array(z.non_empty, most=10),
    ),
    "similarity": ("optional", z.number),
    "limit": ("optional", z.number),
    "searchMode": ("optional", z.one_of("embedding", "fullTextRecall", "mixedRecall")),
    "embeddingWeight": ("optional", z.number),
    "usingReRank": ("optional", z.boolean),
    "rerankModel": ("optional", z.string),
    "rerankWeight": ("optional", z.number),
    "datasetSearchUsingExtensionQuery": ("optional", z.boolean),
    "datasetSearchExtensionModel": ("optional", z.string),
    "datasetSearchExtensionBg": ("optional", z.string),
    "datasetDeepSearch": ("optional", z.boolean),
    "datasetDeepSearchModel": ("optional", z.string),
    "datasetDeepSearchMaxTimes": ("optional", z.number),
    "datasetDeepSearchBg": ("optional", z.string),
    # 4.17.0 (`SearchDatasetTestBodySchema`, api.ts at 037de007); the emulator has none of these models.
    "rerankModelId": ("optional", z.string),
    "datasetSearchExtensionModelId": ("optional", z.string),
    "datasetDeepSearchModelId": ("optional", z.string),
}


def _search_test(state: State, params: Params) -> dict[str, Any]:
    """The dataset's chunks ranked by the emulator's lexical score (`DatasetStore.search`).

    As FastGPT: `limit` is a token budget (default 5000, at most 20000), `similarity` filters only in
    embedding mode (FastGPT's full-text and fused scores are not similarities), the answer echoes
    the mode, the limit and the similarity (0 when not given). The emulator has no rerank or query
    extension model, so `usingReRank` is false and `queryExtensionModel` absent; image queries must be
    the team's `temp/` keys and add nothing to the ranking.
    """
    validate(params, _SEARCH_TEST)
    text = params.get("text", "")
    images = params.get("queryImageUrls") or []
    if not text.strip() and not images:
        raise SchemaRefusal([z.issue([], "text or queryImageUrls is required", "custom")])
    store = state.datasets
    started = store.clock()
    dataset = find_dataset(state, params["datasetId"])
    if not all(key.startswith(f"temp/{TEAM_ID}/") for key in images):
        raise failed("Invalid query image key")
    mode = params.get("searchMode") or "embedding"
    limit = min(params.get("limit", 5000), 20000)
    similarity = params.get("similarity", 0)
    hits = store.search(
        [dataset.id], text, limit=limit, similarity=similarity, filter_by_similarity=mode == "embedding"
    )
    return {
        "list": [search_item(hit, mode) for hit in hits],
        "duration": f"{max(store.clock() - started, 0.0):.3f}s",
        "limit": limit,
        "searchMode": mode,
        "usingReRank": False,
        "similarity": similarity,
    }


_SORTS = ("updateTimeDesc", "createTimeDesc", "createTimeAsc")  # AppListSortEnum


_LIST_V2: Spec = {
    "parentId": ("nullish", z.parent_id),
    "type": ("optional", z.one_or_many(z.one_of(*DATASET_TYPES))),
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
        find_dataset(state, parent)
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
    return {"list": [dataset_list_item(d, created=True) for d in page], "total": len(found)}


def _training_queue(state: State, params: Params) -> dict[str, int]:
    """`training/getDatasetTrainingQueue` (`getDatasetTrainingQueue.ts` @ 0c991a91): the dataset's
    training tasks, a failed parse counted too (FastGPT keeps a failed task, with its error, in the
    queue). Assumed: the emulator rebuilds no vectors, so `rebuildingCount` is always 0."""
    validate(params, {"datasetId": ("required", z.object_id)})
    dataset = find_dataset(state, params["datasetId"])
    store = state.datasets
    mine = [c for c in store.collections.values() if c.dataset_id == dataset.id]
    queued = sum(len(store.tasks(c)) + store.parse_failed(c) for c in mine)
    return {"rebuildingCount": 0, "trainingCount": queued}


ROUTES = (
    route("create", _create_dataset, since="4.4.5"),
    route("list", _list_datasets, since="4.4.5"),
    route("listV2", _list_datasets_v2, since="4.17.0"),
    route("detail", _dataset_detail, since="4.4.5", reads="query"),
    route("delete", _delete_dataset, since="4.4.5", reads="query"),
    route("searchTest", _search_test, since="4.4.5"),
    route("training/getDatasetTrainingQueue", _training_queue, since=None, reads="query"),
)
