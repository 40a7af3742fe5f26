"""What goes over the wire for a completion, and what never does: request bodies against the shipped
request fixtures, generated ids, interactive replies, and invalid requests stopped before sending."""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from conftest import APP_ID, fixture_bytes, fixture_json

from fastgpt_oapi import RequestValidationError
from fastgpt_oapi.api.chat.model import (
    ChatCompletionRequest,
    ChatMessage,
    FileURLPart,
    ImageURL,
    ImageURLPart,
    TextPart,
    UserInputInteractive,
    UserSelectInteractive,
)

from ._support import Outcome, Reply, Script, question, run_stream

JSON_HEADERS = {"content-type": "application/json; charset=utf-8"}


class _Kind(enum.Enum):
    GOLD = "gold"


ID24 = re.compile(r"^[A-Za-z0-9]{24}$")


def blocking_script() -> Script:
    return Script(Reply([fixture_bytes("completion_blocking.json")], headers=JSON_HEADERS))


async def send_blocking(script: Script, mode: str, request: ChatCompletionRequest) -> None:
    client = script.client()
    if mode == "sync":
        client.chat.chat(request)
    else:
        await client.chat.achat(request)


def sent(script: Script) -> dict[str, Any]:
    assert len(script.requests) == 1
    body: dict[str, Any] = json.loads(script.requests[0].content)
    return body


# ---- bodies against the shipped request fixtures ------------------------------------------------------------


@pytest.mark.parametrize("style", ["constructor", "builder", "wire_names"])
async def test_request_basic(io_mode: str, style: str) -> None:
    expected = fixture_json("request_basic.json")
    assert expected["appId"] == APP_ID  # left to the client's default below
    variables = {"uid": "asdfadsfasfd2323", "name": "张三"}
    if style == "constructor":
        request = ChatCompletionRequest(
            messages=[ChatMessage.user("导演是谁")],
            chat_id="my_chatId",
            detail=False,
            response_chat_item_id="my_responseChatItemId",
            variables=variables,
        )
    elif style == "builder":
        request = (
            ChatCompletionRequest.builder()
            .messages([{"role": "user", "content": "导演是谁"}])
            .chat_id("my_chatId")
            .detail(False)
            .response_chat_item_id("my_responseChatItemId")
            .variables(variables)
            .build()
        )
    else:
        request = ChatCompletionRequest.model_validate(
            {k: v for k, v in expected.items() if k not in ("stream", "appId")}
        )
    script = blocking_script()
    await send_blocking(script, io_mode, request)
    assert sent(script) == expected
    headers = script.requests[0].headers
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "application/json"
    assert headers["authorization"].startswith("Bearer fastgpt-")


async def test_request_multimodal(io_mode: str) -> None:
    expected = fixture_json("request_multimodal.json")
    request = ChatCompletionRequest(
        messages=[
            ChatMessage.user(
                [
                    TextPart(text="导演是谁"),
                    ImageURLPart(image_url=ImageURL(url="https://example.com/poster.png")),
                    FileURLPart(name="intro.pdf", url="https://example.com/intro.pdf"),
                ]
            )
        ],
        chat_id="abcd",
        app_id="66e29b870b24ce35330c0f08",
    )
    script = blocking_script()
    await send_blocking(script, io_mode, request)
    body = sent(script)
    # The SDK always names the answer's record, so the caller learns its dataId.
    assert ID24.match(body.pop("responseChatItemId"))
    assert body == expected


async def test_request_multimodal_from_plain_dicts() -> None:
    expected = fixture_json("request_multimodal.json")
    request = ChatCompletionRequest(messages=expected["messages"], chat_id="abcd")
    script = blocking_script()
    await send_blocking(script, "sync", request)
    body = sent(script)
    del body["responseChatItemId"]
    assert body == expected


async def test_optional_fields_in_camel_case(io_mode: str) -> None:
    request = (
        ChatCompletionRequest.builder()
        .messages([ChatMessage.user("hi")])
        .app_id("0123456789abcdefABCDEF01")
        .detail(True)
        .custom_uid("user-42")
        .metadata({"source": "sdk-test"})
        .retain_dataset_cite(True)
        .build()
    )
    script = blocking_script()
    await send_blocking(script, io_mode, request)
    body = sent(script)
    assert set(body) == {
        "messages",
        "appId",
        "detail",
        "customUid",
        "metadata",
        "retainDatasetCite",
        "stream",
        "chatId",
        "responseChatItemId",
    }
    assert body["appId"] == "0123456789abcdefABCDEF01"  # the request's own app id wins
    assert (body["customUid"], body["metadata"], body["retainDatasetCite"]) == (
        "user-42",
        {"source": "sdk-test"},
        True,
    )


