"""The HTTP layer: the only module that talks to httpx.

Everything that does not wait on I/O is written once in `HTTPCore` (building the request, headers,
the retry decision, error mapping, response parsing). `SyncHTTP` and `AsyncHTTP` are the two thin I/O
shells around it. Requests go out with `follow_redirects=False`: a redirect would carry the API key to
wherever the `Location` points, so a 3xx is an error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import platform
import random
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar, cast

import httpx

from .. import __version__
from .config import ClientConfig, check_api_key
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
from .retry import Failure, RequestKind, backoff_delay, parse_retry_after, should_retry

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from pydantic import BaseModel

    from .model import APIRequest
    from .options import RequestOption

__all__ = ["AsyncHTTP", "HTTPCore", "Pools", "PreparedCall", "SyncHTTP"]

logger = logging.getLogger("fastgpt_oapi")

ResponseT = TypeVar("ResponseT", bound="BaseModel")

# Failures while reading a body: the connection broke, or the bytes that came cannot be decoded.
_READ_ERRORS = (httpx.TransportError, httpx.DecodingError)

_USER_AGENT = f"fastgpt-oapi/{__version__} python/{platform.python_version()} httpx/{httpx.__version__}"
# Sent with every request. Set once on the httpx clients the SDK owns, added per request to a client
# the user handed in.
BASE_HEADERS: Mapping[str, str] = MappingProxyType({"User-Agent": _USER_AGENT, "Accept": "application/json"})


class Pools:
    """The pooled httpx clients of one `Client`, created on first use and shared by its services.

    A client handed in by the user is used as is and never closed by the SDK. Transports handed in
    (for tests, or a custom network layer) are wrapped in pools the SDK owns and closes.
    """

    def __init__(
        self,
        config: ClientConfig,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._config = config
        self._sync = http_client
        self._async = async_http_client
        # Whether a pool is the SDK's own (it carries BASE_HEADERS and the SDK closes it).
        self.owns_sync = http_client is None
        self.owns_async = async_http_client is None
        self._transport = transport
        self._async_transport = async_transport
        self._lock = threading.Lock()
        self.closed = False
        # What the server turned out to serve, shared by every client on these pools: the current
        # path of an endpoint -> the path that worked instead (e.g. an older server's path).
        self.learned_paths: dict[str, str] = {}

    def _kwargs(self) -> dict[str, Any]:
        c = self._config
        verify = c.verify
        if isinstance(verify, str):  # a CA bundle path; httpx wants an SSLContext for that now
            verify = ssl.create_default_context(cafile=verify)
        return {
            "timeout": httpx.Timeout(c.timeout, connect=c.connect_timeout, pool=c.connect_timeout),
            "limits": httpx.Limits(
                max_connections=c.max_connections,
                max_keepalive_connections=c.max_keepalive_connections,
                keepalive_expiry=c.keepalive_expiry,
            ),
            "verify": verify,
            "proxy": c.proxy,
            "follow_redirects": False,
            "trust_env": c.proxy is None,
            # The SDK's constant headers live on the pools it owns: httpx searching for and replacing
            # its own defaults in every request was 8.5 us of build_request's 34.5.
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
        self._check_open()
        if self._async is None:
            with self._lock:
                self._check_open()
                if self._async is None:
                    self._async = httpx.AsyncClient(transport=self._async_transport, **self._kwargs())
        return self._async

    def close(self) -> None:
        """Close the sync pool. The async pool needs `aclose()` (closing it must be awaited)."""
        with self._lock:
            self.closed = True
            client = self._sync if self.owns_sync else None
            self._sync = None if self.owns_sync else self._sync
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close both pools."""
        with self._lock:
            self.closed = True
            client = self._async if self.owns_async else None
            self._async = None if self.owns_async else self._async
        if client is not None:
            await client.aclose()
        self.close()


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
    envelope: bool
    path: str


