"""The emulator's multipart reader: bodies encoded by hand, by httpx, and in the edge forms clients use."""

from __future__ import annotations

import httpx
from dataset._support import multipart

from fastgpt_oapi.testing.multipart import FormFile, is_multipart, parse_multipart


def test_a_hand_encoded_body_gives_fields_and_files() -> None:
    content_type, body = multipart(
        {"data": '{"datasetId": "x"}', "note": "héllo"},
        {"file": ("a b.md", b"# Title\r\n\r\nbinary \x00\xff end\r\n", "text/markdown")},
    )
    assert parse_multipart(content_type, body) == {
        "data": '{"datasetId": "x"}',
        "note": "héllo",
        "file": FormFile("a b.md", "text/markdown", b"# Title\r\n\r\nbinary \x00\xff end\r\n"),
    }


def test_an_httpx_body_is_read() -> None:
    request = httpx.Request(
        "POST",
        "http://fastgpt.fake/upload",
        files={"file": ("报告.txt", "内容".encode(), "text/plain")},
        data={"data": '{"a": 1}'},
    )
    fields = parse_multipart(request.headers["content-type"], request.read())
    assert fields is not None
    assert fields["data"] == '{"a": 1}'
    upload = fields["file"]
    assert isinstance(upload, FormFile)
    assert (upload.filename, upload.content_type, upload.data) == ("报告.txt", "text/plain", "内容".encode())


def test_rfc5987_names_quoted_boundaries_and_parts_without_type() -> None:
    body = (
        b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''na%C3%AFve.txt\r\n\r\nx\r\n"
        b'--b\r\nContent-Disposition: form-data; name="q\\"uoted"\r\n\r\nv\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nno name: skipped\r\n"
        b"--b--\r\n"
    )
    assert parse_multipart('multipart/form-data; boundary="b"', body) == {
        "file": FormFile("naïve.txt", "application/octet-stream", b"x"),
        'q"uoted': "v",
    }


def test_what_is_not_multipart() -> None:
    assert is_multipart("Multipart/Form-Data; boundary=x")
    assert not is_multipart("application/json")
    assert parse_multipart("application/json", b"{}") is None
    assert parse_multipart("multipart/form-data", b"--x--") is None  # no boundary
    assert parse_multipart("multipart/form-data; boundary=x", b"") == {}
