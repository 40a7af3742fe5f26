"""Helpers for service tests: run a call sync or async, and a recording MockTransport handler."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from fastgpt_oapi import Client
from fastgpt_oapi.testing import FakeFastGPT
from fastgpt_oapi.testing.storage import StorageRequest

T = TypeVar("T")


async def run(mode: str, sync: Callable[[], T], async_: Callable[[], Awaitable[T]]) -> T:
    """Call the sync or the async twin, as `mode` says."""
    if mode == "sync":
        return sync()
    return await async_()


async def call(mode: str, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`method(*args, **kwargs)`, or its async twin (`a` + its name, on the same service) awaited, as
    `mode` says: `await call(io_mode, client.dataset.get_dataset, request)`."""
    if mode == "sync":
        return method(*args, **kwargs)
    twin: Callable[..., Awaitable[T]] = getattr(method.__self__, "a" + method.__name__)  # type: ignore[attr-defined]
    return await twin(*args, **kwargs)


async def drain(
    mode: str, sync: Callable[[], Iterable[T]], async_: Callable[[], AsyncIterable[T]]
) -> list[T]:
    """Exhaust the sync or the async iterator, as `mode` says."""
    if mode == "sync":
        return list(sync())
    return [item async for item in async_()]


class Wire:
    """A MockTransport handler that keeps every request it saw and answers with `reply(request)`."""

    def __init__(self, reply: Callable[[httpx.Request], httpx.Response]) -> None:
        self.reply = reply
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.reply(request)

    @property
    def last(self) -> httpx.Request:
        assert self.requests, "no request was sent"
        return self.requests[-1]

    @property
    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


def query_of(request: httpx.Request) -> dict[str, str]:
    params = request.url.params
    assert len(params.keys()) == len(params.multi_items()), "a query parameter was sent twice"
    return dict(params)


def body_of(request: httpx.Request) -> Any:
    """The JSON body, or None when the request had none."""
    if not request.content:
        return None
    assert request.headers["content-type"] == "application/json"
    return json.loads(request.content)


# ---- uploads over loopback: what reaches the storage host -------------------------------------------


def served_client(base_url: str, api_key: str, app_id: str | None = None) -> Client:
    """A client of a served emulator with a default header that must never reach the storage host."""
    builder = (
        Client.builder().base_url(base_url).api_key(api_key).default_headers({"X-Trace": "trace-secret"})
    )
    return (builder.app_id(app_id) if app_id else builder).build()


def small_upload(tmp_path: Path, *, multipart: bool) -> tuple[FakeFastGPT, Path, bytes]:
    """An emulator that asks for 64 KiB parts above 100 KiB (or never), and a 150 KiB file for it."""
    fake = FakeFastGPT(upload_part_size=64 * 1024, multipart_threshold=100 * 1024 if multipart else None)
    data = os.urandom(150 * 1024)
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    return fake, path, data


def assert_storage_saw_no_credentials(requests: list[StorageRequest], port: str, *, multipart: bool) -> None:
    """3 parts and the completion, or one PUT, all to the storage host, none with the key or the
    client's own headers."""
    assert len(requests) == (4 if multipart else 1)
    for request in requests:
        assert request.host == f"localhost:{port}"
        assert request.authorization is None
        assert "x-trace" not in request.headers
