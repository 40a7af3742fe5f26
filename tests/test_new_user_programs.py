"""The four programs of the December 2026 newcomer trial (`shared/reviews/new-user-2026-12.md`),
rewritten as a user writes them against the emulator: no `or ''`, no reading of SDK internals, and
`mypy --strict` clean (the suite's mypy run covers this file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fastgpt_oapi import (
    ChatCompletionRequest,
    ChatMessage,
    ListHistoriesRequest,
    ListRecordsRequest,
    RequestValidationError,
)
from fastgpt_oapi.api.chat.model import (
    StopChatRequest,
    TextPart,
    UploadFileRequest,
    UserInputInteractive,
    UserSelectInteractive,
)
from fastgpt_oapi.api.dataset.model import (
    CreateCollectionRequest,
    CreateDatasetRequest,
    CreateFileCollectionRequest,
    CreateTextCollectionRequest,
    SearchTestRequest,
)
from fastgpt_oapi.testing import FakeFastGPT


def test_knowledge_base_import(tmp_path: Path) -> None:
    """kb_import.py: files into collections, a paragraph split pushed into a virtual collection, a
    search whose hits are printed without `or ''`."""
    (tmp_path / "streams.md").write_text(
        "# Streams\n\nA Node.js readable stream can be created from an asynchronous generator.\n"
    )
    (tmp_path / "fs.md").write_text("# File system\n\nfs.readFile reads a whole file.\n")
    fake = FakeFastGPT()
    lines: list[str] = []
    with fake.client() as client:
        kb = client.dataset
        dataset_id = kb.create_dataset(CreateDatasetRequest(name="node docs")).id
        for path in sorted(tmp_path.glob("*.md")):
            created = kb.create_file_collection(CreateFileCollectionRequest(dataset_id=dataset_id, file=path))
            kb.wait_for_training(created.collection_id, on_progress=lambda d: lines.append(d.name))
        virtual = kb.create_collection(
            CreateCollectionRequest(dataset_id=dataset_id, name="split", type="virtual")
        )
        paragraphs = ({"q": f"paragraph {n} about streams"} for n in range(450))
        pushed = kb.push_all(virtual.id, paragraphs)
        found = kb.search_test(
            SearchTestRequest(dataset_id=dataset_id, text="readable stream from a generator")
        )
        for hit in found.list[:5]:
            lines.append(f"{hit.source_name} #{hit.chunk_index}: {hit.q[:70]!r}")
    assert pushed.inserted == 450
    assert found.list
    assert "asynchronous generator" in found.list[0].q


async def test_async_chat_with_interactive_replies_and_stop() -> None:
    """chat_async.py: reasoning and text shown together, the select and form apps answered on the
    same chat until they are done, then a slowed stream stopped after 3 deltas."""
    fake = FakeFastGPT()
    shown: list[tuple[str, str]] = []
    async with fake.client() as client:
        for app in ("select", "form"):
            request = ChatCompletionRequest(
                messages=[ChatMessage.user("hi")], app_id=fake.apps[app], detail=True
            )
            for _turn in range(4):  # a loop that would never end if the chat were lost
                async with client.chat.achat_stream(request) as stream:
                    async for kind, delta in stream.deltas():
                        shown.append((kind, delta))
                    result = await stream.get_final_response()
                question = result.interactive
                if isinstance(question, UserSelectInteractive):
                    request = result.follow_up(question.reply(question.options[0]))
                elif isinstance(question, UserInputInteractive):
                    request = result.follow_up(question.reply({"Recipient": "Ada", "Quantity": 2}))
                else:
                    break
            else:
                pytest.fail(f"the {app} app kept asking")
        fake.delay_next(0, chunk_delay=0.05)
        slow = ChatCompletionRequest(messages=[ChatMessage.user("tell me a long story")], detail=True)
        deltas = 0
        async with client.chat.achat_stream(slow) as stream:
            async for kind, _delta in stream.deltas():
                deltas += kind == "text"
                if deltas == 3:
                    stopped = await client.chat.astop_chat(StopChatRequest(chat_id=stream.chat_id))
                    break
    assert stopped.success
    assert ("text", "Ordered 2 for Ada.") in shown or any("Ada" in d for _, d in shown)


def test_export_with_upload(tmp_path: Path) -> None:
    """export_and_upload.py: a file uploaded into a chat and sent, then every chat and record exported
    as JSON lines."""
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + b"0" * 4096)
    fake = FakeFastGPT()
    out = tmp_path / "export.jsonl"
    with fake.client() as client:
        for n in range(25):
            client.chat.chat(ChatCompletionRequest(messages=[ChatMessage.user(f"question {n}")]))
        first = ChatCompletionRequest(messages=[ChatMessage.user("hello")])
        client.chat.chat(first)
        assert first.chat_id is not None  # the SDK wrote the id it chose into the request
        uploaded = client.chat.upload_file(UploadFileRequest(chat_id=first.chat_id, content=pdf))
        message = ChatMessage.user([TextPart(text="Summarise this"), uploaded.file_part()])
        client.chat.chat(ChatCompletionRequest(messages=[message], chat_id=first.chat_id))
        with out.open("w") as sink:
            for chat in client.chat_history.iter_histories(ListHistoriesRequest(page_size=10)):
                records = list(
                    client.chat_history.iter_records(ListRecordsRequest(chat_id=chat.chat_id, page_size=3))
                )
                for record in reversed(records):
                    row = {"chat": chat.chat_id, **record.model_dump(mode="json", exclude_none=True)}
                    sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len({row["chat"] for row in rows}) == 26
    assert len(rows) == 26 * 2 + 2
    assert any(item.get("type") == "file" for row in rows for item in row.get("value", []))


def test_the_mistakes_script(tmp_path: Path) -> None:
    """kb_mistakes.py: each mistake refused before anything is sent, naming the field."""
    fake = FakeFastGPT()
    dataset = "6593e137231a2be9c5603ba7"
    mistakes: list[tuple[str, str | None]] = []
    with fake.client() as client:
        sent = len(fake.requests)
        for attempt in (
            lambda: SearchTestRequest(dataset_id="abc123abc123", text="q"),
            lambda: SearchTestRequest(dataset_id=dataset + " ", text="q"),
            lambda: CreateTextCollectionRequest(dataset_id=dataset, name="n", text="t", chunk_size=10),
            lambda: CreateTextCollectionRequest(dataset_id=dataset, name="n", text="t", chunk_size=100),
            lambda: client.dataset.create_file_collection(
                CreateFileCollectionRequest(dataset_id=dataset, file=tmp_path / "nope.md")
            ),
            lambda: client.dataset.push_all("6593e137231a2be9c5603bb1", [{"q": "x"}], batch_size=500),
        ):
            with pytest.raises(RequestValidationError) as caught:
                attempt()
            mistakes.append((str(caught.value), caught.value.field))
        assert len(fake.requests) == sent
    fields = [field for _, field in mistakes]
    assert fields[:4] == ["dataset_id", "dataset_id", "chunk_size", "chunk_size"]
    assert 'chunk_setting_mode="custom"' in mistakes[3][0]
