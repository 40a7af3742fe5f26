"""What an upload reads and how its URLs are shown: `core/upload.py`, no network."""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from fastgpt_oapi import RequestValidationError
from fastgpt_oapi.core.upload import (
    CHUNK_SIZE,
    PresignedUpload,
    UploadSource,
    content_name,
    open_source,
    redact_url,
    scrub,
)

SIGNATURE = "3f1c0ffee0ddba11" * 4
S3_URL = (
    "https://s3.example.com/fastgpt-private/chat/app/66e29b870b24ce35330c0f08/u/c1/a.png"
    "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260801%2Fus-east-1%2Fs3"
    f"&X-Amz-Expires=600&X-Amz-SignedHeaders=content-type%3Bhost&X-Amz-Signature={SIGNATURE}"
)
TOKEN = "wZ6rm5X4l6Ygm1oDQX8JbA-longer-token"
PROXY_URL = f"https://files.example.com/api/system/file/u/{TOKEN}?partNumber=3"


class Pipe(io.RawIOBase):
    """A stream that cannot seek, handing out its bytes a few at a time (a pipe, a socket)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), 7, len(self._data))
        buffer[:n], self._data = self._data[:n], self._data[n:]
        return n


def read_all(source: UploadSource, offset: int = 0, length: int | None = None) -> bytes:
    length = source.size - offset if length is None else length
    return b"".join(source.chunks(offset, length))


def aread_all(source: UploadSource, offset: int, length: int) -> bytes:
    async def collect() -> bytes:
        return b"".join([block async for block in source.achunks(offset, length)])

    return asyncio.run(collect())


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(range(256)) * (3 * CHUNK_SIZE // 256 + 17))
    return path


# ---- sources --------------------------------------------------------------------------------------


def test_bytes_are_read_in_chunks_of_any_span() -> None:
    data = os.urandom(CHUNK_SIZE * 2 + 5)
    source = open_source(data)
    assert source.size == len(data)
    assert read_all(source) == data
    assert read_all(source, 10, CHUNK_SIZE + 3) == data[10 : CHUNK_SIZE + 13]
    assert all(len(block) <= CHUNK_SIZE for block in source.chunks(0, source.size))
    assert aread_all(source, 3, 100) == data[3:103]


def test_bytearray_and_memoryview_are_bytes_too() -> None:
    assert read_all(open_source(bytearray(b"abc"))) == b"abc"
    assert read_all(open_source(memoryview(b"abcdef")[2:])) == b"cdef"


def test_a_path_is_opened_read_again_from_any_offset_and_closed(big_file: Path) -> None:
    data = big_file.read_bytes()
    source = open_source(big_file)
    assert source.size == len(data)
    assert read_all(source) == data
    assert read_all(source) == data  # again from the start, as a retry would
    assert read_all(source, CHUNK_SIZE - 1, CHUNK_SIZE + 2) == data[CHUNK_SIZE - 1 : 2 * CHUNK_SIZE + 1]
    assert aread_all(source, 5, len(data) - 5) == data[5:]
    source.close()
    with pytest.raises(ValueError, match="closed"):
        read_all(source)


def test_a_str_path_works_like_a_pathlike(big_file: Path) -> None:
    source = open_source(str(big_file))
    try:
        assert source.size == big_file.stat().st_size
    finally:
        source.close()


def test_a_seekable_file_is_read_from_its_position_and_left_open() -> None:
    file = io.BytesIO(b"headerPAYLOAD")
    file.seek(6)
    source = open_source(file)
    assert source.size == 7
    assert read_all(source) == b"PAYLOAD"
    assert read_all(source) == b"PAYLOAD"
    source.close()
    assert not file.closed


def test_a_stream_that_cannot_seek_is_spooled_and_can_be_read_again() -> None:
    data = os.urandom(1000)
    source = open_source(io.BufferedReader(Pipe(data)))
    try:
        assert source.size == 1000
        assert read_all(source) == data
        assert read_all(source, 990, 10) == data[990:]
    finally:
        source.close()


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("no/such/file.png", "no such file"),
        (Path("no/such/file.png"), "no such file"),
    ],
)
def test_a_missing_path_is_refused_naming_content(content: object, says: str) -> None:
    with pytest.raises(RequestValidationError, match=says) as caught:
        open_source(content)
    assert caught.value.field == "content"


def test_a_directory_is_refused_naming_content(tmp_path: Path) -> None:
    with pytest.raises(RequestValidationError, match="is a directory") as caught:
        open_source(tmp_path)
    assert caught.value.field == "content"


def test_a_text_mode_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("hello")
    with path.open() as text, pytest.raises(RequestValidationError, match="binary mode") as caught:
        open_source(text)
    assert caught.value.field == "content"


def test_a_file_that_shrinks_during_the_upload_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"x" * 100)
    source = open_source(path)
    try:
        path.write_bytes(b"x" * 10)  # truncated in place, behind the open file's back
        with pytest.raises(RequestValidationError, match="ended at byte 10 of the 100"):
            read_all(source)
    finally:
        source.close()


@pytest.mark.parametrize(
    ("content", "name"),
    [
        ("dir/report.pdf", "report.pdf"),
        (Path("x/y/chart.png"), "chart.png"),
        (b"bytes", None),
        (io.BytesIO(b""), None),
        ("dir/", None),
    ],
)
def test_content_name(content: object, name: str | None) -> None:
    assert content_name(content) == name


def test_an_open_file_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "q3 report.pdf"
    path.write_bytes(b"%PDF")
    with path.open("rb") as file:
        assert content_name(file) == "q3 report.pdf"


# ---- the presign answer ---------------------------------------------------------------------------


def test_an_answer_without_upload_mode_is_single() -> None:
    # FastGPT before 4.16 (and before 4.15 without previewUrl)
    answer = PresignedUpload.model_validate({"url": S3_URL, "key": "k", "headers": {"x-amz-meta-a": "b"}})
    assert (answer.upload_mode, answer.preview_url, answer.headers) == ("single", None, {"x-amz-meta-a": "b"})


def test_a_multipart_answer_reads_every_field() -> None:
    answer = PresignedUpload.model_validate(
        {
            "uploadMode": "multipart",
            "url": "/api/system/file/u/t",
            "completeUrl": "/api/system/file/u/t/complete",
            "abortUrl": "/api/system/file/u/t/abort",
            "key": "k",
            "headers": {"content-type": "application/pdf"},
            "previewUrl": "https://p",
            "maxSize": 524288000,
            "partSize": 8388608,
            "concurrency": 3,
            "maxRetry": 3,
        }
    )
    assert (answer.part_size, answer.max_retry, answer.complete_url) == (
        8388608,
        3,
        "/api/system/file/u/t/complete",
    )


@pytest.mark.parametrize("missing", ["completeUrl", "partSize"])
def test_a_multipart_answer_without_its_fields_is_refused(missing: str) -> None:
    raw = {"uploadMode": "multipart", "url": "u", "key": "k", "completeUrl": "c", "partSize": 5}
    del raw[missing]
    with pytest.raises(ValidationError):
        PresignedUpload.model_validate(raw)


def test_an_unknown_upload_mode_is_refused() -> None:
    with pytest.raises(ValidationError):
        PresignedUpload.model_validate({"uploadMode": "resumable", "url": "u", "key": "k"})


# ---- credentials out of messages ------------------------------------------------------------------


def test_redact_url_hides_the_query_and_tokens_in_the_path() -> None:
    assert redact_url(S3_URL) == "https://s3.example.com/fastgpt-private/chat/app/…/u/c1/a.png?…"
    assert redact_url(PROXY_URL) == "https://files.example.com/api/system/file/u/…?…"
    assert redact_url("https://user:pw@h.example/a") == "https://h.example/a"
    assert redact_url("http://h/short/path") == "http://h/short/path"


def test_scrub_takes_signatures_and_tokens_out_of_text() -> None:
    xml = (
        "<Error><Code>SignatureDoesNotMatch</Code><Message>bad</Message>"
        f"<SignatureProvided>{SIGNATURE}</SignatureProvided>"
        "<StringToSign>AWS4-HMAC-SHA256\n20260801T000000Z</StringToSign></Error>"
    )
    text = scrub(f"{xml} while fetching {S3_URL} and {PROXY_URL}", S3_URL)
    assert SIGNATURE not in text
    assert "AKIAEXAMPLE" not in text
    assert "SignatureDoesNotMatch" in text
    assert "<SignatureProvided>…</SignatureProvided>" in text
    assert TOKEN in text  # not this URL's: scrub knows the URL it was given, and signature-like names
    assert TOKEN not in scrub(f"denied: {PROXY_URL}", PROXY_URL)
    assert "X-Amz-Signature=…" in scrub("?X-Amz-Signature=abcdef0123456789", "http://other/")
