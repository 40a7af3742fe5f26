"""Uploads over real HTTP: the emulator served on loopback, its storage another host on the same port.

The API is `http://127.0.0.1:<port>`, storage `http://localhost:<port>`: to the SDK two hosts, so what
reaches storage shows what the SDK sends to a host that is not FastGPT's. The large-file tests serve
the emulator from another process, so that `tracemalloc` here sees only the client's memory.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from http_support import assert_storage_saw_no_credentials, run, served_client, small_upload

from fastgpt_oapi import Client
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage, UploadedFile, UploadFileRequest
from fastgpt_oapi.testing import FakeFastGPT

pytestmark = pytest.mark.system  # loopback servers, a subprocess, 50 MB files


def fetch(base_url: str, fake: FakeFastGPT, uploaded: UploadedFile) -> tuple[int, bytes]:
    """Send the file in a chat, then download it from its preview URL."""
    with served_client(base_url, fake.api_key, fake.app_id) as client:
        client.chat.chat(
            ChatCompletionRequest(messages=[ChatMessage.user([uploaded.file_part()])], chat_id="c1")
        )
    preview = httpx.get(uploaded.preview_url)
    return preview.status_code, preview.content


async def upload(client: Client, mode: str, request: UploadFileRequest) -> UploadedFile:
    try:
        return await run(
            mode, lambda: client.chat.upload_file(request), lambda: client.chat.aupload_file(request)
        )
    finally:
        await client.aclose()


@pytest.mark.parametrize("multipart", [False, True], ids=["single", "multipart"])
async def test_over_http_the_key_never_reaches_the_storage_host(
    io_mode: str, multipart: bool, tmp_path: Path
) -> None:
    fake, path, data = small_upload(tmp_path, multipart=multipart)
    with fake.serve() as base_url:
        port = base_url.rsplit(":", 1)[1]
        client = served_client(base_url, fake.api_key, fake.app_id)
        uploaded = await upload(client, io_mode, UploadFileRequest(chat_id="c1", content=path))
        requests = list(fake.storage.requests)
        chat_and_preview = fetch(base_url, fake, uploaded)

    assert_storage_saw_no_credentials(requests, port, multipart=multipart)
    assert all("user-agent" not in request.headers for request in requests)
    puts = [r for r in requests if r.method == "PUT"]
    for put in puts:
        assert put.headers == {
            "host": f"localhost:{port}",
            "content-type": "application/pdf",
            "content-length": str(len(put.body)),
        }
    assert b"".join(p.body for p in puts) == data
    assert fake.storage.objects[uploaded.key].data == data
    assert chat_and_preview == (200, data)
    stored = fake._state.chats[(fake.app_id, "c1")].records[0].value
    assert stored[1]["file"]["key"] == uploaded.key


# ---- a 50 MB file, streamed ------------------------------------------------------------------------

SERVER = """
import sys
from fastgpt_oapi.testing import FakeFastGPT
fake = FakeFastGPT(multipart_threshold=None if sys.argv[1] == "single" else 32 * 1024 * 1024)
with fake.serve() as base_url:
    print(base_url, fake.api_key, fake.app_id, flush=True)
    sys.stdin.read()
"""

FIFTY_MB = 50 * 1024 * 1024


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("upload") / "big.bin"
    digest = hashlib.sha256()
    with path.open("wb") as file:
        block = os.urandom(1024 * 1024)
        for i in range(FIFTY_MB // len(block)):
            chunk = bytes([i % 256]) + block[1:]
            digest.update(chunk)
            file.write(chunk)
    return path, digest.hexdigest()


@pytest.fixture(params=["single", "multipart"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, request.param],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url, api_key, app_id = process.stdout.readline().split()
        yield base_url, api_key, app_id
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


async def test_a_50_mb_file_streams_without_being_read_whole(
    io_mode: str, server: tuple[str, str, str], big_file: tuple[Path, str]
) -> None:
    path, sha256 = big_file
    client = served_client(*server)
    tracemalloc.start()
    try:
        uploaded = await upload(client, io_mode, UploadFileRequest(chat_id="c1", content=path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert uploaded.size == FIFTY_MB
    # A chunk of 256 KiB or two in flight, and the SDK's own objects: nowhere near the file's 50 MB.
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"  # 0.6 MB when measured
    assert sha256_of(uploaded.preview_url) == sha256


def sha256_of(url: str) -> str:
    digest = hashlib.sha256()
    with httpx.stream("GET", url) as download:
        for chunk in download.iter_bytes():
            digest.update(chunk)
    return digest.hexdigest()
