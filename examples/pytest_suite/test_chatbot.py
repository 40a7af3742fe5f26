"""The chatbot's behaviour, checked against the emulator: what it prints, what it sends, what it survives.

The built-in apps' answers are not asserted word for word (the emulator's wording may change); the
apps scripted in conftest.py say exactly what they say.
"""

from __future__ import annotations

import io

import pytest

from examples.chatbot import Chatbot, chat_loop
from fastgpt_oapi import AuthenticationError, Client, RateLimitError, StreamError
from fastgpt_oapi.api.chat_history.model import ListRecordsRequest
from fastgpt_oapi.testing import FakeFastGPT

COMPLETIONS = "/api/v2/chat/completions"


def test_the_answer_is_printed_as_it_comes(client: Client) -> None:
    out = io.StringIO()
    answer = Chatbot(client, out=out).ask("hello there")
    assert "hello there" in answer  # the default app echoes the question
    assert out.getvalue() == answer + "\n"


def test_every_question_continues_the_first_chat(client: Client, fake: FakeFastGPT) -> None:
    bot = Chatbot(client, out=io.StringIO())
    for question in ("one", "two", "three"):
        bot.ask(question)
    sent = [request.body["chatId"] for request in fake.requests if request.path == COMPLETIONS]
    assert sent == [bot.chat_id] * 3
    assert bot.chat_id is not None
    stored = client.chat_history.list_records(ListRecordsRequest(chat_id=bot.chat_id))
    assert stored.total == 6  # three questions, three answers


def test_reasoning_is_shown_apart_before_the_answer(client: Client, fake: FakeFastGPT) -> None:
    out = io.StringIO()
    answer = Chatbot(client, app_id=fake.apps["thinker"], out=out).ask("6 x 7?")
    assert answer == "Forty-two."
    assert out.getvalue() == "(thinking) Let me see. Six times seven.\nForty-two.\n"


def test_a_failed_stream_keeps_what_came_before(client: Client, fake: FakeFastGPT) -> None:
    out = io.StringIO()
    with pytest.raises(StreamError, match="model overloaded"):
        Chatbot(client, app_id=fake.apps["broken"], out=out).ask("6 x 7?")
    assert out.getvalue() == "Forty\n"


def test_a_refusal_raises_before_anything_is_printed(fake: FakeFastGPT) -> None:
    out = io.StringIO()
    with fake.client(api_key="fastgpt-wrong") as client, pytest.raises(AuthenticationError):
        Chatbot(client, out=out).ask("hello")
    assert out.getvalue() == ""


def test_a_rate_limit_says_when_to_come_back(client: Client, fake: FakeFastGPT) -> None:
    envelope = {"code": 429, "statusText": "error", "message": "Rate limit exceeded.", "data": None}
    fake.fail_next(429, envelope, headers={"retry-after": "7"}, path=COMPLETIONS)
    with pytest.raises(RateLimitError) as caught:
        Chatbot(client, out=io.StringIO()).ask("hello")
    assert caught.value.retry_after == 7.0
    assert caught.value.status_code == 429


def test_the_loop_goes_on_after_a_failed_turn(
    client: Client, fake: FakeFastGPT, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail_next(503, "busy", path=COMPLETIONS)  # the first question fails, the second is answered
    monkeypatch.setattr("sys.stdin", io.StringIO("first\nsecond\n"))
    assert chat_loop(Chatbot(client)) == 1
    printed = capsys.readouterr().out
    assert "[InternalServerError]" in printed
    assert "second" in printed
