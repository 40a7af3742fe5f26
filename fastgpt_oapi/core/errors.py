"""The exception hierarchy, and the one place that maps FastGPT's error shapes to it.

FastGPT reports errors in several ways depending on its version (wire spec section 2): a
`{code, statusText, message, data}` envelope at HTTP 500 whatever the cause (4.13.2 - 4.14.10), the
same envelope with a meaningful HTTP status (>= 4.14.11), a plain-text message in that envelope
(<= 4.13.1), a JSON envelope inside an HTTP 200, or an SSE `error` event with no SSE content type.
The business code names the cause better than the HTTP status, so the class follows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

if TYPE_CHECKING:
    import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DataNotIndexedError",
    "FastGPTError",
    "FieldProblem",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "PushAllError",
    "RateLimitError",
    "RequestValidationError",
    "StreamClosedError",
    "StreamError",
    "StreamEventTooLargeError",
    "TrainingFailedError",
    "UnprocessableEntityError",
]

_BODY_PREVIEW = 300
# A FastGPT i18n key (`common:code_error.error_message.514`): meaningful to FastGPT's UI, not to a log.
_I18N_KEY = re.compile(r"^[a-z_]+:[\w.]+$")
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


class FastGPTError(Exception):
    """Base of every exception the SDK raises on purpose."""


class FieldProblem(NamedTuple):
    """One reason a request is invalid: the field (a dotted path for nested ones) and what is wrong."""

    field: str
    message: str


# How many problems `str(RequestValidationError)` lists; `errors` always holds them all.
_PROBLEMS_SHOWN = 10


class RequestValidationError(FastGPTError, ValueError):
    """A request (or the client's configuration) is invalid; raised before anything is sent.

    `errors` lists every problem found (field and message), `field` names the first one.
    """

    def __init__(
        self, message: str, *, field: str | None = None, errors: Sequence[FieldProblem] | None = None
    ) -> None:
        self.errors: list[FieldProblem] = list(errors) if errors else []
        if not self.errors and field is not None:
            self.errors = [FieldProblem(field, message)]
        shown = self.errors[:_PROBLEMS_SHOWN]
        if len(self.errors) > 1:
            listed = "; ".join(f"{e.field}: {e.message}" for e in shown)
            more = len(self.errors) - len(shown)
            message = f"{message}: {listed}" + (f"; and {more} more" if more else "")
        super().__init__(message)
        self.field = field


class APIError(FastGPTError):
    """A call to the server failed."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIConnectionError(APIError):
    """The server could not be reached, or the connection broke (also in the middle of a stream)."""

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)


class APITimeoutError(APIConnectionError):
    """A connect, read, write or pool timeout expired."""

    def __init__(self, message: str = "Request timed out.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)


class APIResponseValidationError(APIError):
    """The server answered with a body the SDK cannot read as the documented shape."""

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response | None = None,
        body: object = None,
    ) -> None:
        super().__init__(message, request=response.request if response is not None else None)
        self.response = response
        # What was received; the same in both names (a response that is not an error has no other).
        self.http_status = self.status_code = response.status_code if response is not None else None
        self.body = body


class APIStatusError(APIError):
    """The server refused the request: an HTTP error status or a FastGPT envelope whose code is not 200.

    `status_code` is the status the error means, whatever travelled: an `AuthenticationError` is 401
    even when FastGPT sent it with HTTP 200 inside a stream, or with HTTP 500 (FastGPT 4.13.2 -
    4.14.10). `http_status` is what was received. `message` is FastGPT's own text (often an i18n key
    such as `common:code_error.error_message.514`); `str(exc)` opens with FastGPT's English for it.
    """

    # The status each subclass stands for; None: the one received.
    status: ClassVar[int | None] = None

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: object = None,
        code: int | str | None = None,
        status_text: str | None = None,
    ) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.http_status = response.status_code
        self.body = body
        self.code = code
        self.status_text = status_text or None
        self.request_id: str | None = response.headers.get("x-request-id")
        # What the SDK can tell about the likely cause, shown after FastGPT's own words.
        self.hint: str | None = None

    @property
    def status_code(self) -> int:
        return self.status if self.status is not None else self.http_status

    def __str__(self) -> str:
        from .error_texts import english_for  # the table loads with the first error shown

        english = english_for(self.status_text, self.message, self.code)
        if english is None:
            text = self.message
        elif self.message and self.message != english and not _I18N_KEY.match(self.message):
            text = f"{english}: {self.message}"
        else:
            text = english
        parts = [p for p in (self.status_text if self.status_text != "error" else None,) if p]
        if self.code is not None and self.code != self.http_status:
            parts.append(f"code {self.code}")
        parts.append(f"HTTP {self.http_status}")
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        text = f"{text} ({', '.join(parts)})"
        return f"{text}. {self.hint}" if self.hint else text


