"""`upload_file` / `aupload_file`: presign, then the bytes to storage, never with the API key.

Against the emulator in process (its storage on `http://storage.fake`, the API on
`http://fastgpt.fake`), sometimes behind a transport that fails or answers storage requests first,
and against scripted servers for the shapes the emulator does not serve (relative upload URLs, old
servers without `previewUrl`).
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import API_KEY, APP_ID, envelope, make_client, sleep_hooks
from http_support import run

from fastgpt_oapi import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    Client,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RequestOption,
    RequestValidationError,
)
from fastgpt_oapi.api.chat.model import (
    ChatCompletionRequest,
    ChatMessage,
    FileURLPart,
    ImageURLPart,
    TextPart,
    UploadedFile,
    UploadFileRequest,
)
from fastgpt_oapi.api.chat_history.model import ListRecordsRequest
from fastgpt_oapi.testing import FakeFastGPT

PRESIGN = "/api/core/chat/file/presignChatFilePostUrl"
GET_URL = "/api/core/chat/file/presignChatFileGetUrl"
STORAGE = "storage.fake"

Rule = Callable[[httpx.Request], "httpx.Response | None"]


class Via(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The emulator's transports, with rules that may answer or fail a request first.

    `before` sees a request before its body is read (a connect failure: nothing left); `after` once the
    body has been sent (a timeout or an answer of its own). A rule returning None passes the request on.
    `seen` keeps every request, headers included.
    """

    def __init__(self, fake: FakeFastGPT, *, before: Rule | None = None, after: Rule | None = None) -> None:
        self._sync = fake.transport()
        self._async = fake.async_transport()
        self.before, self.after = before, after
        self.seen: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        answer = self.before(request) if self.before else None
        if answer is None:
            request.read()
            answer = self.after(request) if self.after else None
        return answer or self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        answer = self.before(request) if self.before else None
        if answer is None:
            await request.aread()
            answer = self.after(request) if self.after else None
        return answer or await self._async.handle_async_request(request)

    def storage(self) -> list[httpx.Request]:
        return [r for r in self.seen if r.url.host == STORAGE]


def client_for(
    fake: FakeFastGPT, via: Via | None = None, *, sleeps: list[float] | None = None, **settings: Any
) -> Client:
    builder = (
        Client.builder()
        .base_url("http://fastgpt.fake")
        .api_key(fake.api_key)
        .app_id(fake.app_id)
        .transport(via or fake.transport())
        .async_transport(via or fake.async_transport())
    )
    for name, value in settings.items():
        builder = getattr(builder, name)(value)
    return builder.build(_hooks=sleep_hooks(sleeps))


async def upload(
    client: Client,
    mode: str,
    request: UploadFileRequest,
    option: RequestOption | None = None,
    *,
    close: bool = True,
) -> UploadedFile:
    """One upload through the sync or the async method; the client is closed after, unless `close=False`."""
    try:
        return await run(
            mode,
            lambda: client.chat.upload_file(request, option),
            lambda: client.chat.aupload_file(request, option),
        )
    finally:
        if close:
            await client.aclose()


def data_of(n: int) -> bytes:
    return bytes(i % 251 for i in range(n))


def nothing_sent(fake: FakeFastGPT) -> bool:
    return not fake.requests and not fake.storage.requests


# ---- single PUT ------------------------------------------------------------------------------------


