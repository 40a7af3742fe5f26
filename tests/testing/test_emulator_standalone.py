"""The standalone emulator (testing/standalone.py) as a user runs it: a subprocess that prints where it
is, serves until SIGINT or SIGTERM, and exits 0; or fails in one line with a non-zero code. And
`FakeFastGPT.serve(host=, port=)`, which takes the same address."""

from __future__ import annotations

import errno
import io
import json
import os
import select
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from fastgpt_oapi import AuthenticationError, Client
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.testing import FakeFastGPT
from fastgpt_oapi.testing.standalone import EmulatorOptions, run

from ._emulator import EMULATOR, START_TIMEOUT, launch, running

pytestmark = pytest.mark.system

BUILT_IN = {
    "echo": "66e29b870b24ce35330c0f08",
    "workflow": "66e29b870b24ce35330c0f09",
    "reasoning": "66e29b870b24ce35330c0f0a",
    "select": "66e29b870b24ce35330c0f0b",
    "form": "66e29b870b24ce35330c0f0c",
    "error": "66e29b870b24ce35330c0f0d",
    "tool": "66e29b870b24ce35330c0f0e",
    "knowledge": "66e29b870b24ce35330c0f0f",
}


def ask(text: str, app_id: str | None = None) -> ChatCompletionRequest:
    return ChatCompletionRequest(messages=[ChatMessage.user(text)], app_id=app_id)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_it_prints_one_json_line_and_the_key_works_for_the_built_in_apps() -> None:
    with running() as emulator:
        assert emulator.base_url.startswith("http://127.0.0.1:")
        assert int(emulator.base_url.rsplit(":", 1)[1]) > 0  # --port 0: a free one
        assert (emulator.api_key, emulator.apps) == ("fastgpt-test", BUILT_IN)
        with emulator.client() as client:
            assert client.chat.chat(ask("hi")).answer == "You said: hi"
            reasoned = client.chat.chat(ask("why", emulator.apps["reasoning"]))
            assert reasoned.reasoning == 'The user asked "why"; let me think first.'
        code, out, err = emulator.stop()
    assert (code, out, err) == (0, "", "")  # nothing after the one line, nothing on stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sigterm_and_sigint_stop_it_with_exit_code_0(signum: int) -> None:
    with running() as emulator:
        with emulator.client() as client:
            client.chat.chat(ask("before stopping"))
        code, out, err = emulator.stop(signum)
    assert (code, out, err) == (0, "", "")  # a clean shutdown: no traceback


def test_it_takes_the_port_key_language_and_version_given() -> None:
    port = free_port()
    args = ("--port", str(port), "--api-key", "sk-mine", "--language", "zh", "--version", "4.14.11")
    with running(*args) as emulator:
        assert (emulator.base_url, emulator.api_key) == (f"http://127.0.0.1:{port}", "sk-mine")
        with emulator.client() as client:
            assert client.chat.chat(ask("你好")).answer == "你说：你好"
        with (
            emulator.client(api_key="fastgpt-test", max_retries=0) as stranger,
            pytest.raises(AuthenticationError),
        ):
            stranger.chat.chat(ask("hi"))
        assert emulator.admin("GET", "apps").json()["apps"] == BUILT_IN
        assert emulator.stop()[0] == 0


def test_a_port_in_use_fails_in_one_line_with_exit_code_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = launch("--port", str(port))
        out, err = process.communicate(timeout=START_TIMEOUT)
    assert (process.returncode, out) == (1, "")
    assert err.count("\n") == 1
    assert err.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert "in use" in err
    assert "--port 0" in err


def test_a_bad_apps_file_fails_naming_the_place_with_exit_code_2(tmp_path: Path) -> None:
    apps = tmp_path / "apps.json"
    apps.write_text(json.dumps({"apps": [{"name": "bot", "rules": [{"match": "hi"}]}]}), encoding="utf-8")
    process = launch("--apps", str(apps))
    out, err = process.communicate(timeout=START_TIMEOUT)
    assert (process.returncode, out) == (2, "")
    assert err == (
        f"error: --apps {apps}: apps[0].rules[0]: says nothing: give at least one of answer, reasoning,"
        " interactive, error\n"
    )


def test_on_a_terminal_it_prints_text_and_the_hint_to_stop_it() -> None:
    main, terminal = os.openpty()
    process = subprocess.Popen(
        [*EMULATOR, "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(terminal)
    try:
        seen = b""
        while b"Admin API" not in seen:
            ready, _, _ = select.select([main], [], [], START_TIMEOUT)
            assert ready, f"nothing on the terminal; so far {seen!r}"
            seen += os.read(main, 4096)
        text = seen.decode()
        assert "FastGPT emulator (FastGPT 4.18.0, en) at http://127.0.0.1:" in text
        assert "API key: fastgpt-test" in text
        assert "66e29b870b24ce35330c0f08  (default)" in text
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        os.close(main)
    assert (process.returncode, err) == (0, "Ctrl-C stops it.\n")


def test_fake_serve_takes_a_host_and_a_port_and_refuses_a_port_in_use() -> None:
    fake = FakeFastGPT()
    port = free_port()
    with fake.serve(host="127.0.0.1", port=port) as base_url:
        assert base_url == f"http://127.0.0.1:{port}"
        with pytest.raises(OSError, match="in use") as taken, FakeFastGPT().serve(port=port):
            pass  # pragma: no cover
        assert taken.value.errno == errno.EADDRINUSE
    with fake.serve(host="localhost") as base_url:  # a name: the base URL is the address it bound
        assert base_url.startswith("http://127.0.0.1:")
    with fake.serve() as base_url:  # as before: 127.0.0.1, a free port
        assert base_url.startswith("http://127.0.0.1:")


def test_an_unknown_language_is_a_usage_error_with_exit_code_2() -> None:
    process = launch("--language", "fr")
    out, err = process.communicate(timeout=START_TIMEOUT)
    assert (process.returncode, out) == (2, "")
    assert "--language" in err


def test_run_serves_until_stop_is_set_off_the_main_thread() -> None:
    out, err, stop = io.StringIO(), io.StringIO(), threading.Event()
    codes: list[int] = []
    options = EmulatorOptions(port=0, api_key="sk-thread")
    worker = threading.Thread(target=lambda: codes.append(run(options, stdout=out, stderr=err, stop=stop)))
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while "\n" not in out.getvalue():
            assert time.monotonic() < deadline, err.getvalue()
            assert worker.is_alive(), err.getvalue()
            time.sleep(0.05)
        printed = json.loads(out.getvalue())
        apps = httpx.get(
            f"{printed['base_url']}/__emulator/apps",
            headers={"authorization": "Bearer sk-thread"},
            timeout=30,
        )
        assert apps.json()["apps"] == printed["apps"] == BUILT_IN
    finally:
        stop.set()
        worker.join(timeout=30)
    assert (codes, err.getvalue()) == ([0], "")


@pytest.mark.parametrize(("host", "reached"), [("0.0.0.0", "127.0.0.1"), ("::1", "[::1]"), ("::", "[::1]")])
def test_fake_serve_on_any_interface_or_ipv6_gives_a_url_to_connect_to(host: str, reached: str) -> None:
    if ":" in host:
        try:
            with socket.socket(socket.AF_INET6) as probe:
                probe.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 loopback on this machine")
    fake = FakeFastGPT()
    with fake.serve(host=host) as base_url:
        assert base_url.startswith(f"http://{reached}:")
        with Client.builder().base_url(base_url).api_key(fake.api_key).app_id(fake.app_id).build() as client:
            assert client.chat.chat(ask("anywhere")).answer == "You said: anywhere"
