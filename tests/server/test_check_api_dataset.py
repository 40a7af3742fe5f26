"""`check_api_dataset` against hand-written servers (no kits): each fault fails with FastGPT's own
message; the correct one passes. Sync and async checks, over real loopback HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from http_support import run

from fastgpt_oapi.server import CheckReport, acheck_api_dataset, check_api_dataset

from .support import check_app, hand_written_library, served


async def check(mode: str, url: str, **options: object) -> CheckReport:
    return await run(
        mode,
        lambda: check_api_dataset(url, **options),  # type: ignore[arg-type]
        lambda: acheck_api_dataset(url, **options),  # type: ignore[arg-type]
    )


async def check_library(way: str, app: object, **options: Any) -> tuple[CheckReport, str]:
    return await check_app(way, app, check_api_dataset, acheck_api_dataset, **options)


async def test_a_correct_hand_written_server_passes(way: str) -> None:
    report, _ = await check_library(way, hand_written_library(token="s3cret"), token="s3cret")
    assert report.ok, str(report)
    assert report.problems == ()
    # the wrong-token probe, two listings (top, docs), content + read + detail for two files, a search
    assert report.requests == 1 + 2 + 3 * 2 + 1  # and a search


@pytest.mark.parametrize(
    ("fault", "message", "detail"),
    [
        ("bare", "(no message)", "no `success` field"),
        ("files", "Invalid file list format", '{"files"}'),
        ("no_type", "Invalid file data format", "a `type`"),
        ("neither", "Invalid content type: content or previewUrl is required", "neither"),
        ("both", "Give exactly one of content or previewUrl", "FastGPT takes `content`"),
        ("success_string", "(no message)", '`success` must be exactly true, got "true"'),
        ("no_url", "Invalid response url", "`data.url`"),
        ("no_detail", "File not found", "`data` is empty"),
        ("http_500", "Request failed with status code 500", "answer HTTP 200 with success: false"),
        ("not_json", "<html>502 Bad Gateway</html>", "not JSON"),
        ("bad_search", "Invalid file list format", '{"files"}'),
    ],
)
async def test_each_fault_fails_with_fastgpts_message(
    way: str, fault: str, message: str, detail: str
) -> None:
    report, url = await check_library(way, hand_written_library(fault=fault))
    assert not report.ok
    first = report.problems[0]
    assert first.message == message
    assert detail in first.detail
    assert first.request.url.startswith(url + "/v1/file/")
    assert first.fastgpt_refuses is (fault != "both")


async def test_the_problem_names_the_request_that_showed_it(way: str) -> None:
    report, url = await check_library(way, hand_written_library(fault="neither"), token="anything")
    problem = next(p for p in report.problems if p.message.startswith("Invalid content type"))
    assert problem.request.method == "GET"
    assert problem.request.url == f"{url}/v1/file/content"
    assert problem.request.params == {"id": "readme"}
    assert problem.request.headers["authorization"] == "Bearer ***"  # the token is never shown
    assert "anything" not in str(report)
    assert f"GET {url}/v1/file/content?id=readme" in str(problem)


async def test_a_wrong_token_refused_by_http_status(way: str) -> None:
    report, _ = await check_library(way, hand_written_library(token="s3cret"), token="not-the-token")
    assert not report.ok
    assert {p.message for p in report.problems} == {"Request failed with status code 401"}


async def test_a_server_that_accepts_any_token_is_reported(way: str) -> None:
    report, _ = await check_library(way, hand_written_library(), token="s3cret")
    assert [p.message for p in report.problems] == ["The server accepted a wrong bearer token"]
    assert report.problems[0].fastgpt_refuses is False


async def test_without_a_token_fastgpt_sends_bearer_undefined(way: str) -> None:
    report, _ = await check_library(way, hand_written_library(token="undefined"))
    assert report.ok, str(report)


async def test_the_search_is_fastgpts_listing_with_a_search_key(way: str) -> None:
    report, _ = await check_library(way, hand_written_library(fault="bad_search"), base_path="docs")
    (problem,) = report.problems
    assert problem.request.json == {"searchKey": "guide.md", "parentId": "docs"}


@pytest.mark.system  # waits for a timeout on loopback
async def test_a_slow_server_fails_with_axios_timeout_message(io_mode: str) -> None:
    with served(hand_written_library(delay=1.0)) as url:
        report = await check(io_mode, url, timeout=0.25)
    assert report.problems[0].message == "timeout of 250ms exceeded"


def test_the_timeout_is_fastgpts_60_seconds_by_default() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "message": "", "data": []})

    import inspect

    from fastgpt_oapi.server import API_DATASET_TIMEOUT

    assert API_DATASET_TIMEOUT == 60.0
    assert inspect.signature(check_api_dataset).parameters["timeout"].default == 60.0
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        report = check_api_dataset("http://kb.example/base/", base_path="root-folder", http_client=client)
    assert report.ok
    (request,) = seen
    assert str(request.url) == "http://kb.example/base/v1/file/list"
    assert request.method == "POST"
    assert request.content == b'{"parentId":"root-folder"}'
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "Bearer undefined"


@pytest.mark.system  # a connection attempt on loopback
async def test_nothing_listening_is_a_network_error(io_mode: str) -> None:
    report = await check(io_mode, "http://127.0.0.1:9", timeout=2.0)
    assert not report.ok
    assert report.problems[0].message.startswith("Network error")