class BadRequestError(APIStatusError):
    """400, or a FastGPT validation / missing-parameter code."""

    status = 400


class AuthenticationError(APIStatusError):
    """401, or FastGPT's `unAuthApiKey` / `openapiUnExist` / `unAuthorization`."""

    status = 401


class PermissionDeniedError(APIStatusError):
    """403, or a key that may not use this app, chat, dataset, collection or data."""

    status = 403


class NotFoundError(APIStatusError):
    """404, or FastGPT's `appUnExist` / `unExistDataset` / `unExistCollection`."""

    status = 404


class ConflictError(APIStatusError):
    """409, or FastGPT's `chatIsGenerating` / `sameApiCollection`."""

    status = 409


class DataNotIndexedError(ConflictError):
    """FastGPT >= 4.17.2 refused to update or delete a chunk that is still being indexed
    (`dataNotIndexed`, `DatasetErrEnum` in `packages/global/common/error/code/dataset.ts`; raised by
    `assertDatasetDataWritable` in `packages/service/core/dataset/data/utils.ts`). Since 4.17.2 a pushed
    chunk exists before its index is built; wait until it is indexed (`wait_for_training` on its
    collection), then try again."""

    def __str__(self) -> str:
        return (
            "The data is not indexed yet: FastGPT (4.17.2+) refuses to update or delete a chunk while its "
            "index is being built. Wait for the collection's training (client.dataset.wait_for_training) "
            f"and try again. {super().__str__()}"
        )


class UnprocessableEntityError(APIStatusError):
    """422."""

    status = 422


class RateLimitError(APIStatusError):
    """429, or FastGPT's `tooManyRequest`; `retry_after` is in seconds when the server said."""

    status = 429

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: object = None,
        code: int | str | None = None,
        status_text: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, response=response, body=body, code=code, status_text=status_text)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """>= 500 with no more specific cause; `status_code` is the server's 5xx, else 500."""

    @property
    def status_code(self) -> int:
        return self.http_status if self.http_status >= 500 else 500


class StreamError(APIError):
    """An SSE `error` event: the server gave up after the stream had started."""

    def __init__(
        self,
        message: str,
        *,
        code: int | str | None = None,
        status_text: str | None = None,
        body: object = None,
        request: httpx.Request | None = None,
    ) -> None:
        super().__init__(message, request=request)
        self.code = code
        self.status_text = status_text or None  # an empty statusText is absent, as on APIStatusError
        self.body = body

    def __str__(self) -> str:
        from .error_texts import english_for

        english = english_for(self.status_text, self.message, self.code)
        text = self.message if english is None or english == self.message else english
        if english is not None and self.message != english and not _I18N_KEY.match(self.message):
            text = f"{english}: {self.message}"
        extra = ", ".join(str(p) for p in (self.status_text, self.code) if p not in (None, ""))
        return f"{text} ({extra})" if extra else text


