"""Shared test helpers: the shipped wire fixtures and clients wired to httpx.MockTransport."""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from fastgpt_oapi import Client, RequestOption
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatCompletionResponse, ChatMessage
from fastgpt_oapi.core.http import Hooks
from fastgpt_oapi.core.model import APIRequest, AppId, FastGPTModel, Route

# Every fixture lives in the repository, so a plain clone runs the suite with nothing beside it.
FIXTURES = Path(__file__).resolve().parent / "fixtures"

API_KEY = "fastgpt-test-secret-key-0123456789"
APP_ID = "66e29b870b24ce35330c0f08"

Handler = Callable[[httpx.Request], httpx.Response]

# The suite's subprocesses (the command line, the examples, the docs build) start ~200 Pythons: each
# reads the bytecode caches, and writes them on the first run, even where the environment says not to
# (`make test` unexports the variable; this covers `.venv/bin/pytest` run by hand). Without caches
# every start compiles rich, pydantic and httpx afresh: twice the CPU.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# The longest tests (seconds each), started first. `make test` runs `-n auto --dist worksteal`: each
# worker takes half the list in order and an idle one takes from the end of the other's, so a long test
# collected last would run alone at the end while the other worker idles. (xdist's default `load` deals
# out consecutive eighths: it would give all of these and the `system` tests to one worker.)
LONGEST_FIRST = (
    "tests/test_docs.py::test_site_builds_strictly",
    "tests/test_bench_smoke.py::",
    "tests/chat/test_chat_stream_fixtures.py::test_any_single_cut_point",
    "tests/reliability/test_leaks.py::test_a_thousand_abandoned_and_failed_streams_leak_nothing",
    "tests/core/test_request_validation.py::test_codegen_check_fails_on_a_stale_or_missing_file",
    "tests/test_recipes.py::test_the_example_pytest_suite_passes",
    "tests/reliability/test_decoder_properties.py::",
    "tests/reliability/test_load.py::",
    "tests/dataset/test_dataset_push_all.py::test_a_million_items",
)


@pytest.hookimpl(trylast=True)  # after the folders' hooks have marked their tests `system`
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first, then the other `system` tests (subprocesses, servers), then the rest:
    the short tests fill the end, so both workers finish together."""

    def rank(item: pytest.Item) -> int:
        for place, prefix in enumerate(LONGEST_FIRST):
            if item.nodeid.startswith(prefix):
                return place
        return len(LONGEST_FIRST) + (0 if item.get_closest_marker("system") else 1)

    items.sort(key=rank)  # stable: each group keeps its collection order


def pytest_collection_finish(session: pytest.Session) -> None:
    """The collected tests, modules and models live for the whole run: moved out of the garbage
    collector's sight, its passes stop walking them again and again (about 1 s of CPU a worker)."""
    gc.freeze()


def fixture_path(name: str) -> Path:
    """A wire fixture from tests/fixtures/."""
    path = FIXTURES / name
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


def fixture_bytes(name: str) -> bytes:
    return fixture_path(name).read_bytes()


def fixture_json(name: str) -> Any:
    return json.loads(fixture_bytes(name))


def make_client(handler: Handler, *, sleeps: list[float] | None = None, **builder: Any) -> Client:
    """A client whose sync and async pools both go through `handler` (a real httpx transport).

    Retry waits are recorded in `sleeps`, never slept."""
    b = (
        Client.builder()
        .base_url("http://fastgpt.test")
        .api_key(API_KEY)
        .app_id(APP_ID)
        .http_client(httpx.Client(transport=httpx.MockTransport(handler)))
        .async_http_client(httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    )
    for name, value in builder.items():
        b = getattr(b, name)(value)
    return b.build(_hooks=sleep_hooks(sleeps))


@pytest.fixture
def recorded() -> list[httpx.Request]:
    """Requests a handler saw, for asserting what went over the wire."""
    return []


# ---- scripted servers and sync/async drivers (core transport tests) ------------------------------

Reply = Callable[[httpx.Request], httpx.Response]


def reply(
    status: int = 200,
    *,
    json_body: Any = None,
    content: bytes | str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """A reply built afresh for every request (an httpx.Response can only be sent once)."""

    def answer(request: httpx.Request) -> httpx.Response:
        if json_body is not None:
            return httpx.Response(status, json=json_body, headers=headers)
        return httpx.Response(status, content=content, headers=headers)

    return answer


def fail(exc_type: type[httpx.TransportError], message: str = "scripted failure") -> Reply:
    """A reply that raises a transport error, as the network would."""

    def answer(request: httpx.Request) -> httpx.Response:
        raise exc_type(message, request=request)

    return answer


class ScriptedServer:
    """An httpx.MockTransport handler answering from a script (the last reply repeats); records requests."""

    def __init__(self, *replies: Reply) -> None:
        assert replies, "a script needs at least one reply"
        self.replies = replies
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.replies[min(len(self.requests), len(self.replies)) - 1](request)


COMPLETION_OK: dict[str, Any] = {
    "id": "kzYq3Xw1N2b8pQm4RtUv5aBc",
    "model": "",
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 1},
    "choices": [{"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop", "index": 0}],
}


def envelope(data: Any = None) -> dict[str, Any]:
    """FastGPT's success envelope around `data`."""
    return {"code": 200, "statusText": "", "message": "", "data": data}


def sleep_hooks(sleeps: list[float] | None = None) -> Hooks:
    """Client hooks that record each retry wait in `sleeps` instead of sleeping (tests never wait)."""
    delays = [] if sleeps is None else sleeps

    async def asleep(seconds: float) -> None:
        delays.append(seconds)

    return Hooks(sleep=delays.append, asleep=asleep)


@pytest.fixture(params=["sync", "async"])
def io_mode(request: pytest.FixtureRequest) -> str:
    """Run a test through the sync shell and through the async one (the suite's only sync/async
    parametrisation; helpers take the value as `mode` and dispatch with `run` / `drain`)."""
    mode: str = request.param
    return mode


class PingResponse(FastGPTModel):
    value: int = 0


class PingRequest(APIRequest[PingResponse]):
    """A GET endpoint of the tests' own, for the READ side of the retry policy: the services' GETs
    (chat init, getResData, getTotalData) may change shape, and these tests should not move with them."""

    route = Route("GET", "/api/test/ping", query=frozenset({"app_id", "n"}))

    app_id: AppId | None = None
    n: int | None = None


def chat_request(**fields: Any) -> ChatCompletionRequest:
    return ChatCompletionRequest(messages=[ChatMessage.user("hi")], **fields)


async def complete(
    client: Client,
    mode: str,
    request: ChatCompletionRequest | None = None,
    option: RequestOption | None = None,
) -> ChatCompletionResponse:
    """A blocking chat completion through the sync or the async shell."""
    request = request if request is not None else chat_request()
    if mode == "sync":
        return client.chat.chat(request, option)
    return await client.chat.achat(request, option)


async def ping(
    client: Client, mode: str, request: PingRequest | None = None, option: RequestOption | None = None
) -> PingResponse:
    """A GET through the client's generic send path, sync or async."""
    request = request if request is not None else PingRequest(n=1)
    if mode == "sync":
        return client._http.request(request, option)
    return await client._http.arequest(request, option)
