"""Errors a relay can map and a person can read: `status_code` means what the class means, `str()`
opens with FastGPT's own English, HTML pages shrink to a line, connection errors name the host, and a
request's every problem is listed."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest
from conftest import API_KEY, ScriptedServer, complete, make_client, reply
from http_support import Wire, run

from fastgpt_oapi import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    Client,
    FieldProblem,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
)
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.api.chat_history.model import DeleteRecordRequest
from fastgpt_oapi.core.model import APIRequest, OperationResponse, Route


def envelope(code: int, status_text: str, message: str) -> dict[str, Any]:
    return {"code": code, "statusText": status_text, "message": message, "data": None}


KEY_514 = envelope(514, "unAuthApiKey", "common:code_error.error_message.514")


@pytest.mark.parametrize(
    ("http", "body", "cls", "status_code"),
    [
        (401, KEY_514, AuthenticationError, 401),  # FastGPT >= 4.14.11
        (500, KEY_514, AuthenticationError, 401),  # FastGPT 4.13.2 - 4.14.10: every error at 500
        (200, KEY_514, AuthenticationError, 401),  # an envelope inside an HTTP 200
        (500, envelope(502000, "appUnExist", "common:code_error.app_error.not_exist"), NotFoundError, 404),
        (
            500,
            envelope(504000, "unAuthChat", "common:code_error.chat_error.un_auth"),
            PermissionDeniedError,
            403,
        ),
        (400, envelope(400, "error", "Data validation error"), BadRequestError, 400),
        (429, envelope(429, "tooManyRequest", "Rate limit exceeded."), RateLimitError, 429),
        (502, "<html><head><title>502 Bad Gateway</title></head></html>", InternalServerError, 502),
        (200, envelope(500, "", "Cannot read properties of undefined"), InternalServerError, 500),
    ],
)
async def test_status_code_is_what_the_class_means_and_http_status_what_came(
    io_mode: str, http: int, body: Any, cls: type[APIStatusError], status_code: int
) -> None:
    answer = reply(http, json_body=body) if isinstance(body, dict) else reply(http, content=body)
    client = make_client(ScriptedServer(answer), max_retries=0)
    with pytest.raises(cls) as caught:
        await complete(client, io_mode)
    assert type(caught.value) is cls
    assert caught.value.status_code == status_code
    assert caught.value.http_status == http


async def test_a_refused_stream_reports_the_status_the_refusal_means(io_mode: str) -> None:
    """FastGPT refuses a stream with HTTP 200 and an SSE `error` (no SSE content type)."""
    body = b"event: error\ndata: " + httpx.Response(200, json=KEY_514).content + b"\n\n"
    client = make_client(lambda request: httpx.Response(200, content=body, headers={}), max_retries=0)
    request = ChatCompletionRequest(messages=[ChatMessage.user("hi")])

    def sync() -> None:
        with client.chat.chat_stream(request) as stream:
            stream.until_done()

    async def async_() -> None:
        async with client.chat.achat_stream(request) as stream:
            await stream.until_done()

    with pytest.raises(AuthenticationError) as caught:
        await run(io_mode, sync, async_)
    assert (caught.value.status_code, caught.value.http_status) == (401, 200)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (KEY_514, "Invalid API Key (unAuthApiKey, code 514, HTTP 401)"),
        (
            envelope(502000, "appUnExist", "common:code_error.app_error.not_exist"),
            "Application Does Not Exist (appUnExist, code 502000, HTTP 401)",
        ),
        (
            envelope(504001, "chatIsGenerating", "common:code_error.chat_error.chat_generating"),
            "This chat is still generating. Please wait until it finishes before sending another "
            "request. (chatIsGenerating, code 504001, HTTP 401)",
        ),
        # Not a key but a sentence of its own: FastGPT's English first, its own text kept after it.
        (
            envelope(429, "tooManyRequest", "Rate limit exceeded. Please try again in 3 seconds."),
            "Too many request: Rate limit exceeded. Please try again in 3 seconds. "
            "(tooManyRequest, code 429, HTTP 401)",
        ),
        # An HTTP status as the code: FastGPT's word for the status, then its own text.
        (
            envelope(500, "", "upstream model timed out"),
            "Server Error: upstream model timed out (code 500, HTTP 401)",
        ),
    ],
)
async def test_str_opens_with_fastgpts_english_and_message_keeps_its_text(
    io_mode: str, body: dict[str, Any], text: str
) -> None:
    client = make_client(ScriptedServer(reply(401, json_body=body)), max_retries=0)
    with pytest.raises(APIStatusError) as caught:
        await complete(client, io_mode)
    assert str(caught.value) == text
    assert caught.value.message == body["message"]


@pytest.mark.parametrize(
    ("page", "shown"),
    [
        (
            "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway"
            "</h1></center>\n<hr><center>nginx/1.25.3</center>\n</body>\n</html>\n",
            "502 Bad Gateway",
        ),
        ("<html><body><h1>Service\n   down</h1><p>back soon</p></body></html>", "Service down back soon"),
        ("<html><body>" + "x" * 5000 + "</body></html>", "x" * 300 + "..."),
    ],
)
async def test_a_proxy_page_is_reduced_to_one_bounded_line(io_mode: str, page: str, shown: str) -> None:
    client = make_client(ScriptedServer(reply(502, content=page)), max_retries=0)
    with pytest.raises(InternalServerError) as caught:
        await complete(client, io_mode)
    assert str(caught.value) == f"{shown} (HTTP 502)"
    assert "\n" not in str(caught.value)
    assert caught.value.body == page  # the whole body is still there


async def test_a_connection_error_names_the_host_and_port_never_the_key(io_mode: str) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    client = Client.builder().base_url(f"http://127.0.0.1:{port}").api_key(API_KEY).max_retries(0).build()
    with pytest.raises(APIConnectionError) as caught:
        await complete(client, io_mode)
    assert str(caught.value).startswith(f"Could not connect to 127.0.0.1:{port}: ConnectError")
    assert API_KEY not in str(caught.value)
    await client.aclose()


def test_every_validation_problem_is_listed() -> None:
    with pytest.raises(RequestValidationError) as caught:
        DeleteRecordRequest(chat_id="", content_id="d1")  # type: ignore[call-arg]
    error = caught.value
    assert error.errors == [
        FieldProblem("chat_id", "String should have at least 1 character"),
        FieldProblem("data_id", "Field required"),
        FieldProblem("content_id", "Extra inputs are not permitted"),
    ]
    assert str(error) == (
        "DeleteRecordRequest: 3 problems: chat_id: String should have at least 1 character; "
        "data_id: Field required; content_id: Extra inputs are not permitted"
    )
    assert error.field == "chat_id"


class _Many(APIRequest[OperationResponse]):
    """A request of the test's own with more fields than the text lists."""

    route = Route("POST", "/api/test/many")

    f0: int = 0
    f1: int = 0
    f2: int = 0
    f3: int = 0
    f4: int = 0
    f5: int = 0
    f6: int = 0
    f7: int = 0
    f8: int = 0
    f9: int = 0
    f10: int = 0
    f11: int = 0


def test_a_long_list_of_problems_is_bounded_in_the_text_but_whole_in_errors() -> None:
    with pytest.raises(RequestValidationError) as caught:
        _Many.model_validate({f"f{i}": "x" for i in range(12)})
    error = caught.value
    assert [e.field for e in error.errors] == [f"f{i}" for i in range(12)]
    assert str(error).startswith("_Many: 12 problems: f0: Input should be a valid integer")
    assert str(error).endswith("; and 2 more")
    assert "f9:" in str(error)
    assert "f10:" not in str(error)


def test_a_single_problem_reads_as_before() -> None:
    with pytest.raises(RequestValidationError) as caught:
        DeleteRecordRequest(chat_id="c1")  # type: ignore[call-arg]
    assert str(caught.value) == "DeleteRecordRequest.data_id: Field required"
    assert caught.value.errors == [FieldProblem("data_id", "Field required")]


def test_the_wire_name_of_a_record_is_still_content_id() -> None:
    wire = Wire(lambda request: httpx.Response(200, json={"code": 200, "data": None}))
    make_client(wire).chat_history.delete_record(DeleteRecordRequest(chat_id="c1", data_id="d1"))
    assert wire.last.url.params["contentId"] == "d1"
