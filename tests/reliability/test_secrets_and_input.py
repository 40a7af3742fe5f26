"""Secrets and input, over real sockets.

- The API key (the client's, and one given for a single call) never shows in DEBUG logs of every
  logger, in the repr/str of the client, options, requests, streams or exceptions, nor in a traceback
  printed with its local variables (what error trackers capture), whatever the fault.
  (tests/core/test_secrets_logging.py covers the same through MockTransport; this adds the real
  network stack, every fault of test_faults.py and tracebacks with locals.)
- Ids reach the server intact: a chatId with `/`, `?`, `#`, `&`, `..`, `%`, `+`, spaces, CR LF and
  non-ASCII is percent-encoded in a query and travels as JSON in a body, checked on the raw request.
- No redirect is followed: the host it points to receives nothing, even from an httpx client that
  was built to follow redirects.
- TLS verification is on by default (and a self-signed server is refused).
"""

from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
import traceback
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import API_KEY, APP_ID, COMPLETION_OK

from fastgpt_oapi import APIStatusError, Client, FastGPTError, RequestOption
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.api.chat_history.model import DeleteHistoryRequest, GetChatInitRequest, UpdateHistoryRequest

from ._support import (
    CHAT_INIT,
    ERROR_EVENT,
    FIGURES,
    HEARTBEAT,
    MESSAGES,
    OPS,
    PATHS,
    assert_key_hidden,
    attempt,
    call,
    client_for,
    exception_text,
    ok,
    question,
    stream,
)
from .fault_server import (
    COMPLETIONS,
    Action,
    Beat,
    FaultServer,
    Received,
    chunk,
    json_reply,
    refuse,
    reply,
    reset,
    sse,
    stall,
)

OPTION_KEY = "fastgpt-per-call-secret-9876543210"

# ---- the key never shows ---------------------------------------------------------------------------------

SERVED: dict[str, Action] = {
    "ok": sse(*MESSAGES),
    "refused": json_reply(
        401, {"code": 514, "statusText": "unAuthApiKey", "message": "bad key", "data": None}
    ),
    "crash": json_reply(500, {"code": 500, "statusText": "", "message": "crash", "data": None}),
    "busy": refuse(503, retry_after="0"),
    "reset": reset(),
    "stall": stall(),
    "stream-error": sse(*MESSAGES[:2], ERROR_EVENT),
    "heartbeats": sse(*MESSAGES[:2], then=(Beat(chunk(HEARTBEAT), 0.02),)),
    "redirect": reply(307, b"", headers={"Location": "http://127.0.0.1:9/api/v2/chat/completions"}),
    "html": reply(200, b"<html>hi</html>", content_type="text/html"),
}


class Serve:
    """Answers as the request's `x-serve` header says; `busy-once` is a 503, then success on the retry."""

    def __init__(self) -> None:
        self.seen: set[bytes] = set()

    def __call__(self, request: Received) -> Action:
        served = request.headers.get("x-serve", "ok")
        if served == "busy-once":
            first = request.body not in self.seen
            self.seen.add(request.body)
            served = "busy" if first else "ok"
        return SERVED[served]


SCENARIOS = [
    "ok",
    "busy-once",
    "refused",
    "crash",
    "reset",
    "stall",
    "stream-error",
    "heartbeats",
    "redirect",
    "html",
]


def locals_text(exc: BaseException) -> str:
    """The traceback as an error tracker records it: every frame's local variables, chain included."""
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


