"""Scripted apps (testing/scripted.py): the JSON rules of an apps file answer through the emulator as
Python apps do, and a file that cannot be served is refused naming the place in the JSON."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from fastgpt_oapi import InternalServerError
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage, InteractiveEvent
from fastgpt_oapi.api.shared.interactive import UserInputInteractive, UserSelectInteractive
from fastgpt_oapi.testing import FakeFastGPT
from fastgpt_oapi.testing.scripted import AppsFileError, load_apps, parse_apps

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "emulator_apps.json"


def served(data: dict[str, Any] | None = None) -> FakeFastGPT:
    """An emulator serving the apps of `data` (default: the example file)."""
    fake = FakeFastGPT()
    apps = load_apps(EXAMPLE) if data is None else parse_apps(data)
    for app in apps:
        fake.register_app(app, name=app.name, app_id=app.app_id)
    return fake


def ask(text: str, app_id: str, **fields: Any) -> ChatCompletionRequest:
    return ChatCompletionRequest(messages=[ChatMessage.user(text)], app_id=app_id, **fields)


def test_the_example_file_answers_per_rule_in_order() -> None:
    fake = served()
    support = fake.apps["support"]
    with fake.client() as client:
        refund = client.chat.chat(ask("A REFUND please", support, detail=True))
        why = client.chat.chat_stream(ask("why so slow?", support)).get_final_response()
        other = client.chat.chat(ask("hello there", support))
        faq = client.chat.chat(ask("returns", fake.apps["faq"]))
    assert refund.answer == "Refunds reach your card within 5 working days."  # `match`: any case
    [search] = [n for n in refund.response_data if n.module_type == "datasetSearchNode"]
    assert search.quote_list is not None
    [quote] = search.quote_list
    assert (quote.q, quote.a, quote.source_name) == (
        "How long does a refund take?",
        "5 working days.",
        "refunds.md",
    )
    assert (why.reasoning, why.answer) == (
        "The user wants an explanation; answer briefly.",
        "Because the order had not shipped yet.",
    )
    assert other.answer == 'Sorry, I cannot help with "hello there" yet.'  # the default, templated
    assert fake.apps["faq"] == "65f000000000000000000001"  # the file's id
    assert faq.answer == "See https://example.com/faq for returns."


def test_a_regex_rule_is_searched_case_sensitively() -> None:
    fake = served()
    with fake.client() as client:
        answer = client.chat.chat(ask("Why?", fake.apps["support"])).answer
    assert answer.startswith("Sorry")  # `^(why|how)` does not find "Why"


def test_a_user_select_rule_is_answered_with_the_sdk_reply_and_its_then_rules(io_mode: str) -> None:
    fake = served()
    app = fake.apps["support"]

    def sync_run() -> tuple[str, str | None]:
        with fake.client() as client:
            first = client.chat.chat(ask("order two", app, detail=True))
            assert first.answer == "I have drafted your order."
            assert isinstance(first.interactive, UserSelectInteractive)
            assert first.interactive.params.description == "Submit the order?"
            assert first.interactive.options == ["Confirm", "Cancel"]
            reply = first.interactive.reply("Confirm")
            second = client.chat.chat_stream(
                ChatCompletionRequest(messages=[reply], chat_id=first.chat_id, app_id=app, detail=True)
            ).get_final_response()
            return second.answer, second.title

    async def async_run() -> tuple[str, str | None]:
        async with fake.client() as client:
            interactive = None
            stream = client.chat.achat_stream(ask("order two", app, detail=True))
            async for event in stream:
                if isinstance(event, InteractiveEvent):
                    interactive = event.data
            assert isinstance(interactive, UserSelectInteractive)
            second = await client.chat.achat(
                ChatCompletionRequest(
                    messages=[interactive.reply("Cancel")], chat_id=stream.chat_id, app_id=app
                )
            )
            return second.answer, None

    outcome = sync_run() if io_mode == "sync" else asyncio.run(async_run())
    assert outcome == (("Order submitted.", "Order") if io_mode == "sync" else ("Order cancelled.", None))


def test_a_then_rule_applies_only_to_the_answer_of_its_question() -> None:
    fake = served()
    with fake.client() as client:
        # "Confirm" out of the blue is no answer to anything: the app's own rules, then its default.
        assert client.chat.chat(ask("Confirm", fake.apps["support"])).answer.startswith("Sorry")


def test_a_user_input_rule_fills_its_then_answer_from_the_form() -> None:
    fake = served()
    app = fake.apps["support"]
    with fake.client() as client:
        first = client.chat.chat(ask("deliver it", app, detail=True))
        form = first.interactive
        assert isinstance(form, UserInputInteractive)
        assert form.params.description == "Delivery details"
        fields = form.fields
        assert list(fields) == ["name", "count", "method"]
        assert (fields["name"].label, fields["name"].required, fields["name"].value_type) == (
            "Recipient",
            True,
            "string",
        )
        assert (fields["count"].type, fields["count"].min, fields["count"].max) == ("numberInput", 1, 9)
        assert [o.value for o in fields["method"].options or []] == ["express", "pickup"]
        reply = form.reply({"name": "Ann", "count": 2, "method": "pickup"})
        second = client.chat.chat(ChatCompletionRequest(messages=[reply], chat_id=first.chat_id, app_id=app))
    assert second.answer == "Sending 2 to Ann by pickup."


def test_an_error_rule_fails_the_run_after_its_answer() -> None:
    fake = served()
    with (
        fake.client(max_retries=0) as client,
        pytest.raises(InternalServerError, match="upstream model unavailable"),
    ):
        client.chat.chat(ask("outage?", fake.apps["support"]))


BAD_FILES: list[tuple[Any, str]] = [
    ([], "must be a JSON object, got an array"),
    ({"apps": []}, "apps: must have at least 1 item(s)"),
    ({"apps": [{"rules": []}]}, "apps[0].name: must be a string, got null"),
    ({"apps": [{"name": "a"}, {"name": "a"}]}, "apps[1].name: 'a' is already the name of another app"),
    ({"apps": [{"name": "a", "id": "nope"}]}, "apps[0].id: must be 24 hexadecimal characters"),
    ({"apps": [{"name": "a", "colour": 1}]}, "apps[0].colour: unknown key"),
    ({"apps": [{"name": "a", "rules": [{"match": "x"}]}]}, "apps[0].rules[0]: says nothing"),
    (
        {"apps": [{"name": "a", "rules": [{"match": "x", "regex": "y", "answer": "z"}]}]},
        "give `match` or `regex`",
    ),
    (
        {"apps": [{"name": "a", "rules": [{"regex": "(", "answer": "z"}]}]},
        "apps[0].rules[0].regex: not a valid",
    ),
    (
        {"apps": [{"name": "a", "rules": [{"answer": 3}]}]},
        "apps[0].rules[0].answer: must be a string, got a number",
    ),
    (
        {"apps": [{"name": "a", "rules": [{"answer": "z", "then": []}]}]},
        "apps[0].rules[0].then: only a reply",
    ),
    (
        {"apps": [{"name": "a", "rules": [{"answer": "z", "quotes": [{"q": "q", "score": 2}]}]}]},
        "apps[0].rules[0].quotes[0].score: must be a number from 0 to 1",
    ),
    (
        {"apps": [{"name": "a", "default": {"interactive": {"userSelect": {"options": []}}}}]},
        "apps[0].default.interactive.userSelect.options: must have at least 1 item(s)",
    ),
    (
        {
            "apps": [
                {"name": "a", "default": {"interactive": {"userSelect": {"options": ["x"]}, "userInput": {}}}}
            ]
        },
        "apps[0].default.interactive: must have exactly one of userSelect, userInput",
    ),
    (
        {
            "apps": [
                {
                    "name": "a",
                    "rules": [
                        {
                            "answer": "z",
                            "interactive": {"userInput": {"fields": [{"key": "k", "type": "colour"}]}},
                        }
                    ],
                }
            ]
        },
        "apps[0].rules[0].interactive.userInput.fields[0].type: must be one of input, textarea",
    ),
    (
        {
            "apps": [
                {
                    "name": "a",
                    "default": {
                        "interactive": {"userSelect": {"options": ["x"]}},
                        "then": [{"match": "x", "answer": "y", "quotes": "q"}],
                    },
                }
            ]
        },
        "apps[0].default.then[0].quotes: must be a JSON array, got a string",
    ),
]


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_a_bad_apps_file_is_refused_naming_the_place(data: Any, message: str) -> None:
    with pytest.raises(AppsFileError) as caught:
        parse_apps(data)
    assert message in str(caught.value)


def test_a_built_in_name_is_reserved() -> None:
    with pytest.raises(AppsFileError, match=r"apps\[0\]\.name: 'echo' is a built-in app's name"):
        parse_apps({"apps": [{"name": "echo", "default": {"answer": "x"}}]}, reserved=frozenset({"echo"}))


def test_a_file_that_is_not_json_or_not_there_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "apps.json"
    broken.write_text('{"apps": [', encoding="utf-8")
    with pytest.raises(AppsFileError, match=rf"^{broken}: not JSON"):
        load_apps(broken)
    with pytest.raises(AppsFileError, match="cannot read the file"):
        load_apps(tmp_path / "missing.json")
    broken.write_text(json.dumps({"apps": [{"name": 1}]}), encoding="utf-8")
    with pytest.raises(AppsFileError, match=rf"^{broken}: apps\[0\]\.name: must be a string"):
        load_apps(broken)


def test_an_app_without_a_default_says_that_no_rule_matched() -> None:
    fake = served({"apps": [{"name": "bare", "rules": [{"match": "hi", "answer": "hello"}]}]})
    with fake.client() as client:
        assert client.chat.chat(ask("bye", fake.apps["bare"])).answer == 'No rule matched "bye".'
