"""The stream decoder's properties, checked with hypothesis.

1. Any valid SSE transcript (event names, JSON payloads with non-ASCII text, data-only messages,
   multi-line data, comments, ignored fields; LF, CRLF, CR or a mix), cut into chunks anywhere,
   decodes to the messages the SSE rules say it holds; the same at the level of typed FastGPT events.
2. Arbitrary bytes, cut anywhere, never make a stream raise anything but the SDK's own exceptions:
   through `ChatStreamDecoder`, and through a whole `ChatStream` / `AsyncChatStream`.

The expected messages are computed here from the generated structure, not by the SDK.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import warnings
from dataclasses import dataclass
from typing import Any

import hypothesis.strategies as st
import pytest
from chat._support import Reply, Script
from hypothesis import given

from fastgpt_oapi import FastGPTError, ResponseDriftWarning
from fastgpt_oapi.api.chat.model import (
    EVENT_TYPES,
    AnswerEvent,
    ChatCompletionRequest,
    ChatMessage,
    ChatStreamEvent,
    FastAnswerEvent,
    FlowNodeStatusEvent,
    UnknownEvent,
    UpdateVariablesEvent,
)
from fastgpt_oapi.api.chat.stream import ChatStreamDecoder, is_heartbeat
from fastgpt_oapi.core.sse import SSEDecoder, SSEMessage

from ._support import FIGURES, PROPERTIES

ENDINGS = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}

# Text that may appear on one line: anything but CR and LF (and lone surrogates, which UTF-8 cannot
# carry), so non-ASCII, NUL, U+2028 and friends included.
line_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=24)
plain_key = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=16),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(plain_key, inner, max_size=4),
    max_leaves=12,
)


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def cut(body: bytes, points: list[int]) -> list[bytes]:
    """`body` cut at the given positions (taken modulo its length)."""
    if not body:
        return [body]
    marks = sorted({p % len(body) for p in points} | {0, len(body)})
    return [body[a:b] for a, b in itertools.pairwise(marks)]


cut_points = st.lists(st.integers(min_value=0, max_value=10**6), max_size=40)


def spec_value(raw: str) -> str:
    """The SSE rule for a field's value: drop one leading space."""
    return raw[1:] if raw.startswith(" ") else raw


# ---- 1. valid transcripts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    event: str | None  # the raw text after `event:`, or None for no event line
    data: tuple[str, ...]  # the raw text after each `data:`
    event_at: int  # where the event line goes among the data lines
    comments: tuple[str, ...]
    ignored: tuple[str, ...]  # `id:` / `retry:` lines
    space: bool  # write `field: value` (True) or `field:value`
    extra_blank_lines: int

    def lines(self) -> list[str]:
        sep = ": " if self.space else ":"
        out = [f":{c}" for c in self.comments] + list(self.ignored)
        data = [f"data{sep}{d}" for d in self.data]
        if self.event is not None:
            data.insert(min(self.event_at, len(data)), f"event{sep}{self.event}")
        return out + data

    def expected(self) -> SSEMessage | None:
        if not self.data:
            return None  # nothing to dispatch, and the event name does not carry over
        value = (lambda raw: spec_value(raw)) if not self.space else (lambda raw: raw)
        event = value(self.event).encode() if self.event is not None else None
        return SSEMessage(event or None, b"\n".join(value(d).encode() for d in self.data))


@st.composite
def messages(draw: st.DrawFn) -> Message:
    data: tuple[str, ...] = draw(
        st.one_of(
            st.tuples(json_values.map(as_json)),  # FastGPT's shape: one JSON document
            st.lists(line_text, min_size=0, max_size=3).map(tuple),  # multi-line text, or none
        )
    )
    event = draw(st.none() | st.sampled_from(sorted(EVENT_TYPES)) | line_text)
    comments = tuple(draw(st.lists(line_text, max_size=2)))
    ignored = tuple(draw(st.lists(st.sampled_from(["id: 7", "retry: 1000", "id", "unknown: x"]), max_size=2)))
    if not data and event is None and not comments and not ignored:
        comments = ("keep-alive",)  # a message is at least one line
    return Message(
        event=event,
        data=data,
        event_at=draw(st.integers(0, 3)),
        comments=comments,
        ignored=ignored,
        space=draw(st.booleans()),
        extra_blank_lines=draw(st.integers(0, 2)),
    )