async def test_python_values_are_written_as_json(io_mode: str) -> None:
    # The body is encoded in one pass from Python values; it must read as model_dump(mode="json").
    variables = {
        "when": datetime(2025, 9, 1, 8, 30, tzinfo=timezone.utc),
        "day": date(2025, 9, 1),
        "price": Decimal("1.50"),
        "kind": _Kind.GOLD,
        "ref": UUID(int=7),
        "tags": ("a", "b"),
        "ratio": float("nan"),  # not JSON: written as null, as mode="json" does
        "name": "张三 ✓",
    }
    request = question(variables=variables)
    script = blocking_script()
    await send_blocking(script, io_mode, request)
    raw = script.requests[0].content
    assert "张三 ✓".encode() in raw  # UTF-8, not \u escapes
    assert b" " not in raw.replace("张三 ✓".encode(), b"")  # compact
    expected = request.model_dump(mode="json", by_alias=True, exclude_none=True)["variables"]
    assert sent(script)["variables"] == expected
    assert expected["ratio"] is None
    assert expected["when"] == "2025-09-01T08:30:00Z"


async def test_a_value_json_cannot_hold_is_refused_before_sending(io_mode: str) -> None:
    script = blocking_script()
    request = question(variables={"handle": object()}, metadata={"ok": 1})
    with pytest.raises(RequestValidationError, match=r"ChatCompletionRequest\.variables") as info:
        await send_blocking(script, io_mode, request)
    assert info.value.field == "variables"
    assert script.requests == []


def test_stream_is_set_by_the_method_not_the_request() -> None:
    with pytest.raises(ValueError, match="stream"):
        ChatCompletionRequest.model_validate({"messages": [{"role": "user", "content": "x"}], "stream": True})


# ---- generated ids --------------------------------------------------------------------------------------


async def test_ids_are_generated_when_absent(io_mode: str) -> None:
    script = Script(Reply([fixture_bytes("stream_detail_false.sse")]))
    client = script.client()
    seen: list[tuple[str, str]] = []
    for _ in range(3):
        if io_mode == "sync":
            stream = client.chat.chat_stream(question())
            ids = (stream.chat_id, stream.data_id)  # known before anything is sent
            result = stream.get_final_response()
        else:
            astream = client.chat.achat_stream(question())
            ids = (astream.chat_id, astream.data_id)
            result = await astream.get_final_response()
        assert ids == (result.chat_id, result.data_id)
        seen.append(ids)
    bodies = script.bodies()
    assert [(b["chatId"], b["responseChatItemId"]) for b in bodies] == seen
    for chat_id, data_id in seen:
        assert ID24.match(chat_id)
        assert ID24.match(data_id)
    assert len({s for pair in seen for s in pair}) == 6
    assert all(b["stream"] is True and b["appId"] == APP_ID for b in bodies)
    assert all(r.headers["accept"] == "text/event-stream" for r in script.requests)


async def test_ids_given_are_reused(io_mode: str) -> None:
    script = Script(Reply([fixture_bytes("stream_detail_false.sse")]))
    outcome = await run_stream(
        script.client(), question(chat_id="chat-1", response_chat_item_id="item-1"), io_mode
    )
    assert outcome.result is not None
    assert (outcome.result.chat_id, outcome.result.data_id) == ("chat-1", "item-1")
    body = sent(script)
    assert (body["chatId"], body["responseChatItemId"]) == ("chat-1", "item-1")


# ---- interactive replies --------------------------------------------------------------------------------


async def _interactive_from(name: str, mode: str) -> Outcome:
    script = Script(Reply([fixture_bytes(name)]))
    return await run_stream(script.client(), question(detail=True), mode)


async def test_continue_user_select(io_mode: str) -> None:
    outcome = await _interactive_from("stream_interactive_userselect.sse", io_mode)
    assert outcome.result is not None
    interactive = outcome.result.interactive
    assert isinstance(interactive, UserSelectInteractive)
    expected = fixture_json("request_continue_userselect.json")
    request = ChatCompletionRequest(
        messages=[interactive.reply("Confirm")], chat_id=expected["chatId"], detail=True
    )
    script = Script(Reply([fixture_bytes("stream_detail_false.sse")]))
    await run_stream(script.client(), request, io_mode)
    body = sent(script)
    assert ID24.match(body.pop("responseChatItemId"))
    assert body == expected


async def test_continue_user_input(io_mode: str) -> None:
    outcome = await _interactive_from("stream_interactive_userinput.sse", io_mode)
    assert outcome.result is not None
    interactive = outcome.result.interactive
    assert isinstance(interactive, UserInputInteractive)
    expected = fixture_json("request_continue_userinput.json")
    # Values kept as given: the number stays a number inside the JSON string.
    reply = interactive.reply({"收件人": "张三", "数量": 2, "配送方式": "express"})
    request = ChatCompletionRequest(messages=[reply], chat_id=expected["chatId"], detail=True)
    script = Script(Reply([fixture_bytes("stream_detail_false.sse")]))
    await run_stream(script.client(), request, io_mode)
    body = sent(script)
    del body["responseChatItemId"]
    assert body == expected
    assert json.loads(body["messages"][0]["content"]) == {"收件人": "张三", "数量": 2, "配送方式": "express"}


def _select() -> UserSelectInteractive:
    raw = fixture_json("completion_blocking_interactive.json")["choices"][0]["message"]["content"][1]
    return UserSelectInteractive.model_validate(raw["interactive"])


