"""`create_file_collection`: the file goes to FastGPT as a streamed `multipart/form-data` body, sync and async.

What FastGPT's `localFile` handler reads (`projects/app/src/pages/api/core/dataset/collection/create/
localFile.ts` and `packages/service/common/file/multer.ts` at f88b51b5c1e4987a2b917358339db1aa02bbc292):
a `file` part whose filename it URI-decodes (its web app sends `encodeURIComponent(file.name)`,
`projects/app/src/web/core/dataset/api/collection.ts`), and a `data` field holding the collection
settings as JSON (`CreateCollectionByLocalFileBodySchema`, `packages/global/openapi/core/dataset/
collection/createApi.ts`). The bodies are read back with a small parser written here and, where they
fit in memory, with the standard library's `email` parser too; a large file is streamed with memory
bounded (tracemalloc), and only a try that never left is sent again, from the file's first byte.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import io
import json
import re
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from conftest import API_KEY, envelope, make_client, sleep_hooks
from http_support import Wire

from fastgpt_oapi import APIConnectionError, Client, RequestOption
from fastgpt_oapi.api.dataset.model import CreateFileCollectionRequest

from ._support import upload

DATASET = "6593e137231a2be9c5603ba7"
COLLECTION = "65abd0ad9d1448617cba6031"
CREATED = envelope({"collectionId": COLLECTION, "results": {"insertLen": 3}})
PATH = "/api/core/dataset/collection/create/localFile"


# ---- a multipart parser of the tests' own ---------------------------------------------------------


@dataclass
class Part:
    headers: dict[str, str]  # names lower-cased
    content: bytes

    @property
    def disposition(self) -> dict[str, str]:
        value = self.headers["content-disposition"]
        assert value.startswith("form-data;"), value
        return dict(re.findall(r'(\w+)="([^"]*)"', value))


def boundary_of(content_type: str) -> bytes:
    kind, _, boundary = content_type.partition("; boundary=")
    assert kind == "multipart/form-data", content_type
    assert boundary
    return boundary.encode("ascii")


def parse_multipart(body: bytes | memoryview, content_type: str) -> list[Part]:
    """RFC 7578 as browsers write it: `--B CRLF part CRLF --B CRLF part ... CRLF --B-- CRLF`."""
    delimiter = b"--" + boundary_of(content_type)
    data = bytes(body)
    head, close = delimiter + b"\r\n", b"\r\n" + delimiter + b"--\r\n"
    assert data.startswith(head), data[:100]
    assert data.endswith(close), data[-100:]
    parts = []
    for raw in data[len(head) : -len(close)].split(b"\r\n" + delimiter + b"\r\n"):
        header_block, separator, content = raw.partition(b"\r\n\r\n")
        assert separator, raw[:200]
        headers = {}
        for line in header_block.decode("utf-8").split("\r\n"):
            name, _, value = line.partition(": ")
            headers[name.lower()] = value
        parts.append(Part(headers, content))
    return parts


def parse_with_email(body: bytes, content_type: str) -> list[tuple[str | None, str | None, bytes]]:
    """The standard library's reading of the same body: (name, filename, content) per part."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    assert message.is_multipart()
    found = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        name = part.get_param("name", header="content-disposition")
        assert isinstance(payload, bytes)
        assert name is None or isinstance(name, str)
        found.append((name, part.get_filename(), payload))
    return found


# ---- what goes over the wire --------------------------------------------------------------------


def created() -> Wire:
    return Wire(lambda request: httpx.Response(200, json=CREATED))


