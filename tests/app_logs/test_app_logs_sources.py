"""The log filters `ListLogsRequest.sources` and `GetChartDataRequest.source` take FastGPT's
ChatSourceEnum values only: lists of them are sent as given, and any other value (such as "team") is
refused before anything is sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from conftest import envelope, make_client
from http_support import Wire, body_of, run

from fastgpt_oapi import Client, RequestValidationError
from fastgpt_oapi.api.app_logs.model import GetChartDataRequest, ListLogsRequest

# FastGPT's `ChatSourceEnum` (packages/global/core/chat/constants.ts at upstream f88b51b5).
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
DATES = {"date_start": "2025-09-01T00:00:00Z", "date_end": "2025-09-30T00:00:00Z"}


def wire() -> Wire:
    return Wire(lambda request: httpx.Response(200, json=envelope({"list": [], "total": 0})))


async def _list_logs(client: Client, mode: str, filters: Any) -> None:
    service = client.app_logs

    def build() -> ListLogsRequest:
        return ListLogsRequest.model_validate({**DATES, "sources": filters})

    await run(mode, lambda: service.list_logs(build()), lambda: service.alist_logs(build()))


async def _chart_data(client: Client, mode: str, filters: Any) -> None:
    service = client.app_logs

    def build() -> GetChartDataRequest:
        return GetChartDataRequest.model_validate({**DATES, "source": filters})

    await run(mode, lambda: service.get_chart_data(build()), lambda: service.aget_chart_data(build()))


CALLS: list[tuple[Callable[[Client, str, Any], Any], str, str]] = [
    (_list_logs, "sources", "sources"),
    (_chart_data, "source", "source"),
]


@pytest.mark.parametrize(("call", "field", "wire_name"), CALLS, ids=["list_logs", "get_chart_data"])
async def test_fastgpt_sources_are_sent(io_mode: str, call: Any, field: str, wire_name: str) -> None:
    recorder = wire()
    await call(make_client(recorder), io_mode, FASTGPT_SOURCES)
    assert body_of(recorder.last)[wire_name] == FASTGPT_SOURCES


@pytest.mark.parametrize(("call", "field", "wire_name"), CALLS, ids=["list_logs", "get_chart_data"])
@pytest.mark.parametrize("filters", [["team"], ["api", "team"], ["Api"]])
async def test_another_source_is_refused_before_sending(
    io_mode: str, call: Any, field: str, wire_name: str, filters: list[str]
) -> None:
    recorder = wire()
    with pytest.raises(RequestValidationError) as caught:
        await call(make_client(recorder), io_mode, filters)
    assert caught.value.field == field
    assert f".{field}.{len(filters) - 1}:" in str(caught.value)  # names the bad entry
    assert recorder.requests == []
