"""What an upload is made of, before any network: the content, and the presign answer that says where
it goes. `core/storage.py` sends it.

FastGPT hands out upload URLs from its presign endpoints (`presignChatFilePostUrl` for chat files,
`presignDatasetFilePostUrl` for datasets). Their answer, `CreatePostPresignedUrlResponse`
(`packages/global/common/file/s3/type.ts`, FastGPT f88b51b5c1e4987a2b917358339db1aa02bbc292), is read
by `PresignedUpload`. The content is read by `UploadSource`: a known size, handed out in chunks and
never held whole, and readable from its start again (a retry of a request that never left sends the
same bytes).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import stat
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Annotated, Any, BinaryIO, Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, PlainValidator, model_validator

from .errors import RequestValidationError
from .model import FastGPTModel
from .progress import ProgressCallback

__all__ = [
    "CHUNK_SIZE",
    "SPOOL_MEMORY",
    "FileContent",
    "PresignedUpload",
    "UploadSource",
    "content_name",
    "filename_of",
    "open_source",
    "redact_url",
    "scrub",
]

# How much of a file one read takes and one write sends: small enough that an upload's memory does not
# grow with the file, large enough that a 50 MB file is a few hundred reads (and, async, thread hops).
CHUNK_SIZE = 256 * 1024
# A stream that cannot seek is copied to a temporary file first (its size must be known before the
# first byte is sent); this much of it stays in memory, the rest goes to disk.
SPOOL_MEMORY = 8 * 1024 * 1024


def _check_content(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return value
    if isinstance(value, str):
        if not value:
            raise ValueError("an empty path")
        return value
    if isinstance(value, os.PathLike):
        return value
    if isinstance(value, io.TextIOBase):
        raise ValueError("a file opened in text mode: open it in binary mode ('rb')")
    if callable(getattr(value, "read", None)):
        return value
    raise ValueError(
        f"expected bytes, a path (str or os.PathLike) or a binary file object, got {type(value).__name__}"
    )


# What an upload reads: bytes, a path (str or os.PathLike: a str is always a path, never the content),
# or a file object opened in binary mode (read from its current position; the SDK does not close it).
FileContent = Annotated[
    bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryIO, PlainValidator(_check_content)
]


class PresignedUpload(FastGPTModel):
    """FastGPT's presign answer (`CreatePostPresignedUrlResponse`): where and how to send the bytes.

    `upload_mode` is "single" (one PUT of the whole file to `url` with exactly `headers`) or, from
    FastGPT 4.16.0 (f732bc52) for large files, "multipart": PUT each `part_size` slice to
    `url?partNumber=N`, then POST the parts' etags to `complete_url`; `abort_url` drops the session.
    Servers before 4.16 send no `upload_mode` (single); before 4.15 (af0db988) no `preview_url` either.
    """

    url: str
    key: str
    headers: dict[str, str] = {}
    preview_url: str | None = None
    max_size: int | None = None  # bytes
    upload_mode: Literal["single", "multipart"] = "single"
    complete_url: str | None = None
    abort_url: str | None = None
    part_size: int | None = None
    concurrency: int | None = None
    max_retry: int | None = None

    @model_validator(mode="after")
    def _multipart_has_its_fields(self) -> PresignedUpload:
        if self.upload_mode == "multipart" and (
            not self.complete_url or not self.part_size or self.part_size < 1
        ):
            raise ValueError("a multipart upload needs completeUrl and a positive partSize")
        return self

    @property
    def stored_content_type(self) -> str | None:
        """The content type storage was told (a signed header of the PUT), if FastGPT set one."""
        return next((v for k, v in self.headers.items() if k.lower() == "content-type"), None)


class UploadSource:
    """The bytes of one upload: `size` known up front, read in chunks of a span, as often as needed.

    Built by `open_source`. A file it opened itself (a path, or the spool of a stream) is closed by
    `close()`; a file object the caller handed in is left open.

    `progress` (None by default), when set, hears `(bytes sent, size)` as a transport pulls the
    chunks: at the start of each span, then after each chunk, when the transport comes back for the
    next one (it has written the previous one to the connection by then). A span read again (another
    try, a part sent again) starts from its offset again.
    """

    __slots__ = ("_data", "_file", "_owned", "_start", "progress", "size")

    def __init__(
        self,
        size: int,
        *,
        data: memoryview | None = None,
        file: BinaryIO | None = None,
        start: int = 0,
        owned: bool = False,
    ) -> None:
        self.size = size
        self._data = data
        self._file = file
        self._start = start
        self._owned = owned
        self.progress: ProgressCallback | None = None

    def _read_at(self, position: int, n: int) -> bytes:
        # Seek each time: a retry, or the next part after a failed one, starts wherever it needs to.
        assert self._file is not None
        self._file.seek(self._start + position)
        block = self._file.read(n)
        if not isinstance(block, bytes):
            raise RequestValidationError(
                "content: the file object returned text; open it in binary mode ('rb')", field="content"
            )
        if not block and n:
            raise RequestValidationError(
                f"content: the file ended at byte {position} of the {self.size} it had when the upload "
                "started (was it changed meanwhile?)",
                field="content",
            )
        return block

    def _in_memory(self, offset: int, length: int) -> Iterator[bytes] | None:
        """The chunks of `[offset, offset + length)` of an in-memory source; None for a file, read by
        `_read_at` (sync or in a worker thread)."""
        if self._data is None:
            return None
        data, end = self._data, offset + length
        return (data[i : min(i + CHUNK_SIZE, end)].tobytes() for i in range(offset, end, CHUNK_SIZE))

    def chunks(self, offset: int, length: int) -> Iterator[bytes]:
        """The bytes of `[offset, offset + length)`, `CHUNK_SIZE` at a time (reported to `progress`)."""
        progress = self.progress
        if progress is None:
            yield from self._chunks(offset, length)
            return
        sent = offset
        progress(sent, self.size)
        for block in self._chunks(offset, length):
            yield block
            sent += len(block)
            progress(sent, self.size)

    async def achunks(self, offset: int, length: int) -> AsyncIterator[bytes]:
        """As `chunks`, each file read in a worker thread: a read may block (a network file system, a
        cold disk), and the event loop must not wait for it. One hop per chunk is cheap next to sending it."""
        progress = self.progress
        sent = offset
        if progress is not None:
            progress(sent, self.size)
        async with contextlib.aclosing(self._achunks(offset, length)) as blocks:
            async for block in blocks:
                yield block
                if progress is not None:
                    sent += len(block)
                    progress(sent, self.size)

    def _chunks(self, offset: int, length: int) -> Iterator[bytes]:
        in_memory = self._in_memory(offset, length)
        if in_memory is not None:
            yield from in_memory
            return
        position, end = offset, offset + length
        while position < end:
            block = self._read_at(position, min(CHUNK_SIZE, end - position))
            position += len(block)
            yield block

    async def _achunks(self, offset: int, length: int) -> AsyncGenerator[bytes, None]:
        in_memory = self._in_memory(offset, length)
        if in_memory is not None:
            for chunk in in_memory:
                yield chunk
            return
        position, end = offset, offset + length
        while position < end:
            block = await asyncio.to_thread(self._read_at, position, min(CHUNK_SIZE, end - position))
            position += len(block)
            yield block

    def close(self) -> None:
        if self._owned and self._file is not None:
            self._file.close()


def content_name(content: Any) -> str | None:
    """The file name `content` comes with: a path's last part, or an open file's (`name`), else None."""
    if isinstance(content, (str, os.PathLike)):
        name: object = os.fspath(content)
    elif isinstance(content, (bytes, bytearray, memoryview)):
        return None
    else:
        name = getattr(content, "name", None)  # an int for a file opened from a descriptor
    return (os.path.basename(name) or None) if isinstance(name, str) else None


def filename_of(request: BaseModel, field: str) -> str:
    """The request's `filename`, else the name its file (`field`) comes with; a request whose file
    has no name and that gives none is refused."""
    filename: str | None = getattr(request, "filename", None) or content_name(getattr(request, field))
    if not filename:
        raise RequestValidationError(
            f"{type(request).__name__}.filename is required when {field} is bytes or a file object without "
            "a name",
            field="filename",
        )
    return filename


def open_source(content: Any, *, field: str = "content") -> UploadSource:
    """An `UploadSource` for `content` (see `FileContent`). A missing path, a directory, or a file object
    that cannot be read raises `RequestValidationError` naming `field`: nothing has been sent yet.

    A file object that cannot seek is copied to a temporary file first (`SPOOL_MEMORY` of it in memory):
    a single PUT needs its Content-Length before the first byte, and the copy can be read again.
    """
    if isinstance(content, (bytes, bytearray, memoryview)):
        view = memoryview(content).cast("B")
        return UploadSource(view.nbytes, data=view)
    if isinstance(content, (str, os.PathLike)):
        return _open_path(content, field)
    if isinstance(content, io.TextIOBase):
        raise RequestValidationError(
            f"{field}: a file opened in text mode; open it in binary mode ('rb')", field=field
        )
    try:
        seekable = bool(content.seekable())
    except (AttributeError, OSError, ValueError):
        seekable = False
    try:
        if seekable:
            start = content.tell()
            end = content.seek(0, os.SEEK_END)
            content.seek(start)
            return UploadSource(end - start, file=content, start=start)
        return _spool(content, field)
    except (OSError, ValueError) as exc:  # ValueError: a closed file
        raise RequestValidationError(f"{field}: cannot read the file object: {exc}", field=field) from None


def _open_path(content: str | os.PathLike[str], field: str) -> UploadSource:
    path = os.fspath(content)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise RequestValidationError(f"{field}: no such file: {path!r}", field=field) from None
    except OSError as exc:
        raise RequestValidationError(f"{field}: cannot read {path!r}: {exc.strerror}", field=field) from None
    if stat.S_ISDIR(info.st_mode):
        raise RequestValidationError(f"{field}: {path!r} is a directory, not a file", field=field)
    if not stat.S_ISREG(info.st_mode):
        raise RequestValidationError(
            f"{field}: {path!r} is not a regular file; open it and pass the file object instead", field=field
        )
    try:
        file = open(path, "rb")  # noqa: SIM115  # closed by UploadSource.close()
    except OSError as exc:
        raise RequestValidationError(f"{field}: cannot read {path!r}: {exc.strerror}", field=field) from None
    # The size of what was opened, not of what the path named a moment ago.
    size = os.fstat(file.fileno()).st_size
    return UploadSource(size, file=file, owned=True)


def _spool(content: Any, field: str) -> UploadSource:
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115  # UploadSource closes it
    try:
        while block := content.read(CHUNK_SIZE):
            if not isinstance(block, (bytes, bytearray, memoryview)):
                raise RequestValidationError(
                    f"{field}: the file object returned text; open it in binary mode ('rb')", field=field
                )
            spool.write(block)
        size = spool.tell()
    except BaseException:
        spool.close()
        raise
    return UploadSource(size, file=spool, owned=True)  # type: ignore[arg-type]


# ---- keeping credentials out of messages and logs -------------------------------------------------

# A path segment this long is treated as a credential: FastGPT 4.16's upload URLs carry their token
# in the path (`/api/system/file/u/<token>`, tokens of 20 to 64 characters).
_LONG_SEGMENT = 16
_SIGNED_QUERY = re.compile(
    r"((?:X-Amz-)?Signature|X-Amz-Credential|X-Amz-Security-Token|token|sig)=[^&\s\"'<]+", re.I
)
_SIGNED_XML = re.compile(
    r"<(SignatureProvided|StringToSign|StringToSignBytes|CanonicalRequest|CanonicalRequestBytes)>.*?</\1>",
    re.S,
)


def redact_url(url: object) -> str:
    """The URL with its query and any long path segment (a token) replaced by `…`: what messages and
    logs may show of a presigned URL. S3 URLs carry `X-Amz-Signature` in the query."""
    parts = urlsplit(str(url))
    host = parts.netloc.rpartition("@")[2]  # never userinfo
    path = "/".join("…" if len(segment) >= _LONG_SEGMENT else segment for segment in parts.path.split("/"))
    return f"{parts.scheme}://{host}{path}{'?…' if parts.query else ''}"


def scrub(text: str, url: object) -> str:
    """`text` (a storage error body, a transport error) with the URL's secrets taken out: its query
    values, long path segments, signature parameters, and the signature echoes of S3's XML errors."""
    parts = urlsplit(str(url))
    secrets = {value for _, value in parse_qsl(parts.query) if len(value) >= 8}
    secrets |= {value for value in parts.query.split("&") if len(value) >= 8}
    secrets |= {segment for segment in parts.path.split("/") if len(segment) >= _LONG_SEGMENT}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "…")
    text = _SIGNED_XML.sub(lambda m: f"<{m.group(1)}>…</{m.group(1)}>", text)
    return _SIGNED_QUERY.sub(lambda m: f"{m.group(1)}=…", text)
