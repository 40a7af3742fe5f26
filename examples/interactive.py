"""Interactive nodes: the workflow stops to ask the user; `.reply(...)` builds the answer to send.

A userSelect node offers options, a userInput node asks for a form. Either way the run ends, and the
next message on the same chat_id carries the user's answer, which resumes the workflow where it paused.
Interactions are visible with `detail=True` only.

Run it with `python -m examples.interactive`.
"""

from __future__ import annotations

from typing import Any

from fastgpt_oapi import Client
from fastgpt_oapi.api.chat.model import (
    AnswerEvent,
    ChatCompletionRequest,
    ChatMessage,
    FormField,
    Interactive,
    InteractiveEvent,
    UserInputInteractive,
    UserSelectInteractive,
)

from ._connect import connect, heading


def choose(client: Client, app_id: str) -> None:
    """userSelect, streamed: watch for the InteractiveEvent, then send the chosen option."""
    request = ChatCompletionRequest(messages=[ChatMessage.user("Place my order")], app_id=app_id, detail=True)
    asked: Interactive | None = None
    with client.chat.chat_stream(request) as stream:
        for event in stream:
            if isinstance(event, AnswerEvent) and event.text:
                print(event.text, end="", flush=True)
            elif isinstance(event, InteractiveEvent):
                asked = event.data
        chat_id = stream.chat_id
    print()
    if not isinstance(asked, UserSelectInteractive):
        print(f"this app did not ask the user to pick an option (got {asked!r})")
        return
    print(f"asked: {asked.params.description}")
    print(f"options: {asked.options}")
    try:
        asked.reply("Maybe")
    except ValueError as exc:  # checked before anything is sent
        print(f"not an option: {exc}")
    reply = asked.reply(asked.options[0])  # the option's value, as FastGPT expects
    print(f"replying {reply.content!r} on chat {chat_id}")
    answer = client.chat.chat(
        ChatCompletionRequest(messages=[reply], chat_id=chat_id, app_id=app_id, detail=True)
    )
    print(f"-> {answer.answer}")


def sample_value(field: FormField) -> Any:
    if field.options:
        return field.options[0].value
    if field.default_value not in (None, ""):
        return field.default_value
    if field.value_type == "number":
        return int(field.min or 1) + 1
    if field.value_type == "boolean":
        return True
    return "Ada"


def fill_in(client: Client, app_id: str) -> None:
    """userInput, blocking: `response.interactive` holds the form; send its values as one message."""
    first = client.chat.chat(
        ChatCompletionRequest(messages=[ChatMessage.user("Ship it to me")], app_id=app_id, detail=True)
    )
    print(first.answer)
    form = first.interactive
    if not isinstance(form, UserInputInteractive):
        print(f"this app did not ask for a form (got {form!r})")
        return
    print(f"asked: {form.params.description}")
    for key, field in form.fields.items():
        choices = f" choices={[o.value for o in field.options]}" if field.options else ""
        print(f"  {key}: {field.type} required={field.required}{choices}")
    try:
        form.reply({"color": "red"})
    except ValueError as exc:  # an unknown key, or a required one left out
        print(f"rejected: {exc}")
    # A UI would ask the user; here every field gets a plausible value. Values are sent as given.
    reply = form.reply({key: sample_value(field) for key, field in form.fields.items()})
    print(f"replying {reply.content}")
    answer = client.chat.chat(
        ChatCompletionRequest(messages=[reply], chat_id=first.chat_id, app_id=app_id, detail=True)
    )
    print(f"-> {answer.answer}")


def main() -> None:
    with connect() as target:
        print(f"interactive nodes against {target.where}")
        heading("userSelect: pick an option")
        choose(target.client, target.app("select"))
        heading("userInput: fill in a form")
        fill_in(target.client, target.app("form"))


if __name__ == "__main__":
    main()
