"""A plain `git clone` runs the whole suite: nothing in the package, the tests, the examples or the
benchmarks reads a path outside the repository.

tests/fixtures/ holds copies of the reference wire fixtures the SDK was written against (kept in a
`shared/fastgpt-api/fixtures` folder beside the checkout in the developers' workspace). Where that
folder exists, the copies are checked against it; a user's clone has no such folder, and skips that.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import FIXTURES

REPO = Path(__file__).resolve().parents[1]
SCANNED = ("fastgpt_oapi", "tests", "examples", "bench")

# The only reference to a folder outside the repository, read only when it is there.
REFERENCE = REPO.parent / "shared" / "fastgpt-api" / "fixtures"
# Reference fixtures no test reads, so they were not copied.
NOT_COPIED = frozenset({"stop_chat.json"})

# `Path(__file__)` walked up with `.parent` or `.parents[n]`: where it lands is checked below.
ANCHORED = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?(?P<walk>(?:\.parent\b)+|\.parents\[(?P<n>\d+)\])")
# The sibling folder the fixtures used to be read from, named as a path component.
SIBLING = re.compile(r"""["'/]shared["'/]""")
PATH_CALLS = frozenset({"Path", "PurePath", "open", "join"})
# The kernel's files (the leak and memory figures read them) are on every Linux machine, clone or not.
KERNEL_FILES = ("/proc/", "/sys/", "/dev/")


def outside_paths(path: Path, source: str) -> list[str]:
    """What in `source` (the text of the file at `path`) points outside the repository."""
    found: list[str] = []
    for match in ANCHORED.finditer(source):
        ups = int(match["n"]) if match["n"] is not None else match["walk"].count(".parent") - 1
        target = path.resolve().parents[ups]
        if target != REPO and REPO not in target.parents:
            found.append(f"{match[0]} is {target}")
    found += [f"names {match[0]!r}" for match in SIBLING.finditer(source)]
    for node in ast.walk(ast.parse(source)):
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
    this = Path(__file__).resolve()  # names the reference folder on purpose, and reads it only if present
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
        'FIXTURES = ROOT / "shared" / "fastgpt-api" / "fixtures"',
        'FIXTURES = Path("../shared/fastgpt-api/fixtures")',
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


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="no reference fixtures beside this checkout")
def test_the_copied_fixtures_match_the_reference() -> None:
    reference = {p.name: p for p in REFERENCE.iterdir() if p.is_file()}
    local = {p.name for p in FIXTURES.iterdir() if p.is_file()}
    # A new reference fixture should be copied (and covered by a test) or listed in NOT_COPIED.
    assert set(reference) - local == NOT_COPIED
    differ = sorted(
        name
        for name in set(reference) & local
        if (FIXTURES / name).read_bytes() != reference[name].read_bytes()
    )
    assert differ == []
