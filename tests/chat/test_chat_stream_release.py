"""No connection stays checked out, however a stream ends: completed, broken off, failed, cancelled.

First against a recording body behind httpx.MockTransport (its `close()` / `aclose()` must be called),
then against a real HTTP server on 127.0.0.1 with a one-connection pool: after each ending a second
stream on the same client must get the connection at once (a leak would time out on the pool).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
from conftest import fixture_bytes

from fastgpt_oapi import APIConnectionError, AuthenticationError, Client, RequestOption, StreamError
from fastgpt_oapi.api.chat.model import ChatStreamEvent

from ._support import LoopbackSSE, Reply, Script, bytewise, mode_option, question, read_to_end

BODY = fixture_bytes("stream_detail_true.sse")
ERROR_BODY = fixture_bytes("stream_error.sse")
HEARTBEAT = (
    b'event: answer\ndata: {"id":"","object":"","created":0,"model":"","choices":[{"delta":'
    b'{"role":"assistant","content":""},"index":0,"finish_reason":null}]}\n\n'
)


async def settle(done: Callable[[], bool]) -> None:
    """Let the event loop run pending callbacks (async generator finalizers) for a moment."""
    for _ in range(50):
        if done():
            return
        await asyncio.sleep(0)


# ---- against MockTransport: the body is closed -----------------------------------------------------------


async def test_completed_stream_closes_its_body(io_mode: str) -> None:
    script = Script(Reply(bytewise(BODY)))
    client = script.client()
    if io_mode == "sync":
        client.chat.chat_stream(question(detail=True)).until_done()
    else:
        await client.chat.achat_stream(question(detail=True)).until_done()
    assert script.streams[0].closed


def test_sync_break_closes_the_body() -> None:
    script = Script(Reply(bytewise(BODY)))
    stream = script.client().chat.chat_stream(question(detail=True))
    for _ in stream:
        break
    assert script.streams[0].closed
    assert script.streams[0].delivered < len(BODY)


def test_sync_break_inside_with_closes_the_body() -> None:
    script = Script(Reply(bytewise(BODY)))
    with script.client().chat.chat_stream(question(detail=True)) as stream:
        events = iter(stream)
        next(events)
        # Still inside `with`, the iterator alive: leaving the block must close the body anyway.
    assert script.streams[0].closed
    del events


async def test_async_break_inside_async_with_closes_the_body() -> None:
    script = Script(Reply(bytewise(BODY)))
    async with script.client().chat.achat_stream(question(detail=True)) as stream:
        async for _ in stream:
            break
    assert script.streams[0].closed  # at once, by __aexit__


async def test_async_bare_break_closes_the_body_once_finalized() -> None:
    script = Script(Reply(bytewise(BODY)))
    stream = script.client().chat.achat_stream(question(detail=True))
    async for _ in stream:
        break
    # The abandoned async generator is closed by the event loop's finalizer hook.
    gc.collect()
    await settle(lambda: script.streams[0].closed)
    assert script.streams[0].closed
    assert script.streams[0].delivered < len(BODY)


async def test_stream_error_closes_the_body(io_mode: str) -> None:
    # More bytes follow the error event: the SDK must not wait for them.
    script = Script(Reply([ERROR_BODY], fail=httpx.ReadError("must not be reached")))
    with pytest.raises(StreamError):
        await read_to_end(script.client(), question(), io_mode)
    assert script.streams[0].closed


async def test_transport_error_closes_the_body(io_mode: str) -> None:
    script = Script(Reply([BODY[:200]], fail=httpx.ReadError("reset")))
    with pytest.raises(APIConnectionError):
        await read_to_end(script.client(), question(), io_mode)
    assert script.streams[0].closed


async def test_refused_stream_closes_the_body(io_mode: str) -> None:
    script = Script(Reply([fixture_bytes("stream_error_auth.sse")], headers={}))
    with pytest.raises(AuthenticationError, match=r"^Invalid API Key \(unAuthApiKey") as caught:
        await read_to_end(script.client(), question(), io_mode)
    assert caught.value.message == "common:code_error.error_message.514"
    assert script.streams[0].closed


async def test_close_without_iterating(io_mode: str) -> None:
    """Entering reads to the first event (so a refusal raises there), and no further."""
    script = Script(Reply(bytewise(BODY)))
    client = script.client()
    if io_mode == "sync":
        with client.chat.chat_stream(question()) as stream:
            assert stream.response is not None
    else:
        async with client.chat.achat_stream(question()) as astream:
            assert astream.response is not None
    assert script.streams[0].closed
    first_event = BODY.index(b"\n\n") + 2
    assert script.streams[0].delivered == first_event  # one byte a chunk: exactly the first event


async def test_cancelled_task_closes_the_body() -> None:
    script = Script(Reply([BODY[: BODY.index(b"\n\n") + 2]], hang=True))
    client = script.client()
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in client.chat.achat_stream(question(detail=True)):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 5)
    await asyncio.sleep(0)
    assert not script.streams[0].closed
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert script.streams[0].closed


# ---- against a real server: the pool gets its connection back ---------------------------------------------
# (marked `system`: a loopback server per test, and a leak shows only as a pool timeout)


def _pool_client(server: LoopbackSSE) -> Client:
    # One connection; a short pool timeout (the read timeout sets it) so a leak fails fast; no retries.
    return server.client(max_connections=1, max_keepalive_connections=1, timeout=3.0, max_retries=0)


SyncEnding = Callable[[Client], None]


def _complete(client: Client) -> None:
    assert client.chat.chat_stream(question(detail=True)).get_final_response().answer


def _break(client: Client) -> None:
    for _ in client.chat.chat_stream(question(detail=True), request_option=mode_option("hang")):
        break


def _break_in_with(client: Client) -> None:
    with client.chat.chat_stream(question(detail=True), request_option=mode_option("hang")) as stream:
        for _ in stream:
            break


def _stream_error(client: Client) -> None:
    with pytest.raises(StreamError):
        client.chat.chat_stream(question(), request_option=mode_option("error")).until_done()


def _second_stream_is_prompt(client: Client, server: LoopbackSSE) -> None:
    started = time.monotonic()
    result = client.chat.chat_stream(question(detail=True)).get_final_response()
    assert result.answer == "上海今天多云，气温 26℃。"
    assert time.monotonic() - started < 2.0


@pytest.mark.system
@pytest.mark.parametrize("ending", [_complete, _break, _break_in_with, _stream_error])
def test_loopback_sync_connection_returns_to_the_pool(ending: SyncEnding) -> None:
    with LoopbackSSE(BODY, ERROR_BODY, HEARTBEAT) as server, _pool_client(server) as client:
        ending(client)
        _second_stream_is_prompt(client, server)
        ending(client)
        _second_stream_is_prompt(client, server)
        assert len(server.modes) == 4


@pytest.mark.system
def test_loopback_sync_leak_would_be_caught() -> None:
    """The check above can fail: a stream left open really does block the next one."""
    with LoopbackSSE(BODY, ERROR_BODY, HEARTBEAT) as server, _pool_client(server) as client:
        stream = client.chat.chat_stream(question(detail=True), request_option=mode_option("hang"))
        events = iter(stream)
        next(events)  # open, and kept open: not broken off, not closed
        quick = RequestOption.builder().timeout(0.3).build()
        with pytest.raises(APIConnectionError):
            client.chat.chat_stream(question(), request_option=quick).until_done()
        stream.close()
        _second_stream_is_prompt(client, server)
        del events


AsyncEnding = Callable[[Client], Awaitable[None]]


async def _acomplete(client: Client) -> None:
    assert (await client.chat.achat_stream(question(detail=True)).get_final_response()).answer


async def _abreak_in_with(client: Client) -> None:
    async with client.chat.achat_stream(question(detail=True), request_option=mode_option("hang")) as stream:
        async for _ in stream:
            break


async def _abare_break(client: Client) -> None:
    events: list[ChatStreamEvent] = []
    async for event in client.chat.achat_stream(question(detail=True), request_option=mode_option("hang")):
        events.append(event)
        break
    assert events
    gc.collect()
    for _ in range(20):
        await asyncio.sleep(0)  # the finalizer hook closes the abandoned generator


async def _astream_error(client: Client) -> None:
    with pytest.raises(StreamError):
        await client.chat.achat_stream(question(), request_option=mode_option("error")).until_done()


async def _acancelled(client: Client) -> None:
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in client.chat.achat_stream(question(detail=True), request_option=mode_option("hang")):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def _asecond_stream_is_prompt(client: Client) -> None:
    started = time.monotonic()
    result = await client.chat.achat_stream(question(detail=True)).get_final_response()
    assert result.answer == "上海今天多云，气温 26℃。"
    assert time.monotonic() - started < 2.0


@pytest.mark.system
@pytest.mark.parametrize("ending", [_acomplete, _abreak_in_with, _abare_break, _astream_error, _acancelled])
async def test_loopback_async_connection_returns_to_the_pool(ending: AsyncEnding) -> None:
    with LoopbackSSE(BODY, ERROR_BODY, HEARTBEAT) as server:
        async with _pool_client(server) as client:
            await ending(client)
            await _asecond_stream_is_prompt(client)
            await ending(client)
            await _asecond_stream_is_prompt(client)
        assert len(server.modes) == 4