class StreamEventTooLargeError(StreamError):
    """One SSE event grew past `max_event_bytes` before it ended; the stream is closed.

    The limit bounds the memory a stream may buffer for a single event (a server, or something in
    between, sending one endless line). `limit` is the setting in force; raise it with
    `Client.builder().max_event_bytes(...)` if your workflows really send events that large.
    """

    def __init__(self, limit: int, *, request: httpx.Request | None = None) -> None:
        super().__init__(
            f"An SSE event exceeded max_event_bytes ({limit} bytes) before it ended; the stream was "
            "closed. Raise the limit with Client.builder().max_event_bytes(...) if this is expected.",
            request=request,
        )
        self.limit = limit


class StreamClosedError(FastGPTError):
    """The stream was left (`break`, `close()`) before its end: there is no complete result."""


class PushAllError(FastGPTError):
    """`client.dataset.push_all` stopped because a batch failed; the cause is chained (`__cause__`).

    Batches are numbered from 0 in the order of the items: batch `i` holds items `i * batch_size` to
    `(i + 1) * batch_size - 1`. Once a batch fails no new one is started, and those already sent are
    waited for, so when this is raised:

    - every batch before `failed_batch` is in FastGPT (or was skipped as done by a `resume`);
    - `resume_from` (`failed_batch * batch_size`) is the first item that may be missing;
    - `succeeded_later` lists the batches after `failed_batch` that are in FastGPT too (with
      `concurrency > 1` they may have finished after the failure); resuming from `resume_from`
      without leaving them out would push them twice;
    - `failed_batches` lists every batch that failed (`failed_batch` is the first);
    - `inserted` is how many items FastGPT took in the batches this call sent successfully.

    `push_all(..., resume=exc)` with the same items, from their start, does the rest: it skips every
    batch known to be in FastGPT and sends the others. A batch that failed with a timeout or a broken
    connection (an `APIConnectionError` cause) may have reached FastGPT all the same.
    """

    def __init__(
        self,
        message: str,
        *,
        collection_id: str,
        batch_size: int,
        failed_batch: int,
        failed_batches: Iterable[int],
        inserted: int,
        succeeded_later: Iterable[int],
    ) -> None:
        super().__init__(message)
        self.collection_id = collection_id
        self.batch_size = batch_size
        self.failed_batch = failed_batch
        self.failed_batches: tuple[int, ...] = tuple(sorted(failed_batches))
        self.inserted = inserted
        self.succeeded_later: tuple[int, ...] = tuple(sorted(succeeded_later))

    @property
    def resume_from(self) -> int:
        """The index of the first item that may not be in FastGPT: every item before it is."""
        return self.failed_batch * self.batch_size


class TrainingFailedError(FastGPTError):
    """`client.dataset.wait_for_training`: the collection's training ended with chunks that failed for
    good (FastGPT's `finalErrorAmount`: out of retries, or blocked), and nothing is left running.

    The chunks that did train are searchable; the failed ones stay in FastGPT's training queue (its
    web app lists them, to retry or delete). `final_error_amount` counts them, `training_amount` is
    everything still in the queue (the failures included), `slowest_training_mode` the stage they failed
    at (`"parse"`: the source could not be read; `"chunk"`, `"qa"`: embedding or Q&A generation).
    """

    def __init__(
        self,
        message: str,
        *,
        collection_id: str,
        training_amount: int,
        final_error_amount: int,
        slowest_training_mode: str | None,
    ) -> None:
        super().__init__(message)
        self.collection_id = collection_id
        self.training_amount = training_amount
        self.final_error_amount = final_error_amount
        self.slowest_training_mode = slowest_training_mode


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

