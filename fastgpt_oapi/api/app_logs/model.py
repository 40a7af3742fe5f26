"""App logs and analytics: the requests and responses of `client.app_logs`.

`get_chart_data` and `get_total_data` are served by FastGPT's commercial (Pro) plugin under
`/api/proApi/...`; an open-source server answers them with 404. `list_logs` is open source (>= 4.14.4).
"""

from __future__ import annotations

import builtins
from collections.abc import Hashable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import AliasChoices, AwareDatetime, Field

from fastgpt_oapi.core.lazy import Builds, builders_on_demand
from fastgpt_oapi.core.model import APIRequest, AppId, FastGPTModel, RequestFields, Route
from fastgpt_oapi.core.paging import OffsetPager, Page, PagePlan

from ..shared.constants import ChatSource

if TYPE_CHECKING:
    from ._builders import (
        GetChartDataRequestBuilder,
        GetTotalDataRequestBuilder,
        ListLogsRequestBuilder,
        ListLogUsersRequestBuilder,
        SearchLogsRequestBuilder,
    )

__all__ = [
    "AppDataPoint",
    "AppLogItem",
    "AppSummary",
    "ChartDataResponse",
    "ChatDataPoint",
    "ChatSource",
    "ChatSummary",
    "ErrorFilter",
    "FeedbackFilter",
    "GetChartDataRequest",
    "GetChartDataRequestBuilder",
    "GetTotalDataRequest",
    "GetTotalDataRequestBuilder",
    "ListLogUsersRequest",
    "ListLogUsersRequestBuilder",
    "ListLogUsersResponse",
    "ListLogsRequest",
    "ListLogsRequestBuilder",
    "ListLogsResponse",
    "LogUser",
    "SearchLogsRequest",
    "SearchLogsRequestBuilder",
    "SearchLogsResponse",
    "Timespan",
    "TotalDataResponse",
    "UserDataPoint",
    "UserSummary",
]

Timespan = Literal["day", "week", "month", "quarter"]
FeedbackFilter = Literal["all", "has_feedback", "good", "bad"]
ErrorFilter = Literal["all", "has_error"]


# ---- responses --------------------------------------------------------------------------------


class _DataPoint(FastGPTModel):
    # Start of the bucket, in milliseconds since the epoch.
    timestamp: int

    @property
    def time(self) -> datetime:
        """`timestamp` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.timestamp / 1000, tz=timezone.utc)


class UserSummary(FastGPTModel):
    user_count: int = 0
    new_user_count: int = 0
    retention_user_count: int = 0
    points: float = 0.0
    # Users per chat source (api, online, share, ...).
    source_count_map: dict[str, int] = Field(default_factory=builtins.dict)


class UserDataPoint(_DataPoint):
    summary: UserSummary = Field(default_factory=UserSummary)


class ChatSummary(FastGPTModel):
    chat_item_count: int = 0
    chat_count: int = 0
    error_count: int = 0
    points: float = 0.0


class ChatDataPoint(_DataPoint):
    summary: ChatSummary = Field(default_factory=ChatSummary)


class AppSummary(FastGPTModel):
    good_feed_back_count: int = 0
    bad_feed_back_count: int = 0
    chat_count: int = 0
    # Seconds, summed over the bucket's chats.
    total_response_time: float = 0.0

    @property
    def average_response_time(self) -> float | None:
        """Seconds per chat in this bucket; None when it had no chats."""
        return self.total_response_time / self.chat_count if self.chat_count else None


class AppDataPoint(_DataPoint):
    summary: AppSummary = Field(default_factory=AppSummary)


class ChartDataResponse(FastGPTModel):
    """Time series per bucket of `user_timespan` / `chat_timespan` / `app_timespan`."""

    user_data: builtins.list[UserDataPoint] = Field(default_factory=builtins.list)
    chat_data: builtins.list[ChatDataPoint] = Field(default_factory=builtins.list)
    app_data: builtins.list[AppDataPoint] = Field(default_factory=builtins.list)


class TotalDataResponse(FastGPTModel):
    """The app's all-time totals."""

    total_users: int = 0
    total_chats: int = 0
    total_points: float = 0.0


class AppLogItem(FastGPTModel):
    """One chat in the app's log, with its counters."""

    id: str | None = Field(
        default=None, validation_alias=AliasChoices("_id", "id"), serialization_alias="_id"
    )
    chat_id: str
    title: str | None = None
    custom_title: str | None = None
    source: str | None = None
    source_name: str | None = None
    update_time: datetime | None = None
    create_time: datetime | None = None
    message_count: int | None = None
    user_good_feedback_count: int | None = None
    user_bad_feedback_count: int | None = None
    custom_feedbacks_count: int | None = None
    mark_count: int | None = None
    average_response_time: float | None = None
    error_count: int | None = None
    total_points: float | None = None
    out_link_uid: str | None = None
    tmb_id: str | None = None
    source_member: dict[str, Any] | None = None
    version_name: str | None = None
    origin_ip: str | None = None
    region: str | None = None

    @property
    def display_title(self) -> str:
        return self.custom_title or self.title or ""


