"""Runs the typed user code of typed_user_code.py: what it builds goes over the wire as FastGPT's
schema wants it, and the emulator (whose checks are its own, on the raw JSON) takes all of it."""

from __future__ import annotations

from typing import Any

import httpx
from conftest import COMPLETION_OK, make_client
from http_support import Wire, body_of

from fastgpt_oapi.api.chat.model import ChatCompletionRequest
from fastgpt_oapi.testing import FakeFastGPT

from .typed_user_code import conversation, proxied, workflow_tool

EXPECTED_MESSAGES: list[dict[str, Any]] = [
    {
        "role": "system",
        "content": [
            {"type": "text", "text": "Answer briefly."},
            {"type": "text", "text": "Cite sources.", "key": "rules-2"},
        ],
    },
    {"role": "developer", "content": "Use the lookup tool for numbers."},
    {"role": "user", "content": [{"type": "text", "text": "What is in these files?"}]},
    {
        "role": "user",
        "content": [
            {
                "type": "image_url",
                "image_url": {"url": "https://cdn.example/chart.png"},
                "key": "chat/app/chart.png",
            }
        ],
    },
    {
        "role": "user",
        "content": [
            {"type": "file_url", "url": "https://cdn.example/q3.pdf"},
            {
                "type": "file_url",
                "name": "memo.txt",
                "url": "https://cdn.example/memo.txt",
                "key": "chat/app/memo.txt",
            },
        ],
    },
    {
        "role": "assistant",
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q":"q3"}'}}
        ],
    },
    {"role": "tool", "content": "revenue: 42", "tool_call_id": "call_1"},
    {"role": "assistant", "content": "Revenue was 42."},
]


async def test_typed_user_code_sends_what_fastgpt_expects(io_mode: str) -> None:
    recorder = Wire(lambda request: httpx.Response(200, json=COMPLETION_OK))
    client = make_client(recorder)
    for request in (
        ChatCompletionRequest(messages=conversation()),
        proxied(conversation()),
        workflow_tool("a b"),
    ):
        if io_mode == "sync":
            client.chat.chat(request)
        else:
            await client.chat.achat(request)
    plain, with_proxy, tool = (body_of(r) for r in recorder.requests)
    assert plain["messages"][:-1] == EXPECTED_MESSAGES
    assert [part["type"] for part in plain["messages"][-1]["content"]] == [
        "text",
        "image_url",
        "file_url",
        "file_url",
    ]
    assert with_proxy["messages"] == plain["messages"]
    assert (with_proxy["showSkillReferences"], with_proxy["authProxy"]) == (
        True,
        {"username": "ada@example.com"},
    )
    assert (tool["messages"], tool["variables"]) == ([], {"text": "a b"})


def test_the_emulator_takes_everything_the_typed_code_builds() -> None:
    fake = FakeFastGPT()
    with fake.client() as client:
        answer = client.chat.chat(proxied(conversation()))
        tool = client.chat.chat(workflow_tool("one two three", fake.apps["tool"]))
    assert answer.answer == "You said: What is in these files?"
    assert tool.response_data[-1].plugin_output == {"words": 3, "characters": 13}