async def test_the_file_goes_to_storage_with_exactly_the_listed_headers_and_no_key(io_mode: str) -> None:
    fake = FakeFastGPT()
    via = Via(fake)
    client = client_for(fake, via, default_headers={"X-Trace": "trace-secret"})
    data = data_of(5000)

    uploaded = await upload(
        client, io_mode, UploadFileRequest(chat_id="c1", filename="chart.png", content=data)
    )

    presign = next(r for r in via.seen if r.url.path == PRESIGN)
    assert presign.url.host == "fastgpt.fake"
    assert presign.headers["authorization"] == f"Bearer {fake.api_key}"
    assert presign.headers["x-trace"] == "trace-secret"
    assert json.loads(presign.content) == {
        "appId": fake.app_id,
        "chatId": "c1",
        "filename": "chart.png",
        "contentType": "image/png",
        "size": 5000,
    }
    (put,) = fake.storage.requests
    assert (put.method, put.host, put.authorization) == ("PUT", STORAGE, None)
    # exactly the presign answer's headers, Content-Length, and the Host httpx must send
    assert put.headers == {"host": STORAGE, "content-type": "image/png", "content-length": "5000"}
    assert put.body == data
    stored = fake.storage.objects[uploaded.key]
    assert (stored.data, stored.filename, stored.content_type) == (data, "chart.png", "image/png")
    assert (uploaded.filename, uploaded.content_type, uploaded.size) == ("chart.png", "image/png", 5000)
    assert uploaded.preview_url.startswith(f"http://{STORAGE}/")
    assert uploaded.key.startswith(f"chat/app/{fake.app_id}/")
    assert uploaded.key.endswith("-chart.png")
    for request in via.storage():
        assert "authorization" not in request.headers
        assert "x-trace" not in request.headers


async def test_a_users_own_httpx_client_adds_nothing_to_storage_requests(io_mode: str) -> None:
    fake = FakeFastGPT()
    builder = (
        Client.builder()
        .base_url("http://fastgpt.fake")
        .api_key(fake.api_key)
        .app_id(fake.app_id)
        .http_client(
            httpx.Client(transport=fake.transport(), headers={"X-Secret": "s"}, params={"leak": "1"})
        )
        .async_http_client(
            httpx.AsyncClient(
                transport=fake.async_transport(), headers={"X-Secret": "s"}, params={"leak": "1"}
            )
        )
    )
    client = builder.build()
    try:
        await upload(client, io_mode, UploadFileRequest(chat_id="c1", filename="a.txt", content=b"hello"))
    finally:
        client.close()
    (put,) = fake.storage.requests
    assert put.headers == {"host": STORAGE, "content-type": "text/plain", "content-length": "5"}
    assert "leak" not in put.query


def test_every_kind_of_content_arrives_whole(tmp_path: Path) -> None:
    data = os.urandom(3000)
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    seekable = io.BytesIO(b"skip" + data)
    seekable.seek(4)
    pipe = io.BufferedReader(io.BytesIO(data))
    pipe.seekable = lambda: False  # type: ignore[method-assign]  # as a pipe answers
    fake = FakeFastGPT()
    with client_for(fake) as client:
        for content in (data, bytearray(data), path, str(path), seekable, pipe):
            uploaded = client.chat.upload_file(
                UploadFileRequest(chat_id="c1", filename="photo.jpg", content=content)
            )
            assert fake.storage.objects[uploaded.key].data == data, type(content)
    assert not seekable.closed  # the caller's file stays open


async def test_a_path_names_the_file_and_its_type(io_mode: str, tmp_path: Path) -> None:
    path = tmp_path / "q3 report.pdf"
    path.write_bytes(b"%PDF-1.7 ...")
    fake = FakeFastGPT()
    uploaded = await upload(client_for(fake), io_mode, UploadFileRequest(chat_id="c1", content=path))
    assert (uploaded.filename, uploaded.content_type, uploaded.size) == (
        "q3 report.pdf",
        "application/pdf",
        12,
    )
    assert fake.requests[0].body["filename"] == "q3 report.pdf"
    assert fake.storage.requests[0].headers["content-type"] == "application/pdf"


async def test_a_given_filename_and_content_type_win(io_mode: str, tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"GIF89a")
    fake = FakeFastGPT()
    request = UploadFileRequest(chat_id="c1", content=path, filename="anim.gif", content_type="image/gif")
    uploaded = await upload(client_for(fake), io_mode, request)
    assert (uploaded.filename, uploaded.content_type) == ("anim.gif", "image/gif")
    assert fake.requests[0].body["contentType"] == "image/gif"


