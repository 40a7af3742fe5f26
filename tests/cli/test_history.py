"""`history export`, run as a user runs it: a subprocess against the served emulator, output parsed."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.api.chat_history.model import ListHistoriesRequest, ListRecordsRequest
from fastgpt_oapi.testing import FakeFastGPT

from ._support import cli_env, run_with_terminal_stderr
from .conftest import Cli

# The emulator's clock, moved by the tests (so `--since` has a line to draw).
START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc).timestamp()


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeFastGPT:
    return FakeFastGPT(clock=clock)


def chat(fake: FakeFastGPT, chat_id: str, *messages: str) -> None:
    with fake.client() as client:
        for message in messages:
            client.chat.chat(ChatCompletionRequest(chat_id=chat_id, messages=[ChatMessage.user(message)]))


@pytest.fixture
def chats(fake: FakeFastGPT, clock: Clock) -> list[str]:
    """25 chats (more than a page of 20) the first hour, then one more a day later."""
    ids = []
    for n in range(25):
        clock.now += 60
        chat(fake, f"c{n:02d}", f"question {n}", 'line one\nline two, with a comma and a "quote"')
        ids.append(f"c{n:02d}")
    clock.now += 86400
    chat(fake, "late", "asked a day later", "and again")
    return [*ids, "late"]


def sdk_view(fake: FakeFastGPT) -> dict[str, list[dict[str, object]]]:
    """What the SDK reads: every chat's records, oldest first, as the export writes them."""
    with fake.client() as client:
        found = {}
        for item in client.chat_history.iter_histories(ListHistoriesRequest(page_size=7)):
            records = list(client.chat_history.iter_records(ListRecordsRequest(chat_id=item.chat_id)))
            found[item.chat_id] = [r.model_dump(mode="json") for r in reversed(records)]
        return found


def test_jsonl_is_one_line_per_chat_with_its_records_oldest_first(
    connected: Cli, fake: FakeFastGPT, chats: list[str]
) -> None:
    run = connected("history", "export")
    assert run.code == 0, run.stderr
    lines = run.lines()
    assert sorted(line["chat_id"] for line in lines) == sorted(chats)
    expected = sdk_view(fake)
    for line in lines:
        assert line["records"] == expected[line["chat_id"]]
        assert [r["obj"] for r in line["records"]] == ["Human", "AI", "Human", "AI"]
        assert line["app_id"] == fake.app_id
        assert "update_time" in line
        assert "chatId" not in line
    assert "26 chats, 104 records" in run.stderr  # the summary line (stderr is not a terminal)
    assert "\x1b[" not in run.stderr


def test_csv_is_one_row_per_record_quoted_properly(
    connected: Cli, fake: FakeFastGPT, chats: list[str]
) -> None:
    run = connected("history", "export", "--format", "csv")
    assert run.code == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout, newline="")))
    assert len(rows) == 26 * 4
    assert list(rows[0]) == [
        "chat_id", "chat_title", "chat_update_time", "data_id", "obj", "time", "text", "reasoning",
        "user_good_feedback", "user_bad_feedback", "error_msg", "duration_seconds",
    ]  # fmt: skip
    expected = sdk_view(fake)
    by_chat: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_chat.setdefault(row["chat_id"], []).append(row)
    assert set(by_chat) == set(chats)
    for chat_id, got in by_chat.items():
        assert [r["data_id"] for r in got] == [r["data_id"] for r in expected[chat_id]]
    multi = [r for r in rows if r["obj"] == "Human" and r["text"].startswith("line one")]
    assert multi
    assert multi[0]["text"] == 'line one\nline two, with a comma and a "quote"'


def test_since_exports_only_chats_updated_since_whole(
    connected: Cli, fake: FakeFastGPT, chats: list[str]
) -> None:
    run = connected("history", "export", "--since", "2026-12-02T00:00:00Z")
    assert run.code == 0, run.stderr
    [line] = run.lines()
    assert line["chat_id"] == "late"
    assert len(line["records"]) == 4  # the whole chat, not only what is new
    # FastGPT filters on the server (getHistories' startUpdateTime); the command asks it to.
    sent = [r.body for r in fake.requests if r.path == "/api/core/chat/history/getHistories"]
    assert {body["startUpdateTime"] for body in sent} == {"2026-12-02T00:00:00Z"}
    # A bare date is local time; in UTC, the day before takes everything.
    assert len(connected("history", "export", "--since", "2026-11-29").lines()) == 26
    bad = connected("history", "export", "--since", "yesterday")
    assert bad.code == 2
    assert "--since" in bad.error()["message"]


