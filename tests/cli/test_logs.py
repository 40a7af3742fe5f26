"""`logs export` as a user runs it: cursor-paged `logs/search`, or `logs/list` on an older server."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fastgpt_oapi.api.app_logs.model import AppLogItem, ListLogsRequest
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.testing import FakeFastGPT

from .conftest import Cli

START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc).timestamp()


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["latest", "4.17.0"])
def fake(request: pytest.FixtureRequest, clock: Clock) -> FakeFastGPT:
    """The latest FastGPT (logs/search, 50 a page) and one before 4.18 (logs/list only)."""
    return FakeFastGPT(clock=clock, version=None if request.param == "latest" else request.param)


@pytest.fixture
def chats(fake: FakeFastGPT, clock: Clock) -> list[str]:
    """55 chats (more than a page of 50) on 1 December, then 2 on 3 December."""
    ids = [f"c{n:02d}" for n in range(55)] + ["late1", "late2"]
    with fake.client() as client:
        for chat_id in ids:
            clock.now += 86400 * 2 if chat_id == "late1" else 30
            client.chat.chat(
                ChatCompletionRequest(chat_id=chat_id, messages=[ChatMessage.user(f"hi {chat_id}")])
            )
    return ids


def sdk_view(fake: FakeFastGPT, start: str, end: str) -> list[AppLogItem]:
    with fake.client() as client:
        return list(client.app_logs.iter_logs(ListLogsRequest(date_start=start, date_end=end)))


def test_jsonl_is_the_log_items_the_sdk_reads(connected: Cli, fake: FakeFastGPT, chats: list[str]) -> None:
    run = connected("logs", "export")
    assert run.code == 0, run.stderr
    lines = run.lines()
    if fake.version == "4.17.0":  # asked once, a bare 404, then logs/list page after page
        assert (fake.count("/api/core/app/logs/search"), fake.count("/api/core/app/logs/list")) == (1, 2)
    else:
        assert (fake.count("/api/core/app/logs/search"), fake.count("/api/core/app/logs/list")) == (2, 0)
    expected = sdk_view(fake, "1970-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
    assert lines == [item.model_dump(mode="json") for item in expected]
    assert sorted(line["chat_id"] for line in lines) == sorted(chats)
    assert "57 chats" in run.stderr


def test_a_date_range_and_csv(connected: Cli, fake: FakeFastGPT, chats: list[str]) -> None:
    run = connected("logs", "export", "--since", "2026-12-02T00:00Z", "--format", "csv")
    assert run.code == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout, newline="")))
    assert [r["chat_id"] for r in rows] == ["late2", "late1"]  # newest first, as the server lists them
    assert list(rows[0]) == list(AppLogItem.model_fields)  # the columns are the log item's fields
    assert rows[0]["message_count"] == "2"
    early = connected("logs", "export", "--since", "2026-11-30T00:00Z", "--until", "2026-12-02T00:00Z")
    assert len(early.lines()) == 55


def test_out_and_a_failure_midway(
    connected: Cli, fake: FakeFastGPT, tmp_path: Path, chats: list[str]
) -> None:
    target = tmp_path / "logs.jsonl"
    path = "/api/core/app/logs/list" if fake.version == "4.17.0" else "/api/core/app/logs/search"
    fake.fail_next(500, path=path, after=1)
    run = connected("logs", "export", "--out", str(target))
    assert run.code == 8, run.stderr
    assert not target.exists()
    assert connected("logs", "export", "--out", str(target)).code == 0
    assert len(target.read_text(encoding="utf-8").splitlines()) == 57
