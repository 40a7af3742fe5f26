"""`client.app_logs`: an app's usage charts, totals and chat log, sync and async."""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable, Iterator, Sequence

from fastgpt_oapi.core.options import RequestOption
from fastgpt_oapi.core.paging import OffsetPager, aiterate_pages, at_offset, iterate_pages
from fastgpt_oapi.core.service import Service

from ._raw import AppLogsServiceWithRawResponse
from .model import (
    AppLogItem,
    ChartDataResponse,
    FirstLogsPageRequest,
    GetChartDataRequest,
    GetTotalDataRequest,
    ListLogsRequest,
    ListLogsResponse,
    ListLogUsersRequest,
    ListLogUsersResponse,
    LogUser,
    SearchLogsRequest,
    SearchLogsResponse,
    TotalDataResponse,
)

__all__ = ["AppLogsService"]


def _log_key(item: AppLogItem) -> Hashable:
    return item.id or item.chat_id


def _user_key(user: LogUser) -> Hashable:
    return (user.out_link_uid, user.tmb_id, user.name)


# iter_log_users' page size when the request gives none.
_USERS_PAGE = 20


class AppLogsService(Service[AppLogsServiceWithRawResponse]):
    """Calls name their app (`app_id` on the request, or the client's default) unless the key is an
    app key (FastGPT >= 4.18.0), which is bound to its app."""

    def get_chart_data(
        self, request: GetChartDataRequest, request_option: RequestOption | None = None
    ) -> ChartDataResponse:
        """Usage charts (FastGPT Pro only; an open-source server answers 404, `NotFoundError`)."""
        return self._http.request(request, request_option)

    async def aget_chart_data(
        self, request: GetChartDataRequest, request_option: RequestOption | None = None
    ) -> ChartDataResponse:
        return await self._http.arequest(request, request_option)

    def get_total_data(
        self, request: GetTotalDataRequest, request_option: RequestOption | None = None
    ) -> TotalDataResponse:
        """All-time totals (FastGPT Pro only)."""
        return self._http.request(request, request_option)

    async def aget_total_data(
        self, request: GetTotalDataRequest, request_option: RequestOption | None = None
    ) -> TotalDataResponse:
        return await self._http.arequest(request, request_option)

    def list_logs(
        self, request: ListLogsRequest, request_option: RequestOption | None = None
    ) -> ListLogsResponse:
        return self._http.request(request, request_option)

    async def alist_logs(
        self, request: ListLogsRequest, request_option: RequestOption | None = None
    ) -> ListLogsResponse:
        return await self._http.arequest(request, request_option)

    def search_logs(
        self, request: SearchLogsRequest, request_option: RequestOption | None = None
    ) -> SearchLogsResponse:
        """A page of at most 50 logged chats and the next page's cursor (FastGPT >= 4.18.0)."""
        return self._http.request(request, request_option)

    async def asearch_logs(
        self, request: SearchLogsRequest, request_option: RequestOption | None = None
    ) -> SearchLogsResponse:
        return await self._http.arequest(request, request_option)

    def iter_logs(
        self, request: ListLogsRequest, request_option: RequestOption | None = None
    ) -> Iterator[AppLogItem]:
        """Every logged chat matching the request's filters, in the server's order.

        Walks `logs/search` by cursor (50 per page) where the server has it (FastGPT >= 4.18.0), else
        `logs/list` from `request.offset`, `request.page_size` per page; which one is learned from the
        first bare 404 and kept for the client's pool, as for every moved endpoint. A request with an
        `offset` walks `logs/list` (search has no offsets).
        """
        if request.offset:
            return self._list_pages(request, request_option)
        return self._walk(request, request_option)

    def aiter_logs(
        self, request: ListLogsRequest, request_option: RequestOption | None = None
    ) -> AsyncIterator[AppLogItem]:
        """Call without `await`: `async for log in client.app_logs.aiter_logs(request)`."""
        if request.offset:
            return self._alist_pages(request, request_option)
        return self._awalk(request, request_option)

    def _walk(self, request: ListLogsRequest, option: RequestOption | None) -> Iterator[AppLogItem]:
        first = self._http.request(FirstLogsPageRequest.of(request), option)
        if first.from_search:
            walk = _CursorWalk()
            yield from walk.accept(first.list, first.next_cursor, first.has_more)
            while (cursor := walk.next_cursor) is not None:
                page = self.search_logs(SearchLogsRequest.like(request, cursor), option)
                yield from walk.accept(page.list, page.next_cursor, page.has_more)
        else:
            pager = OffsetPager(offset=0, page_size=request.page_size, key=_log_key)
            yield from pager.accept(first.list, first.reported_total)
            yield from self._list_pages(request, option, pager)

    async def _awalk(
        self, request: ListLogsRequest, option: RequestOption | None
    ) -> AsyncIterator[AppLogItem]:
        first = await self._http.arequest(FirstLogsPageRequest.of(request), option)
        if first.from_search:
            walk = _CursorWalk()
            for item in walk.accept(first.list, first.next_cursor, first.has_more):
                yield item
            while (cursor := walk.next_cursor) is not None:
                page = await self.asearch_logs(SearchLogsRequest.like(request, cursor), option)
                for item in walk.accept(page.list, page.next_cursor, page.has_more):
                    yield item
        else:
            pager = OffsetPager(offset=0, page_size=request.page_size, key=_log_key)
            for item in pager.accept(first.list, first.reported_total):
                yield item
            async for item in self._alist_pages(request, option, pager):
                yield item

    def _list_pages(
        self,
        request: ListLogsRequest,
        option: RequestOption | None,
        pager: OffsetPager[AppLogItem] | None = None,
    ) -> Iterator[AppLogItem]:
        return iterate_pages(
            lambda offset: self.list_logs(at_offset(request, offset), option),
            pager or OffsetPager(offset=request.offset, page_size=request.page_size, key=_log_key),
        )

    def _alist_pages(
        self,
        request: ListLogsRequest,
        option: RequestOption | None,
        pager: OffsetPager[AppLogItem] | None = None,
    ) -> AsyncIterator[AppLogItem]:
        return aiterate_pages(
            lambda offset: self.alist_logs(at_offset(request, offset), option),
            pager or OffsetPager(offset=request.offset, page_size=request.page_size, key=_log_key),
        )

    def list_log_users(
        self, request: ListLogUsersRequest, request_option: RequestOption | None = None
    ) -> ListLogUsersResponse:
        """A page of the app's users between two dates with their chat counts, most active first
        (FastGPT >= 4.17.1: `offset` / `page_size`, and `total`; before: at most 50, no total)."""
        return self._http.request(request, request_option)

    async def alist_log_users(
        self, request: ListLogUsersRequest, request_option: RequestOption | None = None
    ) -> ListLogUsersResponse:
        return await self._http.arequest(request, request_option)

    def iter_log_users(
        self, request: ListLogUsersRequest, request_option: RequestOption | None = None
    ) -> Iterator[LogUser]:
        """Every user from `request.offset` on, `request.page_size` (default 20) per request.

        A server before 4.17.1 does not page the users: its one answer (at most 50, without a total)
        is the whole walk.
        """
        walk = _UsersWalk(request)
        while (page_request := walk.next_request) is not None:
            yield from walk.accept(self.list_log_users(page_request, request_option))

    async def aiter_log_users(
        self, request: ListLogUsersRequest, request_option: RequestOption | None = None
    ) -> AsyncIterator[LogUser]:
        """Call without `await`: `async for user in client.app_logs.aiter_log_users(request)`."""
        walk = _UsersWalk(request)
        while (page_request := walk.next_request) is not None:
            for user in walk.accept(await self.alist_log_users(page_request, request_option)):
                yield user


