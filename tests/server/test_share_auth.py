"""`share_auth_app` and `check_share_auth`: hand-written hooks fail with FastGPT's messages, the kit with
sync or async hooks passes, a uid FastGPT would refuse is caught on the owner's side, and `finish` reports
are typed node responses to bill from."""

from __future__ import annotations

import logging
import threading
from typing import Any

import httpx
import pytest
from http_support import run

from fastgpt_oapi.api.shared.model import NodeResponse
from fastgpt_oapi.server import ASGIApp, CheckReport, acheck_share_auth, check_share_auth
from fastgpt_oapi.server.share_auth import FinishReport, ShareAuthRefused, check_uid, share_auth_app

from .support import check_app, hand_written_hook, served


async def check(mode: str, url: str, token: str = "alice-token", **options: object) -> CheckReport:
    return await run(
        mode,
        lambda: check_share_auth(url, token=token, **options),  # type: ignore[arg-type]
        lambda: acheck_share_auth(url, token=token, **options),  # type: ignore[arg-type]
    )


def in_process(app: ASGIApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app))


async def check_hook(way: str, app: object, token: str = "alice-token", **options: Any) -> CheckReport:
    report, _ = await check_app(way, app, check_share_auth, acheck_share_auth, token=token, **options)
    return report


async def test_a_correct_hand_written_hook_passes(way: str) -> None:
    app = hand_written_hook()
    report = await check_hook(way, app)
    assert report.ok, str(report)
    assert report.requests == 3
    (finished,) = app.state.finished
    assert finished == {
        "token": "alice-token",
        "appName": "fastgpt-oapi check",
        "responseData": [],
        "chatId": "fastgpt-oapi-check",
    }


@pytest.mark.parametrize(
    ("fault", "message", "detail"),
    [
        ("slash_uid", "Invalid UID", "contains '/'"),
        ("long_uid", "Invalid UID", "256 bytes"),
        ("no_uid", "Invalid UID", "not NoneType"),
        ("success_string", "unAuthUser", '`success` must be exactly true, got "true"'),
        ("refuse", "unknown user", "the hook refused"),
        ("start_500", "身份校验失败", "HTTP 500"),
        ("finish_404", "finish failed", "report (points, tokens) is lost"),
    ],
)
async def test_each_fault_fails_with_fastgpts_message(
    way: str, fault: str, message: str, detail: str
) -> None:
    report = await check_hook(way, hand_written_hook(fault=fault))
    assert not report.ok
    (problem,) = report.problems
    assert (problem.message, problem.fastgpt_refuses) == (message, fault != "finish_404")
    assert detail in problem.detail
    assert problem.request.method == "POST"
    assert "/shareAuth/" in problem.request.url
    assert problem.request.json is not None
    assert problem.request.json["token"] == "***"
    assert "alice-token" not in str(report)


@pytest.mark.system  # waits for a timeout on loopback
async def test_a_slow_hook_times_out(io_mode: str) -> None:
    with served(hand_written_hook(delay=1.0)) as url:
        report = await check(io_mode, url, timeout=0.25)
    assert report.problems[0].message == "timeout of 250ms exceeded"


def test_the_uid_rule() -> None:
    assert check_uid("alice") is None
    assert check_uid("é" * 127) is None  # 254 bytes
    assert check_uid("a" * 255) is None
    assert "256 bytes" in (check_uid("a" * 256) or "")
    assert "256 bytes" in (check_uid("é" * 128) or "")  # bytes, not characters
    for bad in ("a|b", "a/b", "a\\b", "", None, 42):
        assert check_uid(bad) is not None


# ---- the kit -----------------------------------------------------------------------------------------------


class SyncHooks:
    def __init__(self) -> None:
        self.reports: list[FinishReport] = []
        self.threads: set[str] = set()

    def init(self, token: str) -> str:
        self.threads.add(threading.current_thread().name)
        if token == "blocked":
            raise ShareAuthRefused("This account is blocked")
        return f"u-{token}"

    def start(self, token: str, question: str) -> str | None:
        if "forbidden" in question:
            raise ShareAuthRefused("Question refused by policy")
        return None

    def finish(self, report: FinishReport) -> None:
        self.reports.append(report)


class AsyncHooks:
    def __init__(self, uid: str = "u1") -> None:
        self.uid = uid
        self.reports: list[FinishReport] = []

    async def init(self, token: str) -> str:
        return self.uid

    async def start(self, token: str, question: str) -> str | None:
        return self.uid

    async def finish(self, report: FinishReport) -> None:
        self.reports.append(report)