async def test_a_path_is_sent_as_file_and_data_parts(io_mode: str, tmp_path: Path) -> None:
    source = tmp_path / "manual.txt"
    text = "第一章\n\nFastGPT 是一个知识库问答系统。\n".encode() * 50
    source.write_bytes(text)
    wire = created()
    request = CreateFileCollectionRequest(
        dataset_id=DATASET,
        file=source,
        training_type="chunk",
        chunk_setting_mode="custom",
        chunk_size=512,
        metadata={"k": "v"},
    )

    result = await upload(make_client(wire), io_mode, request)

    sent = wire.last
    assert (sent.method, sent.url.path, dict(sent.url.params)) == ("POST", PATH, {})
    # FastGPT's own endpoint: the key goes along
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert "transfer-encoding" not in sent.headers
    assert int(sent.headers["content-length"]) == len(sent.content)
    file_part, data_part = parse_multipart(sent.content, sent.headers["content-type"])
    assert file_part.disposition == {"name": "file", "filename": "manual.txt"}
    assert file_part.headers["content-type"] == "text/plain"
    assert file_part.content == text
    assert data_part.disposition == {"name": "data"}
    assert "content-type" not in data_part.headers  # a plain field, as a browser's FormData sends it
    assert json.loads(data_part.content) == {
        "datasetId": DATASET,
        "metadata": {"k": "v"},
        "trainingType": "chunk",
        "chunkSettingMode": "custom",
        "chunkSize": 512,
    }
    # the standard library reads it the same way
    assert parse_with_email(sent.content, sent.headers["content-type"]) == [
        ("file", "manual.txt", text),
        ("data", None, data_part.content),
    ]
    assert (result.collection_id, result.results.insert_len) == (COLLECTION, 3)


async def test_the_filename_is_uri_encoded_as_fastgpts_web_app_sends_it(io_mode: str, tmp_path: Path) -> None:
    name = '电影 资料 100% "final" (v2).md'
    source = tmp_path / name
    source.write_bytes(b"# Suzume\n")
    wire = created()

    await upload(make_client(wire), io_mode, CreateFileCollectionRequest(dataset_id=DATASET, file=source))

    (file_part, _) = parse_multipart(wire.last.content, wire.last.headers["content-type"])
    sent_name = file_part.disposition["filename"]
    # encodeURIComponent: only A-Z a-z 0-9 - _ . ! ~ * ' ( ) stay as they are
    assert sent_name == "%E7%94%B5%E5%BD%B1%20%E8%B5%84%E6%96%99%20100%25%20%22final%22%20(v2).md"
    assert unquote(sent_name) == name  # what FastGPT's decodeURIComponent gives back
    assert file_part.headers["content-type"] == "text/markdown"


async def test_bytes_with_a_filename_and_a_content_type(io_mode: str) -> None:
    wire = created()
    request = CreateFileCollectionRequest(
        dataset_id=DATASET, file=b"a,b\n1,2\n", filename="table.csv", content_type="text/csv; charset=utf-8"
    )

    await upload(make_client(wire), io_mode, request)

    file_part, data_part = parse_multipart(wire.last.content, wire.last.headers["content-type"])
    assert file_part.disposition == {"name": "file", "filename": "table.csv"}
    assert file_part.headers["content-type"] == "text/csv; charset=utf-8"
    assert file_part.content == b"a,b\n1,2\n"
    assert json.loads(data_part.content) == {"datasetId": DATASET}  # filename and type are not settings


async def test_an_unknown_kind_of_file_is_octet_stream(io_mode: str) -> None:
    wire = created()
    request = CreateFileCollectionRequest(dataset_id=DATASET, file=b"\x00\x01", filename="blob.zzz-unknown")
    await upload(make_client(wire), io_mode, request)
    file_part, _ = parse_multipart(wire.last.content, wire.last.headers["content-type"])
    assert file_part.headers["content-type"] == "application/octet-stream"


async def test_an_open_file_is_read_from_where_it_stands_and_left_open(io_mode: str, tmp_path: Path) -> None:
    source = tmp_path / "report.pdf"
    source.write_bytes(b"HEADER" + b"%PDF-1.7 body")
    wire = created()
    with source.open("rb") as handle:
        handle.read(6)
        await upload(make_client(wire), io_mode, CreateFileCollectionRequest(dataset_id=DATASET, file=handle))
        assert not handle.closed
    file_part, _ = parse_multipart(wire.last.content, wire.last.headers["content-type"])
    assert file_part.disposition["filename"] == "report.pdf"  # the open file's name
    assert file_part.headers["content-type"] == "application/pdf"
    assert file_part.content == b"%PDF-1.7 body"


