"""`api_dataset_app`: sync and async libraries and `FolderLibrary` pass the check; the token is checked;
failures answer FastGPT's envelope without leaking; `FolderLibrary` refuses every path escape."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

from fastgpt_oapi.server import ASGIApp, CheckReport, acheck_api_dataset, check_api_dataset
from fastgpt_oapi.server.api_dataset import (
    ApiDatasetError,
    ApiFile,
    FileContent,
    FolderLibrary,
    api_dataset_app,
)

from .support import check_app

# ---- libraries of the user's own, sync and async -----------------------------------------------------------


class SyncLibrary:
    def __init__(self) -> None:
        self.threads: set[str] = set()
        self.files = {
            "a": ApiFile(id="a", name="a.md", type="file", parent_id="dir"),
            "dir": ApiFile(id="dir", name="dir", type="folder"),
        }

    def list_files(self, parent_id: str | None, search_key: str | None) -> Sequence[ApiFile]:
        self.threads.add(threading.current_thread().name)
        return [f for f in self.files.values() if f.parent_id == parent_id]

    def get_content(self, file_id: str) -> FileContent:
        return FileContent(title=self.files[file_id].name, content="hello")

    def get_read_url(self, file_id: str) -> str:
        return f"https://example.com/{file_id}"

    def get_detail(self, file_id: str) -> ApiFile:
        return self.files[file_id]


class AsyncLibrary:
    async def list_files(self, parent_id: str | None, search_key: str | None) -> list[ApiFile]:
        return [] if parent_id else [ApiFile(id="p", name="report.pdf", type="file")]

    async def get_content(self, file_id: str) -> FileContent:
        return FileContent(preview_url="https://example.com/report.pdf")

    async def get_read_url(self, file_id: str) -> str:
        return "https://example.com/report.pdf"

    async def get_detail(self, file_id: str) -> ApiFile:
        if file_id != "p":
            raise ApiDatasetError("No such file here")
        return ApiFile(id="p", name="report.pdf", type="file")


def in_process(app: ASGIApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app))


async def test_a_sync_library_passes_and_runs_off_the_event_loop(way: str) -> None:
    library = SyncLibrary()
    report, _ = await check_app(
        way, api_dataset_app(library, token="t0k"), check_api_dataset, acheck_api_dataset, token="t0k"
    )
    assert report.ok, str(report)
    assert library.threads
    assert "MainThread" not in library.threads
    assert all("AnyIO" in name or "worker" in name.lower() for name in library.threads), library.threads


async def test_an_async_library_passes(way: str) -> None:
    report, _ = await check_app(way, api_dataset_app(AsyncLibrary()), check_api_dataset, acheck_api_dataset)
    assert report.ok, str(report)
    assert report.requests == 5


async def test_the_envelope_and_wire_names() -> None:
    async with in_process(api_dataset_app(SyncLibrary())) as client:
        listed = (await client.post("http://kb/v1/file/list", json={"parentId": "dir"})).json()
        top = (await client.post("http://kb/v1/file/list", json={})).json()
        content = (await client.get("http://kb/v1/file/content", params={"id": "a"})).json()
        read = (await client.get("http://kb/v1/file/read", params={"id": "a"})).json()
        missing = await client.get("http://kb/v1/file/detail", params={"id": "nope"})
    assert listed == {
        "success": True,
        "message": "",
        "data": [{"id": "a", "name": "a.md", "type": "file", "parentId": "dir"}],
    }
    assert top["data"] == [{"id": "dir", "name": "dir", "type": "folder", "parentId": None}]
    assert content["data"] == {"title": "a.md", "content": "hello"}
    assert read["data"] == {"url": "https://example.com/a"}
    assert (
        missing.status_code == 200
    )  # so FastGPT shows the message, not "Request failed with status code 404"
    assert missing.json() == {"success": False, "message": "File not found", "data": None}


async def test_a_wrong_token_is_refused_with_a_message() -> None:
    async with in_process(api_dataset_app(SyncLibrary(), token="t0k")) as client:
        wrong = await client.post("http://kb/v1/file/list", json={}, headers={"authorization": "Bearer nope"})
        none = await client.post("http://kb/v1/file/list", json={})
        right = await client.post("http://kb/v1/file/list", json={}, headers={"authorization": "Bearer t0k"})
        report = await acheck_api_dataset("http://kb", token="wrong", http_client=client)
    assert wrong.json()["success"] is False
    assert "token" in wrong.json()["message"]
    assert none.json()["success"] is False
    assert right.json()["success"] is True
    assert report.problems[0].message == "Unauthorized: wrong or missing bearer token"


async def test_a_failing_library_leaks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(SyncLibrary):
        def get_content(self, file_id: str) -> FileContent:
            raise RuntimeError("password=hunter2 at /srv/secret")

    async with in_process(api_dataset_app(Broken())) as client:
        with caplog.at_level(logging.ERROR, logger="fastgpt_oapi.server"):
            answer = await client.get("http://kb/v1/file/content", params={"id": "a"})
    assert answer.json() == {"success": False, "message": "Internal server error", "data": None}
    assert "hunter2" not in answer.text
    assert "get_content" not in answer.text
    assert "Traceback" not in answer.text
    assert "failed in the library" in caplog.text  # the owner sees it in the log


async def test_wrong_methods_paths_and_bodies() -> None:
    async with in_process(api_dataset_app(SyncLibrary())) as client:
        assert (await client.get("http://kb/v1/file/list")).status_code == 405
        assert (await client.get("http://kb/v1/file/other")).status_code == 404
        bad = await client.post("http://kb/v1/file/list", content=b"[1, 2")
        no_id = await client.get("http://kb/v1/file/content")
    assert bad.json()["success"] is False
    assert no_id.json() == {"success": False, "message": "Missing query parameter: id", "data": None}


def test_file_content_takes_exactly_one_of_content_and_preview_url() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        FileContent(content="x", preview_url="https://x")
    with pytest.raises(ValueError, match="neither"):
        FileContent(title="t")
    with pytest.raises(ValueError, match="neither"):
        FileContent(content="")  # FastGPT reads an empty content as missing
    assert FileContent(previewUrl="https://x").preview_url == "https://x"  # type: ignore[call-arg]


# ---- FolderLibrary -------------------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    (root / "guides" / "deep").mkdir(parents=True)
    (root / "guides" / "setup.md").write_text("# Setup\n\nRun make install.", encoding="utf-8")
    (root / "guides" / "deep" / "notes.txt").write_text("Deep notes.", encoding="utf-8")
    (root / "faq.md").write_text("# FAQ\n\nAsk away.", encoding="utf-8")
    (root / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / ".secret.md").write_text("hidden", encoding="utf-8")
    (root / "empty").mkdir()
    outside = tmp_path / "outside.md"
    outside.write_text("not yours", encoding="utf-8")
    (tmp_path / "outside-dir").mkdir()
    (tmp_path / "outside-dir" / "x.md").write_text("not yours either", encoding="utf-8")
    if hasattr(os, "symlink"):
        (root / "link-out.md").symlink_to(outside)
        (root / "dir-out").symlink_to(tmp_path / "outside-dir")
        (root / "link-in.md").symlink_to(root / "faq.md")
    return root


async def test_folder_library_passes_the_check(way: str, folder: Path) -> None:
    app = api_dataset_app(FolderLibrary(folder, read_url_base="https://files.example.com/kb/"), token="t")
    whole, _ = await check_app(way, app, check_api_dataset, acheck_api_dataset, token="t")
    subtree, _ = await check_app(
        way, app, check_api_dataset, acheck_api_dataset, token="t", base_path="guides"
    )
    assert whole.ok, str(whole)
    assert subtree.ok, str(subtree)
    # probe + listings (top, guides, deep; `empty` has no children) + 3 calls for each of 4 files + a search
    assert whole.requests == 1 + 3 + 3 * 4 + 1
    assert subtree.requests == 1 + 2 + 3 * 2 + 1


def test_folder_library_lists_ids_as_relative_paths(folder: Path) -> None:
    library = FolderLibrary(folder, read_url_base="https://files.example.com/kb")
    top = {f.id: f for f in library.list_files(None, None)}
    assert sorted(top) == ["empty", "faq.md", "guides", "link-in.md"]  # no hidden, binary or outside entries
    assert top["guides"].type == "folder"
    assert top["guides"].has_child is True
    assert top["empty"].has_child is False
    assert top["faq.md"].parent_id is None
    inner = library.list_files("guides", None)
    assert [(f.id, f.parent_id) for f in inner] == [("guides/deep", "guides"), ("guides/setup.md", "guides")]
    assert library.get_content("guides/setup.md") == FileContent(
        title="setup.md", content="# Setup\n\nRun make install."
    )
    assert (
        library.get_read_url("guides/deep/notes.txt") == "https://files.example.com/kb/guides/deep/notes.txt"
    )
    assert library.get_detail("guides/deep").type == "folder"
    assert [f.id for f in library.list_files(None, "NOTES")] == ["guides/deep/notes.txt"]


@pytest.mark.parametrize(
    "file_id",
    [
        "../outside.md",
        "guides/../../outside.md",
        "guides/../faq.md",
        "/etc/passwd",
        "..\\outside.md",
        "link-out.md",
        "dir-out/x.md",
        ".secret.md",
        "./faq.md",
        "faq.md\x00.png",
        "photo.png",
        "guides//setup.md",
        "",
    ],
)
def test_folder_library_refuses_every_escape(folder: Path, file_id: str) -> None:
    library = FolderLibrary(folder, read_url_base="https://x")
    for method in (library.get_content, library.get_detail, library.get_read_url):
        with pytest.raises(FileNotFoundError):
            method(file_id)


async def test_escapes_over_the_wire_are_file_not_found(folder: Path) -> None:
    async with in_process(api_dataset_app(FolderLibrary(folder))) as client:
        for file_id in ("../outside.md", "link-out.md", "dir-out/x.md"):
            answer = await client.get("http://kb/v1/file/content", params={"id": file_id})
            assert answer.json() == {"success": False, "message": "File not found", "data": None}
            assert "not yours" not in answer.text
        listing = await client.post("http://kb/v1/file/list", json={"parentId": "../"})
        assert listing.json()["success"] is False
        read = await client.get("http://kb/v1/file/read", params={"id": "faq.md"})
    assert "read_url_base" in read.json()["message"]  # said to the owner, not guessed


def test_folder_library_refuses_the_absolute_path_of_a_file_outside(folder: Path) -> None:
    outside = str(folder.parent / "outside.md")
    with pytest.raises(FileNotFoundError):
        FolderLibrary(folder).get_content(outside)
    with pytest.raises(FileNotFoundError):
        FolderLibrary(folder).list_files(str(folder.parent), None)


def test_folder_library_refuses_a_file_over_its_size_limit(folder: Path) -> None:
    with pytest.raises(ApiDatasetError, match="File too large"):
        FolderLibrary(folder, max_file_bytes=10).get_content("faq.md")
    assert FolderLibrary(folder, max_file_bytes=100).get_content("faq.md").content == "# FAQ\n\nAsk away."


def test_folder_library_refuses_non_utf8_text(folder: Path) -> None:
    (folder / "latin1.txt").write_bytes("café".encode("latin-1"))
    with pytest.raises(ApiDatasetError, match="Not UTF-8"):
        FolderLibrary(folder).get_content("latin1.txt")


async def test_mounted_under_a_prefix_in_starlette(folder: Path) -> None:
    from fastapi import FastAPI

    app = FastAPI()
    app.mount("/kb", api_dataset_app(FolderLibrary(folder, read_url_base="https://x")))
    async with in_process(app) as client:
        report: CheckReport = await acheck_api_dataset("http://host/kb/", http_client=client)
        answer = await client.post("http://host/kb/v1/file/list", json={})
    assert report.ok, str(report)
    assert json.loads(answer.text)["success"] is True
