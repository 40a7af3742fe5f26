"""Helpers for the chat tests: scripted byte streams behind httpx.MockTransport, the chunkings a
stream is fed in, an independent reference reading of the SSE fixtures, and a loopback SSE server.

Everything here speaks bytes and HTTP only; nothing reaches into the SDK's internals.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from conftest import API_KEY, APP_ID, make_client

from fastgpt_oapi import Client, RequestOption
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage, ChatStreamEvent, ChatStreamResult

SSE_HEADERS = {"content-type": "text/event-stream;charset=utf-8", "cache-control": "no-cache, no-transform"}


def question(text: str = "导演是谁", **fields: Any) -> ChatCompletionRequest:
    return ChatCompletionRequest(messages=[ChatMessage.user(text)], **fields)


# ---- byte streams ---------------------------------------------------------------------------------


class ChunkStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body delivered exactly as the given chunks, for sync and async clients alike.

    `fail` is raised after the last chunk (a connection lost mid-body); `hang` keeps the body open
    after the chunks until the reader goes away. `closed` records that the SDK closed the body.
    """

    def __init__(
        self,
        chunks: Sequence[bytes],
        *,
        fail: Exception | None = None,
        hang: bool = False,
    ) -> None:
        self.chunks = list(chunks)
        self.fail = fail
        self.hang = hang
        self.delivered = 0
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.delivered += 1
            yield chunk
        if self.fail is not None:
            raise self.fail
        if self.hang:
            raise AssertionError("a sync reader cannot be left hanging; use `fail` instead")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.delivered += 1
            yield chunk
            # A turn of the event loop now and then, as network reads give (not after every chunk: the
            # fixture tests cut streams into thousands, and a turn each was a sixth of their time).
            if self.delivered % 16 == 1:
                await asyncio.sleep(0)
        if self.fail is not None:
            raise self.fail
        if self.hang:
            await asyncio.Event().wait()  # until cancelled

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


@dataclass
class Reply:
    """One scripted HTTP answer."""

    chunks: Sequence[bytes]
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: dict(SSE_HEADERS))
    fail: Exception | None = None
    hang: bool = False


class Script:
    """A MockTransport handler: answers requests with the given replies in turn (the last one
    repeats) and records every request and every body it handed out."""

    def __init__(self, *replies: Reply) -> None:
        assert replies
        self.replies = replies
        self.requests: list[httpx.Request] = []
        self.streams: list[ChunkStream] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        reply = self.replies[min(len(self.requests), len(self.replies) - 1)]
        self.requests.append(request)
        stream = ChunkStream(reply.chunks, fail=reply.fail, hang=reply.hang)
        self.streams.append(stream)
        return httpx.Response(reply.status, headers=reply.headers, stream=stream)

    def client(self, **builder: Any) -> Client:
        return make_client(self, **builder)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


# ---- chunkings and line endings ---------------------------------------------------------------------


def whole(body: bytes) -> list[bytes]:
    return [body]


def bytewise(body: bytes) -> list[bytes]:
    return [body[i : i + 1] for i in range(len(body))]


def by_line(body: bytes) -> list[bytes]:
    """A cut after every CR and every LF: FastGPT writes `event:` and `data:` lines separately, and a
    CRLF may arrive as CR, then LF."""
    out: list[bytes] = []
    start = 0
    for i, byte in enumerate(body):
        if byte in (0x0A, 0x0D):
            out.append(body[start : i + 1])
            start = i + 1
    if start < len(body):
        out.append(body[start:])
    return out


def inside_utf8(body: bytes) -> list[bytes]:
    """A cut before every UTF-8 continuation byte: every multi-byte character arrives in pieces."""
    out: list[bytes] = []
    start = 0
    for i, byte in enumerate(body):
        if 0x80 <= byte < 0xC0 and i > start:
            out.append(body[start:i])
            start = i
    out.append(body[start:])
    return out


def random_cuts(seed: int) -> Callable[[bytes], list[bytes]]:
    def cut(body: bytes) -> list[bytes]:
        rng = random.Random(seed)
        out: list[bytes] = []
        i = 0
        while i < len(body):
            step = rng.randint(1, 48)
            out.append(body[i : i + step])
            i += step
        return out

    cut.__name__ = f"random{seed}"
    return cut


CHUNKINGS: dict[str, Callable[[bytes], list[bytes]]] = {
    "whole": whole,
    "bytewise": bytewise,
    "by_line": by_line,
    "inside_utf8": inside_utf8,
    "random7": random_cuts(7),
    "random2026": random_cuts(2026),
}

