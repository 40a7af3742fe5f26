"""The standalone emulator driven as a front end or another language drives it: its admin API over
HTTP, the scripted apps of `examples/emulator_apps.json`, the openai SDK and plain curl. One emulator
process per module (per worker), reset through the admin API before each test."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fastgpt_oapi import APITimeoutError, InternalServerError
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.api.chat_history.model import ListHistoriesRequest
from fastgpt_oapi.api.shared.interactive import UserSelectInteractive

from ._emulator import Emulator, running

pytestmark = pytest.mark.system

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "emulator_apps.json"
COMPLETIONS = "/api/v2/chat/completions"  # what the SDK sends; curl and the openai SDK send to v1
V1 = "/api/v1/chat/completions"


@pytest.fixture(scope="module")
def served() -> Iterator[Emulator]:
    with running("--apps", str(EXAMPLE)) as emulator:
        yield emulator
        assert emulator.stop()[0] == 0


@pytest.fixture
def emulator(served: Emulator) -> Emulator:
    reset = served.admin("POST", "reset")
    assert reset.status_code == 200, reset.text
    return served


def ask(text: str, app_id: str | None = None, **fields: object) -> ChatCompletionRequest:
    return ChatCompletionRequest(messages=[ChatMessage.user(text)], app_id=app_id, **fields)  # type: ignore[arg-type]


def test_fail_next_answers_the_next_chats_as_scripted(emulator: Emulator) -> None:
    body = {"code": 503, "statusText": "busy", "message": "try later"}
    scripted = emulator.admin(
        "POST", "fail_next", {"status": 503, "body": body, "path": COMPLETIONS, "after": 1}
    )
    assert (scripted.status_code, scripted.json()) == (200, {"ok": True})
    with emulator.client(max_retries=0) as client:
        client.chat_history.list_histories(ListHistoriesRequest())  # another path: not counted
        assert client.chat.chat(ask("first")).answer == "You said: first"  # `after: 1`
        with pytest.raises(InternalServerError) as failed:
            client.chat.chat(ask("second"))
        assert failed.value.status_code == 503
        assert client.chat.chat(ask("third")).answer == "You said: third"  # used up
    raw = emulator.admin("POST", "fail_next", {"status": 500, "body": "plain text"})
    assert raw.status_code == 200
    answered = httpx.get(f"{emulator.base_url}/api/anything", timeout=30)
    assert (answered.status_code, answered.text) == (500, "plain text")


def test_delay_next_slows_the_next_response(emulator: Emulator) -> None:
    assert emulator.admin("POST", "delay_next", {"seconds": 2, "path": COMPLETIONS}).status_code == 200
    with emulator.client(max_retries=0, timeout=0.3) as client, pytest.raises(APITimeoutError):
        client.chat.chat(ask("slow"))
    assert emulator.admin("POST", "delay_next", {"seconds": 0, "chunk_delay": 0.2}).status_code == 200
    with emulator.client() as client:
        started = time.monotonic()
        answer = client.chat.chat_stream(ask("hello")).get_final_response().answer
        elapsed = time.monotonic() - started
    assert answer == "You said: hello"
    assert elapsed >= 0.2 * 4  # "You said: hello": at least four answer chunks, each 0.2 s late


def test_the_journal_lists_each_request_with_the_key_masked(emulator: Emulator) -> None:
    with emulator.client() as client:
        client.chat.chat(ask("hi", chat_id="c-1"))
        client.chat_history.list_histories(ListHistoriesRequest())
    emulator.admin("GET", "apps")  # the admin API is never in the journal
    journal = emulator.admin("GET", "requests")
    assert journal.status_code == 200
    data = journal.json()
    assert [(r["method"], r["path"]) for r in data["requests"]] == [
        ("POST", COMPLETIONS),
        ("POST", "/api/core/chat/history/getHistories"),
    ]
    assert data["total"] == 2
    first = data["requests"][0]
    assert first["body"]["chatId"] == "c-1"
    assert first["body"]["messages"] == [{"role": "user", "content": "hi"}]
    assert first["headers"]["authorization"] == "Bearer ****test"
    assert first["headers"]["content-type"] == "application/json"
    assert emulator.api_key not in journal.text
    only = emulator.admin("GET", "requests?path=/api/core/chat/history/getHistories").json()
    assert [r["path"] for r in only["requests"]] == ["/api/core/chat/history/getHistories"]


def test_reset_forgets_everything_but_the_options_key_and_app_ids(emulator: Emulator) -> None:
    with emulator.client() as client:
        client.chat.chat(ask("remember me"))
    emulator.admin("POST", "fail_next", {"status": 502})
    reset = emulator.admin("POST", "reset")
    assert reset.json() == {"ok": True, "apps": emulator.apps, "default_app_id": emulator.apps["echo"]}
    assert emulator.admin("GET", "requests").json() == {"requests": [], "total": 0}
    with emulator.client(max_retries=0) as client:
        assert client.chat_history.list_histories(ListHistoriesRequest()).total == 0  # histories gone
        assert client.chat.chat(ask("again")).answer == "You said: again"  # the failure gone too


def test_apps_lists_every_app_by_name(emulator: Emulator) -> None:
    apps = emulator.admin("GET", "apps").json()
    assert apps == {"apps": emulator.apps, "default_app_id": emulator.apps["echo"]}
    assert emulator.apps["faq"] == "65f000000000000000000001"  # the file's id
    assert len(emulator.apps["support"]) == 24  # made up from the name, the same every run


@pytest.mark.parametrize(
    ("method", "name", "body", "status", "field", "message"),
    [
        ("POST", "fail_next", {}, 400, "status", "status is required"),
        ("POST", "fail_next", {"status": 99}, 400, "status", "status must be from 100 to 599, got 99"),
        ("POST", "fail_next", {"status": 500, "times": 0}, 400, "times", "times must be at least 1, got 0"),
        (
            "POST",
            "fail_next",
            {"status": 500, "path": "api"},
            400,
            "path",
            "path must be a string starting with /",
        ),
        (
            "POST",
            "fail_next",
            {"status": 500, "body": [1]},
            400,
            "body",
            "body must be a string or a JSON object",
        ),
        ("POST", "fail_next", {"status": 500, "colour": 1}, 400, "colour", "unknown field 'colour'"),
        ("POST", "delay_next", {"seconds": -1}, 400, "seconds", "seconds must be a number of seconds"),
        ("POST", "delay_next", {"seconds": 1, "after": -1}, 400, "after", "after must be at least 0"),
        ("POST", "fail_next", [500], 400, None, "the body must be a JSON object"),
        ("GET", "fail_next", None, 405, None, "/__emulator/fail_next answers POST only"),
        ("GET", "journal", None, 404, None, "no admin endpoint /__emulator/journal"),
    ],
)
def test_the_admin_api_refuses_clearly(
    emulator: Emulator, method: str, name: str, body: object, status: int, field: str | None, message: str
) -> None:
    refused = emulator.admin(method, name, body)
    assert refused.status_code == status
    error = refused.json()
    assert error.get("field") == field
    assert error["error"].startswith(message)


def test_the_admin_api_needs_the_key(emulator: Emulator) -> None:
    for key in ("", "fastgpt-wrong"):
        refused = emulator.admin("POST", "fail_next", {"status": 500}, key=key)
        assert refused.status_code == 401
        assert "Authorization: Bearer" in refused.json()["error"]
    with emulator.client() as client:
        assert client.chat.chat(ask("unharmed")).answer == "You said: unharmed"  # nothing was scripted


def test_a_scripted_app_round_trips_an_interactive_question_over_http(emulator: Emulator) -> None:
    app = emulator.apps["support"]
    with emulator.client() as client:
        first = client.chat.chat_stream(ask("order one", app, detail=True)).get_final_response()
        assert first.answer == "I have drafted your order."
        assert isinstance(first.interactive, UserSelectInteractive)
        reply = first.interactive.reply("Confirm")
        second = client.chat.chat(ChatCompletionRequest(messages=[reply], chat_id=first.chat_id, app_id=app))
        refund = client.chat.chat(ask("refund?", app))
    assert (second.answer, refund.answer) == (
        "Order submitted.",
        "Refunds reach your card within 5 working days.",
    )


def test_the_openai_sdk_streams_a_chat_completion(emulator: Emulator) -> None:
    openai = pytest.importorskip("openai")
    with openai.OpenAI(
        base_url=f"{emulator.base_url}/api/v1", api_key=emulator.api_key, max_retries=0
    ) as client:
        stream = client.chat.completions.create(
            model="any",
            messages=[{"role": "user", "content": "refund please"}],
            stream=True,
            extra_body={"appId": emulator.apps["support"], "chatId": "from-openai"},
        )
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
        echoed = client.chat.completions.create(model="any", messages=[{"role": "user", "content": "hi"}])
    assert text == "Refunds reach your card within 5 working days."
    assert echoed.choices[0].message.content == "You said: hi"  # the default app


def curl(emulator: Emulator, path: str, body: object) -> str:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed: the curl test needs /usr/bin/curl")
    command = [
        "curl", "-N", "-sS", "--fail-with-body", "--max-time", "30",
        "-H", f"Authorization: Bearer {emulator.api_key}",
        "-H", "Content-Type: application/json",
        "-d", json.dumps(body),
        f"{emulator.base_url}{path}",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def test_plain_curl_streams_an_answer_and_lists_the_histories(emulator: Emulator) -> None:
    question = {
        "stream": True,
        "chatId": "from-curl",
        "messages": [{"role": "user", "content": "hello curl"}],
    }
    stream = curl(emulator, V1, question)
    data = [line[len("data: ") :] for line in stream.splitlines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    answer = "".join(json.loads(d)["choices"][0]["delta"].get("content") or "" for d in data[:-1])
    assert answer == "You said: hello curl"
    listed = json.loads(
        curl(
            emulator,
            "/api/core/chat/history/getHistories",
            {"appId": emulator.apps["echo"], "offset": 0, "pageSize": 10},
        )
    )
    assert listed["code"] == 200
    assert [(h["chatId"], h["title"]) for h in listed["data"]["list"]] == [("from-curl", "hello curl")]
