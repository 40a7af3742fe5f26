"""The HTTP layer: the only module that talks to httpx.

Everything that does not wait on I/O is written once: `HTTPCore` builds requests, maps errors and
parses responses, and `Tries` makes every retry and path-fallback decision of a call. `Sender` is what
services get from their client; its sync and async shells (`open` / `aopen`) are loops of I/O around
`Tries`. Requests go out with `follow_redirects=False`: a redirect would carry the API key to wherever
the `Location` points, so a 3xx is an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import platform
import random
import ssl
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar, cast

import httpx

from .._version import __version__
from .config import CallSettings, ClientConfig, check_api_key
from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    RequestValidationError,
    describe_error_body,
    is_error_envelope,
    make_status_error,
    retry_after_in_text,
)
from .retry import (
    DEFAULT_RETRY_POLICY,
    Failure,
    RequestKind,
    RetryPolicy,
    backoff_delay,
    parse_retry_after,
    should_retry,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable

    from pydantic import BaseModel

    from .model import APIRequest, Fallback
    from .multipart import MultipartBody
    from .options import RequestOption

__all__ = [
    "CallTries",
    "HTTPCore",
    "Hooks",
    "Injected",
    "Outcome",
    "Pools",
    "PreparedCall",
    "RawResponse",
    "Sender",
    "Tries",
    "adrive",
    "drive",
]

logger = logging.getLogger("fastgpt_oapi")

ResponseT = TypeVar("ResponseT", bound="BaseModel")

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Failures while reading a body: the connection broke, or the bytes that came cannot be decoded.
READ_ERRORS = (httpx.TransportError, httpx.DecodingError)

_USER_AGENT = f"fastgpt-oapi/{__version__} python/{platform.python_version()} httpx/{httpx.__version__}"
# Sent with every request. Set once on the httpx clients the SDK owns, added per request to a client
# the user handed in.
BASE_HEADERS: Mapping[str, str] = MappingProxyType({"User-Agent": _USER_AGENT, "Accept": "application/json"})


@dataclass(frozen=True)
class Injected:
    """The httpx pieces a user hands a client: their own httpx clients, used as they are and never
    closed by the SDK, or transports, which the SDK wraps in pools it owns and closes."""

    http_client: httpx.Client | None = None
    async_http_client: httpx.AsyncClient | None = None
    transport: httpx.BaseTransport | None = None
    async_transport: httpx.AsyncBaseTransport | None = None


def tls_context(verify: bool | str | ssl.SSLContext, *, trust_env: bool) -> ssl.SSLContext:
    """The TLS context a pool verifies servers by: `verify` itself when it is one, else made as httpx
    makes it (`httpx.create_ssl_context`: certifi's CA bundle, or `SSL_CERT_FILE` / `SSL_CERT_DIR` when
    the environment is trusted; a path: that CA bundle; False: no verification).

    Loading a CA bundle costs about 50 ms of CPU, and httpx loads one for every pool it makes: for the
    SDK, one per client and per event loop. So each is made once per process and shared: an
    `SSLContext` is safe to share between pools and threads, and the one thing httpcore sets on it per
    connection, the ALPN protocols, is always HTTP/1.1 here. A changed environment variable or path
    makes a new one."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    env = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")) if trust_env else (None, None)
    return _shared_tls_context(verify, trust_env, *env)


@functools.lru_cache(maxsize=16)
def _shared_tls_context(
    verify: bool | str, trust_env: bool, cert_file: str | None, cert_dir: str | None
) -> ssl.SSLContext:
    if isinstance(verify, str):  # a CA bundle path (httpx takes only an SSLContext for that now)
        return ssl.create_default_context(cafile=verify)
    return httpx.create_ssl_context(verify=verify, trust_env=trust_env)


