"""Retries and redirects end to end: real httpx clients over MockTransport, sync and async.

The sleep is the one seam replaced: it records the delays instead of waiting.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from conftest import (
    COMPLETION_OK,
    PingRequest,
    ScriptedServer,
    chat_request,
    complete,
    envelope,
    fail,
    make_client,
    ping,
    reply,
)

from fastgpt_oapi import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
    RequestOption,
)
from fastgpt_oapi.core.retry import RETRY_AFTER_CAP

PING_OK = reply(200, json_body=envelope({"value": 7}))


def _body(request: httpx.Request) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(request.content)
    return body


def OK(request: httpx.Request) -> httpx.Response:
    """A completion that echoes the chatId it was sent as its `id`, as FastGPT does."""
    return httpx.Response(200, json={**COMPLETION_OK, "id": _body(request)["chatId"]})


class CutBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that breaks after its first bytes, as a dropped connection does."""

    def __init__(self, exc_type: type[httpx.TransportError]) -> None:
        self.exc_type = exc_type

    def __iter__(self) -> Iterator[bytes]:
        yield b'{"code": 200, "data": '
        raise self.exc_type("connection dropped mid-body")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"code": 200, "data": '
        raise self.exc_type("connection dropped mid-body")


def cut_body(exc_type: type[httpx.TransportError]) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=CutBody(exc_type), headers={"content-type": "application/json"})

    return answer


# ---- what is retried --------------------------------------------------------------------------


async def test_429_waits_for_retry_after_then_succeeds(io_mode: str) -> None:
    server = ScriptedServer(reply(429, json_body={"code": 429}, headers={"Retry-After": "3"}), OK)
    delays: list[float] = []
    client = make_client(server, sleeps=delays)
    response = await complete(client, io_mode)
    assert response.answer == "ok"
    assert len(server.requests) == 2
    assert delays == [3.0]


async def test_retry_after_as_http_date_and_capped(io_mode: str) -> None:
    far = "Fri, 01 Jan 2100 00:00:00 GMT"
    server = ScriptedServer(reply(503, content=b"busy", headers={"Retry-After": far}), OK)
    delays: list[float] = []
    client = make_client(server, sleeps=delays)
    await complete(client, io_mode)
    assert delays == [RETRY_AFTER_CAP]


async def test_503_then_success_with_backoff(io_mode: str) -> None:
    server = ScriptedServer(reply(503, content=b"Service Unavailable"), OK)
    delays: list[float] = []
    client = make_client(server, sleeps=delays)
    response = await complete(client, io_mode)
    assert response.answer == "ok"
    assert len(server.requests) == 2
    assert len(delays) == 1
    assert 0.375 < delays[0] <= 0.5  # the first backoff step, minus at most a quarter of jitter


