"""The documentation builds without broken links, and the README's Quick start runs as written."""

from __future__ import annotations

import ast
import asyncio
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fastgpt_oapi import Client
from fastgpt_oapi.testing import FakeFastGPT

REPO = Path(__file__).resolve().parents[1]
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def python_blocks(markdown: str) -> list[str]:
    return [match.group(1) for match in PYTHON_BLOCK.finditer(markdown)]


def quick_start() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    return python_blocks(section)


@pytest.mark.system  # a full MkDocs build
def test_site_builds_strictly(tmp_path: Path) -> None:
    # --strict turns MkDocs' warnings into errors; mkdocs.yml asks for warnings on broken links and anchors.
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    site = tmp_path / "site"
    assert (site / "index.html").is_file()
    for page in ("concepts", "chat", "chat_history", "app_logs", "streaming-events", "errors", "testing"):
        assert (site / page / "index.html").is_file(), page
    assert (site / "configuration" / "index.html").is_file()


def test_every_event_class_is_documented() -> None:
    from fastgpt_oapi.api.chat.model import EVENT_TYPES

    reference = (REPO / "docs" / "streaming-events.md").read_text(encoding="utf-8")
    for name, cls in EVENT_TYPES.items():
        heading = f"### `{cls.__name__}`"
        assert heading in reference, f"{cls.__name__} ({name}) has no section"
    assert "### `UnknownEvent`" in reference


@pytest.mark.parametrize("page", sorted(p.name for p in (REPO / "docs").glob("*.md")))
def test_doc_snippets_are_valid_python(page: str) -> None:
    for number, block in enumerate(python_blocks((REPO / "docs" / page).read_text(encoding="utf-8"))):
        compile(block, f"{page} block {number + 1}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


@pytest.mark.system  # the emulator on loopback HTTP
def test_readme_quick_start_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    blocks = quick_start()
    assert len(blocks) == 2, "the Quick start has a sync block and an async one"
    fake = FakeFastGPT()
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    with fake.serve() as base_url:
        monkeypatch.setenv("FASTGPT_BASE_URL", base_url)
        monkeypatch.setenv("FASTGPT_API_KEY", fake.api_key)
        monkeypatch.setenv("FASTGPT_APP_ID", fake.apps["workflow"])
        try:
            exec(compile(blocks[0], "README.md Quick start", "exec"), namespace)
            sync_output = capsys.readouterr().out

            # The async block uses `async for` at top level, as in a notebook or `python -m asyncio`.
            code = compile(
                blocks[1], "README.md Quick start (async)", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
            )

            async def run_async_block() -> None:
                await eval(code, namespace)
                await client.aclose()  # inside the loop that opened the async pool

            client = namespace["client"]
            assert isinstance(client, Client)
            asyncio.run(run_async_block())
            async_output = capsys.readouterr().out
        finally:
            client = namespace.get("client")
            if isinstance(client, Client):
                client.close()

    # The workflow app answers about the weather, after a tool call.
    assert "today, 26℃." in sync_output
    assert "get_weather" in sync_output
    assert "today, 26℃." in async_output
    assert fake.count("/api/v2/chat/completions") == 3