@st.composite
def transcripts(draw: st.DrawFn) -> tuple[bytes, list[SSEMessage]]:
    """A transcript and the messages it holds. Line endings are one style throughout, or each message
    its own style (a CR ending never precedes an LF one: CR then LF is a single CRLF ending)."""
    items = draw(st.lists(messages(), max_size=8))
    style = draw(st.sampled_from(["lf", "crlf", "cr", "mixed"]))
    parts: list[str] = []
    for item in items:
        ending = ENDINGS[draw(st.sampled_from(sorted(ENDINGS))) if style == "mixed" else style]
        parts.append("".join(line + ending for line in item.lines()) + ending * (1 + item.extra_blank_lines))
    body = "".join(parts).encode()
    expected = [m for m in (item.expected() for item in items) if m is not None]
    return body, expected


def decode_all(chunks: list[bytes]) -> list[SSEMessage]:
    decoder = SSEDecoder()
    out: list[SSEMessage] = []
    for piece in chunks:
        out.extend(decoder.feed(piece))
    out.extend(decoder.flush())
    return out


@PROPERTIES
@given(transcripts(), cut_points)
def test_any_valid_transcript_in_any_chunking_decodes_to_its_messages(
    transcript: tuple[bytes, list[SSEMessage]], points: list[int]
) -> None:
    FIGURES.count("decoder: valid transcripts x chunkings")
    body, expected = transcript
    assert decode_all([body]) == expected
    assert decode_all(cut(body, points)) == expected
    assert decode_all([body[i : i + 1] for i in range(len(body))]) == expected


@PROPERTIES
@given(transcripts(), cut_points)
def test_a_byte_order_mark_before_any_transcript_changes_nothing(
    transcript: tuple[bytes, list[SSEMessage]], points: list[int]
) -> None:
    FIGURES.count("decoder: transcripts behind a byte-order mark x chunkings")
    body, expected = transcript
    marked = b"\xef\xbb\xbf" + body
    assert decode_all([marked]) == expected
    assert decode_all(cut(marked, points)) == expected
    assert decode_all([marked[i : i + 1] for i in range(len(marked))]) == expected


# ---- 1b. the same at the level of typed FastGPT events --------------------------------------------------------

# (kind, text) pairs; the kinds are what a FastGPT stream carries.
fastgpt_items = st.lists(
    st.tuples(
        st.sampled_from(
            ["answer", "data-only", "fastAnswer", "reasoning", "heartbeat", "status", "variables", "unknown"]
        ),
        st.text(max_size=12),
    ),
    max_size=12,
)


def chunk_payload(content: str | None = None, reasoning: str | None = None) -> dict[str, Any]:
    delta: dict[str, Any] = {"role": "assistant"}
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    else:
        delta["content"] = content
    return {
        "id": "",
        "object": "",
        "created": 0,
        "model": "",
        "choices": [{"delta": delta, "index": 0, "finish_reason": None}],
    }


def render_fastgpt(items: list[tuple[str, str]], ending: str) -> tuple[bytes, str, str, dict[str, Any]]:
    """A FastGPT stream and, computed independently, its answer, reasoning and final variables."""
    out: list[str] = []
    answer, reasoning, variables = "", "", {}

    def emit(name: str | None, payload: Any) -> None:
        if name is not None:
            out.append(f"event: {name}{ending}")
        out.append(f"data: {payload if isinstance(payload, str) else as_json(payload)}{ending}{ending}")

    for kind, text in items:
        if kind in ("answer", "data-only", "fastAnswer"):
            emit(
                {"answer": "answer", "data-only": None, "fastAnswer": "fastAnswer"}[kind], chunk_payload(text)
            )
            answer += text
        elif kind == "reasoning":
            emit("answer", chunk_payload(reasoning=text))
            reasoning += text
        elif kind == "heartbeat":
            emit("answer", chunk_payload(""))
        elif kind == "status":
            emit("flowNodeStatus", {"status": "running", "name": text})
        elif kind == "variables":
            emit("updateVariables", {"k": text})
            variables["k"] = text
        else:
            emit("x-" + text.replace("\r", "").replace("\n", ""), {"text": text})
    emit("answer", "[DONE]")
    return "".join(out).encode(), answer, reasoning, variables


