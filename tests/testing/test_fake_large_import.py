"""A large upload in the emulator: the request journal keeps the start of a file over 1 MiB (its size
whole), and the parse task, which reads a large text in pieces, splits it as it splits any text."""

from __future__ import annotations

import json

import httpx
import pytest
from dataset._support import Api

from fastgpt_oapi.testing import FakeFastGPT
from fastgpt_oapi.testing.admin import AdminFront
from fastgpt_oapi.testing.datasets import chunk_settings, split_text
from fastgpt_oapi.testing.multipart import JOURNAL_FILE_BYTES, FormFile
from fastgpt_oapi.testing.standalone import EmulatorOptions, build
from fastgpt_oapi.testing.transport import FakeTransport

LOCAL_FILE = "/api/core/dataset/collection/create/localFile"


def _markdown(sections: int) -> str:
    """Sections with nested headings, paragraphs, long lines and a fenced block, over 1 MiB."""
    parts = []
    for n in range(sections):
        parts.append(f"# Part {n // 50}\n\n" if n % 50 == 0 else "")
        parts.append(f"## Section {n}\n\nSection {n} is about widget {n % 97}.\r\n\r\n")
        parts.append(("A sentence that goes on. " * (n % 7 + 1)) + "\n" + "x" * (n % 1300) + "\n\n")
        if n % 40 == 0:
            parts.append("```\n# not a heading\n```\n\n")
    return "".join(parts)


def _upload(api: Api, name: str, data: bytes) -> str:
    dataset = api.dataset()
    answer = api.upload({"data": json.dumps({"datasetId": dataset})}, {"file": (name, data, "text/markdown")})
    collection: str = answer.data["collectionId"]
    return collection


def test_a_large_upload_is_split_whole_and_journaled_by_its_start() -> None:
    api = Api(FakeFastGPT())
    text = _markdown(3000)
    data = text.encode()
    assert len(data) > 2 * JOURNAL_FILE_BYTES
    collection = _upload(api, "big.md", data)

    [recorded] = [r for r in api.fake.requests if r.path == LOCAL_FILE]
    file = recorded.body["file"]
    assert isinstance(file, FormFile)
    assert (file.filename, file.size, file.truncated) == ("big.md", len(data), True)
    assert file.data == data[:JOURNAL_FILE_BYTES]

    stored = sorted(
        (d for d in api.fake.datasets.data.values() if d.collection_id == collection),
        key=lambda d: d.chunk_index,
    )
    assert [d.q for d in stored] == split_text(text, chunk_settings({}))  # the whole file, as one text
    assert [d.chunk_index for d in stored] == list(range(len(stored)))
    detail = api.collection(collection)
    assert detail["rawTextLength"] == len(text)
    assert detail["file"]["contentLength"] == len(data)


def test_an_upload_up_to_a_mebibyte_is_journaled_whole() -> None:
    api = Api(FakeFastGPT())
    data = b"# Notes\n\n" + b"y" * (JOURNAL_FILE_BYTES - 9)
    _upload(api, "notes.md", data)
    [recorded] = [r for r in api.fake.requests if r.path == LOCAL_FILE]
    assert recorded.body["file"] == FormFile("notes.md", "text/markdown", data)
    assert (recorded.body["file"].size, recorded.body["file"].truncated) == (len(data), False)


@pytest.fixture
def front() -> AdminFront:
    return build(EmulatorOptions())


def test_the_admin_journal_gives_a_large_uploads_whole_size(front: AdminFront) -> None:
    size = JOURNAL_FILE_BYTES + 10
    transport = FakeTransport(front)  # type: ignore[arg-type]
    key = {"authorization": "Bearer fastgpt-test"}
    with httpx.Client(base_url="http://emulator.test", transport=transport, headers=key) as http:
        http.post(
            LOCAL_FILE,
            files={"file": ("big.txt", b"z" * size, "text/plain")},
            data={"data": json.dumps({"datasetId": "x"})},
        )
        [entry] = http.get("/__emulator/requests").json()["requests"]
    assert entry["body"]["file"] == {"filename": "big.txt", "content_type": "text/plain", "size": size}
