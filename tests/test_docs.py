"""The documentation builds without broken links, and the README's Quick start runs as written."""

from __future__ import annotations

import ast
import asyncio
import functools
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fastgpt_oapi import Client
from fastgpt_oapi.testing import FakeFastGPT

REPO = Path(__file__).resolve().parents[1]
# A tag that makes the browser fetch something (a script, a stylesheet, a font, an image) from a URL.
EXTERNAL_RESOURCE = re.compile(
    r"<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)=\"(?:https?:)?//", re.IGNORECASE
)
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


# A pymdownx.snippets block: between two `--8<--` lines, one file of the repository a line, or one
# section of it (`examples/relay.py:app`). The block form, because ruff formats a one-line
# `--8<-- "file"` in a python fence as if it were Python.
SNIPPETS = re.compile(r"^--8<--\n(.*?)\n--8<--$", re.MULTILINE | re.DOTALL)


def included(spec: str) -> str:
    path, _, section = spec.partition(":")
    text = (REPO / path).read_text(encoding="utf-8")
    if section:
        start, end = f"--8<-- [start:{section}]", f"--8<-- [end:{section}]"
        assert start in text, f"{path} has no section {section!r}"
        assert end in text, f"{path}: section {section!r} has no end"
        text = text.split(start, 1)[1].split("\n", 1)[1].split(end, 1)[0].rsplit("\n", 1)[0]
    return text.rstrip("\n")


def with_snippets(markdown: str) -> str:
    """The page as MkDocs renders it: each snippet block replaced by what it includes."""
    return SNIPPETS.sub(lambda block: "\n".join(map(included, block.group(1).splitlines())), markdown)


def python_blocks(markdown: str) -> list[str]:
    return [match.group(1) for match in PYTHON_BLOCK.finditer(markdown)]


def quick_start() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    return python_blocks(section)


@pytest.mark.system  # a full MkDocs build, API reference included
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
    # Every reference page written, whatever its area: one per page under docs/reference.
    reference = sorted(p.stem for p in (REPO / "docs" / "reference").glob("*.md") if p.stem != "index")
    assert {"client", "errors", "chat", "streams", "chat_history", "app_logs", "dataset", "testing"} <= set(
        reference
    )
    for page in reference:
        assert (site / "reference" / page / "index.html").is_file(), f"reference/{page}"
    # The API reference is generated: each page documents its module's classes (mkdocstrings ran).
    chat_reference = (site / "reference" / "chat" / "index.html").read_text(encoding="utf-8")
    assert 'id="fastgpt_oapi.api.chat.service.ChatService.chat_stream"' in chat_reference
    # Nothing on a page loads from another host (Material's Google Fonts are off): the site works offline.
    for html in site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert not EXTERNAL_RESOURCE.search(text), (
            f"{html.relative_to(site)}: {EXTERNAL_RESOURCE.search(text)}"
        )


def test_every_event_class_is_documented() -> None:
    from fastgpt_oapi.api.chat.model import EVENT_TYPES

    reference = (REPO / "docs" / "streaming-events.md").read_text(encoding="utf-8")
    for name, cls in EVENT_TYPES.items():
        heading = f"### `{cls.__name__}`"
        assert heading in reference, f"{cls.__name__} ({name}) has no section"
    assert "### `UnknownEvent`" in reference


