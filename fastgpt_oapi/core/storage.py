"""Sending an upload's bytes to the storage URL a presign answer named, sync or async.

Storage is not FastGPT's API: its requests carry exactly the headers the presign answer lists (plus
Content-Length), never the API key, the client's default headers, or anything a user-supplied httpx
client would add to requests it builds. The URL may be an S3 presigned URL on another host, or
FastGPT 4.16's upload proxy (`/api/system/file/u/<token>`, possibly relative to the base URL); its
token or signature is the only credential either needs. Requests still go through the client's pools,
so transports, proxies and TLS settings apply; redirects are not followed.

The protocol, as FastGPT's web uploader speaks it (`packages/web/common/file/uploader/{single,
multipart}.ts` and the proxy routes `projects/app/src/pages/api/system/file/u/[token]{,/complete,
/abort}.ts`, FastGPT f88b51b5c1e4987a2b917358339db1aa02bbc292; multipart since f732bc52, 4.16.0):

- single: `PUT url` with the whole file and `headers`.
- multipart: `PUT url?partNumber=N` (N from 1) with bytes `[(N-1)*partSize, N*partSize)` and `headers`,
  each answered `{etag}` (in FastGPT's envelope); then `POST completeUrl` with
  `{"parts": [{"partNumber", "etag"}, ...]}`. On failure, `POST abortUrl` (no body), best effort.

It is written once, as a generator of requests (`_protocol`), which the two shells drive.

Retries. A request is sent again only when it provably never left (no connection could be made) or
the server declined it before doing anything (429, 503), as for every write (`core/retry.py`):
never after a timeout or a broken connection, once bytes may have reached storage. FastGPT's own
uploader re-sends a failed part up to `maxRetry` times, and S3 overwrites a part sent twice, but the
proxy in front of S3 runs its checks per request (part 1 is content-checked, parts are measured), and
a part still streaming when its twin arrives is a race the protocol does not define; so a part gets
no more than any write, capped by the answer's `maxRetry`. A failed upload is aborted (one cut short
by cancellation or Ctrl-C is not: no more requests go out then, and FastGPT expires the session
within hours); calling `upload_file` again starts a fresh session. Every source can be read from its start again
(`core/upload.py`), so the retries that are allowed send the same bytes.

The URLs carry credentials (an `X-Amz-Signature` query, a token in the path): messages and logs show
them through `redact_url`, and storage error bodies are `scrub`bed before they reach an exception.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import httpx

from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    RateLimitError,
    RequestValidationError,
    describe_error_body,
    error_class_for,
    is_error_envelope,
)
from .http import HTTPCore
from .retry import Failure, RequestKind, backoff_delay, parse_retry_after, should_retry
from .upload import redact_url, scrub

if TYPE_CHECKING:
    from .config import ClientConfig
    from .http import Sender
    from .options import RequestOption
    from .upload import PresignedUpload, UploadSource

__all__ = ["MAX_PARTS", "atransfer", "transfer"]

logger = logging.getLogger("fastgpt_oapi")

# S3's limit, which FastGPT checks too (MAX_MULTIPART_PART_COUNT).
MAX_PARTS = 10_000
_BODY_PREVIEW = 300
_READ_ERRORS = (httpx.TransportError, httpx.DecodingError)
_S3_ERROR = (
    ("code", "<Code>", "</Code>"),
    ("message", "<Message>", "</Message>"),
)


@dataclass(frozen=True)
class Step:
    """One storage request. The body is a span of the source, a small JSON body, or nothing."""

    method: str
    url: httpx.URL
    headers: dict[str, str]
    what: str  # for messages: "upload", "part 2 of 7", "multipart completion", "multipart abort"
    max_retries: int
    span: tuple[int, int] | None = None  # (offset, length) of the source
    body: bytes | None = None


def _resolve(base_url: str, url: str) -> httpx.URL:
    """FastGPT 4.16 writes its upload URLs from FILE_DOMAIN / FE_DOMAIN, relative when neither is set."""
    try:
        resolved = httpx.URL(base_url).join(url)
    except httpx.InvalidURL:
        resolved = None
    if resolved is None or resolved.scheme not in ("http", "https") or not resolved.host:
        raise APIResponseValidationError(f"The presign answer's upload URL is not usable: {redact_url(url)}")
    return resolved


def _protocol(
    presigned: PresignedUpload, source: UploadSource, base_url: str, max_retries: int
) -> Generator[Step, httpx.Response, None]:
    """The requests of one upload, each sent by a shell that hands back its (successful) response or
    throws in the typed error it ended with."""
    url = _resolve(base_url, presigned.url)
    headers = {k: v for k, v in presigned.headers.items() if k.lower() != "content-length"}
    if presigned.upload_mode == "single":
        _check_size(presigned, source)
        yield Step(
            "PUT",
            url,
            {**headers, "Content-Length": str(source.size)},
            "upload",
            max_retries,
            span=(0, source.size),
        )
        return

    part_retries = max_retries if presigned.max_retry is None else min(max_retries, presigned.max_retry)
    try:
        _check_size(presigned, source)
        part_size = presigned.part_size or 0  # PresignedUpload checked it is positive
        count = math.ceil(source.size / part_size)
        if not 1 <= count <= MAX_PARTS:
            raise APIResponseValidationError(
                f"A multipart upload of {source.size} bytes in parts of {part_size} bytes is {count} "
                f"parts; storage takes 1 to {MAX_PARTS}"
            )
        complete_url = _resolve(base_url, presigned.complete_url or "")
        parts: list[dict[str, Any]] = []
        for number in range(1, count + 1):
            offset = (number - 1) * part_size
            length = min(part_size, source.size - offset)
            response = yield Step(
                "PUT",
                url.copy_set_param("partNumber", str(number)),
                {**headers, "Content-Length": str(length)},
                f"part {number} of {count}",
                part_retries,
                span=(offset, length),
            )
            parts.append({"partNumber": number, "etag": _etag(response, number)})
        body = json.dumps({"parts": parts}, separators=(",", ":")).encode()
        yield Step(
            "POST",
            complete_url,
            {"Content-Type": "application/json"},
            "multipart completion",
            max_retries,
            body=body,
        )
    except Exception:
        if presigned.abort_url:
            # Best effort: FastGPT also drops sessions left behind after a few hours. After a completion
            # that may have succeeded, an abort is harmless: FastGPT ignores it for a completing session.
            try:
                yield Step(
                    "POST",
                    _resolve(base_url, presigned.abort_url),
                    {},
                    "multipart abort",
                    max_retries,
                    body=b"",
                )
            except Exception as exc:
                logger.warning("could not abort the multipart upload: %s", exc)
        raise


def _check_size(presigned: PresignedUpload, source: UploadSource) -> None:
    if presigned.max_size is not None and source.size > presigned.max_size:
        raise RequestValidationError(
            f"content: {source.size} bytes is more than the {presigned.max_size} bytes this server accepts "
            "per file; nothing was uploaded",
            field="content",
        )


def _etag(response: httpx.Response, number: int) -> str:
    body = HTTPCore.decode_body(response)
    etag = None
    if isinstance(body, dict):
        data = body.get("data")
        etag = data.get("etag") if isinstance(data, dict) else None
        etag = etag or body.get("etag")
    etag = etag or response.headers.get("etag")  # plain S3 answers in a header
    if not isinstance(etag, str) or not etag:
        raise APIResponseValidationError(
            f"Storage accepted part {number} of the upload but sent no etag for it",
            response=response,
            body=None,
        )
    return etag


# ---- per request: sending, retries, errors (shared by both shells) -----------------------------------


def _settings(config: ClientConfig, option: RequestOption | None) -> tuple[httpx.Timeout, int]:
    read, connect, retries = config.timeout, config.connect_timeout, config.max_retries
    if option is not None:
        read = option.timeout if option.timeout is not None else read
        connect = option.connect_timeout if option.connect_timeout is not None else connect
        retries = option.max_retries if option.max_retries is not None else retries
    return httpx.Timeout(read, connect=connect, pool=connect), retries


def _request(step: Step, content: Any, timeout: httpx.Timeout) -> httpx.Request:
    # Built here, not with client.build_request: that would add the client's default headers, cookies
    # and params (a user's own httpx client may carry credentials in them).
    return httpx.Request(
        step.method,
        step.url,
        headers=step.headers,
        content=content,
        extensions={"timeout": timeout.as_dict()},
    )


def _log(step: Step, outcome: object, started: float, attempt: int) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        elapsed = (time.perf_counter() - started) * 1000
        logger.debug(
            "storage %s %s (%s) -> %s in %.0f ms (attempt %d)",
            step.method,
            redact_url(step.url),
            step.what,
            outcome,
            elapsed,
            attempt,
        )


def _after_failure(step: Step, attempt: int, exc: Exception, request: httpx.Request) -> float:
    """The wait before the next try after a transport failure, or raises the error the step ends with."""
    failure = HTTPCore.classify(exc) if isinstance(exc, _READ_ERRORS) else Failure.DISCONNECT
    if not should_retry(RequestKind.WRITE, failure, None, attempt, step.max_retries):
        _fail(step, exc, request)
    delay = backoff_delay(attempt, None, random.random())
    logger.info(
        "retrying the %s to %s after %s in %.2f s", step.what, redact_url(step.url), failure.value, delay
    )
    return delay


def _fail(step: Step, exc: Exception, request: httpx.Request) -> NoReturn:
    where = f"the {step.what} to {redact_url(step.url)}"
    if isinstance(exc, httpx.TimeoutException):
        raise APITimeoutError(
            f"Request timed out ({type(exc).__name__}) during {where}.", request=request
        ) from exc
    detail = scrub(str(exc), step.url)
    raise APIConnectionError(
        f"Connection error during {where}: {type(exc).__name__}: {detail}", request=request
    ) from exc


def _after_response(step: Step, attempt: int, response: httpx.Response) -> float | None:
    """None when the response is the step's answer; else the wait before the next try, or raises."""
    body = HTTPCore.decode_body(response)
    if response.is_success and not is_error_envelope(body):
        return None
    if should_retry(RequestKind.WRITE, Failure.STATUS, response.status_code, attempt, step.max_retries):
        delay = backoff_delay(
            attempt, parse_retry_after(response.headers.get("retry-after")), random.random()
        )
        logger.info(
            "retrying the %s to %s after HTTP %d in %.2f s",
            step.what,
            redact_url(step.url),
            response.status_code,
            delay,
        )
        return delay
    raise _storage_error(step, response, body)


