"""What every area of the emulator writes on the wire: responses, the JSON envelope, refusals, paging.

Areas (`routes/`) build their answers from these so that two endpoints never disagree on how FastGPT
encodes JSON, wraps data or refuses a request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CHAT_SOURCES",
    "FakeResponse",
    "Params",
    "Refusal",
    "bad_key",
    "chat_sources",
    "envelope",
    "invalid",
    "json_bytes",
    "json_response",
    "no_app",
    "no_chat",
    "ok",
    "page",
]

# A request's query and JSON body merged (the body wins), as FastGPT's handlers read them.
Params = dict[str, Any]


@dataclass
class FakeResponse:
    status: int
    headers: dict[str, str]
    chunks: list[bytes]  # streamed one by one; a blocking body is one chunk
    # Scripted slowness (`FakeFastGPT.delay_next`): seconds before the response starts, and before
    # each chunk of a streamed body. The transports and the loopback server wait them out.
    delay: float = 0.0
    chunk_delay: float = 0.0

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


def bad_key() -> Refusal:
    return Refusal(401, 514, "unAuthApiKey", "common:code_error.error_message.514")


def no_app() -> Refusal:
    return Refusal(500, 502000, "appUnExist", "common:code_error.app_error.not_exist")


def no_chat() -> Refusal:
    # FastGPT's chat auth gives this one answer both to a request without an app id and to a chat
    # that is not there (or no longer is).
    return Refusal(500, 504000, "unAuthChat", "common:code_error.chat_error.un_auth")


def invalid(message: str) -> Refusal:
    return Refusal(400, 400, "error", message)


# FastGPT's ChatSourceEnum (`packages/global/core/chat/constants.ts`, 4b7ed6c0): the only values its
# history and log filters accept (`z.enum(ChatSourceEnum)`); any other is a 400.
CHAT_SOURCES = frozenset(
    {"test", "online", "share", "api", "cronJob", "feishu", "official_account", "wecom", "wechat", "mcp"}
)


def chat_sources(params: Params, key: str, *, many: bool) -> list[str] | None:
    """The request's source filter (one value, or a list when `many`), refused as FastGPT refuses it."""
    if key not in params:
        return None
    values = params[key] if many else [params[key]]
    if not isinstance(values, list) or not all(isinstance(v, str) and v in CHAT_SOURCES for v in values):
        raise invalid("Data validation error")
    return values


def page(params: Params, default_size: int = 10) -> tuple[int, int]:
    """`(offset, size)` from either paging style FastGPT accepts: `offset` or `pageNum`, with `pageSize`."""
    try:
        size = int(params.get("pageSize", default_size))
        offset = int(params["offset"]) if "offset" in params else (int(params.get("pageNum", 1)) - 1) * size
    except (TypeError, ValueError):
        raise invalid("Data validation error") from None
    if size < 1 or offset < 0:
        raise invalid("Data validation error")
    return offset, size
