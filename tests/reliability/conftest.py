"""Marks every test here `system` (left out by `make test-fast`). Reports the figures the reliability
tests measured (cases tried, faults survived, requests sent twice, leaked connections, time taken) at
the end of the session, and writes them as JSON to the file named by FASTGPT_RELIABILITY_REPORT if
that is set. tests/reliability/README.md quotes a run of this."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ._support import FIGURES

_HERE = "tests/reliability/"


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is `system`: real sockets, fault servers, thousands of streams."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.system)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid.startswith(_HERE):
        FIGURES.seconds += report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    figures = FIGURES.report()
    if not figures:
        return
    figures["seconds"] = round(FIGURES.seconds, 1)
    terminalreporter.section("reliability figures")
    for name in sorted(figures):
        terminalreporter.write_line(f"{name:<44} {figures[name]}")
    target = os.environ.get("FASTGPT_RELIABILITY_REPORT")
    if target:
        Path(target).write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
