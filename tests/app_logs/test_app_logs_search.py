"""`search_logs` (FastGPT >= 4.18.0: cursor pages of 50, no total), `iter_logs` walking it where the server
has it and `logs/list` where it does not (learned once per pool), and paged log users (FastGPT >= 4.17.1)
with `iter_log_users`. On the wire and against the emulator, sync and async."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from conftest import APP_ID, envelope, make_client
from http_support import Wire, body_of, drain, run

from fastgpt_oapi import ChatCompletionRequest, ChatMessage, Client, NotFoundError
from fastgpt_oapi.api.app_logs.model import (
    AppLogItem,
    ListLogsRequest,
    ListLogUsersRequest,
    LogUser,
    SearchLogsRequest,
    SearchLogsResponse,
)
from fastgpt_oapi.testing import FakeFastGPT

UTC = timezone.utc
START = datetime(2025, 9, 1, tzinfo=UTC)
END = datetime(2025, 9, 30, tzinfo=UTC)
SEARCH = "/api/core/app/logs/search"
LIST = "/api/core/app/logs/list"
USERS = "/api/core/app/logs/getUsers"


def log_item(n: int) -> dict[str, Any]:
    return {"_id": f"log{n}", "chatId": f"chat{n}", "source": "api", "updateTime": "2025-09-02T00:00:00.000Z"}


def searching(
    pages: dict[str | None, tuple[list[int], str | None]],
) -> Callable[[httpx.Request], httpx.Response]:
    """A 4.18 server: `logs/search` pages by cursor (cursor -> (item numbers, next cursor)); no list."""

    def reply(request: httpx.Request) -> httpx.Response:
        if request.url.path != SEARCH:
            raise AssertionError(f"only logs/search should be asked, got {request.url.path}")
        numbers, cursor = pages[body_of(request).get("cursor")]
        return httpx.Response(
            200, json=envelope({"list": [log_item(n) for n in numbers], "nextCursor": cursor})
        )

    return reply


def listing(count: int) -> Callable[[httpx.Request], httpx.Response]:
    """A server before 4.18: `logs/search` is a bare 404, `logs/list` pages by offset."""

    def reply(request: httpx.Request) -> httpx.Response:
        if request.url.path == SEARCH:
            return httpx.Response(404, text="Cannot POST /api/core/app/logs/search")
        body = json.loads(request.content)
        offset, size = body["offset"], body["pageSize"]
        items = [log_item(n) for n in range(count)][offset : offset + size]
        return httpx.Response(200, json=envelope({"list": items, "total": count}))

    return reply


async def walk(client: Client, mode: str, request: ListLogsRequest) -> list[AppLogItem]:
    service = client.app_logs
    return await drain(mode, lambda: service.iter_logs(request), lambda: service.aiter_logs(request))


# ---- search_logs on the wire ---------------------------------------------------------------------


async def test_search_logs_sends_its_filters_and_reads_the_cursor(io_mode: str) -> None:
    wire = Wire(searching({"c1": ([3, 4], "c2")}))
    client = make_client(wire)
    request = SearchLogsRequest(
        date_start=START,
        date_end=END,
        cursor="c1",
        chat_search="refund",
        sources=["api", "share"],
        feedback_type="bad",
        error_filter="has_error",
    )

    page: SearchLogsResponse = await run(
        io_mode, lambda: client.app_logs.search_logs(request), lambda: client.app_logs.asearch_logs(request)
    )

    assert (wire.last.method, wire.last.url.path) == ("POST", SEARCH)
    assert body_of(wire.last) == {
        "appId": APP_ID,
        "dateStart": "2025-09-01T00:00:00Z",
        "dateEnd": "2025-09-30T00:00:00Z",
        "cursor": "c1",
        "chatSearch": "refund",
        "sources": ["api", "share"],
        "feedbackType": "bad",
        "errorFilter": "has_error",
    }
    assert [item.chat_id for item in page.list] == ["chat3", "chat4"]
    assert (page.next_cursor, page.has_more) == ("c2", None)


def test_search_logs_has_a_builder_and_checks_its_fields() -> None:
    built = SearchLogsRequest.builder().date_start(START).date_end(END).cursor("c1").build()
    assert built == SearchLogsRequest(date_start=START, date_end=END, cursor="c1")
    with pytest.raises(ValueError, match="cursor"):
        SearchLogsRequest(date_start=START, date_end=END, cursor="")
    with pytest.raises(ValueError, match="date_end"):
        SearchLogsRequest.model_validate({"date_start": START})


# ---- iter_logs: search where it exists, list where it does not -------------------------------------


async def test_iter_logs_walks_search_by_cursor(io_mode: str) -> None:
    wire = Wire(searching({None: ([0, 1], "c1"), "c1": ([2, 3], "c2"), "c2": ([4], None)}))
    request = ListLogsRequest(date_start=START, date_end=END, page_size=2, feedback_type="good")

    items = await walk(make_client(wire), io_mode, request)

    assert [i.id for i in items] == ["log0", "log1", "log2", "log3", "log4"]
    assert all(isinstance(i, AppLogItem) for i in items)
    bodies = [body_of(r) for r in wire.requests]
    assert [b.get("cursor") for b in bodies] == [None, "c1", "c2"]
    assert all(b["feedbackType"] == "good" for b in bodies)
    assert all("offset" not in b and "pageSize" not in b for b in bodies[1:])


async def test_iter_logs_falls_back_to_list_once_per_pool(io_mode: str) -> None:
    wire = Wire(listing(5))
    client = make_client(wire)
    request = ListLogsRequest(date_start=START, date_end=END, page_size=2)

    first = await walk(client, io_mode, request)
    second = await walk(client.with_options(max_retries=1), io_mode, request)  # shares the pool

    assert [i.id for i in first] == [i.id for i in second] == [f"log{n}" for n in range(5)]
    assert wire.paths == [SEARCH, LIST, LIST, LIST, LIST, LIST, LIST]  # search asked once only
    assert [json.loads(r.content)["offset"] for r in wire.requests[1:]] == [0, 2, 4, 0, 2, 4]


async def test_iter_logs_from_an_offset_walks_list(io_mode: str) -> None:
    wire = Wire(listing(5))
    request = ListLogsRequest(date_start=START, date_end=END, page_size=2, offset=3)

    items = await walk(make_client(wire), io_mode, request)

    assert [i.id for i in items] == ["log3", "log4"]
    assert wire.paths == [LIST]


async def test_iter_logs_stops_when_search_repeats_a_cursor(io_mode: str) -> None:
    wire = Wire(searching({None: ([0], "c1"), "c1": ([1], "c1")}))
    request = ListLogsRequest(date_start=START, date_end=END)

    items = await walk(make_client(wire), io_mode, request)

    assert [i.id for i in items] == ["log0", "log1"]
    assert len(wire.requests) == 2


async def test_iter_logs_stops_on_a_page_with_nothing_new(io_mode: str) -> None:
    wire = Wire(searching({None: ([0, 1], "c1"), "c1": ([0, 1], "c2"), "c2": ([2], None)}))

    items = await walk(make_client(wire), io_mode, ListLogsRequest(date_start=START, date_end=END))

    assert [i.id for i in items] == ["log0", "log1"]
    assert len(wire.requests) == 2


async def test_a_search_error_is_not_a_fallback(io_mode: str) -> None:
    # A 404 carrying FastGPT's envelope comes from a route that exists: it is raised, not retried at list.
    body = {"code": 502000, "statusText": "appUnExist", "message": "common:code_error.app_error.not_exist"}
    wire = Wire(lambda request: httpx.Response(404, json={**body, "data": None}))

    with pytest.raises(NotFoundError):
        await walk(make_client(wire), io_mode, ListLogsRequest(date_start=START, date_end=END))
    assert wire.paths == [SEARCH]


# ---- paged log users ----------------------------------------------------------------------------


def user(n: int) -> dict[str, Any]:
    return {"outLinkUid": f"u{n}", "tmbId": None, "name": f"user {n}", "count": 10 - n}


async def test_list_log_users_sends_paging_and_reads_the_total(io_mode: str) -> None:
    wire = Wire(lambda request: httpx.Response(200, json=envelope({"list": [user(2)], "total": 7})))
    client = make_client(wire)
    request = ListLogUsersRequest(date_start=START, date_end=END, offset=2, page_size=1, search_key="user")

    page = await run(
        io_mode,
        lambda: client.app_logs.list_log_users(request),
        lambda: client.app_logs.alist_log_users(request),
    )

    assert {k: body_of(wire.last)[k] for k in ("offset", "pageSize", "searchKey")} == (
        {"offset": 2, "pageSize": 1, "searchKey": "user"}
    )
    assert (page.total, page.reported_total, [u.name for u in page.list]) == (7, 7, ["user 2"])


async def test_iter_log_users_walks_the_pages(io_mode: str) -> None:
    users = [user(n) for n in range(5)]

    def reply(request: httpx.Request) -> httpx.Response:
        body = body_of(request)
        page = users[body["offset"] : body["offset"] + body["pageSize"]]
        return httpx.Response(200, json=envelope({"list": page, "total": len(users)}))

    wire = Wire(reply)
    service = make_client(wire).app_logs
    request = ListLogUsersRequest(date_start=START, date_end=END, page_size=2)

    got: list[LogUser] = await drain(
        io_mode, lambda: service.iter_log_users(request), lambda: service.aiter_log_users(request)
    )

    assert [u.out_link_uid for u in got] == ["u0", "u1", "u2", "u3", "u4"]
    assert [body_of(r)["offset"] for r in wire.requests] == [0, 2, 4]
    assert request.offset is None  # the caller's request is not changed


async def test_iter_log_users_on_a_server_that_does_not_page(io_mode: str) -> None:
    # Before 4.17.1: at most 50 users, no total; the paging fields are ignored.
    wire = Wire(lambda request: httpx.Response(200, json=envelope({"list": [user(n) for n in range(30)]})))
    service = make_client(wire).app_logs
    request = ListLogUsersRequest(date_start=START, date_end=END)

    got = await drain(
        io_mode, lambda: service.iter_log_users(request), lambda: service.aiter_log_users(request)
    )

    assert len(got) == 30
    assert len(wire.requests) == 1
    assert body_of(wire.last)["pageSize"] == 20


# ---- against the emulator -------------------------------------------------------------------------


def chats(fake: FakeFastGPT, count: int, *, uid: Callable[[int], str | None] = lambda n: None) -> None:
    with fake.client() as client:
        for n in range(count):
            client.chat.chat(
                ChatCompletionRequest(
                    messages=[ChatMessage.user(f"question {n}")], chat_id=f"c{n:03}", custom_uid=uid(n)
                )
            )


def today() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(days=1), now + timedelta(days=1)


async def test_the_emulator_serves_search_in_pages_of_50(io_mode: str) -> None:
    fake = FakeFastGPT()
    chats(fake, 53)
    start, end = today()

    with fake.client() as client:
        service = client.app_logs
        first = await run(
            io_mode,
            lambda: service.search_logs(SearchLogsRequest(date_start=start, date_end=end)),
            lambda: service.asearch_logs(SearchLogsRequest(date_start=start, date_end=end)),
        )
        assert first.next_cursor is not None
        rest_request = SearchLogsRequest(date_start=start, date_end=end, cursor=first.next_cursor)
        rest = await run(
            io_mode, lambda: service.search_logs(rest_request), lambda: service.asearch_logs(rest_request)
        )
        found_request = SearchLogsRequest(date_start=start, date_end=end, chat_search="c007")
        found = await run(
            io_mode, lambda: service.search_logs(found_request), lambda: service.asearch_logs(found_request)
        )

    assert (len(first.list), len(rest.list), rest.next_cursor) == (50, 3, None)
    assert len({i.chat_id for i in first.list + rest.list}) == 53
    assert [i.chat_id for i in found.list] == ["c007"]


# Two walks of 53 chats: by search, two pages of 50 each time; by list, pages of 30, with the bare 404
# of search met once (the client remembers it).
@pytest.mark.parametrize(
    ("version", "paths"),
    [("4.18.0", [SEARCH, SEARCH, SEARCH, SEARCH]), ("4.17.2", [SEARCH, LIST, LIST, LIST, LIST])],
)
async def test_the_emulator_walks_logs_by_search_or_by_list(
    io_mode: str, version: str, paths: list[str]
) -> None:
    fake = FakeFastGPT(version=version)
    chats(fake, 53)
    start, end = today()
    request = ListLogsRequest(date_start=start, date_end=end, page_size=30)

    with fake.client() as client:
        items = await walk(client, io_mode, request)
        again = await walk(client, io_mode, request)

    assert len({i.chat_id for i in items}) == len(items) == 53
    assert [i.chat_id for i in again] == [i.chat_id for i in items]
    walked = [r.path for r in fake.requests if r.path in (SEARCH, LIST)]
    assert walked == paths


async def test_the_emulator_has_no_search_before_4_18(io_mode: str) -> None:
    fake = FakeFastGPT(version="4.17.2")
    start, end = today()
    request = SearchLogsRequest(date_start=start, date_end=end)
    with fake.client(max_retries=0) as client, pytest.raises(NotFoundError):
        await run(
            io_mode,
            lambda: client.app_logs.search_logs(request),
            lambda: client.app_logs.asearch_logs(request),
        )


@pytest.mark.parametrize(("version", "calls", "total"), [("4.17.1", 3, 5), ("4.17.0", 1, None)])
async def test_the_emulator_pages_log_users_from_4_17_1(
    io_mode: str, version: str, calls: int, total: int | None
) -> None:
    fake = FakeFastGPT(version=version)
    chats(fake, 5, uid=lambda n: f"user-{n}")
    start, end = today()
    request = ListLogUsersRequest(date_start=start, date_end=end, page_size=2)

    with fake.client() as client:
        service = client.app_logs
        page = await run(
            io_mode, lambda: service.list_log_users(request), lambda: service.alist_log_users(request)
        )
        users = await drain(
            io_mode, lambda: service.iter_log_users(request), lambda: service.aiter_log_users(request)
        )

    assert page.reported_total == total
    assert len(page.list) == (2 if total else 5)
    assert sorted(u.name for u in users) == [f"user-{n}" for n in range(5)]
    assert fake.count(USERS) == 1 + calls