LINE_ENDINGS: dict[str, Callable[[bytes], bytes]] = {
    "lf": lambda body: body,
    "crlf": lambda body: body.replace(b"\n", b"\r\n"),
    "cr": lambda body: body.replace(b"\n", b"\r"),
}


# ---- running a stream both ways ---------------------------------------------------------------------


@dataclass
class Outcome:
    events: list[ChatStreamEvent]
    result: ChatStreamResult | None
    error: BaseException | None


async def run_stream(
    client: Client, request: ChatCompletionRequest, mode: str, option: RequestOption | None = None
) -> Outcome:
    """Iterate a stream to its end, keeping every event delivered before any error (a refusal raises
    where the stream is entered, later errors from the iteration)."""
    events: list[ChatStreamEvent] = []
    result: ChatStreamResult | None = None
    error: BaseException | None = None
    try:
        if mode == "sync":
            with client.chat.chat_stream(request, request_option=option) as stream:
                for event in stream:
                    events.append(event)
                result = stream.get_final_response()
        else:
            async with client.chat.achat_stream(request, request_option=option) as astream:
                async for event in astream:
                    events.append(event)
                result = await astream.get_final_response()
    except Exception as exc:
        error = exc
    return Outcome(events, result, error)


async def read_to_end(client: Client, request: ChatCompletionRequest, mode: str) -> None:
    """Read a stream to its end (`until_done`), sync or async."""
    if mode == "sync":
        client.chat.chat_stream(request).until_done()
    else:
        await client.chat.achat_stream(request).until_done()


# ---- a reference reading of the fixtures, independent of the SDK ------------------------------------------


@dataclass(frozen=True)
class RawMessage:
    event: str  # "answer" for data-only messages
    data: str


def read_fixture_messages(body: bytes) -> list[RawMessage]:
    """FastGPT's framing as the wire spec states it: `event: x` (optional) + one `data: y`, then a
    blank line, LF line endings."""
    out: list[RawMessage] = []
    for block in body.decode("utf-8").split("\n\n"):
        if not block:
            continue
        event = "answer"
        data: str | None = None
        for line in block.split("\n"):
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: "):
                data = line[len("data: ") :]
        assert data is not None, block
        out.append(RawMessage(event, data))
    return out


_WRAPPER_KINDS = {"childrenInteractive", "toolChildrenInteractive", "loopInteractive", "loopRunInteractive"}


def innermost_interactive(value: dict[str, Any]) -> dict[str, Any]:
    while value.get("type") in _WRAPPER_KINDS:
        value = value["params"]["childrenResponse"]
    return value


def json_or_text(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data


# ---- a loopback SSE server --------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _LoopbackServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        mode = self.headers.get("x-test-mode", "complete")
        owner = self.server.owner
        owner.modes.append(mode)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream;charset=utf-8")
        self.send_header("Cache-Control", "no-cache, no-transform")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        body = owner.error_body if mode == "error" else owner.body
        messages = [m + b"\n\n" for m in body.split(b"\n\n") if m]
        try:
            if mode == "hang":
                for message in messages[:2]:
                    self._chunk(message)
                # FastGPT's heartbeat, until the client goes away (or the test ends).
                while not owner.stopping.wait(0.02):
                    self._chunk(owner.heartbeat)
                self.close_connection = True
                return
            for message in messages:
                self._chunk(message)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:  # the client closed the connection: what the tests want
            self.close_connection = True

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class _LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: LoopbackSSE) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a reset from a client that left early is expected here


class LoopbackSSE:
    """A real HTTP/1.1 server on 127.0.0.1 serving FastGPT-style SSE bodies chunk by chunk.

    The request header `x-test-mode` picks the ending: `complete` (the whole body), `hang` (two
    messages, then heartbeats until the client leaves) or `error` (the error fixture).
    """

    def __init__(self, body: bytes, error_body: bytes, heartbeat: bytes) -> None:
        self.body = body
        self.error_body = error_body
        self.heartbeat = heartbeat
        self.modes: list[str] = []
        self.stopping = threading.Event()
        self._server = _LoopbackServer(self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)
        return f"http://{host}:{port}"

    def __enter__(self) -> LoopbackSSE:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def client(self, **builder: Any) -> Client:
        b = Client.builder().base_url(self.url).api_key(API_KEY).app_id(APP_ID)
        for name, value in builder.items():
            b = getattr(b, name)(value)
        return b.build()


def mode_option(mode: str) -> RequestOption:
    return RequestOption.builder().headers({"x-test-mode": mode}).build()
