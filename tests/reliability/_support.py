"""Shared by the reliability tests: the three kinds of call they make (a blocking completion, a stream,
a GET) through the sync or the async shell, the figures they report, and probes of pool and process
state. Everything goes through real sockets and real httpx; nothing here patches the SDK.
"""

from __future__ import annotations

import gc
import os
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import httpx
from chat._support import Outcome, run_stream
from conftest import API_KEY, APP_ID, COMPLETION_OK, complete, fixture_bytes, fixture_json, sleep_hooks
from hypothesis import HealthCheck, settings

from fastgpt_oapi import Client, RequestOption
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.api.chat_history.model import GetChatInitRequest

from .fault_server import COMPLETIONS, Action, json_reply, sse

Op = Literal["blocking", "stream", "read"]
OPS: tuple[Op, ...] = ("blocking", "stream", "read")

CHAT_INIT = "/api/core/chat/init"
PATHS: dict[Op, str] = {"blocking": COMPLETIONS, "stream": COMPLETIONS, "read": CHAT_INIT}

BODY = fixture_bytes("stream_detail_true.sse")
MESSAGES = [m + b"\n\n" for m in BODY.split(b"\n\n") if m]
ANSWER = "上海今天多云，气温 26℃。"  # the answer text of BODY
HEARTBEAT = (
    b'event: answer\ndata: {"id":"","object":"","created":0,"model":"","choices":[{"delta":'
    b'{"role":"assistant","content":""},"index":0,"finish_reason":null}]}\n\n'
)
ERROR_EVENT = b'event: error\ndata: {"message":"network error"}\n\n'


def answer_message(text: str) -> bytes:
    """A detail=true `answer` message carrying `text`."""
    delta = text.replace("\\", "\\\\").replace('"', '\\"')
    return (
        b'event: answer\ndata: {"id":"","object":"","created":0,"model":"","choices":[{"delta":'
        b'{"role":"assistant","content":"' + delta.encode() + b'"},"index":0,"finish_reason":null}]}\n\n'
    )


def ok(op: Op) -> Action:
    """The successful answer to each kind of call."""
    if op == "blocking":
        return json_reply(200, COMPLETION_OK)
    if op == "stream":
        return sse(*MESSAGES)
    return json_reply(200, fixture_json("chat_init.json"))


def question(text: str = "Weather in Shanghai?") -> ChatCompletionRequest:
    return ChatCompletionRequest(messages=[ChatMessage.user(text)], detail=True)


def client_for(
    url: str, *, sleeps: list[float] | None = None, real_sleeps: bool = False, **settings: Any
) -> Client:
    """A client on `url` with the test key and app; `settings` are builder methods and their values.
    Retry waits are recorded in `sleeps` and not slept, unless `real_sleeps`."""
    builder = Client.builder().base_url(url).api_key(API_KEY).app_id(APP_ID)
    for name, value in settings.items():
        builder = getattr(builder, name)(value)
    return builder.build(_hooks=None if real_sleeps else sleep_hooks(sleeps))


async def call(client: Client, op: Op, mode: str, option: RequestOption | None = None) -> object:
    """Make one call of kind `op`; return its result or raise what it raised."""
    if op == "blocking":
        return await complete(client, mode, question(), option)
    if op == "stream":
        outcome = await stream(client, mode, option)
        if outcome.error is not None:
            raise outcome.error
        return outcome
    request = GetChatInitRequest(chat_id="kzYq3Xw1N2b8pQm4RtUv5aBc")
    if mode == "sync":
        return client.chat_history.get_chat_init(request, option)
    return await client.chat_history.aget_chat_init(request, option)


async def stream(client: Client, mode: str, option: RequestOption | None = None) -> Outcome:
    """Read a stream to its end: the events delivered, and the result or the error."""
    try:
        return await run_stream(client, question(), mode, option)
    except Exception as exc:  # raised on opening it, before any event
        return Outcome([], None, exc)


@dataclass
class Attempt:
    result: object
    error: BaseException | None
    elapsed: float


async def attempt(make: Callable[[], Awaitable[object]]) -> Attempt:
    started = time.monotonic()
    try:
        result = await make()
    except Exception as exc:
        return Attempt(None, exc, time.monotonic() - started)
    return Attempt(result, None, time.monotonic() - started)


def exception_text(exc: BaseException) -> str:
    """Everything an exception shows: str, repr, args and the whole chain as a traceback prints it."""
    return "\n".join([str(exc), repr(exc), repr(exc.args), *traceback.format_exception(exc)])


def assert_key_hidden(text: str, *keys: str) -> None:
    for key in (API_KEY, *keys):
        assert key not in text
        assert key[8:20] not in text  # not even a slice of it


# ---- pool and process state ---------------------------------------------------------------------------


def pool_connections(client: Client) -> list[Any]:
    """The httpcore connections of the client's own pools (sync and async), as httpcore lists them."""
    pools = client._pools
    found: list[Any] = []
    for http in (pools._sync, pools._async):
        if http is None:
            continue
        transport = cast("httpx.HTTPTransport | httpx.AsyncHTTPTransport", http._transport)
        found.extend(transport._pool.connections)
    return found


def checked_out(client: Client) -> int:
    """Connections a request holds right now: neither idle in the pool nor closed."""
    return sum(1 for c in pool_connections(client) if not c.is_idle() and not c.is_closed())


PROC_FD = Path("/proc/self/fd")


def open_fds() -> int:
    """File descriptors this process has open (Linux)."""
    return len(os.listdir(PROC_FD))


def settled_fds(baseline: int, timeout: float = 5.0) -> int:
    """The open descriptor count once it has come down to `baseline` (or `timeout` passed): server
    threads close their side of a connection a moment after the client closed its own."""
    ends = time.monotonic() + timeout
    while True:
        gc.collect()
        count = open_fds()
        if count <= baseline or time.monotonic() > ends:
            return count
        time.sleep(0.02)


# ---- figures -----------------------------------------------------------------------------------------------


class Figures:
    """What the reliability tests measured in this run; printed at the end of the session."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.peaks: dict[str, float] = {}
        self.seconds = 0.0

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] += n

    def peak(self, name: str, value: float) -> None:
        self.peaks[name] = max(value, self.peaks.get(name, value))

    def report(self) -> dict[str, float]:
        return {**self.counts, **{name: round(value, 3) for name, value in self.peaks.items()}}


FIGURES = Figures()

# Hypothesis: a bounded number of examples, no per-example deadline (CI machines are slow), no example
# database written into the working tree. RELIABILITY_EXAMPLES raises the budget for a longer hunt.
# Under CI the examples are derandomized, so a landing is judged on the same cases every time; local
# runs keep drawing new ones, which is how bugs get found.
PROPERTIES = settings(
    max_examples=int(os.environ.get("RELIABILITY_EXAMPLES", "150")),
    derandomize=os.environ.get("CI") == "true",
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
