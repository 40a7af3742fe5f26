"""A refused stream raises where it is opened: `with` / `async with` sends the request and reads to
the first event, so a relay can answer 401 or 429 before it commits to streaming. The first event is
still delivered to the loop; errors after it raise from the iteration, as before."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import fixture_bytes
from http_support import run

from chat._support import Reply, Script, bytewise, question
from fastgpt_oapi import APIStatusError, AuthenticationError, Client, RateLimitError, StreamError
from fastgpt_oapi.api.chat.model import AnswerEvent, ChatStreamEvent, FlowNodeStatusEvent

KEY_514 = {"code": 514, "statusText": "unAuthApiKey", "message": "common:code_error.error_message.514"}
RATE = {"code": 429, "statusText": "tooManyRequest", "message": "Rate limit exceeded. Try again in 3 s"}
JSON = {"content-type": "application/json"}


def sse_error(payload: dict[str, Any]) -> bytes:
    return b"event: error\ndata: " + json.dumps(payload).encode() + b"\n\n"


REFUSALS = {
    "http-401-json": (
        Reply([json.dumps({**KEY_514, "data": None}).encode()], 401, JSON),
        AuthenticationError,
    ),
    "http-429-json": (Reply([json.dumps({**RATE, "data": None}).encode()], 429, JSON), RateLimitError),
    "http-200-envelope": (
        Reply([json.dumps({**KEY_514, "data": None}).encode()], 200, JSON),
        AuthenticationError,
    ),
    # FastGPT's own refusal of a stream: HTTP 200, an SSE error, no SSE content type.
    "http-200-sse-error": (Reply([sse_error(KEY_514)], 200, {}), AuthenticationError),
    # An SSE error as the very first message of a real event stream.
    "event-stream-error-first": (Reply(bytewise(sse_error(RATE))), StreamError),
}


async def enter(client: Client, mode: str) -> None:
    """Enter the stream and leave at once: nothing iterated."""

    def sync() -> None:
        with client.chat.chat_stream(question()):
            pass

    async def async_() -> None:
        async with client.chat.achat_stream(question()):
            pass

    await run(mode, sync, async_)


@pytest.mark.parametrize("name", list(REFUSALS))
async def test_a_refusal_raises_from_entering(io_mode: str, name: str) -> None:
    reply, cls = REFUSALS[name]
    script = Script(reply)
    with pytest.raises(cls) as caught:
        await enter(script.client(max_retries=0), io_mode)
    assert type(caught.value) is cls
    assert script.streams[0].closed
    if isinstance(caught.value, APIStatusError):
        assert caught.value.status_code in (401, 429)  # what a relay answers with


async def collect(client: Client, mode: str) -> tuple[list[ChatStreamEvent], BaseException | None]:
    """Enter (which must not raise), then iterate; the events, and the error iteration raised."""
    events: list[ChatStreamEvent] = []

    def sync() -> BaseException | None:
        with client.chat.chat_stream(question()) as stream:
            try:
                for event in stream:
                    events.append(event)
            except StreamError as exc:
                return exc
        return None

    async def async_() -> BaseException | None:
        async with client.chat.achat_stream(question()) as stream:
            try:
                async for event in stream:
                    events.append(event)
            except StreamError as exc:
                return exc
        return None

    return events, await run(mode, sync, async_)


async def test_the_first_event_read_on_entering_is_delivered_to_the_loop(io_mode: str) -> None:
    body = fixture_bytes("stream_detail_true.sse")
    events, error = await collect(Script(Reply(bytewise(body))).client(), io_mode)
    assert error is None
    everything, _ = await collect(Script(Reply([body])).client(), io_mode)
    assert events == everything
    assert isinstance(events[0], FlowNodeStatusEvent)


async def test_an_error_after_the_first_event_raises_from_the_iteration(io_mode: str) -> None:
    events, error = await collect(Script(Reply([fixture_bytes("stream_error.sse")])).client(), io_mode)
    assert [type(e) for e in events] == [FlowNodeStatusEvent, AnswerEvent]
    assert isinstance(error, StreamError)


async def test_entering_twice_sends_once(io_mode: str) -> None:
    script = Script(Reply([fixture_bytes("stream_detail_true.sse")]))
    client = script.client()
    if io_mode == "sync":
        stream = client.chat.chat_stream(question())
        with stream, stream:
            result = stream.get_final_response()
    else:
        astream = client.chat.achat_stream(question())
        async with astream, astream:
            result = await astream.get_final_response()
    assert len(script.requests) == 1
    assert result.answer
