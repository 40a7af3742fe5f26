"""What every area of the emulator writes on the wire: responses, the JSON envelope, and every refusal.

Areas (`routes/`) build their answers from these so that two endpoints never disagree on how FastGPT
encodes JSON, wraps data or refuses a request. Requests are checked by `routes/schema.py`, whose
refusal (`SchemaRefusal`) is written here too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "FakeResponse",
    "Interruptible",
    "Params",
    "Refusal",
    "SchemaRefusal",
    "bad_key",
    "bad_upload_type",
    "cast_error",
    "dataset_error",
    "envelope",
    "failed",
    "file_not_found",
    "invalid",
    "json_bytes",
    "json_response",
    "missing_params",
    "no_app",
    "no_chat",
    "ok",
    "thrown",
]

# A request's query and JSON body merged (the body wins), as FastGPT's handlers read them.
Params = dict[str, Any]


class Interruptible(Protocol):
    """A stream whose run can be stopped while it is sent: a v2 chat run (`POST /api/v2/chat/stop`).

    Whatever sends the chunks (the in-process transports, the loopback server) asks `before` ahead
    of each one, after its pause, and tells `finished` once the stream is over."""

    def before(self, index: int) -> list[bytes] | None:
        """None: send chunk `index`. Once the run was stopped: the chunks that end the stream
        instead (nothing is sent after them)."""
        ...

    def finished(self, sent: int) -> None:
        """The stream is over: sent whole, ended by `before`, or left by its client after `sent`
        chunks. Called at least once; later calls do nothing."""
        ...


@dataclass
class FakeResponse:
    status: int
    headers: dict[str, str]
    chunks: list[bytes]  # streamed one by one; a blocking body is one chunk
    # Scripted slowness (`FakeFastGPT.delay_next`): seconds before the response starts, and before
    # each chunk of a streamed body. The transports and the loopback server wait them out.
    delay: float = 0.0
    chunk_delay: float = 0.0
    # A run the stop route can interrupt while this is streamed (see `outgoing`).
    live: Interruptible | None = None

    def outgoing(self, index: int) -> tuple[list[bytes], bool]:
        """What the `index`-th send writes, and whether the stream ends with it: chunk `index`, or,
        once a live run was stopped, the chunks that end it early."""
        if self.live is not None:
            tail = self.live.before(index)
            if tail is not None:
                return tail, True
        return [self.chunks[index]], index + 1 >= len(self.chunks)

    def finished(self, sent: int) -> None:
        """The stream is over after `sent` of its chunks (see `Interruptible.finished`)."""
        if self.live is not None:
            self.live.finished(sent)

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    @property
    def streamed(self) -> bool:
        """Sent chunk by chunk (an SSE stream), rather than as one body."""
        return len(self.chunks) > 1


def json_bytes(value: Any) -> bytes:
    """JSON as FastGPT's JSON.stringify writes it: compact, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def envelope(code: int, data: Any = None, *, status_text: str = "", message: str = "") -> dict[str, Any]:
    # Key order is part of the bytes clients (and recorded fixtures) see.
    return {"code": code, "statusText": status_text, "message": message, "data": data}


def json_response(status: int, value: Any) -> FakeResponse:
    return FakeResponse(status, {"content-type": "application/json"}, [json_bytes(value)])


def ok(data: Any) -> FakeResponse:
    return json_response(200, envelope(200, data))


# ---- refusals --------------------------------------------------------------------------------------
#
# Every refusal the emulator answers is built here, so two areas never word one FastGPT error two ways.
# Sources: FastGPT 4.16.0-beta1 (f88b51b5) `packages/global/common/error/code/{dataset,common}.ts`,
# `packages/service/common/http/entry.ts`, `packages/service/common/response/index.ts`.


