"""`FakeStorage`: the emulator's object storage, on a host of its own, for chat file uploads.

FastGPT's presign endpoints answer with a URL that is not FastGPT's API: an S3 presigned URL (signature
in the query; FastGPT before 4.16 always, and this emulator's "single" uploads) or FastGPT 4.16's
upload proxy (`/api/system/file/u/<token>`, its "multipart" uploads), usually on another host
(FILE_DOMAIN). The emulator mints both on `origin`, `http://storage.fake` in process and
`http://localhost:<port>` while `serve()` runs on `127.0.0.1:<port>`: a different host to the client,
the same socket to the emulator. A request reaching the storage host with any other Host (the API
host, say) is not served.

Every request that reaches it is kept in `requests`, with its headers, so tests can check what was
sent and that no `Authorization` came along; finished files are in `objects`.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .wire import FakeResponse, envelope, json_response

__all__ = ["FakeStorage", "MiB", "StorageRequest", "StoredObject"]

MiB = 1024 * 1024
BUCKET = "fastgpt-private"
S3_PREFIX = f"/fake-s3/{BUCKET}/"
PROXY_PREFIX = "/api/system/file/u/"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class StorageRequest:
    """One request the fake storage received (`fake.storage.requests`). Header names are lower case."""

    method: str
    host: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def authorization(self) -> str | None:
        """The Authorization header, if one came (it never should)."""
        return self.headers.get("authorization")

    @property
    def part_number(self) -> int | None:
        value = self.query.get("partNumber")
        return int(value) if value is not None and value.isdigit() else None


@dataclass
class StoredObject:
    """A finished upload: what a presigned GET of `key` returns."""

    key: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class _Session:
    token: str
    key: str
    filename: str
    content_type: str
    origin: str
    mode: str  # "single" or "multipart"
    put_signature: str
    get_signature: str
    size: int | None
    part_size: int
    parts: dict[int, tuple[str, bytes]] = field(default_factory=dict)
    status: str = "active"  # active, completed, aborted


@dataclass
class _Scripted:
    status: int
    body: bytes
    headers: dict[str, str]
    times: int


def _s3_error(status: int, code: str, message: str, **extra: str) -> FakeResponse:
    details = "".join(f"<{name}>{value}</{name}>" for name, value in extra.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>{details}</Error>"
    ).encode()
    return FakeResponse(status, {"content-type": "application/xml"}, [body])


def _proxy_error(status: int, message: str, status_text: str = "") -> FakeResponse:
    return json_response(status, envelope(status, status_text=status_text, message=message))


class FakeStorage:
    """Object storage behind the emulator's presign answers (`FakeFastGPT.storage`).

    `multipart_threshold`: files of at least this many bytes (by the presign request's `size`) are
    uploaded in parts of `part_size`, as FastGPT 4.16 does from 32 MiB in parts of 8 MiB; None means
    never (FastGPT before 4.16). `max_size` is the per-file limit the presign answer states.
    """

    def __init__(
        self,
        *,
        part_size: int = 8 * MiB,
        multipart_threshold: int | None = 32 * MiB,
        max_size: int = 500 * MiB,
    ) -> None:
        if part_size < 1:
            raise ValueError("part_size must be positive")
        self.origin = "http://storage.fake"
        self.part_size = part_size
        self.multipart_threshold = multipart_threshold
        self.max_size = max_size
        self.requests: list[StorageRequest] = []
        self.objects: dict[str, StoredObject] = {}
        self._sessions: dict[str, _Session] = {}  # by token, and by PUT and GET signature
        self._scripted: list[_Scripted] = []

    # ---- for tests ------------------------------------------------------------------------------

    def fail_next(
        self, status: int, body: bytes | str = b"", *, headers: dict[str, str] | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` storage requests with this status and body instead of storing."""
        raw = body.encode() if isinstance(body, str) else body
        self._scripted.append(_Scripted(status, raw, dict(headers or {}), times))

    @property
    def host(self) -> str:
        return urlsplit(self.origin).netloc

    # ---- what the presign routes call -----------------------------------------------------------

    def presign(
        self,
        *,
        prefix: str,
        filename: str,
        content_type: str | None,
        size: int | None,
        multipart_allowed: bool = True,
    ) -> dict[str, Any]:
        """A `CreatePostPresignedUrlResponse` for one upload, as FastGPT writes it. Without
        `multipart_allowed` (FastGPT before 4.16) every upload is a single PUT."""
        resolved_type = (
            content_type or mimetypes.guess_type(filename, strict=False)[0] or "application/octet-stream"
        )
        # FastGPT keeps the name in the key; here it is made URL-safe so paths need no quoting.
        key = f"{prefix}/{secrets.token_hex(3)}-{_UNSAFE.sub('_', filename)}"
        multipart = (
            multipart_allowed
            and self.multipart_threshold is not None
            and size is not None
            and size >= self.multipart_threshold
        )
        session = _Session(
            token=secrets.token_urlsafe(24),
            key=key,
            filename=filename,
            content_type=resolved_type,
            origin=self.origin,
            mode="multipart" if multipart else "single",
            put_signature=secrets.token_hex(32),
            get_signature=secrets.token_hex(32),
            size=size,
            part_size=self.part_size,
        )
        for handle in (session.token, session.put_signature, session.get_signature):
            self._sessions[handle] = session
        answer: dict[str, Any] = {
            "url": "",
            "key": key,
            "headers": {"content-type": resolved_type},
            "previewUrl": self._s3_url(session, "GET", session.get_signature),
            "maxSize": self.max_size,
        }
        if multipart:
            proxy = f"{self.origin}{PROXY_PREFIX}{session.token}"
            answer.update(
                uploadMode="multipart",
                url=proxy,
                completeUrl=f"{proxy}/complete",
                abortUrl=f"{proxy}/abort",
                partSize=self.part_size,
                concurrency=3,
                maxRetry=3,
            )
        else:
            answer.update(uploadMode="single", url=self._s3_url(session, "PUT", session.put_signature))
        return answer

    def preview_url(self, key: str) -> str | None:
        """A fresh GET URL for a key this storage handed out, or None."""
        session = next((s for s in self._sessions.values() if s.key == key), None)
        return None if session is None else self._s3_url(session, "GET", session.get_signature)

    @staticmethod
    def _s3_url(session: _Session, method: str, signature: str) -> str:
        signed = "content-type%3Bhost" if method == "PUT" else "host"
        return (
            f"{session.origin}{S3_PREFIX}{session.key}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=fakeaccess%2F20260801%2Fus-east-1%2Fs3%2Faws4_request"
            f"&X-Amz-Date=20260801T000000Z&X-Amz-Expires=600&X-Amz-SignedHeaders={signed}"
            f"&X-Amz-Signature={signature}"
        )

    # ---- the storage server ---------------------------------------------------------------------

    def serves(self, path: str) -> bool:
        return path.startswith((S3_PREFIX, PROXY_PREFIX))

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> FakeResponse:
        headers = {k.lower(): v for k, v in headers.items()}
        self.requests.append(
            StorageRequest(method, headers.get("host", ""), path, dict(query), headers, body)
        )
        if self._scripted:
            scripted = self._scripted[0]
            scripted.times -= 1
            if scripted.times <= 0:
                self._scripted.pop(0)
            return FakeResponse(scripted.status, scripted.headers, [scripted.body])
        if path.startswith(S3_PREFIX):
            return self._s3(method, path, query, headers, body)
        return self._proxy(method, path, query, headers, body)

    def _not_here(self, method: str, path: str) -> FakeResponse:
        return FakeResponse(404, {"content-type": "text/plain"}, [f"Cannot {method} {path}".encode()])

    def _s3(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> FakeResponse:
        key = path[len(S3_PREFIX) :]
        signature = query.get("X-Amz-Signature", "")
        session = self._sessions.get(signature)
        if session is not None and headers.get("host") != urlsplit(session.origin).netloc:
            return self._not_here(method, path)
        if (
            session is None
            or session.key != key
            or signature != (session.put_signature if method == "PUT" else session.get_signature)
        ):
            # S3 echoes the signature it was given; clients must not pass it on.
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
                SignatureProvided=signature,
            )
        if method == "GET":
            stored = self.objects.get(key)
            if stored is None:
                return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
            return FakeResponse(200, {"content-type": stored.content_type}, [stored.data])
        if method != "PUT":
            return _s3_error(405, "MethodNotAllowed", "The specified method is not allowed.")
        if headers.get("content-type") != session.content_type:  # a signed header
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
                SignatureProvided=signature,
            )
        if headers.get("content-length") != str(len(body)):
            return _s3_error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
        if len(body) > self.max_size:
            return _s3_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
        self.objects[key] = StoredObject(key, session.filename, session.content_type, body)
        session.status = "completed"
        return FakeResponse(200, {"etag": f'"{hashlib.md5(body).hexdigest()}"'}, [b""])

    def _proxy(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> FakeResponse:
        token, _, action = path[len(PROXY_PREFIX) :].partition("/")
        session = self._sessions.get(token)
        if session is not None and headers.get("host") != urlsplit(session.origin).netloc:
            return self._not_here(method, path)
        if session is None or session.token != token:
            return _proxy_error(403, "common:code_error.error_message.513", "unAuthFile")
        if action == "":
            return self._part(session, method, query, headers, body)
        if action == "complete" and method == "POST":
            return self._complete(session, body)
        if action == "abort" and method == "POST":
            if session.status == "active":
                session.status = "aborted"
                session.parts.clear()
            return json_response(200, envelope(200))
        return _proxy_error(405, "Method not allowed")

    def _part(
        self, session: _Session, method: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> FakeResponse:
        if method != "PUT":
            return _proxy_error(405, "Method not allowed")
        if session.status != "active":
            return _proxy_error(400, f"Multipart upload session is {session.status}")
        number = query.get("partNumber", "")
        if session.size is None or not number.isdigit():
            return _proxy_error(400, "Multipart upload requires partNumber")
        n, count = int(number), -(-session.size // session.part_size)
        if not 1 <= n <= count:
            return _proxy_error(400, "Multipart part number is out of range")
        expected = session.size - session.part_size * (count - 1) if n == count else session.part_size
        if headers.get("content-length") is None:
            return _proxy_error(400, "Multipart part content-length is required")
        if headers.get("content-length") != str(expected) or len(body) != expected:
            return _proxy_error(400, "Multipart part length does not match session")
        etag = f'"{hashlib.md5(body).hexdigest()}"'
        session.parts[n] = (etag, body)
        return json_response(200, envelope(200, {"etag": etag}))

    def _complete(self, session: _Session, body: bytes) -> FakeResponse:
        if session.status == "completed":
            return json_response(200, envelope(200, {"key": session.key}))
        if session.status != "active":
            return _proxy_error(400, f"Multipart upload session is {session.status}")
        try:
            parts = json_parts(body)
        except ValueError:
            return _proxy_error(400, "Data validation error", "error")
        count = -(-(session.size or 0) // session.part_size)
        numbers = [number for number, _ in parts]
        if numbers != list(range(1, count + 1)):
            return _proxy_error(400, "Multipart parts count does not match total size")
        for number, etag in parts:
            if session.parts.get(number, ("", b""))[0] != etag:
                return _proxy_error(400, f"Multipart parts must match uploaded parts (part {number})")
        data = b"".join(session.parts[number][1] for number in numbers)
        self.objects[session.key] = StoredObject(session.key, session.filename, session.content_type, data)
        session.status = "completed"
        session.parts.clear()
        return json_response(200, envelope(200, {"key": session.key}))


def json_parts(body: bytes) -> list[tuple[int, str]]:
    """`{"parts": [{"partNumber", "etag"}, ...]}` as (number, etag) pairs; ValueError if malformed."""
    value = json.loads(body)
    parts = value.get("parts") if isinstance(value, dict) else None
    if not isinstance(parts, list) or not parts:
        raise ValueError("parts")
    found: list[tuple[int, str]] = []
    for part in parts:
        number, etag = (part.get("partNumber"), part.get("etag")) if isinstance(part, dict) else (None, None)
        if not isinstance(number, int) or isinstance(number, bool) or not isinstance(etag, str) or not etag:
            raise ValueError("part")
        found.append((number, etag))
    return found
