"""How a chat stream behaves at its edges: errors inside and instead of the stream, bodies cut short,
transport failures, and the helpers (`text_stream`, `until_done`, `get_final_response`)."""

from __future__ import annotations

import json
import zlib
from typing import Any

import httpx
import pytest
from conftest import fixture_bytes, make_client

from fastgpt_oapi import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    FastGPTError,
    InternalServerError,
    RateLimitError,
    StreamError,
)
from fastgpt_oapi.api.chat.model import (
    AnswerEvent,
    ChatStreamEvent,
    ChatStreamResult,
    ChunkEvent,
    DoneEvent,
    FastAnswerEvent,
    FlowNodeStatusEvent,
    UnknownInteractive,
)

from ._support import (
    SSE_HEADERS,
    ChunkStream,
    Reply,
    Script,
    bytewise,
    question,
    read_fixture_messages,
    read_to_end,
    run_stream,
)

JSON_HEADERS = {"content-type": "application/json; charset=utf-8"}


async def collect_until_error(
    script: Script, mode: str, **builder: Any
) -> tuple[list[ChatStreamEvent], BaseException]:
    """The events handed out, then the exception the iteration ended with."""
    events: list[ChatStreamEvent] = []
    client = script.client(**builder)
    try:
        if mode == "sync":
            for event in client.chat.chat_stream(question(detail=True)):
                events.append(event)
        else:
            async for event in client.chat.achat_stream(question(detail=True)):
                events.append(event)
    except Exception as exc:
        return events, exc
    raise AssertionError(f"the stream ended without an error after {len(events)} events")


# ---- event: error --------------------------------------------------------------------------------------


@pytest.mark.parametrize("one_chunk", [True, False])
async def test_error_event_raises_after_the_earlier_events(io_mode: str, one_chunk: bool) -> None:
    body = fixture_bytes("stream_error.sse")
    script = Script(Reply([body] if one_chunk else bytewise(body)))
    events, error = await collect_until_error(script, io_mode)
    assert [type(e) for e in events] == [FlowNodeStatusEvent, AnswerEvent]
    assert isinstance(events[1], AnswerEvent)
    assert events[1].text == "正在"
    assert type(error) is StreamError
    assert (error.message, error.code, error.status_text) == ("网络连接异常", None, None)
    assert error.body == {"message": "网络连接异常"}
    assert error.request is not None
    assert error.request.url.path == "/api/v2/chat/completions"
    assert script.streams[0].closed


async def test_registered_error_event_carries_code_and_status_text(io_mode: str) -> None:
    script = Script(Reply([fixture_bytes("stream_error_points.sse")]))
    events, error = await collect_until_error(script, io_mode)
    assert events == []
    assert type(error) is StreamError
    assert error.code == 500004
    assert error.status_text == "aiPointsNotEnough"
    assert error.message == "common:code_error.team_error.ai_points_not_enough"
    assert "500004" in str(error)
    assert "aiPointsNotEnough" in str(error)


async def test_an_empty_status_text_of_an_error_event_is_none(io_mode: str) -> None:
    # As on APIStatusError: `status_text` is None whenever FastGPT named no cause.
    body = _sse(("error", {"code": 500, "statusText": "", "message": "网络连接异常"}))
    events, error = await collect_until_error(Script(Reply([body])), io_mode)
    assert events == []
    assert type(error) is StreamError
    assert (error.code, error.status_text, error.message) == (500, None, "网络连接异常")


async def test_get_final_response_after_a_stream_error_raises_it_again(io_mode: str) -> None:
    script = Script(Reply([fixture_bytes("stream_error.sse")]))
    client = script.client()
    if io_mode == "sync":
        stream = client.chat.chat_stream(question())
        with pytest.raises(StreamError) as first:
            stream.get_final_response()
        with pytest.raises(StreamError) as again:
            stream.get_final_response()
    else:
        astream = client.chat.achat_stream(question())
        with pytest.raises(StreamError) as first:
            await astream.get_final_response()
        with pytest.raises(StreamError) as again:
            await astream.get_final_response()
    assert again.value is first.value
    assert len(script.requests) == 1


# ---- an error instead of a stream -----------------------------------------------------------------------


