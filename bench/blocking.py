"""2. Blocking call overhead: sequential small completions over loopback against the emulator.

Contenders, one keep-alive connection each, against the same server process:

- fastgpt-oapi: `client.chat.chat(ChatCompletionRequest(...))`, a typed `ChatCompletionResponse`.
- raw: `httpx.Client.post(url, json=body)`, `raise_for_status()`, `response.json()`, with the same body
  fields (app id, chat id and record id, stream and messages), so the server does the same work.

The server answers with a one-chunk app, so its own cost is small, and it is the same for both; it
runs in its own process. Wall time per call is the target; the client's CPU per call (time.process_time
in this process) shows the SDK's own share without the server's.
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable

import httpx

from fastgpt_oapi import Client
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage

from .harness import Row, at_most, interleave, median_ratio, served, times
from .workloads import APP_IDS, CHAT_PATH, CHAT_VERSION

__all__ = ["run"]

QUESTION = "ping"


def _timed(call: Callable[[], str], calls: int) -> Callable[[], tuple[float, float]]:
    def measure() -> tuple[float, float]:
        cpu, started = time.process_time(), time.perf_counter()
        for _ in range(calls):
            if call() != "ok":
                raise AssertionError("unexpected answer")
        return (time.perf_counter() - started) / calls, (time.process_time() - cpu) / calls

    return measure


def run(calls: int = 2_000, rounds: int = 20) -> list[Row]:
    per_round = max(1, calls // rounds)
    app_id = APP_IDS["small"]
    with served() as server:
        sdk = (
            Client.builder()
            .base_url(server.base_url)
            .api_key(server.api_key)
            .app_id(app_id)
            .completions_version(CHAT_VERSION)
            .build()
        )
        raw = httpx.Client()
        url = server.base_url + CHAT_PATH
        headers = {"Authorization": f"Bearer {server.api_key}"}

        def sdk_call() -> str:
            return sdk.chat.chat(ChatCompletionRequest(messages=[ChatMessage.user(QUESTION)])).answer

        def raw_call() -> str:
            body = {
                "appId": app_id,
                "chatId": secrets.token_hex(12),
                "responseChatItemId": secrets.token_hex(12),
                "stream": False,
                "messages": [{"role": "user", "content": QUESTION}],
            }
            response = raw.post(url, json=body, headers=headers)
            response.raise_for_status()
            content: str = response.json()["choices"][0]["message"]["content"]
            return content

        timers = {"fastgpt-oapi": _timed(sdk_call, per_round), "raw": _timed(raw_call, per_round)}
        cpu: dict[str, list[float]] = {name: [] for name in timers}

        def wall(name: str) -> Callable[[], float]:
            def measure() -> float:
                seconds, cpu_seconds = timers[name]()
                cpu[name].append(cpu_seconds)
                return seconds

            return measure

        try:
            results = interleave([(name, wall(name)) for name in timers], rounds)
        finally:
            sdk.close()
            raw.close()
    for name in cpu:
        del cpu[name][: len(cpu[name]) - rounds]  # drop the warm-up
    ours, theirs = results["fastgpt-oapi"], results["raw"]
    ratio = median_ratio(ours, theirs)
    cpu_ratio = median_ratio(cpu["fastgpt-oapi"], cpu["raw"])
    label = f"blocking call, {per_round * rounds} sequential over loopback"
    return [
        Row(
            "2",
            label,
            f"{statistics.median(ours) * 1e6:.0f} us/call",
            "raw httpx post + json",
            f"{statistics.median(theirs) * 1e6:.0f} us/call",
            times(ratio, 1.15),
            "<= 1.15x",
            at_most(ratio, 1.15),
        ),
        Row(
            "2",
            "  the same, client CPU only",
            f"{statistics.median(cpu['fastgpt-oapi']) * 1e6:.0f} us/call",
            "raw httpx post + json",
            f"{statistics.median(cpu['raw']) * 1e6:.0f} us/call",
            times(cpu_ratio),
            result="info",
        ),
    ]
