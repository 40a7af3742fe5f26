"""docs/server.md's FastAPI app, run as written: in process and served by uvicorn, it passes both checks, refuses an
unknown user, and bills points from `finish` reports until the user has none left."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from fastgpt_oapi.server import acheck_api_dataset, acheck_share_auth, check_api_dataset, check_share_auth

from .support import check_app

PAGE = Path(__file__).resolve().parents[2] / "docs" / "server.md"


def the_app_block() -> str:
    section = PAGE.read_text(encoding="utf-8").split("\n## A FastAPI app with both kits\n", 1)[1]
    match = re.search(r"^```python\n(.*?)^```\n", section, re.MULTILINE | re.DOTALL)
    assert match is not None
    return match.group(1)


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The page's block run as a module would be, with its settings in the environment."""
    folder = tmp_path / "docs"
    (folder / "guides").mkdir(parents=True)
    (folder / "guides" / "setup.md").write_text("# Setup\n\nRun make install.", encoding="utf-8")
    (folder / "faq.md").write_text("# FAQ", encoding="utf-8")
    monkeypatch.setenv("KB_FOLDER", str(folder))
    monkeypatch.setenv("KB_TOKEN", "kb-secret")
    monkeypatch.setenv("KB_READ_URL", "https://files.example.com/docs")
    namespace: dict[str, Any] = {"__name__": "docs_server_example"}
    exec(compile(the_app_block(), str(PAGE), "exec"), namespace)
    return namespace


async def test_the_documented_app_passes_both_checks(way: str, example: dict[str, Any]) -> None:
    app = example["app"]
    kb, _ = await check_app(way, app, check_api_dataset, acheck_api_dataset, token="kb-secret", prefix="/kb")
    assert kb.ok, str(kb)
    assert kb.requests == 1 + 2 + 3 * 2 + 1
    hook, _ = await check_app(
        way, app, check_share_auth, acheck_share_auth, token="alice-token", prefix="/hook"
    )
    assert hook.ok, str(hook)
    stranger, _ = await check_app(
        way, app, check_share_auth, acheck_share_auth, token="mallory", prefix="/hook"
    )
    assert [p.message for p in stranger.problems] == [
        "Unknown user: please sign in again",  # init
        "No points left: please top up",  # start
    ]


async def test_the_documented_hook_bills_points(example: dict[str, Any]) -> None:
    report = {
        "token": "alice-token",
        "appName": "Support bot",
        "chatId": "c1",
        "responseData": [{"nodeId": "n1", "moduleType": "chatNode", "totalPoints": 6.0}],
    }
    transport = httpx.ASGITransport(app=example["app"])
    async with httpx.AsyncClient(transport=transport, base_url="http://host/hook") as fastgpt:
        init = await fastgpt.post("/shareAuth/init", json={"token": "alice-token"})
        assert init.json()["data"] == {"uid": "alice"}
        for _ in range(2):
            start = await fastgpt.post("/shareAuth/start", json={"token": "alice-token", "question": "hi"})
            assert start.json()["success"] is True
            await fastgpt.post("/shareAuth/finish", json=report)
        refused = await fastgpt.post("/shareAuth/start", json={"token": "alice-token", "question": "more?"})
    assert example["hooks"].balances["alice-token"] == -2.0
    assert refused.json() == {"success": False, "message": "No points left: please top up", "data": None}


def the_emulator_block() -> str:
    section = PAGE.read_text(encoding="utf-8").split("\n## Trying the kits against the emulator\n", 1)[1]
    match = re.search(r"^```python\n(.*?)^```\n", section, re.MULTILINE | re.DOTALL)
    assert match is not None
    return match.group(1)


def test_the_documented_emulator_run_reads_the_library_and_bills_through_the_hook(
    example: dict[str, Any],
) -> None:
    """The page's second block, run after the app's block as the page says: the emulator reads the
    file from the mounted app's `/kb`, the knowledge app cites it, and the hook bills and refuses."""
    exec(compile(the_emulator_block(), str(PAGE), "exec"), example)
    assert example["cited"] == "setup.md"
    assert example["hooks"].balances["alice-token"] == 0.0
    assert example["refused"] == "No points left: please top up"