async def test_rate_limit_envelope_on_a_stream_request(io_mode: str) -> None:
    body = fixture_bytes("error_envelope_rate_limit.json")
    events, error = await collect_until_error(
        Script(Reply([body], status=429, headers=JSON_HEADERS)), io_mode, max_retries=0
    )
    assert events == []
    assert type(error) is RateLimitError
    assert (error.http_status, error.code, error.status_text) == (429, 429, "error")
    assert error.message.startswith("Rate limit exceeded. Maximum 60 requests per 60 seconds")
    assert error.retry_after == 12.0  # from "try again in 12 seconds"
    assert error.body == json.loads(body)
    # A 429 is retried (the request never ran); when every try is refused it ends the same way.
    script = Script(Reply([body], status=429, headers={**JSON_HEADERS, "retry-after": "0"}))
    with pytest.raises(RateLimitError):
        await read_to_end(script.client(max_retries=1), question(), io_mode)
    assert len(script.requests) == 2


async def test_a_retried_stream_request_is_byte_identical(io_mode: str) -> None:
    script = Script(
        Reply([fixture_bytes("error_envelope_rate_limit.json")], status=429, headers={"retry-after": "0"}),
        Reply([fixture_bytes("stream_detail_false.sse")]),
    )
    outcome = await run_stream(script.client(max_retries=2), question(), io_mode)
    assert outcome.error is None
    assert outcome.result is not None
    assert outcome.result.answer == "电影《铃芽之旅》的导演是新海诚。"
    first, second = script.requests
    assert first.content == second.content
    sent = json.loads(second.content)
    assert (outcome.result.chat_id, outcome.result.data_id) == (sent["chatId"], sent["responseChatItemId"])


@pytest.mark.parametrize("chunked", [False, True])
async def test_json_envelope_at_http_200_on_a_stream_request(io_mode: str, chunked: bool) -> None:
    # FastGPT <= 4.13.1's plain-text message; the class follows the cause, not the status.
    body = fixture_bytes("error_envelope_plain_v4_11.json")
    script = Script(Reply(bytewise(body) if chunked else [body], headers=JSON_HEADERS))
    events, error = await collect_until_error(script, io_mode)
    assert events == []
    assert type(error) is AuthenticationError
    assert error.http_status == 200
    assert error.message.startswith("Key is error.")
    assert script.streams[0].closed


async def test_json_that_is_no_envelope_on_a_stream_request(io_mode: str) -> None:
    body = fixture_bytes("completion_blocking.json")  # a blocking answer where a stream was asked for
    events, error = await collect_until_error(Script(Reply([body], headers=JSON_HEADERS)), io_mode)
    assert events == []
    assert type(error) is APIResponseValidationError


@pytest.mark.parametrize("content_type", [None, "text/plain", "text/html; charset=utf-8"])
async def test_sse_error_without_the_sse_content_type_is_a_refusal(
    io_mode: str, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    script = Script(Reply(bytewise(fixture_bytes("stream_error_auth.sse")), headers=headers))
    events, error = await collect_until_error(script, io_mode)
    assert events == []
    assert type(error) is AuthenticationError
    assert (error.http_status, error.code, error.status_text) == (200, 514, "unAuthApiKey")


async def test_plain_sse_error_before_the_stream_is_a_status_error(io_mode: str) -> None:
    # An unregistered error (only a message) refused before the stream began: HTTP 200 is not success.
    body = b'event: error\ndata: {"message":"app not found"}\n\n'
    events, error = await collect_until_error(Script(Reply([body], headers={})), io_mode)
    assert events == []
    assert type(error) is InternalServerError
    assert error.message == "app not found"


# ---- bodies cut short and transport failures ------------------------------------------------------------


def _without_done(body: bytes) -> bytes:
    return body[: body.rindex(b"event: answer\ndata: [DONE]")]


@pytest.mark.parametrize("where", ["after_a_message", "mid_message", "mid_line"])
async def test_a_body_cut_short_raises_connection_error(io_mode: str, where: str) -> None:
    body = _without_done(fixture_bytes("stream_detail_true.sse"))
    if where == "mid_message":
        body = body[: body.rindex(b"data: [{")] + b"data: [{"
    elif where == "mid_line":
        body = body[: body.rindex(b"event: flowResponses")] + b"event: flowResp"
    script = Script(Reply([body]))
    events, error = await collect_until_error(script, io_mode)
    assert type(error) is APIConnectionError
    assert "[DONE]" in error.message
    assert [e.event for e in events][-1] == ("flowResponses" if where == "after_a_message" else "answer")
    assert script.streams[0].closed


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (httpx.ReadError("connection reset by peer"), APIConnectionError),
        (
            httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
            APIConnectionError,
        ),
        (httpx.ReadTimeout("timed out"), APITimeoutError),
    ],
)
async def test_transport_error_mid_stream_is_wrapped(
    io_mode: str, failure: httpx.TransportError, expected: type[APIConnectionError]
) -> None:
    body = fixture_bytes("stream_detail_true.sse")
    chunks = [body[:300], body[300:700]]
    script = Script(Reply(chunks, fail=failure))
    events, error = await collect_until_error(script, io_mode)
    delivered = [m.event for m in read_fixture_messages(body[: body.rindex(b"\n\n", 0, 700) + 2])]
    assert len(delivered) == 5
    assert type(error) is expected
    assert httpx.HTTPError not in type(error).__mro__
    assert error.__cause__ is failure
    assert error.request is not None
    assert [e.event for e in events] == delivered
    assert script.streams[0].closed
    assert len(script.requests) == 1  # never re-sent once the stream began


