"""A fault-injecting HTTP/1.1 server on 127.0.0.1, on raw sockets, for the reliability tests.

A server library behaves; this one does on purpose what networks and proxies do by accident: it resets
a connection before the headers or in the middle of a body, stalls, cuts a chunked body short, drips
heartbeats forever, streams an endless line. Each request is answered by an `Action`, a list of steps
(send these bytes, pause, reset, close, stall, ...), chosen per path:

    server = FaultServer()
    server.script(COMPLETIONS, refuse(503), sse(*MESSAGES))   # in turn; the last one repeats
    with server:
        client = Client.builder().base_url(server.url)...
    assert server.count(COMPLETIONS) == 2 and server.sent_twice() == 0

It records every request as it came off the wire (the raw request line included) and counts the
completions it *began*: anything but a 429 / 503 refusal may have run the workflow, so the same
completion begun twice is exactly what the SDK must never cause. Every wait in it is bounded (by the
client leaving, by the server stopping, by `limit`), so a server always stops by itself.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import ssl
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "COMPLETIONS",
    "LAST_CHUNK",
    "Action",
    "Beat",
    "Close",
    "FaultServer",
    "Pause",
    "Received",
    "Reset",
    "Send",
    "Stall",
    "Stream",
    "chunk",
    "head",
    "json_reply",
    "refuse",
    "reply",
    "reset",
    "sse",
    "stall",
]

COMPLETIONS = "/api/v2/chat/completions"
LAST_CHUNK = b"0\r\n\r\n"

# ---- what the server can be told to do -------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    data: bytes


@dataclass(frozen=True)
class Stream:
    """Bytes made lazily, piece by piece, while sending: a body that never exists whole."""

    pieces: Callable[[], Iterable[bytes]]


@dataclass(frozen=True)
class Pause:
    seconds: float


@dataclass(frozen=True)
class Reset:
    """Close with SO_LINGER 0: the client gets a TCP RST."""


@dataclass(frozen=True)
class Close:
    """Close cleanly (FIN), whatever the response still owed."""


@dataclass(frozen=True)
class Stall:
    """Send nothing more, until the client leaves (or the server stops, or `limit` passes)."""


@dataclass(frozen=True)
class Beat:
    """Send `data` every `every` seconds until the client leaves: FastGPT's heartbeat on a stuck run."""

    data: bytes
    every: float


Step = Send | Stream | Pause | Reset | Close | Stall | Beat
_FINAL = (Reset, Close, Stall, Beat)


@dataclass(frozen=True)
class Action:
    """How to answer one request. After the steps, unless one of them ended the connection, the
    connection stays open for the client's next request (keep-alive).

    `refusal`: the answer proves the request did no work (a 429 or 503), so it does not count as a
    begun completion.
    """

    steps: tuple[Step, ...]
    refusal: bool = False


def head(
    status: int,
    headers: Mapping[str, str] | None = None,
    *,
    length: int | None = None,
    chunked: bool = False,
) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    elif length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunk(data: bytes) -> bytes:
    """One piece of a chunked body."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def reply(
    status: int,
    body: bytes = b"",
    *,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
    refusal: bool = False,
) -> Action:
    """A complete response with a Content-Length."""
    all_headers = {"Content-Type": content_type, **(headers or {})}
    return Action((Send(head(status, all_headers, length=len(body)) + body),), refusal=refusal)


def json_reply(status: int, payload: Any, *, headers: Mapping[str, str] | None = None) -> Action:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return reply(status, body, headers=headers)


def refuse(status: int, *, retry_after: str | None = None) -> Action:
    """A 429 or 503 that did no work (FastGPT's rate-limit envelope, or a busy proxy)."""
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    if status == 429:
        body = json.dumps(
            {"code": 429, "statusText": "tooManyRequest", "message": "Too many requests", "data": None}
        ).encode()
        return reply(status, body, headers=headers, refusal=True)
    return reply(status, b"Service Unavailable", content_type="text/plain", headers=headers, refusal=True)


SSE_HEADERS = {"Content-Type": "text/event-stream;charset=utf-8", "Cache-Control": "no-cache"}


def sse(*messages: bytes, then: tuple[Step, ...] = (Send(LAST_CHUNK),), gap: float = 0.0) -> Action:
    """An SSE response, one chunk per message (`gap` seconds apart), then `then` (by default the end
    of the body; a fault otherwise)."""
    steps: list[Step] = [Send(head(200, SSE_HEADERS, chunked=True))]
    for message in messages:
        if gap:
            steps.append(Pause(gap))
        steps.append(Send(chunk(message)))
    return Action((*steps, *then))


def reset() -> Action:
    return Action((Reset(),))


def stall() -> Action:
    return Action((Stall(),))


# ---- what the server saw ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """One request as it came off the wire."""

    request_line: bytes
    method: str
    target: str  # the request target exactly as sent, percent-encoding and all
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        """The query as a web server decodes it (`+` is a space, `%XX` a byte of UTF-8)."""
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body)


# ---- the server ---------------------------------------------------------------------------------------------