def test_an_unknown_type_is_left_to_the_server() -> None:
    fake = FakeFastGPT()
    with client_for(fake) as client:
        uploaded = client.chat.upload_file(UploadFileRequest(chat_id="c1", filename="data.qqq", content=b"x"))
    assert "contentType" not in fake.requests[0].body
    assert fake.storage.requests[0].headers["content-type"] == "application/octet-stream"  # the server's
    assert uploaded.content_type == "application/octet-stream"


async def test_an_empty_file_is_one_empty_put(io_mode: str) -> None:
    fake = FakeFastGPT()
    await upload(
        client_for(fake), io_mode, UploadFileRequest(chat_id="c1", filename="empty.txt", content=b"")
    )
    (put,) = fake.storage.requests
    assert (put.headers["content-length"], put.body) == ("0", b"")


# ---- multipart (FastGPT 4.16) ---------------------------------------------------------------------


async def test_a_large_file_goes_in_parts_then_the_completion(io_mode: str, tmp_path: Path) -> None:
    fake = FakeFastGPT(upload_part_size=1000, multipart_threshold=2000)
    data = os.urandom(2500)
    path = tmp_path / "big.pdf"
    path.write_bytes(data)

    uploaded = await upload(client_for(fake), io_mode, UploadFileRequest(chat_id="c1", content=path))

    *parts, complete = fake.storage.requests
    assert [(p.method, p.part_number, p.headers["content-length"]) for p in parts] == [
        ("PUT", 1, "1000"),
        ("PUT", 2, "1000"),
        ("PUT", 3, "500"),
    ]
    assert b"".join(p.body for p in parts) == data
    for part in parts:
        assert part.headers == {
            "host": STORAGE,
            "content-type": "application/pdf",
            "content-length": part.headers["content-length"],
        }
    assert (complete.method, complete.path.rsplit("/", 1)[1]) == ("POST", "complete")
    sent = json.loads(complete.body)["parts"]
    assert [p["partNumber"] for p in sent] == [1, 2, 3]
    assert all(p["etag"].startswith('"') for p in sent)
    assert all(r.authorization is None for r in fake.storage.requests)
    assert fake.storage.objects[uploaded.key].data == data
    assert fake.requests[0].body["size"] == 2500


