"""The command line, `fastgpt-oapi` (and `python -m fastgpt_oapi`), installed with the `cli` extra.

Layout: `app.py` builds the command tree and runs it (settings, output mode, exit codes), `settings.py`
resolves where to connect (flags > environment > profile file > defaults), `output.py` writes data to
stdout and everything else to stderr, `exit_codes.py` maps an error to its exit status, and
`commands/<group>.py` holds one group of commands each. A command imports the SDK's services and models
inside its body, so `--help` and `--version` stay fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

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
    from .app import run

    raise SystemExit(run(args, prog_name=prog_name))
