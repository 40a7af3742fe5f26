"""Every app_logs endpoint, sync and async: the wire, the parsed result, paging, app id and errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from conftest import APP_ID, envelope, fixture_json, make_client
from endpoint_cases import Case, Fixture, check, table
from http_support import Wire, body_of, drain, query_of

from fastgpt_oapi import (
    AuthenticationError,
    Client,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
)
from fastgpt_oapi.api.app_logs.model import (
    AppSummary,
    ChartDataResponse,
    GetChartDataRequest,
    GetTotalDataRequest,
    ListLogsRequest,
    ListLogsResponse,
    ListLogUsersRequest,
    SearchLogsRequest,
)

UTC = timezone.utc
START = datetime(2025, 9, 1, tzinfo=UTC)
END = datetime(2025, 9, 30, 23, 59, 59, tzinfo=UTC)
OTHER_APP = "0123456789abcdef01234567"


def serve(fixture: str) -> Wire:
    payload = fixture_json(fixture)
    return Wire(lambda request: httpx.Response(200, json=payload))


def chart(charts: ChartDataResponse) -> None:
    (users,) = charts.user_data
    assert users.timestamp == 1758585600000
    assert users.time == datetime(2025, 9, 23, tzinfo=UTC)
    assert users.summary.user_count == 3
    assert users.summary.new_user_count == 1
    assert users.summary.retention_user_count == 2
    assert users.summary.points == 1.11326
    assert users.summary.source_count_map == {
        "test": 0,
        "online": 1,
        "share": 0,
        "api": 2,
        "cronJob": 0,
        "feishu": 0,
        "official_account": 0,
        "wecom": 0,
        "wechat": 0,
        "mcp": 0,
    }
    (chats,) = charts.chat_data
    assert chats.timestamp == 1758585600000
    assert chats.summary.chat_item_count == 14
    assert chats.summary.chat_count == 5
    assert chats.summary.error_count == 1
    assert chats.summary.points == 1.11326
    (app,) = charts.app_data
    assert app.timestamp == 1758585600000
    assert app.summary.good_feed_back_count == 2
    assert app.summary.bad_feed_back_count == 0
    assert app.summary.chat_count == 5
    assert app.summary.total_response_time == 22.31
    assert app.summary.average_response_time == pytest.approx(4.462)


def logs(page: ListLogsResponse) -> None:
    assert page.total == 1
    (log,) = page.list
    assert log.id == "6891f0c2a1b2c3d4e5f60718"
    assert log.chat_id == "kzYq3Xw1N2b8pQm4RtUv5aBc"
    assert log.title == "导演是谁"
    assert log.custom_title is None
    assert log.display_title == "导演是谁"
    assert log.source == "api"
    assert log.source_name == "my-api-key"
    assert log.update_time == datetime(2026, 7, 30, 3, 29, 5, 779000, tzinfo=UTC)
    assert log.create_time == datetime(2026, 7, 30, 3, 29, 1, 101000, tzinfo=UTC)
    assert log.message_count == 2
    assert log.user_good_feedback_count == 1
    assert log.user_bad_feedback_count == 0
    assert log.custom_feedbacks_count == 0
    assert log.mark_count == 0
    assert log.average_response_time == 2.42
    assert log.error_count == 0
    assert log.total_points == 0.0063
    assert log.out_link_uid == "user-42"
    assert log.tmb_id == "68ad85a7463006c963799a07"
    assert log.version_name == "v3"
    assert log.origin_ip == "203.0.113.7"
    assert log.region == "中国"
    assert log.model_extra == {}


CHART_BODY = {
    "appId": APP_ID,
    "dateStart": "2025-09-01T00:00:00Z",
    "dateEnd": "2025-09-30T23:59:59.999Z",
    "source": ["api", "online"],
    "offset": 1,
    "userTimespan": "week",
    "chatTimespan": "day",
    "appTimespan": "month",
}
LOGS_BODY = {
    "appId": OTHER_APP,
    "dateStart": "2025-09-01T00:00:00Z",
    "dateEnd": "2025-09-30T23:59:59Z",
    "offset": 40,
    "pageSize": 20,
    "sources": ["api"],
    "tmbIds": ["68ad85a7463006c963799a07"],
    "outLinkUids": ["user-42"],
    "chatSearch": "导演",
    "feedbackType": "good",
    "unreadOnly": False,
    "errorFilter": "has_error",
}
CASES = [
    Case(
        "app_logs.get_chart_data",
        GetChartDataRequest.builder()
        .date_start(START)
        .date_end("2025-09-30T23:59:59.999Z")
        .source(["api", "online"])
        .offset(1)
        .user_timespan("week")
        .chat_timespan("day")
        .app_timespan("month")
        .build(),
        "POST /api/proApi/core/app/logs/getChartData",
        body=CHART_BODY,
        answer=Fixture("chart_data.json"),
        expect=chart,
    ),
    Case(
        "app_logs.get_total_data",
        GetTotalDataRequest(),
        "GET /api/proApi/core/app/logs/getTotalData",
        query={"appId": APP_ID},
        answer=Fixture("total_data.json"),
        expect={"total_users": 120, "total_chats": 860, "total_points": 315.72},
    ),
    Case(
        "app_logs.list_logs",
        ListLogsRequest(
            app_id=OTHER_APP,
            date_start=START,
            date_end=END,
            offset=40,
            page_size=20,
            sources=["api"],
            tmb_ids=["68ad85a7463006c963799a07"],
            out_link_uids=["user-42"],
            chat_search="导演",
            feedback_type="good",
            unread_only=False,
            error_filter="has_error",
        ),
        "POST /api/core/app/logs/list",
        body=LOGS_BODY,
        answer=Fixture("app_logs_list.json"),
        expect=logs,
    ),
]


@table(CASES)
async def test_wire(case: Case, way: str) -> None:
    await check(case, way)


def test_chart_defaults_and_empty_buckets() -> None:
    request = GetChartDataRequest(date_start=START, date_end=END)
    query, body = request.to_wire()
    assert query == {}
    assert body is not None
    assert json.loads(request.encode_body(body)) == {
        "dateStart": "2025-09-01T00:00:00Z",
        "dateEnd": "2025-09-30T23:59:59Z",
        "userTimespan": "day",
        "chatTimespan": "day",
        "appTimespan": "day",
    }
    assert AppSummary().average_response_time is None


@pytest.mark.parametrize("model", [GetChartDataRequest, ListLogsRequest])
def test_dates_must_be_unambiguous(model: type[Any]) -> None:
    with pytest.raises(ValueError, match="date_start"):
        model(date_start=datetime(2025, 9, 1), date_end=END)  # naive: whose midnight?
    with pytest.raises(RequestValidationError, match="date"):
        model.builder().date_start(START).build()  # date_end is required


def log_item(n: int) -> dict[str, Any]:
    return {"_id": f"log{n}", "chatId": f"chat{n}", "source": "api", "updateTime": "2026-07-30T03:29:05.779Z"}


def paged(page: Callable[[int, int], dict[str, Any]]) -> Wire:
    """A server with `logs/list` only (before FastGPT 4.18.0): `logs/search` is a bare 404."""

    def reply(request: httpx.Request) -> httpx.Response:
        if request.url.path == SEARCH:
            return httpx.Response(404, text="Cannot POST /api/core/app/logs/search")
        body = json.loads(request.content)
        return httpx.Response(200, json=envelope(page(body["offset"], body["pageSize"])))

    return Wire(reply)


SEARCH = "/api/core/app/logs/search"
LIST = "/api/core/app/logs/list"


def offsets(wire: Wire) -> list[int]:
    return [json.loads(r.content)["offset"] for r in wire.requests if r.url.path == LIST]


async def walk_logs(mode: str, wire: Wire, request: ListLogsRequest) -> list[str | None]:
    service = make_client(wire).app_logs
    items = await drain(mode, lambda: service.iter_logs(request), lambda: service.aiter_logs(request))
    return [item.id for item in items]


async def test_iter_logs_walks_every_page(io_mode: str) -> None:
    logs = [log_item(n) for n in range(5)]
    wire = paged(lambda offset, size: {"total": len(logs), "list": logs[offset : offset + size]})
    request = ListLogsRequest(date_start=START, date_end=END, page_size=2, feedback_type="bad")

    got = await walk_logs(io_mode, wire, request)

    assert got == [f"log{n}" for n in range(5)]
    assert offsets(wire) == [0, 2, 4]
    assert wire.paths == [SEARCH, LIST, LIST, LIST]  # no search here: learned from its bare 404
    for sent in wire.requests:
        body = body_of(sent)
        assert (body["appId"], body["pageSize"], body["feedbackType"]) == (APP_ID, 2, "bad")
    assert request.offset == 0


async def test_iter_logs_stops_at_total_without_an_empty_request(io_mode: str) -> None:
    logs = [log_item(n) for n in range(4)]
    wire = paged(lambda offset, size: {"total": 4, "list": logs[offset : offset + size]})

    got = await walk_logs(io_mode, wire, ListLogsRequest(date_start=START, date_end=END, page_size=2))

    assert got == ["log0", "log1", "log2", "log3"]
    assert offsets(wire) == [0, 2]


async def test_iter_logs_against_a_server_that_repeats_a_full_page(io_mode: str) -> None:
    wire = paged(lambda offset, size: {"total": 10**9, "list": [log_item(0), log_item(1)]})

    got = await walk_logs(io_mode, wire, ListLogsRequest(date_start=START, date_end=END, page_size=2))

    assert got == ["log0", "log1"]
    assert offsets(wire) == [0, 2, 4]


async def test_iter_logs_against_a_runaway_total(io_mode: str) -> None:
    wire = paged(
        lambda offset, size: {
            "total": offset + 10 * size + 3,
            "list": [log_item(offset + i) for i in range(size)],
        }
    )

    got = await walk_logs(io_mode, wire, ListLogsRequest(date_start=START, date_end=END, page_size=5))

    # The first total was 53: the walk ends on the page that reaches it, kept whole.
    assert got == [f"log{n}" for n in range(55)]
    assert offsets(wire) == list(range(0, 55, 5))


# ---- app id and errors --------------------------------------------------------------------------

REQUESTS: dict[str, Callable[[], Any]] = {
    "get_chart_data": lambda: GetChartDataRequest(date_start=START, date_end=END),
    "get_total_data": lambda: GetTotalDataRequest(),
    "list_logs": lambda: ListLogsRequest(date_start=START, date_end=END),
    "iter_logs": lambda: ListLogsRequest(date_start=START, date_end=END),
    "list_log_users": lambda: ListLogUsersRequest(date_start=START, date_end=END),
    "iter_log_users": lambda: ListLogUsersRequest(date_start=START, date_end=END),
    "search_logs": lambda: SearchLogsRequest(date_start=START, date_end=END),
}


async def call(client: Client, mode: str, method: str, request: Any) -> Any:
    service = client.app_logs
    if method.startswith("iter_"):
        if mode == "sync":
            return list(getattr(service, method)(request))
        return [item async for item in getattr(service, "a" + method)(request)]
    if mode == "sync":
        return getattr(service, method)(request)
    return await getattr(service, "a" + method)(request)


def refuse_everything(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing should have been sent, got {request.method} {request.url}")


@pytest.mark.parametrize("method", list(REQUESTS))
async def test_no_app_id_anywhere_sends_none(io_mode: str, method: str) -> None:
    # FastGPT 4.18 app keys are bound to one app: a request without an app id is sent as it is.
    wire = Wire(lambda request: httpx.Response(200, json={"code": 200, "message": "", "data": {}}))

    await call(make_client(wire, app_id=None), io_mode, method, REQUESTS[method]())

    assert wire.requests
    for sent in wire.requests:
        assert "appId" not in sent.url.params
        assert b'"appId"' not in sent.content


@pytest.mark.parametrize("method", ["get_chart_data", "get_total_data", "list_logs", "list_log_users"])
def test_malformed_app_id_is_refused(method: str) -> None:
    fields = REQUESTS[method]().model_dump(exclude_unset=True, by_alias=False)
    model = type(REQUESTS[method]())
    builder = model.builder().app_id("xyz")
    for name, value in fields.items():
        builder = getattr(builder, name)(value)
    with pytest.raises(RequestValidationError, match="app_id") as caught:
        builder.build()
    assert caught.value.field == "app_id"
    with pytest.raises(ValueError, match="app_id"):
        model(**fields, app_id="66E29B870B24CE35330C0F0G")  # not hex


@pytest.mark.parametrize("method", list(REQUESTS))
async def test_the_request_app_id_is_sent(io_mode: str, method: str) -> None:
    wire = Wire(lambda request: httpx.Response(200, json=envelope({})))
    request = REQUESTS[method]()
    request.app_id = OTHER_APP

    await call(make_client(wire), io_mode, method, request)

    (sent,) = wire.requests
    sent_app = body_of(sent)["appId"] if sent.method == "POST" else query_of(sent)["appId"]
    assert sent_app == OTHER_APP


UN_AUTH_APP = {
    "code": 502001,
    "statusText": "unAuthApp",
    "message": "common:code_error.app_error.un_auth_app",
}

ERROR_CASES = [
    pytest.param(
        200, fixture_json("error_envelope_rate_limit.json"), RateLimitError, 429, id="rate-limit-at-200"
    ),
    pytest.param(
        500, fixture_json("error_envelope_plain_v4_11.json"), AuthenticationError, 500, id="key-at-500"
    ),
    pytest.param(200, {**UN_AUTH_APP, "data": None}, PermissionDeniedError, 502001, id="unAuthApp-at-200"),
    pytest.param(500, {**UN_AUTH_APP, "data": None}, PermissionDeniedError, 502001, id="unAuthApp-at-500"),
]


@pytest.mark.parametrize("method", list(REQUESTS))
@pytest.mark.parametrize(("status", "body", "error", "code"), ERROR_CASES)
async def test_error_envelopes_raise_typed_errors(
    io_mode: str, method: str, status: int, body: dict[str, Any], error: type[Exception], code: int
) -> None:
    wire = Wire(lambda request: httpx.Response(status, json=body))

    with pytest.raises(error) as caught:
        await call(make_client(wire, max_retries=0), io_mode, method, REQUESTS[method]())

    assert getattr(caught.value, "http_status", None) == status
    assert getattr(caught.value, "code", None) == code
    assert getattr(caught.value, "message", None) == body["message"]
    assert len(wire.requests) == 1


@pytest.mark.parametrize("method", ["get_chart_data", "get_total_data"])
async def test_an_open_source_server_has_no_pro_endpoints(io_mode: str, method: str) -> None:
    wire = Wire(lambda request: httpx.Response(404, text="<!DOCTYPE html><html>404</html>"))

    with pytest.raises(NotFoundError):
        await call(make_client(wire, max_retries=0), io_mode, method, REQUESTS[method]())
