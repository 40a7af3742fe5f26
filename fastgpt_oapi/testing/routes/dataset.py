"""The dataset (knowledge base) area: datasets, collections, data and the search test, under
`/api/core/dataset/`, answered as FastGPT 4.16 answers an API key.

Paths, methods and request shapes are FastGPT's `packages/global/openapi/core/dataset/{index.ts, api.ts,
collection/index.ts, collection/api.ts, collection/createPath.ts, collection/createApi.ts,
data/index.ts, data/api.ts}`; what each answers, refuses and deletes is its handler under
`projects/app/src/pages/api/core/dataset/` (all at commit f88b51b5c1e4987a2b917358339db1aa02bbc292,
4.16.0-beta1). The store, the splitter and the scorer are in `testing/datasets.py`; this module
checks requests and writes FastGPT's JSON.

The API key owns everything here (FastGPT's `authDataset` gives the key owner the owner's
permission), so the `unAuth*` errors never arise; missing things are refused as FastGPT refuses them:
registered errors (`unExistDataset` 501002, `unExistCollection` 501003, ...) with HTTP 500, a
malformed id where the schema takes any string with Mongoose's cast error, and schema failures with
the 400 `Data validation error` envelope and its `zodError` issues.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from ..datasets import (
    DEFAULT_LLM_MODEL,
    DEFAULT_VECTOR_MODEL,
    UPLOAD_EXTENSIONS,
    Collection,
    Data,
    Dataset,
    DatasetStore,
    Hit,
    chunk_settings,
    placeholder_page,
    read_upload,
    text_hash,
)
from ..ids import is_object_id, nanoid
from ..multipart import FormFile
from ..state import State, iso
from ..wire import (
    Params,
    SchemaRefusal,
    bad_upload_type,
    cast_error,
    dataset_error,
    failed,
    file_not_found,
    missing_params,
)
from . import schema as z
from .paging import paging
from .route import Route, enveloped, parse_version
from .schema import Spec, validate

__all__ = ["ROUTES", "TEAM_ID", "TMB_ID", "search_item", "search_scores"]

TEAM_ID = "66e29b870b24ce35330c0e00"
TMB_ID = "66e29b870b24ce35330c0e01"  # the API key's owner, as in the app logs area

_DATASET_TYPES = (
    "folder",
    "dataset",
    "websiteDataset",
    "externalFile",
    "apiDataset",
    "feishu",
    "yuque",
    "dingtalk",
)
_TRAINING_TYPES = ("chunk", "qa", "imageParse", "backup", "template", "auto")
_INDEX_TYPES = ("default", "imageEmbedding", "summary", "question", "image", "custom")


def _since(state: State, version: str) -> bool:
    """The emulated FastGPT is `version` or newer."""
    return state.version >= parse_version(version)


# A collection tag as the create and update schemas take it: a name, or (4.17.1, `CollectionTagsInputSchema`
# in collection/createApi.ts at 04b3226b) `{tag, value}`; the handler refuses objects before 4.17.1.
_TAG_INPUT = z.typed(
    "string | {tag, value}",
    lambda v: (
        isinstance(v, str)
        or (
            isinstance(v, dict)
            and isinstance(v.get("tag"), str)
            and (isinstance(v.get("value"), str) or z.is_number(v.get("value")))
        )
    ),
)


def _tags_in(state: State, dataset_id: str, tags: Any) -> list[str | dict[str, Any]] | None:
    """Tags as stored: names as they are, typed ones as `{tagId, value}` (the tag found or made by
    name). Before 4.17.1 only names: an object is the old schema's refusal."""
    if tags is None:
        return None
    typed = [i for i, tag in enumerate(tags) if not isinstance(tag, str)]
    if typed and not _since(state, "4.17.1"):
        raise SchemaRefusal([z.issue(["tags", typed[0]], "Invalid input: expected string, received object")])
    return [
        tag
        if isinstance(tag, str)
        else {"tagId": _store(state).tag_id(dataset_id, tag["tag"]), "value": tag["value"]}
        for tag in tags
    ]


