"""`FakeFastGPT(language=...)`: English by default, FastGPT's Chinese transcripts with "zh"."""

from __future__ import annotations

import json
import re
from itertools import groupby
from typing import Any

import pytest
from conftest import fixture_json
from http_support import run

from fastgpt_oapi import StreamError
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage, UserInputInteractive
from fastgpt_oapi.api.chat_history.model import CreateQuestionGuideRequest, GetChatInitRequest
from fastgpt_oapi.testing import FakeFastGPT, RunContext, Turn, answer_chunk

COMPLETIONS_V1 = "/api/v1/chat/completions"
COMPLETIONS_V2 = "/api/v2/chat/completions"
CJK = re.compile("[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
NOON = 1767225600.0  # 2026-01-01T00:00:00Z: the clock of the recorded transcripts


def transcripts(
    fake: FakeFastGPT,
    *,
    question: str = "上海",
    text: str = "你好 世界",
    form: str = '{"收件人":"张三","数量":2}',
) -> dict[str, str]:
    """What the emulator writes, status and raw body, by scenario: every built-in app in each wire
    form (v2 and v1 detail streams, a plain stream, a blocking detail body), the second turn of the
    interactive ones, a question guide, chat init for a new chat, an untitled chat, the histories."""
    auth = {"authorization": f"Bearer {fake.api_key}", "content-type": "application/json"}
    out: dict[str, str] = {}

    def post(key: str, path: str, body: dict[str, Any]) -> None:
        response = fake.handle("POST", path, {}, auth, json.dumps(body, ensure_ascii=False).encode())
        out[key] = f"{response.status}\n{response.body.decode()}"

    forms = {
        "stream-v2": (COMPLETIONS_V2, {"stream": True, "detail": True}),
        "stream-v1": (COMPLETIONS_V1, {"stream": True, "detail": True}),
        "plain": (COMPLETIONS_V2, {"stream": True, "detail": False}),
        "blocking": (COMPLETIONS_V2, {"stream": False, "detail": True}),
    }
    asked = {"messages": [{"role": "user", "content": question}]}
    for name, app_id in fake.apps.items():
        if name == "knowledge":  # answers from the user's own datasets, in the user's words
            continue
        inputs = {"variables": {"text": text}} if name == "tool" else asked
        for wire, (path, flags) in forms.items():
            body = {
                "appId": app_id,
                "chatId": f"{name}-{wire}",
                "responseChatItemId": "d1",
                **flags,
                **inputs,
            }
            post(f"{name}/{wire}", path, body)
            if name in ("select", "form"):
                reply = "Confirm" if name == "select" else form
                again = {**body, "responseChatItemId": "d2", "messages": [{"role": "user", "content": reply}]}
                post(f"{name}/{wire}/resume", path, again)
    app = fake.app_id
    post("guide", "/api/core/ai/agent/v2/createQuestionGuide", {"appId": app, "chatId": "echo-blocking"})
    post("init", "/api/core/chat/init", {"appId": app, "chatId": "nobody"})
    untitled = {
        "appId": app,
        "chatId": "untitled",
        "stream": False,
        "messages": [{"role": "user", "content": ""}],
    }
    post("untitled", COMPLETIONS_V2, untitled)
    post("histories", "/api/core/chat/history/getHistories", {"appId": app, "pageSize": 100, "offset": 0})
    return out


def english(fake: FakeFastGPT) -> dict[str, str]:
    return transcripts(fake, question="Paris", text="hello world", form='{"Recipient":"Ada","Quantity":2}')


def test_zh_writes_the_chinese_transcripts_byte_for_byte() -> None:
    """The transcripts as the emulator wrote them before it spoke English, recorded then with
    `transcripts(FakeFastGPT(clock=lambda: NOON))`. A Chinese text changed on purpose is recorded
    again the same way, with `language="zh"`."""
    recorded = fixture_json("emulator_transcripts_zh.json")
    written = transcripts(FakeFastGPT(clock=lambda: NOON, language="zh"))
    assert list(written) == list(recorded)
    for scenario, body in recorded.items():
        assert written[scenario] == body, scenario


def test_english_is_the_default_and_leaves_no_chinese_anywhere() -> None:
    fake = FakeFastGPT(clock=lambda: NOON)
    assert fake.language == "en"
    for scenario, body in english(fake).items():
        assert not CJK.findall(body), (scenario, "".join(CJK.findall(body)))


def _shape(value: Any) -> Any:
    """The structure of a JSON value with its texts and numbers blanked."""
    if isinstance(value, dict):
        # A filled form is keyed by the form's keys, which are its labels: texts too.
        return {
            key: _shape(list(item.values()) if key == "formInputResult" else item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


def _wire_shape(written: str) -> list[Any]:
    """A status and body as the shapes of its SSE messages (or of its JSON), runs of alike messages
    counted once: how many deltas an answer takes follows the length of its text."""
    status, _, body = written.partition("\n")
    messages: list[Any] = [status]
    for message in body.split("\n\n"):
        lines: list[Any] = []
        for line in message.split("\n"):
            try:
                lines.append(_shape(json.loads(line.removeprefix("data: "))))
            except ValueError:
                lines.append(line)
        messages.append(lines)
    return [message for message, _ in groupby(messages)]


def test_only_the_texts_differ_between_the_languages() -> None:
    chinese = transcripts(FakeFastGPT(clock=lambda: NOON, language="zh"))
    in_english = english(FakeFastGPT(clock=lambda: NOON))
    assert list(in_english) == list(chinese)
    for scenario, body in chinese.items():
        assert _wire_shape(in_english[scenario]) == _wire_shape(body), scenario


async def test_the_built_in_apps_answer_in_english(io_mode: str) -> None:
    fake = FakeFastGPT()
    client = fake.client()

    def ask(text: str, app: str, **fields: Any) -> ChatCompletionRequest:
        return ChatCompletionRequest(messages=[ChatMessage.user(text)], app_id=fake.apps[app], **fields)

    hi = ask("Paris", "echo", chat_id="e1")
    echo = await run(io_mode, lambda: client.chat.chat(hi), lambda: client.chat.achat(hi))
    assert echo.answer == "You said: Paris"
    order = ask("order", "form", detail=True, chat_id="f1")
    paused = await run(io_mode, lambda: client.chat.chat(order), lambda: client.chat.achat(order))
    form = paused.interactive
    assert isinstance(form, UserInputInteractive)
    assert [field.label for field in form.params.input_form] == ["Recipient", "Quantity", "Delivery"]
    reply = ChatCompletionRequest(
        messages=[form.reply({"Recipient": "Ada", "Quantity": 2})], app_id=fake.apps["form"], chat_id="f1"
    )
    done = await run(io_mode, lambda: client.chat.chat(reply), lambda: client.chat.achat(reply))
    assert done.answer == "Ordered 2 for Ada."
    guide_request = CreateQuestionGuideRequest(chat_id="e1")
    guide = await run(
        io_mode,
        lambda: client.chat_history.create_question_guide(guide_request),
        lambda: client.chat_history.acreate_question_guide(guide_request),
    )
    assert guide.list == [
        "What other details are there about Paris?",
        "Can you give an example about Paris?",
        "What are the alternatives to Paris?",
    ]
    init_request = GetChatInitRequest(chat_id="new")
    init = await run(
        io_mode,
        lambda: client.chat_history.get_chat_init(init_request),
        lambda: client.chat_history.aget_chat_init(init_request),
    )
    assert init.title == "New chat"
    failing = ask("hi", "error", detail=True)
    with pytest.raises(StreamError, match=r"^Network connection error"):
        await run(
            io_mode,
            lambda: client.chat.chat_stream(failing).until_done(),
            lambda: client.chat.achat_stream(failing).until_done(),
        )


def test_apps_see_the_language_and_it_can_change_between_calls() -> None:
    fake = FakeFastGPT(language="zh")
    seen: list[str] = []

    def polyglot(ctx: RunContext) -> Turn:
        seen.append(ctx.language)
        return Turn(events=[("answer", answer_chunk({"en": "Hello", "zh": "你好"}[ctx.language]))])

    app_id = fake.register_app(polyglot)
    with fake.client(app_id=app_id) as client:
        first = client.chat.chat(ChatCompletionRequest(messages=[ChatMessage.user("hi")])).answer
        fake.language = "en"
        second = client.chat.chat(ChatCompletionRequest(messages=[ChatMessage.user("hi")])).answer
    assert (first, second) == ("你好", "Hello")
    assert seen == ["zh", "en"]


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language must be one of"):
        FakeFastGPT(language="fr")  # type: ignore[arg-type]
    fake = FakeFastGPT()
    with pytest.raises(ValueError, match="language must be one of"):
        fake.language = "de"  # type: ignore[assignment]
    assert fake.language == "en"
