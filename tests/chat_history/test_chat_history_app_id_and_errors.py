"""The app id of chat_history calls (optional since app keys), and FastGPT's error envelopes, on every endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from conftest import APP_ID, fixture_json, make_client
from http_support import Wire, body_of, query_of

from fastgpt_oapi import (
    AuthenticationError,
    Client,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
)
from fastgpt_oapi.api.chat_history.model import (
    BatchDeleteHistoriesRequest,
    ClearHistoriesRequest,
    CreateQuestionGuideRequest,
    DeleteHistoryRequest,
    DeleteRecordRequest,
    DeleteRecordsRequest,
    GetChatInitRequest,
    GetCollectionQuoteRequest,
    GetHistoryStatusRequest,
    GetQuoteRequest,
    GetRecordDetailRequest,
    ListHistoriesRequest,
    ListRecordsRequest,
    ListRecordsV2Request,
    MarkReadRequest,
    UpdateFeedbackRequest,
    UpdateHistoryRequest,
)

# method name -> a valid request without an app id
ENDPOINTS: dict[str, Callable[[], Any]] = {
    "list_histories": lambda: ListHistoriesRequest(),
    "update_history": lambda: UpdateHistoryRequest(chat_id="c1", top=True),
    "delete_history": lambda: DeleteHistoryRequest(chat_id="c1"),
    "clear_histories": lambda: ClearHistoriesRequest(),
    "get_chat_init": lambda: GetChatInitRequest(chat_id="c1"),
    "list_records": lambda: ListRecordsRequest(chat_id="c1"),
    "get_record_detail": lambda: GetRecordDetailRequest(chat_id="c1", data_id="d1"),
    "delete_record": lambda: DeleteRecordRequest(chat_id="c1", data_id="d1"),
    "update_feedback": lambda: UpdateFeedbackRequest.like("c1", "d1"),
    "create_question_guide": lambda: CreateQuestionGuideRequest(chat_id="c1"),
    "get_history_status": lambda: GetHistoryStatusRequest(chat_ids=["c1", "c2"]),
    "mark_read": lambda: MarkReadRequest(chat_id="c1"),
    "batch_delete_histories": lambda: BatchDeleteHistoriesRequest(chat_ids=["c1", "c2"]),
    "delete_records": lambda: DeleteRecordsRequest(chat_id="c1", data_ids=["d1", "d2"]),
    "list_records_v2": lambda: ListRecordsV2Request(chat_id="c1"),
    "get_quote": lambda: GetQuoteRequest(
        chat_id="c1", chat_item_data_id="d1", dataset_data_id_list=["q1"], collection_id_list=["k1"]
    ),
    "get_collection_quote": lambda: GetCollectionQuoteRequest(
        chat_id="c1", chat_item_data_id="d1", collection_id="653279b16cd42ab509e766e8", anchor=0
    ),
}
ITERATORS: dict[str, Callable[[], Any]] = {
    "iter_histories": lambda: ListHistoriesRequest(),
    "iter_records": lambda: ListRecordsRequest(chat_id="c1"),
    "iter_records_v2": lambda: ListRecordsV2Request(chat_id="c1"),
}


async def call(client: Client, mode: str, method: str, request: Any) -> Any:
    service = client.chat_history
    if method.startswith("iter_"):
        if mode == "sync":
            return list(getattr(service, method)(request))
        return [item async for item in getattr(service, "a" + method)(request)]
    if mode == "sync":
        return getattr(service, method)(request)
    return await getattr(service, "a" + method)(request)


def refuse_everything(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing should have been sent, got {request.method} {request.url}")


@pytest.mark.parametrize("method", [*ENDPOINTS, *ITERATORS])
async def test_no_app_id_anywhere_sends_none(io_mode: str, method: str) -> None:
    # FastGPT 4.18 app keys are bound to one app: a request without an app id is sent as it is.
    wire = Wire(lambda request: httpx.Response(200, json={"code": 200, "message": "", "data": {}}))
    client = make_client(wire, app_id=None)

    await call(client, io_mode, method, {**ENDPOINTS, **ITERATORS}[method]())

    (sent,) = wire.requests
    assert "appId" not in sent.url.params
    assert b'"appId"' not in sent.content


@pytest.mark.parametrize("method", [*ENDPOINTS, *ITERATORS])
async def test_a_personal_key_refused_for_no_app_id_is_told_to_set_it(io_mode: str, method: str) -> None:
    # What FastGPT's chat auth answers a personal key that names no app (authChatCrud: unAuthChat).
    wire = Wire(lambda request: httpx.Response(500, json=UN_AUTH_CHAT))
    client = make_client(wire, app_id=None, max_retries=0)

    with pytest.raises(PermissionDeniedError) as caught:
        await call(client, io_mode, method, {**ENDPOINTS, **ITERATORS}[method]())

    assert "Set app_id" in str(caught.value)
    assert caught.value.hint is not None
    assert caught.value.message == UN_AUTH_CHAT["message"]  # FastGPT's own text, kept


async def test_an_unauth_chat_for_a_request_that_named_its_app_has_no_app_id_hint(io_mode: str) -> None:
    wire = Wire(lambda request: httpx.Response(500, json=UN_AUTH_CHAT))
    client = make_client(wire, max_retries=0)

    with pytest.raises(PermissionDeniedError) as caught:
        await call(client, io_mode, "get_chat_init", ENDPOINTS["get_chat_init"]())

    assert caught.value.hint is None
    assert "app_id" not in str(caught.value)


@pytest.mark.parametrize(
    "model", [ListHistoriesRequest, DeleteRecordRequest, CreateQuestionGuideRequest, MarkReadRequest]
)
def test_malformed_app_id_is_refused_by_the_request(model: type[Any]) -> None:
    builder = model.builder().app_id("not-an-app-id")
    for name in ("chat_id", "data_id"):
        if name in model.model_fields:
            builder = getattr(builder, name)("x1")
    with pytest.raises(RequestValidationError, match="app_id") as caught:
        builder.build()
    assert caught.value.field == "app_id"
    with pytest.raises(ValueError, match="app_id"):
        model(app_id="66e29b870b24ce35330c0f0")  # 23 hex digits


def test_malformed_client_app_id_is_refused_before_sending() -> None:
    wire = Wire(refuse_everything)
    with pytest.raises(RequestValidationError, match="app_id"):
        make_client(wire, app_id="my-app")
    assert wire.requests == []


@pytest.mark.parametrize("method", [*ENDPOINTS, *ITERATORS])
async def test_the_request_app_id_wins_over_the_client_default(io_mode: str, method: str) -> None:
    other = "0123456789abcdef01234567"
    # `{}` fits every response type of this service: all their fields have defaults.
    wire = Wire(lambda request: httpx.Response(200, json={"code": 200, "message": "", "data": {}}))
    request = {**ENDPOINTS, **ITERATORS}[method]()
    request.app_id = other

    await call(make_client(wire), io_mode, method, request)

    (sent,) = wire.requests
    if sent.content:  # a body (POST, or DELETE record/delete with contentIds) carries it
        assert body_of(sent)["appId"] == other
        assert "appId" not in sent.url.params
    else:
        assert query_of(sent)["appId"] == other
        assert body_of(sent) is None
    assert APP_ID.encode() not in sent.content
    assert APP_ID not in str(sent.url)


UN_AUTH_CHAT = {
    "code": 504000,
    "statusText": "unAuthChat",
    "message": "common:code_error.chat_error.un_auth",
    "data": None,
}
APP_GONE = {
    "code": 502000,
    "statusText": "appUnExist",
    "message": "common:code_error.app_error.not_exist",
    "data": None,
}

ERROR_CASES = [
    pytest.param(
        200, fixture_json("error_envelope_rate_limit.json"), RateLimitError, 429, id="rate-limit-at-200"
    ),
    pytest.param(
        500,
        fixture_json("error_envelope_plain_v4_11.json"),
        AuthenticationError,
        500,
        id="plain-key-error-at-500",
    ),
    pytest.param(200, UN_AUTH_CHAT, PermissionDeniedError, 504000, id="unAuthChat-at-200"),
    pytest.param(500, UN_AUTH_CHAT, PermissionDeniedError, 504000, id="unAuthChat-at-500"),
    pytest.param(500, APP_GONE, NotFoundError, 502000, id="appUnExist-at-500"),
]


@pytest.mark.parametrize("method", [*ENDPOINTS, *ITERATORS])
@pytest.mark.parametrize(("status", "body", "error", "code"), ERROR_CASES)
async def test_error_envelopes_raise_typed_errors(
    io_mode: str, method: str, status: int, body: dict[str, Any], error: type[Exception], code: int
) -> None:
    wire = Wire(lambda request: httpx.Response(status, json=body, headers={"x-request-id": "rid-1"}))
    client = make_client(wire, max_retries=0)
    request = {**ENDPOINTS, **ITERATORS}[method]()

    with pytest.raises(error) as caught:
        await call(client, io_mode, method, request)

    exc = caught.value
    assert getattr(exc, "http_status", None) == status
    assert getattr(exc, "code", None) == code
    assert getattr(exc, "message", None) == body["message"]
    assert getattr(exc, "request_id", None) == "rid-1"
    assert (
        len(wire.requests) == 1
    )  # an error envelope is no route-missing 404: delete_record does not fall back
    if isinstance(exc, RateLimitError):
        assert exc.retry_after == 12.0
