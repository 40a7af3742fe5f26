"""Every script in examples/ runs to the end and prints what it promises.

Each runs in a fresh interpreter, as a user would start it (`python -m examples.<name>` from the repo
root, with what a user would type in `INPUT`), twice: against the embedded emulator (no FASTGPT_* variables), and through the "real server"
path, with FASTGPT_BASE_URL / FASTGPT_API_KEY / FASTGPT_APP_ID pointing at an emulator served on
loopback HTTP.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fastgpt_oapi.testing import FakeFastGPT

pytestmark = pytest.mark.system  # a fresh interpreter per example, twice

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.stem for p in (REPO / "examples").glob("*.py") if not p.name.startswith("_"))

# Lines (substrings) each example must print against the emulator, in this order.
EXPECTED: dict[str, list[str]] = {
    "sync": [
        "blocking chat against the embedded FakeFastGPT",
        "answer:  You said: Who directed Suzume?",
        "same chat: True",
        "node tools",
        "child tool (Weather)",
        "variables after the run: {'unit': 'celsius', 'city': 'Shanghai'}",
        "title: 'Weather in Shanghai'",
    ],
    "async_chat": [
        "async chat against the embedded FakeFastGPT",
        "You said: question 1",
        "You said: question 3",
        "[node] Tool Call",
        "[answer] ℃.",
        "tool calls: ['get_weather']",
    ],
    "streaming": [
        "[node] Dataset Search is running",
        "[tool] calling Weather as get_weather()",
        "[tool] arguments += '\":\"Sha'",
        "[variables] {'city': 'Shanghai'}",
        "[duration] 3.62s",
        "[title] Weather in Shanghai",
        "[flowNodeResponse] Dataset Search took 0.52s",
        "[done]",
        'tool call: get_weather({"city":"Shanghai"}) -> {"temp":26,"weather":"cloudy"}',
        "nodes:     ['workflowStart', 'datasetSearchNode', 'tools', 'variableUpdate']",
        "answer: You said: Who directed Suzume?",
        'reasoning: The user asked "1+1?"; let me think first.',
        "saw the tool call to Weather; not waiting for the rest",
    ],
    "interactive": [
        "options: ['Confirm', 'Cancel']",
        "not an option: 'Maybe' is not one of the offered options",
        "replying 'Confirm' on chat",
        "-> Order submitted.",
        "Delivery: select required=False choices=['express', 'pickup']",
        "rejected: the form has no field(s) ['color']",
        '{"Recipient":"Ada","Quantity":2,"Delivery":"express"}',
        "-> Ordered 2 for Ada.",
        "=== A loop: answer until the workflow stops asking ===",
        "[UserSelectInteractive]",
        "select: done, still asking: False",
        "[UserInputInteractive]",
        "form: done, still asking: False",
    ],
    "history": [
        "2 chat(s) in total, 2 on this page",
        "pinned",
        "'About FastGPT'",
        "app 'echo' (advanced)",
        "newest record: AI 'You said: What is FastGPT?'",
        "chatNode       AI Chat",
        "liked: ['yes']",
        "next? ",
        "records left in the chat: 1",
        "chats after deleting one: 1\n",
        "chats after clearing: 0\n",
    ],
    "logs": [
        "users=2 new=2",
        "chats=3 messages=6",
        "likes=1 dislikes=0",
        "users=2 chats=3 points=0.0126",
        "3 chat(s) logged; first page:",
        "user=user-1",
    ],
    "errors": [
        "AuthenticationError: Invalid API Key (unAuthApiKey, code 514, HTTP 401)",
        "streaming too: AuthenticationError (unAuthApiKey)",
        "RateLimitError: Too many requests: Rate limit exceeded.",
        "retry_after=3.0s",
        "after a 503: 'You said: Who directed Suzume?' in 2 requests",
        "StreamError: Network connection error  (received 'Working on it' first)",
        "APIConnectionError: Could not connect to 127.0.0.1:",
        "APITimeoutError: Request to 127.0.0.1:",
        "RequestValidationError on field 'app_id'",
        "caught AuthenticationError as FastGPTError",
    ],
    "custom_httpx": [
        "-> POST /api/v2/chat/completions",
        "<- 200 text/event-stream",
        "streamed: You said: Who directed Suzume?",
        "SDK client closed; http_client.is_closed=False",
        "SDK client closed; async_http_client.is_closed=False",
    ],
    "chatbot": [
        "chatbot against the embedded FakeFastGPT",
        "you> bot> (thinking) ",
        "you> bot> (thinking) ",
        "2 turn(s) on one chat, 4 records stored",
    ],
    "relay": [
        "relay against the embedded FakeFastGPT",
        "HTTP 200 text/event-stream",
        "events: answer ... done",
        'last: data: {"chat_id": "',
        "HTTP 401 application/json",
        "'error': 'AuthenticationError'",
        "HTTP 429 application/json",
        "Retry-After: 3",
        "'error': 'RateLimitError'",
        "HTTP 200 text/event-stream",
        "events: answer ... error",
        '"error": "StreamError"',
    ],
    # The JSON lines, chats newest first, each chat's records in reading order.
    "export_histories": [
        '{"chat_id": "',
        '"obj": "Human", "value": [{"type": "text", "text": {"content": "What is FastGPT?"}}]',
        '"obj": "AI"',
        '"content": "Tell me more"',
        '"content": "Thanks!"',
        '{"chat_id": "',
        '"content": "Who directed Suzume?"',
        '"content": "Tell me more"',
        '"content": "Thanks!"',
    ],
    "demo": [
        "fastgpt-oapi demo against the embedded FakeFastGPT",
        "[tool] call Weather (get_weather)",
        'tool Weather params={"city":"Shanghai"}',
        "-> Order submitted.",
        "good=yes",
        "ran 2 node(s): ['workflowStart', 'chatNode']",
        "uploaded pixel.png (70 bytes, image/png) as chat/app/",
        "-> You said: What is in this picture?",
        "stop flag written: True; completed: False",
        "the chat now: [(",
        "pushed 4 pairs in 2 batches, 4 taken",
        "trained: ready, 8 index(es)",
        "search: 'How long does the Lumen battery last?' -> 'About ten hours at medium brightness.'",
        "knowledge app: 'Is there a Lumen app?\\nNo: every setting is on the lamp itself.' (cites FAQ)",
        'The emulator in Chinese: FakeFastGPT(language="zh")',
        "echo: 电影《铃芽之旅》的导演是谁？ -> 你说：电影《铃芽之旅》的导演是谁？",
        "workflow: 上海 -> 上海今天多云，气温 26℃。",
        "select: 帮我下单 -> 好的，已为你生成订单草稿。",
    ],
    "knowledge_base": [
        "knowledge base against the embedded FakeFastGPT",
        "created dataset ",
        "uploaded battery.md (404 bytes) -> collection ",
        "uploaded warranty.md (395 bytes) -> collection ",
        "battery.md: 1 in training, 1 active, stage parse",  # training takes 0.5 s here
        "battery.md: trained, 1 index(es)",
        "warranty.md: trained, 1 index(es)",
        "pushed 5 pair(s) in 3 batches; FastGPT took 5",
        "FAQ: trained, 10 index(es)",
        "troubleshooting.md #0 [embedding 0.27]: # Troubleshooting",
        "Q: How long does the battery last on one charge?",
        "A: # Battery and charging",
        "   The Lumen has a 5000 mAh battery.",
        "cited: battery.md #0: # Battery and charging",
        "deleted dataset ",
    ],
}

# Against a "real" server only the default app exists (unless FASTGPT_<NAME>_APP_ID says otherwise)
# and nothing can be scripted, so fewer lines are certain.
EXPECTED_SERVER: dict[str, list[str]] = {
    "sync": ["blocking chat against http://127.0.0.1:", "same chat: True", "node tools"],
    "async_chat": ["async chat against http://127.0.0.1:", "tool calls: ['get_weather']"],
    "streaming": ["streaming against http://127.0.0.1:", "[flowNodeResponse] Dataset Search took 0.52s"],
    "interactive": [
        "-> Order submitted.",
        "-> Ordered 2 for Ada.",
        "select: done, still asking: False",
        "form: done, still asking: False",
    ],
    "history": [
        "chat history against http://127.0.0.1:",
        "liked: ['yes']",
        "chats after deleting one: 1\n",
    ],
    "logs": ["app logs against http://127.0.0.1:", "users=2 chats=3", "3 chat(s) logged"],
    "errors": [
        "AuthenticationError",
        "(scripted with the emulator only)",
        "StreamError: Network connection error",
        "APIConnectionError",
    ],
    "custom_httpx": ["against the server in FASTGPT_BASE_URL", "<- 200 text/event-stream"],
    "chatbot": ["chatbot against http://127.0.0.1:", "2 turn(s) on one chat, 4 records stored"],
    "relay": [
        "relay against http://127.0.0.1:",
        "events: answer ... done",
        "HTTP 401 application/json",
        "(scripted with the emulator only)",
        "events: answer ... error",
    ],
    "export_histories": [],  # a fresh server has no chats, and the export makes none: nothing to write
    "demo": [
        "fastgpt-oapi demo against http://127.0.0.1:",
        "this app did not pause for the user",
        "uploaded pixel.png (70 bytes, image/png)",
        "-> You said: What is in this picture?",
        "stop flag written: True; completed: False",
        "pushed 4 pairs in 2 batches, 4 taken",
        "search: 'How long does the Lumen battery last?'",
    ],
    "knowledge_base": [
        "knowledge base against http://127.0.0.1:",
        "created dataset ",
        "battery.md: trained, 1 index(es)",
        "pushed 5 pair(s) in 3 batches",
        "cited: battery.md #0: # Battery and charging",  # FASTGPT_KNOWLEDGE_APP_ID: the served knowledge app
        "deleted dataset ",
    ],
}


# What the user types, for the examples that read standard input.
INPUT: dict[str, str] = {"chatbot": "Who directed Suzume?\nAnd who wrote the music?\n"}


def run_example(name: str, extra_env: dict[str, str] | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FASTGPT_")}
    env["PYTHONUTF8"] = "1"
    env.update(extra_env or {})
    done = subprocess.run(
        [sys.executable, "-W", "error", "-m", f"examples.{name}"],
        cwd=REPO,
        env=env,
        input=INPUT.get(name, ""),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"examples/{name}.py exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    assert done.stderr == "", done.stderr
    return done.stdout


def assert_lines_in_order(output: str, expected: list[str]) -> None:
    position = 0
    for line in expected:
        found = output.find(line, position)
        assert found >= 0, f"{line!r} missing (in order) from:\n{output}"
        position = found + len(line)


def test_every_example_is_covered() -> None:
    assert set(EXAMPLES) == set(EXPECTED) == set(EXPECTED_SERVER)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_against_the_emulator(name: str) -> None:
    assert_lines_in_order(run_example(name), EXPECTED[name])


@pytest.fixture
def served() -> Iterator[dict[str, str]]:
    """A fresh emulator on loopback HTTP, and the environment that points a "real server" run at it."""
    fake = FakeFastGPT()
    with fake.serve() as base_url:
        env = {"FASTGPT_BASE_URL": base_url, "FASTGPT_API_KEY": fake.api_key, "FASTGPT_APP_ID": fake.app_id}
        for name in ("workflow", "reasoning", "select", "form", "error", "knowledge"):
            env[f"FASTGPT_{name.upper()}_APP_ID"] = fake.apps[name]
        yield env


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_against_a_server(name: str, served: dict[str, str]) -> None:
    assert_lines_in_order(run_example(name, served), EXPECTED_SERVER[name])
