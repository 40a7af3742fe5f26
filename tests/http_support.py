"""Helpers for service tests: run a call sync or async, and a recording MockTransport handler."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


async def run(mode: str, sync: Callable[[], T], async_: Callable[[], Awaitable[T]]) -> T:
    """Call the sync or the async twin, as `mode` says."""
    if mode == "sync":
        return sync()
    return await async_()


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
