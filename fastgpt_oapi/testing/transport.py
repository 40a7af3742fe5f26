"""httpx transports that hand requests to a `FakeFastGPT` in process, streaming its chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from .fake import FakeFastGPT, FakeResponse

__all__ = ["AsyncFakeTransport", "FakeTransport"]


class _Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


def _call(fake: FakeFastGPT, request: httpx.Request, body: bytes) -> FakeResponse:
    headers = {k.lower(): v for k, v in request.headers.items()}
    query = dict(request.url.params.multi_items())
    return fake.handle(request.method, request.url.path, query, headers, body)


def _response(result: FakeResponse, request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        result.status, headers=result.headers, stream=_Chunks(result.chunks), request=request
    )


class FakeTransport(httpx.BaseTransport):
    def __init__(self, fake: FakeFastGPT) -> None:
        self.fake = fake

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return _response(_call(self.fake, request, request.read()), request)


class AsyncFakeTransport(httpx.AsyncBaseTransport):
    def __init__(self, fake: FakeFastGPT) -> None:
        self.fake = fake

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return _response(_call(self.fake, request, await request.aread()), request)
