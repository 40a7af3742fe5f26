"""`FakeFastGPT.delay_next`, and client timeouts kept in process as over a socket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from http_support import run

from fastgpt_oapi import APITimeoutError, Client, InternalServerError, RequestOption
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage, ChatStreamResult
from fastgpt_oapi.api.chat_history.model import (
    GetChatInitRequest,
    ListHistoriesRequest,
    ListHistoriesResponse,
)
from fastgpt_oapi.testing import FakeFastGPT, RunContext, Turn, answer_chunk

COMPLETIONS = "/api/v2/chat/completions"
INIT = "/api/core/chat/init"
T = TypeVar("T")


def ask(text: str = "hello") -> ChatCompletionRequest:
    return ChatCompletionRequest(messages=[ChatMessage.user(text)])


async def timed(mode: str, sync: Callable[[], T], async_: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    started = time.monotonic()
    result = await run(mode, sync, async_)
    return result, time.monotonic() - started


async def timed_out(mode: str, sync: Callable[[], object], async_: Callable[[], Awaitable[object]]) -> float:
    """Seconds until the call raised `APITimeoutError`."""
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match="timed out"):
        await run(mode, sync, async_)
    return time.monotonic() - started


def final(client: Client, request: ChatCompletionRequest) -> ChatStreamResult:
    with client.chat.chat_stream(request) as stream:
        return stream.get_final_response()


async def afinal(client: Client, request: ChatCompletionRequest) -> ChatStreamResult:
    async with client.chat.achat_stream(request) as stream:
        return await stream.get_final_response()


def histories(client: Client) -> ListHistoriesResponse:
    return client.chat_history.list_histories(ListHistoriesRequest())


async def ahistories(client: Client) -> ListHistoriesResponse:
    return await client.chat_history.alist_histories(ListHistoriesRequest())


# ---- in process --------------------------------------------------------------------------------


async def test_a_blocking_call_delayed_past_the_read_timeout_times_out_at_the_timeout(io_mode: str) -> None:
    fake = FakeFastGPT()
    fake.delay_next(30.0)
    client = fake.client(timeout=0.1, max_retries=0)
    waited = await timed_out(io_mode, lambda: client.chat.chat(ask()), lambda: client.chat.achat(ask()))
    assert 0.09 <= waited < 2.0  # the transport waits out the timeout, not the 30 s
    assert fake.count(COMPLETIONS) == 1  # a completion is never sent twice


async def test_a_delay_within_the_read_timeout_is_waited_and_answered(io_mode: str) -> None:
    fake = FakeFastGPT()
    fake.delay_next(0.1)
    client = fake.client(timeout=5.0)
    response, waited = await timed(io_mode, lambda: client.chat.chat(ask()), lambda: client.chat.achat(ask()))
    assert response.answer.endswith("hello")
    assert waited >= 0.09


async def test_async_delays_leave_the_event_loop_free() -> None:
    fake = FakeFastGPT()
    fake.delay_next(0.2, times=5)
    async with fake.client() as client:
        started = time.monotonic()
        answers = await asyncio.gather(*(client.chat.achat(ask()) for _ in range(5)))
    assert len(answers) == 5
    assert time.monotonic() - started < 0.8  # waited side by side: one after another takes 1.0 s


async def test_the_timeout_of_one_call_is_the_one_kept(io_mode: str) -> None:
    """The transport reads each request's own timeout: a RequestOption's, not the client's."""
    fake = FakeFastGPT()
    fake.delay_next(30.0, times=2)
    client = fake.client()  # reads wait up to 600 s
    option = RequestOption.builder().timeout(0.1).max_retries(0).build()
    waited = await timed_out(
        io_mode,
        lambda: client.chat.chat(ask(), request_option=option),
        lambda: client.chat.achat(ask(), request_option=option),
    )
    assert waited < 2.0


async def test_a_stream_delayed_before_its_first_byte_times_out(io_mode: str) -> None:
    fake = FakeFastGPT()
    fake.delay_next(30.0)
    client = fake.client(timeout=0.1)
    waited = await timed_out(io_mode, lambda: final(client, ask()), lambda: afinal(client, ask()))
    assert 0.09 <= waited < 2.0


async def test_a_pause_between_chunks_past_the_read_timeout_raises_while_reading(io_mode: str) -> None:
    fake = FakeFastGPT()
    fake.delay_next(0.0, chunk_delay=30.0)
    client = fake.client(timeout=0.1)
    waited = await timed_out(io_mode, lambda: final(client, ask()), lambda: afinal(client, ask()))
    assert 0.09 <= waited < 2.0


async def test_the_read_timeout_bounds_each_pause_between_chunks_not_the_whole_stream(io_mode: str) -> None:
    fake = FakeFastGPT()
    fake.delay_next(0.0, chunk_delay=0.03)  # about 20 chunks: 0.6 s in all
    client = fake.client(timeout=0.5)
    text = "a question long enough to be answered in many chunks"
    result, waited = await timed(io_mode, lambda: final(client, ask(text)), lambda: afinal(client, ask(text)))
    assert result.answer.endswith(text)
    assert waited > 0.5  # longer than the timeout in all, but no single read was


async def test_stream_idle_timeout_caps_the_wait_for_a_chunk_in_process(io_mode: str) -> None:
    fake = FakeFastGPT()
    fake.delay_next(0.0, chunk_delay=30.0)
    client = fake.client(stream_idle_timeout=0.1)
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match="stream_idle_timeout"):
        await run(io_mode, lambda: final(client, ask()), lambda: afinal(client, ask()))
    assert time.monotonic() - started < 2.0


