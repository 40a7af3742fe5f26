"""Every error shape of wire spec section 2, sent through real httpx responses, to its typed exception."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from conftest import (
    COMPLETION_OK,
    ScriptedServer,
    complete,
    envelope,
    fail,
    fixture_bytes,
    fixture_json,
    make_client,
    ping,
    reply,
)

from fastgpt_oapi import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    FastGPTError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)


def env(code: int, status_text: str, message: str = "", **extra: Any) -> dict[str, Any]:
    return {"code": code, "statusText": status_text, "message": message, "data": None, **extra}


ZOD_ERROR = [{"code": "invalid_type", "path": ["appId"], "message": "Invalid input: expected string"}]

# (id, HTTP status, body, expected class). Bodies are FastGPT's, per version (wire spec section 2).
SHAPES: list[tuple[str, int, dict[str, Any], type[APIStatusError]]] = [
    # <= 4.13.1: HTTP 500 for anything a handler throws; a registered error carries its business code
    (
        "old-unAuthApiKey",
        500,
        env(514, "unAuthApiKey", "common:code_error.error_message.514"),
        AuthenticationError,
    ),
    (
        "old-openapiUnExist",
        500,
        env(506000, "openapiUnExist", "common:code_error.openapi_error.api_key_not_exist"),
        AuthenticationError,
    ),
    (
        "old-unAuthorization",
        500,
        env(403, "unAuthorization", "common:code_error.error_message.403"),
        AuthenticationError,
    ),
    ("old-openapiUnAuth", 500, env(506001, "openapiUnAuth"), PermissionDeniedError),
    ("old-openapiExceedLimit", 500, env(506002, "openapiExceedLimit"), PermissionDeniedError),
    ("old-insufficientQuota", 500, env(510, "insufficientQuota"), PermissionDeniedError),
    ("old-unAuthModel", 500, env(511, "unAuthModel"), PermissionDeniedError),
    ("old-unAuthFile", 500, env(513, "unAuthFile"), PermissionDeniedError),
    (
        "old-unAuthApp",
        500,
        env(502001, "unAuthApp", "common:code_error.app_error.un_auth_app"),
        PermissionDeniedError,
    ),
    (
        "old-unAuthChat",
        500,
        env(504000, "unAuthChat", "common:code_error.chat_error.un_auth"),
        PermissionDeniedError,
    ),
    (
        "old-appUnExist",
        500,
        env(502000, "appUnExist", "common:code_error.app_error.not_exist"),
        NotFoundError,
    ),
    ("old-chatIsGenerating", 500, env(504001, "chatIsGenerating"), ConflictError),
    ("old-invalidParams", 500, env(507000, "invalidParams"), BadRequestError),
    ("old-missingParams", 500, env(507004, "missingParams"), BadRequestError),
    ("old-tooManyRequest", 500, env(429, "tooManyRequest"), RateLimitError),
    ("old-plain-messages-empty", 500, env(500, "", "messages is empty"), BadRequestError),
    ("old-plain-appid-empty", 500, env(500, "", "appId is empty"), BadRequestError),
    ("old-plain-other", 500, env(500, "", "Cannot read properties of undefined"), InternalServerError),
    # 4.13.2 - 4.14.10: always HTTP 500; unregistered errors say statusText "error"
    ("mid-unregistered", 500, env(500, "error", "Cannot read properties of undefined"), InternalServerError),
    ("mid-user-error", 500, env(500, "error", "appId is empty"), BadRequestError),
    (
        "mid-registered",
        500,
        env(514, "unAuthApiKey", "common:code_error.error_message.514"),
        AuthenticationError,
    ),
    ("mid-app-missing", 500, env(502000, "appUnExist"), NotFoundError),
    ("mid-code-400", 500, env(400, "error", "Data validation error", zodError=ZOD_ERROR), BadRequestError),
    ("mid-code-404-by-code", 500, env(404, "error", "not found"), NotFoundError),
    # >= 4.14.11: the HTTP status is meaningful; the named cause still wins
    ("new-zod", 400, env(400, "error", "Data validation error", zodError=ZOD_ERROR), BadRequestError),
    ("new-unAuthApiKey", 401, env(514, "unAuthApiKey"), AuthenticationError),
    ("new-unAuthorization", 403, env(403, "unAuthorization"), AuthenticationError),
    ("new-file-not-found", 404, env(404, "fileNotFound"), NotFoundError),
    ("new-app-missing", 500, env(502000, "appUnExist"), NotFoundError),
    ("new-chatIsGenerating", 409, env(504001, "chatIsGenerating"), ConflictError),
    ("new-510xxx-is-400", 400, env(510001, "error", "user input"), BadRequestError),
    ("new-422", 422, env(422, "error", "unprocessable"), UnprocessableEntityError),
    (
        "new-user-error-500",
        500,
        env(500, "error", "messages is empty", errorType="UserError"),
        BadRequestError,
    ),
    ("new-unknown-500", 500, env(500, "error", "boom"), InternalServerError),
    # the quote endpoints (packages/global/common/error/code/dataset.ts: 501000 + position)
    ("new-unAuthDatasetFile", 500, env(501007, "unAuthDatasetFile"), PermissionDeniedError),
    ("new-unExistCollection", 500, env(501003, "unExistCollection"), NotFoundError),
]


@pytest.mark.parametrize(("status", "body", "expected"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
async def test_error_envelopes_map_to_their_cause(
    io_mode: str, status: int, body: dict[str, Any], expected: type[APIStatusError]
) -> None:
    server = ScriptedServer(reply(status, json_body=body, headers={"x-request-id": "req-42"}))
    client = make_client(server, max_retries=0)
    with pytest.raises(APIStatusError) as caught:
        await complete(client, io_mode)
    err = caught.value
    assert type(err) is expected
    assert len(server.requests) == 1
    assert err.http_status == status
    assert err.code == body["code"]
    assert err.status_text == (body["statusText"] or None)  # an empty statusText is absent
    assert err.message == (body["message"] or f"{status} {httpx.codes.get_reason_phrase(status)}")
    assert err.body == body
    assert err.request_id == "req-42"
    assert err.response.status_code == status
    assert err.request is server.requests[0]
    assert "req-42" in str(err)


def test_the_shape_table_reaches_every_status_class() -> None:
    assert {expected for *_, expected in SHAPES} == set(APIStatusError.__subclasses__())


async def test_plain_message_envelope_of_fastgpt_4_11(io_mode: str) -> None:
    body = fixture_json("error_envelope_plain_v4_11.json")
    server = ScriptedServer(reply(500, content=fixture_bytes("error_envelope_plain_v4_11.json")))
    client = make_client(server)
    with pytest.raises(AuthenticationError) as caught:
        await complete(client, io_mode)
    err = caught.value
    assert (err.http_status, err.code, err.status_text) == (500, 500, None)
    assert err.message == body["message"]
    assert err.body == body
    assert err.request_id is None
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("headers", "expected_retry_after"),
    [({}, 12.0), ({"Retry-After": "5"}, 5.0), ({"Retry-After": "garbage"}, 12.0)],
)
async def test_rate_limit_fixture_gives_retry_after(
    io_mode: str, headers: dict[str, str], expected_retry_after: float
) -> None:
    server = ScriptedServer(
        reply(429, content=fixture_bytes("error_envelope_rate_limit.json"), headers=headers)
    )
    client = make_client(server, max_retries=0)
    with pytest.raises(RateLimitError) as caught:
        await complete(client, io_mode)
    err = caught.value
    assert err.retry_after == expected_retry_after
    assert (err.http_status, err.code, err.status_text) == (429, 429, "error")
    assert isinstance(err.body, dict)
    assert err.body["errorType"] == "UserError"


async def test_rate_limit_without_any_hint(io_mode: str) -> None:
    server = ScriptedServer(reply(429, content=b""))
    client = make_client(server, max_retries=0)
    with pytest.raises(RateLimitError) as caught:
        await complete(client, io_mode)
    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (env(514, "unAuthApiKey", "common:code_error.error_message.514"), AuthenticationError),
        (env(502000, "appUnExist"), NotFoundError),
        (env(500, "", "internal"), InternalServerError),
        (env(500, "error", "messages is empty"), BadRequestError),
        ({"code": 404, "message": "gone"}, NotFoundError),
    ],
)
async def test_an_error_envelope_inside_http_200_raises(
    io_mode: str, body: dict[str, Any], expected: type[APIStatusError]
) -> None:
    server = ScriptedServer(reply(200, json_body=body))
    client = make_client(server)
    for call in (complete, ping):  # a bare-JSON endpoint and an envelope endpoint alike
        with pytest.raises(APIStatusError) as caught:
            await call(client, io_mode)
        assert type(caught.value) is expected
        assert caught.value.http_status == 200
        assert caught.value.code == body["code"]
    assert len(server.requests) == 2


async def test_a_success_envelope_is_not_an_error(io_mode: str) -> None:
    client = make_client(ScriptedServer(reply(200, json_body=envelope({"value": 3}))))
    assert (await ping(client, io_mode)).value == 3


async def test_html_from_a_proxy_is_an_internal_server_error_with_a_short_preview(io_mode: str) -> None:
    html = (
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        + "<center><h1>502 Bad Gateway</h1></center>\r\n" * 200
        + "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    server = ScriptedServer(reply(502, content=html.encode(), headers={"content-type": "text/html"}))
    client = make_client(server)
    with pytest.raises(InternalServerError) as caught:
        await complete(client, io_mode)
    err = caught.value
    assert len(server.requests) == 1  # a completion is not resent after a 502
    assert (err.http_status, err.code, err.status_text) == (502, None, None)
    assert "502 Bad Gateway" in err.message
    assert len(str(err)) < 700
    assert err.body == html  # the whole body stays available


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (410, APIStatusError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (599, InternalServerError),
    ],
)
async def test_a_bare_status_maps_by_status(
    io_mode: str, status: int, expected: type[APIStatusError]
) -> None:
    client = make_client(ScriptedServer(reply(status, content=b"nope")), max_retries=0)
    with pytest.raises(APIStatusError) as caught:
        await complete(client, io_mode)
    assert type(caught.value) is expected
    assert (caught.value.http_status, caught.value.code, caught.value.message) == (status, None, "nope")


async def test_an_empty_error_response_still_has_a_message(io_mode: str) -> None:
    client = make_client(ScriptedServer(reply(404, content=b"")), max_retries=0)
    with pytest.raises(NotFoundError) as caught:
        await complete(client, io_mode)
    assert caught.value.message == "404 Not Found"
    assert caught.value.body is None


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"<html>maintenance</html>", "text/html"),
        (b"OK", "text/plain"),
        (b"", "application/json"),
        (b'{"id": "x", "choices": ', "application/json"),
    ],
)
async def test_a_200_that_is_not_json_is_a_response_validation_error(
    io_mode: str, content: bytes, content_type: str
) -> None:
    client = make_client(ScriptedServer(reply(200, content=content, headers={"content-type": content_type})))
    with pytest.raises(APIResponseValidationError) as caught:
        await complete(client, io_mode)
    assert caught.value.http_status == 200
    assert caught.value.response is not None


async def test_a_200_with_the_wrong_shape_is_a_response_validation_error(io_mode: str) -> None:
    client = make_client(
        ScriptedServer(
            reply(200, json_body={**COMPLETION_OK, "choices": "not a list"}),
        )
    )
    with pytest.raises(APIResponseValidationError) as caught:
        await complete(client, io_mode)
    assert caught.value.body == {**COMPLETION_OK, "choices": "not a list"}

    # an envelope endpoint that answers without the envelope
    client = make_client(ScriptedServer(reply(200, json_body={"value": 3})))
    with pytest.raises(APIResponseValidationError):
        await ping(client, io_mode)


# ---- transport failures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc_type", "expected"),
    [
        (httpx.ConnectError, APIConnectionError),
        (httpx.ConnectTimeout, APITimeoutError),
        (httpx.ReadTimeout, APITimeoutError),
        (httpx.WriteTimeout, APITimeoutError),
        (httpx.PoolTimeout, APITimeoutError),
        (httpx.ReadError, APIConnectionError),
        (httpx.WriteError, APIConnectionError),
        (httpx.RemoteProtocolError, APIConnectionError),
        (httpx.ProxyError, APIConnectionError),
    ],
)
async def test_transport_errors_are_wrapped(
    io_mode: str, exc_type: type[httpx.TransportError], expected: type[APIConnectionError]
) -> None:
    server = ScriptedServer(fail(exc_type))
    client = make_client(server)
    with pytest.raises(APIConnectionError) as caught:
        await complete(client, io_mode)
    assert type(caught.value) is expected
    assert httpx.HTTPError not in type(caught.value).__mro__
    assert isinstance(caught.value.__cause__, exc_type)  # the original stays reachable for debugging


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body streamed from the network in chunks; `cut` drops the connection after them."""

    def __init__(self, *chunks: bytes, cut: bool = False) -> None:
        self.chunks = chunks
        self.cut = cut

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.cut:
            raise httpx.ReadError("connection reset by peer")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.cut:
            raise httpx.ReadError("connection reset by peer")