# `ChunkSettingsSchema` (packages/global/core/dataset/type.ts)
_CHUNK_SETTINGS: Spec = {
    "trainingType": ("optional", z.one_of(*_TRAINING_TYPES)),
    "chunkTriggerType": ("optional", z.one_of("minSize", "forceChunk", "maxSize")),
    "chunkTriggerMinSize": ("optional", z.number),
    "dataEnhanceCollectionName": ("optional", z.boolean),
    "imageIndex": ("optional", z.boolean),
    "autoIndexes": ("optional", z.boolean),
    "indexPrefixTitle": ("optional", z.boolean),
    "chunkSettingMode": ("optional", z.one_of("auto", "custom")),
    "chunkSplitMode": ("optional", z.one_of("paragraph", "size", "char")),
    "paragraphChunkAIMode": ("optional", z.one_of("auto", "force", "forbid")),
    "paragraphChunkDeep": ("optional", z.number),
    "paragraphChunkMinSize": ("optional", z.number),
    "chunkSize": ("optional", z.number),
    "chunkSplitter": ("optional", z.string),
    "indexSize": ("optional", z.number),
    "qaPrompt": ("optional", z.string),
}
# `ApiCreateCollectionBaseSchema` (collection/createApi.ts)
_CREATE_BASE: Spec = {
    **_CHUNK_SETTINGS,
    "parentId": ("nullish", z.parent_id),
    "metadata": ("optional", z.record),
    "customPdfParse": ("optional", z.boolean),
    "datasetId": ("required", z.string),
    "tags": ("optional", z.array(_TAG_INPUT)),
}

# ---- lookups -------------------------------------------------------------------------------------


def _store(state: State) -> DatasetStore:
    return state.datasets


def _dataset(state: State, dataset_id: Any) -> Dataset:
    """`authDataset`: no id or an unknown one is `unExistDataset`; a malformed one a cast error."""
    if not dataset_id:
        raise dataset_error("unExistDataset")
    if not is_object_id(dataset_id):
        raise cast_error(str(dataset_id), "datasets")
    found = _store(state).datasets.get(dataset_id.lower())
    if found is None:
        raise dataset_error("unExistDataset")
    return found


def _collection(state: State, collection_id: Any) -> Collection:
    """`authDatasetCollection`: an unknown collection is `unExistCollection`."""
    if not collection_id:
        raise dataset_error("unExistCollection")
    if not is_object_id(collection_id):
        raise cast_error(str(collection_id), "dataset_collections")
    found = _store(state).collections.get(collection_id.lower())
    if found is None:
        raise dataset_error("unExistCollection")
    return found


def _data(state: State, data_id: str) -> Data:
    """`authDatasetData`: data not (yet) there is this plain rejection (HTTP 500). From 4.17.2 a row
    exists before it is indexed (`indexStatus`), so it is found while still training."""
    store = _store(state)
    found = store.data.get(data_id.lower()) if _since(state, "4.17.2") else store.find_data(data_id.lower())
    if found is None:
        raise failed("common:core.dataset.error.Data not found")
    return found


def _writable(state: State, data: Data) -> Data:
    """4.17.2's `assertDatasetDataWritable`: a chunk still being indexed is `dataNotIndexed`."""
    if not _store(state).is_ready(data):
        raise dataset_error("dataNotIndexed")
    return data


def _index_status(state: State, data: Data) -> str:
    return "indexed" if _store(state).is_ready(data) else "indexing"


# ---- wire shapes ---------------------------------------------------------------------------------

# The owner's `Permission` as JSON: the class's public fields (support/permission/controller.ts).
_OWNER = 0xFFFFFFFF
_PERMISSION = {
    "role": _OWNER,
    "isOwner": True,
    "hasManagePer": True,
    "hasWritePer": True,
    "hasReadPer": True,
    "hasManageRole": True,
    "hasWriteRole": True,
    "hasReadRole": True,
}
_SOURCE_MEMBER = {"name": "root", "avatar": "/imgs/avatar/BlueAvatar.svg", "status": "active"}


