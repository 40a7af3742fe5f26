"""No leaks: 1,000 streams ended every way a stream can end early or badly (abandoned with `break`,
inside and outside `with`, cancelled tasks, stream errors, resets, truncated bodies, refusals, idle
timeouts), sync and async, on one client with a small pool. Afterwards the pools hold no checked-out
connection, new streams get a connection at once, and the process has no more file descriptors open
than before (an unclosed socket would also fail the run: warnings are errors).
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest

from fastgpt_oapi import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    Client,
    FastGPTError,
    InternalServerError,
    RequestOption,
    StreamError,
)

from ._support import (
    ANSWER,
    ERROR_EVENT,
    FIGURES,
    HEARTBEAT,
    MESSAGES,
    PROC_FD,
    checked_out,
    client_for,
    open_fds,
    pool_connections,
    question,
    settled_fds,
)
from .fault_server import (
    COMPLETIONS,
    Action,
    Beat,
    Close,
    FaultServer,
    Received,
    Reset,
    chunk,
    json_reply,
    sse,
)

STREAMS = 1000
POOL = 4  # connections per pool: a handful of leaks would exhaust it

SERVED: dict[str, Action] = {
    "complete": sse(*MESSAGES),
    "hang": sse(*MESSAGES[:2], then=(Beat(chunk(HEARTBEAT), 0.005),)),  # until the client leaves
    "error": sse(*MESSAGES[:2], ERROR_EVENT),
    "reset": sse(*MESSAGES[:2], then=(Reset(),)),
    "truncated": sse(*MESSAGES[:2], then=(Close(),)),
    "refused": json_reply(
        401, {"code": 514, "statusText": "unAuthApiKey", "message": "bad key", "data": None}
    ),
    "crash": json_reply(500, {"code": 500, "statusText": "", "message": "crash", "data": None}),
}


def serve(request: Received) -> Action:
    return SERVED[request.headers["x-serve"]]


def option(served: str, idle: float | None = None) -> RequestOption:
    return RequestOption(headers={"x-serve": served}, stream_idle_timeout=idle)


# ---- the endings, sync ------------------------------------------------------------------------------------


def sync_break(client: Client) -> None:
    for _ in client.chat.chat_stream(question(), option("hang")):
        break


def sync_break_in_with(client: Client) -> None:
    with client.chat.chat_stream(question(), option("hang")) as stream:
        for _ in stream:
            break


def sync_expect(
    served: str, error: type[FastGPTError], idle: float | None = None
) -> Callable[[Client], None]:
    def ending(client: Client) -> None:
        with pytest.raises(error):
            client.chat.chat_stream(question(), option(served, idle)).until_done()

    return ending


def sync_complete(client: Client) -> None:
    assert client.chat.chat_stream(question(), option("complete")).get_final_response().answer == ANSWER


# ---- the endings, async ---------------------------------------------------------------------------------------


async def async_break_in_with(client: Client) -> None:
    async with client.chat.achat_stream(question(), option("hang")) as stream:
        async for _ in stream:
            break


async def async_bare_break(client: Client) -> None:
    async for _ in client.chat.achat_stream(question(), option("hang")):
        break  # the abandoned generator is closed by the event loop's finalizer


async def cancelled(client: Client, *, in_body: bool) -> None:
    """A task cancelled while it waits for the next chunk, or while it works on an event."""
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in client.chat.achat_stream(question(), option("hang")):
            first.set()
            if in_body:
                await asyncio.sleep(30)

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def cancelled_reading(client: Client) -> None:
    await cancelled(client, in_body=False)


async def cancelled_in_body(client: Client) -> None:
    await cancelled(client, in_body=True)


def async_expect(
    served: str, error: type[FastGPTError], idle: float | None = None
) -> Callable[[Client], Awaitable[None]]:
    async def ending(client: Client) -> None:
        with pytest.raises(error):
            await client.chat.achat_stream(question(), option(served, idle)).until_done()

    return ending


async def async_complete(client: Client) -> None:
    result = await client.chat.achat_stream(question(), option("complete")).get_final_response()
    assert result.answer == ANSWER


IDLE = 0.02  # stream_idle_timeout of the idle endings
SYNC_ENDINGS: dict[str, Callable[[Client], None]] = {
    "sync break": sync_break,
    "sync break inside with": sync_break_in_with,
    "sync stream error": sync_expect("error", StreamError),
    "sync reset": sync_expect("reset", APIConnectionError),
    "sync truncated": sync_expect("truncated", APIConnectionError),
    "sync refused (401)": sync_expect("refused", AuthenticationError),
    "sync 500": sync_expect("crash", InternalServerError),
    "sync idle timeout": sync_expect("hang", APITimeoutError, IDLE),
    "sync complete": sync_complete,
}
ASYNC_ENDINGS: dict[str, Callable[[Client], Awaitable[None]]] = {
    "async break inside async with": async_break_in_with,
    "async bare break": async_bare_break,
    "async task cancelled while reading": cancelled_reading,
    "async task cancelled in the loop body": cancelled_in_body,
    "async stream error": async_expect("error", StreamError),
    "async reset": async_expect("reset", APIConnectionError),
    "async truncated": async_expect("truncated", APIConnectionError),
    "async refused (401)": async_expect("refused", AuthenticationError),
    "async idle timeout": async_expect("hang", APITimeoutError, IDLE),
    "async complete": async_complete,
}


async def settle() -> None:
    """Let the event loop run what abandoned async generators scheduled (their aclose())."""
    gc.collect()
    for _ in range(20):
        await asyncio.sleep(0)


@pytest.mark.skipif(not PROC_FD.exists(), reason="counts open descriptors through /proc")
async def test_a_thousand_abandoned_and_failed_streams_leak_nothing() -> None:
    gc.collect()
    fds_before = open_fds()
    started = time.monotonic()
    rng = random.Random(20261122)
    names = [*SYNC_ENDINGS, *ASYNC_ENDINGS]
    plan = [rng.choice(names) for _ in range(STREAMS)]
    done: Counter[str] = Counter()

    server = FaultServer(limit=10.0)
    server.route(COMPLETIONS, serve)
    with server:
        client = client_for(
            server.url,
            max_connections=POOL,
            max_keepalive_connections=2,
            connect_timeout=2.0,  # also how long to wait for a pooled connection: a leak fails fast
            max_retries=0,
        )
        async with client:
            for name in plan:
                if name in SYNC_ENDINGS:
                    SYNC_ENDINGS[name](client)
                else:
                    await ASYNC_ENDINGS[name](client)
                done[name] += 1
            await settle()
            busy = checked_out(client)
            assert busy == 0, f"{busy} connections still checked out"
            assert len(pool_connections(client)) <= 2 * POOL
            # The proof by use: a pool of POOL connections serves twice as many new streams at once.
            fresh = time.monotonic()
            results = await asyncio.gather(
                *(
                    client.chat.achat_stream(question(), option("complete")).get_final_response()
                    for _ in range(2 * POOL)
                )
            )
            for _ in range(2 * POOL):
                sync_complete(client)
            assert all(r.answer == ANSWER for r in results)
            assert time.monotonic() - fresh < 2.0
            assert checked_out(client) == 0
        assert server.wait_until_idle()
        assert server.count(COMPLETIONS) == STREAMS + 4 * POOL
        assert server.sent_twice() == 0
    fds_after = settled_fds(fds_before)
    assert fds_after <= fds_before, f"{fds_after - fds_before} file descriptors more than before"

    assert set(done) == set(names), "every kind of ending was exercised"
    FIGURES.count("leaks: streams ended early or failed", STREAMS)
    FIGURES.count("leaks: kinds of ending", len(done))
    FIGURES.count("leaks: connections checked out afterwards", busy)
    FIGURES.count("leaks: file descriptors gained", max(0, fds_after - fds_before))
    FIGURES.count("leaks: completions begun twice", server.sent_twice())
    FIGURES.peak("leaks: seconds for 1,000 streams", time.monotonic() - started)


async def test_the_leak_check_can_fail() -> None:
    """Control: a stream that is neither finished, closed nor broken off keeps its connection, and
    the same probes see it."""
    server = FaultServer(limit=10.0)
    server.route(COMPLETIONS, serve)
    with server:
        async with client_for(server.url, max_connections=1, connect_timeout=0.5, max_retries=0) as client:
            stream = client.chat.chat_stream(question(), option("hang"))
            events = iter(stream)
            next(events)  # open, and kept open
            assert checked_out(client) == 1
            with pytest.raises(APITimeoutError):  # the one connection is taken: the pool wait expires
                client.chat.chat_stream(question(), option("complete")).until_done()
            stream.close()
            assert checked_out(client) == 0
            sync_complete(client)
            del events
