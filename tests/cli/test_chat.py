"""`fastgpt-oapi chat`, run as a user runs it: one turn through pipes, and the interactive session in a
pseudo-terminal, typing and reading as a person would."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from fastgpt_oapi.api.chat_history.model import ChatRecord, ListRecordsRequest
from fastgpt_oapi.testing import FakeFastGPT

from ._support import cli_env
from .conftest import Cli

COMPLETIONS = "/api/v2/chat/completions"
STOP = "/api/v2/chat/stop"


def records(fake: FakeFastGPT, chat_id: str, app_id: str | None = None) -> list[ChatRecord]:
    with fake.client() as client:
        request = ListRecordsRequest(chat_id=chat_id, app_id=app_id or fake.app_id, page_size=50)
        return client.chat_history.list_records(request).list


# ---- one turn ---------------------------------------------------------------------------------


def test_one_turn_from_the_argument_streams_the_answer(connected: Cli, fake: FakeFastGPT) -> None:
    run = connected("chat", "hello there")
    assert (run.code, run.stdout) == (0, "You said: hello there\n"), run.stderr
    assert "continue with" not in run.stderr  # stderr is not a terminal: no hint
    assert fake.count(COMPLETIONS) == 1


@pytest.mark.parametrize("args", [("chat", "-"), ("chat",)])
def test_one_turn_from_stdin(connected: Cli, args: tuple[str, ...]) -> None:
    run = connected(*args, stdin="what is in the pipe\n")
    assert (run.code, run.stdout) == (0, "You said: what is in the pipe\n"), run.stderr


def test_an_empty_message_is_a_usage_error(connected: Cli, fake: FakeFastGPT) -> None:
    run = connected("chat", stdin="\n")
    assert run.code == 2
    assert "empty" in run.stderr
    assert fake.count(COMPLETIONS) == 0


def test_events_are_json_lines_with_the_answer_events(connected: Cli, fake: FakeFastGPT) -> None:
    run = connected("chat", "Paris", "--events", "--detail", "--app-id", fake.apps["workflow"])
    assert run.code == 0, run.stderr
    lines = run.lines()
    assert all(set(line) == {"event", "data"} for line in lines)
    names = [line["event"] for line in lines]
    assert {"flowNodeStatus", "toolCall", "toolParams", "toolResponse", "answer", "done"} <= set(names)
    text = "".join(
        line["data"]["choices"][0]["delta"]["content"] or ""
        for line in lines
        if line["event"] == "answer" and line["data"]["choices"]
    )
    assert text == "Cloudy in Paris today, 26℃."
    call = next(line["data"] for line in lines if line["event"] == "toolCall")
    assert call["tool"]["function_name"] == "get_weather"  # snake_case, the SDK's names
    # -o jsonl is the same as --events
    again = connected("chat", "Paris", "-o", "jsonl", "--app-id", fake.apps["workflow"], "--detail")
    assert [line["event"] for line in again.lines()] == names


def test_events_cannot_go_with_another_output(connected: Cli, fake: FakeFastGPT) -> None:
    run = connected("chat", "hi", "--events", "-o", "json")
    assert run.code == 2
    assert "--events" in run.error()["message"]
    assert fake.count(COMPLETIONS) == 0


def test_output_json_is_the_final_result(connected: Cli, fake: FakeFastGPT) -> None:
    run = connected("chat", "why", "-o", "json", "--app-id", fake.apps["reasoning"])
    assert run.code == 0, run.stderr
    result = run.json()
    assert result["answer"] == 'About "why": this is the considered answer.'
    assert result["reasoning"] == 'The user asked "why"; let me think first.'
    assert result["finish_reason"] == "stop"
    assert len(result["chat_id"]) == 24
    assert len(result["data_id"]) == 24
    assert {"response_data", "new_variables", "tool_calls", "interactive"} <= set(result)
    stored = records(fake, result["chat_id"], fake.apps["reasoning"])
    assert [r.data_id for r in stored if r.obj == "AI"] == [result["data_id"]]


def test_chat_id_continues_a_chat(connected: Cli, fake: FakeFastGPT) -> None:
    first = connected("chat", "one", "-o", "json").json()
    second = connected("chat", "two", "--chat-id", first["chat_id"], "-o", "json").json()
    assert second["chat_id"] == first["chat_id"]
    stored = records(fake, first["chat_id"])
    assert [(r.obj, r.text) for r in stored] == [
        ("Human", "one"),
        ("AI", "You said: one"),
        ("Human", "two"),
        ("AI", "You said: two"),
    ]


def test_variables_reach_the_app_as_strings_or_json(connected: Cli, fake: FakeFastGPT) -> None:
    run = connected(
        "chat",
        "Paris",
        "--app-id",
        fake.apps["workflow"],
        "--detail",
        "--var",
        "lang=en",
        "--var",
        "count=3",
        "--var",
        "limit:=3",
        "--var",
        'tags:=["a", "b"]',
        "-o",
        "json",
    )
    assert run.code == 0, run.stderr
    sent = fake.requests[-1].body["variables"]
    assert sent == {"lang": "en", "count": "3", "limit": 3, "tags": ["a", "b"]}
    # the workflow app echoes them in its variable update
    assert run.json()["new_variables"] == {**sent, "city": "Paris"}


@pytest.mark.parametrize("bad", ["novalue", "=x", "n:=not json"])
def test_a_bad_variable_is_a_usage_error_before_sending(connected: Cli, fake: FakeFastGPT, bad: str) -> None:
    run = connected("chat", "hi", "--var", bad)
    assert run.code == 2
    assert "--var" in run.stderr
    assert fake.count(COMPLETIONS) == 0


def test_detail_notes_go_to_stderr_and_the_answer_alone_to_stdout(connected: Cli, fake: FakeFastGPT) -> None:
    run = connected("chat", "Paris", "--detail", "--app-id", fake.apps["workflow"])
    assert (run.code, run.stdout) == (0, "Cloudy in Paris today, 26℃.\n"), run.stderr
    assert "· Dataset Search" in run.stderr
    assert '· Weather({"city":"Paris"}) -> {"temp":26,"weather":"cloudy"}' in run.stderr
    assert "· quote weather-faq.md #3" in run.stderr
    # without --detail, stderr stays quiet when it is not a terminal (reasoning included)
    quiet = connected("chat", "why", "--app-id", fake.apps["reasoning"])
    assert (quiet.stdout, quiet.stderr) == ('About "why": this is the considered answer.\n', "")
    shown = connected("chat", "why", "--app-id", fake.apps["reasoning"], "--detail")
    assert 'The user asked "why"; let me think first.' in shown.stderr


def test_a_paused_turn_says_how_to_answer(connected: Cli, fake: FakeFastGPT) -> None:
    run = connected("chat", "order", "--detail", "--app-id", fake.apps["select"])
    assert (run.code, run.stdout) == (0, "OK, I have drafted your order.\n"), run.stderr
    assert "Please confirm the order. options: Confirm, Cancel" in run.stderr
    chat_id = re.search(r"--chat-id (\S+) --detail 'Confirm'", run.stderr)
    assert chat_id, run.stderr
    done = connected("chat", "Confirm", "--chat-id", chat_id[1], "--app-id", fake.apps["select"])
    assert done.stdout == "Order submitted.\n"


# ---- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "code"), [(401, 3), (404, 4), (400, 5), (429, 6), (500, 8)])
def test_refusals_exit_with_their_class(connected: Cli, fake: FakeFastGPT, status: int, code: int) -> None:
    fake.fail_next(status, {"code": status, "statusText": "", "message": f"scripted {status}"}, times=5)
    run = connected("chat", "hi")
    assert run.code == code, run.stderr
    assert run.error()["exit_code"] == code
    assert run.stdout == ""


def test_a_wrong_key_exits_3(connected: Cli) -> None:
    wrong = "fastgpt-" + "w" * 32
    run = connected("chat", "hi", env={"FASTGPT_API_KEY": wrong})
    assert run.code == 3
    assert wrong not in run.stdout + run.stderr


def test_an_error_event_midway_exits_8_after_the_partial_answer(connected: Cli, fake: FakeFastGPT) -> None:
    run = connected("chat", "hi", "--app-id", fake.apps["error"])
    assert run.code == 8
    assert run.stdout == "Working on it\n"
    error = run.error()
    assert error["kind"] == "StreamError"
    assert "Network connection error" in error["message"]


class _CutShort(BaseHTTPRequestHandler):
    """An SSE answer that stops midway: two chunks, then the connection closes (no [DONE])."""

    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        for part in ("Half an ", "answer"):
            chunk = json.dumps({"choices": [{"delta": {"content": part}, "index": 0, "finish_reason": None}]})
            self.wfile.write(f"event: answer\ndata: {chunk}\n\n".encode())
            self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def cut_short() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CutShort)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_stream_that_breaks_midway_exits_7_after_the_partial_answer(cli: Cli, cut_short: str) -> None:
    env = {"FASTGPT_BASE_URL": cut_short, "FASTGPT_API_KEY": "fastgpt-test", "FASTGPT_APP_ID": "a" * 24}
    run = cli("chat", "hi", env=env)
    assert run.code == 7, run.stderr
    assert run.stdout == "Half an answer\n"
    assert "cut short" in run.error()["message"]


# ---- in a terminal ------------------------------------------------------------------------------


class Terminal:
    """The command line in a pseudo-terminal: its stdin, stdout and stderr, and its controlling
    terminal, so Ctrl-C (`\\x03`) reaches it as SIGINT, as from a keyboard."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        import fcntl
        import termios

        master, slave = os.openpty()
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        # The child takes the terminal as its controlling terminal (it leads a new session), and
        # Ctrl-C's default action back, as a shell gives a job it runs in the foreground (a runner
        # started in the background inherits SIGINT ignored), then becomes the program.
        take_tty = (
            "import fcntl, os, signal, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0);"
            " signal.signal(signal.SIGINT, signal.SIG_DFL);"
            " os.execv(sys.executable, [sys.executable, '-m', 'fastgpt_oapi', *sys.argv[1:]])"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", take_tty, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        os.close(slave)
        self.fd = master
        self.seen = ""
        self.mark = 0  # `expect` searches from here

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # the program exited and closed the terminal
            return False
        if not data:
            return False
        self.seen += data.decode("utf-8", "replace")
        return True

    def expect(self, text: str, timeout: float = 30) -> str:
        """Read until `text` appears (after what earlier calls matched); what came before it."""
        deadline = time.monotonic() + timeout
        while text not in self.seen[self.mark :]:
            left = deadline - time.monotonic()
            if left <= 0 or (not self._read(min(left, 0.5)) and self.process.poll() is not None):
                if text in self.seen[self.mark :]:
                    break
                raise AssertionError(f"{text!r} did not appear; the terminal shows:\n{self.plain()}")
        start = self.mark
        found = self.seen.index(text, start)
        self.mark = found + len(text)
        return self.seen[start:found]

    def type(self, keys: str, *, settle: float = 0.2) -> None:
        """Keys as a person types them: a moment after the last output, then a little apart (a key sent
        the instant a prompt appears can reach a loaded machine's program before it reads)."""
        time.sleep(settle)
        for key in keys:
            os.write(self.fd, key.encode())
            time.sleep(0.01)

    def wait(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        while self._read(0.05):
            pass
        return self.process.wait(timeout=1)

    def plain(self) -> str:
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", self.seen[-4000:])

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        os.close(self.fd)


@pytest.fixture
def terminal(fake: FakeFastGPT, served: str, tmp_path: Path) -> Iterator[Any]:
    opened: list[Terminal] = []

    def start(*args: str, app: str = "echo") -> Terminal:
        env = cli_env(
            tmp_path,
            {
                "FASTGPT_BASE_URL": served,
                "FASTGPT_API_KEY": fake.api_key,
                "FASTGPT_APP_ID": fake.apps[app],
                "TERM": "xterm-256color",
            },
        )
        env.pop("NO_COLOR", None)
        term = Terminal(["chat", *args], env, tmp_path)
        opened.append(term)
        return term

    yield start
    for term in opened:
        term.close()


PROMPT = "> "


def test_a_session_keeps_one_chat_id_and_ctrl_d_ends_it(terminal: Any, fake: FakeFastGPT) -> None:
    term = terminal()
    chat_id = re.search(r"chat (\w+)", term.expect("Ctrl-C stops an answer"))
    assert chat_id, term.plain()
    term.expect(PROMPT)
    term.type("first question\r")
    term.expect("You said: first question")
    term.expect(PROMPT)
    term.type("second\r")
    term.expect("You said: second")
    term.expect(PROMPT)
    term.type("\x04")  # Ctrl-D at an empty prompt
    assert term.wait() == 0
    assert f"continue with --chat-id {chat_id[1]}" in term.plain()
    stored = records(fake, chat_id[1])
    assert [r.text for r in stored] == [
        "first question",
        "You said: first question",
        "second",
        "You said: second",
    ]


def test_reasoning_is_shown_dimmed(terminal: Any) -> None:
    term = terminal(app="reasoning")
    term.expect(PROMPT)
    term.type("why\r")
    before = term.expect('About "why": this is the considered answer.')
    assert 'The user asked "why"; let me think first.' in re.sub(r"\x1b\[[0-9;]*m", "", before)
    assert "\x1b[2m" in before  # rich's dim style, on a terminal
    term.expect(PROMPT)
    term.type("\x03")  # Ctrl-C at an empty prompt ends the session too
    assert term.wait() == 0


def test_an_interactive_question_is_asked_and_answered_with_reply(terminal: Any, fake: FakeFastGPT) -> None:
    term = terminal(app="select")
    chat_id = re.search(r"chat (\w+)", term.expect(PROMPT))
    assert chat_id
    term.type("I want to order\r")
    term.expect("OK, I have drafted your order.")
    term.expect("Please confirm the order.")
    term.expect("1. Confirm")
    term.expect("2. Cancel")
    term.expect("choose [1-2]> ")
    term.type("nonsense\r")
    term.expect("type an option's number")
    term.type("Confirm\r")
    term.expect("Order submitted.")
    term.expect(PROMPT)
    term.type("\x04")
    assert term.wait() == 0
    stored = records(fake, chat_id[1], fake.apps["select"])
    assert [r.text for r in stored if r.obj == "Human"] == ["I want to order", "Confirm"]


def test_a_form_is_asked_field_by_field(terminal: Any, fake: FakeFastGPT) -> None:
    term = terminal(app="form")
    term.expect(PROMPT)
    term.type("order\r")
    term.expect("Please fill in the delivery details.")
    term.expect("Recipient")
    term.type("Ada\r")
    term.expect("Quantity")
    term.type("200\r")  # above the field's max
    term.expect("a number from 1 to 99")
    term.type("2\r")
    term.expect("Delivery")
    term.type("1\r")
    term.expect("Ordered 2 for Ada.")
    term.expect(PROMPT)
    term.type("\x04")
    assert term.wait() == 0
    sent = fake.requests[-1 if fake.requests[-1].path == COMPLETIONS else -2]
    assert sent.body["messages"][0]["content"] == '{"Recipient":"Ada","Quantity":2,"Delivery":"express"}'


def test_ctrl_c_stops_the_generation_and_keeps_the_session(terminal: Any, fake: FakeFastGPT) -> None:
    fake.delay_next(0, path=COMPLETIONS, chunk_delay=1.0)
    term = terminal()
    chat_id = re.search(r"chat (\w+)", term.expect(PROMPT))
    assert chat_id
    term.type("a question with a long, slow answer that takes a while\r")
    term.expect("You ")
    term.type("\x03", settle=0)  # at once: the next chunk is a second away
    term.expect("[stopped]")
    term.expect(PROMPT)
    assert fake.count(STOP) == 1
    assert fake.requests[-1].body["chatId"] == chat_id[1]
    assert "You said:" not in term.seen  # the rest of the answer never showed
    term.type("again\r")
    term.expect("You said: again")
    term.expect(PROMPT)
    term.type("\x04")
    assert term.wait() == 0
    assert fake.count(COMPLETIONS) == 2


def test_one_turn_on_a_terminal_hints_how_to_continue(terminal: Any, fake: FakeFastGPT) -> None:
    term = terminal("hello")
    term.expect("You said: hello")
    assert term.wait() == 0
    hint = re.search(r"continue with --chat-id (\w+)", term.plain())
    assert hint, term.plain()
    assert records(fake, hint[1])[0].text == "hello"


def test_events_need_a_message_in_a_terminal(terminal: Any, fake: FakeFastGPT) -> None:
    term = terminal("--events")
    assert term.wait() == 2
    assert "need a message" in term.plain()
    assert fake.count(COMPLETIONS) == 0


def test_chat_help_loads_no_request_model(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from fastgpt_oapi.cli.app import run\n"
        "code = run(['chat', '--help'])\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('fastgpt_oapi.api', 'httpx', 'fastgpt_oapi.client')))\n"
        "print('LOADED', loaded, code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=cli_env(tmp_path)
    )
    assert "LOADED [] 0" in done.stdout, done.stderr
    assert "--chat-id" in done.stdout
