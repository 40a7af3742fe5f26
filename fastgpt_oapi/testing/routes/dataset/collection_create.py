"""Making collections: `collection/create` (a folder or a virtual collection) and its sources,
`create/text`, `create/link`, `create/localFile`, `create/apiCollection`, `create/apiCollectionV2` and
`create/fileId`, under `/api/core/dataset/`.

Sources: `packages/global/openapi/core/dataset/collection/{createPath.ts, createApi.ts}` and the
handlers under `projects/app/src/pages/api/core/dataset/collection/create/` at f88b51b5
(4.16.0-beta1); `apiCollectionV2`: `CreateApiCollectionV2BodySchema` (`createApi.ts` @ 1e8bb154) and
`apiCollectionV2.ts` @ f1268f1e; `fileId`: `CreateCollectionByFileIdBodySchema` (`createApi.ts`
@ 1e8bb154: a key under the dataset's path), answered `CreateCollectionWithResultResponseSchema`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from ...datasets import UPLOAD_EXTENSIONS, Collection, Dataset, ParseFailure, chunk_settings, read_upload
from ...ids import nanoid
from ...multipart import FormFile
from ...state import State
from ...wire import Params, Refusal, bad_upload_type, dataset_error, failed, file_not_found
from .. import schema as z
from ..schema import Spec, validate
from .api_files import file_server
from .documents import training_counts
from .lookups import CREATE_BASE, TAG_INPUT, find_dataset, page_title, parent_of, read_link, since, tags_in
from .table import route

__all__ = ["ROUTES"]


_CREATE_COLLECTION: Spec = {
    "datasetId": ("required", z.string),
    "parentId": ("nullish", z.parent_id),
    "name": ("required", z.string),
    "type": ("required", z.one_of("folder", "virtual")),
    "tags": ("optional", z.array(TAG_INPUT)),
    "inheritPermission": ("optional", z.boolean),  # 4.17.3 (4173.mdx at 20659c2b)
}


def _create_collection(state: State, params: Params) -> str:
    """An empty collection: a folder, or a "virtual" one for data pushed by hand."""
    validate(params, _CREATE_COLLECTION)
    dataset = find_dataset(state, params["datasetId"])
    collection = state.datasets.add_collection(
        dataset_id=dataset.id,
        parent_id=parent_of(params),
        name=params["name"],
        type=params["type"],
        tags=tags_in(state, dataset.id, params.get("tags")),
        inherit_permission=params.get("inheritPermission") if since(state, "4.17.3") else None,
    )
    training_counts(state, collection)  # 4.17.2: the first statistics snapshot
    return collection.id


def file_key(dataset_id: str, filename: str) -> str:
    """Where FastGPT's S3 keeps an uploaded file (`getFileS3Key.dataset`)."""
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    name = re.sub(r"[^\w.-]", "_", stem) or "file"
    return f"dataset/{dataset_id}/{name}_{nanoid(6)}" + (f".{extension}" if extension else "")


def source_collection(state: State, params: Params, dataset: Dataset, **fields: Any) -> Collection:
    return state.datasets.add_collection(
        dataset_id=dataset.id,
        parent_id=parent_of(params),
        tags=tags_in(state, dataset.id, params.get("tags")),
        settings=chunk_settings(params),
        **fields,
    )


def parse_source(state: State, collection: Collection, text: str | ParseFailure | None) -> dict[str, Any]:
    """FastGPT's parse task: the source is read and split when the training delay ends (after the
    call: `DatasetStore.import_text`). Nothing is inserted by the request itself, so `insertLen` is 0
    (FastGPT queues the parse and answers 0). Unreadable text leaves the task failed: the collection
    shows one `parse` error."""
    store = state.datasets
    collection.parse_until = store.clock() + store.training_delay
    if isinstance(text, ParseFailure):
        collection.parse_error = text.reason
    elif text is None:
        collection.parse_error = "The emulator cannot read this file type"
    training_counts(state, collection)  # 4.17.2: the first statistics snapshot, before any chunk
    if isinstance(text, str):
        store.import_text(collection, text)
    return {"collectionId": collection.id, "results": {"insertLen": 0}}


def _create_text(state: State, params: Params) -> dict[str, Any]:
    """The text is stored as `<name>.txt` and the collection is a `file` one, as FastGPT does."""
    validate(params, {**CREATE_BASE, "name": ("required", z.string), "text": ("required", z.string)})
    dataset = find_dataset(state, params["datasetId"])
    filename = f"{params['name']}.txt"
    collection = source_collection(
        state,
        params,
        dataset,
        name=filename,
        type="file",
        file_id=file_key(dataset.id, filename),
        file_size=len(params["text"].encode()),
        metadata=dict(params.get("metadata") or {}),
    )
    return parse_source(state, collection, params["text"])


