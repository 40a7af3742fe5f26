"""The exception hierarchy, and the one place that maps FastGPT's error shapes to it.

FastGPT reports errors in several ways depending on its version (wire spec section 2): a
`{code, statusText, message, data}` envelope at HTTP 500 whatever the cause (4.13.2 - 4.14.10), the
same envelope with a meaningful HTTP status (>= 4.14.11), a plain-text message in that envelope
(<= 4.13.1), a JSON envelope inside an HTTP 200, or an SSE `error` event with no SSE content type.
The business code names the cause better than the HTTP status, so the class follows it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

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
    "FastGPTError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestValidationError",
    "StreamClosedError",
    "StreamError",
    "StreamEventTooLargeError",
    "UnprocessableEntityError",
]

_BODY_PREVIEW = 500


class FastGPTError(Exception):
    """Base of every exception the SDK raises on purpose."""


class RequestValidationError(FastGPTError, ValueError):
    """A request (or the client's configuration) is invalid; raised before anything is sent."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
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
        self.status_code = response.status_code if response is not None else None
        self.body = body


class APIStatusError(APIError):
    """The server refused the request: an HTTP error status or a FastGPT envelope whose code is not 200."""

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
        self.status_code = response.status_code
        self.body = body
        self.code = code
        self.status_text = status_text
        self.request_id: str | None = response.headers.get("x-request-id")

    def __str__(self) -> str:
        parts = [f"HTTP {self.status_code}"]
        if self.code is not None and self.code != self.status_code:
            parts.append(f"code {self.code}")
        if self.status_text and self.status_text != "error":  # "error" is FastGPT's generic placeholder
            parts.append(self.status_text)
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        return f"{self.message} ({', '.join(parts)})"


class BadRequestError(APIStatusError):
    """400, or a FastGPT validation / missing-parameter code."""


class AuthenticationError(APIStatusError):
    """401, or FastGPT's `unAuthApiKey` / `openapiUnExist` / `unAuthorization`."""


class PermissionDeniedError(APIStatusError):
    """403, or a key that may not use this app or chat."""


class NotFoundError(APIStatusError):
    """404, or FastGPT's `appUnExist`."""


class ConflictError(APIStatusError):
    """409, or FastGPT's `chatIsGenerating`."""


class UnprocessableEntityError(APIStatusError):
    """422."""


class RateLimitError(APIStatusError):
    """429, or FastGPT's `tooManyRequest`; `retry_after` is in seconds when the server said."""

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
    """>= 500 with no more specific cause."""


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
        self.status_text = status_text
        self.body = body

    def __str__(self) -> str:
        extra = ", ".join(str(p) for p in (self.code, self.status_text) if p not in (None, ""))
        return f"{self.message} ({extra})" if extra else self.message


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
    # The quote endpoints: a collection the chat never cited, or one that no longer exists.
    "unAuthDatasetFile": PermissionDeniedError,
    501007: PermissionDeniedError,
    "unExistCollection": NotFoundError,
    501003: NotFoundError,
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
        text = body.strip()
        return (text[:_BODY_PREVIEW] + "...") if len(text) > _BODY_PREVIEW else text, None, None
    return fallback, None, None


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
    return cls(message, response=response, body=body, code=code, status_text=status_text)


def make_stream_error(payload: Any, *, request: httpx.Request | None = None) -> StreamError:
    """Build a StreamError from an SSE `error` event's data (a `{message}` object or an envelope)."""
    message, code, status_text = describe_error_body(payload, "The server reported a stream error.")
    return StreamError(message, code=code, status_text=status_text, body=payload, request=request)
