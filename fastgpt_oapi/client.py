"""`Client` and its builder: configuration, the pooled transports, and the services."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import replace
from types import TracebackType
from typing import Literal

import httpx

from ._services import ClientServices
from .core.config import ClientConfig, Secret, check_api_key
from .core.http import Hooks, Injected, Pools, Sender
from .core.retry import RetryPolicy

__all__ = ["Client", "ClientBuilder"]


class Client(ClientServices):
    """A FastGPT API client. Build it with `Client.builder()`; share one per process and close it.

    Its services (`client.chat`, `client.dataset`, ...) come from `ClientServices` (`_services.py`,
    which `make codegen` writes from the service modules), each made on first use."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        injected: Injected | None = None,
        _hooks: Hooks | None = None,
        _parent: Sender | None = None,
    ) -> None:
        """Prefer `Client.builder()`. `injected`: the httpx clients or transports to send through.
        `_hooks` replaces how the client sleeps and reads the clock (tests); `_parent` is the sender
        of the client `with_options` derives this one from."""
        self._config = config.validated()
        self._owns_pools = _parent is None
        if _parent is None:
            self._http = Sender(self._config, Pools(self._config, injected), hooks=_hooks)
        else:
            self._http = _parent.derive(self._config)

    @property
    def _pools(self) -> Pools:
        return self._http.pools

    @staticmethod
    def builder() -> ClientBuilder:
        return ClientBuilder()

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def app_id(self) -> str | None:
        return self._config.app_id

    def with_options(
        self,
        *,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int | None = None,
        headers: Mapping[str, str] | None = None,
        app_id: str | None = None,
        api_key: str | None = None,
        stream_idle_timeout: float | None = None,
    ) -> Client:
        """A client with changed settings that shares this client's connection pools.

        Closing the derived client leaves the pools open: they belong to the client that made them.
        """
        config = self._config
        changes: dict[str, object] = {}
        if timeout is not None:
            changes["timeout"] = timeout
        if connect_timeout is not None:
            changes["connect_timeout"] = connect_timeout
        if max_retries is not None:
            changes["max_retries"] = max_retries
        if headers is not None:
            changes["default_headers"] = {**config.default_headers, **headers}
        if app_id is not None:
            changes["app_id"] = app_id
        if api_key is not None:
            check_api_key(api_key)
            changes["api_key"] = Secret(api_key)
        if stream_idle_timeout is not None:
            changes["stream_idle_timeout"] = stream_idle_timeout
        return Client(replace(config, **changes), _parent=self._http)  # type: ignore[arg-type]

    def close(self) -> None:
        """Close the sync pool this client created (never a user-supplied httpx client).

        A client that also made async calls should be closed with `aclose()` / `async with`, which
        close both pools: closing the async pool has to be awaited.
        """
        if self._owns_pools:
            self._http.pools.close()

    async def aclose(self) -> None:
        if self._owns_pools:
            await self._http.pools.aclose()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        key = "set" if self._config.api_key else "unset"
        return f"Client(base_url={self._config.base_url!r}, app_id={self._config.app_id!r}, api_key={key})"


