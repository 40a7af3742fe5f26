from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fastgpt_oapi.testing import FakeFastGPT

from ._support import Run, run_cli


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here runs the program in a subprocess (a fresh Python, ~0.2 s): all are `system`
    tests, which `make test-fast` leaves out. (A `pytestmark` in a conftest marks nothing.)"""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.system)


Cli = Callable[..., Run]


@pytest.fixture
def fake() -> FakeFastGPT:
    return FakeFastGPT()


@pytest.fixture
def served(fake: FakeFastGPT) -> Iterator[str]:
    with fake.serve() as base_url:
        yield base_url


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """`cli(*args, env=..., stdin=...)`: the command line with no settings but those given."""

    def invoke(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Run:
        return run_cli(args, home=tmp_path, env=env, stdin=stdin)

    return invoke


@pytest.fixture
def connected(cli: Cli, fake: FakeFastGPT, served: str) -> Cli:
    """The command line pointed at the served emulator through the environment."""
    base_env = {"FASTGPT_BASE_URL": served, "FASTGPT_API_KEY": fake.api_key, "FASTGPT_APP_ID": fake.app_id}

    def invoke(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Run:
        return cli(*args, env={**base_env, **(env or {})}, stdin=stdin)

    return invoke