def test_app_id_is_the_global_option_also_after_the_command(
    cli: Cli, fake: FakeFastGPT, served: str, chats: list[str]
) -> None:
    env = {"FASTGPT_BASE_URL": served, "FASTGPT_API_KEY": fake.api_key}
    missing = cli("history", "export", env=env)
    assert missing.code == 2
    assert "--app-id" in missing.error()["message"]
    run = cli("history", "export", "--app-id", fake.app_id, "--since", "2026-12-02T00:00Z", env=env)
    assert run.code == 0, run.stderr
    assert [line["chat_id"] for line in run.lines()] == ["late"]


def test_out_writes_the_file_atomically(connected: Cli, tmp_path: Path, chats: list[str]) -> None:
    target = tmp_path / "histories.jsonl"
    run = connected("history", "export", "--out", str(target))
    assert run.code == 0, run.stderr
    assert run.stdout == ""
    assert f"written to {target}" in run.stderr
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 26
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    target = tmp_path / "export.csv"
    target.write_text("the previous export\n", encoding="utf-8")
    return target


def test_a_failure_midway_leaves_no_half_file(
    connected: Cli, fake: FakeFastGPT, tmp_path: Path, previous: Path, chats: list[str]
) -> None:
    # The 12th chat's records fail (a POST: the SDK does not send it again): 11 chats were written to the temporary file.
    fake.fail_next(500, path="/api/core/chat/record/getPaginationRecords", after=11)
    fresh = tmp_path / "fresh.jsonl"
    run = connected("history", "export", "--out", str(fresh))
    assert run.code == 8, run.stderr
    assert run.error()["status"] == 500
    assert not fresh.exists()
    assert f"{fresh} not written" in run.stderr
    fake.fail_next(500, path="/api/core/chat/record/getPaginationRecords", after=11)
    again = connected("history", "export", "--format", "csv", "--out", str(previous))
    assert again.code == 8
    assert previous.read_text(encoding="utf-8") == "the previous export\n"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir() if not p.is_dir()) == ["export.csv"]
    # Every scripted failure was used: each run failed midway, after 11 chats.
    assert fake.count("/api/core/chat/record/getPaginationRecords") == 2 * (11 + 1)


def test_progress_goes_to_a_terminals_stderr_and_data_stays_clean(
    fake: FakeFastGPT, served: str, tmp_path: Path, chats: list[str]
) -> None:
    # stderr on a pseudo-terminal (a person watching), stdout piped (to a file or jq).
    env = cli_env(
        tmp_path,
        {"FASTGPT_BASE_URL": served, "FASTGPT_API_KEY": fake.api_key, "FASTGPT_APP_ID": fake.app_id},
    )
    done, seen = run_with_terminal_stderr(["history", "export"], env)
    assert done.code == 0
    assert len(done.stdout.splitlines()) == 26  # no progress in the data
    assert b"history export: 26 chats, 104 records" in seen
    assert b"\x1b[?25l" in seen  # rich's live display (the cursor hidden while it counts)


def test_a_reader_that_stops_early_ends_the_export_quietly(
    fake: FakeFastGPT, served: str, tmp_path: Path, chats: list[str]
) -> None:
    # `history export | head -1`: the pipe closes after the first line; no traceback, 128 + SIGPIPE.
    env = cli_env(
        tmp_path,
        {"FASTGPT_BASE_URL": served, "FASTGPT_API_KEY": fake.api_key, "FASTGPT_APP_ID": fake.app_id},
    )
    with subprocess.Popen(
        [sys.executable, "-m", "fastgpt_oapi", "history", "export"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        first = json.loads(process.stdout.readline())
        process.stdout.close()
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=60) == 141, stderr
    assert first["chat_id"] in chats
    assert stderr == ""