class ListLogsResponse(Page[AppLogItem]):
    """A page of the app's chat log: `list` and `total`."""


class SearchLogsResponse(FastGPTModel):
    """A page of at most 50 logged chats and the cursor of the next page (None after the last one).

    No total: FastGPT does not count the matches (4.18 reference page `openapi/reference/app-log/
    search`). `has_more` is read when the server sends it.
    """

    list: builtins.list[AppLogItem] = Field(default_factory=builtins.list)
    next_cursor: str | None = None
    has_more: bool | None = None


class _FirstLogsPage(Page[AppLogItem]):
    """The first page `iter_logs` asks for: a `logs/search` page (`next_cursor`, no `total`), or, from
    a server without it, a `logs/list` page (`list` and `total`)."""

    next_cursor: str | None = None
    has_more: bool | None = None

    @property
    def from_search(self) -> bool:
        # logs/list always counts its matches; logs/search never does.
        return "total" not in self.model_fields_set


# ---- requests ---------------------------------------------------------------------------------


class GetChartDataRequest(APIRequest[ChartDataResponse]):
    """`POST /api/proApi/core/app/logs/getChartData` (FastGPT Pro; an open-source server answers 404,
    `NotFoundError`): usage charts between two dates.

    `offset` is not paging: it is the user-retention window, in `user_timespan` units (server default 1).
    """

    route = Route("POST", "/api/proApi/core/app/logs/getChartData", call="get_chart_data")

    app_id: AppId | None = None
    date_start: AwareDatetime | str
    date_end: AwareDatetime | str
    source: builtins.list[ChatSource] | None = None
    offset: int | None = Field(default=None, ge=0)
    user_timespan: Timespan = "day"
    chat_timespan: Timespan = "day"
    app_timespan: Timespan = "day"

    builder: ClassVar[Builds[GetChartDataRequestBuilder]] = Builds()


class GetTotalDataRequest(APIRequest[TotalDataResponse]):
    """`GET /api/proApi/core/app/logs/getTotalData` (FastGPT Pro): users, chats and points so far."""

    route = Route("GET", "/api/proApi/core/app/logs/getTotalData", call="get_total_data")

    app_id: AppId | None = None

    builder: ClassVar[Builds[GetTotalDataRequestBuilder]] = Builds()


class _LogFilters(RequestFields):
    """Which chats of the app `logs/list` and `logs/search` answer (`GetAppChatLogsBodySchema`)."""

    app_id: AppId | None = None
    date_start: AwareDatetime | str
    date_end: AwareDatetime | str
    sources: builtins.list[ChatSource] | None = None
    tmb_ids: builtins.list[str] | None = None
    out_link_uids: builtins.list[str] | None = None
    chat_search: str | None = None
    feedback_type: FeedbackFilter | None = None
    unread_only: bool | None = None
    error_filter: ErrorFilter | None = None


class ListLogsRequest(_LogFilters, APIRequest[ListLogsResponse]):
    """`POST /api/core/app/logs/list` (FastGPT >= 4.14.4): the app's chats between two dates, with filters."""

    route = Route("POST", "/api/core/app/logs/list", call="list_logs")

    offset: int = Field(default=0, ge=0)
    page_size: int = Field(default=20, ge=1)

    builder: ClassVar[Builds[ListLogsRequestBuilder]] = Builds()


_SEARCH_PATH = "/api/core/app/logs/search"


class SearchLogsRequest(_LogFilters, APIRequest[SearchLogsResponse]):
    """`POST /api/core/app/logs/search` (FastGPT >= 4.18.0): the app's chats between two dates, 50 per
    page, by cursor.

    The filters are `list_logs`' (sources, members, share-link users, feedback, errors); `chat_search`
    matches a chat's title, or its chat id exactly. `cursor`: the previous page's `next_cursor`; left
    out, the first page. `logs/list` is deprecated in its favour. Source: the 4.18 reference page
    `openapi/reference/app-log/search` (doc.fastgpt.io, updated 2026-11-19: "The page size is fixed
    at 50 and the response does not include a total count"; `feedbackType`, `unreadOnly`,
    `errorFilter`, `dateStart`, `dateEnd`, `sources`, `tmbIds` as in `GetAppChatLogsBodySchema`).
    """

    route = Route("POST", _SEARCH_PATH, call="search_logs")

    cursor: str | None = Field(default=None, min_length=1)

    builder: ClassVar[Builds[SearchLogsRequestBuilder]] = Builds()

    @classmethod
    def like(cls, request: ListLogsRequest, cursor: str | None = None) -> SearchLogsRequest:
        """The search with a `list_logs` request's filters (its `offset` and `page_size` aside)."""
        fields = {k: v for k, v in dict(request).items() if k not in ("offset", "page_size")}
        return cls.model_construct(**fields, cursor=cursor)


