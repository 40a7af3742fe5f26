"""docs/server.md's FastAPI app, run as written: served by uvicorn, it passes both checks, refuses an
unknown user, and bills points from `finish` reports until the user has none left."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fastgpt_oapi.server import check_api_dataset, check_share_auth

from .support import served

PAGE = Path(__file__).resolve().parents[2] / "docs" / "server.md"


def the_app_block() -> str:
    section = PAGE.read_text(encoding="utf-8").split("\n## A FastAPI app with both kits\n", 1)[1]
    match = re.search(r"^```python\n(.*?)^```\n", section, re.MULTILINE | re.DOTALL)
    assert match is not None
    return match.group(1)


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[dict[str, Any], str]]:
    folder = tmp_path / "docs"
    (folder / "guides").mkdir(parents=True)
    (folder / "guides" / "setup.md").write_text("# Setup\n\nRun make install.", encoding="utf-8")
    (folder / "faq.md").write_text("# FAQ", encoding="utf-8")
    monkeypatch.setenv("KB_FOLDER", str(folder))
    monkeypatch.setenv("KB_TOKEN", "kb-secret")
    monkeypatch.setenv("KB_READ_URL", "https://files.example.com/docs")
    namespace: dict[str, Any] = {"__name__": "docs_server_example"}
    exec(compile(the_app_block(), str(PAGE), "exec"), namespace)
    with served(namespace["app"]) as url:
        yield namespace, url


def test_the_documented_app_passes_both_checks(example: tuple[dict[str, Any], str]) -> None:
    _, url = example
    kb = check_api_dataset(f"{url}/kb", token="kb-secret")
    assert kb.ok, str(kb)
    assert kb.requests == 1 + 2 + 3 * 2 + 1
    hook = check_share_auth(f"{url}/hook", token="alice-token")
    assert hook.ok, str(hook)
    stranger = check_share_auth(f"{url}/hook", token="mallory")
    assert [p.message for p in stranger.problems] == [
        "Unknown user: please sign in again",  # init
        "No points left: please top up",  # start
    ]


def test_the_documented_hook_bills_points(example: tuple[dict[str, Any], str]) -> None:
    namespace, url = example
    report = {
        "token": "alice-token",
        "appName": "Support bot",
        "chatId": "c1",
        "responseData": [{"nodeId": "n1", "moduleType": "chatNode", "totalPoints": 6.0}],
    }
    with httpx.Client(base_url=f"{url}/hook") as fastgpt:
        assert fastgpt.post("/shareAuth/init", json={"token": "alice-token"}).json()["data"] == {
            "uid": "alice"
        }
        for _ in range(2):
            assert fastgpt.post("/shareAuth/start", json={"token": "alice-token", "question": "hi"}).json()[
                "success"
            ]
            fastgpt.post("/shareAuth/finish", json=report)
        refused = fastgpt.post("/shareAuth/start", json={"token": "alice-token", "question": "more?"}).json()
    assert namespace["hooks"].balances["alice-token"] == -2.0
    assert refused == {"success": False, "message": "No points left: please top up", "data": None}