async def test_a_slow_app_past_the_read_timeout_times_out(io_mode: str) -> None:
    """An app in process cannot be interrupted: the call raises once it returns."""
    fake = FakeFastGPT()

    def slow(ctx: RunContext) -> Turn:
        time.sleep(0.2)
        return Turn(events=[("answer", answer_chunk("late"))])

    app_id = fake.register_app(slow, name="slow")
    client = fake.client(timeout=0.1, app_id=app_id)
    waited = await timed_out(io_mode, lambda: client.chat.chat(ask()), lambda: client.chat.achat(ask()))
    assert 0.19 <= waited < 2.0
    fast = fake.client(timeout=5.0, app_id=app_id)
    response = await run(io_mode, lambda: fast.chat.chat(ask()), lambda: fast.chat.achat(ask()))
    assert response.answer == "late"


async def test_delays_go_to_the_next_times_requests_of_their_path(io_mode: str) -> None:
    fake = FakeFastGPT()
    fake.delay_next(30.0, path=COMPLETIONS, times=2)
    client = fake.client(timeout=0.1, max_retries=0)
    page = await run(io_mode, lambda: histories(client), lambda: ahistories(client))
    assert page.total == 0  # another path: not delayed
    for _ in range(2):
        await timed_out(io_mode, lambda: client.chat.chat(ask()), lambda: client.chat.achat(ask()))
    response = await run(io_mode, lambda: client.chat.chat(ask()), lambda: client.chat.achat(ask()))
    assert response.answer.endswith("hello")  # used up
    assert fake.count(COMPLETIONS) == 3


async def test_a_delayed_read_is_retried_once_the_delay_is_used_up(io_mode: str) -> None:
    fake = FakeFastGPT()
    fake.delay_next(30.0, path=INIT)
    client = fake.client(timeout=0.1, max_retries=1)
    request = GetChatInitRequest(chat_id="c1")
    init = await run(
        io_mode,
        lambda: client.chat_history.get_chat_init(request),
        lambda: client.chat_history.aget_chat_init(request),
    )
    assert init.chat_id == "c1"
    assert fake.count(INIT) == 2  # a GET that timed out is sent again, and answered at once


async def test_a_scripted_failure_can_be_slow_too(io_mode: str) -> None:
    fake = FakeFastGPT()
    fake.fail_next(500, {"code": 500, "statusText": "", "message": "boom", "data": None})
    fake.delay_next(0.15)
    client = fake.client(timeout=5.0, max_retries=0)
    started = time.monotonic()
    with pytest.raises(InternalServerError, match="boom"):
        await run(io_mode, lambda: client.chat.chat(ask()), lambda: client.chat.achat(ask()))
    assert time.monotonic() - started >= 0.14


def test_delay_next_refuses_what_cannot_be_waited() -> None:
    fake = FakeFastGPT()
    with pytest.raises(ValueError, match="negative"):
        fake.delay_next(-1.0)
    with pytest.raises(ValueError, match="negative"):
        fake.delay_next(0.0, chunk_delay=-0.1)
    with pytest.raises(ValueError, match="times"):
        fake.delay_next(1.0, times=0)
    with pytest.raises(ValueError, match="after"):
        fake.delay_next(1.0, after=-1)


def test_fail_next_refuses_a_failure_that_would_never_apply() -> None:
    with pytest.raises(ValueError, match="times"):
        FakeFastGPT().fail_next(500, times=0)


def test_delay_next_after_lets_that_many_responses_go_out_on_time() -> None:
    fake = FakeFastGPT()
    fake.delay_next(30.0, path=INIT, after=2)
    client = fake.client(timeout=0.2, max_retries=0)
    request = GetChatInitRequest(chat_id="c1")
    for _ in range(2):
        client.chat_history.get_chat_init(request)
    with pytest.raises(APITimeoutError):
        client.chat_history.get_chat_init(request)
    client.chat_history.get_chat_init(request)  # used up: on time again


# ---- over a socket -----------------------------------------------------------------------------


def _served(base_url: str, fake: FakeFastGPT, timeout: float) -> Client:
    return (
        Client.builder()
        .base_url(base_url)
        .api_key(fake.api_key)
        .app_id(fake.app_id)
        .timeout(timeout)
        .max_retries(0)
        .build()
    )


@pytest.mark.system  # the emulator on loopback HTTP
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_delays_apply_over_serve_too_blocking_and_streamed(mode: str) -> None:
    fake = FakeFastGPT()
    with fake.serve() as base_url:
        client = _served(base_url, fake, timeout=0.1)

        async def both() -> list[float]:
            fake.delay_next(1.0)  # a blocking call: chunk_delay of serve() never slowed these
            blocking = await timed_out(
                mode, lambda: client.chat.chat(ask()), lambda: client.chat.achat(ask())
            )
            fake.delay_next(0.0, chunk_delay=1.0)
            streamed = await timed_out(mode, lambda: final(client, ask()), lambda: afinal(client, ask()))
            fake.delay_next(0.05, chunk_delay=0.01)
            result, _ = await timed(mode, lambda: final(client, ask()), lambda: afinal(client, ask()))
            assert result.answer.endswith("hello")
            await run(mode, client.close, client.aclose)
            return [blocking, streamed]

        assert all(0.09 <= waited < 0.9 for waited in asyncio.run(both()))
