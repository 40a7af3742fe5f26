"""`fastgpt-oapi emulator`: the FastGPT emulator as a standalone server, for front ends and other languages."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..app import state_of


class Language(str, Enum):
    en = "en"
    zh = "zh"


def emulator(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="The address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="The port; 0 picks a free one")] = 3000,
    language: Annotated[Language, typer.Option("--language", help="What the apps answer in")] = Language.en,
    version: Annotated[
        str | None, typer.Option("--version", help="The FastGPT version to play (default: the newest)")
    ] = None,
    training_delay: Annotated[
        float, typer.Option("--training-delay", metavar="S", help="Seconds a chunk stays in training")
    ] = 0.0,
    apps: Annotated[
        Path | None, typer.Option("--apps", metavar="FILE", help="Scripted apps (JSON; see docs/testing.md)")
    ] = None,
) -> None:
    """Serve the emulator until Ctrl-C or SIGTERM. Prints its base URL, key and app ids (one JSON line
    when piped). The key it accepts is --api-key (default `fastgpt-test`); the environment's and the
    profile's keys are never used, so a real key is never printed. Admin API under /__emulator/."""
    from ...testing.standalone import DEV_API_KEY, EmulatorOptions, run

    options = EmulatorOptions(
        host=host,
        port=port,
        language=language.value,
        version=version,
        training_delay=training_delay,
        api_key=state_of(ctx).flags.get("api_key") or DEV_API_KEY,
        apps=apps,
    )
    code = run(options)
    if code:
        raise typer.Exit(code)
