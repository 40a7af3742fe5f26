"""The main job in one run: a streamed chat, a detail-mode workflow, an interactive answer, then
history, records and feedback, an uploaded image sent in a chat, a stopped generation, and a small
knowledge base (pushed in bulk, trained, searched, then deleted), all typed. Against the emulator, an
app answers from the knowledge base too, and the demo ends with the same apps answering in Chinese, as
FastGPT's own transcripts do.

    make demo                       # against the embedded FakeFastGPT
    FASTGPT_BASE_URL=... FASTGPT_API_KEY=... FASTGPT_APP_ID=... make demo   # against your server
"""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastgpt_oapi import APIStatusError, Client, FastGPTError
from fastgpt_oapi.api.chat.model import (
    AnswerEvent,
    ChatCompletionRequest,
    ChatMessage,
    FlowNodeStatusEvent,
    FlowResponsesEvent,
    InteractiveEvent,
    StopChatRequest,
    TextPart,
    ToolCallEvent,
    ToolParamsEvent,
    ToolResponseEvent,
    UploadFileRequest,
    UserInputInteractive,
    UserSelectInteractive,
)
from fastgpt_oapi.api.chat_history.model import (
    GetHistoryStatusRequest,
    GetRecordDetailRequest,
    ListHistoriesRequest,
    ListRecordsRequest,
    UpdateFeedbackRequest,
    UpdateHistoryRequest,
)
from fastgpt_oapi.api.dataset.model import (
    CreateCollectionRequest,
    CreateDatasetRequest,
    DeleteDatasetRequest,
    SearchTestRequest,
)

# A 1x1 PNG, so the demo needs no file of its own.
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


# A product FAQ for the knowledge-base part: question and answer pairs, as `push_data` takes them.
LUMEN_FAQ = [
    {"q": "How long does the Lumen battery last?", "a": "About ten hours at medium brightness."},
    {"q": "Is there a Lumen app?", "a": "No: every setting is on the lamp itself."},
    {"q": "How long is the Lumen warranty?", "a": "Two years; the battery one year."},
    {"q": "Can I take the Lumen on a plane?", "a": "Yes: fold the arm flat and pack it in its pouch."},
]


@dataclass
class Apps:
    plain: str
    workflow: str
    select: str | None
    knowledge: str | None  # an app answering from the emulator's datasets; None against a server


def real_server() -> bool:
    return bool(os.environ.get("FASTGPT_BASE_URL") and os.environ.get("FASTGPT_API_KEY"))


@contextmanager
def connect() -> Iterator[tuple[Client, Apps, str]]:
    """A client for the real server named in the environment, else for the embedded emulator."""
    if real_server():
        with Client.builder().build() as client:
            app_id = client.app_id
            if app_id is None:
                sys.exit("Set FASTGPT_APP_ID to the 24-hex id of the app to chat with.")
            yield client, Apps(app_id, app_id, app_id, None), client.base_url
        return
    from fastgpt_oapi.testing import FakeFastGPT

    fake = FakeFastGPT()
    with fake.client() as client:
        yield (
            client,
            Apps(fake.app_id, fake.apps["workflow"], fake.apps["select"], fake.apps["knowledge"]),
            "the embedded FakeFastGPT",
        )


def heading(text: str) -> None:
    print(f"\n=== {text} ===")