class _OneWay(io.RawIOBase):
    """A stream that cannot seek (a pipe, a socket, a download): the SDK must spool it first."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(min(len(buffer), 1000))
        buffer[: len(chunk)] = chunk
        return len(chunk)


async def test_a_stream_that_cannot_seek_is_sent_whole(io_mode: str) -> None:
    data = bytes(range(256)) * 400
    wire = created()
    one_way = io.BufferedReader(_OneWay(data))
    request = CreateFileCollectionRequest(dataset_id=DATASET, file=one_way, filename="x.txt")
    await upload(make_client(wire), io_mode, request)
    assert int(wire.last.headers["content-length"]) == len(wire.last.content)
    file_part, _ = parse_multipart(wire.last.content, wire.last.headers["content-type"])
    assert file_part.content == data


async def test_an_empty_file_is_an_empty_part(io_mode: str, tmp_path: Path) -> None:
    source = tmp_path / "empty.txt"
    source.write_bytes(b"")
    wire = created()
    await upload(make_client(wire), io_mode, CreateFileCollectionRequest(dataset_id=DATASET, file=source))
    file_part, _ = parse_multipart(wire.last.content, wire.last.headers["content-type"])
    assert file_part.content == b""


async def test_the_per_call_key_and_headers_apply(io_mode: str) -> None:
    wire = created()
    option = RequestOption(api_key="fastgpt-other", headers={"X-Trace": "t1"})
    request = CreateFileCollectionRequest(dataset_id=DATASET, file=b"x", filename="a.txt")
    await upload(make_client(wire), io_mode, request, option)
    assert wire.last.headers["authorization"] == "Bearer fastgpt-other"
    assert wire.last.headers["x-trace"] == "t1"
    assert wire.last.headers["content-type"].startswith("multipart/form-data; boundary=")


# ---- sent again only when it never left ---------------------------------------------------------


class StreamingServer(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers from a script (the last step repeats), reading each body as a server does: off the
    request's stream, piece by piece (httpx's MockTransport reads it into the request first, which
    would hide a body that cannot be read twice). A step is a status, or a transport error raised
    before the body is read (ConnectError: it never left) or after (it arrived)."""

    def __init__(self, *script: int | type[httpx.TransportError]) -> None:
        self.script = script
        self.bodies: list[bytes] = []
        self.headers: list[httpx.Headers] = []

    def _step(self) -> int | type[httpx.TransportError]:
        return self.script[min(len(self.bodies), len(self.script) - 1)]

    def _answer(
        self, request: httpx.Request, step: int | type[httpx.TransportError], body: bytes
    ) -> httpx.Response:
        self.bodies.append(body)
        self.headers.append(request.headers)
        if not isinstance(step, int):
            raise step("scripted failure after the body arrived", request=request)
        return httpx.Response(step, json=CREATED if step == 200 else None)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        step = self._step()
        if step is httpx.ConnectError:
            self.bodies.append(b"")
            self.headers.append(request.headers)
            raise httpx.ConnectError("connection refused", request=request)
        assert isinstance(request.stream, httpx.SyncByteStream)
        return self._answer(request, step, b"".join(request.stream))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        step = self._step()
        if step is httpx.ConnectError:
            self.bodies.append(b"")
            self.headers.append(request.headers)
            raise httpx.ConnectError("connection refused", request=request)
        assert isinstance(request.stream, httpx.AsyncByteStream)
        return self._answer(request, step, b"".join([piece async for piece in request.stream]))


def client_on(server: StreamingServer, sleeps: list[float] | None = None) -> Client:
    return (
        Client.builder()
        .base_url("http://fastgpt.test")
        .api_key(API_KEY)
        .http_client(httpx.Client(transport=server))
        .async_http_client(httpx.AsyncClient(transport=server))
        .build(_hooks=sleep_hooks(sleeps))
    )


def the_file(server: StreamingServer, index: int) -> bytes:
    file_part, _ = parse_multipart(server.bodies[index], server.headers[index]["content-type"])
    return file_part.content


async def test_a_connect_failure_sends_the_whole_file(io_mode: str, tmp_path: Path) -> None:
    source = tmp_path / "big.txt"
    source.write_bytes(b"0123456789" * 100_000)  # several chunks
    server = StreamingServer(httpx.ConnectError, 200)
    sleeps: list[float] = []

    result = await upload(
        client_on(server, sleeps), io_mode, CreateFileCollectionRequest(dataset_id=DATASET, file=source)
    )

    assert result.collection_id == COLLECTION
    assert len(server.bodies) == 2
    assert the_file(server, 1) == source.read_bytes()
    assert int(server.headers[1]["content-length"]) == len(server.bodies[1])
    assert len(sleeps) == 1


