"""1. Stream decode cost per event, client CPU only (an injected httpx transport replays the bytes).

Contenders, each reading the whole body and adding up the answer text it finds:

- fastgpt-oapi: `client.chat.chat_stream(request)`, typed events (detail stream).
- raw: `httpx` `iter_lines()`, `event:` / `data:` prefixes, `json.loads` (detail stream, untyped).
- httpx-sse: `EventSource.iter_sse()` + `json.loads` (detail stream, untyped).
- openai: `client.chat.completions.create(stream=True)` on the equivalent plain (detail=false) stream,
  which has the same answer chunks without the workflow events.

Figures are per SSE message on the wire. Two chunkings of the same bytes: as FastGPT writes them (one
chunk per write: the `event:` line and the `data:` line apart, what a token-paced stream delivers) and
64 KiB reads (a replay, or a stream read faster than it is written).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx

from fastgpt_oapi import Client
from fastgpt_oapi.api.chat.model import AnswerEvent, ChatCompletionRequest, ChatMessage, FastAnswerEvent

from .harness import Row, at_least, at_most, installed, interleave, median_ratio, times
from .workloads import (
    CHAT_PATH,
    CHAT_VERSION,
    ReplayTransport,
    Wire,
    chunked,
    message_count,
    render,
    transcript,
)

__all__ = ["run"]

BASE_URL = "http://fastgpt.bench"
API_KEY = "fastgpt-bench-key"
APP_ID = "be0c0000000000000000000f"
QUESTION = "上海天气"

# A contender reads one whole stream; it returns (SSE messages it saw, answer characters it found).
Reader = Callable[[], tuple[int, int]]


def _sdk(wire: Wire, stack: ExitStack) -> Reader:
    client = stack.enter_context(
        Client.builder()
        .base_url(BASE_URL)
        .api_key(API_KEY)
        .app_id(APP_ID)
        .transport(ReplayTransport(wire.headers, wire.chunks))
        .completions_version(CHAT_VERSION)
        .build()
    )

    def read() -> tuple[int, int]:
        request = ChatCompletionRequest(messages=[ChatMessage.user(QUESTION)], detail=True)
        seen = chars = 0
        with client.chat.chat_stream(request) as stream:
            for event in stream:
                seen += 1
                if isinstance(event, (AnswerEvent, FastAnswerEvent)):
                    chars += len(event.text)
        return seen, chars

    return read


def _body(detail: bool) -> dict[str, Any]:
    return {
        "appId": APP_ID,
        "stream": True,
        "detail": detail,
        "messages": [{"role": "user", "content": QUESTION}],
    }


_HEADERS = {"Authorization": f"Bearer {API_KEY}", "Accept": "text/event-stream"}


def _raw(wire: Wire, stack: ExitStack) -> Reader:
    http = stack.enter_context(httpx.Client(transport=ReplayTransport(wire.headers, wire.chunks)))

    def read() -> tuple[int, int]:
        seen = chars = 0
        with http.stream("POST", BASE_URL + CHAT_PATH, json=_body(True), headers=_HEADERS) as response:
            response.raise_for_status()
            name = None
            for line in response.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    seen += 1
                    data = line[6:]
                    if data != "[DONE]":
                        payload = json.loads(data)
                        if name in (None, "answer", "fastAnswer") and payload["choices"]:
                            chars += len(payload["choices"][0]["delta"].get("content") or "")
                    name = None
        return seen, chars

    return read


def _httpx_sse(wire: Wire, stack: ExitStack) -> Reader:
    import httpx_sse  # type: ignore[import-not-found,unused-ignore]

    http = stack.enter_context(httpx.Client(transport=ReplayTransport(wire.headers, wire.chunks)))

    def read() -> tuple[int, int]:
        seen = chars = 0
        with httpx_sse.connect_sse(
            http, "POST", BASE_URL + CHAT_PATH, json=_body(True), headers=_HEADERS
        ) as source:
            source.response.raise_for_status()
            for sse in source.iter_sse():
                seen += 1
                if sse.data != "[DONE]":
                    payload = json.loads(sse.data)
                    if sse.event in ("message", "answer", "fastAnswer") and payload["choices"]:
                        chars += len(payload["choices"][0]["delta"].get("content") or "")
        return seen, chars

    return read


def _openai(wire: Wire, stack: ExitStack) -> Reader:
    import openai  # type: ignore[import-not-found,unused-ignore]

    http = stack.enter_context(httpx.Client(transport=ReplayTransport(wire.headers, wire.chunks)))
    # The openai 3.x signature names httpx2's client; it takes an httpx client as well (same speed).
    client = openai.OpenAI(
        api_key=API_KEY,
        base_url=BASE_URL + "/api/v1",
        max_retries=0,
        http_client=http,  # type: ignore[arg-type,unused-ignore]
    )

    def read() -> tuple[int, int]:
        seen = chars = 0
        with client.chat.completions.create(
            model="fastgpt", messages=[{"role": "user", "content": QUESTION}], stream=True
        ) as stream:
            for chunk in stream:
                seen += 1
                if chunk.choices:
                    chars += len(chunk.choices[0].delta.content or "")
        return seen + 1, chars  # + the [DONE] it reads and does not hand out

    return read


def _per_message(read: Reader, messages: int, answer_chars: int, name: str) -> Callable[[], float]:
    def measure() -> float:
        started = time.perf_counter()
        seen, chars = read()
        elapsed = time.perf_counter() - started
        # Every contender must have read the same stream to the end.
        assert (seen, chars) == (messages, answer_chars), (name, seen, chars, messages, answer_chars)
        return elapsed / messages

    return measure


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} us/event"


def run(answers: int = 20_000, rounds: int = 9, read_size: int = 64 * 1024) -> list[Row]:
    turn = transcript(answers)
    detail, plain = render(turn, detail=True), render(turn, detail=False)
    answer_chars = sum(
        len(payload["choices"][0]["delta"]["content"] or "")
        for name, payload in turn.events
        if name == "answer"
    )
    rows: list[Row] = []
    chunkings = [
        ("1a", "as written (a chunk per write)", detail, plain),
        (
            "1b",
            f"{read_size // 1024} KiB reads",
            Wire(detail.headers, chunked(detail.body, read_size)),
            Wire(plain.headers, chunked(plain.body, read_size)),
        ),
    ]
    for number, chunking, detail_wire, plain_wire in chunkings:
        events, plain_events = message_count(detail_wire.body), message_count(plain_wire.body)
        with ExitStack() as stack:
            contenders: list[tuple[str, Callable[[], float]]] = [
                (
                    "fastgpt-oapi",
                    _per_message(_sdk(detail_wire, stack), events, answer_chars, "fastgpt-oapi"),
                ),
                ("raw", _per_message(_raw(detail_wire, stack), events, answer_chars, "raw")),
            ]
            if installed("httpx_sse"):
                reader = _httpx_sse(detail_wire, stack)
                contenders.append(("httpx-sse", _per_message(reader, events, answer_chars, "httpx-sse")))
            if installed("openai"):
                reader = _openai(plain_wire, stack)
                contenders.append(("openai", _per_message(reader, plain_events, answer_chars, "openai")))
            results = interleave(contenders, rounds)
        ours = results["fastgpt-oapi"]
        label = f"decode per event, {events} events, {chunking}"
        mine = _us(statistics.median(ours))
        ratio = median_ratio(ours, results["raw"])
        rows.append(
            Row(
                number,
                label,
                mine,
                "raw iter_lines + json.loads",
                _us(statistics.median(results["raw"])),
                times(ratio, 1.25),
                "<= 1.25x",
                at_most(ratio, 1.25),
            )
        )
        if "httpx-sse" in results:
            ratio = median_ratio(ours, results["httpx-sse"])
            rows.append(
                Row(
                    number,
                    label,
                    mine,
                    "httpx-sse + json.loads",
                    _us(statistics.median(results["httpx-sse"])),
                    times(ratio, 1.0),
                    "<= 1.00x",
                    at_most(ratio, 1.0),
                )
            )
        else:
            rows.append(Row(number, label, mine, "httpx-sse + json.loads", result="skipped (not installed)"))
        if "openai" in results:
            speedup = median_ratio(results["openai"], ours)
            rows.append(
                Row(
                    number,
                    label,
                    mine,
                    "openai SDK, detail=false",
                    _us(statistics.median(results["openai"])),
                    f"{speedup:.1f}x faster",
                    ">= 20x faster",
                    at_least(speedup, 20.0),
                )
            )
        else:
            rows.append(
                Row(number, label, mine, "openai SDK, detail=false", result="skipped (not installed)")
            )
    return rows