@pytest.mark.parametrize("exc_type", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
async def test_completion_is_retried_when_it_never_left(
    io_mode: str, exc_type: type[httpx.TransportError]
) -> None:
    server = ScriptedServer(fail(exc_type), OK)
    delays: list[float] = []
    client = make_client(server, sleeps=delays)
    response = await complete(client, io_mode)
    assert response.answer == "ok"
    assert len(server.requests) == 2
    assert len(delays) == 1


async def test_get_is_retried_after_a_read_timeout(io_mode: str) -> None:
    server = ScriptedServer(fail(httpx.ReadTimeout), PING_OK)
    delays: list[float] = []
    client = make_client(server, sleeps=delays)
    response = await ping(client, io_mode)
    assert response.value == 7
    assert [r.method for r in server.requests] == ["GET", "GET"]
    assert len(delays) == 1


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_get_is_retried_after_gateway_errors(io_mode: str, status: int) -> None:
    server = ScriptedServer(reply(status, content=b"<html>bad gateway</html>"), PING_OK)
    client = make_client(server)
    assert (await ping(client, io_mode)).value == 7
    assert len(server.requests) == 2


async def test_get_is_retried_when_the_body_times_out(io_mode: str) -> None:
    server = ScriptedServer(cut_body(httpx.ReadTimeout), PING_OK)
    client = make_client(server)
    assert (await ping(client, io_mode)).value == 7
    assert len(server.requests) == 2


# ---- what is never retried --------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_completion_is_not_resent_after_a_server_error(io_mode: str, status: int) -> None:
    server = ScriptedServer(reply(status, content=b"upstream failed"), OK)
    delays: list[float] = []
    client = make_client(server, sleeps=delays)
    with pytest.raises(InternalServerError) as caught:
        await complete(client, io_mode)
    assert caught.value.http_status == status
    assert len(server.requests) == 1
    assert delays == []


async def test_completion_is_not_resent_after_a_read_timeout(io_mode: str) -> None:
    server = ScriptedServer(fail(httpx.ReadTimeout), OK)
    delays: list[float] = []
    client = make_client(server, sleeps=delays)
    with pytest.raises(APITimeoutError) as caught:
        await complete(client, io_mode)
    assert httpx.HTTPError not in type(caught.value).__mro__
    assert caught.value.request is server.requests[0]
    assert len(server.requests) == 1
    assert delays == []


@pytest.mark.parametrize(
    ("exc_type", "expected"),
    [
        (httpx.WriteTimeout, APITimeoutError),
        (httpx.RemoteProtocolError, APIConnectionError),
        (httpx.ReadError, APIConnectionError),
    ],
)
async def test_completion_is_not_resent_after_the_request_may_have_arrived(
    io_mode: str, exc_type: type[httpx.TransportError], expected: type[APIConnectionError]
) -> None:
    server = ScriptedServer(fail(exc_type), OK)
    client = make_client(server)
    with pytest.raises(expected):
        await complete(client, io_mode)
    assert len(server.requests) == 1


async def test_completion_is_not_resent_when_its_body_breaks(io_mode: str) -> None:
    server = ScriptedServer(cut_body(httpx.ReadError), OK)
    client = make_client(server)
    with pytest.raises(APIConnectionError):
        await complete(client, io_mode)
    assert len(server.requests) == 1


async def test_get_is_not_retried_after_a_500(io_mode: str) -> None:
    server = ScriptedServer(reply(500, json_body={"code": 500, "statusText": "", "message": "boom"}), PING_OK)
    client = make_client(server)
    with pytest.raises(InternalServerError):
        await ping(client, io_mode)
    assert len(server.requests) == 1


# ---- how many times -----------------------------------------------------------------------------


@pytest.mark.parametrize("max_retries", [0, 1, 3])
async def test_max_retries_bounds_the_requests(io_mode: str, max_retries: int) -> None:
    server = ScriptedServer(reply(503, content=b"down"))
    delays: list[float] = []
    client = make_client(server, max_retries=max_retries, sleeps=delays)
    with pytest.raises(InternalServerError) as caught:
        await complete(client, io_mode)
    assert caught.value.http_status == 503
    assert len(server.requests) == max_retries + 1
    assert len(delays) == max_retries
    assert delays == sorted(delays)  # the backoff grows


async def test_exhausted_rate_limit_raises_rate_limit_error(io_mode: str) -> None:
    server = ScriptedServer(reply(429, json_body={"code": 429}, headers={"Retry-After": "2"}))
    delays: list[float] = []
    client = make_client(server, sleeps=delays)
    with pytest.raises(RateLimitError) as caught:
        await complete(client, io_mode)
    assert caught.value.retry_after == 2.0
    assert len(server.requests) == 3  # the default max_retries is 2
    assert delays == [2.0, 2.0]


async def test_connect_failures_exhaust_into_a_connection_error(io_mode: str) -> None:
    server = ScriptedServer(fail(httpx.ConnectError, "[Errno 111] Connection refused"))
    client = make_client(server, max_retries=1)
    with pytest.raises(APIConnectionError) as caught:
        await complete(client, io_mode)
    assert not isinstance(caught.value, APITimeoutError)
    assert len(server.requests) == 2


@pytest.mark.parametrize(("client_retries", "option_retries"), [(3, 0), (0, 2), (1, 4)])
async def test_request_option_max_retries_overrides_the_client(
    io_mode: str, client_retries: int, option_retries: int
) -> None:
    server = ScriptedServer(reply(503, content=b"down"))
    client = make_client(server, max_retries=client_retries)
    option = RequestOption.builder().max_retries(option_retries).build()
    with pytest.raises(InternalServerError):
        await complete(client, io_mode, option=option)
    assert len(server.requests) == option_retries + 1


# ---- what is resent -------------------------------------------------------------------------------


@pytest.mark.parametrize("given_ids", [False, True])
async def test_a_retried_completion_is_byte_identical(io_mode: str, given_ids: bool) -> None:
    server = ScriptedServer(
        fail(httpx.ConnectError),
        reply(429, json_body={"code": 429}, headers={"Retry-After": "0"}),
        reply(503, content=b""),
        OK,
    )
    client = make_client(server, max_retries=3)
    ids: dict[str, Any] = {"chat_id": "chat-1", "response_chat_item_id": "item-1"} if given_ids else {}
    response = await complete(client, io_mode, chat_request(**ids))

    assert len(server.requests) == 4
    first = server.requests[0]
    for again in server.requests[1:]:
        assert again.content == first.content
        assert again.url == first.url
        assert again.headers.raw == first.headers.raw
    sent = _body(first)
    assert sent["chatId"] == response.chat_id
    assert sent["responseChatItemId"] == response.data_id
    if given_ids:
        assert (sent["chatId"], sent["responseChatItemId"]) == ("chat-1", "item-1")


async def test_a_retried_get_sends_the_same_query(io_mode: str) -> None:
    server = ScriptedServer(fail(httpx.ReadTimeout), reply(502, content=b""), PING_OK)
    client = make_client(server)
    await ping(client, io_mode, PingRequest(n=42))
    assert len({str(r.url) for r in server.requests}) == 1
    assert server.requests[0].url.params["n"] == "42"


# ---- redirects --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects_are_never_followed(io_mode: str, status: int) -> None:
    server = ScriptedServer(
        reply(status, headers={"Location": "http://elsewhere.test/api/v2/chat/completions"}), OK
    )
    client = make_client(server)
    with pytest.raises(APIStatusError) as caught:
        await complete(client, io_mode)
    assert type(caught.value) is APIStatusError
    assert caught.value.http_status == status
    assert [r.url.host for r in server.requests] == ["fastgpt.test"]


async def test_redirects_are_not_followed_even_by_a_user_client_that_would(io_mode: str) -> None:
    server = ScriptedServer(reply(302, headers={"Location": "http://elsewhere.test/steal"}), PING_OK)
    transport = httpx.MockTransport(server)
    with httpx.Client(transport=transport, follow_redirects=True) as sync_http:
        async with httpx.AsyncClient(transport=transport, follow_redirects=True) as async_http:
            client = make_client(server, http_client=sync_http, async_http_client=async_http)
            with pytest.raises(APIStatusError) as caught:
                await ping(client, io_mode)
    assert caught.value.http_status == 302
    assert [r.url.host for r in server.requests] == ["fastgpt.test"]
