"""`make demo` installs the SDK's runtime pins from poetry.lock, hash-checked, and nothing more."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "demo_requirements", ROOT / "tools" / "demo_requirements.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_pins_are_the_locked_runtime_with_hashes() -> None:
    lines = tool().requirements((ROOT / "poetry.lock").read_text(encoding="utf-8"))
    names = {line.split("==")[0] for line in lines}
    assert {"httpx", "pydantic", "pydantic-core", "httpcore", "anyio"} <= names
    assert not names & {"pytest", "mypy", "ruff", "typer", "rich", "openai", "mkdocs"}
    for line in lines:
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", line), line


LOCK = (
    r"""
[[package]]
name = "h11"
version = "0.16.0"
groups = ["main", "bench"]
markers = {bench = "sys_platform != \"emscripten\""}
files = [
    {file = "h11.whl", hash = "sha256:HASH_A"},
]

[[package]]
name = "exceptiongroup"
version = "1.3.1"
groups = ["main"]
markers = "python_version == \"3.10\""
files = [
    {file = "e.whl", hash = "sha256:HASH_B"},
]

[[package]]
name = "pytest"
version = "9.0.0"
groups = ["dev"]
files = [
    {file = "p.whl", hash = "sha256:HASH_C"},
]
""".replace("HASH_A", "a" * 64)
    .replace("HASH_B", "b" * 64)
    .replace("HASH_C", "c" * 64)
)


def test_group_markers_are_the_main_groups_own() -> None:
    lines = tool().requirements(LOCK)
    assert [line.splitlines()[0].removesuffix(" \\") for line in lines] == [
        "h11==0.16.0",
        'exceptiongroup==1.3.1 ; python_version == "3.10"',
    ]
    assert [line.splitlines()[1].strip() for line in lines] == [f"--hash=sha256:{c * 64}" for c in "ab"]
