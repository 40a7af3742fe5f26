"""The emulator refuses what FastGPT's schemas refuse, on the raw JSON (requests here bypass the SDK):
completions bodies FastGPT's `CompletionsPropsSchema` would answer with its 400 envelope, and history
and log `source` filters outside ChatSourceEnum. It takes what FastGPT takes, including `messages: []`
for a workflow-tool app, and stores content parts the way FastGPT does."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fastgpt_oapi import BadRequestError
from fastgpt_oapi.api.chat.model import (
    ChatCompletionRequest,
    ChatMessage,
    FileURLPart,
    ImageURL,
    ImageURLPart,
)
from fastgpt_oapi.testing import FakeFastGPT, RunContext, Turn, WorkflowTool, answer_chunk

COMPLETIONS = "/api/v1/chat/completions"
HI: dict[str, Any] = {"role": "user", "content": "hi"}
TMB_ID = "65f0c1a2b3c4d5e6f7a8b9c0"


def post(fake: FakeFastGPT, path: str, body: dict[str, Any]) -> tuple[int, Any, str]:
    response = fake.handle(
        "POST", path, {}, {"authorization": f"Bearer {fake.api_key}"}, json.dumps(body).encode()
    )
    payload = (
        json.loads(response.body) if response.headers.get("content-type") == "application/json" else None
    )
    return response.status, payload, response.headers.get("content-type", "")


def stored_chats(fake: FakeFastGPT) -> int:
    status, payload, _ = post(fake, "/api/core/chat/getHistories", {"appId": fake.app_id})
    assert status == 200
    total: int = payload["data"]["total"]
    return total


# (the body, the path of the first zod issue, its code)
REFUSED: list[tuple[str, dict[str, Any], list[Any], str]] = [
    (
        "tool-without-call-id",
        {"messages": [{"role": "tool", "content": "42"}]},
        ["messages", 0, "tool_call_id"],
        "invalid_type",
    ),
    ("user-without-content", {"messages": [{"role": "user"}]}, ["messages", 0, "content"], "invalid_type"),
    (
        "user-null-content",
        {"messages": [{"role": "user", "content": None}]},
        ["messages", 0, "content"],
        "invalid_type",
    ),
    (
        "system-image",
        {"messages": [{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "u"}}]}]},
        ["messages", 0, "content", 0],
        "invalid_union",
    ),
    (
        "tool-file",
        {"messages": [{"role": "tool", "tool_call_id": "c", "content": [{"type": "file_url", "url": "u"}]}]},
        ["messages", 0, "content", 0],
        "invalid_union",
    ),
    (
        "assistant-image",
        {"messages": [{"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": "u"}}]}]},
        ["messages", 0, "content", 0],
        "invalid_union",
    ),
    (
        "function-without-content-key",
        {"messages": [{"role": "function", "name": "f"}]},
        ["messages", 0, "content"],
        "invalid_type",
    ),
    (
        "function-without-name",
        {"messages": [{"role": "function", "content": None}]},
        ["messages", 0, "name"],
        "invalid_type",
    ),
    (
        "function-parts",
        {"messages": [{"role": "function", "name": "f", "content": [{"type": "text", "text": "x"}]}]},
        ["messages", 0, "content"],
        "invalid_type",
    ),
    ("unknown-role", {"messages": [{"role": "robot", "content": "hi"}]}, ["messages", 0], "invalid_union"),
    ("messages-not-a-list", {"messages": "hi"}, ["messages"], "invalid_type"),
    (
        "null-name",
        {"messages": [{**HI, "name": None}]},
        ["messages", 0, "name"],
        "invalid_type",
    ),  # optional, not nullish
    (
        "null-tool-calls",
        {"messages": [{"role": "assistant", "tool_calls": None}]},
        ["messages", 0, "tool_calls"],
        "invalid_type",
    ),
    (
        "tool-call-type",
        {
            "messages": [
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "c", "type": "custom", "function": {"name": "f", "arguments": ""}}],
                }
            ]
        },
        ["messages", 0, "tool_calls", 0, "type"],
        "invalid_value",  # zod's code for a value outside an enum or literal
    ),
    (
        "file-part-without-url",
        {"messages": [{"role": "user", "content": [{"type": "file_url", "name": "a"}]}]},
        ["messages", 0, "content", 0, "url"],
        "invalid_type",
    ),
    (
        "part-key-not-a-string",
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "x", "key": 1}]}]},
        ["messages", 0, "content", 0, "key"],
        "invalid_type",
    ),
    ("auth-proxy-empty", {"messages": [HI], "authProxy": {}}, ["authProxy"], "custom"),
    (
        "auth-proxy-blank-username",
        {"messages": [HI], "authProxy": {"username": " \u3000 "}},
        ["authProxy", "username"],
        "too_small",
    ),
    (
        "auth-proxy-long-username",
        {"messages": [HI], "authProxy": {"username": "\U0001d400" * 65}},
        ["authProxy", "username"],
        "too_big",
    ),
    (
        "auth-proxy-bad-tmb-id",
        {"messages": [HI], "authProxy": {"tmbId": "x" * 24}},
        ["authProxy", "tmbId"],
        "invalid_format",  # a string that fails the ObjectId pattern
    ),
    (
        "auth-proxy-unknown-key",
        {"messages": [HI], "authProxy": {"username": "ada", "role": "admin"}},
        ["authProxy"],
        "unrecognized_keys",
    ),
    (
        "show-skill-references-string",
        {"messages": [HI], "showSkillReferences": "yes"},
        ["showSkillReferences"],
        "invalid_type",
    ),
    ("chat-id-too-long", {"messages": [HI], "chatId": "c" * 1025}, ["chatId"], "too_big"),
    ("variables-not-a-record", {"messages": [HI], "variables": ["a"]}, ["variables"], "invalid_type"),
]


@pytest.mark.parametrize(("body", "path", "code"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
@pytest.mark.parametrize("stream", [False, True])
def test_a_body_fastgpt_refuses_gets_its_400_envelope(
    body: dict[str, Any], path: list[Any], code: str, stream: bool
) -> None:
    fake = FakeFastGPT()
    status, payload, content_type = post(fake, COMPLETIONS, {**body, "stream": stream})
    # Parsed before anything runs: plain JSON, even for a stream.
    assert (status, content_type) == (400, "application/json")
    assert {k: payload[k] for k in ("code", "statusText", "message", "data")} == {
        "code": 400,
        "statusText": "error",
        "message": "Data validation error",
        "data": None,
    }
    assert (payload["zodError"][0]["path"], payload["zodError"][0]["code"]) == (path, code)
    assert stored_chats(fake) == 0


ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    ("function-null-content", {"messages": [{"role": "function", "name": "f", "content": None}, HI]}),
    (
        "assistant-tool-round",
        {
            "messages": [
                {
                    "role": "assistant",
                    "content": None,
                    "refusal": None,
                    "audio": None,
                    "interactive": None,
                    "tool_calls": [
                        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                    ],
                },
                {"role": "tool", "content": [{"type": "text", "text": "42"}], "tool_call_id": "c"},
                HI,
            ]
        },
    ),
    ("unknown-keys-are-stripped", {"messages": [{**HI, "temperature": 1}], "topP": 0.5}),
    ("every-role-extras", {"messages": [{**HI, "reasoning_content": "r", "dataId": "d", "hideInUI": False}]}),
    (
        "parts-fastgpt-drops",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "hi"},
                        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "mp3"}},
                        {"type": "video_url", "video_url": {"url": "https://x/v.mp4"}},
                        {"type": "file", "file": {"file_id": "f1"}},
                    ],
                }
            ]
        },
    ),
    ("auth-proxy-both", {"messages": [HI], "authProxy": {"username": " ada ", "tmbId": TMB_ID}}),
    (
        "nulls-are-absent",
        {"messages": [HI], "chatId": None, "detail": None, "authProxy": None, "variables": None},
    ),
    ("blank-chat-id", {"messages": [HI], "chatId": "   ", "showSkillReferences": True}),
]


@pytest.mark.parametrize("body", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_a_body_fastgpt_takes_is_answered(body: dict[str, Any]) -> None:
    fake = FakeFastGPT()
    status, payload, _ = post(fake, COMPLETIONS, body)
    assert status == 200, payload
    assert payload["choices"][0]["message"]["content"] == "You said: hi"


# ---- workflow-tool apps --------------------------------------------------------------------------


def test_a_workflow_tool_runs_on_variables_alone() -> None:
    fake = FakeFastGPT()
    request = ChatCompletionRequest(variables={"text": "count these words"}, app_id=fake.apps["tool"])
    with fake.client() as client:
        response = client.chat.chat(request)  # detail is not asked for: FastGPT forces it for a tool
        result = client.chat.chat_stream(request).get_final_response()
    assert fake.requests[-1].body["messages"] == []
    assert [node.module_type for node in response.response_data] == ["pluginInput", "pluginOutput"]
    assert response.response_data[-1].plugin_output == {"words": 3, "characters": 17}
    assert result.response_data[-1].plugin_output == {"words": 3, "characters": 17}
    assert result.node_statuses[0].name == "Plugin Output"


def test_any_other_app_answers_no_messages_with_messages_is_empty() -> None:
    fake = FakeFastGPT()
    with fake.client() as client, pytest.raises(BadRequestError, match="messages is empty"):
        client.chat.chat(ChatCompletionRequest(variables={"text": "x"}))
    assert stored_chats(fake) == 0


def test_a_registered_workflow_tool_gets_its_inputs_as_variables() -> None:
    seen: list[dict[str, Any]] = []

    def greet(ctx: RunContext) -> Turn:
        seen.append(ctx.variables)
        return Turn(events=[("answer", answer_chunk(f"hello {ctx.variables['name']}"))])

    fake = FakeFastGPT()
    fake.register_app("0123456789abcdef01234567", WorkflowTool(greet), name="greet")
    with fake.client() as client:
        response = client.chat.chat(
            ChatCompletionRequest(variables={"name": "Ada"}, app_id=fake.apps["greet"])
        )
    assert response.answer == "hello Ada"
    assert seen == [{"name": "Ada"}]


# ---- content parts as FastGPT stores them ----------------------------------------------------------


def test_part_keys_are_stored_and_a_nameless_file_is_stored_with_an_empty_name() -> None:
    fake = FakeFastGPT()
    message = ChatMessage.user(
        [
            ImageURLPart(image_url=ImageURL(url="https://cdn.example/a.png"), key="chat/app/a.png"),
            FileURLPart(url="https://cdn.example/r.pdf"),
            FileURLPart(
                name="m.mp3", url="https://cdn.example/m.mp3", file_type="audio", key="chat/app/m.mp3"
            ),
        ]
    )
    with fake.client() as client:
        answer = client.chat.chat(ChatCompletionRequest(messages=[message], chat_id="parts-1"))
    status, payload, _ = post(
        fake, "/api/core/chat/getPaginationRecords", {"appId": fake.app_id, "chatId": answer.chat_id}
    )
    assert status == 200
    human = payload["data"]["list"][0]
    assert [item["file"] for item in human["value"] if "file" in item] == [
        {"type": "image", "name": "", "url": "https://cdn.example/a.png", "key": "chat/app/a.png"},
        {"type": "file", "name": "", "url": "https://cdn.example/r.pdf"},
        {"type": "audio", "name": "m.mp3", "url": "https://cdn.example/m.mp3", "key": "chat/app/m.mp3"},
    ]


# ---- source filters ------------------------------------------------------------------------------

LOGS = {"dateStart": "2020-01-01T00:00:00Z", "dateEnd": "2100-01-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/core/chat/getHistories", {"source": "team"}),
        ("/api/core/chat/getHistories", {"source": ["api"]}),  # one value, not a list
        ("/api/core/app/logs/list", {**LOGS, "sources": ["team"]}),
        ("/api/core/app/logs/list", {**LOGS, "sources": "api"}),  # a list, not one value
        ("/api/proApi/core/app/logs/getChartData", {**LOGS, "source": ["api", "team"]}),
    ],
)
def test_a_source_outside_chat_source_enum_is_a_400(path: str, body: dict[str, Any]) -> None:
    fake = FakeFastGPT()
    status, payload, _ = post(fake, path, {"appId": fake.app_id, **body})
    assert status == 400
    assert (payload["code"], payload["statusText"], payload["message"]) == (
        400,
        "error",
        "Data validation error",
    )


def test_source_filters_keep_the_matching_chats() -> None:
    fake = FakeFastGPT()
    with fake.client() as client:
        client.chat.chat(ChatCompletionRequest(messages=[ChatMessage.user("hi")]))
    histories = post(fake, "/api/core/chat/getHistories", {"appId": fake.app_id, "source": "api"})[1]
    assert histories["data"]["total"] == 1
    histories = post(fake, "/api/core/chat/getHistories", {"appId": fake.app_id, "source": "online"})[1]
    assert histories["data"]["total"] == 0
    for sources, total in ((["online", "api"], 1), (["share"], 0), ([], 0)):
        logs = post(fake, "/api/core/app/logs/list", {"appId": fake.app_id, **LOGS, "sources": sources})[1]
        assert logs["data"]["total"] == total, sources
    chart = post(
        fake, "/api/proApi/core/app/logs/getChartData", {"appId": fake.app_id, **LOGS, "source": ["api"]}
    )
    assert chart[0] == 200
