"""The little ASGI the kits need: read a request, answer JSON, run the user's code sync or async.

Pure ASGI 3 on purpose: the kits add no runtime dependency (no Starlette), so they mount in FastAPI or
Starlette (`app.mount("/kb", kit)`) and run under any ASGI server. A sync user method runs in a worker
thread through anyio, which httpx already brings and which works under asyncio and trio alike.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar
from urllib.parse import parse_qs

import anyio.to_thread

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# The ASGI 3 application type, spelled as Starlette spells it, so `app.mount(path, kit)` type-checks.
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("fastgpt_oapi.server")

# A request body larger than this is refused unread: FastGPT's own bodies are a few hundred bytes, and
# `finish`'s node responses stay well under it.
MAX_BODY_BYTES = 16 * 1024 * 1024


class BodyTooLarge(Exception):
    pass


class Refusal(Exception):
    """A request refused with `message`, which goes back in the kits' envelope (`refuse`) for FastGPT to
    show its user. Each kit's public exception (`ApiDatasetError`, `ShareAuthRefused`) is one."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def call_user(method: Callable[..., Any], *args: Any) -> Any:
    """Calls a library or hook method: a coroutine function is awaited, a plain one runs in a worker
    thread (so blocking file or database code never stalls the server's event loop)."""
    if inspect.iscoroutinefunction(method):
        result: Any = await method(*args)
    else:
        result = await anyio.to_thread.run_sync(partial(method, *args))
        if inspect.isawaitable(result):
            result = await result
    return result


def route_path(scope: Scope) -> str:
    """The path below the mount point. The ASGI spec puts `root_path` inside `path`; older Starlette
    mounts strip it; both are handled."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path or "/"


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def query(scope: Scope) -> dict[str, str]:
    raw = bytes(scope.get("query_string", b"")).decode("latin-1")
    return {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def parse_json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object; `None` when it is not one. An empty body is an empty object."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def send_json(send: Send, payload: Any, status: int = 200) -> None:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def envelope(data: Any = None, *, message: str = "", success: bool = True) -> dict[str, Any]:
    return {"success": success, "message": message, "data": data}


async def refuse_non_http(scope: Scope, receive: Receive, send: Send) -> None:
    """Lifespan events are acknowledged (the kits keep no state to start or stop); websockets are closed."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    elif scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1000})


async def refuse(send: Send, message: str, *, status: int = 200) -> None:
    """A refusal in the kits' envelope (`success: false`, `message`). HTTP 200 unless `status` says
    otherwise: FastGPT reads an HTTP error as a failed request and shows its own text, not `message`."""
    await send_json(send, envelope(message=message, success=False), status=status)


async def accept(scope: Scope, receive: Receive, send: Send, routes: Mapping[str, str]) -> str | None:
    """The path of a request that `routes` (path -> method) serves; None when the request has been
    answered here: lifespan and websocket events (`refuse_non_http`), an unknown path (404), another
    method (405)."""
    if scope["type"] != "http":
        await refuse_non_http(scope, receive, send)
        return None
    path = route_path(scope).rstrip("/")
    method = routes.get(path)
    if method is None:
        await refuse(send, f"Not found: {path}", status=404)
        return None
    if scope["method"].upper() != method:
        await refuse(send, f"Use {method} for {path}", status=405)
        return None
    return path


@dataclass(frozen=True)
class KitRequest:
    """A request a kit serves: its `path` (one of the kit's routes, called with its method) and the ASGI
    `scope` and `receive` it came with."""

    path: str
    scope: Scope
    receive: Receive

    async def json_object(self) -> dict[str, Any] | None:
        """The body as a JSON object (an empty body: `{}`); None when it is not one. A body over
        `MAX_BODY_BYTES` raises `BodyTooLarge`, which the kit's frame answers with 413."""
        return parse_json_object(await read_body(self.receive))

    def query(self) -> dict[str, str]:
        return query(self.scope)

    def header(self, name: bytes) -> str | None:
        return header(self.scope, name)


class KitApp:
    """The frame both kits answer through. A request `routes` serves goes to `answer`, whose value is
    sent as the envelope's `data`; anything else is answered for the kit. A `Refusal` is refused with its
    message, a body over `MAX_BODY_BYTES` with 413, and any other exception (the user's code failing) is
    logged on the `fastgpt_oapi.server` logger as "<name>: <path> failed in <owner>" and refused as
    "Internal server error": its text never leaves the process."""

    routes: ClassVar[Mapping[str, str]]  # path -> method
    name: ClassVar[str]  # the kit, as the log names it
    owner: ClassVar[str]  # whose code `answer` calls, as the log names it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = await accept(scope, receive, send, self.routes)
        if path is None:
            return
        try:
            data = await self.answer(KitRequest(path, scope, receive))
        except Refusal as exc:
            await refuse(send, exc.message)
        except BodyTooLarge:
            await refuse(send, "Request body too large", status=413)
        except Exception:
            logger.exception("%s: %s failed in %s", self.name, path, self.owner)
            await refuse(send, "Internal server error")
        else:
            await send_json(send, envelope(data))

    async def answer(self, request: KitRequest) -> Any:
        """The envelope's `data` for `request`; raise a `Refusal` to refuse it."""
        raise NotImplementedError