def main() -> None:
    with connect() as (client, apps, where):
        print(f"fastgpt-oapi demo against {where}")

        heading("1. A streamed chat, printed as it arrives")
        request = ChatCompletionRequest(
            messages=[ChatMessage.user("Who directed Suzume?")], app_id=apps.plain
        )
        with client.chat.chat_stream(request) as stream:
            for text in stream.text_stream:
                print(text, end="", flush=True)
            result = stream.get_final_response()
        print(f"\nchat_id={result.chat_id} data_id={result.data_id}")
        chat_id, data_id = result.chat_id, result.data_id

        heading("2. Detail mode: node statuses and the tool call")
        request = ChatCompletionRequest(
            messages=[ChatMessage.user("Shanghai")], app_id=apps.workflow, detail=True
        )
        with client.chat.chat_stream(request) as stream:
            for event in stream:
                if isinstance(event, FlowNodeStatusEvent):
                    print(f"[node] {event.data.name}: {event.data.status}")
                elif isinstance(event, ToolCallEvent):
                    print(f"[tool] call {event.data.tool.tool_name} ({event.data.tool.function_name})")
                elif isinstance(event, ToolParamsEvent):
                    print(f"[tool] params += {event.data.tool.params!r}")
                elif isinstance(event, ToolResponseEvent):
                    print(f"[tool] response {event.data.tool.response}")
                elif isinstance(event, AnswerEvent) and event.text:
                    print(f"[answer] {event.text}")
                elif isinstance(event, FlowResponsesEvent):
                    for node in event.data:
                        print(f"[done] {node.module_name} ({node.module_type}) {node.running_time}s")
            final = stream.get_final_response()
        for call in final.tool_calls:
            print(f"tool {call.tool_name} params={call.params} -> {call.response}")
        print(f"variables={final.new_variables} title={final.title!r} duration={final.duration_seconds}s")

        heading("3. An interactive node, answered")
        if apps.select is None:
            print("(skipped)")
        else:
            request = ChatCompletionRequest(
                messages=[ChatMessage.user("Place my order")], app_id=apps.select, detail=True
            )
            interactive = None
            with client.chat.chat_stream(request) as stream:
                for event in stream:
                    if isinstance(event, AnswerEvent) and event.text:
                        print(event.text, end="", flush=True)
                    elif isinstance(event, InteractiveEvent):
                        interactive = event.data
                select_chat = stream.chat_id
            print()
            if isinstance(interactive, UserSelectInteractive):
                print(f"asked: {interactive.params.description} options={interactive.options}")
                reply = interactive.reply(interactive.options[0])
            elif isinstance(interactive, UserInputInteractive):
                print(f"asked for a form: {list(interactive.fields)}")
                reply = interactive.reply(
                    {k: f.default_value or "demo" for k, f in interactive.fields.items() if f.required}
                )
            else:
                reply = None
                print("this app did not pause for the user")
            if reply is not None:
                print(f"answering with {reply.content!r}")
                answer = client.chat.chat(
                    ChatCompletionRequest(
                        messages=[reply], chat_id=select_chat, app_id=apps.select, detail=True
                    )
                )
                print(f"-> {answer.answer}")

        heading("4. History, records and feedback")
        client.chat_history.update_history(
            UpdateHistoryRequest(
                app_id=apps.plain, chat_id=chat_id, custom_title="Demo: who directed Suzume", top=True
            )
        )
        histories = client.chat_history.list_histories(ListHistoriesRequest(app_id=apps.plain, page_size=5))
        print(f"{histories.total} chat(s); latest:")
        for item in histories.list:
            print(f"  {item.chat_id}  {item.custom_title or item.title!r}  updated {item.update_time}")
        client.chat_history.update_feedback(UpdateFeedbackRequest.like(chat_id, data_id, app_id=apps.plain))
        records = client.chat_history.list_records(ListRecordsRequest(app_id=apps.plain, chat_id=chat_id))
        for record in records.list:
            print(f"  {record.obj:5} {record.text[:40]!r} good={record.user_good_feedback}")
        detail = client.chat_history.get_record_detail(
            GetRecordDetailRequest(app_id=apps.plain, chat_id=chat_id, data_id=data_id)
        )
        print(f"record {data_id} ran {len(detail.list)} node(s): {[n.module_type for n in detail.list]}")

        heading("5. An image, uploaded to FastGPT's storage, then sent in a chat")
        upload = UploadFileRequest(
            chat_id=chat_id, app_id=apps.plain, filename="pixel.png", content=PIXEL_PNG
        )
        try:
            image = client.chat.upload_file(upload)
        except APIStatusError as exc:  # an app whose file uploads are switched off, say
            print(f"the server refused the upload: {exc}")
        else:
            print(f"uploaded {image.filename} ({image.size} bytes, {image.content_type}) as {image.key}")
            question = ChatMessage.user([TextPart(text="What is in this picture?"), image.image_part()])
            answer = client.chat.chat(
                ChatCompletionRequest(messages=[question], chat_id=chat_id, app_id=apps.plain)
            )
            print(f"-> {answer.answer}")

        heading("6. A generation stopped: stop_chat, then leave the stream")
        stream = client.chat.chat_stream(
            ChatCompletionRequest(messages=[ChatMessage.user("Tell me a long story")], app_id=apps.plain)
        )
        with stream:  # entering sends the request and reads to the first event
            stopped = client.chat.stop_chat(StopChatRequest(chat_id=stream.chat_id, app_id=apps.plain))
            # FastGPT >= 4.16.3 answers at once, `completed` always False: leave the stream yourself.
            print(f"stop flag written: {stopped.success}; completed: {stopped.completed}")
        status = client.chat_history.get_history_status(
            GetHistoryStatusRequest(app_id=apps.plain, chat_ids=[stream.chat_id])
        )
        print(f"the chat now: {[(s.chat_id, s.chat_generate_status) for s in status.list]}")

        heading("7. A knowledge base: pushed in bulk, trained, searched")
        knowledge_base(client, apps)

    if not real_server():
        heading('8. The emulator in Chinese: FakeFastGPT(language="zh")')
        in_chinese()