class Refusal(Exception):
    """FastGPT turning a request down with an error envelope; raised anywhere a handler checks input."""

    def __init__(self, status: int, code: int, status_text: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.status_text, self.message = status, code, status_text, message

    def envelope(self) -> dict[str, Any]:
        return envelope(self.code, status_text=self.status_text, message=self.message)

    def response(self, *, sse: bool) -> FakeResponse:
        if sse:
            # Refused before the SSE headers: HTTP 200, an SSE error event, no SSE content type.
            body = b"event: error\ndata: " + json_bytes(self.envelope()) + b"\n\n"
            return FakeResponse(200, {"content-type": "text/plain"}, [body])
        return json_response(self.status, self.envelope())


class SchemaRefusal(Refusal):
    """FastGPT's answer to a request its zod schema refuses: 400 `Data validation error` with the
    issues as `zodError` (`packages/service/common/http/entry.ts`). A schema parsed inside a handler
    (localFile's `data`) fails as an internal error instead: HTTP 500, the issues as the message.
    Raised by `routes/schema.py`'s `validate`; the issues are its `{code, path, message}` dicts."""

    def __init__(self, issues: list[dict[str, Any]], *, internal: bool = False) -> None:
        if internal:
            super().__init__(500, 500, "error", json.dumps(issues, ensure_ascii=False, indent=2))
        else:
            super().__init__(400, 400, "error", "Data validation error")
        self.issues = issues

    def envelope(self) -> dict[str, Any]:
        return {**super().envelope(), "zodError": self.issues}


def bad_key() -> Refusal:
    return Refusal(401, 514, "unAuthApiKey", "common:code_error.error_message.514")


def no_app() -> Refusal:
    return Refusal(500, 502000, "appUnExist", "common:code_error.app_error.not_exist")


def no_chat() -> Refusal:
    # FastGPT's chat auth gives this one answer both to a request without an app id and to a chat
    # that is not there (or no longer is).
    return Refusal(500, 504000, "unAuthChat", "common:code_error.chat_error.un_auth")


def invalid(message: str) -> Refusal:
    """A 400 the handler words itself, not a schema's (a schema's is `SchemaRefusal`)."""
    return Refusal(400, 400, "error", message)


# `packages/global/common/error/code/dataset.ts`: code 501000 + the position in this list.
_DATASET_ERRORS = (
    ("sameApiCollection", "common:core.dataset.error.sameApiCollection"),
    ("notSupportSync", "common:core.dataset.error.notSupportSync"),
    ("unExistDataset", "common:core.dataset.error.unExistDataset"),
    ("unExistCollection", "common:error_collection_not_exist"),
    ("unAuthDataset", "common:core.dataset.error.unAuthDataset"),
    ("unAuthDatasetCollection", "common:core.dataset.error.unAuthDatasetCollection"),
    ("unAuthDatasetData", "common:core.dataset.error.unAuthDatasetData"),
    ("unAuthDatasetFile", "common:core.dataset.error.unAuthDatasetFile"),
    ("unCreateCollection", "common:core.dataset.error.unCreateCollection"),
    ("unLinkCollection", "common:core.dataset.error.unLinkCollection"),
    ("invalidVectorModelOrQAModel", "common:core.dataset.error.invalidVectorModelOrQAModel"),
    ("canNotEditAdminPermission", "common:core.dataset.error.canNotEditAdminPermission"),
    ("noApiServer", "common:core.dataset.error.noApiServer"),
    # FastGPT 4.17.x (the registry at 09abe9ff): external chunking, then 4.17.2's index guard.
    ("externalChunkFailed", "dataset:chunk_error.failed"),
    ("externalChunkInvalidResponse", "dataset:chunk_error.invalid_response"),
    ("externalChunkNotConfigured", "dataset:chunk_error.not_configured"),
    ("dataNotIndexed", "common:core.dataset.error.dataNotIndexed"),
)


def dataset_error(status_text: str) -> Refusal:
    """A registered dataset error: HTTP 500 (the registry gives none of them an `httpStatus`)."""
    for index, (name, message) in enumerate(_DATASET_ERRORS):
        if name == status_text:
            return Refusal(500, 501000 + index, name, message)
    raise KeyError(status_text)


def missing_params() -> Refusal:  # common.ts: 507000 + 4
    return Refusal(500, 507004, "missingParams", "common:error.missingParams")


def file_not_found() -> Refusal:  # common.ts: 507000 + 2, the one with `httpStatus: 404`
    return Refusal(404, 507002, "fileNotFound", "common:error.fileNotFound")


def bad_upload_type() -> Refusal:  # the S3 upload errors: 510000 + 0
    return Refusal(500, 510000, "InvalidUploadFileType", "common:error.s3_upload_invalid_file_type")


def failed(message: str) -> Refusal:
    """A handler's `Promise.reject('...')` or a thrown Error: HTTP 500, `statusText` "error"."""
    return Refusal(500, 500, "error", message)


def thrown(message: str) -> Refusal:
    """An Error thrown where FastGPT's response writer sets no `statusText`: HTTP 500, `statusText` ""."""
    return Refusal(500, 500, "", message)


def cast_error(value: str, model: str) -> Refusal:
    # Mongoose, for an id that is no ObjectId where FastGPT's schema takes any string.
    return failed(
        f'Cast to ObjectId failed for value "{value}" (type string) at path "_id" for model "{model}"'
    )