# FastGPT's registered errors (packages/global/common/error): statusText and business code.
_CAUSE_CLASSES: dict[str | int, type[APIStatusError]] = {
    "unAuthorization": AuthenticationError,
    403: AuthenticationError,
    "unAuthApiKey": AuthenticationError,
    514: AuthenticationError,
    "openapiUnExist": AuthenticationError,
    506000: AuthenticationError,
    "openapiUnAuth": PermissionDeniedError,
    506001: PermissionDeniedError,
    "openapiExceedLimit": PermissionDeniedError,
    506002: PermissionDeniedError,
    "insufficientQuota": PermissionDeniedError,
    510: PermissionDeniedError,
    "unAuthModel": PermissionDeniedError,
    511: PermissionDeniedError,
    "unAuthFile": PermissionDeniedError,
    513: PermissionDeniedError,
    "unAuthApp": PermissionDeniedError,
    502001: PermissionDeniedError,
    "unAuthChat": PermissionDeniedError,
    504000: PermissionDeniedError,
    "appUnExist": NotFoundError,
    502000: NotFoundError,
    "chatIsGenerating": ConflictError,
    504001: ConflictError,
    "tooManyRequest": RateLimitError,
    429: RateLimitError,
    "invalidParams": BadRequestError,
    507000: BadRequestError,
    "missingParams": BadRequestError,
    507004: BadRequestError,
    400: BadRequestError,
    # Datasets (`DatasetErrEnum`, `packages/global/common/error/code/dataset.ts`: code 501000 + its
    # index there). FastGPT sends them with HTTP 500 (no httpStatus of their own), so only this names them.
    "sameApiCollection": ConflictError,
    501000: ConflictError,
    "notSupportSync": BadRequestError,
    501001: BadRequestError,
    "unExistDataset": NotFoundError,
    501002: NotFoundError,
    "unExistCollection": NotFoundError,  # also: a quoted collection that no longer exists
    501003: NotFoundError,
    "unAuthDataset": PermissionDeniedError,
    501004: PermissionDeniedError,
    "unAuthDatasetCollection": PermissionDeniedError,
    501005: PermissionDeniedError,
    "unAuthDatasetData": PermissionDeniedError,
    501006: PermissionDeniedError,
    "unAuthDatasetFile": PermissionDeniedError,  # also: a collection the chat never cited (quotes)
    501007: PermissionDeniedError,
    "unCreateCollection": PermissionDeniedError,
    501008: PermissionDeniedError,
    "unLinkCollection": PermissionDeniedError,
    501009: PermissionDeniedError,
    "invalidVectorModelOrQAModel": BadRequestError,
    501010: BadRequestError,
    "canNotEditAdminPermission": PermissionDeniedError,  # skill errors use the same statusText
    501011: PermissionDeniedError,
    "noApiServer": BadRequestError,
    501012: BadRequestError,
    # 4.17.2: its code depends on the branch's registry order, so only the statusText names it.
    "dataNotIndexed": DataNotIndexedError,
}

# Unregistered errors carry only text (FastGPT <= 4.13.1 and UserErrors of every version).
_MESSAGE_CLASSES: tuple[tuple[re.Pattern[str], type[APIStatusError]], ...] = (
    (re.compile(r"^Key is error", re.IGNORECASE), AuthenticationError),
    (re.compile(r"^(appId|messages) is empty", re.IGNORECASE), BadRequestError),
    (re.compile(r"^Rate limit exceeded", re.IGNORECASE), RateLimitError),
)

