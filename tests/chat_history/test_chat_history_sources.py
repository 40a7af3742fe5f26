"""`ListHistoriesRequest.source` takes FastGPT's ChatSourceEnum values only: each is sent as given, and
any other value (such as "team", which older FastGPT docs show) is refused before anything is sent."""

from __future__ import annotations

from typing import Any, get_args

import httpx
import pytest
from conftest import envelope, make_client
from http_support import Wire, body_of, run

from fastgpt_oapi import RequestValidationError
from fastgpt_oapi.api.chat_history.model import ChatSource, ListHistoriesRequest

# Read from FastGPT's `ChatSourceEnum` (packages/global/core/chat/constants.ts at upstream f88b51b5), not
# from the SDK's Literal, so a value dropped from or added to the Literal fails here.
FASTGPT_SOURCES = [
    "test",
    "online",
    "share",
    "api",
    "cronJob",
    "feishu",
    "official_account",
    "wecom",
    "wechat",
    "mcp",
]


def wire() -> Wire:
    return Wire(lambda request: httpx.Response(200, json=envelope({"list": [], "total": 0})))


def test_the_literal_is_fastgpts_enum() -> None:
    assert list(get_args(ChatSource)) == FASTGPT_SOURCES


@pytest.mark.parametrize("source", FASTGPT_SOURCES)
async def test_every_fastgpt_source_is_sent(io_mode: str, source: str) -> None:
    recorder = wire()
    service = make_client(recorder).chat_history
    request = ListHistoriesRequest.model_validate({"source": source})
    await run(io_mode, lambda: service.list_histories(request), lambda: service.alist_histories(request))
    assert body_of(recorder.last)["source"] == source


@pytest.mark.parametrize("source", ["team", "API", "", "outLink"])
async def test_another_source_is_refused_before_sending(io_mode: str, source: Any) -> None:
    recorder = wire()
    service = make_client(recorder).chat_history

    def build() -> ListHistoriesRequest:
        return ListHistoriesRequest.model_validate({"source": source})

    with pytest.raises(RequestValidationError) as caught:
        await run(io_mode, lambda: service.list_histories(build()), lambda: service.alist_histories(build()))
    assert caught.value.field == "source"
    assert "'api'" in str(caught.value)  # the message lists what FastGPT takes
    assert recorder.requests == []
    with pytest.raises(RequestValidationError, match="source"):
        ListHistoriesRequest.builder().source(source).build()
