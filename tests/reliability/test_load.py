"""Load: 200 concurrent async streams against the emulator's HTTP server (`FakeFastGPT().serve()`),
with faults mixed in: scripted 429s and 503s (retried), 500s and a proxy's HTML 502s (not retried on a
completion), an app whose workflow fails mid-stream, and requests with a wrong key.

Every stream that succeeds has its whole answer (and the emulator stored it); every failure is a typed
`FastGPTError` of a class that fits its cause; the app ran at most once per completion.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass

from fastgpt_oapi import (
    AuthenticationError,
    Client,
    FastGPTError,
    InternalServerError,
    RateLimitError,
    RequestOption,
    StreamError,
)
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.api.chat_history.model import ListRecordsRequest
from fastgpt_oapi.testing import FakeFastGPT, RunContext, Turn
from fastgpt_oapi.testing.apps import echo_app

from ._support import FIGURES
from .fault_server import COMPLETIONS

STREAMS = 200
COUNTED_APP = "77e29b870b24ce35330c0f01"
HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
RATE_LIMITED = {"code": 429, "statusText": "tooManyRequest", "message": "Too many requests", "data": None}
CRASHED = {"code": 500, "statusText": "", "message": "workflow crashed", "data": None}


@dataclass
class Plan:
    index: int
    kind: str  # "echo", "error-app" or "wrong-key"
    question: str

    @property
    def expected(self) -> str:
        return f"You said: {self.question}"  # what the echo app answers


def plans() -> list[Plan]:
    out = []
    for i in range(STREAMS):
        kind = "error-app" if i % 10 == 3 else "wrong-key" if i % 10 == 7 else "echo"
        out.append(Plan(i, kind, f"第{i}个问题：天气如何？ ü/{i}?#&"))
    return out


def script_faults(fake: FakeFastGPT) -> int:
    """Scripted failures, interleaved so that they land all over the run; returns how many."""
    count = 0
    for i in range(60):
        kind = i % 4
        if kind == 0:
            fake.fail_next(429, RATE_LIMITED, headers={"retry-after": "0"}, path=COMPLETIONS)
        elif kind == 1:
            fake.fail_next(
                503, "busy", headers={"retry-after": "0", "content-type": "text/plain"}, path=COMPLETIONS
            )
        elif kind == 2:
            fake.fail_next(500, CRASHED, path=COMPLETIONS)
        else:
            fake.fail_next(502, HTML_502, headers={"content-type": "text/html"}, path=COMPLETIONS)
        count += 1
    return count


async def run(client: Client, plan: Plan, app_ids: dict[str, str]) -> tuple[Plan, object]:
    app_id = app_ids["error"] if plan.kind == "error-app" else COUNTED_APP
    request = ChatCompletionRequest(messages=[ChatMessage.user(plan.question)], app_id=app_id, detail=True)
    option = RequestOption(api_key="fastgpt-wrong-key") if plan.kind == "wrong-key" else None
    try:
        async with client.chat.achat_stream(request, option) as stream:
            return plan, await stream.get_final_response()
    except Exception as exc:
        return plan, exc


async def test_200_concurrent_streams_with_faults_mixed_in() -> None:
    fake = FakeFastGPT()
    runs: Counter[str] = Counter()  # data id -> times the workflow ran

    def counted(ctx: RunContext) -> Turn:
        runs[ctx.data_id] += 1
        return echo_app(ctx)

    fake.register_app(COUNTED_APP, counted, "counted")
    scripted = script_faults(fake)
    all_plans = plans()
    started = time.monotonic()
    with fake.serve() as base_url:
        client = (
            Client.builder()
            .base_url(base_url)
            .api_key(fake.api_key)
            .max_connections(STREAMS)
            .max_keepalive_connections(STREAMS)
            .timeout(30.0)
            .max_retries(2)
            .build()
        )
        async with client:
            outcomes = await asyncio.gather(*(run(client, plan, fake.apps) for plan in all_plans))
            elapsed = time.monotonic() - started
            succeeded = [(plan, result) for plan, result in outcomes if not isinstance(result, BaseException)]
            # what succeeded was stored whole: ask the emulator for a sample of the chats
            for plan, result in succeeded[:: max(1, len(succeeded) // 10)]:
                chat_id = getattr(result, "chat_id", "")
                page = await client.chat_history.alist_records(
                    ListRecordsRequest(app_id=COUNTED_APP, chat_id=chat_id)
                )
                assert [r.text for r in page.list if r.is_ai] == [plan.expected]

    classes: Counter[str] = Counter()
    for plan, result in outcomes:
        if isinstance(result, BaseException):
            assert isinstance(result, FastGPTError), f"untyped failure: {result!r}"
            allowed: tuple[type[FastGPTError], ...] = (RateLimitError, InternalServerError)
            if plan.kind == "error-app":
                allowed += (StreamError,)
            elif plan.kind == "wrong-key":
                allowed += (AuthenticationError,)
            assert isinstance(result, allowed), f"{plan.kind}: {result!r}"
            classes[type(result).__name__] += 1
        else:
            assert plan.kind == "echo", f"a {plan.kind} stream cannot succeed"
            assert getattr(result, "answer", None) == plan.expected  # the full text, nothing lost
            classes["succeeded"] += 1

    twice = sum(1 for times in runs.values() if times > 1)
    assert twice == 0
    assert sum(runs.values()) == classes["succeeded"]  # every run of the workflow reached its caller
    requests = fake.count(COMPLETIONS)
    assert STREAMS <= requests <= STREAMS + scripted  # retries only ever follow a scripted 429 / 503
    # the mix really happened
    assert classes["succeeded"] >= STREAMS // 2
    assert classes["StreamError"] > 0
    assert classes["AuthenticationError"] > 0
    assert classes["InternalServerError"] > 0
    assert requests > STREAMS  # some 429 / 503 were retried

    FIGURES.count("load: concurrent streams", STREAMS)
    FIGURES.count("load: streams succeeded with their full text", classes["succeeded"])
    FIGURES.count("load: streams failed, typed", STREAMS - classes["succeeded"])
    FIGURES.count("load: streams failed, untyped", 0)
    FIGURES.count("load: completion requests (retries included)", requests)
    FIGURES.count("load: completions run twice", twice)
    FIGURES.peak("load: seconds for 200 concurrent streams", elapsed)
