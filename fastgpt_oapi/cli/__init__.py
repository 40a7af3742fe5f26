"""The command line, `fastgpt-oapi` (and `python -m fastgpt_oapi`), installed with the `cli` extra.

Layout: `app.py` builds the command tree and runs it (settings, output mode, exit codes), `settings.py`
resolves where to connect (flags > environment > profile file > defaults), `output.py` writes data to
stdout and everything else to stderr, `exit_codes.py` maps an error to its exit status, and
`commands/<group>.py` holds one group of commands each. A command imports the SDK's services and models
inside its body, so `--help` and `--version` stay fast.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

INSTALL_HINT = "fastgpt-oapi: the command line needs its extra: pip install 'fastgpt-oapi[cli]'"


def main(argv: Sequence[str] | None = None, *, prog_name: str = "fastgpt-oapi") -> None:
    """Run the command line with `argv` (default: the process's arguments); exits with its status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):  # the answer needs no parser: skip importing one
        from .._version import __version__

        print(f"fastgpt-oapi {__version__}")
        raise SystemExit(0)
    try:
        import rich  # noqa: F401
        import typer  # noqa: F401
    except ImportError:
        print(INSTALL_HINT, file=sys.stderr)
        raise SystemExit(1) from None
    _without_httpx_command_line()
    from .app import run

    raise SystemExit(run(args, prog_name=prog_name))


def _without_httpx_command_line() -> None:
    """Keep httpx from loading its own command line, which this program never runs.

    httpx's `__init__` imports `httpx._main` (click, pygments, rich's syntax and tables) whenever click
    is installed: ~0.1 s of CPU on every start. A stand-in takes its place in `sys.modules`; anything
    read from it (`httpx.main` included) loads the real module first, so nothing changes but the cost.
    """
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stand_in = types.ModuleType("httpx._main")

    def real() -> types.ModuleType:
        if sys.modules.get("httpx._main") is stand_in:
            del sys.modules["httpx._main"]
        import httpx._main

        return httpx._main

    def main(*args: Any, **kwargs: Any) -> Any:
        return real().main(*args, **kwargs)

    def attribute(name: str) -> Any:
        if name.startswith("__"):  # the import system's questions (`__path__`): a plain module's answers
            raise AttributeError(name)
        return getattr(real(), name)

    stand_in.main = main  # type: ignore[attr-defined]
    stand_in.__getattr__ = attribute  # type: ignore[method-assign]
    sys.modules["httpx._main"] = stand_in
