"""`make codegen` refuses a declaration it would otherwise turn into a wrong or hidden method: each
refusal, on a throwaway package of request models written for the test."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A model module's head, as the services' model modules start.
HEAD = """
from __future__ import annotations

from fastgpt_oapi.core.model import APIRequest, OperationResponse, Route
from fastgpt_oapi.core.paging import OffsetWalk
"""


@pytest.fixture(scope="module")
def codegen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("codegen_under_test", ROOT / "tools" / "codegen.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Path]:
    name = "refused_" + request.node.name.replace("[", "_").replace("]", "").replace("-", "_")
    folder = tmp_path / name
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield folder
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def write(folder: Path, module: str, body: str) -> str:
    (folder / f"{module}.py").write_text(HEAD + textwrap.dedent(body))
    return f"{folder.name}.{module}"


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        (
            '''
            class ARequest(APIRequest[OperationResponse]):
                """A."""
                route = Route("POST", "/a", call="Not a name")
            ''',
            "call='Not a name' is not a method name",
        ),
        (
            '''
            class ARequest(APIRequest[OperationResponse]):
                """A."""
                route = Route("POST", "/a", call="send")

            class BRequest(APIRequest[OperationResponse]):
                """B."""
                route = Route("POST", "/b", call="send")
            ''',
            "BRequest and ARequest both declare call='send'",
        ),
        (
            """
            class ARequest(APIRequest[OperationResponse]):
                route = Route("POST", "/a", call="send")
            """,
            "needs a docstring",
        ),
    ],
    ids=["not-a-name", "twice", "no-docstring"],
)
def test_a_call_is_refused(codegen: ModuleType, package: Path, body: str, refusal: str) -> None:
    with pytest.raises(ValueError, match=refusal.replace("(", r"\(").replace(")", r"\)")):
        codegen.declared_calls(write(package, "model", body))


WALK = '''
class Item(OperationResponse):
    id: str = ""


class ListRequest(APIRequest[OperationResponse]):
    """A page."""
    route = Route("POST", "/list"{route})
{plan}
'''
PLAN = """
    def walk_plan(self) -> OffsetWalk[ListRequest, Item]:
        {doc}return OffsetWalk(self, lambda item: item.id)
"""


@pytest.mark.parametrize(
    ("route", "plan", "refusal"),
    [
        (
            ', call="list_x", walk="walk_x"',
            PLAN.format(doc='"""All."""\n        '),
            "is not an `iter_` method",
        ),
        (', walk="iter_x"', PLAN.format(doc='"""All."""\n        '), "needs the call that fetches a page"),
        (', call="list_x", walk="iter_x"', "", "needs a documented walk_plan"),
        (', call="list_x", walk="iter_x"', PLAN.format(doc=""), "needs a documented walk_plan"),
    ],
    ids=["not-iter", "no-call", "no-plan", "plan-undocumented"],
)
def test_a_walk_is_refused(codegen: ModuleType, package: Path, route: str, plan: str, refusal: str) -> None:
    with pytest.raises(ValueError, match=refusal):
        codegen.declared_walks(write(package, "model", WALK.format(route=route, plan=plan)))


def test_a_call_written_by_hand_too_is_refused(codegen: ModuleType, package: Path) -> None:
    model = write(
        package,
        "model",
        '''
        class ARequest(APIRequest[OperationResponse]):
            """Send A."""
            route = Route("POST", "/a", call="send_a")
        ''',
    )
    write(
        package,
        "service",
        """
        class AService:
            async def asend_a(self) -> None: ...
        """,
    )
    with pytest.raises(ValueError, match=r"AService\.asend_a is written by hand and declared as a call"):
        codegen.render_calls_source(model)
