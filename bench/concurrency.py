"""3. Concurrency: hundreds of `achat_stream` calls at once over loopback on one client.

Contenders, each with one client for the whole run, its pool allowing as many connections as there
are streams (the default 100 would queue the rest in the pool):

- fastgpt-oapi: `client.chat.achat_stream(request)` with `detail=True`, typed events.
- raw: `httpx.AsyncClient.stream(...)`, `aiter_lines()`, `json.loads` of each `data:` line.

Every stream must be read to its end (all complete, the same answer); the figure is throughput in
streams per second. The server (the emulator, in its own process) sends the same detail stream to
both (114 events, 19 KB: 100 answer chunks plus node, tool and flow events); how busy it was is shown
too, since a saturated server would hide the client's cost.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx

from fastgpt_oapi import Client
from fastgpt_oapi.api.chat.model import AnswerEvent, ChatCompletionRequest, ChatMessage, FastAnswerEvent

from .harness import Row, at_least, cpu_seconds, interleave, median_ratio, served, times
from .workloads import APP_IDS, CHAT_PATH, CHAT_VERSION

__all__ = ["run"]

QUESTION = "上海天气"


def run(streams: int = 500, rounds: int = 5) -> list[Row]:
    app_id = APP_IDS["concurrency"]
    loop = asyncio.new_event_loop()
    with served() as server:
        sdk = (
            Client.builder()
            .base_url(server.base_url)
            .api_key(server.api_key)
            .app_id(app_id)
            .max_connections(streams)
            .completions_version(CHAT_VERSION)
            .build()
        )
        raw = httpx.AsyncClient(limits=httpx.Limits(max_connections=streams))
        url = server.base_url + CHAT_PATH
        headers = {"Authorization": f"Bearer {server.api_key}", "Accept": "text/event-stream"}

        async def sdk_stream() -> int:
            chars = 0
            request = ChatCompletionRequest(messages=[ChatMessage.user(QUESTION)], detail=True)
            async for event in sdk.chat.achat_stream(request):
                if isinstance(event, (AnswerEvent, FastAnswerEvent)):
                    chars += len(event.text)
            return chars

        async def raw_stream() -> int:
            chars = 0
            body = {
                "appId": app_id,
                "chatId": secrets.token_hex(12),
                "responseChatItemId": secrets.token_hex(12),
                "stream": True,
                "detail": True,
                "messages": [{"role": "user", "content": QUESTION}],
            }
            async with raw.stream("POST", url, json=body, headers=headers) as response:
                response.raise_for_status()
                name = None
                async for line in response.aiter_lines():
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: "):
                        data = line[6:]
                        if data != "[DONE]":
                            payload = json.loads(data)
                            if name in (None, "answer", "fastAnswer") and payload["choices"]:
                                chars += len(payload["choices"][0]["delta"].get("content") or "")
                        name = None
            return chars

        client_cpu: dict[str, list[float]] = {"fastgpt-oapi": [], "raw": []}
        server_busy: dict[str, list[float]] = {"fastgpt-oapi": [], "raw": []}

        def throughput(name: str, one: Callable[[], Awaitable[int]]) -> Callable[[], float]:
            async def all_at_once() -> list[int]:
                return await asyncio.gather(*(one() for _ in range(streams)))

            def measure() -> float:
                server_before = cpu_seconds(server.pid)
                cpu, started = time.process_time(), time.perf_counter()
                answers = loop.run_until_complete(all_at_once())
                elapsed = time.perf_counter() - started
                client_cpu[name].append((time.process_time() - cpu) / streams)
                server_after = cpu_seconds(server.pid)
                if server_before is not None and server_after is not None:
                    server_busy[name].append((server_after - server_before) / elapsed)
                if len(answers) != streams or len(set(answers)) != 1 or not answers[0]:
                    raise AssertionError(f"{name}: not every stream completed with the whole answer")
                return streams / elapsed

            return measure

        try:
            results = interleave(
                [
                    ("fastgpt-oapi", throughput("fastgpt-oapi", sdk_stream)),
                    ("raw", throughput("raw", raw_stream)),
                ],
                rounds,
            )
        finally:
            loop.run_until_complete(sdk.aclose())
            loop.run_until_complete(raw.aclose())
            loop.close()
    for series in (*client_cpu.values(), *server_busy.values()):
        del series[: len(series) - rounds]  # drop the warm-up
    ours, theirs = results["fastgpt-oapi"], results["raw"]
    ratio = median_ratio(ours, theirs)
    rows = [
        Row(
            "3",
            f"{streams} concurrent streams, one client",
            f"{statistics.median(ours):.0f} streams/s",
            "raw httpx.AsyncClient + json",
            f"{statistics.median(theirs):.0f} streams/s",
            times(ratio, 0.8),
            ">= 0.80x",
            at_least(ratio, 0.8),
        ),
        Row(
            "3",
            "  the same, client CPU per stream",
            f"{statistics.median(client_cpu['fastgpt-oapi']) * 1e3:.2f} ms",
            "raw httpx.AsyncClient + json",
            f"{statistics.median(client_cpu['raw']) * 1e3:.2f} ms",
            f"{median_ratio(client_cpu['fastgpt-oapi'], client_cpu['raw']):.2f}x",
            result="info",
        ),
    ]
    if server_busy["raw"]:
        rows.append(
            Row(
                "3",
                "  server process busy (1.00 = one core)",
                f"{statistics.median(server_busy['fastgpt-oapi']):.2f}",
                "raw httpx.AsyncClient + json",
                f"{statistics.median(server_busy['raw']):.2f}",
                result="info",
            )
        )
    return rows