class FirstLogsPageRequest(_LogFilters, APIRequest[_FirstLogsPage]):
    """`iter_logs`' first request (not for direct use): a `ListLogsRequest`'s fields sent to
    `logs/search`, and to `logs/list` on a server without it (a bare 404: nothing ran), which the
    client then remembers, as for every moved endpoint.

    One body fits both: `logs/search` takes the filters and ignores `offset` / `pageSize` (FastGPT's
    zod objects drop keys they do not know), `logs/list` pages with them.
    """

    route = Route("POST", _SEARCH_PATH, fallbacks=(("POST", "/api/core/app/logs/list"),))

    offset: int = Field(default=0, ge=0)
    page_size: int = Field(default=20, ge=1)

    @classmethod
    def of(cls, request: ListLogsRequest) -> FirstLogsPageRequest:
        return cls.model_construct(**dict(request))


# ---- log users --------------------------------------------------------------------------------


class LogUser(FastGPTModel):
    """One user of the app's chats in the date range, and how many chats they had.

    An end user (`out_link_uid`: share links, or the `custom_uid` given to `chat`) is named by that id;
    a team member (`tmb_id`, as with API-key chats) by their member name, else by the id.
    """

    out_link_uid: str | None = None
    tmb_id: str | None = None
    name: str = ""
    avatar: str | None = None
    count: int = 0


class ListLogUsersResponse(Page[LogUser]):
    """A page of users, most chats first, and `total` (FastGPT >= 4.17.1, which pages and searches them
    on the server); an older server sends at most 50 users and no total (`reported_total` is None).
    Source: `GetLogUsersResponseSchema` (`LogUserSchema`) in `packages/global/openapi/core/app/log/
    api.ts` at f88b51b5c1e4987a2b917358339db1aa02bbc292 (last changed 58254a47); paging from 4.17.1
    (`document/content/self-host/upgrading/4-17/4171.mdx` 优化 2; 4.18 reference page
    `openapi/reference/app-log/get-users`: "sorted by chat volume with search and pagination")."""


class ListLogUsersRequest(APIRequest[ListLogUsersResponse]):
    """`POST /api/core/app/logs/getUsers` (FastGPT >= 4.14.7): who chatted with the app between two dates,
    with their chat counts, most active first.

    Chats updated within [`date_start`, `date_end`] are grouped by user; `sources` keeps some chat
    sources only, `search_key` filters users by name (case-insensitive substring). From FastGPT
    4.17.1 the server searches and pages them (`offset`, `page_size`; the answer has `total`); before, at
    most 50, no total. The key owner needs
    the app's chat-log permission. Source: `GetLogUsersBodySchema` in
    `packages/global/openapi/core/app/log/api.ts` and `projects/app/src/pages/api/core/app/logs/getUsers.ts`,
    both at f88b51b5.
    """

    route = Route("POST", "/api/core/app/logs/getUsers", call="list_log_users", walk="iter_log_users")

    app_id: AppId | None = None
    date_start: AwareDatetime | str
    date_end: AwareDatetime | str
    search_key: str | None = None
    sources: builtins.list[str] | None = None
    # FastGPT >= 4.17.1 pages the users (FastGPT's pagination fields: `offset`, `pageSize`); left out,
    # the server's first page of its default size. An older server ignores both.
    offset: int | None = Field(default=None, ge=0)
    page_size: int | None = Field(default=None, ge=1)

    builder: ClassVar[Builds[ListLogUsersRequestBuilder]] = Builds()

    def walk_plan(self) -> PagePlan[ListLogUsersRequest, ListLogUsersResponse, LogUser]:
        """Every user from `request.offset` on, `request.page_size` (default 20) per request.

        A server before 4.17.1 does not page the users: its one answer (at most 50, without a total)
        is the whole walk.
        """
        return _UsersWalk(self)


def _user_key(user: LogUser) -> Hashable:
    return (user.out_link_uid, user.tmb_id, user.name)


# iter_log_users' page size when the request gives none.
_USERS_PAGE = 20


class _UsersWalk:
    """The walk over `getUsers` pages, without I/O: offset pages while the server reports a `total`."""

    def __init__(self, request: ListLogUsersRequest) -> None:
        self._request = request
        self._size = request.page_size or _USERS_PAGE
        self._pager: OffsetPager[LogUser] = OffsetPager(
            offset=request.offset or 0, page_size=self._size, key=_user_key
        )
        self._done = False

    def next_request(self) -> ListLogUsersRequest | None:
        offset = None if self._done else self._pager.next_offset
        if offset is None:
            return None
        return self._request.model_copy(update={"offset": offset, "page_size": self._size})

    def accept(self, page: ListLogUsersResponse) -> builtins.list[LogUser]:
        fresh = self._pager.accept(page.list, page.reported_total)
        # A server before 4.17.1 sends no total: it does not page, so this was everything.
        self._done = page.reported_total is None
        return fresh


if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any name imported from here
    __getattr__ = builders_on_demand(__name__, __all__)