def _vector_model(name: str) -> dict[str, Any]:
    """The emulator's embedding models, as `getEmbeddingModel` answers: any name is configured."""
    return {
        "provider": "OpenAI",
        "model": name,
        "name": name,
        "isActive": True,
        "isDefault": name == DEFAULT_VECTOR_MODEL,
        "type": "embedding",
        "defaultToken": 512,
        "maxToken": 3000,
        "weight": 100,
    }


def _llm_model(name: str) -> dict[str, Any]:
    return {
        "provider": "OpenAI",
        "model": name,
        "name": name,
        "isActive": True,
        "isDefault": name == DEFAULT_LLM_MODEL,
        "type": "llm",
        "maxContext": 128000,
        "maxResponse": 16000,
        "quoteMaxToken": 120000,
        "maxTemperature": 1.2,
        "vision": True,
        "functionCall": False,
        "toolChoice": True,
    }


_SECRETS = {"apiServer": "authorization", "yuqueServer": "token", "feishuServer": "appSecret"}


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


def _dataset_doc(dataset: Dataset) -> dict[str, Any]:
    """The dataset as stored (`DatasetSchema`): model names, not model objects."""
    doc: dict[str, Any] = {
        "_id": dataset.id,
        "parentId": dataset.parent_id,
        "teamId": TEAM_ID,
        "tmbId": TMB_ID,
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


def _collection_doc(collection: Collection) -> dict[str, Any]:
    """The collection as stored (`DatasetCollectionSchema`), its chunk settings included."""
    doc: dict[str, Any] = {
        "_id": collection.id,
        "parentId": collection.parent_id,
        "teamId": TEAM_ID,
        "tmbId": TMB_ID,
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


# ---- datasets ------------------------------------------------------------------------------------

_CREATE_DATASET: Spec = {
    "parentId": ("nullish", z.parent_id),
    "type": ("required", z.one_of(*_DATASET_TYPES)),
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
        _dataset(state, parent)
    if _since(state, "4.17.0"):  # the emulator's models: an id is the model's name
        for field in ("vectorModel", "agentModel", "vlmModel"):
            if params.get(f"{field}Id"):
                params[field] = params[f"{field}Id"]
    return (
        _store(state)
        .add_dataset(
            parent_id=parent.lower() if parent else None,
            name=params["name"],
            intro=params["intro"],
            avatar=params["avatar"],
            type=params["type"],
            vector_model=params.get("vectorModel") or DEFAULT_VECTOR_MODEL,
            agent_model=params.get("agentModel") or DEFAULT_LLM_MODEL,
            vlm_model=params.get("vlmModel"),
            api_server=params.get("apiDatasetServer"),
        )
        .id
    )


_LIST_DATASETS: Spec = {
    "parentId": ("nullish", z.parent_id),
    "type": ("optional", z.one_of(*_DATASET_TYPES)),
    "searchKey": ("optional", z.string),
}
# 4.17.0: `type` may be a list of types; `sort` and `tmbIds` (schema-audit-4.18 §3).
_LIST_DATASETS_417: Spec = {
    **_LIST_DATASETS,
    "type": (
        "optional",
        lambda v, path: (
            z.array(z.one_of(*_DATASET_TYPES))(v, path)
            if isinstance(v, list)
            else z.one_of(*_DATASET_TYPES)(v, path)
        ),
    ),
    "sort": ("optional", z.string),
    "tmbIds": ("optional", z.array(z.string)),
}


def _list_datasets(state: State, params: Params) -> list[dict[str, Any]]:
    """FastGPT reads the body only: a `?parentId=` query is ignored (schema-audit 4.1). A `searchKey`
    matches names and intros in every folder, whatever `parentId` and `type` say."""
    validate(params, _LIST_DATASETS_417 if _since(state, "4.17.0") else _LIST_DATASETS)
    parent = (params.get("parentId") or "").lower() or None
    if parent:
        _dataset(state, parent)
    key = (params.get("searchKey") or "").lower()
    found = list(_store(state).datasets.values())
    if key:
        found = [d for d in found if key in d.name.lower() or key in d.intro.lower()]
    else:
        found = [d for d in found if d.parent_id == parent]
        if params.get("type"):
            types = params["type"] if isinstance(params["type"], list) else [params["type"]]
            found = [d for d in found if d.type in types]
    if params.get("tmbIds") and _since(state, "4.17.0") and TMB_ID not in params["tmbIds"]:
        found = []  # every dataset here is the key owner's
    found.sort(key=lambda d: (d.updated, d.seq), reverse=True)
    return [
        {
            "_id": d.id,
            "avatar": d.avatar,
            "name": d.name,
            "intro": d.intro,
            "type": d.type,
            "vectorModel": _vector_model(d.vector_model),
            "inheritPermission": True,
            "tmbId": TMB_ID,
            "updateTime": iso(d.updated),
            "permission": _PERMISSION,
            "private": True,
            "sourceMember": _SOURCE_MEMBER,
        }
        for d in found
    ]


_BY_OBJECT_ID: Spec = {"id": ("required", z.object_id)}


def _dataset_detail(state: State, params: Params) -> dict[str, Any]:
    validate(params, _BY_OBJECT_ID)
    dataset = _dataset(state, params["id"])
    detail = _dataset_doc(dataset)
    detail.update(
        status="active",
        permission=_PERMISSION,
        vectorModel=_vector_model(dataset.vector_model),
        agentModel=_llm_model(dataset.agent_model),
    )
    if dataset.vlm_model:
        detail["vlmModel"] = _llm_model(dataset.vlm_model)
    return detail


def _delete_dataset(state: State, params: Params) -> None:
    """Deletes the dataset, its child datasets, and their collections and data."""
    validate(params, _BY_OBJECT_ID)
    _store(state).delete_dataset(_dataset(state, params["id"]).id)


_SEARCH_TEST: Spec = {
    "datasetId": ("required", z.object_id),
    "text": ("optional", z.string),
    "queryImageUrls": (
        "optional",
        z.array(z.typed("non-empty string", lambda v: isinstance(v, str) and v != ""), most=10),
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
    store = _store(state)
    started = store.clock()
    dataset = _dataset(state, params["datasetId"])
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


# ---- collections ---------------------------------------------------------------------------------


def _parent(params: Params) -> str | None:
    value = params.get("parentId")
    return value.lower() if isinstance(value, str) and value else None


_CREATE_COLLECTION: Spec = {
    "datasetId": ("required", z.string),
    "parentId": ("nullish", z.parent_id),
    "name": ("required", z.string),
    "type": ("required", z.one_of("folder", "virtual")),
    "tags": ("optional", z.array(_TAG_INPUT)),
    "inheritPermission": ("optional", z.boolean),  # 4.17.3 (4173.mdx at 20659c2b)
}


def _create_collection(state: State, params: Params) -> str:
    """An empty collection: a folder, or a "virtual" one for data pushed by hand."""
    validate(params, _CREATE_COLLECTION)
    dataset = _dataset(state, params["datasetId"])
    collection = _store(state).add_collection(
        dataset_id=dataset.id,
        parent_id=_parent(params),
        name=params["name"],
        type=params["type"],
        tags=_tags_in(state, dataset.id, params.get("tags")),
        inherit_permission=params.get("inheritPermission") if _since(state, "4.17.3") else None,
    )
    _training(state, collection)  # 4.17.2: the first statistics snapshot
    return collection.id


def _file_key(dataset_id: str, filename: str) -> str:
    """Where FastGPT's S3 keeps an uploaded file (`getFileS3Key.dataset`)."""
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    name = re.sub(r"[^\w.-]", "_", stem) or "file"
    return f"dataset/{dataset_id}/{name}_{nanoid(6)}" + (f".{extension}" if extension else "")


def _source_collection(state: State, params: Params, dataset: Dataset, **fields: Any) -> Collection:
    return _store(state).add_collection(
        dataset_id=dataset.id,
        parent_id=_parent(params),
        tags=_tags_in(state, dataset.id, params.get("tags")),
        settings=chunk_settings(params),
        **fields,
    )


def _parse(state: State, collection: Collection, text: str | None) -> dict[str, Any]:
    """FastGPT's parse task: the source is read and split when the training delay ends. Nothing is
    inserted by the request itself, so `insertLen` is 0 (FastGPT queues the parse and answers 0).
    Unreadable text leaves the task failed: the collection shows one `parse` error."""
    store = _store(state)
    collection.parse_until = store.clock() + store.training_delay
    if text is None:
        collection.parse_error = "The emulator cannot read this file type"
    else:
        store.import_text(collection, text)
    _training(state, collection)  # 4.17.2: the first statistics snapshot
    return {"collectionId": collection.id, "results": {"insertLen": 0}}


def _create_text(state: State, params: Params) -> dict[str, Any]:
    """The text is stored as `<name>.txt` and the collection is a `file` one, as FastGPT does."""
    validate(params, {**_CREATE_BASE, "name": ("required", z.string), "text": ("required", z.string)})
    dataset = _dataset(state, params["datasetId"])
    filename = f"{params['name']}.txt"
    collection = _source_collection(
        state,
        params,
        dataset,
        name=filename,
        type="file",
        file_id=_file_key(dataset.id, filename),
        file_size=len(params["text"].encode()),
        metadata=dict(params.get("metadata") or {}),
    )
    return _parse(state, collection, params["text"])


def _page_title(text: str) -> str | None:
    first = text.lstrip().split("\n", 1)[0]
    return first[2:].strip() or None if first.startswith("# ") else None


def _read_link(state: State, link: str) -> str:
    """A link's page: `web_pages[link]`, or the placeholder text (the emulator never fetches)."""
    pages = _store(state).web_pages
    return pages[link] if link in pages else placeholder_page(link)


def _create_link(state: State, params: Params) -> dict[str, Any]:
    """A `link` collection named after the link; once read, after its page's `# title` if it has
    one (FastGPT names it after the page title). The page comes from `fake.datasets.web_pages`, or
    is the emulator's placeholder text; an empty page fails the parse, as an unreadable link does."""
    validate(params, {**_CREATE_BASE, "link": ("required", z.url)})
    dataset = _dataset(state, params["datasetId"])
    link = params["link"]
    selector = (params.get("metadata") or {}).get("webPageSelector")
    collection = _source_collection(
        state,
        params,
        dataset,
        name=link,
        type="link",
        raw_link=link,
        metadata={"relatedImgId": link, **({"webPageSelector": selector} if selector is not None else {})},
    )
    page = _read_link(state, link)
    collection.name = _page_title(page) or link
    return _parse(state, collection, page or None)


def _create_local_file(state: State, params: Params) -> dict[str, Any]:
    """A multipart upload: a `file` part and a `data` part holding the JSON of the request.

    As FastGPT's multer: no file part is "File not found", an extension outside FastGPT's document
    types is `InvalidUploadFileType`, `data`'s fields win over plain form fields. The file's text is
    split like any text; a `.csv` is read as a Markdown table first (FastGPT's file reader), .txt,
    .md and .html as text; .docx, .pdf, .xlsx and .pptx are accepted but the emulator cannot read
    them, so their parse task fails.
    """
    upload = params.get("file")
    if not isinstance(upload, FormFile):
        raise failed("File not found")
    filename = unquote(upload.filename)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in UPLOAD_EXTENSIONS:
        raise bad_upload_type()
    try:
        data = json.loads(params["data"]) if isinstance(params.get("data"), str) else {}
    except ValueError:
        data = {}
    fields = {k: v for k, v in params.items() if k not in ("file", "data") and isinstance(v, str)}
    body = {**fields, **(data if isinstance(data, dict) else {})}
    dataset = _dataset(state, body.get("datasetId"))
    validate(body, _CREATE_BASE, internal=True)
    key = _file_key(dataset.id, filename)
    collection = _source_collection(
        state,
        body,
        dataset,
        name=filename,
        type="file",
        file_id=key,
        file_size=len(upload.data),
        metadata={**(body.get("metadata") or {}), "relatedImgId": key},
    )
    return _parse(state, collection, read_upload(filename, upload.data))


_API_SERVERS = ("apiServer", "yuqueServer", "feishuServer", "dingtalkServer")


def _create_api_collection(state: State, params: Params) -> None:
    """Refused: without an API server configured on the dataset FastGPT rejects with "Can not find
    api dataset server"; with one, it would call that server, which the emulator cannot reach, and
    FastGPT answers a network error so ("网络连接异常")."""
    validate(params, {**_CREATE_BASE, "name": ("required", z.string), "apiFileId": ("required", z.string)})
    dataset = _dataset(state, params["datasetId"])
    server = dataset.api_server or {}
    if not any(server.get(kind) for kind in _API_SERVERS):
        raise failed("Can not find api dataset server")
    raise failed("网络连接异常")


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


def _training(state: State, collection: Collection, *, simple: bool = False) -> dict[str, Any]:
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
    store = _store(state)
    live = store.training_status(collection)
    if not _since(state, "4.17.2"):
        return live
    rows = list(store.rows(collection.id))
    processed = sum(1 for d in rows if store.is_ready(d))
    live.update(dataAmount=len(rows), processedCount=processed, remainingCount=len(rows) - processed)
    answer = collection.stats if collection.stats is not None else live
    collection.stats = live
    return dict(answer)


def _list_collections(state: State, params: Params) -> dict[str, Any]:
    """`listV2`: a page of a folder's collections, newest update first, with their data and training
    counts. `searchText` searches names across every folder; `filterTags` matches tag labels (FastGPT
    matches tag ids, which the emulator does not give out); `simple` skips the counts, as FastGPT."""
    validate(params, _LIST_COLLECTIONS_4171 if _since(state, "4.17.1") else _LIST_COLLECTIONS)
    window = paging(params, max_size=100, style="mongo")
    dataset = _dataset(state, params["datasetId"])
    search = (params.get("searchText") or "").replace("'", "").lower()
    parent = params.get("parentId") or None
    if not search and parent is not None and not is_object_id(parent):
        raise failed("input must be a 24 character hex string, 12 byte Uint8Array, or an integer")
    store = _store(state)
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
    if params.get("tagFilters") and _since(state, "4.17.1"):
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
        item["permission"] = _PERMISSION
        training = _training(state, c, simple=simple)
        item["dataAmount"] = 0 if simple else training.pop("dataAmount", len(store.trained(c.id)))
        item.update(training)
        items.append(item)
    return {"list": items, "total": len(found)}


def _collection_detail(state: State, params: Params) -> dict[str, Any]:
    """The collection with its dataset, source, file, index count and training counters."""
    validate(params, {"id": ("required", z.string)})
    collection = _collection(state, params["id"])
    store = _store(state)
    detail = _collection_doc(collection)
    detail["dataset"] = _dataset_doc(store.datasets[collection.dataset_id])
    detail["sourceName"] = collection.name
    if collection.source_id:
        detail["sourceId"] = collection.source_id
    detail["permission"] = _PERMISSION
    if collection.file_id:
        detail["file"] = {"filename": collection.name, "contentLength": collection.file_size or 0}
    detail["indexAmount"] = sum(len(d.indexes) for d in store.trained(collection.id))
    training = _training(state, collection)
    detail.update(training)
    detail["errorCount"] = training["finalErrorAmount"]
    return detail


_UPDATE_COLLECTION: Spec = {
    "id": ("optional", z.object_id),
    "parentId": ("nullish", z.parent_id),
    "name": ("optional", z.string),
    "tags": ("optional", z.array(_TAG_INPUT)),
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
    store = _store(state)
    if params.get("datasetId") and params.get("externalFileId"):
        _dataset(state, params["datasetId"])
        raise file_not_found()  # the emulator makes no external-file collections
    if not params.get("id"):
        raise missing_params()
    collection = _collection(state, params["id"])
    if "parentId" in params:
        collection.parent_id = _parent(params)
    if params.get("name"):
        name = params["name"]
        collection.name = name
        manual = name.startswith("手动") or name in ("manual", "mark")
        collection.updated = _PINNED if manual else store.clock()
    if params.get("tags") is not None:
        collection.tags = _tags_in(state, collection.dataset_id, params["tags"])
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
    if _since(state, "4.18.0"):
        spec.update(
            id=("optional", z.string),
            datasetId=("optional", z.string),
            apiFileIds=("optional", z.array(z.string)),
        )
    validate(body, spec)
    validate(query, {"id": ("optional", z.string)})
    single = query.get("id") or (body.get("id") if _since(state, "4.18.0") else None)
    ids = [single] if single else body.get("collectionIds")
    if ids is None and _since(state, "4.18.0") and body.get("datasetId") and body.get("apiFileIds"):
        dataset = _dataset(state, body["datasetId"])
        wanted = set(body["apiFileIds"])
        ids = [
            c.id
            for c in _store(state).collections.values()
            if c.dataset_id == dataset.id and c.api_file_id in wanted
        ]
        if not ids:
            raise dataset_error("unExistCollection")
    if not isinstance(ids, list):
        raise missing_params()
    if not ids:
        raise failed("Cannot destructure property 'teamId' of 'undefined' as it is undefined.")
    found = [_collection(state, collection_id).id for collection_id in ids]
    _store(state).delete_collections(found)


def _sync_collection(state: State, params: Params) -> str:
    """A link collection reads its page again (`syncCollection`): the same text is "sameRaw"; a
    changed text replaces the collection by a new one (a new id, as FastGPT's delete-and-create
    does) whose chunks train again, "success"; a changed title alone renames it, "success". Only
    link collections sync (`notSupportSync` otherwise); an empty page is refused as unreadable."""
    validate(params, {"collectionId": ("required", z.object_id)})
    store = _store(state)
    collection = _collection(state, params["collectionId"])
    if collection.type not in ("link", "apiFile") or not collection.raw_link:
        raise dataset_error("notSupportSync")
    page = _read_link(state, collection.raw_link)
    if not page:
        raise failed("Can not fetch content from link")
    title = _page_title(page)
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


# ---- data ----------------------------------------------------------------------------------------

_PUSH_ITEM: Spec = {
    "q": ("optional", z.string),
    "a": ("optional", z.string),
    "imageId": ("optional", z.string),
    "chunkIndex": ("optional", z.number),
    "indexes": (
        "optional",
        z.array(z.obj({"type": ("optional", z.one_of(*_INDEX_TYPES)), "text": ("required", z.string)})),
    ),
    "metadata": ("optional", z.record),
}
_PUSH_DATA: Spec = {
    "collectionId": ("required", z.object_id),
    "data": ("required", z.array(z.obj(_PUSH_ITEM), most=200)),
    "trainingType": ("optional", z.one_of(*_TRAINING_TYPES)),
    "indexSize": ("optional", z.number),
    "autoIndexes": ("optional", z.boolean),
    "imageIndex": ("optional", z.boolean),
    "prompt": ("optional", z.string),
    "billId": ("optional", z.string),
    "trainingMode": ("optional", z.one_of(*_TRAINING_TYPES)),
}


def _custom_indexes(indexes: Any) -> list[tuple[str, str]]:
    """The indexes a caller may set: system ones (`default`, `imageEmbedding`) are FastGPT's to make."""
    return [
        (index.get("type") or "custom", index["text"])
        for index in indexes or []
        if index.get("type") not in ("default", "imageEmbedding")
    ]


def _push_data(state: State, params: Params) -> dict[str, int]:
    """At most 200 items (more is a 400). As `pushDataListToTrainingQueue`: an item with neither `q`
    nor `imageId` is skipped, not refused, and `insertLen` counts the rest; an item's `chunkIndex`
    defaults to 0; they train in the collection's mode (`qa` for a QA collection, else `chunk`) for
    the training delay. QA training needs a model FastGPT has and the emulator has not: the items
    are kept as given."""
    validate(params, _PUSH_DATA)
    store = _store(state)
    collection = _collection(state, params["collectionId"])
    ready = store.clock() + store.training_delay
    inserted = 0
    for item in params["data"]:
        q = item.get("q") or ""
        if not q and not item.get("imageId"):
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
    collection = _collection(state, params["collectionId"])
    # A blank `searchText` filters nothing; any other is matched as sent, its spaces included.
    needle = (params.get("searchText") or "").lower()
    store = _store(state)
    rows = list(store.rows(collection.id)) if _since(state, "4.17.2") else store.trained(collection.id)
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
        if _since(state, "4.17.2"):
            item["indexStatus"] = _index_status(state, d)
        items.append(item)
    return {"list": items, "total": len(rows)}


def _data_detail(state: State, params: Params) -> dict[str, Any]:
    validate(params, _BY_OBJECT_ID)
    data = _data(state, params["id"])
    collection = _store(state).collections[data.collection_id]
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
    if _since(state, "4.17.2"):
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
    store = _store(state)
    data = _writable(state, _data(state, params["dataId"]))
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
    validate(params, _BY_OBJECT_ID)
    _store(state).delete_data(_writable(state, _data(state, params["id"])))


# ---- the table -----------------------------------------------------------------------------------
#
# `since`: the first FastGPT version with the path (schema-audit 4.1, "Since"). Each handler reads
# its input where FastGPT's does: the body, the query, or (collection delete, data list) both.

_BASE = "/api/core/dataset"

ROUTES = (
    Route(f"{_BASE}/create", enveloped(_create_dataset), since="4.4.5", reads="body"),
    Route(f"{_BASE}/list", enveloped(_list_datasets), since="4.4.5", reads="body"),
    Route(f"{_BASE}/detail", enveloped(_dataset_detail), since="4.4.5", reads="query"),
    Route(f"{_BASE}/delete", enveloped(_delete_dataset), since="4.4.5", reads="query"),
    Route(f"{_BASE}/searchTest", enveloped(_search_test), since="4.4.5", reads="body"),
    Route(f"{_BASE}/collection/create", enveloped(_create_collection), since="4.5.1", reads="body"),
    Route(f"{_BASE}/collection/create/text", enveloped(_create_text), since="4.6.7", reads="body"),
    Route(f"{_BASE}/collection/create/link", enveloped(_create_link), since="4.6.7", reads="body"),
    Route(f"{_BASE}/collection/create/localFile", enveloped(_create_local_file), since="4.8", reads="body"),
    Route(
        f"{_BASE}/collection/create/apiCollection",
        enveloped(_create_api_collection),
        since="4.8.15",
        reads="body",
    ),
    Route(f"{_BASE}/collection/listV2", enveloped(_list_collections), since="4.8.19", reads="body"),
    Route(f"{_BASE}/collection/detail", enveloped(_collection_detail), since="4.5.1", reads="query"),
    Route(f"{_BASE}/collection/update", enveloped(_update_collection), since="4.5.1", reads="body"),
    Route(f"{_BASE}/collection/delete", enveloped(_delete_collection), since="4.6.3", reads="split"),
    Route(f"{_BASE}/collection/sync", enveloped(_sync_collection), since="4.8.15", reads="body"),
    Route(f"{_BASE}/data/pushData", enveloped(_push_data), since="4.4.5", reads="body"),
    Route(f"{_BASE}/data/v2/list", enveloped(_list_data), since="4.8.12"),
    Route(f"{_BASE}/data/detail", enveloped(_data_detail), since="4.6", reads="query"),
    Route(f"{_BASE}/data/update", enveloped(_update_data), since="4.6", reads="body"),
    Route(f"{_BASE}/data/delete", enveloped(_delete_data), since="4.6", reads="query"),
)
