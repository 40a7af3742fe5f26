"""FakeFastGPT's `POST /api/v2/chat/stop` interrupts a streamed run slowed by `delay_next(chunk_delay=...)`,
in process (sync and async) and over `serve()`: the stream ends early, as FastGPT ends a stopped run
(the answer so far, then the closing events and [DONE]), and the stored AI record holds exactly the
answer streamed so far, as FastGPT 4.16.3 and later store it."""

from __future__ import annotations

import asyncio
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from fastgpt_oapi import Client
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage, StopChatRequest, StopChatResponse
from fastgpt_oapi.api.chat_history.model import GetRecordDetailRequest, ListRecordsRequest
from fastgpt_oapi.testing import FakeFastGPT

QUESTION = "tell me a long story about a lighthouse keeper and the sea, " * 4
FULL = f"You said: {QUESTION}"  # what the echo app answers when nobody stops it
DELAY = 0.02  # seconds before each chunk: the full answer would take a second and more


def _request(detail: bool = False) -> ChatCompletionRequest:
    return ChatCompletionRequest(messages=[ChatMessage.user(QUESTION)], detail=detail)


def _read_and_stop_sync(client: Client, request: ChatCompletionRequest) -> tuple[list[str], Any, Any]:
    """Read the stream; after 3 deltas, stop the chat from another thread, then read on to the end."""
    seen: list[str] = []
    stopped: list[StopChatResponse] = []
    with client.chat.chat_stream(request) as stream:
        for delta in stream.text_stream:
            seen.append(delta)
            if len(seen) == 3:
                stop = StopChatRequest(chat_id=stream.chat_id)
                thread = threading.Thread(target=lambda s=stop: stopped.append(client.chat.stop_chat(s)))
                thread.start()
                thread.join()
        final = stream.get_final_response()
    return seen, stopped[0], final


async def _read_and_stop_async(client: Client, request: ChatCompletionRequest) -> tuple[list[str], Any, Any]:
    """The same with a task: the stop is sent while the stream is being read."""
    seen: list[str] = []
    task: asyncio.Task[StopChatResponse] | None = None
    async with client.chat.achat_stream(request) as stream:
        async for delta in stream.text_stream:
            seen.append(delta)
            if len(seen) == 3:
                task = asyncio.create_task(client.chat.astop_chat(StopChatRequest(chat_id=stream.chat_id)))
                await asyncio.sleep(0)  # the task runs while the stream is still open
        final = await stream.get_final_response()
    assert task is not None
    return seen, await task, final


async def _stored(client: Client, io_mode: str, chat_id: str, data_id: str) -> tuple[str, Any]:
    records = ListRecordsRequest(chat_id=chat_id)
    detail = GetRecordDetailRequest(chat_id=chat_id, data_id=data_id)
    if io_mode == "sync":
        page, nodes = client.chat_history.list_records(records), client.chat_history.get_record_detail(detail)
    else:
        page = await client.chat_history.alist_records(records)
        nodes = await client.chat_history.aget_record_detail(detail)
    ai = [r for r in page.list if r.obj == "AI"]
    assert [r.data_id for r in ai] == [data_id]
    return ai[0].text, nodes


async def _stop_a_slow_stream(client: Client, io_mode: str, *, detail: bool = False) -> None:
    request = _request(detail)
    if io_mode == "sync":
        seen, stopped, final = _read_and_stop_sync(client, request)
    else:
        seen, stopped, final = await _read_and_stop_async(client, request)
    partial = "".join(seen)
    # FastGPT 4.16.3+: the flag is written and the call returns at once (`stop.ts`).
    assert (stopped.success, stopped.completed, stopped.chat_generate_status) == (True, False, 0)
    # The stream ended early, but as a run ends: the answer so far, then [DONE] (no error).
    assert len(seen) >= 3
    assert partial
    assert FULL.startswith(partial)
    assert len(partial) < len(FULL) // 2
    assert final.answer == partial
    text, nodes = await _stored(client, io_mode, final.chat_id, final.data_id)
    assert text == partial  # exactly what was streamed: not the full answer, not empty
    # The model node's answer is cut too, its finish reason "close" (as `createStreamResponse` sets it).
    chat_node = next(n for n in nodes.list if n.history_preview)
    assert chat_node.history_preview is not None
    assert (chat_node.history_preview[-1].value, chat_node.finish_reason) == (partial, "close")


async def test_stop_chat_interrupts_a_slowed_stream_in_process(io_mode: str) -> None:
    fake = FakeFastGPT()
    fake.delay_next(0, path="/api/v2/chat/completions", chunk_delay=DELAY)
    client = fake.client()
    try:
        await _stop_a_slow_stream(client, io_mode)
    finally:
        if io_mode == "sync":
            client.close()
        else:
            await client.aclose()


