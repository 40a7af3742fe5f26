"""The one test-support module of the dataset area.

For the SDK's dataset tests: the multipart upload through the sync or the async shell, a client of the
emulator with its own transports and hooks, and transports that count (and hold) requests in flight.
For the emulator's dataset tests (`tests/testing/test_fake_dataset_*.py`): `Api`, raw JSON (and raw
multipart) through `FakeFastGPT.handle`, as a client that writes its own requests would send them, with
no SDK dataset model involved; and `Clock`, moved by hand."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

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


BASE = "/api/core/dataset"
OBJECT_ID = r"[0-9a-f]{24}"


class Clock:
    """An injectable clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 8, 1, tzinfo=timezone.utc).timestamp()

    def __call__(self) -> float:
        return self.now


@dataclass
class Answer:
    status: int
    body: Any  # the parsed JSON envelope

    @property
    def data(self) -> Any:
        assert self.status == 200, (self.status, self.body)
        assert self.body["code"] == 200, self.body
        return self.body["data"]


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[str, bytes]:
    """A `multipart/form-data` body, encoded by hand: (content type, body)."""
    boundary = "----fake-dataset-boundary-7MA4YWxkTrZu0gW"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, (filename, content, content_type) in files.items():
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    return f"multipart/form-data; boundary={boundary}", b"".join(parts) + f"--{boundary}--\r\n".encode()


class Api:
    """The dataset area of one emulator, called with raw JSON."""

    def __init__(self, fake: FakeFastGPT) -> None:
        self.fake = fake
        self.auth = {"authorization": f"Bearer {fake.api_key}"}

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Answer:
        full = path if path.startswith("/api/") else f"{BASE}/{path}"
        content = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        sent = {**self.auth, "content-type": "application/json", **(headers or {})}
        response = self.fake.handle(method, full, query or {}, sent, content)
        try:
            return Answer(response.status, json.loads(response.body))
        except ValueError:  # a bare 404 is text
            return Answer(response.status, response.body.decode())

    def post(self, path: str, body: Any = None, **query: str) -> Answer:
        return self.call("POST", path, body, query=query)

    def get(self, path: str, **query: str) -> Answer:
        return self.call("GET", path, query=query)

    def delete(self, path: str, body: Any = None, **query: str) -> Answer:
        return self.call("DELETE", path, body, query=query)

    def put(self, path: str, body: Any = None) -> Answer:
        return self.call("PUT", path, body)

    def upload(self, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> Answer:
        content_type, body = multipart(fields, files)
        return self.call(
            "POST", "collection/create/localFile", raw=body, headers={"content-type": content_type}
        )

    # -- shortcuts --

    def dataset(self, name: str = "kb", **fields: Any) -> str:
        body = {"name": name, "intro": "", "avatar": "/icon/logo.svg", "type": "dataset", **fields}
        dataset_id: str = self.post("create", body).data
        return dataset_id

    def text_collection(self, dataset_id: str, text: str, name: str = "notes", **fields: Any) -> str:
        body = {"datasetId": dataset_id, "name": name, "text": text, **fields}
        collection_id: str = self.post("collection/create/text", body).data["collectionId"]
        return collection_id

    def virtual(self, dataset_id: str, name: str = "manual", **fields: Any) -> str:
        body = {"datasetId": dataset_id, "name": name, "type": "virtual", **fields}
        collection_id: str = self.post("collection/create", body).data
        return collection_id

    def push(self, collection_id: str, *items: dict[str, Any]) -> int:
        inserted: int = self.post("data/pushData", {"collectionId": collection_id, "data": list(items)}).data[
            "insertLen"
        ]
        return inserted

    def data(self, collection_id: str, **paging: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.post(
            "data/v2/list", {"collectionId": collection_id, "pageSize": 30, **paging}
        ).data["list"]
        return found

    def collection(self, collection_id: str) -> dict[str, Any]:
        detail: dict[str, Any] = self.get("collection/detail", id=collection_id).data
        return detail

    def refusal(self, answer: Answer) -> tuple[int, int, str]:
        """(HTTP status, code, statusText) of a refusal."""
        assert answer.status != 200 or answer.body["code"] != 200, answer.body
        return answer.status, answer.body["code"], answer.body["statusText"]
