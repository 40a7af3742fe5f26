"""Dataset files through presigned storage: `file/presignDatasetFilePostUrl` answers where to upload
(the emulator's `FakeStorage`, the machinery chat file uploads use, `routes/chat_file.py`);
`collection/create/fileId` (`collection_create.py`) then makes a collection of the upload by its key.

Sources: `PresignDatasetFilePostUrlBodySchema` (`filename`, `datasetId`, `size`) and its answer
`CreatePostPresignedUrlResponseSchema` in `packages/global/openapi/core/dataset/file/api.ts` @ 04b3226b
(the route since 4.14.11, multipart answers since 4.16.0, f732bc52).
"""

from __future__ import annotations

from typing import Any

from ...state import State
from ...wire import Params
from .. import schema as z
from ..schema import Spec, validate
from .lookups import find_dataset
from .table import route

__all__ = ["ROUTES"]


_PRESIGN: Spec = {
    "filename": ("required", z.non_empty),
    "datasetId": ("required", z.object_id),
    "size": ("optional", z.integer(least=1)),
}


def _presign(state: State, params: Params) -> dict[str, Any]:
    """Where to put one file of the dataset: a key under `dataset/<datasetId>/`, a single PUT, or from
    4.16.0 a multipart session for a file of at least the storage's threshold (by `size`; without
    one, a single PUT, as FastGPT keeps it for old clients). Before 4.16 the answer has no
    `uploadMode`, before 4.15 no `previewUrl`, as the chat presign answers."""
    validate(params, _PRESIGN)
    dataset = find_dataset(state, params["datasetId"])
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


ROUTES = (route("file/presignDatasetFilePostUrl", _presign, since="4.14.11"),)