class HTTPCore:
    """Pure request/response logic shared by the sync and async shells."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        # What every call of this client without a RequestOption shares, worked out once: parsing
        # the URL was 10 us a call, the headers 3 and the timeout 1 (the blocking call is ~100 us).
        self._urls: dict[str, httpx.URL] = {}
        self._plain_headers: dict[tuple[bool, bool], dict[str, str]] = {}
        self._timeout = httpx.Timeout(
            config.timeout, connect=config.connect_timeout, pool=config.connect_timeout
        )

    def prepare(
        self,
        request: APIRequest[Any],
        option: RequestOption | None,
        *,
        stream: bool = False,
        body_update: Mapping[str, Any] | None = None,
    ) -> PreparedCall:
        config = self.config
        route = request.route
        query, body = request.to_wire()
        if "app_id" in type(request).model_fields and getattr(request, "app_id", None) is None:
            if config.app_id is not None:
                (query if "app_id" in route.query else body if body is not None else query)["appId"] = (
                    config.app_id
                )
            elif route.app_id == "required":
                raise RequestValidationError(
                    f"{type(request).__name__}.app_id is required: set it on the request, "
                    "or give the client a default with Client.builder().app_id(...) or FASTGPT_APP_ID",
                    field="app_id",
                )
        if body_update and body is not None:
            body.update(body_update)
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
            connect = option.connect_timeout if option.connect_timeout is not None else config.connect_timeout
            timeout = httpx.Timeout(
                option.timeout if option.timeout is not None else config.timeout,
                connect=connect,
                pool=connect,  # a full pool fails fast, not after the read timeout
            )
            retries = option.max_retries if option.max_retries is not None else config.max_retries
        return PreparedCall(
            method=route.method,
            url=config.base_url + route.path,
            params=query,
            content=content,
            headers=headers,
            timeout=timeout,
            kind=route.request_kind,
            max_retries=retries,
            envelope=route.envelope,
            path=route.path,
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
        return client.build_request(
            call.method,
            url,
            params=call.params or None,
            content=call.content,
            headers=call.headers if owned else _merge_headers(BASE_HEADERS, call.headers),
            extensions={"timeout": call.timeout.as_dict()},
        )

    @staticmethod
    def classify(exc: httpx.TransportError | httpx.DecodingError) -> Failure:
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
            return Failure.CONNECT
        if isinstance(exc, httpx.TimeoutException):
            return Failure.TIMEOUT
        return Failure.DISCONNECT

    @staticmethod
    def wrap_transport_error(
        exc: httpx.TransportError | httpx.DecodingError, request: httpx.Request | None
    ) -> APIConnectionError:
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"Request timed out ({type(exc).__name__}).", request=request)
        detail = str(exc)
        # h11 and friends quote the header they choked on; never let that carry the key along
        key = request.headers.get("authorization", "").partition(" ")[2] if request is not None else ""
        if key:
            detail = detail.replace(key, "********")
        return APIConnectionError(f"Connection error: {type(exc).__name__}: {detail}", request=request)

    @staticmethod
    def retry_delay(
        call: PreparedCall, attempt: int, failure: Failure, response: httpx.Response | None = None
    ) -> float | None:
        """Seconds to wait before the next try, or None when this failure is final."""
        status = response.status_code if response is not None else None
        if not should_retry(call.kind, failure, status, attempt, call.max_retries):
            return None
        retry_after = None
        if response is not None:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if retry_after is None and status == 429:
                message, _, _ = describe_error_body(HTTPCore.decode_body(response), "")
                retry_after = retry_after_in_text(message)
        delay = backoff_delay(attempt, retry_after, random.random())
        reason = f"HTTP {status}" if status is not None else failure.value
        logger.info(
            "retrying %s %s after %s in %.2f s (try %d)", call.method, call.path, reason, delay, attempt
        )
        return delay

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
        if not call.envelope:
            # A bare-JSON endpoint (completions): validate straight from the bytes, one pass instead
            # of json.loads and then the model (3 us a call). Anything unusual takes the careful way
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
        if call.envelope:
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
            # Imported here, not at the top (building a client does not load pydantic) and not on every
            # call either: two import statements were 1.5 us of the ~35 us of SDK work in a call.
            from pydantic import ValidationError

            if not isinstance(exc, ValidationError):
                raise
            raise APIResponseValidationError(
                f"Unexpected response shape from {call.path}: {exc.error_count()} error(s): "
                f"{exc.errors(include_url=False, include_input=False)[0]}",
                response=response,
                body=body,
            ) from None


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


def _log(call: PreparedCall, status: int | str, started: float, attempt: int) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        elapsed = (time.perf_counter() - started) * 1000
        logger.debug("%s %s -> %s in %.0f ms (attempt %d)", call.method, call.path, status, elapsed, attempt)


class SyncHTTP:
    def __init__(self, core: HTTPCore, pools: Pools) -> None:
        self.core = core
        self.pools = pools
        self.sleep: Callable[[float], None] = time.sleep

    def request(self, request: APIRequest[ResponseT], option: RequestOption | None) -> ResponseT:
        """Send an API request and parse its answer as the request's declared response model."""
        return self.send(self.core.prepare(request, option), _response_type(request))

    def send(self, call: PreparedCall, response_type: type[ResponseT]) -> ResponseT:
        response = self.open(call, read_body=True)
        return self.core.parse(call, response, response_type)

    def open(self, call: PreparedCall, *, read_body: bool) -> httpx.Response:
        """Send with retries; return a successful response (body read, or open for streaming)."""
        client = self.pools.sync_client()
        request = self.core.build(client, call, owned=self.pools.owns_sync)
        attempt = 1
        while True:
            started = time.perf_counter()
            try:
                response = client.send(request, stream=True, follow_redirects=False)
            except httpx.TransportError as exc:
                _log(call, type(exc).__name__, started, attempt)
                delay = self.core.retry_delay(call, attempt, self.core.classify(exc))
                if delay is not None:
                    self.sleep(delay)
                    attempt += 1
                    continue
                raise self.core.wrap_transport_error(exc, request) from exc
            _log(call, response.status_code, started, attempt)
            if response.is_success:
                if not read_body:
                    return response
                try:
                    response.read()
                except _READ_ERRORS as exc:
                    response.close()
                    delay = self.core.retry_delay(call, attempt, self.core.classify(exc))
                    if delay is not None:
                        self.sleep(delay)
                        attempt += 1
                        continue
                    raise self.core.wrap_transport_error(exc, request) from exc
                return response
            try:
                response.read()
            except _READ_ERRORS:
                pass  # the status alone decides; a short body does not hide it
            finally:
                response.close()
            delay = self.core.retry_delay(call, attempt, Failure.STATUS, response)
            if delay is not None:
                self.sleep(delay)
                attempt += 1
                continue
            raise self.core.error_for(response, self.core.decode_body(response))