async def test_stop_chat_interrupts_a_detailed_stream_in_process(io_mode: str) -> None:
    """With `detail`, each event is two chunks (`event:` and `data:`): the cut falls between events."""
    fake = FakeFastGPT()
    fake.delay_next(0, path="/api/v2/chat/completions", chunk_delay=DELAY)
    client = fake.client()
    try:
        await _stop_a_slow_stream(client, io_mode, detail=True)
    finally:
        if io_mode == "sync":
            client.close()
        else:
            await client.aclose()


@pytest.mark.system
async def test_stop_chat_interrupts_a_slowed_stream_over_http(io_mode: str) -> None:
    fake = FakeFastGPT()
    with fake.serve(chunk_delay=DELAY) as base_url:
        client = Client.builder().base_url(base_url).api_key(fake.api_key).app_id(fake.app_id).build()
        try:
            await _stop_a_slow_stream(client, io_mode, detail=True)
        finally:
            if io_mode == "sync":
                client.close()
            else:
                await client.aclose()


async def test_a_stream_nobody_stops_is_stored_whole(io_mode: str) -> None:
    fake = FakeFastGPT()
    fake.delay_next(0, path="/api/v2/chat/completions", chunk_delay=0.001)
    client = fake.client()
    try:
        if io_mode == "sync":
            with client.chat.chat_stream(_request()) as stream:
                final = stream.get_final_response()
        else:
            async with client.chat.achat_stream(_request()) as astream:
                final = await astream.get_final_response()
        text, _ = await _stored(client, io_mode, final.chat_id, final.data_id)
    finally:
        if io_mode == "sync":
            client.close()
        else:
            await client.aclose()
    assert final.answer == text == FULL


async def test_a_stop_then_a_closed_stream_keeps_what_was_read(io_mode: str) -> None:
    """A client that stops and leaves (as FastGPT 4.16.3 asks) still leaves the partial answer stored."""
    fake = FakeFastGPT()
    fake.delay_next(0, path="/api/v2/chat/completions", chunk_delay=DELAY)
    client = fake.client()
    seen: list[str] = []
    try:
        if io_mode == "sync":
            with client.chat.chat_stream(_request()) as stream:
                for delta in stream.text_stream:
                    seen.append(delta)
                    if len(seen) == 3:
                        client.chat.stop_chat(StopChatRequest(chat_id=stream.chat_id))
                        break
                chat_id, data_id = stream.chat_id, stream.data_id
        else:
            async with client.chat.achat_stream(_request()) as astream:
                async for delta in astream.text_stream:
                    seen.append(delta)
                    if len(seen) == 3:
                        await client.chat.astop_chat(StopChatRequest(chat_id=astream.chat_id))
                        break
                chat_id, data_id = astream.chat_id, astream.data_id
        text, _ = await _stored(client, io_mode, chat_id, data_id)
    finally:
        if io_mode == "sync":
            client.close()
        else:
            await client.aclose()
    assert len(seen) == 3
    assert text == "".join(seen)


async def test_a_v1_run_is_not_stopped_by_the_flag(io_mode: str) -> None:
    """FastGPT checks the stop flag for v2 runs only (`checkIsStopping`, dispatch/index.ts): a v1 run
    stops when its client leaves, so the flag alone lets it finish."""
    fake = FakeFastGPT()
    fake.delay_next(0, path="/api/v1/chat/completions", chunk_delay=0.001)
    client = fake.client(completions_version="v1")
    try:
        if io_mode == "sync":
            seen, stopped, final = _read_and_stop_sync(client, _request())
        else:
            seen, stopped, final = await _read_and_stop_async(client, _request())
        text, _ = await _stored(client, io_mode, final.chat_id, final.data_id)
    finally:
        if io_mode == "sync":
            client.close()
        else:
            await client.aclose()
    assert stopped.success
    assert "".join(seen) == final.answer == text == FULL


def test_the_testing_page_stop_example_runs() -> None:
    """docs/testing.md promises it ("Stopping a slowed stream"): its example runs as written."""
    page = (Path(__file__).parents[2] / "docs" / "testing.md").read_text(encoding="utf-8")
    section = page.split("### Stopping a slowed stream", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert block is not None
    exec(compile(block.group(1), "docs/testing.md (Stopping a slowed stream)", "exec"), {})


async def test_before_4_16_3_stop_answers_the_chats_status(io_mode: str) -> None:
    """FastGPT 4.14.5 - 4.16.2 waited for the run, then answered the chat's status (`completed` true
    once it is done); the emulator's run is over or cut, so it answers at once."""
    fake = FakeFastGPT(version="4.16.2")
    client = fake.client()
    try:
        if io_mode == "sync":
            client.chat.chat(_request())
            chat_id = fake.requests[-1].body["chatId"]
            stopped = client.chat.stop_chat(StopChatRequest(chat_id=chat_id))
        else:
            await client.chat.achat(_request())
            chat_id = fake.requests[-1].body["chatId"]
            stopped = await client.chat.astop_chat(StopChatRequest(chat_id=chat_id))
    finally:
        if io_mode == "sync":
            client.close()
        else:
            await client.aclose()
    assert (stopped.success, stopped.completed, stopped.chat_generate_status) == (True, True, 1)
