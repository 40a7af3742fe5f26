"""`iter_logs`' plan, without I/O: the first page says which walk follows it."""

from __future__ import annotations

from typing import Any

from fastgpt_oapi.api.app_logs.model import (
    FirstLogsPageRequest,
    ListLogsRequest,
    ListLogsResponse,
    SearchLogsRequest,
    SearchLogsResponse,
    _FirstLogsPage,
)
from fastgpt_oapi.api.app_logs.service import _logs_plan

START, END = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"


def logs(*ids: str) -> list[dict[str, Any]]:
    return [{"_id": i, "chatId": i} for i in ids]


def test_a_search_first_page_is_followed_by_its_cursor() -> None:
    plan = _logs_plan(ListLogsRequest(date_start=START, date_end=END, chat_search="x"))
    assert isinstance(plan.next_request(), FirstLogsPageRequest)
    fresh = plan.accept(_FirstLogsPage.model_validate({"list": logs("a", "b"), "nextCursor": "c1"}))
    assert [item.id for item in fresh] == ["a", "b"]
    following = plan.next_request()
    assert isinstance(following, SearchLogsRequest)
    assert (following.cursor, following.chat_search) == ("c1", "x")
    plan.accept(SearchLogsResponse.model_validate({"list": logs("b", "c"), "nextCursor": None}))
    assert plan.next_request() is None


def test_a_list_first_page_is_followed_by_offsets() -> None:
    plan = _logs_plan(ListLogsRequest(date_start=START, date_end=END, page_size=2))
    plan.next_request()
    plan.accept(_FirstLogsPage.model_validate({"list": logs("a", "b"), "total": 3}))
    following = plan.next_request()
    assert isinstance(following, ListLogsRequest)
    assert following.offset == 2
    assert [
        item.id for item in plan.accept(ListLogsResponse.model_validate({"list": logs("c"), "total": 3}))
    ] == ["c"]
    assert plan.next_request() is None


def test_a_request_with_an_offset_walks_logs_list_from_it() -> None:
    plan = _logs_plan(ListLogsRequest(date_start=START, date_end=END, offset=4, page_size=2))
    first = plan.next_request()
    assert isinstance(first, ListLogsRequest)
    assert first.offset == 4
