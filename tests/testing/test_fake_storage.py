"""The emulator's chat file routes and its storage, through `handle()` as a server sees requests."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from fastgpt_oapi.testing import FakeFastGPT, FakeResponse

PRESIGN = "/api/core/chat/file/presignChatFilePostUrl"
GET_URL = "/api/core/chat/file/presignChatFileGetUrl"


def api(fake: FakeFastGPT, path: str, body: dict[str, Any]) -> FakeResponse:
    headers = {"authorization": f"Bearer {fake.api_key}", "host": "fastgpt.fake"}
    return fake.handle("POST", path, {}, headers, json.dumps(body).encode())


def presign(fake: FakeFastGPT, **fields: Any) -> dict[str, Any]:
    response = api(fake, PRESIGN, {"appId": fake.app_id, "chatId": "c1", "filename": "a.png", **fields})
    assert response.status == 200, response.body
    data: dict[str, Any] = json.loads(response.body)["data"]
    return data


def to_storage(
    fake: FakeFastGPT, method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> FakeResponse:
    parts = urlsplit(url)
    sent = {"host": parts.netloc, "content-length": str(len(body)), **(headers or {})}
    return fake.handle(method, parts.path, dict(parse_qsl(parts.query)), sent, body)


def test_a_small_file_gets_a_presigned_s3_put() -> None:
    fake = FakeFastGPT()
    answer = presign(fake, size=10, contentType="image/png")
    assert answer["uploadMode"] == "single"
    assert answer["url"].startswith("http://storage.fake/fake-s3/fastgpt-private/chat/app/")
    assert "X-Amz-Signature=" in answer["url"]
    assert answer["headers"] == {"content-type": "image/png"}
    assert answer["previewUrl"].startswith("http://storage.fake/")
    assert answer["maxSize"] == 500 * 1024 * 1024
    assert answer["key"].startswith(f"chat/app/{fake.app_id}/")
    assert "completeUrl" not in answer


def test_a_large_file_gets_a_multipart_session() -> None:
    fake = FakeFastGPT(upload_part_size=100, multipart_threshold=250)
    answer = presign(fake, size=250)
    assert answer["uploadMode"] == "multipart"
    assert answer["url"].startswith("http://storage.fake/api/system/file/u/")
    assert (answer["completeUrl"], answer["abortUrl"]) == (
        answer["url"] + "/complete",
        answer["url"] + "/abort",
    )
    assert (answer["partSize"], answer["concurrency"], answer["maxRetry"]) == (100, 3, 3)
    assert presign(fake, size=249)["uploadMode"] == "single"
    assert presign(fake)["uploadMode"] == "single"  # no size, no parts
    assert presign(FakeFastGPT(multipart_threshold=None), size=10**9)["uploadMode"] == "single"


def test_a_single_put_is_checked_like_s3_and_then_served() -> None:
    fake = FakeFastGPT()
    answer = presign(fake, size=3)
    wrong_type = to_storage(fake, "PUT", answer["url"], b"png", {"content-type": "text/plain"})
    assert wrong_type.status == 403
    assert b"<Code>SignatureDoesNotMatch</Code><Message>" in wrong_type.body
    forged = answer["url"].replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert to_storage(fake, "PUT", forged, b"png", answer["headers"]).status == 403
    assert to_storage(fake, "PUT", answer["url"], b"png", answer["headers"]).status == 200
    assert fake.storage.objects[answer["key"]].data == b"png"
    preview = to_storage(fake, "GET", answer["previewUrl"])
    assert (preview.status, preview.body, preview.headers["content-type"]) == (200, b"png", "image/png")
    # storage requests are not API requests: no key needed, and not in the API's log
    assert [r.path for r in fake.requests] == [PRESIGN]
    assert all(r.authorization is None for r in fake.storage.requests)


def test_storage_answers_only_on_its_own_host() -> None:
    fake = FakeFastGPT()
    answer = presign(fake)
    on_api_host = answer["url"].replace("http://storage.fake", "http://fastgpt.fake")
    assert to_storage(fake, "PUT", on_api_host, b"png", answer["headers"]).status == 404
    assert not fake.storage.objects


def test_a_multipart_session_checks_parts_and_completes() -> None:
    fake = FakeFastGPT(upload_part_size=4, multipart_threshold=5)
    answer = presign(fake, size=10, contentType="application/pdf")
    url, headers = answer["url"], answer["headers"]
    assert to_storage(fake, "PUT", url, b"abcd", headers).status == 400  # no partNumber
    assert to_storage(fake, "PUT", url + "?partNumber=4", b"ab", headers).status == 400  # out of range
    short = to_storage(fake, "PUT", url + "?partNumber=1", b"abc", headers)
    assert (short.status, json.loads(short.body)["message"]) == (
        400,
        "Multipart part length does not match session",
    )
    etags = []
    for number, chunk in ((1, b"abcd"), (2, b"efgh"), (3, b"ij")):
        answered = to_storage(fake, "PUT", f"{url}?partNumber={number}", chunk, headers)
        assert answered.status == 200
        etags.append(json.loads(answered.body)["data"]["etag"])
    bad = [{"partNumber": n, "etag": "x"} for n in (1, 2, 3)]
    assert to_storage(fake, "POST", answer["completeUrl"], json.dumps({"parts": bad}).encode()).status == 400
    parts = [{"partNumber": n, "etag": e} for n, e in zip((1, 2, 3), etags, strict=True)]
    done = to_storage(fake, "POST", answer["completeUrl"], json.dumps({"parts": parts}).encode())
    assert json.loads(done.body)["data"] == {"key": answer["key"]}
    assert fake.storage.objects[answer["key"]].data == b"abcdefghij"
    # completing again is an answer, not an error (FastGPT: an already completed session)
    again = to_storage(fake, "POST", answer["completeUrl"], json.dumps({"parts": parts}).encode())
    assert again.status == 200
    assert to_storage(fake, "POST", answer["abortUrl"]).status == 200  # harmless once completed
    assert fake.storage.objects[answer["key"]].data == b"abcdefghij"


def test_an_aborted_session_takes_no_more_parts() -> None:
    fake = FakeFastGPT(upload_part_size=4, multipart_threshold=5)
    answer = presign(fake, size=10)
    assert to_storage(fake, "POST", answer["abortUrl"]).status == 200
    late = to_storage(fake, "PUT", answer["url"] + "?partNumber=1", b"abcd", answer["headers"])
    assert (late.status, json.loads(late.body)["message"]) == (400, "Multipart upload session is aborted")


def test_an_unknown_token_is_unauth_file() -> None:
    fake = FakeFastGPT()
    refused = to_storage(
        fake, "PUT", "http://storage.fake/api/system/file/u/nosuchtokennosuchtoken?partNumber=1"
    )
    assert refused.status == 403
    assert json.loads(refused.body)["statusText"] == "unAuthFile"


def test_scripted_storage_failures_come_first_and_are_recorded() -> None:
    fake = FakeFastGPT()
    answer = presign(fake)
    fake.storage.fail_next(503, "slow down", times=2)
    assert [to_storage(fake, "PUT", answer["url"], b"p", answer["headers"]).status for _ in range(3)] == [
        503,
        503,
        200,
    ]
    assert len(fake.storage.requests) == 3


def test_presign_needs_the_key_an_app_a_chat_and_a_filename() -> None:
    fake = FakeFastGPT()
    no_key = fake.handle("POST", PRESIGN, {}, {}, json.dumps({"appId": fake.app_id}).encode())
    assert no_key.status == 401
    assert (
        json.loads(api(fake, PRESIGN, {"chatId": "c1", "filename": "a"}).body)["statusText"] == "unAuthChat"
    )
    for body in ({"appId": fake.app_id, "filename": "a"}, {"appId": fake.app_id, "chatId": "c1"}):
        assert api(fake, PRESIGN, body).status == 400
    negative = api(fake, PRESIGN, {"appId": fake.app_id, "chatId": "c1", "filename": "a", "size": -1})
    assert negative.status == 400
    assert not fake.storage.requests


def test_a_stored_key_gets_a_fresh_url() -> None:
    fake = FakeFastGPT()
    answer = presign(fake)
    signed = api(fake, GET_URL, {"appId": fake.app_id, "chatId": "c1", "key": answer["key"]})
    assert json.loads(signed.body)["data"] == answer["previewUrl"]
    unknown = api(fake, GET_URL, {"appId": fake.app_id, "chatId": "c1", "key": "chat/app/x/y"})
    assert json.loads(unknown.body)["statusText"] == "unAuthChat"


@pytest.mark.system  # a loopback server
def test_served_storage_is_another_host_on_the_same_socket() -> None:
    fake = FakeFastGPT()
    assert fake.storage.origin == "http://storage.fake"
    with fake.serve() as base_url:
        port = base_url.rsplit(":", 1)[1]
        assert base_url == f"http://127.0.0.1:{port}"
        assert fake.storage.origin == f"http://localhost:{port}"
        assert presign(fake)["url"].startswith(f"http://localhost:{port}/fake-s3/")
    assert fake.storage.origin == "http://storage.fake"
