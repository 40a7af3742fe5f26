"""The package's layering rules, checked by reading every module's imports (the AST; nothing is
imported), so a rule broken names the file and line:

- `core/` imports nothing from `api/`, `testing/`, `server/`, the command line, or the package root
  (the version is in `_version.py`): the HTTP machinery knows no endpoint;
- a service (`api/<service>/`) imports neither another service (shapes two share live in `api/shared/`)
  nor httpx: it talks to its `Sender` only;
- nothing but the emulator's own modules and the command line imports `testing/` (tests may).
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "fastgpt_oapi"
COMMAND_LINE = ("fastgpt_oapi.cli", "fastgpt_oapi.__main__")
ABOVE_CORE = ("fastgpt_oapi.api", "fastgpt_oapi.testing", "fastgpt_oapi.server", *COMMAND_LINE)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in the file, `TYPE_CHECKING` and function-level ones too.
    `from x import y` counts as importing `x.y` as well (y may be a module)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return sorted(found)


def within(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


COMMON = "fastgpt_oapi.api.shared"  # what two services share lives here, and belongs to none


def service_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 3 and parts[:2] == ["fastgpt_oapi", "api"] and not within(module, COMMON):
        return parts[2]
    return None


def broken_rules(path: Path) -> list[str]:
    here = module_name(path)
    where = path.relative_to(PACKAGE.parent)
    problems = []
    for line, target in imports(path):
        upward = target == "fastgpt_oapi" or within(target, *ABOVE_CORE)
        if within(here, "fastgpt_oapi.core") and upward:
            problems.append(f"{where}:{line}: core imports {target}")
        service = service_of(here)
        if service is not None:
            other = service_of(target)
            if other is not None and other != service:
                problems.append(f"{where}:{line}: service {service} imports service {other} ({target})")
            if within(target, "httpx"):
                problems.append(f"{where}:{line}: service {service} imports httpx")
        if within(target, "fastgpt_oapi.testing") and not within(here, "fastgpt_oapi.testing", *COMMAND_LINE):
            problems.append(f"{where}:{line}: {here} imports the emulator ({target})")
    return problems


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_each_module_keeps_the_layering_rules(path: Path) -> None:
    assert broken_rules(path) == []


def test_a_broken_rule_is_named_by_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_package = tmp_path / "fastgpt_oapi"
    (fake_package / "core").mkdir(parents=True)
    (fake_package / "api" / "chat").mkdir(parents=True)
    core = fake_package / "core" / "x.py"
    core.write_text("import json\nfrom .. import __version__\nfrom ..api.chat import model\n")
    service = fake_package / "api" / "chat" / "service.py"
    service.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import httpx\n"
        "from ..dataset.model import X\nfrom ..shared.model import Y\nfrom fastgpt_oapi.testing import F\n"
    )
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake_package)
    assert broken_rules(core) == [
        "fastgpt_oapi/core/x.py:2: core imports fastgpt_oapi",
        "fastgpt_oapi/core/x.py:3: core imports fastgpt_oapi.api.chat",
        "fastgpt_oapi/core/x.py:3: core imports fastgpt_oapi.api.chat.model",
    ]
    assert broken_rules(service) == [
        "fastgpt_oapi/api/chat/service.py:3: service chat imports httpx",
        "fastgpt_oapi/api/chat/service.py:4: service chat imports service dataset (fastgpt_oapi.api.dataset.model)",
        "fastgpt_oapi/api/chat/service.py:4: service chat imports service dataset (fastgpt_oapi.api.dataset.model.X)",
        "fastgpt_oapi/api/chat/service.py:6: fastgpt_oapi.api.chat.service imports the emulator (fastgpt_oapi.testing)",
        "fastgpt_oapi/api/chat/service.py:6: fastgpt_oapi.api.chat.service imports the emulator (fastgpt_oapi.testing.F)",
    ]
