"""The two stream limits users can set: `max_event_bytes` (one event's size) and `stream_idle_timeout`
(time without an event other than FastGPT's empty heartbeat).

Here: the settings themselves, a 1 GiB line fed lazily (memory stays bounded, the error comes after
about the limit), and the idle logic of `ChatStreamDecoder` on an injected clock. The idle timeout against a
real server is in test_faults.py.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest
from conftest import API_KEY, APP_ID

from fastgpt_oapi import (
    APITimeoutError,
    Client,
    FastGPTError,
    RequestOption,
    RequestValidationError,
    StreamError,
    StreamEventTooLargeError,
)
from fastgpt_oapi.api.chat.model import (
    AnswerEvent,
    ChatCompletionChunk,
    ChatStreamEvent,
    ChunkChoice,
    ChunkDelta,
    DoneEvent,
    FastAnswerEvent,
    FlowNodeStatus,
    FlowNodeStatusEvent,
)
from fastgpt_oapi.api.chat.stream import ChatStreamDecoder, is_heartbeat
from fastgpt_oapi.core.config import DEFAULT_MAX_EVENT_BYTES
from fastgpt_oapi.core.streaming import StreamOrigin

from ._support import FIGURES, HEARTBEAT, MESSAGES, answer_message, client_for, question, stream
from .fault_server import COMPLETIONS, SSE_HEADERS, Action, FaultServer, Send, Stream, chunk, head

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

# ---- the settings --------------------------------------------------------------------------------------------


def test_defaults() -> None:
    client = Client.builder().api_key(API_KEY).build()
    assert client._config.max_event_bytes == DEFAULT_MAX_EVENT_BYTES == 64 * MIB
    assert client._config.stream_idle_timeout is None


@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_max_event_bytes_must_be_a_positive_whole_number(value: int) -> None:
    with pytest.raises(RequestValidationError, match="max_event_bytes") as caught:
        Client.builder().max_event_bytes(value).build()
    assert caught.value.field == "max_event_bytes"


@pytest.mark.parametrize("value", [0, -1.0])
def test_stream_idle_timeout_must_be_positive(value: float) -> None:
    with pytest.raises(RequestValidationError, match="stream_idle_timeout"):
        Client.builder().stream_idle_timeout(value).build()
    with pytest.raises(ValueError, match="stream_idle_timeout"):
        RequestOption(stream_idle_timeout=value)


def test_the_settings_reach_the_client_its_derivatives_and_one_call() -> None:
    client = Client.builder().api_key(API_KEY).max_event_bytes(4096).stream_idle_timeout(30.0).build()
    assert client._config.max_event_bytes == 4096
    assert client._config.stream_idle_timeout == 30.0
    derived = client.with_options(stream_idle_timeout=5.0)
    assert derived._config.stream_idle_timeout == 5.0
    assert derived._pools is client._pools
    assert client.with_options(timeout=1.0)._config.stream_idle_timeout == 30.0  # unchanged
    option = RequestOption.builder().stream_idle_timeout(2.5).build()
    assert option == RequestOption(stream_idle_timeout=2.5)
    assert (
        Client.builder().api_key(API_KEY).stream_idle_timeout(None).build()._config.stream_idle_timeout
        is None
    )


# ---- a 1 GiB line --------------------------------------------------------------------------------------------------


def endless_event(total: int, piece: int = 64 * KIB) -> Iterator[bytes]:
    """One SSE event `total` bytes long that never ends, made piece by piece: fresh bytes each time,
    as socket reads would give them, and never all in memory at once."""
    yield b"event: flowResponses\ndata: ["
    made = 0
    while made < total:
        yield b"0," * (piece // 2)
        made += piece


def feed_until_error(
    state: ChatStreamDecoder, pieces: Iterator[bytes]
) -> tuple[int, FastGPTError | None, int]:
    """Bytes fed before the state refused more, the error, and the peak of traced memory."""
    fed = 0
    error: FastGPTError | None = None
    tracemalloc.start()
    try:
        for piece in pieces:
            fed += len(piece)
            try:
                list(state.feed(piece))
            except FastGPTError as exc:
                error = exc
                break
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return fed, error, peak


def test_a_1_gib_line_stops_after_the_limit_with_bounded_memory() -> None:
    limit = 1 * MIB
    state = ChatStreamDecoder("chat", "data", max_event_bytes=limit)
    fed, error, peak = feed_until_error(state, endless_event(1 * GIB))
    assert isinstance(error, StreamEventTooLargeError)
    assert isinstance(error, StreamError)  # code catching StreamError still catches it
    assert error.limit == limit
    assert "max_event_bytes" in str(error)
    assert limit < fed <= limit + 128 * KIB  # about the limit, not the gigabyte
    assert peak < 3 * limit, f"peak {peak / MIB:.1f} MiB"
    assert state.error is error  # reading on says the same
    FIGURES.peak("max_event_bytes: peak MiB held for a 1 GiB line (limit 1 MiB)", peak / MIB)


def test_the_memory_check_sees_a_buffer_that_grows() -> None:
    """Control for the test above: under a limit larger than what is fed, the buffer does grow, and
    the same measurement shows it."""
    state = ChatStreamDecoder("chat", "data", max_event_bytes=64 * MIB)
    _, error, peak = feed_until_error(state, endless_event(8 * MIB))
    assert error is None
    assert peak > 8 * MIB


def test_the_default_limit_bounds_a_line_too() -> None:
    state = ChatStreamDecoder("chat", "data")
    fed, error, _ = feed_until_error(state, endless_event(1 * GIB, piece=256 * KIB))
    assert isinstance(error, StreamEventTooLargeError)
    assert error.limit == DEFAULT_MAX_EVENT_BYTES
    assert DEFAULT_MAX_EVENT_BYTES < fed <= DEFAULT_MAX_EVENT_BYTES + 512 * KIB


def endless_line_over_http() -> Action:
    def pieces() -> Iterator[bytes]:
        for piece in endless_event(1 * GIB):
            yield chunk(piece)

    return Action((Send(head(200, SSE_HEADERS, chunked=True)), Stream(pieces)))


async def test_a_1_gib_line_over_a_socket_is_cut_off(io_mode: str) -> None:
    server = FaultServer()
    server.script(COMPLETIONS, endless_line_over_http())
    with server:
        client = client_for(server.url, max_event_bytes=1 * MIB, max_retries=0)
        async with client:
            started = time.monotonic()
            outcome = await stream(client, io_mode)
            elapsed = time.monotonic() - started
        assert isinstance(outcome.error, StreamEventTooLargeError)
        assert elapsed < 5.0
        # The client hung up: the server sent the limit plus what socket buffers hold, not a gigabyte.
        assert server.wait_until_idle()
        assert server.streamed < 1 * MIB + 64 * MIB
    FIGURES.peak("max_event_bytes: MiB a server got out before the client hung up", server.streamed / MIB)


# ---- the idle logic, on an injected clock ---------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fed(state: ChatStreamDecoder, chunk: bytes) -> list[ChatStreamEvent]:
    """The events a chunk brought, as a stream delivers them: all of them, before any failure."""
    events: list[ChatStreamEvent] = []
    try:
        events.extend(state.feed(chunk))
    except FastGPTError:
        assert state.error is not None  # kept, for a later read to raise again
    return events


def idle_state(seconds: float) -> tuple[ChatStreamDecoder, Clock]:
    clock = Clock()
    state = ChatStreamDecoder("chat", "data", idle_timeout=seconds, clock=clock)
    state.start(StreamOrigin())
    return state, clock


def test_heartbeats_alone_do_not_keep_an_idle_stream_alive() -> None:
    state, clock = idle_state(10.0)
    for _ in range(9):
        clock.now += 1.0
        assert len(fed(state, HEARTBEAT)) == 1
        assert state.error is None
    clock.now += 1.0  # ten seconds of nothing but heartbeats
    events = fed(state, HEARTBEAT)
    assert len(events) == 1  # the events of the chunk are still handed out ...
    assert isinstance(state.error, APITimeoutError)  # ... and then the stream fails
    assert "stream_idle_timeout" in str(state.error)


def test_any_other_event_restarts_the_window() -> None:
    state, clock = idle_state(10.0)
    for message in [
        answer_message("a"),
        MESSAGES[0],
        b'event: x-new\ndata: {"a":1}\n\n',
        b"data: [DONE]\n\n",
    ]:
        clock.now += 9.0
        fed(state, HEARTBEAT)
        clock.now += 0.9
        fed(state, message)  # just in time, every time
        assert state.error is None
    clock.now += 9.9
    fed(state, HEARTBEAT)
    assert state.error is None
    clock.now += 0.1
    fed(state, b"event: answer\n")  # bytes without a whole event count as nothing either
    assert isinstance(state.error, APITimeoutError)


def test_the_window_starts_when_reading_starts() -> None:
    state, clock = idle_state(5.0)
    clock.now += 60.0  # the stream object waited a minute before anyone read it
    state.start(StreamOrigin())
    clock.now += 4.0
    fed(state, HEARTBEAT)
    assert state.error is None


def test_no_idle_timeout_no_watch() -> None:
    state = ChatStreamDecoder(
        "chat", "data", clock=lambda: pytest.fail("the clock is not read without stream_idle_timeout")
    )
    state.start(StreamOrigin())
    for _ in range(3):
        fed(state, HEARTBEAT)
    assert state.error is None


def test_the_idle_timeout_caps_the_read_timeout_only_when_shorter() -> None:
    client = Client.builder().api_key(API_KEY).app_id(APP_ID).timeout(60.0).build()
    capped = client.chat.chat_stream(question(), RequestOption(stream_idle_timeout=5.0))
    assert capped._call.timeout == httpx.Timeout(60.0, read=5.0, connect=5.0, pool=5.0)
    longer = client.chat.chat_stream(question(), RequestOption(stream_idle_timeout=120.0))
    assert longer._call.timeout == httpx.Timeout(60.0, connect=5.0, pool=5.0)
    plain = client.chat.chat_stream(question())
    assert plain._call.timeout == httpx.Timeout(60.0, connect=5.0, pool=5.0)


def chunk_event(
    content: str | None = "", reasoning: str | None = None, finish: str | None = None
) -> AnswerEvent:
    choice = ChunkChoice(
        delta=ChunkDelta(role="assistant", content=content, reasoning_content=reasoning), finish_reason=finish
    )
    return AnswerEvent(data=ChatCompletionChunk(choices=[choice]))


def test_what_counts_as_a_heartbeat() -> None:
    assert is_heartbeat(chunk_event(""))
    assert is_heartbeat(chunk_event(None))
    assert is_heartbeat(AnswerEvent(data=ChatCompletionChunk(choices=[])))
    assert is_heartbeat(FastAnswerEvent(data=ChatCompletionChunk(choices=[])))
    assert not is_heartbeat(chunk_event("x"))
    assert not is_heartbeat(chunk_event(None, reasoning="thinking"))
    assert not is_heartbeat(chunk_event(None, finish="stop"))  # the stop chunk ends the answer
    assert not is_heartbeat(DoneEvent())
    assert not is_heartbeat(FlowNodeStatusEvent(data=FlowNodeStatus(status="running", name="n")))