async def test_the_key_never_shows_in_logs_reprs_or_exceptions(
    io_mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: the SDK's, httpx's, httpcore's, asyncio's
    server = FaultServer(limit=10.0)
    server.route(COMPLETIONS, Serve())
    shown: list[str] = []
    failures = 0
    with server:
        client = client_for(server.url, timeout=0.3, default_headers={"X-Trace": "t"})
        async with client:
            for served in SCENARIOS:
                for key in (None, OPTION_KEY):
                    option = RequestOption(
                        headers={"x-serve": served},
                        api_key=key,
                        stream_idle_timeout=0.2 if served == "heartbeats" else None,
                    )
                    outcome = await stream(client, io_mode, option)
                    for event in outcome.events:
                        shown.append(repr(event))
                    if outcome.error is not None:
                        failures += 1
                        error = outcome.error
                        assert isinstance(error, FastGPTError), repr(error)
                        shown += [exception_text(error), locals_text(error)]
                        request = getattr(error, "request", None)
                        if request is not None:
                            shown += [repr(request), repr(request.headers), str(request.headers)]
                    if served == "heartbeats":
                        continue  # a blocking call would wait for the whole endless body
                    blocking = await attempt(partial(call, client, "blocking", io_mode, option))
                    if blocking.error is not None:
                        shown += [exception_text(blocking.error), locals_text(blocking.error)]
            stream_object = client.chat.chat_stream(question(), RequestOption(api_key=OPTION_KEY))
            shown += [
                repr(client),
                str(client),
                repr(stream_object),
                repr(stream_object._call),
                repr(client._config),
            ]
            shown += [repr(RequestOption(api_key=OPTION_KEY, stream_idle_timeout=1.0))]
    shown.append(caplog.text)
    for record in caplog.records:
        shown += [record.getMessage(), repr(record.args), repr(record.__dict__)]
    for text in shown:
        assert_key_hidden(text, OPTION_KEY)
    assert failures >= 14  # the scenarios did fail as meant
    assert any(r.name.startswith("httpcore") for r in caplog.records), "DEBUG logging of the stack was on"
    # the server did receive the keys: they were sent, just never shown
    assert {r.headers["authorization"] for r in server.requests} == {
        f"Bearer {API_KEY}",
        f"Bearer {OPTION_KEY}",
    }
    FIGURES.count(
        "secrets: texts checked for the key (logs, reprs, exceptions, tracebacks with locals)", len(shown)
    )


# ---- ids reach the server intact -----------------------------------------------------------------------------

ODD_IDS = [
    "../../api/v2/chat/completions",
    "a/b?c=d&e=f#g",
    "space and+plus%2F%zz",
    "中文 ü émoji 🚀",
    "line\r\nX-Injected: 1",
    "..",
]


def id_server() -> FaultServer:
    server = FaultServer()
    envelope = {"code": 200, "statusText": "", "message": "", "data": None}
    for path in ("/api/core/chat/history/delHistory", "/api/core/chat/history/updateHistory"):
        server.script(path, json_reply(200, envelope))
    server.script(CHAT_INIT, ok("read"))
    server.script(COMPLETIONS, json_reply(200, COMPLETION_OK))
    return server


def assert_clean_request_line(received: Received, path: str) -> None:
    line = received.request_line
    assert line.isascii()
    _, target, version = line.split(b" ")  # exactly three parts: no raw space in the target
    assert version == b"HTTP/1.1"
    assert b"#" not in target
    assert not any(byte < 0x21 for byte in target)  # no CR, LF or other control characters
    assert received.path == path  # the id stayed in the query: no traversal, no extra segment
    assert "x-injected" not in received.headers


@pytest.mark.parametrize("chat_id", ODD_IDS)
async def test_ids_reach_the_server_intact(chat_id: str, io_mode: str) -> None:
    server = id_server()
    with server:
        async with client_for(server.url) as client:
            history = client.chat_history
            delete = DeleteHistoryRequest(chat_id=chat_id)
            init = GetChatInitRequest(chat_id=chat_id)
            update = UpdateHistoryRequest(chat_id=chat_id, custom_title=chat_id)
            completion = ChatCompletionRequest(messages=[ChatMessage.user(chat_id)], chat_id=chat_id)
            if io_mode == "sync":
                history.delete_history(delete)
                history.get_chat_init(init)
                history.update_history(update)
                response = client.chat.chat(completion)
            else:
                await history.adelete_history(delete)
                await history.aget_chat_init(init)
                await history.aupdate_history(update)
                response = await client.chat.achat(completion)
    assert response.answer == "ok"
    deleted, initialised, updated, completed = server.requests
    for received, path in [
        (deleted, "/api/core/chat/history/delHistory"),
        (initialised, CHAT_INIT),
    ]:
        assert_clean_request_line(received, path)
        assert received.query == {"appId": [APP_ID], "chatId": [chat_id]}  # as a web server decodes it
    assert_clean_request_line(updated, "/api/core/chat/history/updateHistory")
    assert updated.json() == {"appId": APP_ID, "chatId": chat_id, "customTitle": chat_id}
    assert_clean_request_line(completed, COMPLETIONS)
    body = completed.json()
    assert body["chatId"] == chat_id
    assert body["messages"][0]["content"] == chat_id
    FIGURES.count("input: odd ids sent and checked on the raw request", 4)


# ---- redirects are not followed ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("own_client", [False, True], ids=["sdk-pool", "user-client-following-redirects"])
async def test_no_redirect_is_followed(status: int, own_client: bool, io_mode: str) -> None:
    elsewhere = FaultServer()
    for op in OPS:
        elsewhere.script(PATHS[op], ok(op))
    origin = FaultServer()
    with elsewhere, origin:
        for op in OPS:
            target = elsewhere.url + PATHS[op]
            origin.script(
                PATHS[op], reply(status, b"", content_type="text/plain", headers={"Location": target})
            )
        settings: dict[str, Any] = {"max_retries": 2}
        users: list[httpx.Client | httpx.AsyncClient] = []
        if own_client:
            users = [httpx.Client(follow_redirects=True), httpx.AsyncClient(follow_redirects=True)]
            settings |= {"http_client": users[0], "async_http_client": users[1]}
        try:
            async with client_for(origin.url, **settings) as client:
                for op in OPS:
                    outcome = await attempt(partial(call, client, op, io_mode))
                    assert type(outcome.error) is APIStatusError, repr(outcome.error)
                    assert outcome.error.http_status == status
                    assert_key_hidden(exception_text(outcome.error))
        finally:
            for user in users:
                if isinstance(user, httpx.Client):
                    user.close()
                else:
                    await user.aclose()
        assert elsewhere.requests == []  # nothing, and so no key, reached the other host
        assert elsewhere.connections == 0
        assert len(origin.requests) == len(OPS)  # and a 3xx is not retried either
    FIGURES.count("redirects: refused, the other host receiving nothing", len(OPS))


# ---- TLS ------------------------------------------------------------------------------------------------------------


def ssl_contexts(client: Client) -> list[ssl.SSLContext]:
    """The SSL contexts the client's two pools will use, as httpcore holds them."""
    contexts = []
    for http in (client._pools.sync_client(), client._pools.async_client()):
        transport: Any = http._transport
        contexts.append(transport._pool._ssl_context)
    return contexts


async def test_tls_verification_is_on_by_default() -> None:
    async with Client.builder().base_url("https://fastgpt.example.com").api_key(API_KEY).build() as client:
        for context in ssl_contexts(client):
            assert context.verify_mode == ssl.CERT_REQUIRED
            assert context.check_hostname is True
        for context in ssl_contexts(client.with_options(timeout=5.0)):  # shared pools, same contexts
            assert context.verify_mode == ssl.CERT_REQUIRED


async def test_the_tls_check_can_fail() -> None:
    """Control: turning verification off is visible to the same probe."""
    builder = Client.builder().base_url("https://fastgpt.example.com").api_key(API_KEY).verify(False)
    async with builder.build() as client:
        for context in ssl_contexts(client):
            assert context.verify_mode == ssl.CERT_NONE
            assert context.check_hostname is False


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 and its key, made by the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


async def test_a_self_signed_server_is_refused_by_default(
    self_signed: tuple[Path, Path], io_mode: str
) -> None:
    cert, key = self_signed
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    server = FaultServer(tls=server_side)
    server.script(COMPLETIONS, ok("blocking"))
    with server:
        async with client_for(server.url, max_retries=1) as client:
            refused = await attempt(lambda: call(client, "blocking", io_mode))
        assert isinstance(refused.error, FastGPTError)
        assert "CERTIFICATE_VERIFY_FAILED" in str(refused.error)
        assert_key_hidden(exception_text(refused.error))
        assert server.requests == []  # the key never left the client
        # The client gives up on reading the certificate; the server's side of the handshake fails a
        # moment later, on its own thread: wait for it before counting.
        assert server.wait_until_idle()
        assert server.tls_failures >= 1
        # Control: the same server is fine once its certificate is trusted.
        async with client_for(server.url, verify=ssl.create_default_context(cafile=str(cert))) as trusting:
            accepted = await attempt(lambda: call(trusting, "blocking", io_mode))
        assert accepted.error is None, repr(accepted.error)
        assert len(server.requests) == 1
