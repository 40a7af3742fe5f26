"""`check api-dataset` and `check share-auth` as a user runs them, against servers on a loopback port:
the kits pass (exit 0), hand-written broken servers fail with FastGPT's message (exit 1), nothing
listening is unreachable (exit 7)."""

from __future__ import annotations

import socket
from pathlib import Path

from server.support import hand_written_hook, hand_written_library, served

from fastgpt_oapi.server.api_dataset import FolderLibrary, api_dataset_app
from fastgpt_oapi.server.share_auth import FinishReport, ShareAuthRefused, share_auth_app

from .conftest import Cli


class Hooks:
    def init(self, token: str) -> str:
        if token == "blocked":
            raise ShareAuthRefused("This account is blocked")
        return f"u-{token}"

    def start(self, token: str, question: str) -> str | None:
        return None

    def finish(self, report: FinishReport) -> None:
        pass


def folder(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    (root / "guides").mkdir(parents=True)
    (root / "README.md").write_text("# Welcome\n", encoding="utf-8")
    (root / "guides" / "setup.md").write_text("# Setup\n\nRun it.\n", encoding="utf-8")
    return root


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_folder_library_kit_passes(cli: Cli, tmp_path: Path) -> None:
    with served(
        api_dataset_app(
            FolderLibrary(folder(tmp_path), read_url_base="https://files.example.com/kb/"), token="s3cret"
        )
    ) as url:
        run = cli("check", "api-dataset", url, "--token", "s3cret")
        text = cli("check", "api-dataset", url, "--token", "s3cret", "-o", "text")
        subtree = cli("check", "api-dataset", url, "--token", "s3cret", "--base-path", "guides")
    assert run.code == 0, run.stderr
    report = run.json()
    assert report["ok"] is True
    assert report["problems"] == []
    assert report["requests"] > 6  # the whole tree: lists, and content/read/detail per file
    assert text.code == 0
    assert text.stdout.splitlines()[-1].startswith(f"ok: API file library at {url}, ")
    assert "s3cret" not in run.stdout + run.stderr + text.stdout
    assert subtree.code == 0
    assert subtree.json()["requests"] < report["requests"]


def test_a_files_envelope_fails_with_fastgpts_message(cli: Cli) -> None:
    with served(hand_written_library(fault="files")) as url:
        run = cli("check", "api-dataset", url)
        text = cli("check", "api-dataset", url, "-o", "text")
    assert run.code == 1
    report = run.json()
    assert report["ok"] is False
    first = report["problems"][0]
    assert first["message"] == "Invalid file list format"
    assert first["request"]["method"] == "POST"
    assert first["request"]["url"] == f"{url}/v1/file/list"
    assert first["fastgpt_refuses"] is True
    assert text.code == 1
    lines = text.stdout.splitlines()
    assert len(lines) == 2  # one line per problem, then the verdict
    assert lines[0].startswith("FastGPT refuses: Invalid file list format (")
    assert lines[0].endswith(f") after POST {url}/v1/file/list {{}}")
    assert lines[-1].startswith(f"failed: 1 problem(s): API file library at {url}")


def test_a_wrong_token_shows_the_request_that_failed(cli: Cli) -> None:
    with served(hand_written_library(token="right")) as url:
        run = cli("check", "api-dataset", url, "--token", "wrong")
    assert run.code == 1
    [problem] = run.json()["problems"]
    assert problem["message"] == "Request failed with status code 401"
    assert problem["request"]["headers"]["authorization"] == "Bearer ***"
    assert "wrong" not in run.stdout


def test_the_share_auth_kit_passes_and_a_broken_hook_fails(cli: Cli) -> None:
    with served(share_auth_app(Hooks())) as url:
        ok = cli("check", "share-auth", url, "--token", "alice")
        blocked = cli("check", "share-auth", url, "--token", "blocked")
    assert ok.code == 0, ok.stderr
    assert ok.json()["ok"] is True
    assert blocked.code == 1
    assert blocked.json()["problems"][0]["message"] == "This account is blocked"
    with served(hand_written_hook(fault="slash_uid")) as url:
        bad = cli("check", "share-auth", url, "--token", "alice")
    assert bad.code == 1
    [problem] = bad.json()["problems"]
    assert problem["message"] == "Invalid UID"
    assert problem["request"]["json"]["token"] == "***"
    assert "alice" not in bad.stdout
    assert cli("check", "share-auth", url).code == 2  # --token is required


def test_nothing_listening_is_unreachable(cli: Cli) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    for args in (("api-dataset", url), ("share-auth", url, "--token", "t")):
        run = cli("check", *args)
        assert run.code == 7, run.stderr
        assert run.error()["kind"] == "connection"
        assert url in run.error()["message"]
    assert cli("check", "api-dataset", "localhost:3000").code == 2
