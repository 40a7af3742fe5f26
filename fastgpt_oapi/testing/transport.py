"""httpx transports that hand requests to a `FakeFastGPT` in process, streaming its chunks.

They keep the request's read timeout (httpx's `timeout` extension, which the SDK sets on every
request) as a socket would: a scripted delay (`FakeFastGPT.delay_next`) longer than what is left of it
waits only until the timeout, then raises `httpx.ReadTimeout`, which the SDK raises as
`APITimeoutError`. Before the response, the time the emulator itself took (a slow app) counts too; an
app running in process cannot be interrupted, so that one is only noticed once it returns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from .fake import FakeFastGPT, FakeResponse

__all__ = ["AsyncFakeTransport", "FakeTransport"]


def _read_timeout(request: httpx.Request) -> float | None:
    """The most a read may wait, from the request's timeout extension (None: no limit)."""
    read = (request.extensions.get("timeout") or {}).get("read")
    return None if read is None else float(read)


def _budget(delay: float, read: float | None, spent: float = 0.0) -> tuple[float, bool]:
    """How long to wait for `delay` when `spent` seconds of the read timeout are gone, and whether
    the read times out at the end of that wait (never waiting beyond the timeout)."""
    if read is not None and spent + delay > read:
        return max(0.0, read - spent), True
    return delay, False


def _timed_out(request: httpx.Request) -> httpx.ReadTimeout:
    return httpx.ReadTimeout("The read operation timed out", request=request)


class _Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response's chunks, paced by its scripted delay. A live run (a v2 chat stream) is asked before
    each chunk whether it was stopped meanwhile, and told when the stream is over: read to the end,
    or closed by the client after `_sent` chunks."""

    def __init__(
        self, result: FakeResponse, request: httpx.Request, *, delay: float = 0.0, read: float | None = None
    ) -> None:
        self._result = result
        self._request = request
        self._delay = delay  # before each chunk
        self._read = read
        self._sent = 0

    def __iter__(self) -> Iterator[bytes]:
        pause, late = _budget(self._delay, self._read)
        try:
            for index in range(len(self._result.chunks)):
                if pause:
                    time.sleep(pause)
                if late:
                    raise _timed_out(self._request)
                out, last = self._result.outgoing(index)
                self._sent = index + 1
                yield from out
                if last:
                    break
        finally:
            self.close()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        pause, late = _budget(self._delay, self._read)
        try:
            for index in range(len(self._result.chunks)):
                if pause:
                    await asyncio.sleep(pause)
                if late:
                    raise _timed_out(self._request)
                out, last = self._result.outgoing(index)
                self._sent = index + 1
                for chunk in out:
                    yield chunk
                if last:
                    break
        finally:
            self.close()

    def close(self) -> None:
        self._result.finished(self._sent)

    async def aclose(self) -> None:
        self.close()


def _call(fake: FakeFastGPT, request: httpx.Request, body: bytes) -> tuple[FakeResponse, float]:
    """The emulator's answer, and how long it took to give it."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    query = dict(request.url.params.multi_items())
    started = time.monotonic()
    result = fake.handle(request.method, request.url.path, query, headers, body)
    return result, time.monotonic() - started


def _response(result: FakeResponse, request: httpx.Request, read: float | None) -> httpx.Response:
    delay = result.chunk_delay if result.streamed else 0.0
    stream = _Chunks(result, request, delay=delay, read=read)
    return httpx.Response(result.status, headers=result.headers, stream=stream, request=request)


class FakeTransport(httpx.BaseTransport):
    def __init__(self, fake: FakeFastGPT) -> None:
        self.fake = fake

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        result, spent = _call(self.fake, request, request.read())
        read = _read_timeout(request)
        pause, late = _budget(result.delay, read, spent)
        if pause:
            time.sleep(pause)
        if late:
            raise _timed_out(request)
        return _response(result, request, read)


class AsyncFakeTransport(httpx.AsyncBaseTransport):
    def __init__(self, fake: FakeFastGPT) -> None:
        self.fake = fake

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        result, spent = _call(self.fake, request, await request.aread())
        read = _read_timeout(request)
        pause, late = _budget(result.delay, read, spent)
        if pause:
            await asyncio.sleep(pause)
        if late:
            raise _timed_out(request)
        return _response(result, request, read)