_TRY_AGAIN = re.compile(r"try again in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)


def is_error_envelope(body: object) -> bool:
    """A FastGPT `{code, ...}` envelope whose code says failure (at any HTTP status)."""
    if not isinstance(body, dict) or "code" not in body:
        return False
    code = body["code"]
    return code != 200 and ("statusText" in body or "message" in body)


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def describe_error_body(body: object, fallback: str) -> tuple[str, int | str | None, str | None]:
    """(message, code, statusText) from an envelope, an SSE error payload or plain text."""
    if isinstance(body, dict):
        message = _as_text(body.get("message")) or _as_text(body.get("error")) or fallback
        code = body.get("code")
        status_text = _as_text(body.get("statusText"))
        return message, code if isinstance(code, (int, str)) else None, status_text
    if isinstance(body, str) and body.strip():
        return one_line(body), None, None
    return fallback, None, None


def one_line(text: str) -> str:
    """A body fit for one log line: an HTML page (a proxy's error page) reduced to its title, or else
    its text; whitespace folded; bounded."""
    stripped = text.strip()
    if stripped[:1] == "<":
        title = _HTML_TITLE.search(stripped.encode("utf-8", "replace"))
        if title is not None and title.group(1).strip():
            stripped = title.group(1).decode("utf-8", "replace")
        else:
            stripped = _HTML_TAG.sub(" ", stripped)
    folded = _SPACE.sub(" ", stripped).strip()
    return (folded[:_BODY_PREVIEW] + "...") if len(folded) > _BODY_PREVIEW else folded


def error_class_for(
    status_code: int, code: int | str | None, status_text: str | None, message: str
) -> type[APIStatusError]:
    """The exception class for a failed response: the named cause first, then the HTTP status."""
    for key in (status_text, code):
        if key is not None and key != "" and key != "error" and key in _CAUSE_CLASSES:
            return _CAUSE_CLASSES[key]
    for pattern, cls in _MESSAGE_CLASSES:
        if pattern.search(message):
            return cls
    if 300 <= status_code < 400:
        return APIStatusError  # redirects are never followed
    # FastGPT 4.13.2 - 4.14.10 answers every error with HTTP 500 and puts the real status in `code`;
    # an HTTP 200 carrying an error envelope is read the same way.
    effective = status_code
    if isinstance(code, int) and 400 <= code < 600 and (status_code < 400 or status_code == 500):
        effective = code
    elif status_code < 400:
        effective = 500
    if effective in _STATUS_CLASSES:
        return _STATUS_CLASSES[effective]
    if isinstance(code, int) and 510000 <= code <= 510999:
        return BadRequestError
    return InternalServerError if effective >= 500 else APIStatusError


def retry_after_in_text(message: str) -> float | None:
    """FastGPT's rate limiter sends no Retry-After header; its message says "try again in N seconds"."""
    match = _TRY_AGAIN.search(message)
    return float(match.group(1)) if match else None


def make_status_error(
    response: httpx.Response, body: object, *, retry_after: float | None = None
) -> APIStatusError:
    """Build the typed exception for a failed response whose body has been read and decoded."""
    fallback = f"{response.status_code} {response.reason_phrase or 'error'}".strip()
    message, code, status_text = describe_error_body(body, fallback)
    cls = error_class_for(response.status_code, code, status_text, message)
    if cls is RateLimitError:
        if retry_after is None:
            retry_after = retry_after_in_text(message)
        return RateLimitError(
            message,
            response=response,
            body=body,
            code=code,
            status_text=status_text,
            retry_after=retry_after,
        )
    error = cls(message, response=response, body=body, code=code, status_text=status_text)
    if (status_text == "unAuthChat" or code == 504000) and not _sent_app_id(response.request):
        error.hint = _NO_APP_ID_HINT
    return error


# FastGPT's chat auth refuses a personal API key that names no app with `unAuthChat`: `authChatCrud`
# rejects `ChatErrEnum.unAuthChat` when no appId is given (and `authChatTargetCrud` when none can be
# resolved), `projects/app/src/service/support/permission/auth/chat.ts` (the 2026 version with
# authChatTargetCrud). An app key (FastGPT >= 4.18.0) is bound to its app and needs none.
_NO_APP_ID_HINT = (
    "The request carried no appId: a personal API key must name the app. Set app_id on the request, "
    "or a client default with Client.builder().app_id(...) or FASTGPT_APP_ID; an app key "
    "(FastGPT >= 4.18.0) needs none."
)


def _sent_app_id(request: httpx.Request) -> bool:
    """Whether a request named an app: `appId` in its query or its JSON body."""
    if "appId" in request.url.params:
        return True
    try:
        content = request.content
    except Exception:  # a streamed body not read: nothing to tell from
        return True
    return b'"appId"' in content


def make_stream_error(payload: Any, *, request: httpx.Request | None = None) -> StreamError:
    """Build a StreamError from an SSE `error` event's data (a `{message}` object or an envelope)."""
    message, code, status_text = describe_error_body(payload, "The server reported a stream error.")
    return StreamError(message, code=code, status_text=status_text, body=payload, request=request)
