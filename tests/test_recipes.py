"""The recipes of docs/recipes.md do what the page says: the code it shows is imported from examples/.

`tests/test_examples.py` runs each example as a program; these tests check each recipe's promises
one by one: the relay's status codes (in process through httpx's ASGI transport, and served by
uvicorn), the export's completeness and order, the interactive loop, and the example pytest suite.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.export_histories import aexport_histories, export_histories
from examples.interactive import answer_until_done, decide
from examples.relay import app, fastgpt
from fastgpt_oapi import Client
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage, Interactive, UserSelectInteractive
from fastgpt_oapi.api.chat_history.model import ListRecordsRequest, ListRecordsResponse
from fastgpt_oapi.testing import FakeFastGPT, RunContext, Turn, answer_chunk

REPO = Path(__file__).resolve().parents[1]
COMPLETIONS = "/api/v2/chat/completions"
RATE_LIMITED = {"code": 429, "statusText": "error", "message": "Rate limit exceeded.", "data": None}


def sse_events(body: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


# ---- relay: in process ----------------------------------------------------------------------------


@pytest.fixture
def fake() -> FakeFastGPT:
    return FakeFastGPT()


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relay") as browser:
        yield browser
    app.dependency_overrides.clear()


def relay_to(client: Client) -> None:
    app.dependency_overrides[fastgpt] = lambda: client


async def test_the_relay_streams_the_answer_and_the_ids(
    fake: FakeFastGPT, browser: httpx.AsyncClient
) -> None:
    async with fake.client() as client:
        relay_to(client)
        first = await browser.post("/chat", json={"question": "Who directed Suzume?"})
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("text/event-stream")
        events = sse_events(first.text)
        assert [name for name, _ in events[:-1]] == ["answer"] * (len(events) - 1)
        assert "Who directed Suzume?" in "".join(data["text"] for _, data in events[:-1])
        done, ids = events[-1]
        assert done == "done"

        second = await browser.post("/chat", json={"question": "And the music?", "chat_id": ids["chat_id"]})
        assert sse_events(second.text)[-1][1]["chat_id"] == ids["chat_id"]
    assert [r.body["chatId"] for r in fake.requests if r.path == COMPLETIONS] == [ids["chat_id"]] * 2


async def test_a_wrong_key_is_a_401(fake: FakeFastGPT, browser: httpx.AsyncClient) -> None:
    async with fake.client(api_key="fastgpt-wrong") as client:
        relay_to(client)
        response = await browser.post("/chat", json={"question": "hi"})
    assert response.status_code == 401
    assert response.json()["error"] == "AuthenticationError"


@pytest.mark.parametrize("http_status", [429, 200], ids=["http-429", "envelope-in-http-200"])
async def test_a_rate_limit_is_a_429_with_retry_after(
    fake: FakeFastGPT, browser: httpx.AsyncClient, http_status: int
) -> None:
    # FastGPT may send the refusal with its own status or inside an HTTP 200: the relay answers 429 both ways.
    fake.fail_next(http_status, RATE_LIMITED, headers={"retry-after": "2.5"}, path=COMPLETIONS)
    async with fake.client(max_retries=0) as client:
        relay_to(client)
        response = await browser.post("/chat", json={"question": "hi"})
    assert response.status_code == 429
    assert response.json()["error"] == "RateLimitError"
    if http_status == 429:
        assert response.headers["retry-after"] == "3"  # whole seconds, rounded up


async def test_a_failure_mid_answer_is_an_error_event(fake: FakeFastGPT, browser: httpx.AsyncClient) -> None:
    async with fake.client(app_id=fake.apps["error"]) as client:
        relay_to(client)
        response = await browser.post("/chat", json={"question": "hi"})
    assert response.status_code == 200  # sent before the failure
    events = sse_events(response.text)
    assert events[0][0] == "answer"
    assert events[-1][0] == "error"
    assert events[-1][1]["error"] == "StreamError"


async def test_an_unreachable_fastgpt_is_a_502(browser: httpx.AsyncClient) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    builder = Client.builder().base_url(f"http://127.0.0.1:{port}").api_key("fastgpt-x").max_retries(0)
    async with builder.build() as client:
        relay_to(client)
        response = await browser.post("/chat", json={"question": "hi"})
    assert response.status_code == 502
    assert response.json()["error"] == "APIConnectionError"


# ---- relay: served by uvicorn, settings from the environment ---------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def uvicorn_relay() -> Iterator[tuple[FakeFastGPT, str]]:
    """`uvicorn examples.relay:app` in its own process, reading FASTGPT_* as a deployed relay would.
    On the way out it must shut down cleanly (the lifespan closes the client), with no traceback."""
    fake = FakeFastGPT()
    with fake.serve(chunk_delay=0.1) as base_url:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("FASTGPT_")}
        env.update(FASTGPT_BASE_URL=base_url, FASTGPT_API_KEY=fake.api_key, FASTGPT_APP_ID=fake.app_id)
        command = [sys.executable, "-m", "uvicorn", "examples.relay:app", "--host", "127.0.0.1"]
        server = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                assert server.poll() is None, server.communicate()[0]
                try:
                    httpx.get(f"{url}/docs", timeout=1)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "uvicorn did not start"
                    time.sleep(0.1)
            yield fake, url
        finally:
            server.terminate()
            log = server.communicate(timeout=30)[0]
    assert "Traceback" not in log, log
    assert "Application shutdown complete" in log, log


@pytest.mark.system  # a uvicorn process and the emulator on loopback HTTP
def test_the_relay_served_by_uvicorn(uvicorn_relay: tuple[FakeFastGPT, str]) -> None:
    fake, url = uvicorn_relay

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=10) as browser:
            # Streamed as it is written: the first event arrives well before the last.
            async with browser.stream("POST", "/chat", json={"question": "Who directed Suzume?"}) as response:
                assert response.status_code == 200
                lines = response.aiter_lines()
                assert await anext(lines) == "event: answer"
                first = time.monotonic()
                rest = [line async for line in lines]
                assert time.monotonic() - first > 0.2  # the emulator sends a chunk every 0.1 s
            assert "event: done" in rest

            # A browser that hangs up mid-answer leaves the relay serving.
            async with browser.stream("POST", "/chat", json={"question": "Tell me a long story"}) as response:
                assert await anext(response.aiter_lines()) == "event: answer"

            # Rate limited on every try: the client's retries (in uvicorn's event loop) end in a 429.
            fake.fail_next(429, RATE_LIMITED, headers={"retry-after": "0"}, path=COMPLETIONS, times=3)
            refused = await browser.post("/chat", json={"question": "hi"})
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "0"

            again = await browser.post("/chat", json={"question": "still there?"})
            assert sse_events(again.text)[-1][0] == "done"

    asyncio.run(scenario())


# ---- export ---------------------------------------------------------------------------------------


def make_chats(client: Client, chats: int, turns: int) -> list[list[str]]:
    """`chats` chats of `turns` questions each; returns each chat's questions, oldest chat first."""
    asked = []
    for c in range(chats):
        chat_id = None
        questions = [f"chat {c} question {t}" for t in range(turns)]
        for question in questions:
            response = client.chat.chat(
                ChatCompletionRequest(messages=[ChatMessage.user(question)], chat_id=chat_id)
            )
            chat_id = response.chat_id
        asked.append(questions)
    return asked


