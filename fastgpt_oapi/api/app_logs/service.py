"""`client.app_logs`: an app's usage charts, totals and chat log, sync and async."""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable, Iterator
from typing import TYPE_CHECKING

from fastgpt_oapi.core.options import RequestOption
from fastgpt_oapi.core.paging import OffsetPager, aiterate_pages, at_offset, iterate_pages

from .model import (
    AppLogItem,
    ChartDataResponse,
    GetChartDataRequest,
    GetTotalDataRequest,
    ListLogsRequest,
    ListLogsResponse,
    ListLogUsersRequest,
    ListLogUsersResponse,
    TotalDataResponse,
)

if TYPE_CHECKING:
    from fastgpt_oapi.core.http import Sender

__all__ = ["AppLogsService"]


def _log_key(item: AppLogItem) -> Hashable:
    return item.id or item.chat_id


class AppLogsService:
    """Calls name their app (`app_id` on the request, or the client's default) unless the key is an
    app key (FastGPT >= 4.18.0), which is bound to its app."""

    def __init__(self, http: Sender) -> None:
        self._http = http

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

    def iter_logs(
        self, request: ListLogsRequest, request_option: RequestOption | None = None
    ) -> Iterator[AppLogItem]:
        """Every logged chat from `request.offset` on, `request.page_size` per request, in list order."""
        return iterate_pages(
            lambda offset: self.list_logs(at_offset(request, offset), request_option),
            OffsetPager(offset=request.offset, page_size=request.page_size, key=_log_key),
        )

    def aiter_logs(
        self, request: ListLogsRequest, request_option: RequestOption | None = None
    ) -> AsyncIterator[AppLogItem]:
        """Call without `await`: `async for log in client.app_logs.aiter_logs(request)`."""
        return aiterate_pages(
            lambda offset: self.alist_logs(at_offset(request, offset), request_option),
            OffsetPager(offset=request.offset, page_size=request.page_size, key=_log_key),
        )

    def list_log_users(
        self, request: ListLogUsersRequest, request_option: RequestOption | None = None
    ) -> ListLogUsersResponse:
        """The app's users between two dates with their chat counts, most active first (at most 50)."""
        return self._http.request(request, request_option)

    async def alist_log_users(
        self, request: ListLogUsersRequest, request_option: RequestOption | None = None
    ) -> ListLogUsersResponse:
        return await self._http.arequest(request, request_option)
