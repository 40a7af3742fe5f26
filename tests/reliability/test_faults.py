"""Faults over real loopback sockets, each call made sync and async.

Every fault ends in the exception class the contract names (exactly that class), within a time bound,
or in success; the server's counts show how many times each request was sent, and that no completion
was ever begun twice. Waits between retries go through the client's injectable sleep (recorded, not
slept) except in the one test that checks a real Retry-After wait.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from fastgpt_oapi import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    FastGPTError,
    InternalServerError,
    RateLimitError,
    RequestOption,
)
from fastgpt_oapi.api.chat.model import ChatCompletionResponse, ChatStreamEvent
from fastgpt_oapi.api.chat.stream import is_heartbeat
from fastgpt_oapi.api.chat_history.model import ChatInitResponse

from ._support import (
    ANSWER,
    FIGURES,
    HEARTBEAT,
    MESSAGES,
    OPS,
    PATHS,
    Attempt,
    Op,
    answer_message,
    assert_key_hidden,
    attempt,
    call,
    client_for,
    exception_text,
    ok,
    stream,
)
from .fault_server import (
    COMPLETIONS,
    LAST_CHUNK,
    SSE_HEADERS,
    Action,
    Beat,
    Close,
    FaultServer,
    Pause,
    Reset,
    Send,
    Stall,
    Step,
    chunk,
    head,
    json_reply,
    refuse,
    reply,
    reset,
    sse,
    stall,
)

HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    b"</center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n"
)
SERVER_ERROR = {"code": 500, "statusText": "", "message": "workflow crashed", "data": None}
NOT_JSON = b"<!DOCTYPE html><html><body>Welcome to FastGPT</body></html>"
TOO_DEEP = b"[" * 100_000
SLOW = 0.4  # the read timeout (or idle timeout) of the tests that stall
MARGIN = 1.5  # what a loaded CI machine may add to a bound


def truncated(op: Op) -> tuple[Action, ...]:
    if op == "stream":
        return (sse(*MESSAGES[:4], then=(Close(),)),)  # chunked, and the last chunk never comes
    promised = head(200, {"Content-Type": "application/json"}, length=1000)
    return (Action((Send(promised + b'{"id":"kzYq3Xw1N2b8pQm4RtUv5aBc","choices":['), Close())),)


@dataclass(frozen=True)
class Fault:
    name: str
    script: Callable[[Op], tuple[Action, ...]]
    expect: type[FastGPTError] | None  # None: the call succeeds
    tries: Callable[[Op], int]  # requests the server must see
    bound: float  # seconds the call may take
    settings: dict[str, Any] = field(default_factory=dict)
    waits: tuple[float, ...] | None = None  # the retry waits the client must have asked for


def once(op: Op) -> int:
    return 1


FAULTS = [
    Fault("reset before headers", lambda op: (reset(),), APIConnectionError, once, MARGIN),
    Fault(
        "stall before headers",
        lambda op: (stall(),),
        APITimeoutError,
        lambda op: 2 if op == "read" else 1,  # only a GET is sent again after a timeout
        2 * SLOW + MARGIN,
        {"timeout": SLOW, "max_retries": 1},
    ),
    Fault(
        "429 with Retry-After, then success",
        lambda op: (refuse(429, retry_after="1"), ok(op)),
        None,
        lambda op: 2,
        MARGIN,
        waits=(1.0,),
    ),
    Fault(
        "429 every time",
        lambda op: (refuse(429, retry_after="1"),),
        RateLimitError,
        lambda op: 3,
        MARGIN,
        waits=(1.0, 1.0),
    ),
    Fault("503, then success", lambda op: (refuse(503), ok(op)), None, lambda op: 2, MARGIN),
    Fault("500", lambda op: (json_reply(500, SERVER_ERROR),), InternalServerError, once, MARGIN),
    Fault(
        "HTML 502 from a proxy",
        lambda op: (reply(502, HTML_502, content_type="text/html"),),
        InternalServerError,
        lambda op: 3 if op == "read" else 1,  # a completion is never sent again after a 502
        MARGIN,
    ),
    Fault(
        "200 with a non-JSON body",
        lambda op: (reply(200, NOT_JSON, content_type="text/html"),),
        APIResponseValidationError,
        once,
        MARGIN,
    ),
    Fault(
        "200 with JSON nested too deep",
        lambda op: (reply(200, TOO_DEEP),),
        APIResponseValidationError,
        once,
        MARGIN,
    ),
    Fault("truncated body", truncated, APIConnectionError, once, MARGIN),
]


def check_success(op: Op, result: object) -> None:
    if op == "blocking":
        assert isinstance(result, ChatCompletionResponse)
        assert result.answer == "ok"
    elif op == "stream":
        assert result is not None
        final = getattr(result, "result", None)
        assert final is not None
        assert final.answer == ANSWER
    else:
        assert isinstance(result, ChatInitResponse)
        assert result.title == "导演是谁"


def check_failure(fault: Fault, outcome: Attempt) -> None:
    assert fault.expect is not None
    assert type(outcome.error) is fault.expect, repr(outcome.error)
    assert_key_hidden(exception_text(outcome.error))


def record(name: str, server: FaultServer, outcome: Attempt, bound: float) -> None:
    assert outcome.elapsed < bound, f"{name}: {outcome.elapsed:.2f} s, bound {bound} s"
    twice = server.sent_twice()
    assert twice == 0
    FIGURES.count("faults: scenarios run and survived")
    FIGURES.count("faults: requests sent", len(server.requests))
    FIGURES.count("faults: completions begun twice", twice)
    FIGURES.peak("faults: slowest scenario, s", outcome.elapsed)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
async def test_fault(fault: Fault, op: Op, io_mode: str) -> None:
    server = FaultServer()
    server.script(PATHS[op], *fault.script(op))
    with server:
        waits: list[float] = []
        client = client_for(server.url, **{"max_retries": 2, **fault.settings}, sleeps=waits)
        async with client:
            outcome = await attempt(lambda: call(client, op, io_mode))
    if fault.expect is None:
        assert outcome.error is None, repr(outcome.error)
        check_success(op, outcome.result)
    else:
        check_failure(fault, outcome)
    assert server.count(PATHS[op]) == fault.tries(op)
    if fault.waits is not None:
        assert waits == list(fault.waits)
    assert len(waits) == fault.tries(op) - 1
    record(fault.name, server, outcome, fault.bound)


@pytest.mark.parametrize("op", OPS)
async def test_connection_refused(op: Op, io_mode: str) -> None:
    # A port bound but not listening refuses connections, and nothing else can take it meanwhile.
    with socket.socket() as closed_port:
        closed_port.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed_port.getsockname()[1]}"
        waits: list[float] = []
        client = client_for(url, max_retries=2, sleeps=waits)
        async with client:
            outcome = await attempt(lambda: call(client, op, io_mode))
    assert type(outcome.error) is APIConnectionError, repr(outcome.error)
    assert len(waits) == 2  # the request never left: safe to try again, completions included
    assert outcome.elapsed < MARGIN
    FIGURES.count("faults: scenarios run and survived")


async def test_a_real_retry_after_wait(io_mode: str) -> None:
    """The recorded waits above are really slept: 429 with `Retry-After: 1`, then success."""
    server = FaultServer()
    server.script(COMPLETIONS, refuse(429, retry_after="1"), ok("blocking"))
    with server:
        async with client_for(server.url, real_sleeps=True) as client:
            outcome = await attempt(lambda: call(client, "blocking", io_mode))
    assert outcome.error is None
    assert outcome.elapsed >= 1.0
    assert server.count(COMPLETIONS) == 2
    record("real Retry-After", server, outcome, 1.0 + MARGIN)


# ---- faults in the middle of a stream ----------------------------------------------------------------------


def beats(count: int, every: float) -> list[Step]:
    steps: list[Step] = []
    for _ in range(count):
        steps += [Pause(every), Send(chunk(HEARTBEAT))]
    return steps


def paced(every: float, texts: list[str], beat: float) -> Action:
    """Answer chunks `every` seconds apart with heartbeats `beat` seconds apart in between, then the end."""
    steps: list[Step] = [Send(head(200, SSE_HEADERS, chunked=True))]
    for text in texts:
        steps += beats(round(every / beat), beat)
        steps.append(Send(chunk(answer_message(text))))
    steps += [Send(chunk(b"data: [DONE]\n\n")), Send(LAST_CHUNK)]
    return Action(tuple(steps))


@dataclass(frozen=True)
class StreamFault:
    name: str
    action: Action
    expect: type[FastGPTError] | None
    bound: float
    at_least: float = 0.0  # seconds the stream must have lasted (it was not given up early)
    settings: dict[str, Any] = field(default_factory=dict)
    option: RequestOption | None = None
    events: int | None = None  # events delivered before the failure
    answer: str = ANSWER
    message: str | None = None


STREAM_FAULTS = [
    StreamFault(
        "reset mid-stream",
        sse(*MESSAGES[:3], then=(Pause(0.05), Reset())),
        APIConnectionError,
        MARGIN,
        events=3,
    ),
    StreamFault(
        "truncated inside a chunk",
        Action(
            (
                Send(head(200, SSE_HEADERS, chunked=True) + chunk(MESSAGES[0]) + b"400\r\nevent: answer"),
                Close(),
            )
        ),
        APIConnectionError,
        MARGIN,
        events=1,
    ),
    StreamFault(
        "complete body without [DONE]",
        sse(*MESSAGES[:-1]),
        APIConnectionError,
        MARGIN,
        events=len(MESSAGES) - 1,
        message="before [DONE]",
    ),
    StreamFault(
        "stall mid-stream: read timeout",
        sse(*MESSAGES[:3], then=(Stall(),)),
        APITimeoutError,
        SLOW + MARGIN,
        at_least=SLOW,
        settings={"timeout": SLOW},
        events=3,
    ),
    StreamFault(
        "heartbeats outlive the read timeout",
        Action(
            (
                *sse(*MESSAGES[:3], then=()).steps,
                *beats(12, 0.1),  # 1.2 s: twice the read timeout
                *(Send(chunk(m)) for m in MESSAGES[3:]),
                Send(LAST_CHUNK),
            )
        ),
        None,
        1.2 + MARGIN,
        at_least=1.2,
        settings={"timeout": 0.6},
    ),
    StreamFault(
        "heartbeats forever: idle timeout",
        sse(*MESSAGES[:3], then=(Beat(chunk(HEARTBEAT), 0.05),)),
        APITimeoutError,
        SLOW + MARGIN,
        at_least=SLOW,
        settings={"timeout": 30.0, "stream_idle_timeout": SLOW},
        events=3,
        message="stream_idle_timeout",
    ),
    StreamFault(
        "answers between heartbeats keep the idle timeout away",
        paced(0.3, ["上海", "今天", "多云", "，", "气温", "26℃"], 0.05),  # 1.8 s in all
        None,
        1.8 + MARGIN,
        at_least=1.8,
        settings={"timeout": 30.0, "stream_idle_timeout": 0.8},
        answer="上海今天多云，气温26℃",
    ),
    StreamFault(
        "total stall: idle timeout",
        sse(*MESSAGES[:3], then=(Stall(),)),
        APITimeoutError,
        2 * SLOW + MARGIN,  # documented: at most twice the window after the last event
        at_least=SLOW,
        settings={"timeout": 30.0, "stream_idle_timeout": SLOW},
        events=3,
        message="stream_idle_timeout",
    ),
    StreamFault(
        "stall before headers: idle timeout",
        stall(),
        APITimeoutError,
        SLOW + MARGIN,
        at_least=SLOW,
        settings={"timeout": 30.0, "stream_idle_timeout": SLOW},
        events=0,
    ),
    StreamFault(
        "idle timeout for one call",
        sse(*MESSAGES[:3], then=(Beat(chunk(HEARTBEAT), 0.05),)),
        APITimeoutError,
        SLOW + MARGIN,
        at_least=SLOW,
        settings={"timeout": 30.0},
        option=RequestOption(stream_idle_timeout=SLOW),
        events=3,
        message="stream_idle_timeout",
    ),
]


@pytest.mark.parametrize("fault", STREAM_FAULTS, ids=[f.name for f in STREAM_FAULTS])
async def test_stream_fault(fault: StreamFault, io_mode: str) -> None:
    server = FaultServer(limit=10.0)
    server.script(COMPLETIONS, fault.action)
    with server:
        client = client_for(server.url, **{"max_retries": 2, **fault.settings})
        async with client:
            started = time.monotonic()
            outcome = await stream(client, io_mode, fault.option)
            elapsed = time.monotonic() - started
    if fault.expect is None:
        assert outcome.error is None, repr(outcome.error)
        assert outcome.result is not None
        assert outcome.result.answer == fault.answer
    else:
        assert type(outcome.error) is fault.expect, repr(outcome.error)
        assert_key_hidden(exception_text(outcome.error))
        if fault.message is not None:
            assert fault.message in str(outcome.error)
        if fault.events is not None:
            events = [e for e in outcome.events if not is_heartbeat(e)]
            assert len(events) == fault.events
            assert_delivered_in_order(events)
    assert elapsed >= fault.at_least
    assert server.count(COMPLETIONS) == 1  # never sent again once it may have started
    record(fault.name, server, Attempt(None, outcome.error, elapsed), fault.bound)


def assert_delivered_in_order(events: list[ChatStreamEvent]) -> None:
    """The events before a failure are the first events of the stream, as sent."""
    sent = [m.split(b"\n", 1)[0].removeprefix(b"event: ").decode() for m in MESSAGES[: len(events)]]
    assert [e.event for e in events] == sent


async def test_status_errors_carry_the_proxy_body(io_mode: str) -> None:
    """The HTML a proxy sends is quoted (shortened) in the exception, with the status."""
    server = FaultServer()
    server.script(COMPLETIONS, reply(502, HTML_502, content_type="text/html"))
    with server:
        async with client_for(server.url) as client:
            outcome = await attempt(lambda: call(client, "blocking", io_mode))
    error = outcome.error
    assert isinstance(error, APIStatusError)
    assert error.http_status == 502
    assert "502 Bad Gateway" in str(error)
    record("HTML 502 body", server, outcome, MARGIN)
