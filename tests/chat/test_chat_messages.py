"""Messages per role, as FastGPT's `ChatCompletionMessageParamSchema` takes them: what a role may carry
goes over the wire as written, and what FastGPT would answer with a 400 is refused before anything is
sent, for `ChatMessage` objects and plain dicts alike. Also content parts (`key`, a nameless
`file_url`), the empty message list of workflow-tool apps, and the `show_skill_references` and
`auth_proxy` fields."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import COMPLETION_OK, make_client
from http_support import Wire, body_of

from fastgpt_oapi import Client, RequestValidationError
from fastgpt_oapi.api.chat.model import (
    AssistantAudio,
    AssistantToolCall,
    AuthProxy,
    ChatCompletionRequest,
    ChatMessage,
    FileURLPart,
    ImageURL,
    ImageURLPart,
    RefusalPart,
    TextPart,
    ToolCallFunction,
)

HI: dict[str, Any] = {"role": "user", "content": "hi"}
TMB_ID = "65f0c1a2b3c4d5e6f7a8b9c0"
CALL = AssistantToolCall(
    id="call_1", function=ToolCallFunction(name="get_weather", arguments='{"city":"上海"}')
)
CALL_WIRE = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city":"上海"}'},
}


def wire() -> Wire:
    return Wire(lambda request: httpx.Response(200, json=COMPLETION_OK))


async def send(client: Client, mode: str, request: ChatCompletionRequest) -> None:
    if mode == "sync":
        client.chat.chat(request)
    else:
        await client.chat.achat(request)


async def sent_body(mode: str, request: ChatCompletionRequest) -> dict[str, Any]:
    recorder = wire()
    await send(make_client(recorder), mode, request)
    assert len(recorder.requests) == 1
    body: dict[str, Any] = body_of(recorder.last)
    return body


async def refused(mode: str, build: Any) -> RequestValidationError:
    """Build and send; the build must fail with RequestValidationError and nothing reach the wire."""
    recorder = wire()
    client = make_client(recorder)
    with pytest.raises(RequestValidationError) as caught:
        await send(client, mode, build())
    assert recorder.requests == []
    return caught.value


# ---- what each role may carry ------------------------------------------------------------------

ACCEPTED: list[tuple[str, ChatMessage, dict[str, Any]]] = [
    ("system", ChatMessage.system("Be brief."), {"role": "system", "content": "Be brief."}),
    (
        "system-text-parts",
        ChatMessage.system([TextPart(text="Be brief.", key="rules")]),
        {"role": "system", "content": [{"type": "text", "text": "Be brief.", "key": "rules"}]},
    ),
    (
        "developer",
        ChatMessage.developer("Answer in English."),
        {"role": "developer", "content": "Answer in English."},
    ),
    (
        "developer-named",
        ChatMessage(role="developer", content=[TextPart(text="x")], name="ops"),
        {"role": "developer", "content": [{"type": "text", "text": "x"}], "name": "ops"},
    ),
    ("user", ChatMessage.user("hi"), HI),
    ("user-named", ChatMessage(role="user", content="hi", name="ada"), {**HI, "name": "ada"}),
    ("user-empty-string", ChatMessage.user(""), {"role": "user", "content": ""}),
    ("assistant", ChatMessage.assistant("Sure."), {"role": "assistant", "content": "Sure."}),
    ("assistant-no-content", ChatMessage.assistant(), {"role": "assistant"}),
    (
        "assistant-tool-calls",
        ChatMessage.assistant(tool_calls=[CALL]),
        {"role": "assistant", "tool_calls": [CALL_WIRE]},
    ),
    (
        "assistant-text-and-tool-calls",
        ChatMessage.assistant("Let me check.", tool_calls=[CALL]),
        {"role": "assistant", "content": "Let me check.", "tool_calls": [CALL_WIRE]},
    ),
    (
        "assistant-refusal",
        ChatMessage(
            role="assistant", content=[TextPart(text="No:"), RefusalPart(refusal="not allowed")], refusal="x"
        ),
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "No:"}, {"type": "refusal", "refusal": "not allowed"}],
            "refusal": "x",
        },
    ),
    (
        "assistant-interactive",
        ChatMessage(
            role="assistant",
            content="Pick one",
            interactive={"type": "userSelect", "params": {"userSelectOptions": [{"key": "a", "value": "A"}]}},
        ),
        {
            "role": "assistant",
            "content": "Pick one",
            "interactive": {
                "type": "userSelect",
                "params": {"userSelectOptions": [{"key": "a", "value": "A"}]},
            },
        },
    ),
    (
        "assistant-audio-function-call",
        ChatMessage(
            role="assistant",
            audio=AssistantAudio(id="audio_1"),
            function_call=ToolCallFunction(name="f", arguments="{}"),
            name="bot",
        ),
        {
            "role": "assistant",
            "audio": {"id": "audio_1"},
            "function_call": {"name": "f", "arguments": "{}"},
            "name": "bot",
        },
    ),
    (
        "tool",
        ChatMessage.tool("42", tool_call_id="call_1"),
        {"role": "tool", "content": "42", "tool_call_id": "call_1"},
    ),
    (
        "tool-text-parts",
        ChatMessage.tool([TextPart(text="42")], tool_call_id="call_1"),
        {"role": "tool", "content": [{"type": "text", "text": "42"}], "tool_call_id": "call_1"},
    ),
    (
        "function",
        ChatMessage(role="function", name="get_weather", content="sunny"),
        {"role": "function", "name": "get_weather", "content": "sunny"},
    ),
    (
        "function-null-content",
        ChatMessage(role="function", name="get_weather"),
        {"role": "function", "name": "get_weather", "content": None},
    ),
    (
        "every-roles-extras",
        ChatMessage(role="user", content="hi", reasoning_content="thinking", data_id="d1", hide_in_ui=True),
        {**HI, "reasoning_content": "thinking", "dataId": "d1", "hideInUI": True},
    ),
    (
        "extras-on-tool",
        ChatMessage(role="tool", content="42", tool_call_id="c", data_id="d2", hide_in_ui=False),
        {"role": "tool", "content": "42", "tool_call_id": "c", "dataId": "d2", "hideInUI": False},
    ),
]


@pytest.mark.parametrize(("typed", "expected"), [case[1:] for case in ACCEPTED], ids=[c[0] for c in ACCEPTED])
async def test_a_message_fastgpt_takes_is_sent_as_written(
    io_mode: str, typed: ChatMessage, expected: dict[str, Any]
) -> None:
    from_object = await sent_body(io_mode, ChatCompletionRequest(messages=[typed]))
    assert from_object["messages"] == [expected]
    # The wire form, given back as a plain dict, is checked the same way and sent unchanged.
    from_dict = await sent_body(io_mode, ChatCompletionRequest(messages=[dict(expected)]))
    assert from_dict["messages"] == [expected]


async def test_a_function_message_always_sends_its_content_key(io_mode: str) -> None:
    # FastGPT requires the key (a string or null); requests are otherwise dumped without None values.
    body = await sent_body(io_mode, ChatCompletionRequest(messages=[{"role": "function", "name": "f"}, HI]))
    assert body["messages"][0] == {"role": "function", "name": "f", "content": None}
    assert body["messages"][1] == HI


# (the message as a dict, the field its error names, a fragment of the reason)
REFUSED: list[tuple[str, dict[str, Any], str, str]] = [
    ("tool-without-call-id", {"role": "tool", "content": "42"}, "tool_call_id", "needs the id"),
    ("tool-call-id-none", {"role": "tool", "content": "42", "tool_call_id": None}, "tool_call_id", "needs"),
    ("user-without-content", {"role": "user"}, "content", "needs content"),
    ("user-content-none", {"role": "user", "content": None}, "content", "needs content"),
    ("system-without-content", {"role": "system"}, "content", "needs content"),
    ("developer-without-content", {"role": "developer", "name": "x"}, "content", "needs content"),
    ("tool-without-content", {"role": "tool", "tool_call_id": "c"}, "content", "needs content"),
    (
        "system-image",
        {"role": "system", "content": [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}]},
        "content",
        "text parts only",
    ),
    (
        "developer-file",
        {"role": "developer", "content": [{"type": "file_url", "url": "https://x/a.pdf"}]},
        "content",
        "text parts only",
    ),
    (
        "tool-image",
        {
            "role": "tool",
            "tool_call_id": "c",
            "content": [{"type": "text", "text": "ok"}, {"type": "image_url", "image_url": {"url": "u"}}],
        },
        "content",
        "part 1 is 'image_url'",
    ),
    (
        "assistant-file",
        {"role": "assistant", "content": [{"type": "file_url", "url": "https://x/a.pdf"}]},
        "content",
        "text / refusal parts only",
    ),
    (
        "user-refusal-part",
        {"role": "user", "content": [{"type": "refusal", "refusal": "no"}]},
        "content",
        "refusal",
    ),
    (
        "function-parts",
        {"role": "function", "name": "f", "content": [{"type": "text", "text": "x"}]},
        "content",
        "not a list",
    ),
    ("function-without-name", {"role": "function", "content": "x"}, "name", "function's name"),
    ("tool-call-id-on-user", {**HI, "tool_call_id": "c"}, "tool_call_id", "only tool messages"),
    ("tool-calls-on-user", {**HI, "tool_calls": [CALL_WIRE]}, "tool_calls", "only assistant messages"),
    (
        "interactive-on-system",
        {"role": "system", "content": "x", "interactive": {}},
        "interactive",
        "only assistant",
    ),
    (
        "refusal-on-tool",
        {"role": "tool", "content": "x", "tool_call_id": "c", "refusal": "no"},
        "refusal",
        "only assistant",
    ),
    ("audio-on-user", {**HI, "audio": {"id": "a"}}, "audio", "only assistant"),
    (
        "function-call-on-developer",
        {"role": "developer", "content": "x", "function_call": {"name": "f", "arguments": ""}},
        "function_call",
        "only assistant",
    ),
    ("unknown-role", {"role": "robot", "content": "hi"}, "role", "Input should be"),
    ("no-role", {"content": "hi"}, "role", "Field required"),
    ("unknown-field", {**HI, "temperature": 0.2}, "temperature", "Extra inputs"),
    (
        "tool-call-not-a-function",
        {"role": "assistant", "tool_calls": [{**CALL_WIRE, "type": "custom"}]},
        "tool_calls",
        "'function'",
    ),
    (
        "tool-call-without-arguments",
        {"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f"}}]},
        "tool_calls",
        "Field required",
    ),
    (
        "file-part-without-url",
        {"role": "user", "content": [{"type": "file_url", "name": "a.pdf"}]},
        "content",
        "url",
    ),
    ("unknown-part", {"role": "user", "content": [{"type": "video", "url": "x"}]}, "content", "tag"),
    (
        "part-key-not-a-string",
        {"role": "user", "content": [{"type": "text", "text": "x", "key": 7}]},
        "content",
        "key",
    ),
    ("hide-in-ui-not-a-flag", {**HI, "hideInUI": "sometimes"}, "hide_in_ui", "boolean"),
]


@pytest.mark.parametrize(
    ("message", "field", "reason"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
async def test_a_plain_dict_message_fastgpt_refuses_is_never_sent(
    io_mode: str, message: dict[str, Any], field: str, reason: str
) -> None:
    error = await refused(io_mode, lambda: ChatCompletionRequest(messages=[HI, message]))
    assert error.field == "messages"
    # The error says which message and which of its fields.
    assert f"ChatCompletionRequest.messages.1.{field}" in str(error)
    assert reason in str(error)


@pytest.mark.parametrize(
    ("message", "field", "reason"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
async def test_a_chat_message_fastgpt_refuses_cannot_be_built(
    io_mode: str, message: dict[str, Any], field: str, reason: str
) -> None:
    error = await refused(io_mode, lambda: ChatCompletionRequest(messages=[ChatMessage(**message)]))
    assert isinstance(error, ValueError)
    assert error.field == field
    assert str(error).startswith(f"ChatMessage.{field}")
    assert reason in str(error)
    with pytest.raises(RequestValidationError) as validated:
        ChatMessage.model_validate(message)
    assert validated.value.field == field
    assert str(validated.value) == str(error)


async def test_the_builder_checks_messages_too(io_mode: str) -> None:
    error = await refused(
        io_mode, lambda: ChatCompletionRequest.builder().messages([{"role": "tool", "content": "42"}]).build()
    )
    assert error.field == "messages"
    assert "messages.0.tool_call_id" in str(error)


async def test_a_message_is_a_chat_message_or_a_dict(io_mode: str) -> None:
    error = await refused(io_mode, lambda: ChatCompletionRequest(messages=[HI, "hi"]))  # type: ignore[list-item]
    assert "messages.1: Value error, a message is a ChatMessage or a dict, not str" in str(error)


def test_helpers_build_the_roles_they_name() -> None:
    assert [m.role for m in (ChatMessage.system("s"), ChatMessage.developer("d"), ChatMessage.user("u"))] == [
        "system",
        "developer",
        "user",
    ]
    assistant = ChatMessage.assistant(tool_calls=[CALL])
    assert (assistant.role, assistant.content, assistant.tool_calls) == ("assistant", None, [CALL])
    tool = ChatMessage.tool("42", tool_call_id="call_1")
    assert (tool.role, tool.content, tool.tool_call_id) == ("tool", "42", "call_1")
    # Any sequence of parts, not only a list.
    assert ChatMessage.user((TextPart(text="a"), TextPart(text="b"))).model_dump(exclude_none=True) == {
        "role": "user",
        "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
    }


# ---- content parts -----------------------------------------------------------------------------


async def test_parts_carry_their_key_and_a_file_needs_no_name(io_mode: str) -> None:
    message = ChatMessage.user(
        [
            TextPart(text="What is in these?", key="q-1"),
            ImageURLPart(
                image_url=ImageURL(url="https://cdn.example/a.png", detail="low"), key="chat/app/a.png"
            ),
            FileURLPart(url="https://cdn.example/report.pdf"),
            FileURLPart(
                name="memo.m4a", url="https://cdn.example/memo.m4a", file_type="audio", key="chat/app/memo"
            ),
        ]
    )
    body = await sent_body(io_mode, ChatCompletionRequest(messages=[message]))
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in these?", "key": "q-1"},
                {
                    "type": "image_url",
                    "image_url": {"url": "https://cdn.example/a.png", "detail": "low"},
                    "key": "chat/app/a.png",
                },
                {"type": "file_url", "url": "https://cdn.example/report.pdf"},
                {
                    "type": "file_url",
                    "name": "memo.m4a",
                    "url": "https://cdn.example/memo.m4a",
                    "fileType": "audio",
                    "key": "chat/app/memo",
                },
            ],
        }
    ]
    # The same parts as plain dicts are taken as they are.
    again = await sent_body(io_mode, ChatCompletionRequest(messages=body["messages"]))
    assert again["messages"] == body["messages"]


# ---- workflow-tool apps: variables, no messages --------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: ChatCompletionRequest(variables={"text": "one two"}),
        lambda: ChatCompletionRequest(messages=[], variables={"text": "one two"}),
        lambda: ChatCompletionRequest.builder().variables({"text": "one two"}).build(),
        lambda: ChatCompletionRequest.model_validate({"variables": {"text": "one two"}}),
    ],
    ids=["no-messages", "empty-messages", "builder", "wire-form"],
)
async def test_a_workflow_tool_request_sends_an_empty_message_list(io_mode: str, build: Any) -> None:
    body = await sent_body(io_mode, build())
    assert body["messages"] == []
    assert body["variables"] == {"text": "one two"}


# ---- show_skill_references and auth_proxy --------------------------------------------------------


async def test_the_new_fields_go_over_the_wire_in_camel_case(io_mode: str) -> None:
    request = ChatCompletionRequest(
        messages=[ChatMessage.user("hi")],
        show_skill_references=True,
        auth_proxy=AuthProxy(username="ada@example.com", tmb_id=TMB_ID),
    )
    body = await sent_body(io_mode, request)
    assert body["showSkillReferences"] is True
    assert body["authProxy"] == {"username": "ada@example.com", "tmbId": TMB_ID}
    built = (
        ChatCompletionRequest.builder()
        .messages([ChatMessage.user("hi")])
        .show_skill_references(False)
        .auth_proxy(AuthProxy(tmb_id=TMB_ID))
        .build()
    )
    body = await sent_body(io_mode, built)
    assert body["showSkillReferences"] is False  # a body flag: JSON false is read as false
    assert body["authProxy"] == {"tmbId": TMB_ID}
    plain = await sent_body(io_mode, ChatCompletionRequest(messages=[HI]))
    assert "showSkillReferences" not in plain
    assert "authProxy" not in plain


ASTRAL = "\U0001d400"  # one character, two UTF-16 code units: JavaScript's length counts 2


@pytest.mark.parametrize(
    ("given", "wire_form"),
    [
        ({"username": "ada"}, {"username": "ada"}),
        ({"tmb_id": TMB_ID.upper()}, {"tmbId": TMB_ID.upper()}),
        ({"tmbId": TMB_ID}, {"tmbId": TMB_ID}),  # the wire name works too
        ({"username": "ada", "tmb_id": TMB_ID}, {"username": "ada", "tmbId": TMB_ID}),
        ({"username": "a" * 128}, {"username": "a" * 128}),
        (
            {"username": "  " + "a" * 128 + "\u3000"},
            {"username": "  " + "a" * 128 + "\u3000"},
        ),  # trimmed: 128
        ({"username": ASTRAL * 64}, {"username": ASTRAL * 64}),  # 128 code units
        ({"username": None, "tmb_id": TMB_ID}, {"tmbId": TMB_ID}),  # None is absent, as FastGPT reads null
    ],
)
async def test_auth_proxy_as_fastgpt_takes_it(
    io_mode: str, given: dict[str, Any], wire_form: dict[str, Any]
) -> None:
    request = ChatCompletionRequest.model_validate({"messages": [HI], "auth_proxy": given})
    body = await sent_body(io_mode, request)
    assert body["authProxy"] == wire_form


@pytest.mark.parametrize(
    ("given", "where", "reason"),
    [
        ({}, "auth_proxy", "give username or tmb_id"),
        ({"username": None, "tmb_id": None}, "auth_proxy", "give username or tmb_id"),
        ({"username": ""}, "auth_proxy.username", "got 0"),
        ({"username": " \t\n\u00a0\ufeff"}, "auth_proxy.username", "got 0"),
        ({"username": "a" * 129}, "auth_proxy.username", "got 129"),
        ({"username": ASTRAL * 65}, "auth_proxy.username", "got 130"),
        ({"tmb_id": TMB_ID[:-1]}, "auth_proxy.tmb_id", "24 hexadecimal"),
        ({"tmb_id": "z" * 24}, "auth_proxy.tmb_id", "24 hexadecimal"),
        ({"tmb_id": TMB_ID + "\n"}, "auth_proxy.tmb_id", "24 hexadecimal"),
        ({"username": "ada", "user_id": "u1"}, "auth_proxy.user_id", "Extra inputs"),  # a strict object
        ({"username": 42}, "auth_proxy.username", "string"),
    ],
)
async def test_auth_proxy_fastgpt_refuses_is_never_sent(
    io_mode: str, given: dict[str, Any], where: str, reason: str
) -> None:
    error = await refused(
        io_mode, lambda: ChatCompletionRequest.model_validate({"messages": [HI], "auth_proxy": given})
    )
    assert error.field == "auth_proxy"
    assert f"ChatCompletionRequest.{where}:" in str(error)
    assert reason in str(error)
