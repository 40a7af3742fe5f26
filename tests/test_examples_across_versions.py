"""The same user programs (every script in examples/) against the emulator playing FastGPT 4.16.3,
4.17.2 and 4.18.0: an upgrade of the server, or a server not yet upgraded, changes nothing they print.

`FASTGPT_EMULATOR_VERSION` picks the version a `FakeFastGPT()` plays, as a user would set it to run
their own suite against an older server. The scripts run in this process (the fresh-interpreter runs
are `test_examples.py`'s), from their `__main__`, with what a user would type on standard input.
"""

from __future__ import annotations

import io
import runpy
import sys

import pytest
from test_examples import EXAMPLES, EXPECTED, INPUT, assert_lines_in_order

from fastgpt_oapi.testing import FakeFastGPT
from fastgpt_oapi.testing.fake import LATEST_VERSION

pytestmark = pytest.mark.system

VERSIONS = ("4.16.3", "4.17.2", "4.18.0")


def test_the_newest_version_is_the_default_and_the_environment_can_pick_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert VERSIONS[-1] == LATEST_VERSION == FakeFastGPT().version
    monkeypatch.setenv("FASTGPT_EMULATOR_VERSION", "4.16.3")
    assert FakeFastGPT().version == "4.16.3"
    assert FakeFastGPT(version="4.17.2").version == "4.17.2"  # an explicit version wins


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_prints_the_same_against_each_version(
    name: str, version: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for variable in ("FASTGPT_BASE_URL", "FASTGPT_API_KEY", "FASTGPT_APP_ID"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("FASTGPT_EMULATOR_VERSION", version)
    monkeypatch.setattr(sys, "stdin", io.StringIO(INPUT.get(name, "")))
    monkeypatch.setattr(sys, "argv", [f"examples/{name}.py"])
    monkeypatch.delitem(sys.modules, f"examples.{name}", raising=False)  # imported by another test
    code: object = 0
    try:
        runpy.run_module(f"examples.{name}", run_name="__main__", alter_sys=False)
    except SystemExit as exit_:
        code = exit_.code
    assert code in (None, 0), capsys.readouterr().out
    assert_lines_in_order(capsys.readouterr().out, EXPECTED[name])
