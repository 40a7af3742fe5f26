"""Escape hatches for what this SDK has not modelled yet: `RequestOption(extra_body=, extra_query=)`
and `client.<service>.with_raw_response.<method>(...)`."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import envelope, fixture_json, make_client
from http_support import Wire, body_of, query_of, run

from fastgpt_oapi import NotFoundError, RequestOption, RequestValidationError
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatCompletionResponse, ChatMessage
from fastgpt_oapi.api.chat_history.model import (
    GetChatInitRequest,
    ListHistoriesRequest,
    ListHistoriesResponse,
    UpdateHistoryRequest,
)
from fastgpt_oapi.core.http import RawResponse
from fastgpt_oapi.core.model import ResponseModel
from fastgpt_oapi.testing import FakeFastGPT

ROOT = Path(__file__).resolve().parents[2]


def answering(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Wire:
    return Wire(lambda request: httpx.Response(status, json=body, headers=headers))


# ---- extra_body / extra_query --------------------------------------------------------------------


async def test_extra_body_and_extra_query_go_out_as_given_over_the_request(io_mode: str) -> None:
    wire = answering(envelope({"list": [], "total": 0}))
    client = make_client(wire)
    option = RequestOption(
        extra_body={"sourceType": "app", "pageSize": 50, "nested": {"a": [1, None]}},
        extra_query={"trace": "on"},
    )
    request = ListHistoriesRequest(page_size=10)
    await run(
        io_mode,
        lambda: client.chat_history.list_histories(request, option),
        lambda: client.chat_history.alist_histories(request, option),
    )
    body = body_of(wire.last)
    assert body["sourceType"] == "app"
    assert body["pageSize"] == 50  # the option has the last word
    assert body["nested"] == {"a": [1, None]}
    assert query_of(wire.last) == {"trace": "on"}


async def test_extra_query_reaches_a_get_and_extra_body_on_a_get_is_refused_before_sending(
    io_mode: str,
) -> None:
    wire = answering(fixture_json("chat_init.json"))
    client = make_client(wire)
    request = GetChatInitRequest(chat_id="c1")
    option = RequestOption(extra_query={"loadCustomFeedbacks": "true", "limit": 3})
    await run(
        io_mode,
        lambda: client.chat_history.get_chat_init(request, option),
        lambda: client.chat_history.aget_chat_init(request, option),
    )
    assert query_of(wire.last)["loadCustomFeedbacks"] == "true"
    assert query_of(wire.last)["limit"] == "3"
    sent = len(wire.requests)
    bad = RequestOption(extra_body={"x": 1})
    with pytest.raises(RequestValidationError, match="extra_query") as caught:
        await run(
            io_mode,
            lambda: client.chat_history.get_chat_init(request, bad),
            lambda: client.chat_history.aget_chat_init(request, bad),
        )
    assert caught.value.field == "extra_body"
    assert len(wire.requests) == sent


async def test_extra_body_reaches_a_completion_beside_the_ids_the_sdk_sets(io_mode: str) -> None:
    fake = FakeFastGPT()
    client = fake.client()
    request = ChatCompletionRequest(messages=[ChatMessage.user("hi")])
    option = RequestOption(extra_body={"showNodeStatus": False})
    result = await run(
        io_mode, lambda: client.chat.chat(request, option), lambda: client.chat.achat(request, option)
    )
    sent = fake.requests[-1].body
    assert sent["showNodeStatus"] is False
    assert sent["chatId"] == result.id


def test_extra_body_that_is_not_json_is_refused_naming_the_field() -> None:
    wire = answering(envelope(None))
    client = make_client(wire)
    with pytest.raises(RequestValidationError, match="when"):
        client.chat_history.update_history(
            UpdateHistoryRequest(chat_id="c1", title="t"), RequestOption(extra_body={"when": object()})
        )
    assert wire.requests == []


# ---- with_raw_response ---------------------------------------------------------------------------


async def test_a_raw_response_gives_status_headers_the_http_response_and_the_usual_model(
    io_mode: str,
) -> None:
    wire = answering(fixture_json("histories.json"), headers={"x-request-id": "req-7", "x-ratelimit": "9"})
    client = make_client(wire)
    raw_view = client.chat_history.with_raw_response
    raw = await run(
        io_mode,
        lambda: raw_view.list_histories(ListHistoriesRequest()),
        lambda: raw_view.alist_histories(ListHistoriesRequest()),
    )
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.headers["x-ratelimit"] == "9"
    assert isinstance(raw.http_response, httpx.Response)
    assert raw.http_response.json()["data"]["total"] == 2
    parsed = raw.parse()
    assert isinstance(parsed, ListHistoriesResponse)
    assert parsed == client.chat_history.list_histories(ListHistoriesRequest())
    assert raw.parse() is parsed  # parsed once
    assert repr(raw) == "<RawResponse [200] POST /api/core/chat/history/getHistories>"


async def test_a_raw_completion_parses_with_the_ids_the_sdk_sent(io_mode: str) -> None:
    fake = FakeFastGPT()
    client = fake.client()
    request = ChatCompletionRequest(messages=[ChatMessage.user("hi")], chat_id="c-raw")
    raw = await run(
        io_mode,
        lambda: client.chat.with_raw_response.chat(request),
        lambda: client.chat.with_raw_response.achat(request),
    )
    parsed = raw.parse()
    assert isinstance(parsed, ChatCompletionResponse)
    assert parsed.id == "c-raw"
    assert parsed.data_id == fake.requests[-1].body["responseChatItemId"]
    assert len(fake.requests) == 1  # parse() sends nothing


async def test_a_raw_call_raises_on_an_error_status_and_parse_raises_on_an_error_envelope(
    io_mode: str,
) -> None:
    refused = answering({"code": 404, "statusText": "appUnExist", "message": "app not found"}, status=404)
    client = make_client(refused)
    raw_view = client.chat_history.with_raw_response
    with pytest.raises(NotFoundError):
        await run(
            io_mode,
            lambda: raw_view.list_histories(ListHistoriesRequest()),
            lambda: raw_view.alist_histories(ListHistoriesRequest()),
        )
    in_200 = answering({"code": 404, "statusText": "appUnExist", "message": "app not found", "data": None})
    raw = make_client(in_200).chat_history.with_raw_response.list_histories(ListHistoriesRequest())
    assert raw.status_code == 200
    with pytest.raises(NotFoundError):
        raw.parse()


def test_the_raw_view_shares_the_client_and_leaves_the_service_as_it_was() -> None:
    fake = FakeFastGPT()
    client = fake.client()
    view = client.chat_history.with_raw_response
    assert client.chat_history.with_raw_response is view
    view.list_histories(ListHistoriesRequest())
    assert isinstance(client.chat_history.list_histories(ListHistoriesRequest()), ListHistoriesResponse)


SERVICES = ("chat", "chat_history", "app_logs", "dataset", "ai_model")


@pytest.mark.parametrize("area", SERVICES)
def test_every_method_that_returns_one_answer_has_a_raw_twin_with_its_parameters(area: str) -> None:
    client = FakeFastGPT().client()
    service = getattr(client, area)
    view = service.with_raw_response
    public = [n for n, m in inspect.getmembers(type(service), inspect.isfunction) if not n.startswith("_")]
    raw_names = {n for n, _ in inspect.getmembers(type(view), inspect.isfunction) if not n.startswith("_")}
    for name in public:
        method = getattr(type(service), name)
        returned = inspect.signature(method, eval_str=True).return_annotation
        single = isinstance(returned, type) and issubclass(returned, ResponseModel)
        if name in raw_names:
            assert single, name
            raw = getattr(type(view), name)
            assert list(inspect.signature(raw).parameters) == list(inspect.signature(method).parameters)
    # Those left out send several requests (a walk, an upload, a wait), or none of their own.
    left_out = {
        n
        for n in public
        if n not in raw_names
        and isinstance(
            r := inspect.signature(getattr(type(service), n), eval_str=True).return_annotation, type
        )
        and issubclass(r, ResponseModel)
    }
    for name in left_out:
        body = inspect.getsource(getattr(type(service), name))
        sends = sum(body.count(f"self._http.{verb}(") for verb in ("request", "arequest", "send", "asend"))
        assert sends != 1 or "for " in body or "while " in body, name