def _storage_error(step: Step, response: httpx.Response, body: object) -> APIStatusError:
    """The typed error of a refusal, its text short and free of the URL's credentials."""
    code: int | str | None = None
    status_text: str | None = None
    if isinstance(body, dict):
        detail, code, status_text = describe_error_body(body, "")
    elif isinstance(body, str):
        found = {name: body.partition(open_)[2].partition(close)[0] for name, open_, close in _S3_ERROR}
        if found["code"]:  # S3's XML error: <Error><Code>AccessDenied</Code><Message>...</Message>...
            code = found["code"]
            detail = f"{found['code']}: {found['message']}" if found["message"] else found["code"]
        else:
            detail = body.strip()
    else:
        detail = ""
    detail = scrub(detail, step.url)
    if len(detail) > _BODY_PREVIEW:
        detail = detail[:_BODY_PREVIEW] + "..."
    reason = detail or f"{response.status_code} {response.reason_phrase}".strip()
    message = f"Storage refused the {step.what} ({step.method} {redact_url(step.url)}): {reason}"
    cls = error_class_for(response.status_code, code, status_text, reason)
    if cls is RateLimitError:
        return RateLimitError(
            message,
            response=response,
            body=detail,
            code=code,
            status_text=status_text,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    return cls(message, response=response, body=detail, code=code, status_text=status_text)


# ---- the shells ----------------------------------------------------------------------------------


def transfer(
    sender: Sender, presigned: PresignedUpload, source: UploadSource, option: RequestOption | None = None
) -> None:
    """Upload `source` as `presigned` says, through the client's sync pool."""
    timeout, retries = _settings(sender.config, option)
    client = sender.pools.sync_client()
    protocol = _protocol(presigned, source, sender.config.base_url, retries)
    try:
        step = next(protocol)
        while True:
            try:
                response = _send(client, step, source, timeout, sender)
            except Exception as exc:
                step = protocol.throw(exc)
            else:
                step = protocol.send(response)
    except StopIteration:
        return
    finally:
        protocol.close()


def _send(
    client: httpx.Client, step: Step, source: UploadSource, timeout: httpx.Timeout, sender: Sender
) -> httpx.Response:
    attempt = 1
    while True:
        content = source.chunks(*step.span) if step.span is not None else step.body
        request = _request(step, content, timeout)
        started = time.perf_counter()
        try:
            response = client.send(request, stream=True, follow_redirects=False, auth=None)
        except httpx.TransportError as exc:
            _log(step, type(exc).__name__, started, attempt)
            delay = _after_failure(step, attempt, exc, request)
        else:
            try:
                response.read()
            except _READ_ERRORS as exc:
                if response.is_success:  # the answer was cut off: whether it worked is unknown
                    _log(step, type(exc).__name__, started, attempt)
                    _fail(step, exc, request)
            finally:
                response.close()
            _log(step, response.status_code, started, attempt)
            wait = _after_response(step, attempt, response)
            if wait is None:
                return response
            delay = wait
        attempt += 1
        if delay:
            sender.hooks.sleep(delay)


async def atransfer(
    sender: Sender, presigned: PresignedUpload, source: UploadSource, option: RequestOption | None = None
) -> None:
    """Upload `source` as `presigned` says, through the client's async pool."""
    timeout, retries = _settings(sender.config, option)
    client = sender.pools.async_client()
    protocol = _protocol(presigned, source, sender.config.base_url, retries)
    try:
        step = next(protocol)
        while True:
            try:
                response = await _asend(client, step, source, timeout, sender)
            except Exception as exc:
                step = protocol.throw(exc)
            else:
                step = protocol.send(response)
    except StopIteration:
        return
    finally:
        protocol.close()


async def _asend(
    client: httpx.AsyncClient, step: Step, source: UploadSource, timeout: httpx.Timeout, sender: Sender
) -> httpx.Response:
    attempt = 1
    while True:
        content = source.achunks(*step.span) if step.span is not None else step.body
        request = _request(step, content, timeout)
        started = time.perf_counter()
        try:
            response = await client.send(request, stream=True, follow_redirects=False, auth=None)
        except httpx.TransportError as exc:
            _log(step, type(exc).__name__, started, attempt)
            delay = _after_failure(step, attempt, exc, request)
        else:
            try:
                await response.aread()
            except _READ_ERRORS as exc:
                if response.is_success:
                    _log(step, type(exc).__name__, started, attempt)
                    _fail(step, exc, request)
            finally:
                await response.aclose()
            _log(step, response.status_code, started, attempt)
            wait = _after_response(step, attempt, response)
            if wait is None:
                return response
            delay = wait
        attempt += 1
        if delay:
            await sender.hooks.asleep(delay)