@pytest.mark.parametrize("page", sorted(p.name for p in (REPO / "docs").glob("*.md")))
def test_doc_snippets_are_valid_python(page: str) -> None:
    markdown = with_snippets((REPO / "docs" / page).read_text(encoding="utf-8"))
    for number, block in enumerate(python_blocks(markdown)):
        compile(block, f"{page} block {number + 1}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


@pytest.mark.system  # the emulator on loopback HTTP
def test_readme_quick_start_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    blocks = quick_start()
    assert len(blocks) == 3, "five lines against the emulator, then a server's sync block and async block"
    five_lines = blocks[0]
    assert len([line for line in five_lines.splitlines() if line.strip()]) == 5

    # As written, with no settings at all: the five lines bring their own emulator.
    exec(compile(five_lines, "README.md Quick start (five lines)", "exec"), {"__name__": "__readme__"})
    assert "Hello!" in capsys.readouterr().out  # the default app echoes the question, in any language

    fake = FakeFastGPT()
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    with fake.serve() as base_url:
        monkeypatch.setenv("FASTGPT_BASE_URL", base_url)
        monkeypatch.setenv("FASTGPT_API_KEY", fake.api_key)
        monkeypatch.setenv("FASTGPT_APP_ID", fake.apps["workflow"])
        try:
            exec(compile(blocks[1], "README.md Quick start", "exec"), namespace)
            sync_output = capsys.readouterr().out

            # The async block uses `async for` at top level, as in a notebook or `python -m asyncio`.
            code = compile(
                blocks[2], "README.md Quick start (async)", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
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

    # The workflow app answers about the weather, after a tool call; the async stream prints the same
    # answer the sync stream did.
    assert "get_weather" in sync_output
    assert async_output.strip()
    assert async_output.strip() in sync_output
    assert fake.count("/api/v2/chat/completions") == 3


def test_every_include_links_the_file_it_shows() -> None:
    # On a forge or in an editor the page shows the include marker, not the code: the link beside it is
    # how that reader gets to the code. The site turns these links into the file names
    # (tools/mkdocs_hooks.py), since it shows the code itself.
    for page in sorted((REPO / "docs").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for block in SNIPPETS.finditer(text):
            after = text[block.end() :].split("\n```", 1)[1].split("\n\n", 1)[0]
            for path in dict.fromkeys(spec.partition(":")[0] for spec in block.group(1).splitlines()):
                assert f"](../{path})" in after, f"{page.name}: no link to {path} after its include"
                assert (REPO / path).is_file()


def test_the_site_shows_example_links_as_names() -> None:
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import mkdocs_hooks
    finally:
        sys.path.remove(str(REPO / "tools"))
    page = "(From [`examples/relay.py`](../examples/relay.py).) See [errors](errors.md)."
    assert mkdocs_hooks.on_page_markdown(page) == "(From `examples/relay.py`.) See [errors](errors.md)."


def test_the_landing_page_and_the_package_description_name_every_part() -> None:
    landing = (REPO / "docs" / "index.md").read_text(encoding="utf-8")
    members = [(name, value) for klass in Client.__mro__ for name, value in vars(klass).items()]
    services = [name for name, value in members if isinstance(value, functools.cached_property)]
    assert "dataset" in services
    for part in [*services, "testing", "server", "the command line"]:
        assert f"- **{part}**" in landing, part
    description = re.search(r'^description = "(.*)"$', (REPO / "pyproject.toml").read_text(), re.MULTILINE)
    assert description is not None
    for words in ("knowledge bases", "emulator", "server kits", "command line"):
        assert words in description.group(1)


# A code block of CONTRIBUTING.md copied from the repository says where from, on the line before it.
QUOTED_BLOCK = re.compile(r"^<!-- from: (\S+) -->\n```python\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def test_contributings_worked_example_is_the_code_as_it_stands() -> None:
    """Each block marked `<!-- from: FILE -->` stands in FILE as shown, its pieces in order; a line `...`
    (or `...,`) stands for lines left out. So the recipe's example cannot drift from the code."""
    quoted = QUOTED_BLOCK.findall((REPO / "CONTRIBUTING.md").read_text(encoding="utf-8"))
    assert len(quoted) >= 4, "the worked example's model, request, handler and test"
    for path, block in quoted:
        text, at = (REPO / path).read_text(encoding="utf-8"), 0
        pieces = re.split(r"^\s*\.\.\.,?\n", block, flags=re.MULTILINE)
        for piece in pieces:
            found = text.find(piece, at)
            assert found >= 0, f"CONTRIBUTING.md quotes {path}, which no longer has:\n{piece}"
            at = found + len(piece)
