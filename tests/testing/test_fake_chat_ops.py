"""FakeFastGPT's newer chat operations act on its state, sync and async: stop, history status and read
marks, batch deletes, deleting several records, records by cursor, quotes and log users."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from http_support import drain, run

from fastgpt_oapi import Client, InternalServerError, NotFoundError, PermissionDeniedError
from fastgpt_oapi.api.app_logs.model import ListLogUsersRequest
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage, StopChatRequest
from fastgpt_oapi.api.chat_history.model import (
    BatchDeleteHistoriesRequest,
    DeleteRecordsRequest,
    GetChatInitRequest,
    GetCollectionQuoteRequest,
    GetHistoryStatusRequest,
    GetQuoteRequest,
    ListHistoriesRequest,
    ListRecordsRequest,
    ListRecordsV2Request,
    MarkReadRequest,
)
from fastgpt_oapi.testing import FakeFastGPT

UTC = timezone.utc


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 8, 1, tzinfo=UTC).timestamp()

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def connected(fake: FakeFastGPT, mode: str) -> AsyncIterator[Client]:
    client = fake.client()
    try:
        yield client
    finally:
        if mode == "sync":
            client.close()
        else:
            await client.aclose()


async def call(mode: str, client: Client, service: str, method: str, request: Any) -> Any:
    target = getattr(client, service)
    return await run(
        mode, lambda: getattr(target, method)(request), lambda: getattr(target, "a" + method)(request)
    )


async def say(mode: str, client: Client, text: str, **fields: Any) -> None:
    await call(
        mode, client, "chat", "chat", ChatCompletionRequest(messages=[ChatMessage.user(text)], **fields)
    )


# ---- stop ----------------------------------------------------------------------------------------


async def test_stop_answers_as_fastgpt_4_16_3_does(io_mode: str) -> None:
    fake = FakeFastGPT()
    async with connected(fake, io_mode) as client:
        await say(io_mode, client, "hi", chat_id="c1")
        stopped = await call(io_mode, client, "chat", "stop_chat", StopChatRequest(chat_id="c1"))
        unknown = await call(io_mode, client, "chat", "stop_chat", StopChatRequest(chat_id="nowhere"))
        with pytest.raises(NotFoundError):
            await call(
                io_mode,
                client,
                "chat",
                "stop_chat",
                StopChatRequest(chat_id="c1", app_id="0123456789abcdef01234567"),
            )
    assert (stopped.success, stopped.completed, stopped.chat_generate_status) == (True, False, 0)
    assert (unknown.success, unknown.completed) == (True, False)
    assert fake.requests[1].body == {"appId": fake.app_id, "chatId": "c1"}


# ---- history windows -----------------------------------------------------------------------------


async def test_list_histories_keeps_the_chats_created_and_updated_within_the_window(io_mode: str) -> None:
    clock = Clock()  # "a" made at 00:00 and answered again at 00:20; "b" made at 00:10
    at = [datetime(2026, 8, 1, 0, m, tzinfo=UTC) for m in range(0, 31, 5)]
    async with connected(FakeFastGPT(clock=clock), io_mode) as client:
        for minute, chat in ((0, "a"), (10, "b"), (20, "a")):
            clock.now = datetime(2026, 8, 1, 0, minute, tzinfo=UTC).timestamp()
            await say(io_mode, client, chat, chat_id=chat)

        async def listed(**window: Any) -> list[str]:
            request = ListHistoriesRequest(**window)
            return [
                h.chat_id
                for h in (await call(io_mode, client, "chat_history", "list_histories", request)).list
            ]

        assert await listed(start_create_time=at[1]) == ["b"]
        assert await listed(end_create_time=at[2]) == ["a", "b"]  # both ends are included
        assert await listed(start_update_time=at[3]) == ["a"]
        assert await listed(start_update_time=at[2], end_update_time="2026-08-01T00:15:00Z") == ["b"]
        assert await listed(start_create_time=at[0], end_create_time=at[0], end_update_time=at[6]) == ["a"]
        with pytest.raises(InternalServerError, match="Cast to date failed"):
            await listed(start_update_time="yesterday")


# ---- status and read marks -----------------------------------------------------------------------


async def test_answers_leave_chats_unread_until_marked_or_opened(io_mode: str) -> None:
    clock = Clock()
    fake = FakeFastGPT(clock=clock)
    async with connected(fake, io_mode) as client:
        await say(io_mode, client, "a", chat_id="a")
        await say(io_mode, client, "b", chat_id="b")
        ask = GetHistoryStatusRequest(chat_ids=["a", "b", "unknown"])
        before = await call(io_mode, client, "chat_history", "get_history_status", ask)

        clock.now += 60
        await call(io_mode, client, "chat_history", "mark_read", MarkReadRequest(chat_id="a"))
        await call(
            io_mode, client, "chat_history", "mark_read", MarkReadRequest(chat_id="unknown")
        )  # no error
        await call(io_mode, client, "chat_history", "get_chat_init", GetChatInitRequest(chat_id="b"))
        after = await call(io_mode, client, "chat_history", "get_history_status", ask)
        listed = await call(io_mode, client, "chat_history", "list_histories", ListHistoriesRequest())

        await say(io_mode, client, "again", chat_id="a")  # a new answer is unread again
        again = await call(io_mode, client, "chat_history", "get_history_status", ask)

    assert [(s.chat_id, s.has_been_read, s.chat_generate_status) for s in before.list] == [
        ("a", False, 1),
        ("b", False, 1),
    ]
    assert [(s.chat_id, s.has_been_read) for s in after.list] == [("a", True), ("b", True)]
    marked = after.list[0]
    assert marked.update_time == datetime(2026, 8, 1, 0, 1, tzinfo=UTC)  # markRead bumps it
    assert after.list[1].update_time == datetime(2026, 8, 1, tzinfo=UTC)
    assert {(h.chat_id, h.has_been_read) for h in listed.list} == {("a", True), ("b", True)}
    assert [(s.chat_id, s.has_been_read) for s in again.list] == [("a", False), ("b", True)]


async def test_failed_answers_show_as_errors(io_mode: str) -> None:
    fake = FakeFastGPT()
    async with connected(fake, io_mode) as client:
        with pytest.raises(InternalServerError):
            await say(io_mode, client, "boom", chat_id="e", app_id=fake.apps["error"])
        status = await call(
            io_mode,
            client,
            "chat_history",
            "get_history_status",
            GetHistoryStatusRequest(chat_ids=["e"], app_id=fake.apps["error"]),
        )
    assert [(s.chat_id, s.chat_generate_status) for s in status.list] == [("e", 2)]


def test_status_and_read_marks_are_not_served_by_a_4_14_10_emulator() -> None:
    fake = FakeFastGPT(legacy_record_delete=True)
    with fake.client() as client:
        with pytest.raises(NotFoundError):
            client.chat_history.mark_read(MarkReadRequest(chat_id="c1"))
        with pytest.raises(NotFoundError):
            client.chat_history.get_history_status(GetHistoryStatusRequest(chat_ids=["c1"]))


# ---- deletes --------------------------------------------------------------------------------------


async def test_batch_delete_removes_chats_for_good(io_mode: str) -> None:
    fake = FakeFastGPT()
    async with connected(fake, io_mode) as client:
        for chat_id in ("a", "b", "c"):
            await say(io_mode, client, chat_id, chat_id=chat_id)
        request = BatchDeleteHistoriesRequest(chat_ids=["a", "b", "not-there"])
        await call(io_mode, client, "chat_history", "batch_delete_histories", request)
        listed = await call(io_mode, client, "chat_history", "list_histories", ListHistoriesRequest())
        gone = await call(io_mode, client, "chat_history", "list_records", ListRecordsRequest(chat_id="a"))
        await say(io_mode, client, "new", chat_id="a")  # the same id now starts a fresh chat
        fresh = await call(io_mode, client, "chat_history", "list_records", ListRecordsRequest(chat_id="a"))
    assert [h.chat_id for h in listed.list] == ["c"]
    assert gone.total == 0
    assert [r.text for r in fresh.list] == ["new", "You said: new"]


async def test_delete_records_removes_several_records_at_once(io_mode: str) -> None:
    fake = FakeFastGPT()
    async with connected(fake, io_mode) as client:
        await say(io_mode, client, "one", chat_id="c", response_chat_item_id="ai1")
        await say(io_mode, client, "two", chat_id="c", response_chat_item_id="ai2")
        before = await call(io_mode, client, "chat_history", "list_records", ListRecordsRequest(chat_id="c"))
        human1 = before.list[0].data_id
        request = DeleteRecordsRequest(chat_id="c", data_ids=[human1, "ai1", "not-a-record"])
        await call(io_mode, client, "chat_history", "delete_records", request)
        after = await call(io_mode, client, "chat_history", "list_records", ListRecordsRequest(chat_id="c"))
    assert [r.text for r in after.list] == ["two", "You said: two"]
    assert fake.requests[-2].method == "DELETE"
    assert fake.requests[-2].body == {
        "appId": fake.app_id,
        "chatId": "c",
        "contentIds": [human1, "ai1", "not-a-record"],
    }


def test_content_ids_as_a_comma_separated_query_are_read_too() -> None:
    fake = FakeFastGPT()
    with fake.client() as client:
        client.chat.chat(
            ChatCompletionRequest(messages=[ChatMessage.user("x")], chat_id="c", response_chat_item_id="d1")
        )
        client.chat.chat(
            ChatCompletionRequest(messages=[ChatMessage.user("y")], chat_id="c", response_chat_item_id="d2")
        )
        query = {"appId": fake.app_id, "chatId": "c", "contentIds": "d1, d2"}
        headers = {"authorization": f"Bearer {fake.api_key}"}
        assert fake.handle("DELETE", "/api/core/chat/record/delete", query, headers, b"").status == 200
        assert [r.obj for r in client.chat_history.list_records(ListRecordsRequest(chat_id="c")).list] == [
            "Human",
            "Human",
        ]


# ---- records by cursor ------------------------------------------------------------------------------


async def six_records(mode: str, client: Client) -> None:
    for n in range(3):
        await say(mode, client, f"q{n}", chat_id="c", response_chat_item_id=f"a{n}")


async def test_records_v2_pages_by_cursor(io_mode: str) -> None:
    # Before 4.18: plain pages of `pageSize`, no turn alignment (4.18's: test_chat_history_records_v2.py).
    fake = FakeFastGPT(version="4.17.2")
    async with connected(fake, io_mode) as client:
        await six_records(io_mode, client)
        everything = await call(
            io_mode, client, "chat_history", "list_records", ListRecordsRequest(chat_id="c")
        )
        ids = [r.data_id for r in everything.list]  # oldest first: h0 a0 h1 a1 h2 a2

        async def page(**cursor: Any) -> Any:
            request = ListRecordsV2Request(chat_id="c", page_size=2, **cursor)
            return await call(io_mode, client, "chat_history", "list_records_v2", request)

        newest = await page()
        older = await page(prev_id=ids[4])
        newer = await page(next_id=ids[1])
        around = await page(initial_id=ids[3])
        with pytest.raises(InternalServerError, match="Prev item not found"):
            await page(prev_id="not-a-record")
        nothing = await call(
            io_mode, client, "chat_history", "list_records_v2", ListRecordsV2Request(chat_id="no-such-chat")
        )

    def seen(result: Any) -> tuple[list[str], bool, bool, int]:
        return [r.data_id for r in result.list], result.has_more_prev, result.has_more_next, result.total

    assert seen(newest) == (ids[4:], True, False, 6)
    assert seen(older) == (ids[2:4], True, True, 6)
    assert seen(newer) == (ids[2:4], True, True, 6)
    assert seen(around) == (ids[2:5], True, True, 6)
    assert seen(nothing) == ([], False, False, 0)
    assert newest.list[1].text == "You said: q2"
    # FastGPT sends each record's dataId again as `id` (getRecords_v2.ts), and so does the emulator;
    # the SDK drops that copy, so `id` stays the record's `_id`.
    assert newest.list[1].model_extra == {}
    assert newest.list[1].id not in (None, "a2")
    async with httpx.AsyncClient(transport=fake.async_transport(), base_url="http://fake.test") as raw:
        sent = await raw.post(
            "/api/core/chat/record/getRecords_v2",
            json={"appId": fake.app_id, "chatId": "c", "pageSize": 2},
            headers={"Authorization": f"Bearer {fake.api_key}"},
        )
    answer = sent.json()
    assert answer["data"]["list"][1]["id"] == "a2"


async def test_iter_records_v2_reads_the_whole_chat_newest_first(io_mode: str) -> None:
    fake = FakeFastGPT()
    async with connected(fake, io_mode) as client:
        await six_records(io_mode, client)
        request = ListRecordsV2Request(chat_id="c", page_size=4)
        walked = await drain(
            io_mode,
            lambda: client.chat_history.iter_records_v2(request),
            lambda: client.chat_history.aiter_records_v2(request),
        )
    assert [r.text for r in walked] == ["You said: q2", "q2", "You said: q1", "q1", "You said: q0", "q0"]
    assert fake.count("/api/core/chat/record/getRecords_v2") == 2


# ---- quotes ---------------------------------------------------------------------------------------


async def test_quotes_come_from_the_chunks_the_chat_cited(io_mode: str) -> None:
    fake = FakeFastGPT()
    app = fake.apps["workflow"]  # its answers cite one knowledge-base chunk
    async with connected(fake, io_mode) as client:
        await say(io_mode, client, "上海", chat_id="w", app_id=app, response_chat_item_id="w1")
        records = await call(
            io_mode, client, "chat_history", "list_records", ListRecordsRequest(chat_id="w", app_id=app)
        )
        (cited,) = records.list[1].total_quote_list
        assert cited.id is not None
        assert cited.collection_id is not None
        quote = GetQuoteRequest(
            app_id=app,
            chat_id="w",
            chat_item_data_id="w1",
            dataset_data_id_list=[cited.id, "654f2e49b64caef1d94300aa"],
            collection_id_list=[cited.collection_id],
        )
        quotes = await call(io_mode, client, "chat_history", "get_quote", quote)
        window = await call(
            io_mode,
            client,
            "chat_history",
            "get_collection_quote",
            GetCollectionQuoteRequest(
                app_id=app,
                chat_id="w",
                chat_item_data_id="w1",
                collection_id=cited.collection_id,
                initial_id=cited.id,
                anchor=cited.chunk_index or 0,
            ),
        )
        with pytest.raises(PermissionDeniedError):  # a collection the chat never cited
            await call(
                io_mode,
                client,
                "chat_history",
                "get_quote",
                quote.model_copy(update={"collection_id_list": ["0123456789abcdef01234567"]}),
            )
        with pytest.raises(PermissionDeniedError):  # no such record in the chat
            await call(
                io_mode,
                client,
                "chat_history",
                "get_quote",
                quote.model_copy(update={"chat_item_data_id": "nope"}),
            )

    (item,) = quotes.list
    assert (item.id, item.q, item.a, item.index) == (
        cited.id,
        "How do I check the weather in Shanghai?",
        "Call the weather tool.",
        3,
    )
    assert item.update_time == datetime(2026, 7, 1, 8, 12, 44, 120000, tzinfo=UTC)
    assert [(c.id, c.anchor, c.q) for c in window.list] == [
        (cited.id, 3, "How do I check the weather in Shanghai?")
    ]
    assert (window.has_more_prev, window.has_more_next) == (False, False)


def test_quote_reads_move_with_the_emulated_version() -> None:
    fake = FakeFastGPT(legacy_record_delete=True)
    app = fake.apps["workflow"]
    with fake.client() as client:
        client.chat.chat(
            ChatCompletionRequest(
                messages=[ChatMessage.user("上海")], chat_id="w", app_id=app, response_chat_item_id="w1"
            )
        )
        request = GetQuoteRequest(
            app_id=app,
            chat_id="w",
            chat_item_data_id="w1",
            dataset_data_id_list=["654f2e49b64caef1d9431e8b"],
            collection_id_list=["653279b16cd42ab509e766e8"],
        )
        assert len(client.chat_history.get_quote(request).list) == 1
        assert len(client.chat_history.get_quote(request).list) == 1
    assert fake.count("/api/core/chat/record/getQuote") == 1  # tried once, then remembered
    assert fake.count("/api/core/chat/quote/getQuote") == 2


# ---- log users -------------------------------------------------------------------------------------


async def test_log_users_group_the_apps_chats_by_user(io_mode: str) -> None:
    fake = FakeFastGPT()
    end = datetime.now(UTC) + timedelta(minutes=1)
    start = end - timedelta(days=1)
    async with connected(fake, io_mode) as client:
        await say(io_mode, client, "1", chat_id="a", custom_uid="user-7")
        await say(io_mode, client, "2", chat_id="b", custom_uid="user-7")
        await say(io_mode, client, "3", chat_id="c")

        async def users(**fields: Any) -> Any:
            request = ListLogUsersRequest(date_start=start, date_end=end, **fields)
            return await call(io_mode, client, "app_logs", "list_log_users", request)

        everyone = await users()
        searched = await users(search_key="USER")
        from_api = await users(sources=["api"])
        shared = await users(sources=["share"])
        earlier = await call(
            io_mode,
            client,
            "app_logs",
            "list_log_users",
            ListLogUsersRequest(date_start=start - timedelta(days=9), date_end=start),
        )

    assert [(u.out_link_uid, u.name, u.count) for u in everyone.list] == [
        ("user-7", "user-7", 2),
        (None, "root", 1),
    ]
    assert {u.tmb_id for u in everyone.list} == {"66e29b870b24ce35330c0e01"}
    assert all(u.avatar for u in everyone.list)
    assert [u.name for u in searched.list] == ["user-7"]
    assert len(from_api.list) == 2
    assert shared.list == []
    assert earlier.list == []