class Pools:
    """The pooled httpx clients of one `Client`, created on first use and shared by its services.

    A client handed in by the user is used as is and never closed by the SDK. Transports handed in
    (for tests, or a custom network layer) are wrapped in pools the SDK owns and closes.
    """

    def __init__(self, config: ClientConfig, injected: Injected | None = None) -> None:
        injected = injected or Injected()
        self._config = config
        self._sync = injected.http_client
        self._async = injected.async_http_client  # the user's; the SDK's own are per event loop
        # An httpx.AsyncClient's connections belong to the event loop that opened them, so the SDK
        # keeps one pool per loop (two `asyncio.run()`s, pytest's loop per test), each closed when its
        # loop shuts down (see `_close_with_loop`) or by `aclose()`.
        self._per_loop: dict[asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, AsyncGenerator[None]]] = {}
        # Whether a pool is the SDK's own (it carries BASE_HEADERS and the SDK closes it).
        self.owns_sync = injected.http_client is None
        self.owns_async = injected.async_http_client is None
        self._transport = injected.transport
        self._async_transport = injected.async_transport
        self._lock = threading.Lock()
        self.closed = False

    def _kwargs(self) -> dict[str, Any]:
        c = self._config
        return {
            "timeout": timeout_of(c.resolve(None)),
            "limits": httpx.Limits(
                max_connections=c.max_connections,
                max_keepalive_connections=c.max_keepalive_connections,
                keepalive_expiry=c.keepalive_expiry,
            ),
            "verify": tls_context(c.verify, trust_env=c.proxy is None),
            "proxy": c.proxy,
            "follow_redirects": False,
            "trust_env": c.proxy is None,
            # The SDK's constant headers live on the pools it owns: httpx searching for and replacing
            # its own defaults in every request was a quarter of build_request (bench/RESULTS.md, row 2).
            "headers": BASE_HEADERS,
        }

    def _check_open(self) -> None:
        if self.closed:
            raise RuntimeError("this fastgpt_oapi Client is closed")

    def sync_client(self) -> httpx.Client:
        self._check_open()
        if self._sync is None:
            with self._lock:
                self._check_open()
                if self._sync is None:
                    self._sync = httpx.Client(transport=self._transport, **self._kwargs())
        return self._sync

    def async_client(self) -> httpx.AsyncClient:
        """The async pool for the running event loop (call it from a coroutine)."""
        self._check_open()
        if self._async is not None:
            return self._async
        loop = asyncio.get_running_loop()
        entry = self._per_loop.get(loop)
        if entry is None:
            with self._lock:
                self._check_open()
                entry = self._per_loop.get(loop)
                if entry is None:
                    for old in [old for old in self._per_loop if old.is_closed()]:
                        del self._per_loop[old]  # closed with its loop already
                    client = httpx.AsyncClient(transport=self._async_transport, **self._kwargs())
                    entry = self._per_loop[loop] = (client, _close_with_loop(client))
        return entry[0]

    def close(self) -> None:
        """Close the sync pool. The async pool needs `aclose()` (closing it must be awaited)."""
        with self._lock:
            self.closed = True
            client = self._sync if self.owns_sync else None
            self._sync = None if self.owns_sync else self._sync
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the pools: the sync one, and the async ones of this loop and of any other still running."""
        with self._lock:
            self.closed = True
            pools, self._per_loop = self._per_loop, {}
        here = asyncio.get_running_loop()
        for loop, (client, _) in pools.items():
            if loop is here:
                await client.aclose()
            elif loop.is_running():  # another thread's loop: close it there
                asyncio.run_coroutine_threadsafe(client.aclose(), loop)
        self.close()


async def _closer(client: httpx.AsyncClient) -> AsyncGenerator[None]:
    try:
        yield
    finally:
        await client.aclose()


def _close_with_loop(client: httpx.AsyncClient) -> AsyncGenerator[None]:
    """Have the running loop close `client` when it shuts down.

    `asyncio.run()` (and `asyncio.Runner`, which pytest-asyncio uses) finalise the loop's async
    generators before closing it: a generator started here, and kept alive by the pool's entry, is
    one of them, and its `finally` closes the pool while the loop can still run it. A pool left to a
    closed loop would hold sockets nothing can close any more.
    """
    keeper = _closer(client)
    step = keeper.__anext__()  # registers the generator with the running loop
    with contextlib.suppress(StopIteration):
        step.send(None)  # runs it to its `yield`; nothing there awaits
    return keeper


@dataclass(frozen=True)
class PreparedCall:
    """An API request turned into wire form once, so a retry sends the same bytes."""

    method: str
    url: str
    params: dict[str, Any]
    content: bytes | None
    # Out of the repr: the headers carry the API key, and a repr ends up in tracebacks with locals.
    headers: dict[str, str] = field(repr=False)
    timeout: httpx.Timeout
    kind: RequestKind
    max_retries: int
    expects_envelope: bool
    path: str
    # Older forms of the endpoint (`Route.fallbacks`), tried in order when a server does not serve `path`.
    fallbacks: tuple[Fallback, ...] = ()
    # Refusals that move to the next form too (`Route.fallback_on`).
    fallback_on: frozenset[str] = frozenset()
    # A body sent as it is read (a multipart upload), in place of `content`: each try reads it afresh.
    body: MultipartBody | None = None
    # The waits between tries (the client's `retry_backoff`).
    backoff: RetryPolicy = DEFAULT_RETRY_POLICY

    def with_body(self, body: MultipartBody) -> PreparedCall:
        """The same call sending `body`, streamed with its Content-Length, instead of the JSON content."""
        headers = _merge_headers(
            self.headers, {"Content-Type": body.content_type, "Content-Length": str(body.content_length)}
        )
        return replace(self, content=None, body=body, headers=headers)

    def at(
        self,
        method: str,
        path: str,
        query: frozenset[str] = frozenset(),
        *,
        fallbacks: tuple[Fallback, ...] = (),
    ) -> PreparedCall:
        """The same call (same bytes) sent to another of the endpoint's paths; `query`: the JSON body's
        fields (wire names) that this form sends in the query instead."""
        moved = replace(
            self,
            method=method,
            url=self.url[: len(self.url) - len(self.path)] + path,
            path=path,
            fallbacks=fallbacks,
        )
        if not query or self.content is None:
            return moved
        body = json.loads(self.content)
        params = dict(self.params)
        for name in query & body.keys():
            value = body.pop(name)
            params[name] = "true" if value is True else value
        if body:
            content: bytes | None = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            headers = self.headers
        else:
            content = None
            headers = {k: v for k, v in self.headers.items() if k.lower() != "content-type"}
        return replace(moved, params=params, content=content, headers=headers)


class HTTPCore:
    """Pure request/response logic shared by the sync and async shells."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        # What every call of this client without a RequestOption shares, worked out once: parsing
        # the URL, the headers and the timeout per call were a tenth of a blocking call (row 2).
        self._urls: dict[str, httpx.URL] = {}
        self._plain_headers: dict[tuple[bool, bool], dict[str, str]] = {}
        self._timeout = timeout_of(config.resolve(None))

    def prepare(
        self,
        request: APIRequest[Any],
        option: RequestOption | None,
        *,
        stream: bool = False,
        body_update: Mapping[str, Any] | None = None,
        read_cap: float | None = None,
    ) -> PreparedCall:
        """The call in wire form. `read_cap`: the most a read may wait, if less than the timeout."""
        config = self.config
        route = request.route
        query, body = request.to_wire()
        # No app id anywhere sends none: an app key (FastGPT >= 4.18) is bound to its app.
        if (
            config.app_id is not None
            and "app_id" in type(request).model_fields
            and getattr(request, "app_id", None) is None
        ):
            (query if "app_id" in route.query else body if body is not None else query)["appId"] = (
                config.app_id
            )
        if body_update and body is not None:
            body.update(body_update)
        if option is not None and (option.extra_query or option.extra_body):
            body = _with_extras(request, option, query, body)
        content = None if body is None else request.encode_body(body)
        if option is None:
            headers = self._plain_headers.get((stream, content is not None))
            if headers is None:
                headers = self._plain_headers[stream, content is not None] = self._headers(
                    None, stream=stream, json_body=content is not None
                )
            timeout, retries = self._timeout, config.max_retries
        else:
            headers = self._headers(option, stream=stream, json_body=content is not None)
            settings = config.resolve(option)
            timeout, retries = timeout_of(settings), settings.max_retries
        if read_cap is not None and (timeout.read is None or timeout.read > read_cap):
            timeout = httpx.Timeout(
                connect=timeout.connect, read=read_cap, write=timeout.write, pool=timeout.pool
            )
        return PreparedCall(
            method=route.method,
            url=config.base_url + route.path,
            params=query,
            content=content,
            headers=headers,
            timeout=timeout,
            kind=route.request_kind,
            max_retries=retries,
            expects_envelope=route.envelope,
            path=route.path,
            fallbacks=route.fallbacks,
            fallback_on=route.fallback_on,
            backoff=config.retry_backoff,
        )

    def _headers(self, option: RequestOption | None, *, stream: bool, json_body: bool) -> dict[str, str]:
        """A call's own headers, over BASE_HEADERS (which `build` adds when the pool is not the SDK's)."""
        api_key = option.api_key if option is not None and option.api_key is not None else None
        if api_key is None and self.config.api_key is not None:
            api_key = self.config.api_key.reveal()
        if not api_key:
            raise RequestValidationError(
                "api_key is required: use Client.builder().api_key(...) or set FASTGPT_API_KEY",
                field="api_key",
            )
        check_api_key(api_key)
        return _merge_headers(
            {"Accept": "text/event-stream"} if stream else None,
            self.config.default_headers,
            option.headers if option is not None else None,
            {"Authorization": f"Bearer {api_key}"},
            {"Content-Type": "application/json"} if json_body else None,
        )

    def build(
        self, client: httpx.Client | httpx.AsyncClient, call: PreparedCall, *, owned: bool
    ) -> httpx.Request:
        """The httpx request of a call; `owned`: the client is one of the SDK's pools (has BASE_HEADERS)."""
        url = self._urls.get(call.url)
        if url is None:
            url = self._urls[call.url] = httpx.URL(call.url)
        content: bytes | Iterator[bytes] | AsyncIterator[bytes] | None = call.content
        if call.body is not None:
            # A reader of its own per request: a generator is read once, and another try starts at byte 0.
            content = (
                call.body.aiter_bytes() if isinstance(client, httpx.AsyncClient) else call.body.iter_bytes()
            )
        return client.build_request(
            call.method,
            url,
            params=call.params or None,
            content=content,
            headers=call.headers if owned else _merge_headers(BASE_HEADERS, call.headers),
            extensions={"timeout": call.timeout.as_dict()},
        )

    @staticmethod
    def wrap_transport_error(
        exc: httpx.TransportError | httpx.DecodingError, request: httpx.Request | None
    ) -> APIConnectionError:
        # Where the SDK tried to go, so a wrong base URL shows in a log line: the host and port only
        # (a base URL with credentials is refused, and the key travels in a header).
        where = (
            f"{request.url.host}:{request.url.port or _DEFAULT_PORTS.get(request.url.scheme, '')}"
            if request
            else "the server"
        )
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"Request to {where} timed out ({type(exc).__name__}).", request=request)
        detail = str(exc)
        # h11 and friends quote the header they choked on; never let that carry the key along
        key = request.headers.get("authorization", "").partition(" ")[2] if request is not None else ""
        if key:
            detail = detail.replace(key, "********")
        what = "Could not connect to" if isinstance(exc, httpx.ConnectError) else "Connection to"
        end = "" if what == "Could not connect to" else " failed"
        return APIConnectionError(f"{what} {where}{end}: {type(exc).__name__}: {detail}", request=request)

    @staticmethod
    def decode_body(response: httpx.Response) -> object:
        """JSON if it parses, else text; never raises."""
        try:
            raw = response.content
        except httpx.ResponseNotRead:  # reading the body failed part-way
            return None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: arrays or objects nested too deep
            return raw.decode("utf-8", errors="replace")

    @staticmethod
    def error_for(response: httpx.Response, body: object) -> Exception:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return make_status_error(response, body, retry_after=retry_after)

    def parse(
        self, call: PreparedCall, response: httpx.Response, response_type: type[ResponseT]
    ) -> ResponseT:
        if not call.expects_envelope:
            # A bare-JSON endpoint (completions): validate straight from the bytes, one pass instead
            # of json.loads and then the model (row 2). Anything unusual takes the careful way
            # below: bytes that do not validate, and a top-level `code` (an error envelope validates
            # too, every field of the response having a default, and lands in the extra fields).
            try:
                parsed = response_type.model_validate_json(response.content)
            except ValueError:
                pass
            else:
                if not parsed.model_extra or "code" not in parsed.model_extra:
                    return parsed
        body = self.decode_body(response)
        if is_error_envelope(body):
            raise self.error_for(response, body)
        if not isinstance(body, (dict, list)):
            message, _, _ = describe_error_body(body, "empty body")
            raise APIResponseValidationError(
                f"Expected a JSON body from {call.path}, got: {message}", response=response, body=body
            )
        data: Any = body
        if call.expects_envelope:
            if not isinstance(body, dict) or "code" not in body or "data" not in body:
                raise APIResponseValidationError(
                    f"Expected FastGPT's {{code, data}} envelope from {call.path}",
                    response=response,
                    body=body,
                )
            data = body["data"]
            if data is None:
                from .model import OperationResponse  # not at the top: it loads pydantic

                if issubclass(response_type, OperationResponse):
                    return response_type.model_validate({"request_id": response.headers.get("x-request-id")})
        try:
            return response_type.model_validate(data)
        except ValueError as exc:
            # Imported here, not at the top (building a client does not load pydantic, row 5) and not
            # on every call either: import statements cost a measurable share of a call (row 2).
            from pydantic import ValidationError

            if not isinstance(exc, ValidationError):
                raise
            if not self.config.strict_responses:
                from .drift import repair

                repaired = repair(response_type, data, exc)
                if repaired is not None:
                    return repaired
            raise APIResponseValidationError(
                f"Unexpected response shape from {call.path}: {exc.error_count()} error(s): "
                f"{exc.errors(include_url=False, include_input=False)[0]}",
                response=response,
                body=body,
            ) from None


