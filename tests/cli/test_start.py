"""The program's start loads what its commands need, not httpx's own command line."""

from __future__ import annotations

import json
import subprocess
import sys

from ._support import ROOT

PROBE = """
import importlib.util, json, sys
from fastgpt_oapi.cli import _without_httpx_command_line

assert importlib.util.find_spec("click"), "click installed, as it is here: else httpx skips its CLI anyway"
_without_httpx_command_line()
import httpx

seen = {"light": sorted({"click", "pygments", "rich.syntax"} & set(sys.modules))}
import httpx._main as command_line

seen["helper"] = command_line.print_help.__module__  # a name read from it loads the real module
seen["loaded"] = sorted({"click", "pygments", "rich.syntax"} & set(sys.modules))
seen["module"] = sys.modules["httpx._main"].__file__.endswith("_main.py")
print(json.dumps(seen))
"""


def test_httpx_loads_without_its_command_line_which_stays_reachable() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["light"] == []
    assert seen["helper"] == "httpx._main"
    assert seen["loaded"] == ["click", "pygments", "rich.syntax"]
    assert seen["module"] is True
