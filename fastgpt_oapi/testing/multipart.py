"""Reading a `multipart/form-data` body into fields, the way FastGPT's upload routes receive one.

FastGPT reads uploads with multer (`packages/service/common/file/multer.ts`, f88b51b5): one `file`
part, and the other parts as text fields, of which `data` carries the request's JSON. The emulator
parses the body once, in `FakeFastGPT.handle`, so an upload route gets its fields in `params` like
any JSON route: text parts as `str`, file parts as `FormFile`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

__all__ = ["JOURNAL_FILE_BYTES", "FormFile", "is_multipart", "journal_copy", "parse_multipart"]


@dataclass(frozen=True)
class FormFile:
    """A file part: its `filename` as sent (clients percent-encode it, FastGPT decodes it), its
    declared content type, its bytes and their number. `size` is `len(data)` but in the request
    journal (`FakeFastGPT.requests`), which keeps only the first `JOURNAL_FILE_BYTES` of a larger
    file: `data` is then the file's start and `size` the whole file's."""

    filename: str
    content_type: str
    data: bytes
    size: int = -1

    def __post_init__(self) -> None:
        if self.size < 0:
            object.__setattr__(self, "size", len(self.data))

    @property
    def truncated(self) -> bool:
        """Whether `data` is only the start of the file (`size` bytes in all)."""
        return len(self.data) < self.size


# What the request journal keeps of an uploaded file: the file whole up to this size, else its start.
JOURNAL_FILE_BYTES = 1024 * 1024


def journal_copy(body: Any) -> Any:
    """A parsed body as the request journal keeps it: file parts over `JOURNAL_FILE_BYTES` cut to
    their first `JOURNAL_FILE_BYTES`, `size` recording the whole (an emulator that kept every upload
    whole would hold each large import twice); anything else as it is."""
    if not isinstance(body, dict) or not any(
        isinstance(v, FormFile) and v.size > JOURNAL_FILE_BYTES for v in body.values()
    ):
        return body
    return {
        k: FormFile(v.filename, v.content_type, v.data[:JOURNAL_FILE_BYTES], v.size)
        if isinstance(v, FormFile) and v.size > JOURNAL_FILE_BYTES
        else v
        for k, v in body.items()
    }


_PARAM = re.compile(r';\s*([\w*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def _params(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, raw in _PARAM.findall(header):
        value = raw.strip()
        if value.startswith('"') and value.endswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        found[name.lower()] = value
    return found


def is_multipart(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"


def parse_multipart(content_type: str, body: bytes) -> dict[str, Any] | None:
    """The body's parts by name (the last of a repeated name wins), or None if it is not a
    multipart body with a boundary.

    Parts are found by position, and each part's content is the one copy made of it: an upload of
    hundreds of megabytes is held twice at most (the body and its file), not once per step."""
    boundary = _params(content_type).get("boundary")
    if not is_multipart(content_type) or not boundary:
        return None
    fields: dict[str, Any] = {}
    delimiter = b"--" + boundary.encode("latin-1")
    found = body.find(delimiter)
    while found >= 0:
        start = found + len(delimiter)
        if body.startswith(b"--", start):
            break  # the closing delimiter
        found = body.find(delimiter, start)
        end = found if found >= 0 else len(body)
        head_end = body.find(b"\r\n\r\n", start, end)
        if head_end < 0:
            continue
        content_start = head_end + 4
        if end - content_start >= 2 and body.startswith(b"\r\n", end - 2):
            end -= 2
        headers: dict[str, str] = {}
        for line in body[start:head_end].decode("utf-8", "replace").split("\r\n"):
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        disposition = _params(headers.get("content-disposition", ""))
        if "name" not in disposition:
            continue
        name = disposition["name"]
        content = body[content_start:end]
        filename = disposition.get("filename*") or disposition.get("filename")
        if filename is None:
            fields[name] = content.decode("utf-8", "replace")
            continue
        if filename.lower().startswith("utf-8''"):  # RFC 5987: filename*=UTF-8''...
            filename = unquote(filename[7:])
        content_type_of_part = headers.get("content-type", "application/octet-stream")
        fields[name] = FormFile(filename, content_type_of_part, content)
    return fields