def typed(chunks: list[bytes]) -> tuple[list[ChatStreamEvent], ChatStreamDecoder]:
    """The decoder driven the way the sync and async streams drive it: its one way in, `feed`."""
    state = ChatStreamDecoder("chat", "data")
    events: list[ChatStreamEvent] = []
    for piece in chunks:
        events.extend(state.feed(piece))
        assert state.error is None
    events.extend(state.finish())
    if state.error is not None:
        raise state.error
    return events, state


@PROPERTIES
@given(fastgpt_items, st.sampled_from(sorted(ENDINGS)), cut_points)
def test_a_fastgpt_stream_in_any_chunking_gives_the_same_typed_events(
    items: list[tuple[str, str]], ending: str, points: list[int]
) -> None:
    FIGURES.count("decoder: typed streams x chunkings")
    body, answer, reasoning, variables = render_fastgpt(items, ENDINGS[ending])
    whole, _ = typed([body])
    pieces, state = typed(cut(body, points))
    assert pieces == whole
    result = state.result()
    assert result.answer == answer
    assert (result.reasoning or "") == reasoning
    assert (result.new_variables or {}) == variables
    kinds = [kind for kind, _ in items]
    assert sum(isinstance(e, FlowNodeStatusEvent) for e in pieces) == kinds.count("status")
    assert sum(isinstance(e, UpdateVariablesEvent) for e in pieces) == kinds.count("variables")
    unknown = [e for e in pieces if isinstance(e, UnknownEvent)]
    assert [e.data for e in unknown] == [{"text": t} for k, t in items if k == "unknown"]
    # heartbeats are there, and recognisable as such; nothing else is taken for one
    chunks = [e for e in pieces if isinstance(e, (AnswerEvent, FastAnswerEvent))]
    beats = [e for e in chunks if is_heartbeat(e)]
    empty = sum(
        1
        for k, t in items
        if k == "heartbeat" or (k in ("answer", "data-only", "fastAnswer", "reasoning") and not t)
    )
    assert len(beats) == empty


# ---- 2. arbitrary bytes --------------------------------------------------------------------------------------------

# Pieces of FastGPT's wire format, and of broken versions of it, for the fuzzer to combine.
TOKENS = [
    b"event: ",
    b"event:",
    b"data: ",
    b"data:",
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b":",
    b" ",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b'"',
    b"[DONE]",
    b"error",
    b"null",
    b"true",
    b"-1",
    b"1e400",
    b"\xff",
    b"\xc3",
    b"\xe4\xb8\xad",
    b"\\u",
    b'"\\ud800"',
    b"\x00",
    b"[" * 5000,
    b'{"a":' * 3000,
    b"9" * 5000,
    *(name.encode() for name in EVENT_TYPES),
    *(
        f'"{key}"'.encode()
        for key in (
            "choices",
            "delta",
            "content",
            "reasoning_content",
            "finish_reason",
            "tool",
            "id",
            "params",
            "response",
            "toolName",
            "status",
            "name",
            "durationSeconds",
            "title",
            "interactive",
            "type",
            "message",
            "code",
            "statusText",
            "data",
            "nodeId",
            "parentId",
            "childrenResponse",
            "userSelectOptions",
            "inputForm",
            "value",
        )
    ),
]

