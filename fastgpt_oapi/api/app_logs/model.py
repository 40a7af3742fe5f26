"""App logs and analytics: the requests and responses of `client.app_logs`.

`get_chart_data` and `get_total_data` are served by FastGPT's commercial (Pro) plugin under
`/api/proApi/...`; an open-source server answers them with 404. `list_logs` is open source (>= 4.14.4).
"""

from __future__ import annotations

import builtins
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AliasChoices, AwareDatetime, Field

from fastgpt_oapi.core.lazy import builders_on_demand
from fastgpt_oapi.core.model import APIRequest, AppId, FastGPTModel, Route
from fastgpt_oapi.core.paging import Page

from ..shared.constants import ChatSource

if TYPE_CHECKING:
    from ._builders import (
        GetChartDataRequestBuilder,
        GetTotalDataRequestBuilder,
        ListLogsRequestBuilder,
        ListLogUsersRequestBuilder,
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


# ---- requests ---------------------------------------------------------------------------------


class GetChartDataRequest(APIRequest[ChartDataResponse]):
    """`POST /api/proApi/core/app/logs/getChartData` (FastGPT Pro): usage charts between two dates.

    `offset` is not paging: it is the user-retention window, in `user_timespan` units (server default 1).
    """

    route = Route("POST", "/api/proApi/core/app/logs/getChartData")

    app_id: AppId | None = None
    date_start: AwareDatetime | str
    date_end: AwareDatetime | str
    source: builtins.list[ChatSource] | None = None
    offset: int | None = Field(default=None, ge=0)
    user_timespan: Timespan = "day"
    chat_timespan: Timespan = "day"
    app_timespan: Timespan = "day"

    @classmethod
    def builder(cls) -> GetChartDataRequestBuilder:
        from ._builders import GetChartDataRequestBuilder

        return GetChartDataRequestBuilder()


class GetTotalDataRequest(APIRequest[TotalDataResponse]):
    """`GET /api/proApi/core/app/logs/getTotalData` (FastGPT Pro): users, chats and points so far."""

    route = Route("GET", "/api/proApi/core/app/logs/getTotalData", query=frozenset({"app_id"}))

    app_id: AppId | None = None

    @classmethod
    def builder(cls) -> GetTotalDataRequestBuilder:
        from ._builders import GetTotalDataRequestBuilder

        return GetTotalDataRequestBuilder()


class ListLogsRequest(APIRequest[ListLogsResponse]):
    """`POST /api/core/app/logs/list` (FastGPT >= 4.14.4): the app's chats between two dates, with filters."""

    route = Route("POST", "/api/core/app/logs/list")

    app_id: AppId | None = None
    date_start: AwareDatetime | str
    date_end: AwareDatetime | str
    offset: int = Field(default=0, ge=0)
    page_size: int = Field(default=20, ge=1)
    sources: builtins.list[ChatSource] | None = None
    tmb_ids: builtins.list[str] | None = None
    out_link_uids: builtins.list[str] | None = None
    chat_search: str | None = None
    feedback_type: FeedbackFilter | None = None
    unread_only: bool | None = None
    error_filter: ErrorFilter | None = None

    @classmethod
    def builder(cls) -> ListLogsRequestBuilder:
        from ._builders import ListLogsRequestBuilder

        return ListLogsRequestBuilder()


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


class ListLogUsersResponse(FastGPTModel):
    """At most 50 users, most chats first. Source: `GetLogUsersResponseSchema` (`LogUserSchema`) in
    `packages/global/openapi/core/app/log/api.ts` at f88b51b5c1e4987a2b917358339db1aa02bbc292
    (last changed 58254a47)."""

    list: builtins.list[LogUser] = Field(default_factory=builtins.list)


class ListLogUsersRequest(APIRequest[ListLogUsersResponse]):
    """`POST /api/core/app/logs/getUsers` (FastGPT >= 4.14.7): who chatted with the app between two dates.

    Chats updated within [`date_start`, `date_end`] are grouped by user; `sources` keeps some chat
    sources only, `search_key` filters users by name (case-insensitive substring). The key owner needs
    the app's chat-log permission. Source: `GetLogUsersBodySchema` in
    `packages/global/openapi/core/app/log/api.ts` and `projects/app/src/pages/api/core/app/logs/getUsers.ts`,
    both at f88b51b5.
    """

    route = Route("POST", "/api/core/app/logs/getUsers")

    app_id: AppId | None = None
    date_start: AwareDatetime | str
    date_end: AwareDatetime | str
    search_key: str | None = None
    sources: builtins.list[str] | None = None

    @classmethod
    def builder(cls) -> ListLogUsersRequestBuilder:
        from ._builders import ListLogUsersRequestBuilder

        return ListLogUsersRequestBuilder()


if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any name imported from here
    __getattr__ = builders_on_demand(__name__, __all__)