def timeout_of(settings: CallSettings) -> httpx.Timeout:
    """A call's httpx timeout: its read timeout, and its connect timeout for a free pool slot too (a
    full pool fails fast, not after the read timeout)."""
    connect = settings.connect_timeout
    return httpx.Timeout(settings.timeout, connect=connect, pool=connect)


def _with_extras(
    request: APIRequest[Any], option: RequestOption, query: dict[str, Any], body: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The call's query and body with the option's `extra_query` / `extra_body` laid over them, as
    given (wire names, last word to the option): for fields FastGPT has and this SDK does not yet."""
    if option.extra_query:
        query.update(option.extra_query)
    if option.extra_body:
        if request.route.method == "GET":
            raise RequestValidationError(
                f"{type(request).__name__} is sent as GET, which has no body: "
                "give the fields as RequestOption.extra_query",
                field="extra_body",
            )
        body = {**(body or {}), **option.extra_body}
    return body


def _response_type(request: APIRequest[ResponseT]) -> type[ResponseT]:
    # The class attribute is set from the generic parameter (APIRequest.__pydantic_init_subclass__).
    return cast("type[ResponseT]", request.response_type)


def _merge_headers(*layers: Mapping[str, str] | None) -> dict[str, str]:
    """Later layers win, whatever the case of the name: `user-agent` replaces `User-Agent` rather than
    going out as a second header (and no header can add a second `Authorization`)."""
    merged: dict[str, tuple[str, str]] = {}
    for layer in layers:
        for name, value in (layer or {}).items():
            merged[name.lower()] = (name, value)
    return dict(merged.values())


def _route_missing(response: httpx.Response) -> bool:
    """A bare 404: the server has no such route, so nothing ran. A 404 carrying FastGPT's envelope
    (appUnExist, ...) comes from a route that exists, and is an answer, not a reason to look elsewhere."""
    return response.status_code == 404 and not is_error_envelope(HTTPCore.decode_body(response))


def _form_refused(call: PreparedCall, response: httpx.Response) -> bool:
    """A refusal the route declares a sign of an older server (`Route.fallback_on`): nothing ran."""
    if not call.fallback_on:
        return False
    body = HTTPCore.decode_body(response)
    return is_error_envelope(body) and cast("dict[str, Any]", body).get("statusText") in call.fallback_on


class Outcome(NamedTuple):
    """What one try brought back: a response (its body read unless it is a stream to hand out), or the
    transport failure met while sending or reading (with the response, when reading it failed)."""

    response: httpx.Response | None
    failure: httpx.TransportError | httpx.DecodingError | None
    started: float


@dataclass(frozen=True)
class Hooks:
    """How a client waits between tries and reads the time: the seams tests replace (`Client(_hooks=)`)."""

    sleep: Callable[[float], None] = time.sleep
    asleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic


class Tries:
    """Every decision about one request's tries, written once for every shell and free of I/O.

    A shell sends `request`, reports what came back to `after`, and either returns the response (None),
    waits the seconds it is given and sends `request` again, or lets the final error propagate. Which
    failures are tried again is `core/retry.py`'s policy, for API calls and storage uploads alike; a
    subclass says only how its request is built and how its failures read (`CallTries` for FastGPT's
    API, `StorageTries` in `core/storage.py`, whose errors keep presigned signatures out).
    """

    __slots__ = ("_kind", "_max_retries", "_policy", "attempt", "request")

    # A request whose body is read as it goes out (a stream of the source) is built anew for each try.
    rebuilds = False
    # Whether the requests may carry the auth of a user's own httpx client (not to a storage host).
    client_auth = True

    def __init__(
        self,
        kind: RequestKind,
        max_retries: int,
        request: httpx.Request,
        policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    ) -> None:
        self._kind = kind
        self._max_retries = max_retries
        self._policy = policy
        self.attempt = 1
        self.request = request

    # ---- what a subclass says ----------------------------------------------------------------------

    def describe(self) -> str:
        """The request in a log line, free of credentials."""
        raise NotImplementedError

    def build(self) -> httpx.Request:
        """The request of the next try (when `rebuilds`)."""
        raise NotImplementedError

    def answered(self, response: httpx.Response) -> bool:
        return response.is_success

    def elsewhere(self, response: httpx.Response) -> bool:
        """Whether to ask somewhere else at once (`request` replaced): a path the server does not have."""
        return False

    def transport_error(self, failure: httpx.TransportError | httpx.DecodingError) -> Exception:
        raise NotImplementedError

    def status_error(self, response: httpx.Response) -> Exception:
        raise NotImplementedError

    # ---- the decision -----------------------------------------------------------------------------

    def after(self, outcome: Outcome) -> float | None:
        """None: `outcome.response` is the answer. A number: wait that long, then send `request`.
        Otherwise raises the typed error the request ends with."""
        response, failure = outcome.response, outcome.failure
        if failure is not None:
            self._log(type(failure).__name__, outcome.started)
            delay = self._delay(_classify(failure), None)
            if delay is None:
                raise self.transport_error(failure) from failure
        else:
            assert response is not None, "an outcome holds a response or a failure"
            self._log(response.status_code, outcome.started)
            if self.answered(response):
                return None
            if self.elsewhere(response):
                return 0.0
            delay = self._delay(Failure.STATUS, response)
            if delay is None:
                raise self.status_error(response)
        self.attempt += 1
        if self.rebuilds:
            # The body of the try that failed was read (or begun) as it went out; this one reads anew.
            # Only a try that provably never arrived, or was declined unread (429, 503), gets here.
            self.request = self.build()
        return delay

    def _delay(self, failure: Failure, response: httpx.Response | None) -> float | None:
        """Seconds to wait before the next try, or None when this failure is final."""
        status = response.status_code if response is not None else None
        if not should_retry(self._kind, failure, status, self.attempt, self._max_retries):
            return None
        retry_after = None
        if response is not None:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if retry_after is None and status == 429:
                message, _, _ = describe_error_body(HTTPCore.decode_body(response), "")
                retry_after = retry_after_in_text(message)
        delay = backoff_delay(self.attempt, retry_after, random.random(), self._policy)
        reason = f"HTTP {status}" if status is not None else failure.value
        logger.info("retrying %s after %s in %.2f s (try %d)", self.describe(), reason, delay, self.attempt)
        return delay

    def _log(self, outcome: int | str, started: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            elapsed = (time.perf_counter() - started) * 1000
            logger.debug("%s -> %s in %.0f ms (attempt %d)", self.describe(), outcome, elapsed, self.attempt)


class CallTries(Tries):
    """The tries of one FastGPT API call. Besides retries, moves to an endpoint's older path when a
    server does not serve the current one (a bare 404, or a refusal the route names: nothing ran), and
    remembers the path that answered in `learned`."""

    __slots__ = ("_call", "_client", "_core", "_first_missing", "_learned", "_order", "_owned")

    def __init__(
        self,
        core: HTTPCore,
        call: PreparedCall,
        client: httpx.Client | httpx.AsyncClient,
        *,
        owned: bool,
        learned: dict[str, int],
    ) -> None:
        self._core = core
        self._call = call
        self._client = client
        self._owned = owned
        self._learned = learned
        self._first_missing: httpx.Response | None = None
        if call.fallbacks:
            # The path that answered last time first, then the others newest first.
            start = learned.get(call.path, 0)
            self._order = [start, *(i for i in range(len(call.fallbacks) + 1) if i != start)]
        else:
            self._order = [0]
        # Tries.__init__'s fields set here: one call less on the way of every API call.
        self._kind, self._max_retries, self.attempt = call.kind, call.max_retries, 1
        self._policy = call.backoff
        self.request = self.build()

    @property
    def rebuilds(self) -> bool:  # type: ignore[override]  # per call, not per class
        return self._call.body is not None

    def describe(self) -> str:
        return f"{self._call.method} {self._call.path}"

    def build(self) -> httpx.Request:
        call, index = self._call, self._order[0]
        if index:
            call = call.at(*call.fallbacks[index - 1])
        return self._core.build(self._client, call, owned=self._owned)

    def answered(self, response: httpx.Response) -> bool:
        if not response.is_success:
            return False
        call = self._call
        if call.fallbacks and self._order[0] != self._learned.get(call.path, 0):
            self._learned[call.path] = self._order[0]
        return True

    def elsewhere(self, response: httpx.Response) -> bool:
        if len(self._order) < 2 or not (_route_missing(response) or _form_refused(self._call, response)):
            return False
        if self._first_missing is None:
            self._first_missing = response
        self._order.pop(0)
        self.request = self.build()
        return True

    def transport_error(self, failure: httpx.TransportError | httpx.DecodingError) -> Exception:
        return self._core.wrap_transport_error(failure, self.request)

    def status_error(self, response: httpx.Response) -> Exception:
        if self._first_missing is not None and _route_missing(response):
            response = self._first_missing  # no path is served: report the current one's 404
        return self._core.error_for(response, self._core.decode_body(response))


def _classify(exc: httpx.TransportError | httpx.DecodingError) -> Failure:
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return Failure.CONNECT
    if isinstance(exc, httpx.TimeoutException):
        return Failure.TIMEOUT
    return Failure.DISCONNECT


def drive(
    client: httpx.Client, tries: Tries, sleep: Callable[[float], None], *, read_body: bool
) -> httpx.Response:
    """Send `tries.request` until `tries` has an answer (returned: body read, or open for streaming)."""
    auth = httpx.USE_CLIENT_DEFAULT if tries.client_auth else None
    while True:
        outcome = _attempt(client, tries.request, read_body, auth)
        delay = tries.after(outcome)
        if delay is None:
            return outcome.response  # type: ignore[return-value]  # after() returns None only then
        if delay:
            sleep(delay)


async def adrive(
    client: httpx.AsyncClient, tries: Tries, sleep: Callable[[float], Awaitable[None]], *, read_body: bool
) -> httpx.Response:
    auth = httpx.USE_CLIENT_DEFAULT if tries.client_auth else None
    while True:
        outcome = await _aattempt(client, tries.request, read_body, auth)
        delay = tries.after(outcome)
        if delay is None:
            return outcome.response  # type: ignore[return-value]
        if delay:
            await sleep(delay)


class RawResponse(Generic[ResponseT]):
    """A successful answer as it came: `client.<service>.with_raw_response.<method>(...)`.

    `status_code`, `headers` and `http_response` (the `httpx.Response`, body read) tell what the server
    said; `parse()` gives the model the method returns otherwise, parsed once, with the same checks (an
    error envelope inside a 200 raises there, and a shape that does not fit is kept or refused as the
    client's `strict_responses` says). An error status raises from the call, as without the wrapper.
    """

    __slots__ = ("_parse", "_parsed", "http_response")

    def __init__(self, http_response: httpx.Response, parse: Callable[[], ResponseT]) -> None:
        self.http_response = http_response
        self._parse = parse
        self._parsed: ResponseT | None = None

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    def parse(self) -> ResponseT:
        if self._parsed is None:
            self._parsed = self._parse()
        return self._parsed

    def __repr__(self) -> str:
        request = self.http_response.request
        return f"<RawResponse [{self.status_code}] {request.method} {request.url.path}>"


class Sender:
    """What a service needs of its client: send a request (sync or async), open a stream, the settings.

    The client builds one and hands it to each service; clients made by `with_options` share its pools,
    what it learned about the server's paths, and its hooks.
    """

    def __init__(
        self,
        config: ClientConfig,
        pools: Pools,
        *,
        learned: dict[str, int] | None = None,
        hooks: Hooks | None = None,
        raw: bool = False,
    ) -> None:
        self.config = config
        self.pools = pools
        self.hooks = hooks or Hooks()
        self.core = HTTPCore(config)
        self.prepare = self.core.prepare  # a request in wire form, for calls that add to it (streams)
        # The primary path of an endpoint -> which of its paths this server answered on.
        self.learned: dict[str, int] = {} if learned is None else learned
        # Raw: `send` hands back a RawResponse whose parse() gives the model (`with_raw_response`).
        self._raw = raw

    def derive(self, config: ClientConfig) -> Sender:
        return Sender(config, self.pools, learned=self.learned, hooks=self.hooks, raw=self._raw)

    def raw(self) -> Sender:
        """This sender, answering `RawResponse`s: what a service's `with_raw_response` runs on.

        Only for methods that make one call and return its model: their declared return type is then
        a RawResponse of it (the generated `_raw.py` wrappers say so to the type checker).
        """
        return Sender(self.config, self.pools, learned=self.learned, hooks=self.hooks, raw=True)

    # ---- sync ---------------------------------------------------------------------------------

    def request(self, request: APIRequest[ResponseT], option: RequestOption | None) -> ResponseT:
        """Send an API request and parse its answer as the request's declared response model."""
        return self.send(self.core.prepare(request, option), _response_type(request))

    def send(
        self,
        call: PreparedCall,
        response_type: type[ResponseT],
        finish: Callable[[ResponseT], ResponseT] | None = None,
    ) -> ResponseT:
        """Send `call` and parse the answer; `finish`, if given, completes the parsed model."""
        return self._answer(call, self.open(call, read_body=True), response_type, finish)

    def _answer(
        self,
        call: PreparedCall,
        response: httpx.Response,
        response_type: type[ResponseT],
        finish: Callable[[ResponseT], ResponseT] | None,
    ) -> ResponseT:
        if self._raw:
            parse = partial(_parsed, self.core, call, response, response_type, finish)
            return RawResponse(response, parse)  # type: ignore[return-value]  # the wrappers say RawResponse[...]
        parsed = self.core.parse(call, response, response_type)  # `_parsed`, inlined: every call passes here
        return parsed if finish is None else finish(parsed)

    def open(self, call: PreparedCall, *, read_body: bool) -> httpx.Response:
        """Send with retries; return a successful response (body read, or open for streaming)."""
        client = self.pools.sync_client()
        tries = CallTries(self.core, call, client, owned=self.pools.owns_sync, learned=self.learned)
        return drive(client, tries, self.hooks.sleep, read_body=read_body)

    # ---- async --------------------------------------------------------------------------------

    async def arequest(self, request: APIRequest[ResponseT], option: RequestOption | None) -> ResponseT:
        return await self.asend(self.core.prepare(request, option), _response_type(request))

    async def asend(
        self,
        call: PreparedCall,
        response_type: type[ResponseT],
        finish: Callable[[ResponseT], ResponseT] | None = None,
    ) -> ResponseT:
        return self._answer(call, await self.aopen(call, read_body=True), response_type, finish)

    async def aopen(self, call: PreparedCall, *, read_body: bool) -> httpx.Response:
        client = self.pools.async_client()
        tries = CallTries(self.core, call, client, owned=self.pools.owns_async, learned=self.learned)
        return await adrive(client, tries, self.hooks.asleep, read_body=read_body)


def _parsed(
    core: HTTPCore,
    call: PreparedCall,
    response: httpx.Response,
    response_type: type[ResponseT],
    finish: Callable[[ResponseT], ResponseT] | None,
) -> ResponseT:
    parsed = core.parse(call, response, response_type)
    return parsed if finish is None else finish(parsed)


def _attempt(client: httpx.Client, request: httpx.Request, read_body: bool, auth: Any) -> Outcome:
    """One try, I/O only. An error status has its body read (to report it) and is closed."""
    started = time.perf_counter()
    try:
        response = client.send(request, stream=True, follow_redirects=False, auth=auth)
    except httpx.TransportError as exc:
        return Outcome(None, exc, started)
    if response.is_success and not read_body:
        return Outcome(response, None, started)
    try:
        response.read()
    except READ_ERRORS as exc:
        response.close()
        if response.is_success:
            return Outcome(response, exc, started)
        # an error status decides alone; a short body does not hide it
    finally:
        if not response.is_success:
            response.close()
    return Outcome(response, None, started)


async def _aattempt(client: httpx.AsyncClient, request: httpx.Request, read_body: bool, auth: Any) -> Outcome:
    started = time.perf_counter()
    try:
        response = await client.send(request, stream=True, follow_redirects=False, auth=auth)
    except httpx.TransportError as exc:
        return Outcome(None, exc, started)
    except RuntimeError as exc:
        if "loop" not in str(exc):
            raise
        # Only an httpx.AsyncClient handed in by the user can get here: the SDK keeps a pool per loop.
        raise APIConnectionError(
            f"The httpx.AsyncClient given to Client.builder().async_http_client() cannot be used in this "
            f"event loop ({exc}): its connections belong to the loop it was first used in. Give the "
            "client one made in this loop, or let the SDK make its own (it keeps one per loop).",
            request=request,
        ) from exc
    if response.is_success and not read_body:
        return Outcome(response, None, started)
    try:
        await response.aread()
    except READ_ERRORS as exc:
        await response.aclose()
        if response.is_success:
            return Outcome(response, exc, started)
    finally:
        if not response.is_success:
            await response.aclose()
    return Outcome(response, None, started)