async def test_sync_hooks_pass_off_the_event_loop(way: str) -> None:
    hooks = SyncHooks()
    report = await check_hook(way, share_auth_app(hooks), token="alice")
    assert report.ok, str(report)
    assert hooks.threads
    assert "MainThread" not in hooks.threads
    (finished,) = hooks.reports
    assert (finished.token, finished.app_name, finished.chat_id) == (
        "alice",
        "fastgpt-oapi check",
        "fastgpt-oapi-check",
    )


async def test_async_hooks_pass(way: str) -> None:
    report = await check_hook(way, share_auth_app(AsyncHooks()), token="bob")
    assert report.ok, str(report)


async def test_a_refusal_reaches_fastgpt_as_its_message() -> None:
    async with in_process(share_auth_app(SyncHooks())) as client:
        init = await client.post("http://hook/shareAuth/init", json={"token": "blocked"})
        start = await client.post(
            "http://hook/shareAuth/start", json={"token": "x", "question": "forbidden?"}
        )
        ok = await client.post("http://hook/shareAuth/start", json={"token": "x", "question": "hi"})
        report = await acheck_share_auth("http://hook", token="blocked", http_client=client)
    assert init.status_code == 200
    assert init.json() == {"success": False, "message": "This account is blocked", "data": None}
    assert start.json()["message"] == "Question refused by policy"
    assert ok.json() == {"success": True, "message": "", "data": {"uid": "x"}}  # None: the token is the uid
    assert [p.message for p in report.problems] == ["This account is blocked"]


@pytest.mark.parametrize("uid", ["team/alice", "a|b", "back\\slash", "é" * 128, ""])
async def test_a_uid_fastgpt_would_refuse_is_caught_with_a_clear_error(
    uid: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with in_process(share_auth_app(AsyncHooks(uid))) as client:
        with caplog.at_level(logging.ERROR, logger="fastgpt_oapi.server"):
            answer = await client.post("http://hook/shareAuth/init", json={"token": "t"})
            report = await acheck_share_auth("http://hook", token="t", http_client=client)
    body = answer.json()
    assert body["success"] is False
    assert body["message"].startswith("Invalid UID from the share-auth hook: ")
    assert body["message"] != "Invalid UID"
    assert "returned a uid FastGPT would refuse" in caplog.text
    assert report.problems[0].message == body["message"]


async def test_finish_reports_are_typed_node_responses_to_bill_from() -> None:
    hooks = SyncHooks()
    body = {
        "token": "alice",
        "appName": "Support bot",
        "chatId": "c1",
        "responseData": [
            {"nodeId": "n1", "moduleType": "chatNode", "moduleName": "AI Chat", "totalPoints": 1.5,
             "inputTokens": 100, "outputTokens": 20, "model": "gpt-4o-mini", "runningTime": 1.2},
            {"nodeId": "n2", "moduleType": "datasetSearchNode", "totalPoints": 0.25, "tokens": 30},
        ],
    }  # fmt: skip
    async with in_process(share_auth_app(hooks)) as client:
        answer = await client.post("http://hook/shareAuth/finish", json=body)
        older = await client.post("http://hook/shareAuth/finish", json={"token": "bob", "responseData": []})
    assert answer.json()["success"] is True
    assert older.json()["success"] is True
    report, old = hooks.reports
    assert all(isinstance(node, NodeResponse) for node in report.response_data)
    assert report.response_data[0].model == "gpt-4o-mini"
    assert (report.app_name, report.chat_id) == ("Support bot", "c1")
    assert report.total_points == 1.75
    assert report.total_tokens == 150
    assert (old.token, old.app_name, old.chat_id, old.total_points) == ("bob", None, None, 0)


async def test_a_failing_hook_leaks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(SyncHooks):
        def init(self, token: str) -> str:
            raise ConnectionError("mongodb://admin:pw@db")

    async with in_process(share_auth_app(Broken())) as client:
        with caplog.at_level(logging.ERROR, logger="fastgpt_oapi.server"):
            answer = await client.post("http://hook/shareAuth/init", json={"token": "t"})
        bad = await client.post("http://hook/shareAuth/init", json={"nope": 1})
        wrong = await client.get("http://hook/shareAuth/init")
    assert answer.json() == {"success": False, "message": "Internal server error", "data": None}
    assert "admin:pw" not in answer.text
    assert "failed in the hook" in caplog.text
    assert bad.json()["success"] is False
    assert wrong.status_code == 405
