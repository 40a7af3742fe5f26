"""iter_histories / iter_records: walking offset pages, against honest and misreporting servers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from conftest import APP_ID, envelope, make_client
from http_support import Wire, drain

from fastgpt_oapi.api.chat_history.model import ListHistoriesRequest, ListRecordsRequest
from fastgpt_oapi.api.chat_history.service import ChatHistoryService

Page = Callable[[int, int], dict[str, Any]]


def history(n: int) -> dict[str, Any]:
    return {"chatId": f"chat{n}", "updateTime": "2026-07-30T03:29:05.779Z", "appId": APP_ID, "title": f"t{n}"}


def paged(page: Page) -> Wire:
    """A server answering `page(offset, pageSize)` for each page asked for."""

    def reply(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(200, json=envelope(page(body["offset"], body["pageSize"])))

    return Wire(reply)


def honest(items: list[dict[str, Any]]) -> Page:
    return lambda offset, size: {"list": items[offset : offset + size], "total": len(items)}


def offsets(wire: Wire) -> list[int]:
    return [json.loads(r.content)["offset"] for r in wire.requests]


async def histories(mode: str, wire: Wire, request: ListHistoriesRequest) -> list[str]:
    service = make_client(wire).chat_history
    items = await drain(
        mode, lambda: service.iter_histories(request), lambda: service.aiter_histories(request)
    )
    return [item.chat_id for item in items]


@pytest.mark.parametrize(
    ("count", "size", "expected_offsets"),
    [
        (5, 2, [0, 2, 4]),  # ends on a short page
        (4, 2, [0, 2]),  # ends when total is reached: no extra empty request
        (0, 3, [0]),  # an empty list
        (3, 10, [0]),  # one short page
    ],
)
async def test_walks_every_page_once(
    io_mode: str, count: int, size: int, expected_offsets: list[int]
) -> None:
    wire = paged(honest([history(n) for n in range(count)]))
    request = ListHistoriesRequest(page_size=size, source="api")

    got = await histories(io_mode, wire, request)

    assert got == [f"chat{n}" for n in range(count)]
    assert offsets(wire) == expected_offsets
    for sent in wire.requests:
        assert sent.url.path == "/api/core/chat/history/getHistories"
        assert json.loads(sent.content) == {
            "appId": APP_ID,
            "offset": json.loads(sent.content)["offset"],
            "pageSize": size,
            "source": "api",
        }
    assert request.offset == 0  # the caller's request is not changed


async def test_starts_at_the_request_offset(io_mode: str) -> None:
    wire = paged(honest([history(n) for n in range(7)]))

    got = await histories(io_mode, wire, ListHistoriesRequest(offset=3, page_size=2))

    assert got == ["chat3", "chat4", "chat5", "chat6"]
    assert offsets(wire) == [3, 5]


async def test_a_server_that_repeats_the_same_full_page_with_a_huge_total(io_mode: str) -> None:
    same = {"list": [history(0), history(1)], "total": 10**9}
    wire = paged(lambda offset, size: same)

    got = await histories(io_mode, wire, ListHistoriesRequest(page_size=2))

    assert got == ["chat0", "chat1"]
    assert offsets(wire) == [0, 2, 4]  # two pages in a row brought nothing new


async def test_a_server_whose_total_keeps_growing(io_mode: str) -> None:
    # Always a full page of new chats, and a total that stays ahead of the offset: the smallest
    # total reported (the first, 6) bounds the walk.
    wire = paged(
        lambda offset, size: {
            "list": [history(offset + i) for i in range(size)],
            "total": offset + 2 * size + 2,
        }
    )

    got = await histories(io_mode, wire, ListHistoriesRequest(page_size=2))

    assert got == [f"chat{n}" for n in range(6)]
    assert offsets(wire) == [0, 2, 4]


async def test_a_server_that_reports_too_small_a_total(io_mode: str) -> None:
    wire = paged(lambda offset, size: {"list": [history(offset + i) for i in range(size)], "total": 1})

    got = await histories(io_mode, wire, ListHistoriesRequest(page_size=3))

    assert got == ["chat0", "chat1", "chat2"]  # what came is kept, nothing more is asked for
    assert offsets(wire) == [0]


async def test_a_server_without_total_is_walked_to_its_short_page(io_mode: str) -> None:
    items = [history(n) for n in range(5)]
    wire = paged(lambda offset, size: {"list": items[offset : offset + size]})

    got = await histories(io_mode, wire, ListHistoriesRequest(page_size=2))

    assert got == [f"chat{n}" for n in range(5)]
    assert offsets(wire) == [0, 2, 4]


async def test_a_server_ignoring_offset_and_page_size(io_mode: str) -> None:
    everything = [history(n) for n in range(4)]
    wire = paged(lambda offset, size: {"list": everything, "total": 100})

    got = await histories(io_mode, wire, ListHistoriesRequest(page_size=2))

    assert got == ["chat0", "chat1", "chat2", "chat3"]
    assert offsets(wire) == [0, 4, 8]


async def test_a_chat_that_moves_up_during_the_walk_is_yielded_once(io_mode: str) -> None:
    # chat9 gets a new message after the first page was read: it moves to the top and shifts
    # everything down by one, so the second page starts with chat1 again.
    before = [history(n) for n in (0, 1, 2, 3, 9)]
    after = [history(n) for n in (9, 0, 1, 2, 3)]
    wire = paged(lambda offset, size: honest(before if offset == 0 else after)(offset, size))

    got = await histories(io_mode, wire, ListHistoriesRequest(page_size=2))

    assert got == ["chat0", "chat1", "chat2", "chat3"]
    assert offsets(wire) == [0, 2, 4]


def record(n: int) -> dict[str, Any]:
    return {
        "_id": f"id{n}",
        "dataId": f"data{n}",
        "obj": "Human" if n % 2 == 0 else "AI",
        "value": [{"text": {"content": f"message {n}"}}],
        "time": "2026-07-30T03:29:01.101Z",
    }


def records_server(chronological: list[dict[str, Any]]) -> Page:
    """FastGPT's order: offset counts back from the newest; each page is chronological."""

    def page(offset: int, size: int) -> dict[str, Any]:
        newest_first = chronological[::-1][offset : offset + size]
        return {"list": newest_first[::-1], "total": len(chronological)}

    return page