# ---- helpers ----------------------------------------------------------------------------------------


async def test_text_stream_yields_only_non_empty_answer_text(io_mode: str) -> None:
    script = Script(Reply(bytewise(fixture_bytes("stream_reasoning_heartbeat.sse"))))
    client = script.client()
    if io_mode == "sync":
        stream = client.chat.chat_stream(question(detail=True))
        texts = list(stream.text_stream)
        result = stream.get_final_response()
    else:
        astream = client.chat.achat_stream(question(detail=True))
        texts = [t async for t in astream.text_stream]
        result = await astream.get_final_response()
    # Heartbeats, reasoning deltas and the stop chunk are not text; fastAnswer text is.
    assert texts == ["导演是", "新海诚。", "（以上内容来自知识库）"]
    assert result.answer == "".join(texts)
    assert result.reasoning == "先确认用户问的是哪部电影，知识库里有《铃芽之旅》的条目。"


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("stream_reasoning_heartbeat.sse", ["先确认用户问的是哪部电影，", "知识库里有《铃芽之旅》的条目。"]),
        ("stream_reasoning_detail_false.sse", ["用户问的是导演，", "知识库里有答案。"]),
    ],
)
async def test_reasoning_stream_yields_only_non_empty_reasoning(
    io_mode: str, fixture: str, expected: list[str]
) -> None:
    script = Script(Reply(bytewise(fixture_bytes(fixture))))
    client = script.client()
    detail = fixture != "stream_reasoning_detail_false.sse"
    if io_mode == "sync":
        stream = client.chat.chat_stream(question(detail=detail))
        thoughts = list(stream.reasoning_stream)
        result = stream.get_final_response()
    else:
        astream = client.chat.achat_stream(question(detail=detail))
        thoughts = [t async for t in astream.reasoning_stream]
        result = await astream.get_final_response()
    # Heartbeats, answer text and the stop chunk are not reasoning; the answer is still assembled.
    assert thoughts == expected
    assert result.reasoning == "".join(expected)
    assert result.answer


async def test_chunk_event_covers_answer_and_fast_answer(io_mode: str) -> None:
    body = fixture_bytes("stream_reasoning_heartbeat.sse")
    events = (await run_stream(Script(Reply([body])).client(), question(detail=True), io_mode)).events
    chunks = [e for e in events if isinstance(e, ChunkEvent)]
    assert {type(e) for e in chunks} == {AnswerEvent, FastAnswerEvent}
    assert [e for e in events if isinstance(e, (AnswerEvent, FastAnswerEvent))] == chunks
    assert "".join(e.text for e in chunks) == "导演是新海诚。（以上内容来自知识库）"


async def _final(
    script: Script, mode: str, *, iterate: bool, until_done: bool
) -> tuple[ChatStreamResult, int]:
    client = script.client()
    seen = 0
    if mode == "sync":
        stream = client.chat.chat_stream(question(detail=True))
        if iterate:
            seen = sum(1 for _ in stream)
        if until_done:
            stream.until_done()
        result = stream.get_final_response()
        assert result == stream.get_final_response()
        assert list(stream) == []  # a finished stream has nothing more to give
        ids = (stream.chat_id, stream.data_id)
    else:
        astream = client.chat.achat_stream(question(detail=True))
        if iterate:
            seen = len([e async for e in astream])
        if until_done:
            await astream.until_done()
        result = await astream.get_final_response()
        assert result == await astream.get_final_response()
        assert [e async for e in astream] == []
        ids = (astream.chat_id, astream.data_id)
    sent = json.loads(script.requests[0].content)
    assert ids == (sent["chatId"], sent["responseChatItemId"]) == (result.chat_id, result.data_id)
    return result, seen