wire_keys = st.sampled_from(
    [
        "choices",
        "delta",
        "content",
        "tool",
        "id",
        "params",
        "response",
        "status",
        "name",
        "interactive",
        "type",
        "params",
        "message",
        "code",
        "value",
        "nodeId",
        "parentId",
        "0",
    ]
)
shaped_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(wire_keys, inner, max_size=4),
    max_leaves=16,
)
# A known event whose data has the wire's key names in arbitrary shapes: validation and folding
# into the result meet every odd combination.
shaped_events = st.tuples(st.sampled_from([*EVENT_TYPES, "error", "x"]), shaped_json).map(
    lambda pair: f"event: {pair[0]}\ndata: {as_json(pair[1])}\n\n".encode()
)
garbage = st.one_of(
    st.binary(max_size=600),
    st.lists(st.sampled_from(TOKENS) | st.binary(max_size=6), max_size=50).map(b"".join),
    st.lists(shaped_events | st.sampled_from(TOKENS), max_size=8).map(b"".join),
)


@PROPERTIES
@given(garbage, cut_points, st.sampled_from([64, 1024, 1 << 20]), st.booleans())
def test_arbitrary_bytes_raise_only_sdk_exceptions_through_the_decoder(
    body: bytes, points: list[int], limit: int, strict: bool
) -> None:
    """Strict and lenient alike: a lenient decoder repairs what does not fit (`core/drift.py`), and
    that repair meets every odd shape here too. Its warning is not what this property is about."""
    FIGURES.count("decoder: arbitrary byte streams (ChatStreamDecoder)")
    state = ChatStreamDecoder("chat", "data", max_event_bytes=limit, strict=strict)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResponseDriftWarning)
        try:
            for piece in cut(body, points):
                list(state.feed(piece))
                if state.error is not None:
                    raise state.error
            list(state.finish())
            state.result()
        except FastGPTError:
            pass  # anything else propagates and fails the property


CONTENT_TYPES = ["text/event-stream;charset=utf-8", "text/plain", "application/json", "text/html"]


def read_through_client(body: bytes, points: list[int], content_type: str, mode: str) -> None:
    script = Script(Reply(cut(body, points), headers={"content-type": content_type}))
    request = ChatCompletionRequest(messages=[ChatMessage.user("hi")], detail=True)
    client = script.client(max_retries=0, max_event_bytes=4096)

    async def read_async() -> None:
        try:
            async with client.chat.achat_stream(request) as stream:
                await stream.get_final_response()
        finally:
            await client.aclose()

    try:
        if mode == "sync":
            with client, client.chat.chat_stream(request) as stream:
                stream.get_final_response()
        else:
            asyncio.run(read_async())
    except FastGPTError:
        pass
    assert all(s.closed for s in script.streams)  # and the body was released, however it ended


@PROPERTIES
@given(garbage, cut_points, st.sampled_from(CONTENT_TYPES), st.sampled_from(["sync", "async"]))
def test_arbitrary_bytes_raise_only_sdk_exceptions_through_a_stream(
    body: bytes, points: list[int], content_type: str, mode: str
) -> None:
    FIGURES.count("decoder: arbitrary byte streams (ChatStream)")
    read_through_client(body, points, content_type, mode)


@pytest.mark.parametrize(
    "body",
    [
        b"event: x\ndata: " + b"[" * 100_000 + b"\n\n",  # an unknown event keeps its raw data
        b"event: error\ndata: " + b"[" * 100_000 + b"\n\n",  # an error event quotes its payload
        b"data: " + b'{"a":' * 100_000 + b"\n\n",  # an answer that does not validate
    ],
    ids=["unknown-event", "error-event", "answer"],
)
def test_deeply_nested_json_is_data_not_a_crash(body: bytes) -> None:
    """Found by the fuzzer: json.loads raises RecursionError (not a ValueError) on deep nesting, and
    it escaped the stream as a bare RuntimeError."""
    for content_type in CONTENT_TYPES:
        read_through_client(body, [], content_type, "sync")
    state = ChatStreamDecoder("chat", "data")
    try:
        events = list(state.feed(body))
    except FastGPTError:
        return
    assert len(events) == 1
    assert isinstance(events[0], UnknownEvent)
    assert isinstance(events[0].data, str)