async def test_iter_records_yields_newest_first(io_mode: str) -> None:
    wire = paged(records_server([record(n) for n in range(1, 6)]))
    service: ChatHistoryService = make_client(wire).chat_history
    request = ListRecordsRequest(chat_id="c1", page_size=2)

    got = await drain(io_mode, lambda: service.iter_records(request), lambda: service.aiter_records(request))

    assert [r.text for r in got] == [f"message {n}" for n in (5, 4, 3, 2, 1)]
    assert [r.id for r in got] == ["id5", "id4", "id3", "id2", "id1"]
    assert offsets(wire) == [0, 2, 4]
    for sent in wire.requests:
        assert sent.url.path == "/api/core/chat/record/getPaginationRecords"
        assert json.loads(sent.content)["chatId"] == "c1"
        assert json.loads(sent.content)["appId"] == APP_ID
    assert list(reversed(got)) == sorted(
        got, key=lambda r: r.id or ""
    )  # reading order is one reversed() away


async def test_iter_records_survives_messages_added_meanwhile(io_mode: str) -> None:
    # Two new messages arrive after the first page: older records shift two places back.
    first = [record(n) for n in range(1, 6)]
    later = [*first, record(6), record(7)]
    wire = paged(lambda offset, size: records_server(first if offset == 0 else later)(offset, size))
    service = make_client(wire).chat_history
    request = ListRecordsRequest(chat_id="c1", page_size=2)

    got = await drain(io_mode, lambda: service.iter_records(request), lambda: service.aiter_records(request))

    assert [r.id for r in got] == ["id5", "id4", "id3", "id2", "id1"]
    assert offsets(wire) == [0, 2, 4, 6]  # the page at 2 was all repeats, and the walk went on


async def test_iteration_is_lazy(io_mode: str) -> None:
    wire = paged(honest([history(n) for n in range(10)]))
    service = make_client(wire).chat_history
    request = ListHistoriesRequest(page_size=3)

    if io_mode == "sync":
        iterator = service.iter_histories(request)
        assert wire.requests == []
        first = [next(iterator) for _ in range(4)]
    else:
        aiterator = service.aiter_histories(request)
        assert wire.requests == []
        first = [await anext(aiterator) for _ in range(4)]

    assert [h.chat_id for h in first] == ["chat0", "chat1", "chat2", "chat3"]
    assert offsets(wire) == [0, 3]
