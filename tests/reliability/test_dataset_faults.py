"""The dataset writes that must never run twice, against real faults over loopback sockets, sync and async.

`push_data` queues chunks for training and the `create_*_collection` calls create a collection and
queue its chunks: sent twice, FastGPT would hold the data twice (and bill it twice). The fault server
reads each request whole, then does what it was told: a reset or a stall after the request arrived
must end the call with one request seen; a 429 / 503 refusal (nothing ran) is sent again, the file of
a multipart upload again from its first byte.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from fastgpt_oapi import APIConnectionError, APITimeoutError, Client
from fastgpt_oapi.api.dataset.model import (
    CreateFileCollectionRequest,
    CreateLinkCollectionRequest,
    CreateTextCollectionRequest,
    PushDataRequest,
)

from ._support import FIGURES, client_for
from .fault_server import FaultServer, json_reply, refuse, reset, stall

DATASET = "6593e137231a2be9c5603ba7"
COLLECTION = "65abd0ad9d1448617cba6031"
CREATED = {
    "code": 200,
    "statusText": "",
    "message": "",
    "data": {"collectionId": COLLECTION, "results": {"insertLen": 2}},
}
PUSHED = {"code": 200, "statusText": "", "message": "", "data": {"insertLen": 2}}
BASE = "/api/core/dataset"


Call = Callable[[Client, str, Path], Awaitable[Any]]


async def push(client: Client, mode: str, tmp: Path) -> Any:
    request = PushDataRequest(
        collection_id=COLLECTION, data=[{"q": "铃芽之旅的导演？", "a": "新海诚。"}, {"q": "2022"}]
    )
    if mode == "sync":
        return client.dataset.push_data(request)
    return await client.dataset.apush_data(request)


async def text(client: Client, mode: str, tmp: Path) -> Any:
    request = CreateTextCollectionRequest(dataset_id=DATASET, name="notes", text="第一段。\n\n第二段。")
    if mode == "sync":
        return client.dataset.create_text_collection(request)
    return await client.dataset.acreate_text_collection(request)


async def link(client: Client, mode: str, tmp: Path) -> Any:
    request = CreateLinkCollectionRequest(dataset_id=DATASET, link="https://doc.fastgpt.io/docs/intro")
    if mode == "sync":
        return client.dataset.create_link_collection(request)
    return await client.dataset.acreate_link_collection(request)


FILE_BYTES = b"# FastGPT\n" + bytes(range(256)) * 4096  # about 1 MiB: many writes on the socket


async def upload(client: Client, mode: str, tmp: Path) -> Any:
    path = tmp / "manual.md"
    path.write_bytes(FILE_BYTES)
    request = CreateFileCollectionRequest(dataset_id=DATASET, file=path)
    if mode == "sync":
        return client.dataset.create_file_collection(request)
    return await client.dataset.acreate_file_collection(request)


WRITES: dict[str, tuple[Call, str, dict[str, Any]]] = {
    "push_data": (push, f"{BASE}/data/pushData", PUSHED),
    "create_text_collection": (text, f"{BASE}/collection/create/text", CREATED),
    "create_link_collection": (link, f"{BASE}/collection/create/link", CREATED),
    "create_file_collection": (upload, f"{BASE}/collection/create/localFile", CREATED),
}


def check_upload_body(server: FaultServer) -> None:
    """Every try of the multipart upload arrived whole: the file part is the file, byte for byte."""
    for received in server.requests:
        if not received.path.endswith("/localFile"):
            continue
        boundary = received.headers["content-type"].partition("boundary=")[2].encode()
        assert int(received.headers["content-length"]) == len(received.body)
        file_part, data_part = received.body.split(b"\r\n--" + boundary + b"\r\n")
        assert file_part.partition(b"\r\n\r\n")[2] == FILE_BYTES
        assert json.loads(data_part.partition(b"\r\n\r\n")[2].split(b"\r\n--")[0]) == {"datasetId": DATASET}


@pytest.mark.parametrize("name", list(WRITES))
async def test_a_reset_after_the_request_arrived_is_not_sent_again(
    name: str, io_mode: str, tmp_path: Path
) -> None:
    make, path, _ = WRITES[name]
    server = FaultServer()
    server.script(path, reset())
    with server:
        waits: list[float] = []
        async with client_for(server.url, max_retries=3, sleeps=waits) as client:
            with pytest.raises(APIConnectionError) as caught:
                await make(client, io_mode, tmp_path)
    assert type(caught.value) is APIConnectionError
    assert server.count(path) == 1
    assert waits == []
    check_upload_body(server)
    FIGURES.count("dataset faults: writes not sent again after a reset")


@pytest.mark.parametrize("name", ["push_data", "create_file_collection"])
async def test_a_stall_after_the_request_arrived_is_not_sent_again(
    name: str, io_mode: str, tmp_path: Path
) -> None:
    make, path, _ = WRITES[name]
    server = FaultServer(limit=5.0)
    server.script(path, stall())
    with server:
        async with client_for(server.url, max_retries=3, timeout=0.3) as client:
            with pytest.raises(APITimeoutError):
                await make(client, io_mode, tmp_path)
    assert server.count(path) == 1
    check_upload_body(server)


@pytest.mark.parametrize("name", list(WRITES))
@pytest.mark.parametrize("status", [429, 503])
async def test_a_refusal_before_any_work_is_sent_again(
    name: str, status: int, io_mode: str, tmp_path: Path
) -> None:
    make, path, answer = WRITES[name]
    server = FaultServer()
    server.script(path, refuse(status, retry_after="0"), json_reply(200, answer))
    with server:
        async with client_for(server.url, max_retries=2) as client:
            result = await make(client, io_mode, tmp_path)
    assert result is not None
    assert server.count(path) == 2
    first, second = server.requests
    assert first.body == second.body  # the same bytes: the file read again from its start
    check_upload_body(server)