@pytest.mark.parametrize("status", [429, 503])
async def test_a_refusal_is_sent_again_from_the_first_byte(io_mode: str, tmp_path: Path, status: int) -> None:
    source = tmp_path / "big.txt"
    source.write_bytes(b"abcdefghij" * 100_000)
    server = StreamingServer(status, status, 200)

    result = await upload(
        client_on(server), io_mode, CreateFileCollectionRequest(dataset_id=DATASET, file=source)
    )

    assert result.collection_id == COLLECTION
    first, second, third = server.bodies
    assert first == second == third  # each try read the file again from its start
    assert the_file(server, 2) == source.read_bytes()


@pytest.mark.parametrize("failure", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError])
async def test_not_sent_again_once_it_may_have_arrived(
    io_mode: str, failure: type[httpx.TransportError]
) -> None:
    server = StreamingServer(failure, 200)
    request = CreateFileCollectionRequest(dataset_id=DATASET, file=b"abc", filename="a.txt")
    with pytest.raises(APIConnectionError):
        await upload(client_on(server), io_mode, request)
    assert len(server.bodies) == 1
    assert the_file(server, 0) == b"abc"


# ---- a large file, streamed ---------------------------------------------------------------------

LARGE = 32 * 1024 * 1024
# What the upload may hold at once, at most: an eighth of the file. It reads 256 KiB at a time.
MEMORY_BOUND = LARGE // 8


class _Spool:
    """Writes a request's body to disk as it arrives, never holding it; answers FastGPT's envelope."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.headers: httpx.Headers | None = None
        self.chunks = 0

    def begin(self, request: httpx.Request) -> None:
        self.headers = request.headers
        self.target.unlink(missing_ok=True)

    def write(self, chunk: bytes) -> None:
        with self.target.open("ab") as out:
            out.write(chunk)
        self.chunks += 1


class SpoolTransport(httpx.BaseTransport):
    def __init__(self, spool: _Spool) -> None:
        self.spool = spool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.spool.begin(request)
        assert isinstance(request.stream, Iterator | httpx.SyncByteStream)
        for chunk in request.stream:
            self.spool.write(chunk)
        return httpx.Response(200, json=CREATED)


class AsyncSpoolTransport(httpx.AsyncBaseTransport):
    def __init__(self, spool: _Spool) -> None:
        self.spool = spool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.spool.begin(request)
        assert isinstance(request.stream, AsyncIterator | httpx.AsyncByteStream)
        async for chunk in request.stream:
            self.spool.write(chunk)
        return httpx.Response(200, json=CREATED)


def _large_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for n in range(LARGE // (1024 * 1024)):
            block = hashlib.sha256(str(n).encode()).digest() * (1024 * 1024 // 32)
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


async def test_a_large_file_is_streamed_with_bounded_memory(io_mode: str, tmp_path: Path) -> None:
    source = tmp_path / "large.md"
    expected = _large_file(source)
    spool = _Spool(tmp_path / "received.bin")
    client = (
        Client.builder()
        .base_url("http://fastgpt.test")
        .api_key(API_KEY)
        .http_client(httpx.Client(transport=SpoolTransport(spool)))
        .async_http_client(httpx.AsyncClient(transport=AsyncSpoolTransport(spool)))
        .build()
    )
    request = CreateFileCollectionRequest(dataset_id=DATASET, file=source, chunk_setting_mode="auto")

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = await upload(client, io_mode, request)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result.collection_id == COLLECTION
    assert peak < MEMORY_BOUND, f"peak {peak} bytes while sending a {LARGE}-byte file"
    assert spool.chunks > 64  # it arrived a piece at a time
    assert spool.headers is not None
    received = spool.target.read_bytes()
    assert int(spool.headers["content-length"]) == len(received)
    file_part, data_part = parse_multipart(received, spool.headers["content-type"])
    assert file_part.disposition == {"name": "file", "filename": "large.md"}
    assert hashlib.sha256(file_part.content).hexdigest() == expected
    assert json.loads(data_part.content) == {"datasetId": DATASET, "chunkSettingMode": "auto"}
    client.close()
    await client.aclose()
