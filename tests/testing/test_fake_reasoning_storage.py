"""The emulator stores an answer's reasoning as FastGPT >= 4.15.0-2 does: inside the text item it led
to (`pushStore` in packages/service/core/workflow/dispatch/index.ts, 05254ce0; f88b51b5), in records
and in blocking `content` lists alike, and the SDK reads it back from there."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from http_support import run

from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage, UserSelectInteractive
from fastgpt_oapi.api.chat_history.model import InteractiveValue, ListRecordsRequest, TextValue
from fastgpt_oapi.testing import FakeFastGPT, RunContext, Turn, answer_chunk

THINKING = 'The user asked "why"; let me think first.'
ANSWER = 'About "why": this is the considered answer.'
PAUSING_APP = "0123456789abcdef01234567"


def ask(text: str, **fields: Any) -> ChatCompletionRequest:
    return ChatCompletionRequest(messages=[ChatMessage.user(text)], **fields)


def thinks_then_asks(ctx: RunContext) -> Turn:
    """Reasoning, an answer, then a userSelect: a blocking detail answer of several items."""
    interactive = {
        "type": "userSelect",
        "params": {"description": "继续吗？", "userSelectOptions": [{"key": "option1", "value": "是"}]},
        "entryNodeIds": ["userSelect01"],
        "memoryEdges": [],
        "nodeOutputs": [],
    }
    return Turn(
        events=[
            ("answer", answer_chunk(reasoning="先想")),
            ("answer", answer_chunk(reasoning="一想。")),
            ("answer", answer_chunk("好的。")),
            ("interactive", {"interactive": interactive}),
        ]
    )


async def test_records_keep_the_reasoning_inside_the_text_item(io_mode: str) -> None:
    fake = FakeFastGPT()
    client = fake.client()
    request = ask("why", app_id=fake.apps["reasoning"], chat_id="c-r")
    streamed = await run(
        io_mode,
        lambda: client.chat.chat_stream(request).get_final_response(),
        lambda: client.chat.achat_stream(request).get_final_response(),
    )
    records = await run(
        io_mode,
        lambda: client.chat_history.list_records(
            ListRecordsRequest(chat_id="c-r", app_id=fake.apps["reasoning"])
        ),
        lambda: client.chat_history.alist_records(
            ListRecordsRequest(chat_id="c-r", app_id=fake.apps["reasoning"])
        ),
    )
    ai = records.list[-1]
    (item,) = ai.value
    assert isinstance(item, TextValue)
    assert (item.text.content, item.type) == (ANSWER, "text")
    assert item.reasoning is not None
    assert item.reasoning.content == THINKING
    assert (ai.text, ai.reasoning) == (ANSWER, THINKING)
    assert (streamed.answer, streamed.reasoning) == (ANSWER, THINKING)
    assert item.model_extra == {}  # one item holding both, nothing else


@pytest.mark.parametrize(("version", "legacy_type"), [("v1", "text"), ("v2", None)])
async def test_a_blocking_content_list_keeps_the_reasoning_inside_the_text_item(
    io_mode: str, version: Literal["v1", "v2"], legacy_type: str | None
) -> None:
    """v1 adds the legacy `type` to each item of a blocking content list, v2 does not (wire-spec 3.6)."""
    fake = FakeFastGPT()
    fake.register_app(PAUSING_APP, thinks_then_asks, name="pausing")
    client = fake.client(completions_version=version)
    detail = ask("走吗", app_id=PAUSING_APP, detail=True)
    response = await run(io_mode, lambda: client.chat.chat(detail), lambda: client.chat.achat(detail))
    message = response.message
    assert message is not None
    assert isinstance(message.content, list)
    text, pause = message.content
    assert isinstance(text, TextValue)
    assert text.reasoning is not None
    assert (text.text.content, text.reasoning.content, text.type) == ("好的。", "先想一想。", legacy_type)
    assert isinstance(pause, InteractiveValue)
    assert isinstance(response.interactive, UserSelectInteractive)
    assert (response.answer, response.reasoning) == ("好的。", "先想一想。")


@pytest.mark.parametrize("detail", [False, True])
async def test_a_single_text_item_is_a_string_with_reasoning_content(io_mode: str, detail: bool) -> None:
    fake = FakeFastGPT()
    client = fake.client()
    request = ask("why", app_id=fake.apps["reasoning"], detail=detail)
    response = await run(io_mode, lambda: client.chat.chat(request), lambda: client.chat.achat(request))
    message = response.message
    assert message is not None
    assert (message.content, message.reasoning_content) == (ANSWER, THINKING)
