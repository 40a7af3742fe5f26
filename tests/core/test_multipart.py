"""`core/multipart.py` on its own: the framing byte for byte, the length known before sending, a body
read again from its start as often as asked, sync and async alike, and what it refuses."""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
from pathlib import Path

import pytest

from fastgpt_oapi.core.multipart import FieldPart, FilePart, MultipartBody
from fastgpt_oapi.core.upload import CHUNK_SIZE, open_source


def _collect_async(body: MultipartBody) -> bytes:
    async def read() -> bytes:
        return b"".join([block async for block in body.aiter_bytes()])

    return asyncio.run(read())


def test_the_framing_is_rfc_7578_byte_for_byte() -> None:
    source = open_source(b"hello\r\n--not-the-boundary")
    body = MultipartBody(
        [
            FilePart("file", source, filename="a.txt", content_type="text/plain"),
            FieldPart("data", '{"k":"值"}'),
            FieldPart("typed", b"{}", content_type="application/json"),
        ],
        boundary="XyZ-123",
    )
    expected = (
        b"--XyZ-123\r\n"
        b'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n"
        b"\r\n"
        b"hello\r\n--not-the-boundary\r\n"
        b"--XyZ-123\r\n"
        b'Content-Disposition: form-data; name="data"\r\n'
        b"\r\n"
        b'{"k":"\xe5\x80\xbc"}\r\n'
        b"--XyZ-123\r\n"
        b'Content-Disposition: form-data; name="typed"\r\n'
        b"Content-Type: application/json\r\n"
        b"\r\n"
        b"{}\r\n"
        b"--XyZ-123--\r\n"
    )
    assert b"".join(body.iter_bytes()) == expected
    assert body.content_length == len(expected)
    assert body.content_type == "multipart/form-data; boundary=XyZ-123"


def test_a_file_is_read_in_chunks_and_the_body_again_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    content = bytes(range(256)) * (3 * CHUNK_SIZE // 256 + 7)
    path.write_bytes(content)
    source = open_source(path)
    try:
        body = MultipartBody(
            [FieldPart("before", "1"), FilePart("file", source, "data.bin"), FieldPart("after", "2")]
        )
        first = list(body.iter_bytes())
        # framing runs are joined; the file comes a chunk at a time, never whole
        assert max(len(block) for block in first) <= CHUNK_SIZE
        assert len(first) == 2 + -(-len(content) // CHUNK_SIZE)
        whole = b"".join(first)
        assert len(whole) == body.content_length
        assert b"".join(body.iter_bytes()) == whole  # a second reading starts at byte 0
        assert _collect_async(body) == whole  # and the async reading is the same bytes
        half = body.iter_bytes()
        next(half)
        next(half)  # a reading abandoned part-way does not move the next one
        assert b"".join(body.iter_bytes()) == whole
    finally:
        source.close()


def test_the_standard_library_reads_it_back(tmp_path: Path) -> None:
    body = MultipartBody(
        [
            FilePart("file", open_source(b"\x00\x01binary\xff"), filename="x.bin"),
            FieldPart("data", '{"datasetId":"d"}'),
        ]
    )
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {body.content_type}\r\n\r\n".encode() + b"".join(body.iter_bytes())
    )
    parts = list(message.iter_parts())
    assert [p.get_param("name", header="content-disposition") for p in parts] == ["file", "data"]
    assert parts[0].get_filename() == "x.bin"
    assert parts[0].get_content_type() == "application/octet-stream"
    assert parts[0].get_payload(decode=True) == b"\x00\x01binary\xff"
    assert parts[1].get_payload(decode=True) == b'{"datasetId":"d"}'


def test_names_and_filenames_are_escaped_as_browsers_do() -> None:
    body = MultipartBody([FilePart('we"ird\r\nname', open_source(b""), filename='a"b\nc.txt')], boundary="b")
    head = b"".join(body.iter_bytes()).split(b"\r\n")[1]
    assert head == b'Content-Disposition: form-data; name="we%22ird%0D%0Aname"; filename="a%22b%0Ac.txt"'


def test_each_body_gets_its_own_random_boundary() -> None:
    one, two = (MultipartBody([FieldPart("a", "1")]) for _ in range(2))
    assert one.boundary != two.boundary
    assert len(one.boundary) == 32


@pytest.mark.parametrize("boundary", ["", "x" * 71, "has space", "semi;colon", "ünïcode"])
def test_a_bad_boundary_is_refused(boundary: str) -> None:
    with pytest.raises(ValueError, match="boundary"):
        MultipartBody([FieldPart("a", "1")], boundary=boundary)


def test_a_field_holding_the_boundary_is_refused() -> None:
    with pytest.raises(ValueError, match="boundary"):
        MultipartBody([FieldPart("a", "x\r\n--b\r\ny")], boundary="b")


def test_a_content_type_cannot_add_headers() -> None:
    with pytest.raises(ValueError, match="line break"):
        MultipartBody([FieldPart("a", "1", content_type="text/plain\r\nX-Evil: 1")])


def test_a_body_has_parts() -> None:
    with pytest.raises(ValueError, match="at least one part"):
        MultipartBody([])


def test_the_repr_says_size_and_boundary() -> None:
    body = MultipartBody([FieldPart("a", "1")], boundary="b")
    assert repr(body) == f"MultipartBody({body.content_length} bytes, boundary='b')"
