"""A plain `git clone` runs the whole suite: nothing in the package, the tests, the examples or the
benchmarks reads a path outside the repository.

tests/fixtures/ holds copies of the reference wire fixtures the SDK was written against; the
developers' reference copy lives outside the repository and is compared by hand (CONTRIBUTING.md),
never by a test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCANNED = ("fastgpt_oapi", "tests", "examples", "bench")

# `Path(__file__)` walked up with `.parent` or `.parents[n]`: where it lands is checked below.
ANCHORED = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?(?P<walk>(?:\.parent\b)+|\.parents\[(?P<n>\d+)\])")
PATH_CALLS = frozenset({"Path", "PurePath", "open", "join"})
# The kernel's files (the leak and memory figures read them) are on every Linux machine, clone or not.
KERNEL_FILES = ("/proc/", "/sys/", "/dev/")
# What the syntax tree is read for leaves one of these in the text: `os.pardir`, or a string literal
# opening with "..", "/" or "~". Most files have neither, and reading a tree was most of this test's time.
WORTH_PARSING = re.compile(r"""pardir|["'](?:\.\.|/|~)""")


def outside_paths(path: Path, source: str) -> list[str]:
    """What in `source` (the text of the file at `path`) points outside the repository."""
    found: list[str] = []
    for match in ANCHORED.finditer(source):
        ups = int(match["n"]) if match["n"] is not None else match["walk"].count(".parent") - 1
        target = path.resolve().parents[ups]
        if target != REPO and REPO not in target.parents:
            found.append(f"{match[0]} is {target}")
    nodes = ast.walk(ast.parse(source)) if WORTH_PARSING.search(source) else ()
    for node in nodes:
        if isinstance(node, ast.Attribute) and node.attr == "pardir":
            found.append("os.pardir")
        literals: list[ast.expr] = []
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in PATH_CALLS:
                literals += node.args
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            literals.append(node.right)
        for literal in literals:
            value = literal.value if isinstance(literal, ast.Constant) else None
            if (
                isinstance(value, str)
                and value.startswith(("..", "/", "~"))
                and not value.startswith(KERNEL_FILES)
            ):
                found.append(f"path literal {value!r}")
    return [f"{path.relative_to(REPO)}: {what}" for what in found]


def scanned_files() -> list[Path]:
    this = Path(__file__).resolve()  # holds, as text, the samples that show the scan can fail
    return sorted(p for top in SCANNED for p in (REPO / top).rglob("*.py") if p.resolve() != this)


def test_nothing_reads_outside_the_repository() -> None:
    files = scanned_files()
    assert len(files) > 50, "the scan found too few files to mean anything"
    found = [hit for path in files for hit in outside_paths(path, path.read_text(encoding="utf-8"))]
    assert found == []


@pytest.mark.parametrize(
    "line",
    [
        'FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"',
        "FIXTURES = Path(__file__).parent.parent.parent",
        'FIXTURES = Path("../reference/fixtures")',
        'FIXTURES = ROOT / "../elsewhere"',
        'FIXTURES = os.path.join(os.pardir, "elsewhere")',
        'FIXTURES = open("/home/someone/fixtures/a.json")',
    ],
)
def test_the_scan_can_fail(line: str) -> None:
    assert outside_paths(REPO / "tests" / "conftest.py", line + "\n")


def test_the_scan_lets_the_repository_root_through() -> None:
    assert (
        outside_paths(REPO / "tests" / "core" / "x.py", "ROOT = Path(__file__).resolve().parents[2]\n") == []
    )
    assert outside_paths(REPO / "tests" / "x.py", 'ids = ["../../api/v1/chat/completions", ".."]\n') == []