@pytest.mark.parametrize("status", [200, 500])
async def test_a_body_that_cannot_be_decoded_is_not_a_raw_httpx_error(io_mode: str, status: int) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        garbage = Chunks(b"not gzip at all")
        return httpx.Response(status, stream=garbage, headers={"content-encoding": "gzip"})

    server = ScriptedServer(answer)
    client = make_client(server)
    with pytest.raises(APIError) as caught:
        await complete(client, io_mode)
    assert httpx.HTTPError not in type(caught.value).__mro__
    assert len(server.requests) == 1
    if status == 500:
        assert isinstance(caught.value, InternalServerError)


async def test_a_gzip_body_is_read(io_mode: str) -> None:
    body = gzip.compress(httpx.Response(200, json=COMPLETION_OK).content)
    server = ScriptedServer(reply(200, content=body, headers={"content-encoding": "gzip"}))
    assert (await complete(make_client(server), io_mode)).answer == "ok"


async def test_an_error_status_whose_body_breaks_keeps_its_status(io_mode: str) -> None:
    server = ScriptedServer(lambda request: httpx.Response(500, stream=Chunks(b'{"code": 514', cut=True)))
    client = make_client(server)
    with pytest.raises(InternalServerError) as caught:
        await complete(client, io_mode)
    assert caught.value.http_status == 500
    assert len(server.requests) == 1


def test_every_sdk_error_is_a_fastgpt_error() -> None:
    for cls in (APIConnectionError, APITimeoutError, APIResponseValidationError, APIStatusError):
        assert issubclass(cls, APIError)
        assert issubclass(cls, FastGPTError)
    assert issubclass(APITimeoutError, APIConnectionError)