@pytest.mark.parametrize(
    ("iterate", "until_done"), [(True, False), (False, True), (False, False), (True, True)]
)
async def test_get_final_response(io_mode: str, iterate: bool, until_done: bool) -> None:
    script = Script(Reply([fixture_bytes("stream_detail_true_legacy.sse")]))
    result, seen = await _final(script, io_mode, iterate=iterate, until_done=until_done)
    assert seen == (14 if iterate else 0)
    assert result.answer == "北京今天晴，气温 18℃。"
    # flowResponses came after [DONE]: the stream read on to the end of the body.
    assert [n.module_type for n in result.response_data] == [
        "workflowStart",
        "datasetSearchNode",
        "tools",
        "variableUpdate",
    ]
    assert len(script.requests) == 1


async def test_get_final_response_after_break_raises(io_mode: str) -> None:
    body = fixture_bytes("stream_detail_true.sse")
    script = Script(Reply(bytewise(body)))
    client = script.client()
    if io_mode == "sync":
        stream = client.chat.chat_stream(question(detail=True))
        for event in stream:
            assert isinstance(event, FlowNodeStatusEvent)
            break
        delivered = script.streams[0].delivered
        with pytest.raises(FastGPTError) as info:
            stream.get_final_response()
        with pytest.raises(FastGPTError):
            list(stream.text_stream)
    else:
        astream = client.chat.achat_stream(question(detail=True))
        async with astream:
            async for event in astream:
                assert isinstance(event, FlowNodeStatusEvent)
                break
        delivered = script.streams[0].delivered
        with pytest.raises(FastGPTError) as info:
            await astream.get_final_response()
    assert "closed" in str(info.value)
    assert not isinstance(info.value, (StreamError, APIConnectionError))
    # The abandoned body was not read any further, and never re-requested.
    assert script.streams[0].delivered == delivered < len(body)
    assert len(script.requests) == 1


async def test_done_event_ends_the_text_not_the_stream(io_mode: str) -> None:
    script = Script(Reply([fixture_bytes("stream_flowresponses_object.sse")]))
    outcome = await run_stream(script.client(), question(detail=True), io_mode)
    kinds = [type(e) for e in outcome.events]
    assert kinds.index(DoneEvent) == len(kinds) - 2
    assert outcome.result is not None
    assert len(outcome.result.response_data) == 11


def _sse(*messages: tuple[str, object]) -> bytes:
    out = b""
    for name, data in messages:
        payload = (
            data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        )
        out += f"event: {name}\ndata: {payload}\n\n".encode()
    return out


_STOP_CHUNK = {
    "id": "",
    "object": "",
    "created": 0,
    "model": "",
    "choices": [{"delta": {"role": "assistant", "content": None}, "index": 0, "finish_reason": "stop"}],
}


async def test_interactive_kind_the_sdk_does_not_type(io_mode: str) -> None:
    # The deprecated single-question ask (`AgentPlanAskQueryInteractiveSchema`, FastGPT's
    # interactive/type.ts at f88b51b5), which the SDK leaves untyped.
    ask = {
        "type": "agentPlanAskQuery",
        "params": {"content": "发货时间？", "options": ["今天", "明天"]},
        "askId": "ask_01",
        "entryNodeIds": ["agent01"],
    }
    body = _sse(("interactive", {"interactive": ask}), ("answer", _STOP_CHUNK), ("answer", "[DONE]"))
    outcome = await run_stream(Script(Reply([body])).client(), question(detail=True), io_mode)
    assert outcome.result is not None
    interactive = outcome.result.interactive
    assert isinstance(interactive, UnknownInteractive)
    assert (interactive.type, interactive.params) == ("agentPlanAskQuery", ask["params"])
    assert interactive.model_extra == {"askId": "ask_01", "entryNodeIds": ["agent01"]}


async def test_old_tool_call_with_the_whole_argument_string(io_mode: str) -> None:
    # FastGPT <= 4.11 with a non-streaming model: one toolCall carrying all arguments, no toolParams.
    tool = {"id": "call_1", "toolName": "查询", "toolAvatar": "", "functionName": "lookup"}
    body = _sse(
        ("toolCall", {"tool": {**tool, "params": '{"q":"x"}', "response": ""}}),
        ("toolResponse", {"tool": {**tool, "toolName": "", "params": "", "response": "ok"}}),
        ("toolCall", {"tool": {**tool, "id": "call_2", "params": "", "response": ""}}),
        ("toolParams", {"tool": {**tool, "id": "call_2", "toolName": "", "params": "{}", "response": ""}}),
        ("answer", _STOP_CHUNK),
        ("answer", "[DONE]"),
    )
    outcome = await run_stream(Script(Reply([body])).client(), question(detail=True), io_mode)
    assert outcome.result is not None
    calls = [(t.id, t.tool_name, t.function_name, t.params, t.response) for t in outcome.result.tool_calls]
    assert calls == [
        ("call_1", "查询", "lookup", '{"q":"x"}', "ok"),
        ("call_2", "查询", "lookup", "{}", None),
    ]