class FaultServer:
    """See the module docstring. Use it as a context manager; it stops itself on leaving."""

    def __init__(self, *, tls: ssl.SSLContext | None = None, limit: float = 30.0) -> None:
        self.tls = tls
        self.limit = limit  # no stall, heartbeat or body lasts longer than this
        self.requests: list[Received] = []
        self.tls_failures = 0  # handshakes the client broke off (it did not trust us)
        self.connections = 0  # connections accepted
        self.streamed = 0  # bytes sent by `Stream` steps
        self._routes: dict[str, Callable[[Received], Action]] = {}
        self._begun: Counter[bytes] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._live: dict[int, socket.socket] = {}
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._acceptor = threading.Thread(target=self._accept, name="FaultServer", daemon=True)

    @property
    def port(self) -> int:
        port: int = self._listener.getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._live)

    def wait_until_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no connection is open (the server notices a client hanging up a moment later)."""
        ends = time.monotonic() + timeout
        while self.open_connections:
            if time.monotonic() > ends:
                return False
            time.sleep(0.005)
        return True

    # ---- scripting -----------------------------------------------------------------------------

    def route(self, path: str, choose: Callable[[Received], Action]) -> None:
        """Answer requests to `path` with `choose(request)`."""
        with self._lock:
            self._routes[path] = choose

    def script(self, path: str, *actions: Action) -> None:
        """Answer requests to `path` with `actions` in turn; the last one repeats."""
        assert actions
        remaining = list(actions)

        def next_action(request: Received) -> Action:
            return remaining.pop(0) if len(remaining) > 1 else remaining[0]

        self.route(path, next_action)

    # ---- what happened -------------------------------------------------------------------------

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path == path)

    def sent_twice(self) -> int:
        """Completions (identical bytes: a retry is byte-identical) begun more than once."""
        with self._lock:
            return sum(1 for times in self._begun.values() if times > 1)

    # ---- running -------------------------------------------------------------------------------

    def __enter__(self) -> FaultServer:
        self._acceptor.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept() at once (Linux); else it polls
        if self._acceptor.is_alive():
            self._acceptor.join(5)
        self._listener.close()
        with self._lock:
            live = list(self._live.values())
        for sock in live:
            # Wakes a handler blocked in recv: the plain socket's shutdown, even under TLS.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)
        assert not any(t.is_alive() for t in self._threads), "a FaultServer handler did not stop"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(self.limit)
            # As Node (FastGPT) does: each write goes out at once, not after the client's delayed ACK.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self.connections += 1
                self._live[id(sock)] = sock
            thread = threading.Thread(target=self._serve, args=(sock,), name="FaultServer-conn", daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
            thread.start()

    def _serve(self, raw: socket.socket) -> None:
        sock = raw
        try:
            if self.tls is not None:
                try:
                    sock = self.tls.wrap_socket(raw, server_side=True)
                except (ssl.SSLError, OSError):
                    with self._lock:
                        self.tls_failures += 1
                    return
                with self._lock:
                    self._live.pop(id(raw), None)
                    self._live[id(sock)] = sock
            buffer = b""
            while not self._stop.is_set():
                request, buffer = self._read_request(sock, buffer)
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                    choose = self._routes.get(request.path)
                action = (
                    choose(request)
                    if choose is not None
                    else reply(404, b"Not Found", content_type="text/plain")
                )
                if request.path == COMPLETIONS and not action.refusal:
                    with self._lock:
                        self._begun[request.body] += 1
                if not self._perform(sock, action):
                    return
        except OSError:
            pass  # the client went away, or the server is stopping
        finally:
            with self._lock:
                self._live.pop(id(sock), None)
                self._live.pop(id(raw), None)
            sock.close()

    @staticmethod
    def _read_request(sock: socket.socket, buffer: bytes) -> tuple[Received | None, bytes]:
        while b"\r\n\r\n" not in buffer:
            data = sock.recv(65536)
            if not data:
                return None, b""
            buffer += data
        head_bytes, _, rest = buffer.partition(b"\r\n\r\n")
        lines = head_bytes.split(b"\r\n")
        method, target, _ = lines[0].decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            data = sock.recv(65536)
            if not data:
                return None, b""
            rest += data
        request = Received(lines[0], method, target, headers, rest[:length])
        return request, rest[length:]

    def _perform(self, sock: socket.socket, action: Action) -> bool:
        """Carry out the steps; False when the connection is finished."""
        for step in action.steps:
            if isinstance(step, Send):
                sock.sendall(step.data)
            elif isinstance(step, Stream):
                for piece in step.pieces():
                    sock.sendall(piece)
                    with self._lock:
                        self.streamed += len(piece)
                    if self._stop.is_set():
                        return False
            elif isinstance(step, Pause):
                if self._stop.wait(step.seconds):
                    return False
            elif isinstance(step, Reset):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return False
            elif isinstance(step, Close):
                sock.shutdown(socket.SHUT_WR)
                return False
            elif isinstance(step, Stall):
                self._client_left(sock, self.limit)
                return False
            elif isinstance(step, Beat):
                ends = time.monotonic() + self.limit
                while time.monotonic() < ends:
                    sock.sendall(step.data)
                    if self._client_left(sock, step.every):
                        return False
                return False
        return not isinstance(action.steps[-1], _FINAL) if action.steps else True

    def _client_left(self, sock: socket.socket, seconds: float) -> bool:
        """Wait up to `seconds`; True as soon as the client closed its end (or the server stops)."""
        ends = time.monotonic() + seconds
        while not self._stop.is_set():
            left = ends - time.monotonic()
            if left <= 0:
                return False
            readable, _, _ = select.select([sock], [], [], min(left, 0.05))
            if readable and not sock.recv(1):
                return True
        return True