class _CursorWalk:
    """The walk over `logs/search` pages, without I/O: each page's `next_cursor` asks for the next one.

    It ends on a page without a cursor (or one saying `has_more: false`), on an empty page, or on a
    cursor seen before or a page with nothing new (a server repeating itself would loop forever).
    """

    def __init__(self) -> None:
        self._seen: set[Hashable] = set()
        self._cursors: set[str] = set()
        self.next_cursor: str | None = None

    def accept(
        self, items: Sequence[AppLogItem], cursor: str | None, has_more: bool | None
    ) -> list[AppLogItem]:
        fresh = []
        for item in items:
            key = _log_key(item)
            if key not in self._seen:
                self._seen.add(key)
                fresh.append(item)
        ends = not cursor or has_more is False or not fresh or cursor in self._cursors
        self.next_cursor = None if ends else cursor
        if cursor:
            self._cursors.add(cursor)
        return fresh


class _UsersWalk:
    """The walk over `getUsers` pages, without I/O: offset pages while the server reports a `total`."""

    def __init__(self, request: ListLogUsersRequest) -> None:
        self._request = request
        self._size = request.page_size or _USERS_PAGE
        self._pager: OffsetPager[LogUser] = OffsetPager(
            offset=request.offset or 0, page_size=self._size, key=_user_key
        )
        self._done = False

    @property
    def next_request(self) -> ListLogUsersRequest | None:
        offset = None if self._done else self._pager.next_offset
        if offset is None:
            return None
        return self._request.model_copy(update={"offset": offset, "page_size": self._size})

    def accept(self, page: ListLogUsersResponse) -> list[LogUser]:
        fresh = self._pager.accept(page.list, page.reported_total)
        # A server before 4.17.1 sends no total: it does not page, so this was everything.
        self._done = page.reported_total is None
        return fresh
