"""`FakeFastGPT.register_app` in both its forms: an id made up for the app, or the caller's."""

from __future__ import annotations

import pytest
from http_support import run
from typing_extensions import assert_type

from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.api.chat_history.model import GetChatInitRequest
from fastgpt_oapi.testing import FakeFastGPT, RunContext, Turn, answer_chunk
from fastgpt_oapi.testing.ids import is_object_id

BUILTIN = {"echo", "workflow", "reasoning", "select", "form", "error", "tool", "knowledge"}


def say(text: str) -> Turn:
    return Turn(events=[("answer", answer_chunk(text))])


def shout(ctx: RunContext) -> Turn:
    return say(ctx.question.upper())


def whisper(ctx: RunContext) -> Turn:
    return say(ctx.question.lower())


def ask(text: str, app_id: str) -> ChatCompletionRequest:
    return ChatCompletionRequest(messages=[ChatMessage.user(text)], app_id=app_id)


async def test_an_app_registered_by_name_gets_a_fastgpt_app_id(io_mode: str) -> None:
    fake = FakeFastGPT()
    app_id = fake.register_app(shout, name="shout")
    assert_type(app_id, str)
    assert is_object_id(app_id)
    assert app_id not in FakeFastGPT().apps.values()
    assert fake.apps["shout"] == app_id
    client = fake.client()
    answer = await run(
        io_mode, lambda: client.chat.chat(ask("hey", app_id)), lambda: client.chat.achat(ask("hey", app_id))
    )
    init_request = GetChatInitRequest(chat_id="c", app_id=app_id)
    init = await run(
        io_mode,
        lambda: client.chat_history.get_chat_init(init_request),
        lambda: client.chat_history.aget_chat_init(init_request),
    )
    assert answer.answer == "HEY"
    assert init.app is not None
    assert init.app.name == "shout"


def test_made_up_ids_differ_and_a_nameless_app_is_listed_under_its_id() -> None:
    fake = FakeFastGPT()
    first, second = fake.register_app(shout), fake.register_app(whisper)
    assert first != second
    assert is_object_id(first)
    assert is_object_id(second)
    assert fake.apps[first] == first
    assert fake.apps[second] == second
    assert set(fake.apps) == BUILTIN | {first, second}


def test_registering_a_name_again_replaces_the_app_and_keeps_its_id() -> None:
    fake = FakeFastGPT()
    app_id = fake.register_app(shout, name="voice")
    assert fake.register_app(whisper, name="voice") == app_id
    with fake.client() as client:
        assert client.chat.chat(ask("Hey", fake.apps["voice"])).answer == "hey"


def test_the_older_form_and_a_chosen_id_still_work() -> None:
    fake = FakeFastGPT()
    by_position = fake.register_app("aaaaaaaaaaaaaaaaaaaaaaaa", shout, "loud")
    by_keyword = fake.register_app("bbbbbbbbbbbbbbbbbbbbbbbb", whisper, name="quiet")
    chosen = fake.register_app(shout, app_id="cccccccccccccccccccccccc")
    all_keywords = fake.register_app(app=whisper, app_id="dddddddddddddddddddddddd", name="soft")
    assert (by_position, by_keyword, chosen, all_keywords) == (
        "aaaaaaaaaaaaaaaaaaaaaaaa",
        "bbbbbbbbbbbbbbbbbbbbbbbb",
        "cccccccccccccccccccccccc",
        "dddddddddddddddddddddddd",
    )
    assert fake.apps["loud"] == by_position
    assert fake.apps["quiet"] == by_keyword
    with fake.client() as client:
        assert client.chat.chat(ask("Hey", chosen)).answer == "HEY"
        assert client.chat.chat(ask("Hey", fake.apps["soft"])).answer == "hey"


def test_calls_that_fit_neither_form_are_refused() -> None:
    fake = FakeFastGPT()
    with pytest.raises(ValueError, match="24 hexadecimal"):
        fake.register_app("nope", shout)
    with pytest.raises(ValueError, match="24 hexadecimal"):
        fake.register_app(shout, app_id="nope")
    with pytest.raises(TypeError, match=r"register_app\(\) takes 1 positional argument"):
        fake.register_app(shout, "shout")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="callable"):
        fake.register_app("aaaaaaaaaaaaaaaaaaaaaaaa", "shout")  # type: ignore[call-overload]
    assert set(fake.apps) == BUILTIN