def _form() -> UserInputInteractive:
    body = fixture_bytes("stream_interactive_userinput.sse").decode()
    line = next(x for x in body.split("\n") if x.startswith('data: {"interactive"'))
    return UserInputInteractive.model_validate(json.loads(line[len("data: ") :])["interactive"])


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: _select().reply("Maybe"), "not one of the offered options"),
        (lambda: _select().reply("option1"), "not one of the offered options"),  # a key, not a value
        (lambda: _select().reply(""), "not one of the offered options"),
        (lambda: _form().reply({"收件人": "张三", "数量": 2, "颜色": "红"}), "颜色"),
        (lambda: _form().reply({"收件人": "张三"}), "数量"),
        (lambda: _form().reply({}), "收件人"),
    ],
)
def test_invalid_replies(make: Callable[[], ChatMessage], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def test_optional_form_fields_may_be_left_out_or_given() -> None:
    form = _form()
    full = form.reply({"收件人": "李四", "数量": 1, "配送方式": "pickup", "备注": "放门口"})
    assert json.loads(str(full.content)) == {
        "收件人": "李四",
        "数量": 1,
        "配送方式": "pickup",
        "备注": "放门口",
    }
    assert full.role == "user"


# ---- invalid requests are never sent ------------------------------------------------------------------


def _with_builder(**fields: Any) -> Callable[[], ChatCompletionRequest]:
    def build() -> ChatCompletionRequest:
        builder = ChatCompletionRequest.builder()
        for name, value in fields.items():
            getattr(builder, name)(value)
        return builder.build()

    return build


def _with_constructor(**fields: Any) -> Callable[[], ChatCompletionRequest]:
    return lambda: ChatCompletionRequest(**fields)


def _with_model_validate(**fields: Any) -> Callable[[], ChatCompletionRequest]:
    return lambda: ChatCompletionRequest.model_validate(fields)


HI = [{"role": "user", "content": "hi"}]
BAD_REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("messages", {"messages": [{"role": "tool", "content": "42"}]}),  # no tool_call_id
    ("messages", {"messages": [{"role": "user"}]}),  # no content
    ("messages", {"messages": [{"role": "robot", "content": "hi"}]}),
    ("messages", {"messages": [{"role": "user", "content": [{"type": "video", "url": "x"}]}]}),
    ("app_id", {"messages": HI, "app_id": "nothex"}),
    ("app_id", {"messages": HI, "app_id": "66e29b870b24ce35330c0f0"}),  # 23 characters
    ("chat_id", {"messages": HI, "chat_id": ""}),
    ("response_chat_item_id", {"messages": HI, "response_chat_item_id": ""}),
    ("variables", {"messages": HI, "variables": "uid=1"}),
    ("detail", {"messages": HI, "detail": "very"}),
    ("show_skill_references", {"messages": HI, "show_skill_references": "please"}),
    ("auth_proxy", {"messages": HI, "auth_proxy": {}}),
    ("custom_uid", {"messages": HI, "custom_uid": "u" * 1025}),
    # FastGPT 4.18 refuses the pair (a proxied member is the user already).
    (
        "auth_proxy",
        {"messages": HI, "custom_uid": "u1", "auth_proxy": {"tmb_id": "66e29b870b24ce35330c0e01"}},
    ),
]


@pytest.mark.parametrize("how", [_with_builder, _with_constructor, _with_model_validate])
@pytest.mark.parametrize(("field", "fields"), BAD_REQUESTS)
async def test_invalid_request_is_never_sent(
    io_mode: str, how: Callable[..., Callable[[], ChatCompletionRequest]], field: str, fields: dict[str, Any]
) -> None:
    script = blocking_script()
    client = script.client()
    build = how(**fields)

    async def send() -> None:
        if io_mode == "sync":
            client.chat.chat_stream(build()).until_done()
        else:
            await client.chat.achat(build())

    with pytest.raises(ValueError, match=field) as info:
        await send()
    if how is _with_builder:
        assert isinstance(info.value, RequestValidationError)
    if isinstance(info.value, RequestValidationError):
        assert info.value.field == field
    assert script.requests == []


def test_custom_uid_and_auth_proxy_are_refused_together_whichever_comes_last() -> None:
    proxy = {"tmb_id": "66e29b870b24ce35330c0e01"}
    with_uid = question(chat_id="c1", custom_uid="u1")
    with pytest.raises(ValueError, match=r"auth_proxy\n.*custom_uid cannot be combined with auth_proxy"):
        with_uid.auth_proxy = proxy  # type: ignore[assignment]  # a dict, validated into AuthProxy
    with_proxy = ChatCompletionRequest.model_validate({"messages": HI, "auth_proxy": proxy})
    with pytest.raises(ValueError, match=r"custom_uid\n.*cannot be combined"):
        with_proxy.custom_uid = "u1"
    assert (with_uid.auth_proxy, with_proxy.custom_uid) == (None, None)


def test_assigning_a_bad_value_is_refused() -> None:
    request = question(chat_id="c1")
    with pytest.raises(ValueError, match="chat_id"):
        request.chat_id = ""
    with pytest.raises(ValueError, match="app_id"):
        request.app_id = "nothex"
    assert (request.chat_id, request.app_id) == ("c1", None)
