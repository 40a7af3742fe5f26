"""Chat files: the presign routes a client asks before uploading a file for a message.

`presignChatFilePostUrl` answers where to upload (the emulator's `FakeStorage`); `presignChatFileGetUrl`
signs a URL for a stored key, as FastGPT did for its web client before presign answers carried one.
Both need an explicit `appId`, as FastGPT's chat routes other than completions do.
"""

from __future__ import annotations

from typing import Any

from ..state import State
from ..wire import Params, no_chat
from .auth import require_app
from .route import Route, enveloped
from .schema import Spec, integer, non_empty, validate

__all__ = ["ROUTES"]

# Who uploaded, in the key: FastGPT writes the API key owner's member id there.
_UID = "66e29b870b24ce35330c0f0a"


_PRESIGN_POST: Spec = {
    "chatId": ("required", non_empty),
    "filename": ("required", non_empty),
    "size": ("nullish", integer(least=0)),
}


def _presign_post(state: State, params: Params) -> dict[str, Any]:
    app_id = require_app(state, params)
    validate(params, _PRESIGN_POST)
    chat_id, filename, size = params["chatId"], params["filename"], params.get("size")
    content_type = params.get("contentType")
    # FastGPT's chat file keys: chat/<sourceType>/<sourceId>/<uid>/<chatId>/<file>
    answer = state.storage.presign(
        prefix=f"chat/app/{app_id}/{_UID}/{chat_id}",
        filename=filename,
        content_type=content_type if isinstance(content_type, str) and content_type else None,
        size=size,
        multipart_allowed=state.version >= (4, 16, 0),  # f732bc52
    )
    if state.version < (4, 16, 0):
        del answer["uploadMode"]  # every upload a single PUT, and the answer did not say so
    if state.version < (4, 15, 0):
        del answer["previewUrl"]  # before af0db988 the client signed one with presignChatFileGetUrl
    return answer


def _presign_get(state: State, params: Params) -> str:
    app_id = require_app(state, params)
    validate(params, {"key": ("required", non_empty)})
    key = params["key"]
    url = state.storage.preview_url(key)
    if url is None or not key.startswith(f"chat/app/{app_id}/"):
        raise no_chat()
    return url


# API keys are accepted here since 4.14.5 (c93c3937, schema-audit 4.3).
ROUTES = (
    Route("/api/core/chat/file/presignChatFilePostUrl", enveloped(_presign_post), since="4.14.5"),
    Route("/api/core/chat/file/presignChatFileGetUrl", enveloped(_presign_get), since="4.14.5"),
)
