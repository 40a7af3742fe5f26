"""Shared by the dataset tests: the multipart upload through the sync or the async shell, a client of
the emulator with its own transports and hooks, and transports that count (and hold) requests in flight."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable

import httpx

from fastgpt_oapi import Client, RequestOption
from fastgpt_oapi.api.dataset.model import CreateCollectionWithResultResponse, CreateFileCollectionRequest
from fastgpt_oapi.core.http import Hooks
from fastgpt_oapi.testing import FakeFastGPT


async def upload(
    client: Client, mode: str, request: CreateFileCollectionRequest, option: RequestOption | None = None
) -> CreateCollectionWithResultResponse:
    """`create_file_collection` or `acreate_file_collection`, as `mode` says."""
    if mode == "sync":
        return client.dataset.create_file_collection(request, option)
    return await client.dataset.acreate_file_collection(request, option)


def fake_client(
    fake: FakeFastGPT,
    *,
    transport: httpx.BaseTransport | None = None,
    async_transport: httpx.AsyncBaseTransport | None = None,
    hooks: Hooks | None = None,
    max_retries: int = 2,
) -> Client:
    """A client of `fake` (in process), through the given transports (the emulator's own by default)
    and with the given hooks (how it sleeps and reads the clock)."""
    return (
        Client.builder()
        .base_url("http://fastgpt.fake")
        .api_key(fake.api_key)
        .app_id(fake.app_id)
        .max_retries(max_retries)
        .transport(transport or fake.transport())
        .async_transport(async_transport or fake.async_transport())
        .build(_hooks=hooks)
    )


class InFlight:
    """How many requests are inside a transport at once: `now`, and the most seen (`most`).

    Each request is held until `width` are inside together (or `patience` seconds pass), so a client
    that keeps `width` in flight is seen doing so, whatever the timing: a test can tell "at most N"
    from "exactly N". `pause` is then waited before the request goes on to the emulator.
    """

    def __init__(self, width: int, *, patience: float = 0.3, pause: float = 0.0) -> None:
        self.width = width
        self.patience = patience
        self.pause = pause
        self.now = 0
        self.most = 0
        self.seen = 0
        self._changed = threading.Condition()
        self._full: asyncio.Event | None = None

    def enter(self) -> None:
        with self._changed:
            self.now += 1
            self.seen += 1
            self.most = max(self.most, self.now)
            self._changed.notify_all()
            self._changed.wait_for(lambda: self.now >= self.width, timeout=self.patience)
        if self.pause:
            time.sleep(self.pause)

    def full(self) -> asyncio.Event:
        """Set while `width` requests are in flight (async clients; one event per test's loop)."""
        if self._full is None:
            self._full = asyncio.Event()
        return self._full

    async def aenter(self) -> None:
        with self._changed:
            self.now += 1
            self.seen += 1
            self.most = max(self.most, self.now)
        full = self.full()
        if self.now >= self.width:
            full.set()
        else:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(full.wait(), self.patience)
        if self.pause:
            await asyncio.sleep(self.pause)

    def leave(self) -> None:
        with self._changed:
            self.now -= 1
            if self._full is not None and self.now < self.width:
                self._full.clear()

    def transport(self, inner: httpx.BaseTransport) -> httpx.BaseTransport:
        return _Counted(self, inner)

    def async_transport(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return _AsyncCounted(self, inner)


class _Counted(httpx.BaseTransport):
    def __init__(self, meter: InFlight, inner: httpx.BaseTransport) -> None:
        self.meter = meter
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            self.meter.enter()
            return self.inner.handle_request(request)
        finally:
            self.meter.leave()


class _AsyncCounted(httpx.AsyncBaseTransport):
    def __init__(self, meter: InFlight, inner: httpx.AsyncBaseTransport) -> None:
        self.meter = meter
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            await self.meter.aenter()
            return await self.inner.handle_async_request(request)
        finally:
            self.meter.leave()


class Intercept(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers a request with `answer(request)` when it gives a response, else hands it to the
    emulator after `pause` seconds (a number, or worked out per request), sync and async alike."""

    def __init__(
        self,
        fake: FakeFastGPT,
        answer: Callable[[httpx.Request], httpx.Response | None],
        pause: float | Callable[[httpx.Request], float] = 0.0,
    ) -> None:
        self.sync_inner = fake.transport()
        self.async_inner = fake.async_transport()
        self.answer = answer
        self.pause = pause if callable(pause) else (lambda request: pause)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answered = self.answer(request)
        if answered is not None:
            return answered
        time.sleep(self.pause(request))
        return self.sync_inner.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answered = self.answer(request)
        if answered is not None:
            return answered
        await asyncio.sleep(self.pause(request))
        return await self.async_inner.handle_async_request(request)