def knowledge_base(client: Client, apps: Apps) -> None:
    """A dataset made for the demo and deleted after it: FAQ pairs through push_all, then a search."""
    dataset = client.dataset.create_dataset(CreateDatasetRequest(name="Demo: Lumen FAQ"))
    try:
        faq = client.dataset.create_collection(
            CreateCollectionRequest(dataset_id=dataset.id, name="FAQ", type="virtual")
        )
        pushed = client.dataset.push_all(faq.id, LUMEN_FAQ, batch_size=2)
        print(f"pushed {pushed.items} pairs in {len(pushed.batches)} batches, {pushed.inserted} taken")
        trained = client.dataset.wait_for_training(faq.id, timeout=300)
        print(f"trained: {trained.slowest_training_status}, {trained.index_amount} index(es)")
        search = SearchTestRequest(dataset_id=dataset.id, text="How long does the battery last?")
        for hit in client.dataset.search_test(search).list[:1]:
            print(f"search: {hit.q!r} -> {hit.a!r}")
        if apps.knowledge is not None:  # the emulator's knowledge app cites what it answers from
            question = ChatMessage.user("Is there a Lumen app?")
            answer = client.chat.chat(
                ChatCompletionRequest(messages=[question], app_id=apps.knowledge, detail=True)
            )
            cited = [q.source_name for node in answer.response_data for q in node.quote_list or []]
            print(f"knowledge app: {answer.answer!r} (cites {cited[0] if cited else 'nothing'})")
    finally:
        client.dataset.delete_dataset(DeleteDatasetRequest(id=dataset.id))


def in_chinese() -> None:
    """FastGPT's users mostly write Chinese: the emulator's apps can answer as FastGPT's own
    transcripts do."""
    from fastgpt_oapi.testing import FakeFastGPT

    fake = FakeFastGPT(language="zh")
    with fake.client() as client:
        for app, question in (
            ("echo", "电影《铃芽之旅》的导演是谁？"),
            ("workflow", "上海"),
            ("select", "帮我下单"),
        ):
            request = ChatCompletionRequest(messages=[ChatMessage.user(question)], app_id=fake.apps[app])
            print(f"{app}: {question} -> {client.chat.chat(request).answer}")


if __name__ == "__main__":
    try:
        main()
    except FastGPTError as exc:
        sys.exit(f"demo failed: {type(exc).__name__}: {exc}")