def test_the_export_has_every_chat_and_record_in_reading_order(fake: FakeFastGPT) -> None:
    with fake.client() as client:
        asked = make_chats(client, chats=5, turns=4)
        out = io.StringIO()
        assert export_histories(client, out, page_size=3) == 5  # pages smaller than the data

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 5
    assert [line["title"] for line in lines] == [
        questions[0] for questions in reversed(asked)
    ]  # newest first
    for line, questions in zip(lines, reversed(asked), strict=True):
        records = line["records"]
        assert [r["obj"] for r in records] == ["Human", "AI"] * 4
        assert [r["value"][0]["text"]["content"] for r in records[::2]] == questions
        assert all(
            question in r["value"][0]["text"]["content"]
            for r, question in zip(records[1::2], questions, strict=True)
        )
        # Python names, not the wire's camelCase; nothing the server left out.
        assert "data_id" in records[0]
        assert "dataId" not in records[0]
        assert "update_time" in line
        assert "updateTime" not in line
        assert all(value is not None for record in records for value in record.values())


async def test_the_async_export_writes_the_same_lines(fake: FakeFastGPT) -> None:
    async with fake.client() as client:
        make_chats(client, chats=3, turns=2)
        sync_out, async_out = io.StringIO(), io.StringIO()
        export_histories(client, sync_out, page_size=2)
        assert await aexport_histories(client, async_out, page_size=2) == 3
    assert async_out.getvalue() == sync_out.getvalue()


