"""The standalone emulator's pieces in process: the options it refuses (`build`), and its admin API
(`AdminFront`) in front of the emulator, through httpx's in-process transport. The same API over a
real socket, from a subprocess: test_emulator_served.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fastgpt_oapi.testing.admin import AdminFront, mask
from fastgpt_oapi.testing.fake import FakeFastGPT
from fastgpt_oapi.testing.standalone import EmulatorOptions, OptionsError, Serving, build, main
from fastgpt_oapi.testing.transport import FakeTransport

KEY = {"authorization": "Bearer fastgpt-test"}


@pytest.fixture
def front() -> AdminFront:
    return build(EmulatorOptions())


@pytest.fixture
def http(front: AdminFront) -> Iterator[httpx.Client]:
    # The transport hands each request to `front.handle`, as the loopback server does.
    with httpx.Client(base_url="http://emulator.test", transport=FakeTransport(front), headers=KEY) as client:  # type: ignore[arg-type]
        yield client


def chat(http: httpx.Client, text: str) -> httpx.Response:
    return http.post("/api/v1/chat/completions", json={"messages": [{"role": "user", "content": text}]})


def test_admin_calls_script_the_emulator_and_stay_out_of_its_journal(
    front: AdminFront, http: httpx.Client
) -> None:
    assert http.post("/__emulator/fail_next", json={"status": 429, "body": {"code": 429}}).json() == {
        "ok": True
    }
    assert chat(http, "a").status_code == 429
    assert chat(http, "b").json()["choices"][0]["message"]["content"] == "You said: b"
    assert [r.path for r in front.fake.requests] == ["/api/v1/chat/completions"] * 2
    assert front.fake.count("/__emulator/fail_next") == 0


def test_reset_builds_a_fresh_emulator_with_the_same_apps(front: AdminFront, http: httpx.Client) -> None:
    before = front.fake
    chat(http, "a")
    reset = http.post("/__emulator/reset").json()
    assert front.fake is not before
    assert (front.fake.requests, reset["apps"]) == ([], before.apps)


def test_the_journal_shows_an_upload_by_its_parts(http: httpx.Client) -> None:
    http.post(
        "/api/core/dataset/collection/create/localFile",
        files={"file": ("notes.txt", b"twelve bytes", "text/plain")},
        data={"data": json.dumps({"datasetId": "x"})},
    )
    [entry] = http.get("/__emulator/requests").json()["requests"]
    assert entry["body"]["file"] == {"filename": "notes.txt", "content_type": "text/plain", "size": 12}
    assert entry["body"]["data"] == json.dumps({"datasetId": "x"})


@pytest.mark.parametrize(
    ("secret", "shown"),
    [("Bearer fastgpt-abcdef123456", "Bearer ****3456"), ("Bearer short", "Bearer ****"), ("raw", "****")],
)
def test_a_credential_shows_its_last_four_characters_at_most(secret: str, shown: str) -> None:
    assert mask(secret) == shown


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (EmulatorOptions(language="fr"), "--language must be one of en, zh, got 'fr'"),
        (EmulatorOptions(version="four"), "--version: not a FastGPT version: 'four'"),
        (EmulatorOptions(training_delay=-1), "--training-delay cannot be negative"),
        (EmulatorOptions(api_key=" "), "--api-key cannot be empty"),
    ],
)
def test_options_that_cannot_be_served_are_named(options: EmulatorOptions, message: str) -> None:
    with pytest.raises(OptionsError, match="^" + message.replace("(", r"\(")):
        build(options)


def test_the_standalone_command_hands_every_flag_to_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    # `main` passes the parsed flags to EmulatorOptions by name: a flag without a field fails here.
    argv = ["--host", "127.0.0.1", "--port", "0", "--language", "zh", "--version", "4.17.0"]
    argv += ["--training-delay", "-1", "--api-key", "k"]
    assert main(argv) == 2
    assert capsys.readouterr().err == "error: --training-delay cannot be negative\n"


def test_an_apps_file_may_not_take_a_built_in_name_or_id(tmp_path: Path) -> None:
    apps = tmp_path / "apps.json"
    apps.write_text(
        json.dumps({"apps": [{"name": "knowledge", "default": {"answer": "x"}}]}), encoding="utf-8"
    )
    with pytest.raises(OptionsError, match=r"apps\[0\]\.name: 'knowledge' is a built-in app's name"):
        build(EmulatorOptions(apps=apps))
    taken = {"apps": [{"name": "mine", "id": "66e29b870b24ce35330c0f08", "default": {"answer": "x"}}]}
    apps.write_text(json.dumps(taken), encoding="utf-8")
    with pytest.raises(OptionsError, match="id 66e29b870b24ce35330c0f08 is a built-in app's id"):
        build(EmulatorOptions(apps=apps))


def test_scripted_app_ids_are_the_same_run_after_run(tmp_path: Path) -> None:
    apps = tmp_path / "apps.json"
    apps.write_text(json.dumps({"apps": [{"name": "bot", "default": {"answer": "x"}}]}), encoding="utf-8")
    first, second = build(EmulatorOptions(apps=apps)), build(EmulatorOptions(apps=apps))
    assert first.fake.apps["bot"] == second.fake.apps["bot"]
    assert first.fake.apps["bot"] not in FakeFastGPT().apps.values()


def test_the_printed_line_is_json_with_three_keys() -> None:
    serving = Serving("http://127.0.0.1:3000", "fastgpt-test", {"echo": "66e29b870b24ce35330c0f08"})
    assert json.loads(serving.as_json()) == {
        "base_url": "http://127.0.0.1:3000",
        "api_key": "fastgpt-test",
        "apps": {"echo": "66e29b870b24ce35330c0f08"},
    }