class AsyncHTTP:
    def __init__(self, core: HTTPCore, pools: Pools) -> None:
        self.core = core
        self.pools = pools
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def request(self, request: APIRequest[ResponseT], option: RequestOption | None) -> ResponseT:
        return await self.send(self.core.prepare(request, option), _response_type(request))

    async def send(self, call: PreparedCall, response_type: type[ResponseT]) -> ResponseT:
        response = await self.open(call, read_body=True)
        return self.core.parse(call, response, response_type)

    async def open(self, call: PreparedCall, *, read_body: bool) -> httpx.Response:
        client = self.pools.async_client()
        request = self.core.build(client, call, owned=self.pools.owns_async)
        attempt = 1
        while True:
            started = time.perf_counter()
            try:
                response = await client.send(request, stream=True, follow_redirects=False)
            except httpx.TransportError as exc:
                _log(call, type(exc).__name__, started, attempt)
                delay = self.core.retry_delay(call, attempt, self.core.classify(exc))
                if delay is not None:
                    await self.sleep(delay)
                    attempt += 1
                    continue
                raise self.core.wrap_transport_error(exc, request) from exc
            _log(call, response.status_code, started, attempt)
            if response.is_success:
                if not read_body:
                    return response
                try:
                    await response.aread()
                except _READ_ERRORS as exc:
                    await response.aclose()
                    delay = self.core.retry_delay(call, attempt, self.core.classify(exc))
                    if delay is not None:
                        await self.sleep(delay)
                        attempt += 1
                        continue
                    raise self.core.wrap_transport_error(exc, request) from exc
                return response
            try:
                await response.aread()
            except _READ_ERRORS:
                pass
            finally:
                await response.aclose()
            delay = self.core.retry_delay(call, attempt, Failure.STATUS, response)
            if delay is not None:
                await self.sleep(delay)
                attempt += 1
                continue
            raise self.core.error_for(response, self.core.decode_body(response))
