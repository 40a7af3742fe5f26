"""Interactive nodes: the workflow stops to ask the user; `.reply(...)` builds the answer to send.

A userSelect node offers options, a userInput node asks for a form. Either way the run ends, and the
next message on the same chat_id carries the user's answer, which resumes the workflow where it paused.
Interactions are visible with `detail=True` only. A workflow may ask again after an answer: the last
part loops, answering until the run ends without a question.

Run it with `python -m examples.interactive`.
"""

# --8<-- [start:imports]
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastgpt_oapi import Client
from fastgpt_oapi.api.chat.model import (
    AgentAskInteractive,
    AnswerEvent,
    ChatCompletionRequest,
    ChatMessage,
    ChatStreamResult,
    FormField,
    Interactive,
    InteractiveEvent,
    UserInputInteractive,
    UserSelectInteractive,
)

# --8<-- [end:imports]


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


# --8<-- [start:loop]
def answer_until_done(
    client: Client,
    question: ChatMessage,
    decide: Callable[[Interactive], ChatMessage | None],
    *,
    app_id: str | None = None,
    max_questions: int = 10,
) -> ChatStreamResult:
    """Ask `question`, then answer each question the workflow asks with `decide(...)`, on the same chat,
    until a run ends without one. `decide` returns None to stop answering; that run's result, with its
    `interactive` still set, is returned."""
    message, chat_id = question, None
    for _ in range(max_questions + 1):
        request = ChatCompletionRequest(messages=[message], chat_id=chat_id, app_id=app_id, detail=True)
        with client.chat.chat_stream(request) as stream:
            for text in stream.text_stream:
                print(text, end="", flush=True)
            result = stream.get_final_response()
        print()
        if result.interactive is None:
            return result  # the run went to the end
        reply = decide(result.interactive)
        if reply is None:
            return result
        message, chat_id = reply, result.chat_id
    raise RuntimeError(f"the workflow still asks after {max_questions} answers")


def decide(asked: Interactive) -> ChatMessage | None:
    """What a UI would ask its user. Here: the first option, a plausible value for each field."""
    description = getattr(asked.params, "description", None)  # an UnknownInteractive's params are raw
    print(f"  [{type(asked).__name__}] {description!r}")
    if isinstance(asked, UserSelectInteractive):
        return asked.reply(asked.options[0])
    if isinstance(asked, UserInputInteractive):
        return asked.reply({key: sample_value(field) for key, field in asked.fields.items()})
    if isinstance(asked, AgentAskInteractive):
        return asked.reply(*(q.options[0].value if q.options else "no preference" for q in asked.questions))
    return None  # a payment pause (top up the team's AI points first), or a kind the SDK does not type


def sample_value(field: FormField) -> Any:
    """A plausible value for a form field, where a real program would ask its user."""
    if field.options:
        return field.options[0].value
    if field.default_value not in (None, ""):
        return field.default_value
    if field.value_type == "number":
        return int(field.min or 1) + 1
    if field.value_type == "boolean":
        return True
    return "Ada"


# --8<-- [end:loop]


def main() -> None:
    from ._connect import connect, heading  # what every example starts with: the emulator, or your server

    with connect() as target:
        print(f"interactive nodes against {target.where}")
        heading("userSelect: pick an option")
        choose(target.client, target.app("select"))
        heading("userInput: fill in a form")
        fill_in(target.client, target.app("form"))
        heading("A loop: answer until the workflow stops asking")
        for app in ("select", "form"):
            question = ChatMessage.user("Place my order")
            result = answer_until_done(target.client, question, decide, app_id=target.app(app))
            print(f"{app}: done, still asking: {result.interactive is not None}")


if __name__ == "__main__":
    main()