async def test_an_iterator_kept_after_close_reads_no_further(io_mode: str) -> None:
    body = fixture_bytes("stream_detail_true.sse")
    script = Script(Reply(bytewise(body)))
    client = script.client()
    failure: BaseException | None = None
    if io_mode == "sync":
        stream = client.chat.chat_stream(question(detail=True))
        events = iter(stream)
        next(events)
        stream.close()
        delivered = script.streams[0].delivered
        try:
            next(events)
        except FastGPTError as exc:
            failure = exc
    else:
        astream = client.chat.achat_stream(question(detail=True))
        aevents = aiter(astream)
        await anext(aevents)
        await astream.aclose()
        delivered = script.streams[0].delivered
        try:
            await anext(aevents)
        except FastGPTError as exc:
            failure = exc
    assert failure is not None
    assert "closed before it ended" in str(failure)
    assert not isinstance(failure, (StreamError, APIConnectionError))
    assert script.streams[0].closed
    assert script.streams[0].delivered == delivered


async def test_a_refused_stream_keeps_its_error(io_mode: str) -> None:
    body = fixture_bytes("error_envelope_rate_limit.json")
    script = Script(Reply([body], status=429, headers=JSON_HEADERS))
    client = script.client(max_retries=0)
    if io_mode == "sync":
        stream = client.chat.chat_stream(question())
        with pytest.raises(RateLimitError) as first:
            stream.get_final_response()
        with pytest.raises(RateLimitError) as again:
            stream.get_final_response()
    else:
        astream = client.chat.achat_stream(question())
        with pytest.raises(RateLimitError) as first:
            await astream.get_final_response()
        with pytest.raises(RateLimitError) as again:
            await astream.get_final_response()
    assert again.value is first.value
    assert len(script.requests) == 1


async def test_content_type_is_matched_without_regard_to_case(io_mode: str) -> None:
    # A real event stream: an error event in it is a StreamError, not a refused request.
    body = fixture_bytes("stream_error_points.sse")
    script = Script(Reply([body], headers={"content-type": "Text/Event-Stream; Charset=UTF-8"}))
    events, error = await collect_until_error(script, io_mode)
    assert events == []
    assert type(error) is StreamError


@pytest.mark.parametrize("body_as", ["streamed", "identity coding", "already read"])
async def test_every_way_a_plain_body_arrives_is_read_whole(io_mode: str, body_as: str) -> None:
    # The stream takes httpx's raw chunks when they are the body; a response built from bytes (as
    # httpx.MockTransport hands it out) is read already and has to be served from its content.
    body = fixture_bytes("stream_detail_true.sse")

    def handler(request: httpx.Request) -> httpx.Response:
        if body_as == "already read":
            return httpx.Response(200, headers=SSE_HEADERS, content=body)
        headers = (
            {**SSE_HEADERS, "content-encoding": "identity"} if body_as == "identity coding" else SSE_HEADERS
        )
        return httpx.Response(200, headers=headers, stream=ChunkStream([body[:100], body[100:]]))

    outcome = await run_stream(make_client(handler), question(), io_mode)
    assert outcome.error is None
    assert outcome.result is not None
    assert outcome.result.answer == "上海今天多云，气温 26℃。"


async def test_compressed_stream_and_a_corrupt_one(io_mode: str) -> None:
    body = fixture_bytes("stream_detail_true.sse")
    packer = zlib.compressobj(wbits=31)  # gzip framing, flushed per message as a proxy might
    packed = [
        packer.compress(m + b"\n\n") + packer.flush(zlib.Z_SYNC_FLUSH) for m in body.split(b"\n\n") if m
    ]
    packed.append(packer.flush())
    gzip_headers = {**SSE_HEADERS, "content-encoding": "gzip"}
    outcome = await run_stream(Script(Reply(packed, headers=gzip_headers)).client(), question(), io_mode)
    assert outcome.error is None
    assert outcome.result is not None
    assert outcome.result.answer == "上海今天多云，气温 26℃。"
    # A body that stops decoding part-way is a broken connection, not a raw httpx error.
    script = Script(Reply([*packed[:3], b"\x00garbage"], headers=gzip_headers))
    events, error = await collect_until_error(script, io_mode)
    assert type(error) is APIConnectionError
    assert isinstance(error.__cause__, httpx.DecodingError)
    assert [e.event for e in events] == ["flowNodeStatus", "flowNodeStatus", "toolCall"]
    assert script.streams[0].closed
