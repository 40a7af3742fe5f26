"""Export an app's chats to JSON Lines: one line per chat, with its records in reading order.

`iter_histories` walks the app's chats page by page, and `iter_records` a chat's records, newest first
(so an export can stop early); each chat's records are reversed into reading order before writing.
Memory holds one chat at a time. Fields are written under their Python (snake_case) names, what
`model_dump()` writes by default (`by_alias=True` would write FastGPT's camelCase wire names).

Run it with `python -m examples.export_histories chats.jsonl` (or with no argument, to write the lines
to standard output). It exports the app in FASTGPT_APP_ID; against the embedded emulator it first makes
a few chats to export.
"""

# --8<-- [start:export]
from __future__ import annotations

import json
from typing import Any, TextIO

from pydantic import BaseModel

from fastgpt_oapi import Client
from fastgpt_oapi.api.chat_history.model import ListHistoriesRequest, ListRecordsRequest


def plain(model: BaseModel) -> dict[str, Any]:
    """A model as JSON-ready data under its Python names, leaving out what the server did not say."""
    return model.model_dump(mode="json", by_alias=False, exclude_none=True)


def export_histories(client: Client, out: TextIO, *, app_id: str | None = None, page_size: int = 50) -> int:
    """Write every chat of the app (default: the client's) as one JSON line; returns how many."""
    chats = 0
    for chat in client.chat_history.iter_histories(ListHistoriesRequest(app_id=app_id, page_size=page_size)):
        newest_first = client.chat_history.iter_records(
            ListRecordsRequest(app_id=app_id, chat_id=chat.chat_id, page_size=page_size)
        )
        records = [plain(record) for record in newest_first]
        records.reverse()  # reading order: the first question first
        out.write(json.dumps({**plain(chat), "records": records}, ensure_ascii=False) + "\n")
        chats += 1
    return chats


async def aexport_histories(
    client: Client, out: TextIO, *, app_id: str | None = None, page_size: int = 50
) -> int:
    """`export_histories` from async code."""
    chats = 0
    async for chat in client.chat_history.aiter_histories(
        ListHistoriesRequest(app_id=app_id, page_size=page_size)
    ):
        newest_first = client.chat_history.aiter_records(
            ListRecordsRequest(app_id=app_id, chat_id=chat.chat_id, page_size=page_size)
        )
        records = [plain(record) async for record in newest_first]
        records.reverse()
        out.write(json.dumps({**plain(chat), "records": records}, ensure_ascii=False) + "\n")
        chats += 1
    return chats


# --8<-- [end:export]


def make_some_chats(client: Client) -> None:
    from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage

    for opening in ("Who directed Suzume?", "What is FastGPT?"):
        first = client.chat.chat(ChatCompletionRequest(messages=[ChatMessage.user(opening)]))
        for follow_up in ("Tell me more", "Thanks!"):
            client.chat.chat(
                ChatCompletionRequest(messages=[ChatMessage.user(follow_up)], chat_id=first.chat_id)
            )


def main() -> None:
    import sys

    from ._connect import connect  # what every example starts with: the emulator, or your server

    with connect() as target:
        if target.fake is not None:
            make_some_chats(target.client)
        if len(sys.argv) > 1:
            with open(sys.argv[1], "w", encoding="utf-8") as out:
                exported = export_histories(target.client, out)
            print(f"exported {exported} chat(s) from {target.where} to {sys.argv[1]}")
        else:
            export_histories(target.client, sys.stdout, page_size=2)  # small pages: many requests


if __name__ == "__main__":
    main()
