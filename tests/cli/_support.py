"""Running the command line as a user does: `python -m fastgpt_oapi ...` in a subprocess, real pipes.

Every run gets its own HOME and XDG_CONFIG_HOME (no profile of the machine leaks in) and no FASTGPT_*
variable but those a test passes, so settings come only from what the test says.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def lines(self) -> list[Any]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def error(self) -> dict[str, Any]:
        """The JSON error line a piped run writes on stderr."""
        last = [line for line in self.stderr.splitlines() if line.startswith('{"error"')]
        assert last, f"no JSON error on stderr: {self.stderr!r}"
        found: dict[str, Any] = json.loads(last[-1])["error"]
        return found


def cli_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FASTGPT_")}
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PYTHONPATH": str(ROOT)})
    env.pop("COLUMNS", None)
    env.update(extra or {})
    return env


def run_cli(
    args: Sequence[str],
    *,
    home: Path,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 60,
) -> Run:
    done = subprocess.run(
        [sys.executable, "-m", "fastgpt_oapi", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=cli_env(home, env),
        cwd=home,
        timeout=timeout,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def run_with_terminal_stderr(args: Sequence[str], env: Mapping[str, str]) -> tuple[Run, bytes]:
    """The command with stderr on a pseudo-terminal (a person watching) and stdout piped (to a file
    or jq): its run, and what the terminal showed."""
    main, side = os.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "fastgpt_oapi", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=side,
        env=dict(env),
        timeout=60,
    )
    os.close(side)
    seen = b""
    while select.select([main], [], [], 0.5)[0]:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    return Run(done.returncode, done.stdout.decode(), ""), seen
