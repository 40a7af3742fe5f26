"""The Client: its builder, environment fallbacks, pools and their lifetime, with_options, headers.

Pool behaviour is checked against a real HTTP server on loopback (keep-alive on), so "shared pool"
is observed as a shared TCP connection, not by peeking at objects.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import certifi
import httpx
import pytest
from conftest import (
    API_KEY,
    APP_ID,
    COMPLETION_OK,
    ScriptedServer,
    chat_request,
    complete,
    make_client,
    reply,
    sleep_hooks,
)

from fastgpt_oapi import Client, InternalServerError, RequestOption, RequestValidationError
from fastgpt_oapi.api.chat_history.model import ListHistoriesRequest
from fastgpt_oapi.core.config import DEFAULT_BASE_URL

OTHER_APP_ID = "65f0c1a2b3c4d5e6f7a8b9c0"


# ---- a real server on loopback ----------------------------------------------------------------


class Seen:
    def __init__(self, port: int, path: str, headers: dict[str, str], body: dict[str, Any]) -> None:
        self.port = port  # the client's source port: one TCP connection, one port
        self.path = path
        self.headers = headers
        self.body = body


class LoopbackServer:
    def __init__(self) -> None:
        self.seen: list[Seen] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so a pooled connection is reused

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                outer.seen.append(Seen(self.client_address[1], self.path, dict(self.headers), body))
                if self.path.endswith("/getHistories"):
                    answer: dict[str, Any] = {
                        "code": 200,
                        "statusText": "",
                        "message": "",
                        "data": {"list": [], "total": 0},
                    }
                else:
                    answer = {**COMPLETION_OK, "id": body.get("chatId", "")}
                payload = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True)

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with LoopbackServer() as server:
        yield server


def closed(http: httpx.Client | httpx.AsyncClient) -> bool:
    return http.is_closed


def owned(url: str, **settings: Any) -> Client:
    """A client that makes its own pools (no user-supplied httpx client)."""
    builder = Client.builder().base_url(url).api_key(API_KEY).app_id(APP_ID)
    for name, value in settings.items():
        builder = getattr(builder, name)(value)
    return builder.build()


# ---- builder and environment ------------------------------------------------------------------


def test_builder_settings_reach_the_wire() -> None:
    server = ScriptedServer(reply(503, content=b"busy"))
    client = (
        Client.builder()
        .base_url("https://fastgpt.example.com/api/")
        .api_key("fastgpt-builder-key")
        .app_id(OTHER_APP_ID)
        .timeout(42.0)
        .connect_timeout(3.0)
        .max_retries(1)
        .default_headers({"X-Trace": "1"})
        .http_client(httpx.Client(transport=httpx.MockTransport(server)))
        .build(_hooks=sleep_hooks())
    )
    assert client.base_url == "https://fastgpt.example.com"  # FastGPT's documented "{host}/api" is accepted
    assert client.app_id == OTHER_APP_ID
    with pytest.raises(InternalServerError):
        client.chat.chat(chat_request())
    assert len(server.requests) == 2  # max_retries(1)
    sent = server.requests[0]
    assert str(sent.url) == "https://fastgpt.example.com/api/v2/chat/completions"
    assert sent.headers["authorization"] == "Bearer fastgpt-builder-key"
    assert sent.headers["x-trace"] == "1"
    assert json.loads(sent.content)["appId"] == OTHER_APP_ID
    assert sent.extensions["timeout"] == {"connect": 3.0, "read": 42.0, "write": 42.0, "pool": 3.0}


def test_builder_settings_reach_the_pools_it_creates() -> None:
    context = ssl.create_default_context()
    client = (
        Client.builder()
        .api_key(API_KEY)
        .max_connections(7)
        .max_keepalive_connections(3)
        .keepalive_expiry(9.0)
        .verify(False)
        .build()
    )
    proxied = Client.builder().api_key(API_KEY).verify(context).proxy("http://proxy.test:8080").build()

    async def async_pool() -> httpx.AsyncClient:
        return client._pools.async_client()  # the pool of the running loop

    try:
        for http in (client._pools.sync_client(), asyncio.run(async_pool())):
            transport: Any = http._transport
            pool = transport._pool  # httpcore's pool: the limits live there
            assert (pool._max_connections, pool._max_keepalive_connections, pool._keepalive_expiry) == (
                7,
                3,
                9.0,
            )
            assert pool._ssl_context.verify_mode == ssl.CERT_NONE
            assert http.follow_redirects is False
            assert http.timeout == httpx.Timeout(600.0, connect=5.0, pool=5.0)
        http = proxied._pools.sync_client()
        (mount,) = http._mounts.values()
        assert mount is not None
        assert mount._pool._proxy_url.host == b"proxy.test"  # type: ignore[attr-defined]
        assert mount._pool._ssl_context is context  # type: ignore[attr-defined]
        assert http.trust_env is False  # an explicit proxy is not overridden by HTTP_PROXY
    finally:
        client.close()
        proxied.close()


def test_pools_share_one_tls_context_per_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CA bundle is loaded once per process, not once per pool (about 50 ms of CPU each)."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)

    def contexts(client: Client) -> list[ssl.SSLContext]:
        async def async_pool() -> httpx.AsyncClient:
            return client._pools.async_client()

        try:
            pools = [client._pools.sync_client(), asyncio.run(async_pool()), asyncio.run(async_pool())]
            return [http._transport._pool._ssl_context for http in pools]  # type: ignore[attr-defined]
        finally:
            client.close()

    first, *others = contexts(Client.builder().api_key(API_KEY).build())
    assert first.verify_mode == ssl.CERT_REQUIRED
    assert first.check_hostname
    assert all(c is first for c in others + contexts(Client.builder().api_key(API_KEY).build()))
    # What httpx would trust instead: another environment, a bundle by path, no verification.
    bundle = httpx.create_ssl_context().get_ca_certs()
    assert bundle
    assert first.get_ca_certs() == bundle
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    (from_env, *_) = contexts(Client.builder().api_key(API_KEY).build())
    assert from_env is not first
    assert from_env.get_ca_certs() == bundle
    (by_path, *_) = contexts(Client.builder().api_key(API_KEY).verify(certifi.where()).build())
    assert by_path not in (first, from_env)
    assert by_path.get_ca_certs() == bundle
    (unverified, *_) = contexts(Client.builder().api_key(API_KEY).verify(False).build())
    assert unverified.verify_mode == ssl.CERT_NONE


def test_defaults_without_environment() -> None:
    client = Client.builder().build()
    assert client.base_url == DEFAULT_BASE_URL
    assert client.app_id is None
    assert client._config.timeout == 600.0  # finite by default
    assert client._config.connect_timeout == 5.0
    assert client._config.max_retries == 2


async def test_environment_fallbacks(monkeypatch: pytest.MonkeyPatch, io_mode: str) -> None:
    monkeypatch.setenv("FASTGPT_BASE_URL", "http://from-env.test/api")
    monkeypatch.setenv("FASTGPT_API_KEY", "fastgpt-from-env")
    monkeypatch.setenv("FASTGPT_APP_ID", OTHER_APP_ID)
    server = ScriptedServer(reply(200, json_body=COMPLETION_OK))
    transport = httpx.MockTransport(server)
    client = (
        Client.builder()
        .http_client(httpx.Client(transport=transport))
        .async_http_client(httpx.AsyncClient(transport=transport))
        .build()
    )
    assert (client.base_url, client.app_id) == ("http://from-env.test", OTHER_APP_ID)
    await complete(client, io_mode)
    (sent,) = server.requests
    assert sent.url.host == "from-env.test"
    assert sent.headers["authorization"] == "Bearer fastgpt-from-env"
    assert json.loads(sent.content)["appId"] == OTHER_APP_ID


def test_builder_settings_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTGPT_BASE_URL", "http://from-env.test")
    monkeypatch.setenv("FASTGPT_APP_ID", OTHER_APP_ID)
    client = Client.builder().base_url("http://explicit.test").app_id(APP_ID).build()
    assert (client.base_url, client.app_id) == ("http://explicit.test", APP_ID)
    assert Client.builder().app_id(None).build().app_id is None


@pytest.mark.parametrize(
    "base_url",
    [
        "",
        "localhost:3000",
        "ftp://fastgpt.test",
        "http://",
        "http:///api",
        "https://",
        "http://fast gpt.test",
        "http://fastgpt.test:port",
        "http://fastgpt.test:99999",
        "http://fastgpt.test/?team=1",
        "http://fastgpt.test/#top",
    ],
)
def test_malformed_base_url_fails_at_build(base_url: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        Client.builder().base_url(base_url).build()
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == "base_url"
    assert "base_url" in str(caught.value)


def test_malformed_base_url_from_the_environment_fails_at_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTGPT_BASE_URL", "fastgpt.test:3000")
    with pytest.raises(RequestValidationError) as caught:
        Client.builder().build()
    assert caught.value.field == "base_url"


@pytest.mark.parametrize(
    ("base_url", "normalised"),
    [
        ("http://fastgpt.test", "http://fastgpt.test"),
        ("https://fastgpt.test:8443/", "https://fastgpt.test:8443"),
        ("http://10.0.0.2:3000/api", "http://10.0.0.2:3000"),
        ("http://h.test/prefix", "http://h.test/prefix"),
        # FastGPT's OpenAI-compatible base URL, as its chat docs tell OpenAI clients to set it
        ("https://fastgpt.test/api/v1", "https://fastgpt.test"),
        ("https://fastgpt.test/api/v1/", "https://fastgpt.test"),
        ("http://h.test/prefix/api/v1", "http://h.test/prefix"),
        ("http://h.test/prefix/api/", "http://h.test/prefix"),
        # not a base URL FastGPT documents: kept, like any path
        ("http://h.test/api/v2", "http://h.test/api/v2"),
        ("http://h.test/v1", "http://h.test/v1"),
        # a host named "api" is a host, not a path
        ("http://api", "http://api"),
        ("http://api/api/v1", "http://api"),
    ],
)
def test_well_formed_base_urls(base_url: str, normalised: str) -> None:
    client = Client.builder().base_url(base_url).build()
    assert client.base_url == normalised


def test_the_openai_base_url_reaches_the_sdk_paths() -> None:
    server = ScriptedServer(reply(200, json_body=COMPLETION_OK))
    with make_client(server, base_url="https://fastgpt.example.com/api/v1/") as client:
        client.chat.chat(chat_request())
    assert str(server.requests[0].url) == "https://fastgpt.example.com/api/v2/chat/completions"


@pytest.mark.parametrize("app_id", ["abc", APP_ID[:-1], APP_ID + "0", "zz" + APP_ID[2:], " " + APP_ID[1:]])
def test_malformed_app_id_fails_at_build(app_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RequestValidationError) as caught:
        Client.builder().app_id(app_id).build()
    assert caught.value.field == "app_id"
    monkeypatch.setenv("FASTGPT_APP_ID", app_id)
    with pytest.raises(RequestValidationError) as caught:
        Client.builder().build()
    assert caught.value.field == "app_id"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("timeout", 0.0),
        ("timeout", -1.0),
        ("connect_timeout", 0.0),
        ("keepalive_expiry", -5.0),
        ("max_retries", -1),
        ("max_connections", -1),
        ("max_keepalive_connections", -1),
    ],
)
def test_bad_numbers_fail_at_build(setting: str, value: float) -> None:
    builder = Client.builder()
    getattr(builder, setting)(value)
    with pytest.raises(RequestValidationError) as caught:
        builder.build()
    assert caught.value.field == setting


# ---- pools ------------------------------------------------------------------------------------


def test_pools_are_created_on_first_use(loopback: LoopbackServer) -> None:
    with owned(loopback.url) as client:
        assert (client._pools._sync, client._pools._async) == (None, None)
        _ = client.chat  # a service alone does not open anything
        assert (client._pools._sync, client._pools._async) == (None, None)
        client.chat.chat(chat_request())
        assert client._pools._sync is not None
        assert client._pools._async is None  # the async pool waits for an async call


async def test_calls_share_one_pooled_connection(loopback: LoopbackServer) -> None:
    async with owned(loopback.url) as client:
        for _ in range(3):
            client.chat.chat(chat_request())
        for _ in range(2):
            await client.chat.achat(chat_request())
    sync_ports = {s.port for s in loopback.seen[:3]}
    async_ports = {s.port for s in loopback.seen[3:]}
    assert len(sync_ports) == 1
    assert len(async_ports) == 1
    assert sync_ports != async_ports  # two pools: one sync, one async


def test_services_share_the_client_pool(loopback: LoopbackServer) -> None:
    with owned(loopback.url) as client:
        client.chat.chat(chat_request())
        assert client.chat_history.list_histories(ListHistoriesRequest()).total == 0
        client.chat.chat(chat_request())
    assert [s.path for s in loopback.seen] == [
        "/api/v2/chat/completions",
        "/api/core/chat/history/getHistories",
        "/api/v2/chat/completions",
    ]
    assert len({s.port for s in loopback.seen}) == 1


def test_context_manager_closes_owned_pools(loopback: LoopbackServer) -> None:
    with owned(loopback.url) as client:
        client.chat.chat(chat_request())
        http = client._pools.sync_client()
        assert not closed(http)
    assert closed(http)
    with pytest.raises(RuntimeError, match="closed"):
        client.chat.chat(chat_request())


async def test_async_context_manager_closes_owned_pools(loopback: LoopbackServer) -> None:
    async with owned(loopback.url) as client:
        client.chat.chat(chat_request())
        await client.chat.achat(chat_request())
        sync_http, async_http = client._pools.sync_client(), client._pools.async_client()
    assert sync_http.is_closed
    assert async_http.is_closed


async def test_close_and_aclose_by_hand(loopback: LoopbackServer) -> None:
    client = owned(loopback.url)
    client.chat.chat(chat_request())
    http = client._pools.sync_client()
    client.close()
    assert http.is_closed
    client.close()  # twice is fine

    other = owned(loopback.url)
    await other.chat.achat(chat_request())
    async_http = other._pools.async_client()
    await other.aclose()
    assert async_http.is_closed


async def test_user_supplied_clients_are_never_closed(io_mode: str) -> None:
    server = ScriptedServer(reply(200, json_body=COMPLETION_OK))
    transport = httpx.MockTransport(server)
    with httpx.Client(transport=transport) as sync_http:
        async with httpx.AsyncClient(transport=transport) as async_http:
            client = make_client(server, http_client=sync_http, async_http_client=async_http)
            async with client:
                await complete(client, io_mode)
            client.close()
            await client.aclose()
            assert not sync_http.is_closed
            assert not async_http.is_closed
            # the SDK client is closed for business, whoever owns the httpx clients underneath
            with pytest.raises(RuntimeError, match="closed"):
                await complete(client, io_mode)
            again = make_client(server, http_client=sync_http, async_http_client=async_http)
            await complete(again, io_mode)  # the user's httpx clients still work
    assert len(server.requests) == 2


def test_closing_one_client_leaves_another_open(loopback: LoopbackServer) -> None:
    first, second = owned(loopback.url), owned(loopback.url)
    first.chat.chat(chat_request())
    second.chat.chat(chat_request())
    assert loopback.seen[0].port != loopback.seen[1].port  # separate pools
    first.close()
    second.chat.chat(chat_request())
    assert loopback.seen[2].port == loopback.seen[1].port  # same pooled connection, still open
    second.close()


# ---- with_options ------------------------------------------------------------------------------


def test_with_options_shares_the_pool_and_outlives_nothing(loopback: LoopbackServer) -> None:
    parent = owned(loopback.url, default_headers={"X-Team": "a"})
    derived = parent.with_options(timeout=12.5, max_retries=0, headers={"X-Extra": "1"})
    assert derived._pools is parent._pools
    parent.chat.chat(chat_request())
    derived.chat.chat(chat_request())
    assert loopback.seen[0].port == loopback.seen[1].port  # one pooled connection for both

    derived.close()  # the pools belong to the parent
    parent.chat.chat(chat_request())
    assert loopback.seen[2].port == loopback.seen[0].port
    parent.close()
    assert parent._pools.closed


async def test_with_options_changes_timeout_retries_and_headers(io_mode: str) -> None:
    server = ScriptedServer(reply(503, content=b"busy"))
    parent = make_client(server, default_headers={"X-Team": "a", "X-Mode": "parent"}, max_retries=2)
    derived = parent.with_options(
        timeout=12.5, connect_timeout=1.5, max_retries=0, headers={"X-Mode": "derived"}
    )

    with pytest.raises(InternalServerError):
        await complete(derived, io_mode)
    assert len(server.requests) == 1  # max_retries=0
    sent = server.requests[0]
    assert sent.extensions["timeout"] == {"connect": 1.5, "read": 12.5, "write": 12.5, "pool": 1.5}
    assert (sent.headers["x-team"], sent.headers["x-mode"]) == ("a", "derived")

    with pytest.raises(InternalServerError):
        await complete(parent, io_mode)
    assert len(server.requests) == 4  # the parent keeps its own 2 retries
    sent = server.requests[1]
    assert sent.extensions["timeout"] == {"connect": 5.0, "read": 600.0, "write": 600.0, "pool": 5.0}
    assert sent.headers["x-mode"] == "parent"


def test_with_options_validates() -> None:
    client = Client.builder().build()
    with pytest.raises(RequestValidationError) as caught:
        client.with_options(timeout=-1)
    assert caught.value.field == "timeout"
    with pytest.raises(RequestValidationError) as caught:
        client.with_options(app_id="nope")
    assert caught.value.field == "app_id"


# ---- headers and per-call options --------------------------------------------------------------


async def test_default_and_per_call_headers_reach_the_request(io_mode: str) -> None:
    server = ScriptedServer(reply(200, json_body=COMPLETION_OK))
    client = make_client(server, default_headers={"X-Trace": "client", "X-Team": "a"})
    await complete(client, io_mode)
    option = RequestOption.builder().headers({"X-Trace": "call"}).api_key("fastgpt-per-call").build()
    await complete(client, io_mode, option=option)

    first, second = server.requests
    assert first.headers["authorization"] == f"Bearer {API_KEY}"
    assert (first.headers["x-trace"], first.headers["x-team"]) == ("client", "a")
    assert first.headers["accept"] == "application/json"
    assert first.headers["content-type"] == "application/json"
    assert first.headers["user-agent"].startswith("fastgpt-oapi/")
    assert second.headers["authorization"] == "Bearer fastgpt-per-call"
    assert (second.headers["x-trace"], second.headers["x-team"]) == ("call", "a")


async def test_header_overrides_ignore_case(io_mode: str) -> None:
    server = ScriptedServer(reply(200, json_body=COMPLETION_OK))
    client = make_client(server, default_headers={"user-agent": "my-app/1.0", "x-trace": "client"})
    option = RequestOption(headers={"X-TRACE": "call", "authorization": "Bearer smuggled"})
    await complete(client, io_mode, option=option)
    (sent,) = server.requests
    assert sent.headers.get_list("user-agent") == ["my-app/1.0"]
    assert sent.headers.get_list("x-trace") == ["call"]
    # the key comes from api_key settings only; a header cannot add a second Authorization
    assert sent.headers.get_list("authorization") == [f"Bearer {API_KEY}"]


def _pools(server: ScriptedServer, kind: str, **builder: Any) -> Client:
    """A client over `server`: its own pools ("owned": built on transports) or httpx clients handed in."""
    if kind == "handed in":
        return make_client(server, **builder)
    b = (
        Client.builder()
        .base_url("http://fastgpt.test")
        .api_key(API_KEY)
        .app_id(APP_ID)
        .transport(httpx.MockTransport(server))
        .async_transport(httpx.MockTransport(server))
    )
    for name, value in builder.items():
        b = getattr(b, name)(value)
    return b.build()


async def _stream(client: Client, io_mode: str) -> None:
    if io_mode == "sync":
        with client.chat.chat_stream(chat_request()) as stream:
            stream.until_done()
    else:
        async with client.chat.achat_stream(chat_request()) as astream:
            await astream.until_done()


@pytest.mark.parametrize("pools", ["owned", "handed in"])
async def test_every_request_carries_one_of_each_sdk_header(io_mode: str, pools: str) -> None:
    # The SDK's pools hold User-Agent and Accept; a client handed in gets them per request. Either
    # way each goes out once, and the stream's Accept replaces the JSON one.
    sse = reply(200, content=b"data: [DONE]\n\n", headers={"content-type": "text/event-stream"})
    server = ScriptedServer(reply(200, json_body=COMPLETION_OK), sse)
    client = _pools(server, pools)
    await complete(client, io_mode)
    await _stream(client, io_mode)
    blocking, streamed = server.requests
    for sent, accept in ((blocking, "application/json"), (streamed, "text/event-stream")):
        assert len(sent.headers.get_list("user-agent")) == 1
        assert sent.headers["user-agent"].startswith("fastgpt-oapi/")
        assert sent.headers.get_list("accept") == [accept]
        assert sent.headers.get_list("authorization") == [f"Bearer {API_KEY}"]
    assert blocking.headers.get_list("content-type") == ["application/json"]


@pytest.mark.parametrize("pools", ["owned", "handed in"])
async def test_default_headers_replace_the_sdk_ones_whatever_the_case(io_mode: str, pools: str) -> None:
    server = ScriptedServer(reply(200, json_body=COMPLETION_OK))
    client = _pools(server, pools, default_headers={"user-agent": "my-app/1.0", "ACCEPT": "application/x"})
    await complete(client, io_mode)
    await complete(client, io_mode, option=RequestOption(headers={"User-Agent": "per-call/2"}))
    first, second = server.requests
    assert (first.headers.get_list("user-agent"), first.headers.get_list("accept")) == (
        ["my-app/1.0"],
        ["application/x"],
    )
    assert second.headers.get_list("user-agent") == ["per-call/2"]
    # derived clients share the pools, not the headers
    derived = client.with_options(headers={"X-Derived": "1"}, api_key="fastgpt-derived")
    await complete(derived, io_mode)
    await complete(client, io_mode)
    third, fourth = server.requests[2:]
    assert (third.headers["x-derived"], third.headers["authorization"]) == ("1", "Bearer fastgpt-derived")
    assert "x-derived" not in fourth.headers
    assert fourth.headers["authorization"] == f"Bearer {API_KEY}"


async def test_per_call_timeouts(io_mode: str) -> None:
    server = ScriptedServer(reply(200, json_body=COMPLETION_OK))
    client = make_client(server)
    await complete(client, io_mode, option=RequestOption(timeout=30.0, connect_timeout=2.0))
    await complete(client, io_mode, option=RequestOption(timeout=30.0))
    assert server.requests[0].extensions["timeout"] == {
        "connect": 2.0,
        "read": 30.0,
        "write": 30.0,
        "pool": 2.0,  # waiting for a pooled connection is bounded like connecting
    }
    assert server.requests[1].extensions["timeout"]["connect"] == 5.0


async def test_request_app_id_wins_over_the_client_default(io_mode: str) -> None:
    server = ScriptedServer(reply(200, json_body=COMPLETION_OK))
    client = make_client(server)
    await complete(client, io_mode)
    await complete(client, io_mode, chat_request(app_id=OTHER_APP_ID))
    assert [json.loads(r.content)["appId"] for r in server.requests] == [APP_ID, OTHER_APP_ID]


def test_services_are_created_once_and_share_the_client() -> None:
    client = Client.builder().build()
    assert client.chat is client.chat
    assert client.chat._http is client._http
