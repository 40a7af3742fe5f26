"""The dataset area's wire documents: datasets, collections, search results and training counters as
FastGPT writes them (`DatasetSchema`, `DatasetCollectionSchema`, `SearchDataResponseItemSchema`), for
every handler that answers one, and for the knowledge app's `quoteList`.
"""

from __future__ import annotations

from typing import Any

from ...datasets import DEFAULT_LLM_MODEL, DEFAULT_VECTOR_MODEL, Collection, Dataset, Hit
from ...state import State, iso
from .lookups import since

__all__ = [
    "PERMISSION",
    "SOURCE_MEMBER",
    "TEAM_ID",
    "TMB_ID",
    "collection_doc",
    "dataset_detail",
    "dataset_doc",
    "dataset_list_item",
    "llm_model",
    "search_item",
    "search_scores",
    "training_counts",
    "vector_model",
]

TEAM_ID = "66e29b870b24ce35330c0e00"
TMB_ID = "66e29b870b24ce35330c0e01"  # the API key's owner, as in the app logs area

# The owner's `Permission` as JSON: the class's public fields (support/permission/controller.ts).
_OWNER = 0xFFFFFFFF
PERMISSION = {
    "role": _OWNER,
    "isOwner": True,
    "hasManagePer": True,
    "hasWritePer": True,
    "hasReadPer": True,
    "hasManageRole": True,
    "hasWriteRole": True,
    "hasReadRole": True,
}
SOURCE_MEMBER = {"name": "root", "avatar": "/imgs/avatar/BlueAvatar.svg", "status": "active"}


def _model(name: str, kind: str, default: str) -> dict[str, Any]:
    """The emulator's models, as `getEmbeddingModel` / `getLLMModel` answer: any name is configured."""
    return {
        "provider": "OpenAI",
        "model": name,
        "name": name,
        "isActive": True,
        "isDefault": name == default,
        "type": kind,
    }


def vector_model(name: str) -> dict[str, Any]:
    return {
        **_model(name, "embedding", DEFAULT_VECTOR_MODEL),
        "defaultToken": 512,
        "maxToken": 3000,
        "weight": 100,
    }


def llm_model(name: str) -> dict[str, Any]:
    return {
        **_model(name, "llm", DEFAULT_LLM_MODEL),
        "maxContext": 128000,
        "maxResponse": 16000,
        "quoteMaxToken": 120000,
        "maxTemperature": 1.2,
        "vision": True,
        "functionCall": False,
        "toolChoice": True,
    }


_SECRETS = {"apiServer": "authorization", "yuqueServer": "token", "feishuServer": "appSecret"}


def dataset_list_item(dataset: Dataset, *, created: bool = False) -> dict[str, Any]:
    """A dataset as `list` answers it; `listV2` adds its `createTime` (`created`)."""
    item: dict[str, Any] = {
        "_id": dataset.id,
        "avatar": dataset.avatar,
        "name": dataset.name,
        "intro": dataset.intro,
        "type": dataset.type,
        "vectorModel": vector_model(dataset.vector_model),
        "inheritPermission": True,
        "tmbId": TMB_ID,
    }
    if created:
        item["createTime"] = iso(dataset.created)
    item.update(
        updateTime=iso(dataset.updated), permission=PERMISSION, private=True, sourceMember=SOURCE_MEMBER
    )
    return item


def _public_api_server(server: dict[str, Any] | None) -> dict[str, Any] | None:
    """`filterApiDatasetServerPublicData`: the config with its secret blanked."""
    if server is None:
        return None
    public: dict[str, Any] = {}
    for kind, config in server.items():
        if isinstance(config, dict):
            secret = "appSecret" if kind == "dingtalkServer" else _SECRETS.get(kind)
            public[kind] = {**config, **({secret: ""} if secret else {})}
    return public


def _owned(id: str, parent_id: str | None) -> dict[str, Any]:
    """How every stored document of the key owner's team starts."""
    return {"_id": id, "parentId": parent_id, "teamId": TEAM_ID, "tmbId": TMB_ID}


def dataset_doc(dataset: Dataset) -> dict[str, Any]:
    """The dataset as stored (`DatasetSchema`): model names, not model objects."""
    doc: dict[str, Any] = {
        **_owned(dataset.id, dataset.parent_id),
        "type": dataset.type,
        "avatar": dataset.avatar,
        "name": dataset.name,
        "intro": dataset.intro,
        "updateTime": iso(dataset.updated),
        "vectorModel": dataset.vector_model,
        "agentModel": dataset.agent_model,
        "inheritPermission": True,
        "deleteTime": None,
    }
    if dataset.vlm_model:
        doc["vlmModel"] = dataset.vlm_model
    if dataset.api_server is not None:
        doc["apiDatasetServer"] = _public_api_server(dataset.api_server)
    return doc


