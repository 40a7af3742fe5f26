"""`fastgpt-oapi completion SHELL`: the shell completion script, for any shell named (not detected)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

PROG_NAME = "fastgpt-oapi"
COMPLETE_VAR = "_FASTGPT_OAPI_COMPLETE"  # what the script sets when it asks the program for candidates


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def completion(shell: Annotated[Shell, typer.Argument(help="bash, zsh or fish")]) -> None:
    """Print the completion script: `eval "$(fastgpt-oapi completion bash)"` in ~/.bashrc (zsh alike;
    fish: `fastgpt-oapi completion fish > ~/.config/fish/completions/fastgpt-oapi.fish`)."""
    # Typer's own scripts (the ones `--install-completion` writes), asked for by name: its
    # `--show-completion` guesses the shell from the parent process, which fails under `sh`.
    from typer._completion_shared import get_completion_script

    print(get_completion_script(prog_name=PROG_NAME, complete_var=COMPLETE_VAR, shell=shell.value))
