"""getRecords_v2 as FastGPT 4.18 serves it (reference page `openapi/reference/chat-record/get-records-v2`):
at most one of `prev_id` / `next_id` / `initial_id`, pages on whole turns, `prev_cursor` / `next_cursor`
(null at either end), and `iter_records_v2` following them. Wire tests and the emulator, both io modes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import envelope, make_client
from http_support import Wire, body_of, drain, run

from fastgpt_oapi import ChatCompletionRequest, ChatMessage, Client, RequestValidationError
from fastgpt_oapi.api.chat_history.model import (
    ListRecordsRequest,
    ListRecordsV2Request,
    ListRecordsV2Response,
)
from fastgpt_oapi.testing import FakeFastGPT

CHAT = "c1"


def record(n: int) -> dict[str, Any]:
    obj = "Human" if n % 2 == 0 else "AI"
    return {"_id": f"id{n}", "dataId": f"d{n}", "obj": obj, "value": [], "time": "2026-11-01T00:00:00.000Z"}


@pytest.mark.parametrize(
    ("cursors", "second"),
    [
        ({"prev_id": "d1", "next_id": "d2"}, "next_id"),
        ({"initial_id": "d1", "prev_id": "d2"}, "prev_id"),
        ({"initial_id": "d1", "next_id": "d2"}, "next_id"),
    ],
)
async def test_two_cursors_are_refused_before_sending(
    io_mode: str, cursors: dict[str, str], second: str
) -> None:
    wire = Wire(lambda request: httpx.Response(500))
    client = make_client(wire)

    def build() -> ListRecordsV2Request:
        return ListRecordsV2Request.model_validate({"chat_id": CHAT, **cursors})

    with pytest.raises(RequestValidationError, match="at most one of") as caught:
        await run(
            io_mode,
            lambda: client.chat_history.list_records_v2(build()),
            lambda: client.chat_history.alist_records_v2(build()),
        )
    assert caught.value.field == second
    builder = ListRecordsV2Request.builder().chat_id(CHAT)
    for name, value in cursors.items():
        builder = getattr(builder, name)(value)
    with pytest.raises(RequestValidationError, match="at most one of"):
        builder.build()
    assert wire.requests == []


def test_a_second_cursor_assigned_later_is_refused() -> None:
    request = ListRecordsV2Request(chat_id=CHAT, prev_id="d1")
    with pytest.raises(ValueError, match="at most one of"):
        request.initial_id = "d2"
    assert request.initial_id is None


async def test_the_page_types_its_cursors(io_mode: str) -> None:
    page = {"list": [record(2), record(3)], "total": 6, "hasMorePrev": True, "hasMoreNext": True}
    wire = Wire(
        lambda request: httpx.Response(200, json=envelope({**page, "prevCursor": "d2", "nextCursor": "d3"}))
    )
    client = make_client(wire)
    request = ListRecordsV2Request(chat_id=CHAT, initial_id="d3")

    result: ListRecordsV2Response = await run(
        io_mode,
        lambda: client.chat_history.list_records_v2(request),
        lambda: client.chat_history.alist_records_v2(request),
    )

    assert (result.prev_cursor, result.next_cursor, result.sent_cursors) == ("d2", "d3", True)
    assert result.model_extra == {}
    assert body_of(wire.last)["initialId"] == "d3"


async def test_a_server_before_4_18_sends_no_cursors(io_mode: str) -> None:
    page = {"list": [record(2)], "total": 6, "hasMorePrev": True, "hasMoreNext": False}
    wire = Wire(lambda request: httpx.Response(200, json=envelope(page)))
    client = make_client(wire)
    request = ListRecordsV2Request(chat_id=CHAT)

    result = await run(
        io_mode,
        lambda: client.chat_history.list_records_v2(request),
        lambda: client.chat_history.alist_records_v2(request),
    )

    assert (result.prev_cursor, result.next_cursor, result.sent_cursors) == (None, None, False)


async def test_iter_records_v2_follows_prev_cursor_as_given(io_mode: str) -> None:
    # The cursor is the server's to choose (4.18 aligns it to a turn): it is sent back as is, not
    # replaced by the page's oldest record.
    pages: dict[str | None, dict[str, Any]] = {
        None: {"list": [record(4), record(5)], "prevCursor": "d3", "nextCursor": None},
        "d3": {"list": [record(1), record(2), record(3)], "prevCursor": "d1", "nextCursor": "d4"},
        "d1": {"list": [record(0)], "prevCursor": None, "nextCursor": "d1"},
    }

    def reply(request: httpx.Request) -> httpx.Response:
        page = pages[body_of(request).get("prevId")]
        more_prev = page["prevCursor"] is not None
        return httpx.Response(
            200, json=envelope({**page, "total": 6, "hasMorePrev": more_prev, "hasMoreNext": False})
        )

    wire = Wire(reply)
    service = make_client(wire).chat_history
    request = ListRecordsV2Request(chat_id=CHAT, page_size=2)

    records = await drain(
        io_mode, lambda: service.iter_records_v2(request), lambda: service.aiter_records_v2(request)
    )

    assert [r.data_id for r in records] == ["d5", "d4", "d3", "d2", "d1", "d0"]
    assert [body_of(r).get("prevId") for r in wire.requests] == [None, "d3", "d1"]


async def test_iter_records_v2_stops_on_a_null_prev_cursor(io_mode: str) -> None:
    # 4.18: null means no older page, even where an older server's `hasMorePrev` would say more.
    page = {"list": [record(4), record(5)], "total": 6, "hasMorePrev": True, "hasMoreNext": False}
    wire = Wire(lambda request: httpx.Response(200, json=envelope({**page, "prevCursor": None})))
    service = make_client(wire).chat_history
    request = ListRecordsV2Request(chat_id=CHAT, page_size=2)

    records = await drain(
        io_mode, lambda: service.iter_records_v2(request), lambda: service.aiter_records_v2(request)
    )

    assert [r.data_id for r in records] == ["d5", "d4"]
    assert len(wire.requests) == 1


# ---- the emulator ---------------------------------------------------------------------------------


def five_turns(fake: FakeFastGPT) -> list[str]:
    """A chat of five turns (h0 a0 ... h4 a4); its dataIds, oldest first."""
    with fake.client() as client:
        for n in range(5):
            client.chat.chat(
                ChatCompletionRequest(
                    messages=[ChatMessage.user(f"q{n}")], chat_id=CHAT, response_chat_item_id=f"a{n}"
                )
            )
        return [r.data_id for r in client.chat_history.iter_records(ListRecordsRequest(chat_id=CHAT))][::-1]


async def page_of(client: Client, mode: str, **fields: Any) -> ListRecordsV2Response:
    request = ListRecordsV2Request(chat_id=CHAT, **fields)
    return await run(
        mode,
        lambda: client.chat_history.list_records_v2(request),
        lambda: client.chat_history.alist_records_v2(request),
    )


async def test_the_emulator_pages_on_whole_turns_with_cursors(io_mode: str) -> None:
    fake = FakeFastGPT()
    ids = five_turns(fake)

    with fake.client() as client:
        newest = await page_of(client, io_mode, page_size=3)  # a3 h4 a4, widened to h3
        older = await page_of(client, io_mode, page_size=3, prev_id=newest.prev_cursor)
        newer = await page_of(client, io_mode, page_size=3, next_id=older.next_cursor)

    assert [r.data_id for r in newest.list] == ids[6:]
    assert (newest.prev_cursor, newest.next_cursor) == (ids[6], None)
    assert [r.data_id for r in older.list] == ids[2:6]  # h1 a1 h2 a2: starts on a Human record
    assert (older.prev_cursor, older.next_cursor) == (ids[2], ids[5])
    assert [r.data_id for r in newer.list] == ids[6:]
    assert newer.next_cursor is None


async def test_the_emulator_walks_a_chat_by_its_cursors(io_mode: str) -> None:
    fake = FakeFastGPT()
    ids = five_turns(fake)

    with fake.client() as client:
        service = client.chat_history
        request = ListRecordsV2Request(chat_id=CHAT, page_size=3)
        records = await drain(
            io_mode, lambda: service.iter_records_v2(request), lambda: service.aiter_records_v2(request)
        )

    assert [r.data_id for r in records] == ids[::-1]
    sent = [r.body.get("prevId") for r in fake.requests if r.path.endswith("getRecords_v2")]
    assert sent == [None, ids[6], ids[2]]


async def test_the_emulator_refuses_two_cursors_from_4_18() -> None:
    fake = FakeFastGPT()
    five_turns(fake)
    body = {"appId": fake.app_id, "chatId": CHAT, "prevId": "a2", "nextId": "a1"}
    async with httpx.AsyncClient(transport=fake.async_transport(), base_url="http://fake.test") as raw:
        sent = await raw.post(
            "/api/core/chat/record/getRecords_v2",
            json=body,
            headers={"Authorization": f"Bearer {fake.api_key}"},
        )
    assert sent.status_code == 400
    old = FakeFastGPT(version="4.17.2")
    five_turns(old)
    async with httpx.AsyncClient(transport=old.async_transport(), base_url="http://fake.test") as raw:
        sent = await raw.post(
            "/api/core/chat/record/getRecords_v2",
            json={**body, "appId": old.app_id},
            headers={"Authorization": f"Bearer {old.api_key}"},
        )
    assert sent.status_code == 200
    assert "prevCursor" not in sent.json()["data"]
