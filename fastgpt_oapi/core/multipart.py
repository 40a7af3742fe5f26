"""`multipart/form-data` bodies streamed from their parts, never held whole.

A `MultipartBody` is a sequence of parts: `FieldPart`s (small values, kept in memory) and `FilePart`s
(an `UploadSource` from `core/upload.py`, read a chunk at a time). Its length is known before the first
byte is sent (the framing is computed up front, the files' sizes are known), so it goes out with a
Content-Length rather than chunked: servers that buffer uploads (FastGPT's multer among them) and the
proxies in front of them all take that. It can be read from its start as often as needed: each
`iter_bytes()` / `aiter_bytes()` call starts at byte 0 again, which is what another try of a request
that never left needs. `aiter_bytes()` reads files in worker threads, as `core/storage.py` does.

The framing is RFC 7578 as browsers write it (the HTML standard's form-data encoding): CRLF line
ends, a `Content-Disposition: form-data; name="..."; filename="..."` header per part with `"`, CR
and LF percent-encoded (as browsers and httpx do), an optional `Content-Type`, and a random boundary.
No HTTP knowledge lives here: `core/http.py` sends a body through `PreparedCall.with_body`.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .upload import UploadSource

__all__ = ["FieldPart", "FilePart", "MultipartBody"]

_CRLF = b"\r\n"
# RFC 2046 `bchars`, without the space (allowed inside, but never needed, and easy to get wrong).
_BOUNDARY_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?")


@dataclass(frozen=True)
class FieldPart:
    """A form field: `name` and its value (text is sent as UTF-8). `content_type` is left out unless given."""

    name: str
    value: str | bytes
    content_type: str | None = None


@dataclass(frozen=True)
class FilePart:
    """A file: its bytes come from `source` as the body is sent; `filename` goes into the part's header."""

    name: str
    source: UploadSource
    filename: str
    content_type: str = "application/octet-stream"


def _quoted(value: str) -> str:
    # The HTML standard's escaping of names and filenames in Content-Disposition.
    return value.replace("\n", "%0A").replace("\r", "%0D").replace('"', "%22")


def _header_value(value: str, what: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"a multipart {what} cannot hold a line break")
    return value


def _head(part: FieldPart | FilePart, boundary: str) -> bytes:
    disposition = f'form-data; name="{_quoted(part.name)}"'
    if isinstance(part, FilePart):
        disposition += f'; filename="{_quoted(part.filename)}"'
    lines = [f"--{boundary}", f"Content-Disposition: {disposition}"]
    if part.content_type is not None:
        lines.append(f"Content-Type: {_header_value(part.content_type, 'content type')}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


class MultipartBody:
    """A `multipart/form-data` body of `parts`, in order. See the module docstring.

    `content_type` (with the boundary) and `content_length` are what the request's headers must say.
    The body does not own the parts' sources: whoever opened them closes them after the request.
    """

    __slots__ = ("_pieces", "boundary", "content_length", "content_type")

    def __init__(self, parts: Sequence[FieldPart | FilePart], *, boundary: str | None = None) -> None:
        if not parts:
            raise ValueError("a multipart body needs at least one part")
        boundary = boundary if boundary is not None else secrets.token_hex(16)
        if not 1 <= len(boundary) <= 70 or not set(boundary) <= _BOUNDARY_CHARS:
            raise ValueError("a multipart boundary is 1 to 70 letters, digits or '()+_,-./:=?")
        delimiter = b"--" + boundary.encode("ascii")
        # The body as it goes out: runs of framing and field bytes (joined), and the files between them.
        pieces: list[bytes | UploadSource] = []
        pending = bytearray()
        length = 0
        for part in parts:
            pending += _head(part, boundary)
            if isinstance(part, FieldPart):
                value = part.value.encode("utf-8") if isinstance(part.value, str) else bytes(part.value)
                if delimiter in value:
                    raise ValueError(f"the value of multipart field {part.name!r} contains the boundary")
                pending += value
            else:
                pieces.append(bytes(pending))
                length += len(pending)
                pending.clear()
                pieces.append(part.source)
                length += part.source.size
            pending += _CRLF
        pending += delimiter + b"--" + _CRLF
        pieces.append(bytes(pending))
        length += len(pending)
        self._pieces = tuple(pieces)
        self.boundary = boundary
        self.content_type = f"multipart/form-data; boundary={boundary}"
        self.content_length = length

    def iter_bytes(self) -> Iterator[bytes]:
        """The whole body from its first byte, framing at once and files a chunk at a time."""
        for piece in self._pieces:
            if isinstance(piece, bytes):
                yield piece
            else:
                yield from piece.chunks(0, piece.size)

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """As `iter_bytes`, each file read in a worker thread (a read may block; the loop must not)."""
        for piece in self._pieces:
            if isinstance(piece, bytes):
                yield piece
            else:
                async for block in piece.achunks(0, piece.size):
                    yield block

    def __repr__(self) -> str:
        return f"MultipartBody({self.content_length} bytes, boundary={self.boundary!r})"