def dataset_detail(dataset: Dataset) -> dict[str, Any]:
    """`detail`'s answer: the stored dataset with its models as objects, and the owner's permission."""
    detail = dataset_doc(dataset)
    detail.update(
        status="active",
        permission=PERMISSION,
        vectorModel=vector_model(dataset.vector_model),
        agentModel=llm_model(dataset.agent_model),
    )
    if dataset.vlm_model:
        detail["vlmModel"] = llm_model(dataset.vlm_model)
    return detail


def collection_doc(collection: Collection) -> dict[str, Any]:
    """The collection as stored (`DatasetCollectionSchema`), its chunk settings included."""
    doc: dict[str, Any] = {
        **_owned(collection.id, collection.parent_id),
        "datasetId": collection.dataset_id,
        "type": collection.type,
        "name": collection.name,
        "createTime": iso(collection.created),
        "updateTime": iso(collection.updated),
        "metadata": collection.metadata,
    }
    if collection.tags:
        doc["tags"] = list(collection.tags)
    if collection.forbid is not None:
        doc["forbid"] = collection.forbid
    if collection.inherit_permission is not None:
        doc["inheritPermission"] = collection.inherit_permission
    if collection.file_id:
        doc["fileId"] = collection.file_id
    if collection.raw_link:
        doc["rawLink"] = collection.raw_link
    if collection.raw_text_length is not None:
        doc["rawTextLength"] = collection.raw_text_length
        doc["hashRawText"] = collection.hash_raw_text
    return {**doc, **collection.settings}


def search_scores(rank: int, value: float, mode: str) -> list[dict[str, Any]]:
    """A result's `score` list. The emulator's one lexical score stands for each recall: `embedding`
    in embedding mode, `fullText` in full-text mode, both in mixed mode plus the `rrf` that FastGPT's
    `datasetSearchResultConcat` gives a chunk ranked the same in both lists (weights 0.5 / 0.5)."""
    if mode == "fullTextRecall":
        return [{"type": "fullText", "value": value, "index": rank}]
    embedding = {"type": "embedding", "value": value, "index": rank}
    if mode == "mixedRecall":
        fused = {"type": "rrf", "value": 1 / (60 + rank + 1), "index": rank}
        return [embedding, {"type": "fullText", "value": value, "index": rank}, fused]
    return [embedding]


def search_item(hit: Hit, mode: str = "embedding") -> dict[str, Any]:
    """A search result as FastGPT answers it (`SearchDataResponseItemSchema`): searchTest's `list`
    items, and the `quoteList` items of a dataset-search node."""
    data, collection = hit.data, hit.collection
    item: dict[str, Any] = {
        "q": data.q,
        "a": data.a,
        "id": data.id,
        "datasetId": data.dataset_id,
        "collectionId": data.collection_id,
        "updateTime": iso(data.updated),
        "sourceName": collection.name,
    }
    if collection.source_id:
        item["sourceId"] = collection.source_id
    item["chunkIndex"] = data.chunk_index
    item["score"] = search_scores(hit.rank, hit.score, mode)
    if data.metadata:
        item["metadata"] = data.metadata
    return item


def training_counts(state: State, collection: Collection, *, simple: bool = False) -> dict[str, Any]:
    """The collection's training counters. FastGPT >= 4.17.2 precomputes them ("updated
    asynchronously by collectionUpdate worker", `DatasetCollectionSchema` in type.ts at 01c761fd) and
    adds `dataAmount`, `processedCount` and `remainingCount`: the emulator answers the snapshot
    taken at the previous read (or at creation) and takes a new one, so counters lag one read
    behind the data, as a worker's would."""
    if simple:
        return {
            "trainingAmount": 0,
            "activeTrainingAmount": 0,
            "finalErrorAmount": 0,
            "hasError": False,
            "slowestTrainingStatus": "ready",
        }
    store = state.datasets
    live = store.training_status(collection)
    if not since(state, "4.17.2"):
        return live
    rows = list(store.rows(collection.id))
    processed = sum(1 for d in rows if store.is_ready(d))
    live.update(dataAmount=len(rows), processedCount=processed, remainingCount=len(rows) - processed)
    answer = collection.stats if collection.stats is not None else live
    collection.stats = live
    return dict(answer)
