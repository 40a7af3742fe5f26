"""`client.app_logs`: an app's usage charts, totals and chat log, sync and async."""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable, Iterator, Sequence
from typing import Any

from fastgpt_oapi.core.model import APIRequest
from fastgpt_oapi.core.options import RequestOption
from fastgpt_oapi.core.paging import KeySet, OffsetWalk, PagePlan, awalk, walk

from ._calls import AppLogsCalls
from .model import (
    AppLogItem,
    FirstLogsPageRequest,
    ListLogsRequest,
    ListLogsResponse,
    SearchLogsRequest,
    SearchLogsResponse,
    _FirstLogsPage,
)

__all__ = ["AppLogsService"]


def _log_key(item: AppLogItem) -> Hashable:
    return item.id or item.chat_id


class AppLogsService(AppLogsCalls):
    """Calls name their app (`app_id` on the request, or the client's default) unless the key is an
    app key (FastGPT >= 4.18.0), which is bound to its app.

    `iter_log_users` is generated (`_calls.py`, from `ListLogUsersRequest`'s `walk`); `iter_logs` is
    written here: its plan sends three request types (`logs/search` or `logs/list` first, then by
    cursor or by offset), so no one `list_` method fetches its pages."""

    def iter_logs(
        self, request: ListLogsRequest, request_option: RequestOption | None = None
    ) -> Iterator[AppLogItem]:
        """Every logged chat matching the request's filters, in the server's order.

        Walks `logs/search` by cursor (50 per page) where the server has it (FastGPT >= 4.18.0), else
        `logs/list` from `request.offset`, `request.page_size` per page; which one is learned from the
        first bare 404 and kept for the client's pool, as for every moved endpoint. A request with an
        `offset` walks `logs/list` (search has no offsets).
        """
        return walk(lambda page: self._http.request(page, request_option), _logs_plan(request))

    def aiter_logs(
        self, request: ListLogsRequest, request_option: RequestOption | None = None
    ) -> AsyncIterator[AppLogItem]:
        """Call without `await`: `async for log in client.app_logs.aiter_logs(request)`."""
        return awalk(lambda page: self._http.arequest(page, request_option), _logs_plan(request))


_LogsPage = _FirstLogsPage | SearchLogsResponse | ListLogsResponse
# Any page: each of `iter_logs`' walks is sent (and so answered by) the requests it asks for.
_LogsPlan = PagePlan[APIRequest[Any], Any, AppLogItem]


def _logs_plan(request: ListLogsRequest) -> _LogsPlan:
    # search has no offsets: a request with one walks logs/list.
    return OffsetWalk(request, _log_key) if request.offset else _LogsWalk(request)


class _LogsWalk:
    """The walk of `iter_logs` from its start, without I/O: the first page comes from `logs/search`
    where the server has it, else from `logs/list` (`FirstLogsPageRequest`), and says which walk
    follows: by cursor over `logs/search`, or by offset over `logs/list`."""

    def __init__(self, request: ListLogsRequest) -> None:
        self._request = request
        self._rest: _LogsPlan | None = None

    def next_request(self) -> APIRequest[Any] | None:
        if self._rest is None:
            return FirstLogsPageRequest.of(self._request)
        return self._rest.next_request()

    def accept(self, page: _LogsPage) -> Sequence[AppLogItem]:
        if self._rest is None:  # the first page, which says where it came from
            self._rest = _rest_of_logs(self._request, page)
        return self._rest.accept(page)


def _rest_of_logs(request: ListLogsRequest, first: _LogsPage) -> _LogsPlan:
    if isinstance(first, _FirstLogsPage) and first.from_search:
        return _SearchWalk(request)
    return OffsetWalk(request, _log_key)


class _SearchWalk:
    """The walk over `logs/search` pages, without I/O: each page's `next_cursor` asks for the next one.

    It ends on a page without a cursor (or one saying `has_more: false`), on an empty page, or on a
    cursor seen before or a page with nothing new (a server repeating itself would loop forever).
    """

    def __init__(self, request: ListLogsRequest) -> None:
        self._request = request
        self._seen = KeySet(_log_key)
        self._cursors: set[str] = set()
        self._next_cursor: str | None = None

    def next_request(self) -> SearchLogsRequest | None:
        cursor = self._next_cursor
        return None if cursor is None else SearchLogsRequest.like(self._request, cursor)

    def accept(self, page: SearchLogsResponse | _FirstLogsPage) -> list[AppLogItem]:
        fresh = self._seen.fresh(page.list)
        cursor = page.next_cursor
        ends = not cursor or page.has_more is False or not fresh or cursor in self._cursors
        self._next_cursor = None if ends else cursor
        if cursor:
            self._cursors.add(cursor)
        return fresh
