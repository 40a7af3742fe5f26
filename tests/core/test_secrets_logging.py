"""The API key never shows: not in reprs, not in exceptions, not in log records. Logging adds no handlers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import httpx
import pytest
from conftest import (
    API_KEY,
    COMPLETION_OK,
    PingRequest,
    ScriptedServer,
    chat_request,
    complete,
    make_client,
    ping,
    reply,
)

from fastgpt_oapi import Client, FastGPTError, RequestOption
from fastgpt_oapi.core.config import ClientConfig, Secret

OPTION_KEY = "fastgpt-per-call-secret-9876543210"


def assert_hidden(text: str) -> None:
    assert API_KEY not in text
    assert OPTION_KEY not in text
    assert API_KEY[8:20] not in text  # not even a slice of it


def test_reprs_never_show_the_key() -> None:
    builder = Client.builder().api_key(API_KEY).base_url("http://fastgpt.test")
    client = builder.build()
    option = RequestOption(api_key=OPTION_KEY, headers={"X-Trace": "1"}, timeout=5.0)
    option_builder = RequestOption.builder().api_key(OPTION_KEY).timeout(5.0)
    config = ClientConfig(api_key=Secret(API_KEY))
    for shown in (client, builder, client._config, config, option, option_builder, Secret(API_KEY)):
        assert_hidden(repr(shown))
        assert_hidden(str(shown))
        assert_hidden(f"{shown}")
    # still useful: they say a key is there
    assert "api_key=set" in repr(client)
    assert "api_key" in repr(option)
    assert option_builder.build() == option.model_copy(update={"headers": None})


def test_the_secret_is_still_usable() -> None:
    assert Secret(API_KEY).reveal() == API_KEY
    assert Secret(API_KEY) == Secret(API_KEY)
    assert RequestOption(api_key=OPTION_KEY).api_key == OPTION_KEY


Scenario = Callable[[Client, str], Awaitable[object]]


async def _auth_failure(client: Client, mode: str) -> object:
    return await complete(client, mode)


async def _per_call_key(client: Client, mode: str) -> object:
    return await complete(client, mode, option=RequestOption(api_key=OPTION_KEY))


@pytest.mark.parametrize(
    "answer",
    [
        reply(401, json_body={"code": 514, "statusText": "unAuthApiKey", "message": "bad key", "data": None}),
        reply(429, json_body={"code": 429, "statusText": "error", "message": "slow down"}),
        reply(502, content=b"<html>bad gateway</html>"),
        reply(200, content=b"not json"),
        reply(200, json_body={"code": 506000, "statusText": "openapiUnExist", "message": "x"}),
    ],
    ids=["401", "429", "502", "200-not-json", "200-envelope"],
)
async def test_failed_calls_never_show_the_key_in_the_exception(
    io_mode: str, answer: Callable[[httpx.Request], httpx.Response]
) -> None:
    client = make_client(ScriptedServer(answer), max_retries=1)
    for scenario in (_auth_failure, _per_call_key):
        with pytest.raises(FastGPTError) as caught:
            await scenario(client, io_mode)
        exc = caught.value
        assert_hidden(str(exc))
        assert_hidden(repr(exc))
        assert_hidden(repr(exc.args))


@pytest.mark.parametrize(
    "exc_type", [httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.LocalProtocolError]
)
async def test_transport_failures_never_show_the_key(
    io_mode: str, exc_type: type[httpx.TransportError]
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        # transport errors may quote what they were sending: here, the whole Authorization header
        raise exc_type(f"failed sending {request.headers['authorization']!r}", request=request)

    client = make_client(ScriptedServer(answer), max_retries=0)
    with pytest.raises(FastGPTError) as caught:
        await complete(client, io_mode)
    assert_hidden(str(caught.value))
    assert_hidden(repr(caught.value.args))


@pytest.mark.parametrize(
    "bad_key", [API_KEY + "\n", API_KEY + " ", " " + API_KEY, API_KEY[:10] + "é" + API_KEY[10:]]
)
async def test_a_key_that_cannot_be_sent_is_refused_without_echo(io_mode: str, bad_key: str) -> None:
    server = ScriptedServer(reply(200, json_body=COMPLETION_OK))
    client = make_client(server)
    with pytest.raises(ValueError, match="api_key") as caught:
        await complete(client, io_mode, option=RequestOption(api_key=bad_key))
    assert_hidden(str(caught.value))
    assert_hidden(repr(caught.value.args))
    assert server.requests == []

    with pytest.raises(ValueError, match="api_key") as caught:
        Client.builder().api_key(bad_key).build()
    assert_hidden(str(caught.value))


async def test_validation_errors_do_not_show_the_key(io_mode: str) -> None:
    server = ScriptedServer(reply(200))
    client = make_client(server, app_id=None)
    with pytest.raises(FastGPTError) as caught:
        await ping(client, io_mode, PingRequest(app_id="not-an-app"))
    assert_hidden(str(caught.value))
    with pytest.raises(ValueError, match="timeout") as invalid:
        RequestOption.builder().api_key(OPTION_KEY).timeout(-1).build()
    assert_hidden(str(invalid.value))
    with pytest.raises(ValueError, match="max_retries") as invalid:
        RequestOption(api_key=OPTION_KEY, max_retries=-1)
    assert_hidden(str(invalid.value))
    assert server.requests == []


async def test_debug_logs_never_show_the_key(io_mode: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx's included
    caplog.set_level(logging.DEBUG, logger="fastgpt_oapi")
    server = ScriptedServer(
        reply(200, json_body=COMPLETION_OK),  # a successful call
        reply(503, content=b"busy"),  # a retried call ...
        reply(200, json_body=COMPLETION_OK),  # ... that then succeeds
        reply(401, json_body={"code": 514, "statusText": "unAuthApiKey", "message": "m", "data": None}),
    )
    client = make_client(server, default_headers={"X-Trace": "t"})
    await complete(client, io_mode)
    await complete(client, io_mode, option=RequestOption(api_key=OPTION_KEY))
    with pytest.raises(FastGPTError):
        await complete(client, io_mode)

    ours = [r for r in caplog.records if r.name.startswith("fastgpt_oapi")]
    assert len(ours) >= 4, "each try and the retry are logged at DEBUG/INFO"
    assert any("retrying" in r.getMessage() for r in ours)
    for record in caplog.records:
        assert_hidden(record.getMessage())
        assert_hidden(repr(record.args))
        assert_hidden(repr(record.__dict__))
    assert_hidden(caplog.text)


def test_logging_adds_no_handlers() -> None:
    sdk_logger = logging.getLogger("fastgpt_oapi")
    client = make_client(ScriptedServer(reply(200, json_body=COMPLETION_OK)))
    client.chat.chat(chat_request())
    assert sdk_logger.handlers == []
    assert sdk_logger.propagate is True
    assert sdk_logger.level == logging.NOTSET  # the application decides
