"""Known events with malformed data degrade to UnknownEvent; they never raise a non-SDK exception."""

from __future__ import annotations

import httpx
import pytest

from fastgpt_oapi import Client
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage, DoneEvent, UnknownEvent

# Found by the reliability suite's fuzzer: a list where the interactive `type` string belongs made
# the wrapper unwrapping hash it and raise TypeError.
MALFORMED = [
    b'event: interactive\ndata: {"type":[]}\n\n',
    b'event: interactive\ndata: {"interactive":{"type":[],"params":{}}}\n\n',
    b'event: interactive\ndata: {"interactive":{"type":{"a":1},"params":{"childrenResponse":{}}}}\n\n',
    b'event: interactive\ndata: {"interactive":{"type":"childrenInteractive","params":[]}}\n\n',
]


@pytest.mark.parametrize("payload", MALFORMED)
def test_malformed_interactive_becomes_unknown_event(payload: bytes) -> None:
    body = payload + b"event: answer\ndata: [DONE]\n\n"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    with Client.builder().api_key("fastgpt-k").transport(httpx.MockTransport(handler)).build() as client:
        events = list(client.chat.chat_stream(ChatCompletionRequest(messages=[ChatMessage.user("x")])))
    assert isinstance(events[-1], DoneEvent)
    first = events[0]
    if isinstance(first, UnknownEvent):
        assert first.event == "interactive"
        assert first.error is not None
    else:  # a wrapper with no usable child is kept as the (unknown-kind) interaction itself
        assert first.event == "interactive"