def _create_link(state: State, params: Params) -> dict[str, Any]:
    """A `link` collection named after the link; once read, after its page's `# title` if it has
    one (FastGPT names it after the page title). The page comes from `fake.datasets.web_pages`, or
    is the emulator's placeholder text; an empty page fails the parse, as an unreadable link does."""
    validate(params, {**CREATE_BASE, "link": ("required", z.url)})
    dataset = find_dataset(state, params["datasetId"])
    link = params["link"]
    selector = (params.get("metadata") or {}).get("webPageSelector")
    collection = source_collection(
        state,
        params,
        dataset,
        name=link,
        type="link",
        raw_link=link,
        metadata={"relatedImgId": link, **({"webPageSelector": selector} if selector is not None else {})},
    )
    page = read_link(state, link)
    collection.name = page_title(page) or link
    return parse_source(state, collection, page or None)


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
    dataset = find_dataset(state, body.get("datasetId"))
    validate(body, CREATE_BASE, internal=True)
    key = file_key(dataset.id, filename)
    collection = source_collection(
        state,
        body,
        dataset,
        name=filename,
        type="file",
        file_id=key,
        file_size=len(upload.data),
        metadata={**(body.get("metadata") or {}), "relatedImgId": key},
    )
    return parse_source(state, collection, read_upload(filename, upload.data))


def _create_api_collection(state: State, params: Params) -> dict[str, Any]:
    """One file of the dataset's file server (`apiCollection.ts`): a file already in the dataset is
    `sameApiCollection`; the content is read at once (`readApiServerFileContent`, `api_files.py`) and
    the collection named after its title, else the request's `name`; then it is parsed like any text."""
    validate(params, {**CREATE_BASE, "name": ("required", z.string), "apiFileId": ("required", z.string)})
    dataset = find_dataset(state, params["datasetId"])
    file_id = params["apiFileId"]
    if any(
        c.dataset_id == dataset.id and c.api_file_id == file_id for c in state.datasets.collections.values()
    ):
        raise dataset_error("sameApiCollection")
    title, text = file_server(state, dataset).content(file_id)
    collection = source_collection(
        state,
        params,
        dataset,
        name=title or params["name"],
        type="apiFile",
        api_file_id=file_id,
        metadata={"relatedImgId": file_id},
    )
    return parse_source(state, collection, text)


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


def _create_api_collection_v2(state: State, params: Params) -> None:
    """Collections from an API dataset's files, answering `null` (`apiCollectionV2.ts` @ f1268f1e).

    A folder with `hasChild` is listed by the dataset's file server, recursively, and becomes a folder
    collection; each file becomes an `apiFile` collection named after it; files whose id the dataset has
    already (or the list repeats) are skipped. A listing FastGPT refuses refuses the request, and
    nothing is created. Each file's content is read by FastGPT's parse task: here at once, and a
    refusal (FastGPT's message) leaves the collection's parse failed, as FastGPT's task does."""
    validate(params, {**CREATE_BASE, "apiFiles": ("required", z.array(_API_FILE))})
    dataset = find_dataset(state, params["datasetId"])
    files: list[dict[str, Any]] = params["apiFiles"]
    server = file_server(state, dataset) if any(f.get("hasChild") for f in files) else None

    def walk(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for item in items:
            found.append(item)
            if item.get("hasChild") and server is not None:
                found += [f for f in walk(server.list_files(item["id"])) if f["type"] == "file"]
        return found

    everything = walk(files)  # every listing first: a refused one creates nothing
    store = state.datasets
    seen = {c.api_file_id for c in store.collections.values() if c.dataset_id == dataset.id}
    for item in everything:
        if item["id"] in seen:
            continue
        seen.add(item["id"])
        if item["type"] == "folder" and item.get("hasChild"):
            store.add_collection(
                dataset_id=dataset.id,
                parent_id=None,
                name=item["name"],
                type="folder",
                api_file_id=item["id"],
            )
        elif item["type"] == "file":
            collection = source_collection(
                state,
                params,
                dataset,
                name=item["name"],
                type="apiFile",
                api_file_id=item["id"],
                metadata={"relatedImgId": item["id"]},
            )
            try:
                _, text = file_server(state, dataset).content(item["id"])
            except Refusal as refusal:
                collection.parse_until = store.clock() + store.training_delay
                collection.parse_error = refusal.message
                continue
            parse_source(state, collection, text)


def _create_file_id(state: State, params: Params) -> dict[str, Any]:
    """A `file` collection of a stored upload, named after the file: the key must be one this dataset's
    presign handed out and its upload finished, else `fileNotFound` (HTTP 404). The file is parsed like a
    `localFile` upload (FastGPT's parse task; types the emulator cannot read fail their parse)."""
    validate(params, {**CREATE_BASE, "fileId": ("required", z.string)})
    dataset = find_dataset(state, params["datasetId"])
    key = params["fileId"]
    stored = state.storage.objects.get(key)
    if stored is None or not key.startswith(f"dataset/{dataset.id}/"):
        raise file_not_found()
    collection = source_collection(
        state,
        params,
        dataset,
        name=stored.filename,
        type="file",
        file_id=key,
        file_size=len(stored.data),
        metadata={**(params.get("metadata") or {}), "relatedImgId": key},
    )
    return parse_source(state, collection, read_upload(stored.filename, stored.data))


ROUTES = (
    route("collection/create", _create_collection, since="4.5.1"),
    route("collection/create/text", _create_text, since="4.6.7"),
    route("collection/create/link", _create_link, since="4.6.7"),
    route("collection/create/localFile", _create_local_file, since="4.8"),
    route("collection/create/apiCollection", _create_api_collection, since="4.8.15"),
    route("collection/create/apiCollectionV2", _create_api_collection_v2, since="4.10.0"),
    route("collection/create/fileId", _create_file_id, since="4.14.11"),
)
