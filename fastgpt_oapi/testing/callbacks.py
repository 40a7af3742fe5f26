"""The emulator calling out, as FastGPT calls its users' servers: the API file library of an `apiDataset`
and a share link's identity hook.

A call goes over real HTTP (httpx), or, for a base URL given to `FakeFastGPT.mount`, to an ASGI app in
process. The emulator's handlers are synchronous and may run inside a caller's event loop (the async
in-process transport), so a mounted app is driven on an event loop of its own: each call runs
`asyncio.run` in a short-lived worker thread, through `httpx.ASGITransport`, and the handler waits for it.
Nothing outlives the call (no loop or thread to close), and an app's sync code still runs off the loop
(the server kits use anyio's worker threads).

The mounted app sees the full path with the base URL's path as `root_path` (the ASGI convention, which
the kits and Starlette strip), so `mount("http://kb.test/kb", kit)` serves the kit at `/kb`.

Failures are worded as axios words them, since FastGPT shows axios's message: a timeout is
`timeout of <ms>ms exceeded`; a connection refused or reset is FastGPT's "网络连接异常".
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = ["NETWORK_ERROR", "Outbound", "Reply"]

# What FastGPT answers for a server it cannot reach (the emulator's reading, kept from its earlier refusal).
NETWORK_ERROR = "网络连接异常"

ASGIApp = Callable[..., Any]


@dataclass(frozen=True)
class Reply:
    """What came back: an HTTP status and body text, or `error` (axios's words) when nothing did."""

    status: int = 0
    text: str = ""
    error: str | None = None
    content: bytes = b""


def _timeout_message(seconds: float) -> str:
    return f"timeout of {round(seconds * 1000)}ms exceeded"  # axios's ECONNABORTED message


def _origin_and_path(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}", parts.path.rstrip("/")


class Outbound:
    """The emulator's HTTP client for callbacks, with the in-process mounts."""

    def __init__(self) -> None:
        self._mounts: dict[tuple[str, str], ASGIApp] = {}
        self._lock = threading.Lock()

    def mount(self, base_url: str, app: ASGIApp) -> None:
        origin, path = _origin_and_path(base_url)
        if not origin.startswith(("http://", "https://")) or origin[-3:] == "://":
            raise ValueError(f"mount needs an http(s) base URL with a host, got {base_url!r}")
        with self._lock:
            self._mounts[(origin, path)] = app

    def unmount(self, base_url: str) -> None:
        with self._lock:
            self._mounts.pop(_origin_and_path(base_url), None)

    def _mounted(self, url: str) -> tuple[ASGIApp, str] | None:
        """The app mounted at the longest base URL `url` falls under, and that base's path."""
        origin, path = _origin_and_path(url)
        with self._lock:
            found = [
                (len(base), app, base)
                for (o, base), app in self._mounts.items()
                if o == origin and (path == base or path.startswith(base + "/"))
            ]
        if not found:
            return None
        _, app, base = max(found, key=lambda item: item[0])
        return app, base

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        json: Any = None,
        timeout: float,
    ) -> Reply:
        request = httpx.Request(method, url, headers=headers, params=params, json=json)
        mounted = self._mounted(url)
        if mounted is not None:
            return self._send_in_process(request, *mounted, timeout=timeout)
        try:
            with httpx.Client(timeout=timeout) as client:
                response = client.send(request)
        except httpx.TimeoutException:
            return Reply(error=_timeout_message(timeout))
        except httpx.TransportError:
            return Reply(error=NETWORK_ERROR)
        return Reply(response.status_code, response.text, content=response.content)

    @staticmethod
    def _send_in_process(request: httpx.Request, app: ASGIApp, root_path: str, *, timeout: float) -> Reply:
        outcome: list[Reply] = []

        async def call() -> None:
            transport = httpx.ASGITransport(app=app, root_path=root_path)
            async with httpx.AsyncClient(transport=transport) as client:
                try:
                    response = await asyncio.wait_for(client.send(request), timeout)
                except (asyncio.TimeoutError, httpx.TimeoutException):
                    outcome.append(Reply(error=_timeout_message(timeout)))
                    return
                except Exception:  # the app itself failed: a server answering 500
                    outcome.append(Reply(500, "Internal Server Error"))
                    return
                outcome.append(Reply(response.status_code, response.text, content=response.content))

        worker = threading.Thread(target=asyncio.run, args=(call(),), name="fastgpt-emulator-callback")
        worker.start()
        worker.join()
        return outcome[0] if outcome else Reply(error=NETWORK_ERROR)
