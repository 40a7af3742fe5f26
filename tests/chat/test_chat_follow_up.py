"""The next turn of a chat (issue 20): the id the SDK makes up is written where a program reads it,
`follow_up` continues the same chat, app and variables, a form's `reply()` checks its values, and
`deltas()` shows reasoning and text together. Through the emulator, sync and async."""

from __future__ import annotations

from typing import Any

import pytest
from http_support import run

from fastgpt_oapi import ChatCompletionRequest, ChatMessage, ListHistoriesRequest, RequestValidationError
from fastgpt_oapi.api.chat.model import UserInputInteractive, UserSelectInteractive
from fastgpt_oapi.testing import FakeFastGPT


async def test_a_loop_that_sends_request_chat_id_back_stays_in_one_chat(io_mode: str) -> None:
    """The first trial's loop (new-user-2026-12, B1): it read `request.chat_id` after sending, which
    stayed None, so the select app asked again on a new chat every turn."""
    fake = FakeFastGPT()
    async with fake.client() as client:
        chat_id: str | None = None
        message = ChatMessage.user("start")
        answers: list[str] = []
        for _ in range(3):
            request = ChatCompletionRequest(
                messages=[message], app_id=fake.apps["select"], chat_id=chat_id, detail=True
            )
            response = await run(
                io_mode,
                lambda r=request: client.chat.chat(r),  # type: ignore[misc]
                lambda r=request: client.chat.achat(r),  # type: ignore[misc]
            )
            chat_id = request.chat_id
            assert chat_id == response.chat_id
            answers.append(response.answer)
            question = response.interactive
            if not isinstance(question, UserSelectInteractive):
                break
            message = question.reply(question.options[0])
        histories = client.chat_history.list_histories(ListHistoriesRequest(app_id=fake.apps["select"]))
    assert len(answers) == 2  # asked once, answered once: not a question asked forever
    assert histories.total == 1


async def test_follow_up_continues_the_chat_with_the_same_app_and_variables(io_mode: str) -> None:
    fake = FakeFastGPT()
    async with fake.client() as client:
        first = ChatCompletionRequest(
            messages=[ChatMessage.user("hi")], app_id=fake.apps["form"], variables={"lang": "en"}, detail=True
        )
        answer = await run(io_mode, lambda: client.chat.chat(first), lambda: client.chat.achat(first))
        form = answer.interactive
        assert isinstance(form, UserInputInteractive)
        second = answer.follow_up(form.reply({"Recipient": "Ada", "Quantity": 2, "Delivery": "pickup"}))
        assert (second.chat_id, second.app_id, second.variables, second.detail) == (
            answer.chat_id,
            fake.apps["form"],
            {"lang": "en"},
            True,
        )
        assert second.response_chat_item_id is None  # a fresh record id each turn
        if io_mode == "sync":
            with client.chat.chat_stream(second) as stream:
                result = stream.get_final_response()
        else:
            async with client.chat.achat_stream(second) as astream:
                result = await astream.get_final_response()
        third = result.follow_up("thanks")
        streamed_next = (stream if io_mode == "sync" else astream).follow_up("again")
    assert result.answer == "Ordered 2 for Ada."
    assert third.chat_id == streamed_next.chat_id == answer.chat_id
    assert third.messages[0] == ChatMessage.user("thanks")
    assert third.variables == {"lang": "en"}


def test_follow_up_of_an_answer_without_its_request_keeps_the_chat_alone() -> None:
    from fastgpt_oapi.api.chat.model import ChatCompletionResponse

    parsed = ChatCompletionResponse.model_validate({"id": "chat-1", "choices": []})
    assert parsed.follow_up("next").chat_id == "chat-1"
    with pytest.raises(RequestValidationError) as caught:
        ChatCompletionResponse().follow_up("next")
    assert caught.value.field == "chat_id"


def _form() -> UserInputInteractive:
    return UserInputInteractive.model_validate(
        {
            "params": {
                "inputForm": [
                    {"type": "input", "key": "name", "required": True},
                    {"type": "numberInput", "key": "qty", "min": 1, "max": 99},
                    {
                        "type": "select",
                        "key": "delivery",
                        "list": [{"value": "express"}, {"value": "pickup"}],
                    },
                    {"type": "multipleSelect", "key": "tags", "list": [{"value": "a"}, {"value": "b"}]},
                ]
            }
        }
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "x", "delivery": "Ada"}, "delivery"),
        ({"name": "x", "tags": ["a", "c"]}, "tags"),
        ({"name": "x", "tags": "a"}, "tags"),
        ({"name": "x", "qty": 0}, "qty"),
        ({"name": "x", "qty": 100}, "qty"),
        ({"name": "x", "qty": "3"}, "qty"),
        ({"name": "x", "qty": True}, "qty"),
        ({"name": "x", "nope": 1}, "nope"),
        ({"qty": 2}, "name"),
    ],
)
def test_a_form_reply_checks_its_values(values: dict[str, Any], field: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        _form().reply(values)
    assert caught.value.field == field
    assert field in str(caught.value)


def test_a_form_reply_takes_values_within_the_form() -> None:
    message = _form().reply({"name": "x", "qty": 99, "delivery": "pickup", "tags": ["b", "a"]})
    assert message.content == '{"name":"x","qty":99,"delivery":"pickup","tags":["b","a"]}'


def test_a_select_reply_names_its_field() -> None:
    select = UserSelectInteractive.model_validate(
        {"params": {"userSelectOptions": [{"key": "a", "value": "yes"}]}}
    )
    with pytest.raises(RequestValidationError) as caught:
        select.reply("no")
    assert caught.value.field == "value"


async def test_the_emulator_form_app_refuses_a_select_value_before_sending(io_mode: str) -> None:
    fake = FakeFastGPT()
    async with fake.client() as client:
        request = ChatCompletionRequest(
            messages=[ChatMessage.user("hi")], app_id=fake.apps["form"], detail=True
        )
        answer = await run(io_mode, lambda: client.chat.chat(request), lambda: client.chat.achat(request))
        form = answer.interactive
        assert isinstance(form, UserInputInteractive)
        sent = len(fake.requests)
        with pytest.raises(RequestValidationError) as caught:
            form.reply({"Recipient": "Ada", "Quantity": 1, "Delivery": "Ada"})
    assert caught.value.field == "Delivery"
    assert len(fake.requests) == sent


async def test_deltas_yield_reasoning_and_text_in_order(io_mode: str) -> None:
    fake = FakeFastGPT()
    request = ChatCompletionRequest(
        messages=[ChatMessage.user("why?")], app_id=fake.apps["reasoning"], detail=True
    )
    pairs: list[tuple[str, str]] = []
    async with fake.client() as client:
        if io_mode == "sync":
            with client.chat.chat_stream(request) as stream:
                pairs.extend(stream.deltas())
                result = stream.get_final_response()
        else:
            async with client.chat.achat_stream(request) as astream:
                async for kind, delta in astream.deltas():
                    pairs.append((kind, delta))
                result = await astream.get_final_response()
    kinds = [kind for kind, _ in pairs]
    assert "reasoning" in kinds
    assert "text" in kinds
    assert kinds.index("text") > kinds.index("reasoning")  # the model thinks, then answers
    assert "".join(d for k, d in pairs if k == "reasoning") == result.reasoning
    assert "".join(d for k, d in pairs if k == "text") == result.answer