async def test_a_failed_part_is_not_sent_again_and_the_upload_is_aborted(io_mode: str) -> None:
    fake = FakeFastGPT(upload_part_size=1000, multipart_threshold=2000)

    def part_two_breaks(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("partNumber") == "2":
            return httpx.Response(
                500, json={"code": 500, "statusText": "", "message": "S3 said no", "data": None}
            )
        return None

    via = Via(fake, after=part_two_breaks)
    with pytest.raises(InternalServerError, match=r"part 2 of 3.*S3 said no"):
        await upload(
            client_for(fake, via),
            io_mode,
            UploadFileRequest(chat_id="c1", filename="a.bin", content=data_of(2500)),
        )

    storage = via.storage()
    assert [r.url.params.get("partNumber") for r in storage if r.method == "PUT"] == ["1", "2"]
    assert [r.url.path.rsplit("/", 1)[1] for r in storage if r.method == "POST"] == ["abort"]
    assert not fake.storage.objects


async def test_a_part_that_never_left_is_sent_again(io_mode: str) -> None:
    fake = FakeFastGPT(upload_part_size=1000, multipart_threshold=2000)
    refused: list[str] = []

    def part_one_refused_once(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("partNumber") == "1" and not refused:
            refused.append("x")
            raise httpx.ConnectError("connection refused", request=request)
        return None

    sleeps: list[float] = []
    via = Via(fake, before=part_one_refused_once)
    data = data_of(2100)
    uploaded = await upload(
        client_for(fake, via, sleeps=sleeps),
        io_mode,
        UploadFileRequest(chat_id="c1", filename="a.bin", content=data),
    )
    assert [r.part_number for r in fake.storage.requests if r.method == "PUT"] == [1, 2, 3]
    assert len(sleeps) == 1
    assert fake.storage.objects[uploaded.key].data == data


async def test_a_part_answer_without_an_etag_aborts(io_mode: str) -> None:
    fake = FakeFastGPT(upload_part_size=1000, multipart_threshold=2000)

    def no_etag(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("partNumber"):
            return httpx.Response(200, json=envelope({}))
        return None

    via = Via(fake, after=no_etag)
    with pytest.raises(APIResponseValidationError, match="sent no etag"):
        await upload(
            client_for(fake, via),
            io_mode,
            UploadFileRequest(chat_id="c1", filename="a.bin", content=data_of(2000)),
        )
    assert [r.url.path.rsplit("/", 1)[1] for r in via.storage() if r.method == "POST"] == ["abort"]


async def test_a_refused_completion_aborts_and_a_failed_abort_does_not_hide_it(io_mode: str) -> None:
    fake = FakeFastGPT(upload_part_size=1000, multipart_threshold=2000)

    def refuse(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/complete"):
            return httpx.Response(
                400, json={"code": 400, "statusText": "", "message": "parts?", "data": None}
            )
        if request.url.path.endswith("/abort"):
            raise httpx.ConnectError("refused", request=request)
        return None

    via = Via(fake, after=refuse)
    with pytest.raises(BadRequestError, match=r"multipart completion.*parts\?"):
        await upload(
            client_for(fake, via, max_retries=0),
            io_mode,
            UploadFileRequest(chat_id="c1", filename="a.bin", content=data_of(2000)),
        )
    assert [r.url.path.rsplit("/", 1)[1] for r in via.storage() if r.method == "POST"] == [
        "complete",
        "abort",
    ]


# ---- content refused before anything is sent -------------------------------------------------------


@pytest.mark.parametrize("where", ["missing", "directory"])
async def test_a_missing_path_or_a_directory_is_refused_before_sending(
    io_mode: str, where: str, tmp_path: Path
) -> None:
    fake = FakeFastGPT()
    content = tmp_path / "nope.png" if where == "missing" else tmp_path
    with pytest.raises(
        RequestValidationError, match="no such file" if where == "missing" else "directory"
    ) as caught:
        await upload(client_for(fake), io_mode, UploadFileRequest(chat_id="c1", content=content))
    assert caught.value.field == "content"
    assert nothing_sent(fake)


async def test_bytes_without_a_filename_are_refused_before_sending(io_mode: str) -> None:
    fake = FakeFastGPT()
    with pytest.raises(RequestValidationError, match="filename is required") as caught:
        await upload(client_for(fake), io_mode, UploadFileRequest(chat_id="c1", content=b"abc"))
    assert caught.value.field == "filename"
    assert nothing_sent(fake)


def test_content_of_the_wrong_kind_is_refused_when_the_request_is_built(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("hi")
    with path.open() as text, pytest.raises(RequestValidationError, match="text mode") as caught:
        UploadFileRequest(chat_id="c1", content=text)  # type: ignore[arg-type]  # mypy refuses it too
    assert caught.value.field == "content"
    with pytest.raises(RequestValidationError, match="got int"):
        UploadFileRequest(chat_id="c1", content=42)  # type: ignore[arg-type]
    with pytest.raises(RequestValidationError) as missing:
        UploadFileRequest(chat_id="", content=b"x", filename="a")
    assert missing.value.field == "chat_id"


def test_the_builder_and_the_repr() -> None:
    built = UploadFileRequest.builder().chat_id("c1").filename("a.txt").content(b"secret bytes").build()
    assert built == UploadFileRequest(chat_id="c1", filename="a.txt", content=b"secret bytes")
    assert "secret bytes" not in repr(built)


# ---- the presign call -------------------------------------------------------------------------------


async def test_presign_refusals_are_typed_and_nothing_reaches_storage(io_mode: str) -> None:
    fake = FakeFastGPT()
    with pytest.raises(NotFoundError):
        await upload(
            client_for(fake),
            io_mode,
            UploadFileRequest(
                chat_id="c1", filename="a.png", content=b"x", app_id="0123456789abcdef01234567"
            ),
        )
    with pytest.raises(AuthenticationError):
        await upload(
            client_for(fake, api_key="fastgpt-wrong"),
            io_mode,
            UploadFileRequest(chat_id="c1", filename="a.png", content=b"x"),
        )
    fake.fail_next(
        403, {"code": 504000, "statusText": "unAuthChat", "message": "no", "data": None}, path=PRESIGN
    )
    with pytest.raises(PermissionDeniedError):
        await upload(
            client_for(fake), io_mode, UploadFileRequest(chat_id="c1", filename="a.png", content=b"x")
        )
    assert not fake.storage.requests


async def test_a_personal_key_without_an_app_id_is_refused_and_told_to_set_it(io_mode: str) -> None:
    fake = FakeFastGPT()
    client = (
        Client.builder().base_url("http://fastgpt.fake").api_key(fake.api_key).transport(fake.transport())
    )
    client = client.async_transport(fake.async_transport())
    with pytest.raises(PermissionDeniedError, match="Set app_id"):
        await upload(client.build(), io_mode, UploadFileRequest(chat_id="c1", filename="a.png", content=b"x"))
    assert fake.count(PRESIGN) == 1
    assert not fake.storage.requests


async def test_an_app_key_uploads_without_an_app_id(io_mode: str) -> None:
    fake = FakeFastGPT()
    key = fake.create_app_key(fake.app_id)
    client = Client.builder().base_url("http://fastgpt.fake").api_key(key).transport(fake.transport())
    client = client.async_transport(fake.async_transport())
    uploaded = await upload(
        client.build(), io_mode, UploadFileRequest(chat_id="c1", filename="a.png", content=b"x")
    )
    assert fake.app_id in uploaded.key
    assert "appId" not in fake.requests[0].body


async def test_the_presign_is_a_write_retried_only_when_declined(io_mode: str) -> None:
    fake = FakeFastGPT()
    sleeps: list[float] = []
    fake.fail_next(503, path=PRESIGN)
    await upload(
        client_for(fake, sleeps=sleeps),
        io_mode,
        UploadFileRequest(chat_id="c1", filename="a.png", content=b"x"),
    )
    assert fake.count(PRESIGN) == 2
    assert len(fake.storage.requests) == 1
    fake.fail_next(502, path=PRESIGN)
    with pytest.raises(InternalServerError):
        await upload(
            client_for(fake), io_mode, UploadFileRequest(chat_id="c1", filename="a.png", content=b"x")
        )
    assert fake.count(PRESIGN) == 3
    assert len(fake.storage.requests) == 1


# ---- storage refusals and failures ------------------------------------------------------------------


def s3_echo(request: httpx.Request) -> httpx.Response | None:
    """S3 refusing a PUT and quoting the signature (and, as some gateways do, the whole URL)."""
    if request.url.host != STORAGE:
        return None
    signature = request.url.params["X-Amz-Signature"]
    body = (
        "<?xml version='1.0' encoding='UTF-8'?><Error><Code>SignatureDoesNotMatch</Code>"
        f"<Message>Signature mismatch for {request.url}</Message>"
        f"<SignatureProvided>{signature}</SignatureProvided></Error>"
    )
    return httpx.Response(403, content=body.encode(), headers={"content-type": "application/xml"})


async def test_a_storage_403_is_typed_and_never_shows_the_signature(
    io_mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="fastgpt_oapi")
    fake = FakeFastGPT()
    via = Via(fake, after=s3_echo)
    with pytest.raises(PermissionDeniedError) as caught:
        await upload(
            client_for(fake, via), io_mode, UploadFileRequest(chat_id="c1", filename="a.png", content=b"x")
        )
    (put,) = via.storage()
    signature = put.url.params["X-Amz-Signature"]
    error = caught.value
    assert error.status_code == 403
    assert "SignatureDoesNotMatch" in str(error)
    assert "Storage refused the upload (PUT http://storage.fake/fake-s3/fastgpt-private/chat/app/…" in str(
        error
    )
    for text in (str(error), error.message, repr(error.body), *(r.getMessage() for r in caplog.records)):
        assert signature not in text
        assert "X-Amz-Credential=fake" not in text
    assert len(via.storage()) == 1  # a refusal is not retried


async def test_a_multipart_token_never_shows_in_errors(io_mode: str) -> None:
    fake = FakeFastGPT(upload_part_size=1000, multipart_threshold=2000)
    fake.storage.fail_next(
        403, json.dumps({"code": 403, "statusText": "unAuthFile", "message": "x", "data": None})
    )
    with pytest.raises(PermissionDeniedError) as caught:
        await upload(
            client_for(fake),
            io_mode,
            UploadFileRequest(chat_id="c1", filename="a.bin", content=data_of(2000)),
        )
    token = fake.storage.requests[0].path.split("/")[5]
    assert len(token) >= 20
    assert token not in str(caught.value)
    assert "part 1 of 2" in str(caught.value)
    assert fake.storage.requests[-1].path.endswith("/abort")


async def test_a_put_that_never_left_is_sent_again_from_the_start(io_mode: str, tmp_path: Path) -> None:
    fake = FakeFastGPT()
    path = tmp_path / "a.png"
    data = os.urandom(300_000)  # more than one chunk
    path.write_bytes(data)
    tries: list[int] = []

    def refuse_first(request: httpx.Request) -> httpx.Response | None:
        if request.url.host == STORAGE and not tries:
            tries.append(1)
            raise httpx.ConnectError("connection refused", request=request)
        return None

    sleeps: list[float] = []
    via = Via(fake, before=refuse_first)
    uploaded = await upload(
        client_for(fake, via, sleeps=sleeps), io_mode, UploadFileRequest(chat_id="c1", content=path)
    )
    assert len(via.storage()) == 2
    assert len(sleeps) == 1
    assert fake.storage.objects[uploaded.key].data == data


@pytest.mark.parametrize(
    ("failure", "error"),
    [(httpx.ReadTimeout, APITimeoutError), (httpx.RemoteProtocolError, APIConnectionError)],
)
async def test_a_put_that_may_have_arrived_is_never_sent_again(
    io_mode: str, failure: type[httpx.TransportError], error: type[Exception]
) -> None:
    fake = FakeFastGPT()

    def fail_after_sending(request: httpx.Request) -> httpx.Response | None:
        if request.url.host == STORAGE:
            raise failure("lost after the body went out", request=request)
        return None

    via = Via(fake, after=fail_after_sending)
    with pytest.raises(error, match=r"during the upload to http://storage\.fake/"):
        await upload(
            client_for(fake, via), io_mode, UploadFileRequest(chat_id="c1", filename="a.png", content=b"x")
        )
    assert len(via.storage()) == 1


async def test_a_declined_put_is_sent_again_and_a_failed_one_is_not(io_mode: str) -> None:
    fake = FakeFastGPT()
    sleeps: list[float] = []
    fake.storage.fail_next(503, headers={"retry-after": "2"})
    await upload(
        client_for(fake, sleeps=sleeps),
        io_mode,
        UploadFileRequest(chat_id="c1", filename="a.png", content=b"x"),
    )
    assert [r.method for r in fake.storage.requests] == ["PUT", "PUT"]
    assert sleeps == [2.0]
    fake.storage.fail_next(
        500, "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"
    )
    with pytest.raises(InternalServerError, match="InternalError: We encountered an internal error"):
        await upload(
            client_for(fake), io_mode, UploadFileRequest(chat_id="c1", filename="a.png", content=b"x")
        )
    assert len(fake.storage.requests) == 3


async def test_max_retries_zero_sends_once(io_mode: str) -> None:
    fake = FakeFastGPT()

    def refuse(request: httpx.Request) -> httpx.Response | None:
        if request.url.host == STORAGE:
            raise httpx.ConnectError("connection refused", request=request)
        return None

    via = Via(fake, before=refuse)
    with pytest.raises(APIConnectionError, match="connection refused"):
        await upload(
            client_for(fake, via),
            io_mode,
            UploadFileRequest(chat_id="c1", filename="a.png", content=b"x"),
            RequestOption(max_retries=0),
        )
    assert len(via.storage()) == 1


async def test_a_storage_redirect_is_not_followed(io_mode: str) -> None:
    fake = FakeFastGPT()

    def redirect(request: httpx.Request) -> httpx.Response | None:
        if request.url.host == STORAGE:
            return httpx.Response(307, headers={"location": "http://elsewhere.example/steal"})
        return None

    via = Via(fake, after=redirect)
    with pytest.raises(APIStatusError) as caught:
        await upload(
            client_for(fake, via), io_mode, UploadFileRequest(chat_id="c1", filename="a.png", content=b"x")
        )
    assert caught.value.status_code == 307
    assert not [r for r in via.seen if r.url.host == "elsewhere.example"]


# ---- scripted servers: shapes the emulator does not take --------------------------------------------


def scripted_fastgpt(
    answer: dict[str, Any], seen: list[httpx.Request]
) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        if request.url.path == PRESIGN:
            return httpx.Response(200, json=envelope(answer))
        if request.url.path == GET_URL:
            return httpx.Response(200, json=envelope("https://files.example.com/preview/abc"))
        return httpx.Response(200, json=envelope({"success": True}))

    return handler


async def test_a_relative_upload_url_is_fastgpts_host_and_still_gets_no_key(io_mode: str) -> None:
    # FastGPT 4.16 without FILE_DOMAIN / FE_DOMAIN writes its upload proxy's URL relative
    token = "wZ6rm5X4l6Ygm1oDQX8JbAxx"
    answer = {
        "uploadMode": "single",
        "url": f"/api/system/file/u/{token}",
        "key": "chat/app/x/u/c1/a.png",
        "headers": {"content-type": "image/png"},
        "previewUrl": "/api/system/file/d/alias",
        "maxSize": 1000,
    }
    seen: list[httpx.Request] = []
    client = make_client(scripted_fastgpt(answer, seen), default_headers={"X-Trace": "t"})
    uploaded = await upload(
        client, io_mode, UploadFileRequest(chat_id="c1", filename="a.png", content=b"png")
    )
    presign, put = seen
    assert presign.headers["authorization"] == f"Bearer {API_KEY}"
    assert str(put.url) == f"http://fastgpt.test/api/system/file/u/{token}"
    assert "authorization" not in put.headers
    assert "x-trace" not in put.headers
    assert uploaded.preview_url == "/api/system/file/d/alias"  # as FastGPT gave it


async def test_an_old_server_without_preview_urls_is_asked_for_one(io_mode: str) -> None:
    answer = {"url": "https://s3.example.com/b/k?X-Amz-Signature=abc", "key": "chat/k", "headers": {}}
    seen: list[httpx.Request] = []
    uploaded = await upload(
        make_client(scripted_fastgpt(answer, seen)),
        io_mode,
        UploadFileRequest(chat_id="c1", filename="a.png", content=b"x"),
    )
    _, put, get_url = seen
    assert put.url.host == "s3.example.com"
    assert get_url.url.path == GET_URL
    assert get_url.headers["authorization"] == f"Bearer {API_KEY}"
    assert json.loads(get_url.content) == {"key": "chat/k", "chatId": "c1", "appId": APP_ID}
    assert uploaded.preview_url == "https://files.example.com/preview/abc"


async def test_an_oversized_file_is_not_sent(io_mode: str) -> None:
    answer = {"url": "https://s3.example.com/b/k", "key": "k", "headers": {}, "previewUrl": "p", "maxSize": 3}
    seen: list[httpx.Request] = []
    with pytest.raises(RequestValidationError, match="4 bytes is more than the 3 bytes"):
        await upload(
            make_client(scripted_fastgpt(answer, seen)),
            io_mode,
            UploadFileRequest(chat_id="c1", filename="a.png", content=b"four"),
        )
    assert [r.url.path for r in seen] == [PRESIGN]


async def test_an_upload_url_that_is_not_http_is_refused(io_mode: str) -> None:
    answer = {"url": "file:///etc/passwd", "key": "k", "headers": {}, "previewUrl": "p"}
    seen: list[httpx.Request] = []
    with pytest.raises(APIResponseValidationError, match="not usable"):
        await upload(
            make_client(scripted_fastgpt(answer, seen)),
            io_mode,
            UploadFileRequest(chat_id="c1", filename="a.png", content=b"x"),
        )
    assert [r.url.path for r in seen] == [PRESIGN]


# ---- into a chat -------------------------------------------------------------------------------------


def test_the_parts_carry_the_preview_url_and_the_key() -> None:
    uploaded = UploadedFile(key="chat/k/a.png", preview_url="https://p/a.png", filename="a.png", size=1)
    image, file = uploaded.image_part(), uploaded.file_part()
    assert isinstance(image, ImageURLPart)
    assert isinstance(file, FileURLPart)
    assert image.model_dump(exclude_none=True) == {
        "type": "image_url",
        "image_url": {"url": "https://p/a.png"},
        "key": "chat/k/a.png",
    }
    assert file.model_dump(exclude_none=True) == {
        "type": "file_url",
        "name": "a.png",
        "url": "https://p/a.png",
        "key": "chat/k/a.png",
    }
    assert uploaded.image_part(detail="low").image_url.detail == "low"


async def test_uploaded_files_go_into_a_chat_and_its_records_keep_the_keys(io_mode: str) -> None:
    fake = FakeFastGPT()
    client = client_for(fake)
    image = await upload(
        client, "sync", UploadFileRequest(chat_id="c9", filename="chart.png", content=b"\x89PNG"), close=False
    )
    doc = await upload(
        client, "sync", UploadFileRequest(chat_id="c9", filename="q3.pdf", content=b"%PDF"), close=False
    )
    message = ChatMessage.user([TextPart(text="What do these show?"), image.image_part(), doc.file_part()])
    request = ChatCompletionRequest(messages=[message], chat_id="c9")
    answer = await run(io_mode, lambda: client.chat.chat(request), lambda: client.chat.achat(request))
    assert answer.answer == "You said: What do these show?"
    sent = next(r for r in fake.requests if r.path == "/api/v2/chat/completions").body["messages"][0][
        "content"
    ]
    assert sent[1] == {"type": "image_url", "image_url": {"url": image.preview_url}, "key": image.key}
    assert sent[2] == {"type": "file_url", "name": "q3.pdf", "url": doc.preview_url, "key": doc.key}
    records = client.chat_history.list_records(ListRecordsRequest(chat_id="c9"))
    human = records.list[0]
    files = [item.file for item in human.value if hasattr(item, "file")]
    assert [(f.url, getattr(f, "key", None)) for f in files] == [
        (image.preview_url, image.key),
        (doc.preview_url, doc.key),
    ]
    await client.aclose()
