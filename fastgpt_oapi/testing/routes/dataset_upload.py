"""Dataset files through presigned storage: `file/presignDatasetFilePostUrl` answers where to upload (the
emulator's `FakeStorage`, the same machinery chat file uploads use, `routes/chat_file.py`), and
`collection/create/fileId` makes a collection of an uploaded file by its key.

Sources: `PresignDatasetFilePostUrlBodySchema` (`filename`, `datasetId`, `size`) and its answer
`CreatePostPresignedUrlResponseSchema` in `packages/global/openapi/core/dataset/file/api.ts` @ 04b3226b
(the route since 4.14.11, multipart answers since 4.16.0, f732bc52), and
`CreateCollectionByFileIdBodySchema` in `packages/global/openapi/core/dataset/collection/createApi.ts`
@ 1e8bb154 ("S3 文件对象键（必须是 dataset 路径下的文件）": a key under the dataset's path), answered
`CreateCollectionWithResultResponseSchema`.
"""

from __future__ import annotations

from typing import Any

from ..datasets import read_upload
from ..state import State
from ..wire import Params, file_not_found
from . import schema as z
from .dataset import _CREATE_BASE, _dataset, _parse, _source_collection
from .route import Route, enveloped
from .schema import Spec, validate

__all__ = ["ROUTES"]

_POSITIVE_INT = z.typed(
    "positive integer", lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0
)
_PRESIGN: Spec = {
    "filename": ("required", z.typed("non-empty string", lambda v: isinstance(v, str) and v != "")),
    "datasetId": ("required", z.object_id),
    "size": ("optional", _POSITIVE_INT),
}


def _presign(state: State, params: Params) -> dict[str, Any]:
    """Where to put one file of the dataset: a key under `dataset/<datasetId>/`, a single PUT, or from
    4.16.0 a multipart session for a file of at least the storage's threshold (by `size`; without
    one, a single PUT, as FastGPT keeps it for old clients). Before 4.16 the answer has no
    `uploadMode`, before 4.15 no `previewUrl`, as the chat presign answers."""
    validate(params, _PRESIGN)
    dataset = _dataset(state, params["datasetId"])
    answer = state.storage.presign(
        prefix=f"dataset/{dataset.id}",
        filename=params["filename"],
        content_type=None,
        size=params.get("size"),
        multipart_allowed=state.version >= (4, 16, 0),
    )
    if state.version < (4, 16, 0):
        del answer["uploadMode"]
    if state.version < (4, 15, 0):
        del answer["previewUrl"]
    return answer


def _create_file_id(state: State, params: Params) -> dict[str, Any]:
    """A `file` collection of a stored upload, named after the file: the key must be one this dataset's
    presign handed out and its upload finished, else `fileNotFound` (HTTP 404). The file is parsed like a
    `localFile` upload (FastGPT's parse task; types the emulator cannot read fail their parse)."""
    validate(params, {**_CREATE_BASE, "fileId": ("required", z.string)})
    dataset = _dataset(state, params["datasetId"])
    key = params["fileId"]
    stored = state.storage.objects.get(key)
    if stored is None or not key.startswith(f"dataset/{dataset.id}/"):
        raise file_not_found()
    collection = _source_collection(
        state,
        params,
        dataset,
        name=stored.filename,
        type="file",
        file_id=key,
        file_size=len(stored.data),
        metadata={**(params.get("metadata") or {}), "relatedImgId": key},
    )
    return _parse(state, collection, read_upload(stored.filename, stored.data))


_BASE = "/api/core/dataset"

ROUTES = (
    Route(f"{_BASE}/file/presignDatasetFilePostUrl", enveloped(_presign), since="4.14.11", reads="body"),
    Route(f"{_BASE}/collection/create/fileId", enveloped(_create_file_id), since="4.14.11", reads="body"),
)
