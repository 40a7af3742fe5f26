"""list_log_users, sync and async: `POST /api/core/app/logs/getUsers`, what it sends and what it parses.

The app id and error matrix of every app_logs method, this one included, is in test_app_logs_endpoints.py.
"""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest
from conftest import APP_ID, envelope, fixture_json, make_client
from http_support import Wire, body_of, query_of, run

from fastgpt_oapi.api.app_logs.model import ListLogUsersRequest, LogUser

UTC = timezone.utc
START = datetime(2025, 9, 1, tzinfo=UTC)


async def test_list_log_users(io_mode: str) -> None:
    payload = fixture_json("log_users.json")
    wire = Wire(lambda request: httpx.Response(200, json=payload))
    service = make_client(wire).app_logs
    request = ListLogUsersRequest(
        date_start=START, date_end="2025-09-30T23:59:59.999Z", search_key="user", sources=["api", "share"]
    )

    users = await run(
        io_mode, lambda: service.list_log_users(request), lambda: service.alist_log_users(request)
    )

    sent = wire.last
    assert (sent.method, sent.url.path, query_of(sent)) == ("POST", "/api/core/app/logs/getUsers", {})
    assert body_of(sent) == {
        "appId": APP_ID,
        "dateStart": "2025-09-01T00:00:00Z",
        "dateEnd": "2025-09-30T23:59:59.999Z",
        "searchKey": "user",
        "sources": ["api", "share"],
    }
    end_user, member, shared = users.list
    assert isinstance(end_user, LogUser)
    assert end_user.out_link_uid == "user-4711"
    assert end_user.tmb_id == "66e29b870b24ce35330c0e01"
    assert end_user.name == "user-4711"
    assert end_user.avatar == "/imgs/avatar/BlueAvatar.svg"
    assert end_user.count == 12
    assert member.out_link_uid is None
    assert member.tmb_id == "66e29b870b24ce35330c0e01"
    assert member.name == "root"
    assert member.avatar == "https://example.com/avatar/root.png"
    assert member.count == 5
    assert (shared.out_link_uid, shared.tmb_id, shared.name, shared.count) == (
        "shareUid9",
        None,
        "shareUid9",
        1,
    )


async def test_list_log_users_sends_only_what_was_set(io_mode: str) -> None:
    wire = Wire(lambda request: httpx.Response(200, json=envelope({"list": []})))
    service = make_client(wire).app_logs
    request = ListLogUsersRequest.builder().date_start(START).date_end(START).build()

    users = await run(
        io_mode, lambda: service.list_log_users(request), lambda: service.alist_log_users(request)
    )

    assert body_of(wire.last) == {
        "appId": APP_ID,
        "dateStart": "2025-09-01T00:00:00Z",
        "dateEnd": "2025-09-01T00:00:00Z",
    }
    assert users.list == []


def test_list_log_users_needs_both_dates() -> None:
    with pytest.raises(ValueError, match="date_end"):
        ListLogUsersRequest(date_start=START)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="date_start"):
        ListLogUsersRequest(date_start=datetime(2025, 9, 1), date_end=START)  # naive: whose midnight?
