"""stop_chat, sync and async: `POST /api/v2/chat/stop`, its two answers (before and from FastGPT 4.16.3),
the app id, and FastGPT's refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import APP_ID, envelope, fixture_json, make_client
from http_support import Wire, body_of, query_of, run

from fastgpt_oapi import Client, PermissionDeniedError, RateLimitError
from fastgpt_oapi.api.chat.model import StopChatRequest, StopChatResponse

STOP = "/api/v2/chat/stop"
OTHER_APP = "0123456789abcdef01234567"


def serve(payload: Any) -> Wire:
    return Wire(lambda request: httpx.Response(200, json=payload))


async def stop(mode: str, client: Client, request: StopChatRequest) -> StopChatResponse:
    service = client.chat
    return await run(mode, lambda: service.stop_chat(request), lambda: service.astop_chat(request))


async def test_stop_chat_up_to_fastgpt_4_16_2(io_mode: str) -> None:
    # 4.14.5 - 4.16.2 waited up to 5 s for the run to wind down before answering.
    wire = serve(fixture_json("stop_chat.json"))

    result = await stop(io_mode, make_client(wire), StopChatRequest(chat_id="kzYq3Xw1N2b8pQm4RtUv5aBc"))

    sent = wire.last
    assert (sent.method, sent.url.path, query_of(sent)) == ("POST", STOP, {})
    assert body_of(sent) == {"appId": APP_ID, "chatId": "kzYq3Xw1N2b8pQm4RtUv5aBc"}
    assert result.success is True
    assert result.completed is True
    assert result.chat_generate_status == 1
    assert len(wire.requests) == 1


async def test_stop_chat_from_fastgpt_4_16_3_answers_at_once(io_mode: str) -> None:
    wire = serve(fixture_json("stop_chat_4_16_3.json"))
    request = StopChatRequest.builder().app_id(OTHER_APP).chat_id("c1").build()

    result = await stop(io_mode, make_client(wire), request)

    assert body_of(wire.last) == {"appId": OTHER_APP, "chatId": "c1"}
    assert result.success is True
    assert result.completed is False  # always, from 4.16.3 on: FastGPT no longer waits
    assert result.chat_generate_status == 0


async def test_stop_chat_keeps_what_an_older_or_newer_server_sends(io_mode: str) -> None:
    # Before a361a73d the answer was `{success}` alone; fields FastGPT adds later are kept.
    wire = serve(envelope({"success": True, "stoppedAt": 1}))

    result = await stop(io_mode, make_client(wire), StopChatRequest(chat_id="c1"))

    assert (result.success, result.completed, result.chat_generate_status) == (True, None, None)
    assert result.model_extra == {"stoppedAt": 1}


async def test_stop_chat_without_an_app_id_sends_none(io_mode: str) -> None:
    # An app key (FastGPT >= 4.18) is bound to its app; the server resolves it.
    wire = Wire(
        lambda request: httpx.Response(200, json={"code": 200, "message": "", "data": {"success": True}})
    )

    await stop(io_mode, make_client(wire, app_id=None), StopChatRequest(chat_id="c1"))

    assert body_of(wire.last) == {"chatId": "c1"}


def test_stop_chat_request_is_checked_before_sending() -> None:
    with pytest.raises(ValueError, match="chat_id"):
        StopChatRequest(chat_id="")
    with pytest.raises(ValueError, match="app_id"):
        StopChatRequest(chat_id="c1", app_id="not-an-app")
    assert StopChatRequest.builder().chat_id("c1").build() == StopChatRequest(chat_id="c1")


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            500,
            {"code": 504000, "statusText": "unAuthChat", "message": "", "data": None},
            PermissionDeniedError,
        ),
        (200, fixture_json("error_envelope_rate_limit.json"), RateLimitError),
    ],
    ids=["another-members-chat", "rate-limited"],
)
async def test_stop_chat_refusals_raise(
    io_mode: str, status: int, body: dict[str, Any], error: type[Exception]
) -> None:
    wire = Wire(lambda request: httpx.Response(status, json=body))

    with pytest.raises(error):
        await stop(io_mode, make_client(wire, max_retries=0), StopChatRequest(chat_id="c1"))

    assert len(wire.requests) == 1