class ClientBuilder:
    """Settings not given fall back to FASTGPT_BASE_URL, FASTGPT_API_KEY, FASTGPT_APP_ID and
    FASTGPT_STRICT_RESPONSES, then defaults."""

    def __init__(self) -> None:
        self._config = ClientConfig.from_env()
        self._injected = Injected()

    def _with(self, **changes: object) -> ClientBuilder:
        self._config = replace(self._config, **changes)  # type: ignore[arg-type]
        return self

    def base_url(self, base_url: str) -> ClientBuilder:
        return self._with(base_url=base_url)

    def api_key(self, api_key: str) -> ClientBuilder:
        return self._with(api_key=Secret(api_key) if api_key else None)

    def app_id(self, app_id: str | None) -> ClientBuilder:
        return self._with(app_id=app_id)

    def timeout(self, seconds: float) -> ClientBuilder:
        """Read (and write and pool) timeout. FastGPT's 10 s heartbeat keeps a slow workflow alive."""
        return self._with(timeout=seconds)

    def connect_timeout(self, seconds: float) -> ClientBuilder:
        return self._with(connect_timeout=seconds)

    def max_retries(self, max_retries: int) -> ClientBuilder:
        return self._with(max_retries=max_retries)

    def retry_backoff(
        self, *, initial: float = 0.5, maximum: float = 8.0, jitter: float = 0.25
    ) -> ClientBuilder:
        """The waits between tries: `initial` seconds before the second try, doubled for each next
        one up to `maximum`, each less a random share of up to `jitter` (0 to 1; 0: exact waits). A
        server's Retry-After still wins (capped at 60 s). Checked when the client is built."""
        return self._with(retry_backoff=RetryPolicy(initial_delay=initial, max_delay=maximum, jitter=jitter))

    def max_connections(self, n: int) -> ClientBuilder:
        return self._with(max_connections=n)

    def max_keepalive_connections(self, n: int) -> ClientBuilder:
        return self._with(max_keepalive_connections=n)

    def keepalive_expiry(self, seconds: float) -> ClientBuilder:
        return self._with(keepalive_expiry=seconds)

    def default_headers(self, headers: Mapping[str, str]) -> ClientBuilder:
        return self._with(default_headers=dict(headers))

    def verify(self, verify: bool | str | ssl.SSLContext) -> ClientBuilder:
        return self._with(verify=verify)

    def proxy(self, proxy: str | None) -> ClientBuilder:
        return self._with(proxy=proxy)

    def max_event_bytes(self, n: int) -> ClientBuilder:
        """The most bytes one SSE event of a stream may take (default 64 MiB).

        A stream whose event grows past it, say a server sending one endless line, raises
        `StreamEventTooLargeError` (a `StreamError`) and is closed, instead of buffering without bound.
        """
        return self._with(max_event_bytes=n)

    def stream_idle_timeout(self, seconds: float | None) -> ClientBuilder:
        """Give up on a stream that sends nothing but heartbeats for this long (default None: off).

        FastGPT sends an empty answer every 10 s while a workflow runs, so a stuck workflow never trips
        the read timeout. With this set, a stream raises `APITimeoutError` once `seconds` pass without
        an event other than that empty heartbeat; the window starts when the stream is first read
        and restarts with each such event. A read waits at most `seconds` for any byte at all.
        """
        return self._with(stream_idle_timeout=seconds)

    def completions_version(self, version: Literal["v1", "v2"] | None) -> ClientBuilder:
        """Send completions to `/api/{version}/chat/completions` only.

        By default (None) they go to v2, FastGPT's documented path since 4.15, and a server without
        v2 (before 4.9.4) is asked once at v1, which the client then keeps using.
        """
        return self._with(completions_version=version)

    def strict_responses(self, strict: bool = True) -> ClientBuilder:
        """Raise `APIResponseValidationError` when a response does not fit its model (default: off).

        Off, a field FastGPT sends in a shape this SDK does not know takes its default, its raw value
        is kept in the model's `unparsed`, and a `ResponseDriftWarning` is issued once per model and
        field. On, the call fails instead: for test suites that must notice drift first. The default
        comes from `FASTGPT_STRICT_RESPONSES` (`1`, `true`, `yes` or `on`: strict).
        """
        return self._with(strict_responses=strict)

    def http_client(self, client: httpx.Client) -> ClientBuilder:
        """Use this httpx client for sync calls. The SDK never closes it."""
        self._injected = replace(self._injected, http_client=client)
        return self

    def async_http_client(self, client: httpx.AsyncClient) -> ClientBuilder:
        """Use this httpx client for async calls. The SDK never closes it."""
        self._injected = replace(self._injected, async_http_client=client)
        return self

    def transport(self, transport: httpx.BaseTransport) -> ClientBuilder:
        """Send sync calls through this httpx transport, in a pool the client owns and closes.

        Pool limits, `verify` and `proxy` then belong to the transport.
        """
        self._injected = replace(self._injected, transport=transport)
        return self

    def async_transport(self, transport: httpx.AsyncBaseTransport) -> ClientBuilder:
        """The async twin of `transport()`."""
        self._injected = replace(self._injected, async_transport=transport)
        return self

    def build(self, *, _hooks: Hooks | None = None) -> Client:
        return Client(self._config, injected=self._injected, _hooks=_hooks)

    def __repr__(self) -> str:
        return f"ClientBuilder({self._config!r})"
