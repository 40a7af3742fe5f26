"""Chat history: list an app's chats, read a chat's records, like a record, rename, pin and delete.

Every call needs the app's id: on the request, or (as here) the client's default from
`Client.builder().app_id(...)` / FASTGPT_APP_ID.

Run it with `python -m examples.history`.
"""

from __future__ import annotations

from fastgpt_oapi import Client
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.api.chat_history.model import (
    ClearHistoriesRequest,
    CreateQuestionGuideRequest,
    DeleteHistoryRequest,
    DeleteRecordRequest,
    GetChatInitRequest,
    GetRecordDetailRequest,
    ListHistoriesRequest,
    ListRecordsRequest,
    UpdateFeedbackRequest,
    UpdateHistoryRequest,
)

from ._connect import connect, heading


def start_chats(client: Client) -> tuple[str, str]:
    """Two short chats, so there is something to list. Returns a chat id and its last AI record id."""
    first = client.chat.chat(ChatCompletionRequest(messages=[ChatMessage.user("Who directed Suzume?")]))
    client.chat.chat(
        ChatCompletionRequest(messages=[ChatMessage.user("Tell me about it")], chat_id=first.chat_id)
    )
    second = client.chat.chat(ChatCompletionRequest(messages=[ChatMessage.user("What is FastGPT?")]))
    return second.chat_id, second.data_id


def main() -> None:
    with connect() as target:
        client = target.client
        history = client.chat_history
        print(f"chat history against {target.where}")
        chat_id, data_id = start_chats(client)

        heading("The app's chats")
        page = history.list_histories(ListHistoriesRequest(page_size=10))
        print(f"{page.total} chat(s) in total, {len(page.list)} on this page")
        for chat in page.list:
            print(f"  {chat.chat_id}  {chat.display_title!r}  updated {chat.update_time}")

        heading("Rename and pin one")
        history.update_history(UpdateHistoryRequest(chat_id=chat_id, custom_title="About FastGPT", top=True))
        # iter_histories fetches page after page (here two at a time) for as long as you read.
        for chat in history.iter_histories(ListHistoriesRequest(page_size=2)):
            pin = "pinned" if chat.top else "      "
            print(f"  {pin} {chat.chat_id}  {chat.display_title!r}")

        heading("What the chat holds")
        init = history.get_chat_init(GetChatInitRequest(chat_id=chat_id))
        print(f"app {init.app.name!r} ({init.app.type}), models {init.app.chat_models}, title {init.title!r}")
        records = history.list_records(ListRecordsRequest(chat_id=chat_id))
        for record in records.list:  # oldest first within the page
            print(f"  {record.obj:<5} {record.data_id}  {record.text!r}")
        # iter_records walks from the newest record back, page by page.
        newest = next(history.iter_records(ListRecordsRequest(chat_id=chat_id, page_size=1)))
        print(f"newest record: {newest.obj} {newest.text!r}")

        heading("What each node did for the answer")
        detail = history.get_record_detail(GetRecordDetailRequest(chat_id=chat_id, data_id=data_id))
        for node in detail.list:
            print(f"  {node.module_type:<14} {node.module_name}  {node.running_time}s")

        heading("Feedback and suggested questions")
        history.update_feedback(UpdateFeedbackRequest.like(chat_id, data_id))
        liked = [r for r in history.list_records(ListRecordsRequest(chat_id=chat_id)).list if r.is_ai]
        print(f"liked: {[r.user_good_feedback for r in liked]}")
        guide = history.create_question_guide(CreateQuestionGuideRequest(chat_id=chat_id))
        for suggestion in guide.list:
            print(f"  next? {suggestion}")

        heading("Deleting")
        history.delete_record(DeleteRecordRequest(chat_id=chat_id, data_id=data_id))
        left = history.list_records(ListRecordsRequest(chat_id=chat_id))
        print(f"records left in the chat: {left.total}")
        history.delete_history(DeleteHistoryRequest(chat_id=chat_id))
        print(f"chats after deleting one: {history.list_histories(ListHistoriesRequest()).total}")
        if target.fake is not None:  # against your own server this would clear all its API chats
            history.clear_histories(ClearHistoriesRequest())
            print(f"chats after clearing: {history.list_histories(ListHistoriesRequest()).total}")


if __name__ == "__main__":
    main()
