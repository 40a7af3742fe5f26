"""A terminal chatbot: one conversation, streamed, the model's reasoning shown dimmed before the answer.

Each question continues the chat the first one started: the stream knows its `chat_id` before anything
is sent, and the next request passes it back, so FastGPT adds the stored history itself. A failed turn
(an error from FastGPT, the network) is reported and the conversation goes on.

Run it with `python -m examples.chatbot` and type; an empty line or Ctrl-D ends it. Against a real
server it talks to FASTGPT_REASONING_APP_ID (else FASTGPT_APP_ID). `examples/pytest_suite/` tests it.
"""

# --8<-- [start:chatbot]
from __future__ import annotations

import sys
from typing import TextIO

from fastgpt_oapi import Client, FastGPTError
from fastgpt_oapi.api.chat.model import (
    AnswerEvent,
    ChatCompletionRequest,
    ChatMessage,
    FastAnswerEvent,
)

DIM, RESET = "\x1b[2m", "\x1b[0m"


class Chatbot:
    """One conversation with one app, printed to `out` (default: standard output) as it is written."""

    def __init__(self, client: Client, *, app_id: str | None = None, out: TextIO | None = None) -> None:
        self.client = client
        self.app_id = app_id  # None: the client's app
        self.out = out or sys.stdout
        self.chat_id: str | None = None  # set by the first question, sent with every later one
        self.dim = self.out.isatty()  # escape codes only for a terminal, not for a file or a test

    def _request(self, question: str) -> ChatCompletionRequest:
        return ChatCompletionRequest(
            messages=[ChatMessage.user(question)], chat_id=self.chat_id, app_id=self.app_id
        )

    def _show(self, event: AnswerEvent | FastAnswerEvent, thinking: bool) -> bool:
        """Print one delta; returns whether the model is still thinking (inside its reasoning)."""
        if event.reasoning:
            if not thinking:
                self.out.write(DIM if self.dim else "(thinking) ")
            self.out.write(event.reasoning)
            thinking = True
        if event.text:
            if thinking:
                self.out.write(RESET if self.dim else "\n")
            self.out.write(event.text)
            thinking = False
        self.out.flush()
        return thinking

    def ask(self, question: str) -> str:
        """Stream the answer to `question` into `out`; returns the answer text.

        Raises what the SDK raises (all `FastGPTError`s): a refusal before anything is printed,
        a `StreamError` after the part of the answer that came before it.
        """
        thinking = False
        with self.client.chat.chat_stream(self._request(question)) as stream:
            self.chat_id = stream.chat_id  # known before the first byte arrives
            try:
                for event in stream:
                    if isinstance(event, (AnswerEvent, FastAnswerEvent)):
                        thinking = self._show(event, thinking)
            finally:
                self.out.write(RESET + "\n" if self.dim and thinking else "\n")
            return stream.get_final_response().answer

    async def aask(self, question: str) -> str:
        """`ask`, from async code."""
        thinking = False
        async with self.client.chat.achat_stream(self._request(question)) as stream:
            self.chat_id = stream.chat_id
            try:
                async for event in stream:
                    if isinstance(event, (AnswerEvent, FastAnswerEvent)):
                        thinking = self._show(event, thinking)
            finally:
                self.out.write(RESET + "\n" if self.dim and thinking else "\n")
            return (await stream.get_final_response()).answer


def chat_loop(bot: Chatbot) -> int:
    """Ask each line typed until an empty one or end of input; returns how many turns were answered."""
    answered = 0
    while True:
        try:
            question = input("you> ").strip()
        except EOFError:
            print()
            return answered
        if not question:
            return answered
        print("bot> ", end="")
        try:
            bot.ask(question)
            answered += 1
        except FastGPTError as exc:  # the conversation survives a failed turn
            print(f"[{type(exc).__name__}] {exc}")


# --8<-- [end:chatbot]


def main() -> None:
    from fastgpt_oapi.api.chat_history.model import ListRecordsRequest

    from ._connect import connect  # what every example starts with: the emulator, or your server

    with connect() as target:
        print(f"chatbot against {target.where}; an empty line or Ctrl-D ends the chat")
        bot = Chatbot(target.client, app_id=target.app("reasoning"))
        turns = chat_loop(bot)
        if bot.chat_id is None:
            return
        stored = target.client.chat_history.list_records(
            ListRecordsRequest(chat_id=bot.chat_id, app_id=bot.app_id)
        )
        print(f"{turns} turn(s) on one chat, {stored.total} records stored")


if __name__ == "__main__":
    main()
