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
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
from .http import HTTPCore, Tries, adrive, drive, timeout_of
from .retry import DEFAULT_RETRY_POLICY, RequestKind, RetryPolicy, parse_retry_after
from .upload import PresignedUpload, redact_url, scrub

if TYPE_CHECKING:
    from .http import Sender
    from .model import APIRequest
    from .options import RequestOption
    from .upload import UploadSource

__all__ = ["MAX_PARTS", "atransfer", "aupload", "transfer", "upload"]

logger = logging.getLogger("fastgpt_oapi")

# S3's limit, which FastGPT checks too (MAX_MULTIPART_PART_COUNT).
MAX_PARTS = 10_000
_BODY_PREVIEW = 300
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


class StorageTries(Tries):
    """The tries of one storage request: the same decisions as every write (`Tries`), its body read
    afresh from the source for each, its errors told without the URL's credentials."""

    __slots__ = ("_source", "_step", "_sync", "_timeout")

    rebuilds = True
    client_auth = False  # a user's httpx client may carry credentials for FastGPT in its auth

    def __init__(
        self,
        step: Step,
        source: UploadSource,
        timeout: httpx.Timeout,
        *,
        sync: bool,
        policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    ) -> None:
        self._step, self._source, self._timeout, self._sync = step, source, timeout, sync
        super().__init__(RequestKind.WRITE, step.max_retries, self.build(), policy)

    def describe(self) -> str:
        return f"the {self._step.what} to {redact_url(self._step.url)}"

    def build(self) -> httpx.Request:
        step, source = self._step, self._source
        content: Any = step.body
        if step.span is not None:
            content = source.chunks(*step.span) if self._sync else source.achunks(*step.span)
        # Built here, not with client.build_request: that would add the client's default headers,
        # cookies and params (a user's own httpx client may carry credentials in them).
        return httpx.Request(
            step.method,
            step.url,
            headers=step.headers,
            content=content,
            extensions={"timeout": self._timeout.as_dict()},
        )

    def answered(self, response: httpx.Response) -> bool:
        return response.is_success and not is_error_envelope(HTTPCore.decode_body(response))

    def transport_error(self, failure: httpx.TransportError | httpx.DecodingError) -> Exception:
        where = self.describe()
        if isinstance(failure, httpx.TimeoutException):
            return APITimeoutError(
                f"Request timed out ({type(failure).__name__}) during {where}.", request=self.request
            )
        detail = scrub(str(failure), self._step.url)
        return APIConnectionError(
            f"Connection error during {where}: {type(failure).__name__}: {detail}", request=self.request
        )

    def status_error(self, response: httpx.Response) -> Exception:
        return _storage_error(self._step, response, HTTPCore.decode_body(response))


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


class _Transfer:
    """One upload's `_protocol` as `transfer` / `atransfer` drive it: the tries of each step, the step's
    response or failure fed back, and the protocol closed however the upload ends."""

    def __init__(
        self,
        sender: Sender,
        presigned: PresignedUpload,
        source: UploadSource,
        option: RequestOption | None,
        *,
        sync: bool,
    ) -> None:
        settings = sender.config.resolve(option)
        self._source = source
        self._timeout = timeout_of(settings)
        self._sync = sync
        self._policy = sender.config.retry_backoff
        self._protocol = _protocol(presigned, source, sender.config.base_url, settings.max_retries)
        self._step: Step | None = None

    def __enter__(self) -> _Transfer:
        self._step = self._advance(lambda: next(self._protocol))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._protocol.close()

    @property
    def pending(self) -> bool:
        return self._step is not None

    def tries(self) -> StorageTries:
        """The tries of the step to send next (while `pending`)."""
        assert self._step is not None
        return StorageTries(self._step, self._source, self._timeout, sync=self._sync, policy=self._policy)

    def answered(self, response: httpx.Response) -> None:
        self._step = self._advance(lambda: self._protocol.send(response))

    def failed(self, error: Exception) -> None:
        """Throw the step's failure into the protocol: it raises it again, or goes on (the abort)."""
        self._step = self._advance(lambda: self._protocol.throw(error))

    @staticmethod
    def _advance(resume: Callable[[], Step]) -> Step | None:
        try:
            return resume()
        except StopIteration:
            return None


def transfer(
    sender: Sender, presigned: PresignedUpload, source: UploadSource, option: RequestOption | None = None
) -> None:
    """Upload `source` as `presigned` says, through the client's sync pool."""
    run = _Transfer(sender, presigned, source, option, sync=True)
    client = sender.pools.sync_client()
    with run:
        while run.pending:
            try:
                response = drive(client, run.tries(), sender.hooks.sleep, read_body=True)
            except Exception as exc:
                run.failed(exc)
            else:
                run.answered(response)


async def atransfer(
    sender: Sender, presigned: PresignedUpload, source: UploadSource, option: RequestOption | None = None
) -> None:
    """Upload `source` as `presigned` says, through the client's async pool."""
    run = _Transfer(sender, presigned, source, option, sync=False)
    client = sender.pools.async_client()
    with run:
        while run.pending:
            try:
                response = await adrive(client, run.tries(), sender.hooks.asleep, read_body=True)
            except Exception as exc:
                run.failed(exc)
            else:
                run.answered(response)


def upload(
    sender: Sender,
    request: APIRequest[PresignedUpload],
    source: UploadSource,
    option: RequestOption | None,
    fields: Mapping[str, Any],
) -> PresignedUpload:
    """Ask FastGPT where to put `source` (`request`, with `fields` added to its body), put it there,
    and close `source` whatever happens; the answer says where it went."""
    try:
        presigned = sender.send(sender.prepare(request, option, body_update=fields), PresignedUpload)
        transfer(sender, presigned, source, option)
    finally:
        source.close()
    return presigned


async def aupload(
    sender: Sender,
    request: APIRequest[PresignedUpload],
    source: UploadSource,
    option: RequestOption | None,
    fields: Mapping[str, Any],
) -> PresignedUpload:
    """The async twin of `upload`."""
    try:
        presigned = await sender.asend(sender.prepare(request, option, body_update=fields), PresignedUpload)
        await atransfer(sender, presigned, source, option)
    finally:
        source.close()
    return presigned
