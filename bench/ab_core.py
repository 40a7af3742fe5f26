"""The SDK's own CPU per blocking call and per decoded event, in process (an httpx MockTransport, no
network): `python bench/ab_core.py LABEL`, run from a checkout, prints the minimum of 7 rounds of each.

For comparing two commits on a busy machine: run it in each checkout, interleaved, several times. The
minimum of several rounds is what the machine's other load leaves alone; `make bench`'s rows compare
the SDK with other contenders in one run, this compares the SDK with itself.
"""

from __future__ import annotations

import json
import sys
import time

import httpx

from fastgpt_oapi import Client
from fastgpt_oapi.api.chat.stream import ChatStreamDecoder
from fastgpt_oapi.api.chat_history.model import ListHistoriesRequest

APP_ID = "66e29b870b24ce35330c0f08"
ITEM = {"updateTime": "2026-07-30T03:29:05.779Z", "appId": APP_ID, "title": "t", "top": False}
BODY = json.dumps(
    {
        "code": 200,
        "statusText": "",
        "message": "",
        "data": {"list": [{"chatId": f"c{i}", **ITEM} for i in range(5)], "total": 5},
    }
).encode()
EVENTS = 2000
CHUNK = b"".join(
    b'event: answer\ndata: {"id":"","object":"","created":0,"model":"","choices":[{"delta":'
    b'{"role":"assistant","content":"hi %d"},"index":0,"finish_reason":null}]}\n\n' % i
    for i in range(EVENTS)
)


def answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})


CLIENT = (
    Client.builder()
    .base_url("http://x")
    .api_key("fastgpt-k")
    .app_id(APP_ID)
    .transport(httpx.MockTransport(answer))
    .build()
)
REQUEST = ListHistoriesRequest()


def blocking(calls: int = 2000) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        CLIENT.chat_history.list_histories(REQUEST)
    return (time.perf_counter() - started) / calls * 1e6


def decode() -> float:
    decoder = ChatStreamDecoder("c", "d")
    started = time.perf_counter()
    for at in range(0, len(CHUNK), 4096):
        list(decoder.feed(CHUNK[at : at + 4096]))
    return (time.perf_counter() - started) / EVENTS * 1e6


def main() -> None:
    blocking(200)  # warm up
    decode()
    call = min(blocking() for _ in range(7))
    event = min(decode() for _ in range(7))
    print(
        f"{sys.argv[1] if len(sys.argv) > 1 else ''} blocking {call:.1f} us/call, decode {event:.2f} us/event"
    )


if __name__ == "__main__":
    main()