# ---- interactive loop -------------------------------------------------------------------------------


def two_questions(ctx: RunContext) -> Turn:
    """Asks for a size, then for a colour, then confirms: two pauses on one chat."""

    def ask(description: str, *options: str) -> Turn:
        choices = [{"key": f"o{i}", "value": value} for i, value in enumerate(options)]
        question = {
            "type": "userSelect",
            "params": {"description": description, "userSelectOptions": choices},
        }
        return Turn(
            events=[("answer", answer_chunk(f"{description} ")), ("interactive", {"interactive": question})]
        )

    if ctx.pending is None:
        return ask("Which size?", "M", "L")
    if ctx.pending["params"]["description"] == "Which size?":
        return ask(f"Size {ctx.question}. Which colour?", "red", "blue")
    return Turn(events=[("answer", answer_chunk(f"Ordered in {ctx.question}."))])


def test_the_loop_answers_every_question(fake: FakeFastGPT, capsys: pytest.CaptureFixture[str]) -> None:
    fake.register_app("0123456789abcdef0123aaaa", two_questions, name="two")
    with fake.client() as client:
        result = answer_until_done(client, ChatMessage.user("a shirt"), decide, app_id=fake.apps["two"])
    assert result.interactive is None
    assert result.answer == "Ordered in red."
    sent = [r.body for r in fake.requests if r.path == COMPLETIONS]
    assert [body["messages"][0]["content"] for body in sent] == ["a shirt", "M", "red"]
    assert len({body["chatId"] for body in sent}) == 1
    assert "Which size?" in capsys.readouterr().out


def test_the_loop_stops_when_decide_says_so(fake: FakeFastGPT) -> None:
    def stop(asked: Interactive) -> ChatMessage | None:
        return None

    with fake.client() as client:
        result = answer_until_done(client, ChatMessage.user("order"), stop, app_id=fake.apps["select"])
    assert isinstance(result.interactive, UserSelectInteractive)
    assert fake.count(COMPLETIONS) == 1


def test_the_loop_gives_up_on_a_workflow_that_never_stops_asking(fake: FakeFastGPT) -> None:
    def always(ctx: RunContext) -> Turn:
        return two_questions(RunContext(ctx.question, ctx.chat_id, ctx.data_id, {}, None, 0))

    fake.register_app("0123456789abcdef0123bbbb", always, name="always")
    with fake.client() as client, pytest.raises(RuntimeError, match="still asks after 3 answers"):
        answer_until_done(
            client, ChatMessage.user("order"), decide, app_id=fake.apps["always"], max_questions=3
        )
    assert fake.count(COMPLETIONS) == 4


# ---- the example pytest suite -----------------------------------------------------------------------


@pytest.mark.system  # a pytest run in a subprocess, with its own configuration
def test_the_example_pytest_suite_passes() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FASTGPT_", "PYTEST_"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "examples/pytest_suite", "-p", "no:cacheprovider"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "configfile: pytest.ini" in done.stdout  # its own settings, asyncio_mode = auto among them
    assert "12 passed" in done.stdout, done.stdout


def test_what_the_export_recipe_says_of_model_dump(fake: FakeFastGPT) -> None:
    """docs/recipes.md: `model_dump()` writes Python names, `by_alias=True` the wire names, and either
    reads back into an equal model."""
    with fake.client() as client:
        client.chat.chat(ChatCompletionRequest(messages=[ChatMessage.user("hi")], chat_id="dump"))
        page = client.chat_history.list_records(ListRecordsRequest(chat_id="dump"))
    record = page.list[-1]
    assert "data_id" in record.model_dump()
    assert "dataId" in record.model_dump(by_alias=True)
    assert "dataId" not in record.model_dump()
    for dump in (page.model_dump(), page.model_dump(by_alias=True)):
        assert ListRecordsResponse.model_validate(dump) == page
