"""`fastgpt-oapi config`: the profile file (`set`, `unset`, `show`, `path`)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ..app import CliError, UsageError, state_of
from ..exit_codes import ExitCode
from ..settings import KEYS, config_path, mask_key, read_profiles, write_profiles

app = typer.Typer(
    help="Read and write connection profiles (base URL, API key, app id).", no_args_is_help=True
)

ProfileOpt = Annotated[
    str | None,
    typer.Option("--profile", "-p", help="The profile (default: the global --profile, else 'default')"),
]


def _profile(ctx: typer.Context, profile: str | None) -> str:
    import os

    return profile or state_of(ctx).profile or os.environ.get("FASTGPT_PROFILE") or "default"


def _check_key(key: str) -> str:
    if key not in KEYS:
        raise UsageError(f"unknown setting {key!r}: one of {', '.join(KEYS)}")
    return key


@app.command("set")
def set_(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="base_url, api_key or app_id")],
    value: Annotated[
        str, typer.Argument(help="The value; '-' reads it from stdin (keeps a key out of shell history)")
    ],
    profile: ProfileOpt = None,
) -> None:
    """Save a setting in a profile (the file is written with mode 0600)."""
    _check_key(key)
    if value == "-":
        value = sys.stdin.readline().strip()
    if not value:
        raise UsageError(f"{key}: the value is empty")
    _validate(key, value)
    path = config_path()
    profiles = read_profiles(path)
    name = _profile(ctx, profile)
    profiles.setdefault(name, {})[key] = value
    write_profiles(path, profiles)
    shown = mask_key(value) if key == "api_key" else value
    state_of(ctx).out.hint(f"saved {key} = {shown} in [{name}] of {path}")


def _validate(key: str, value: str) -> None:
    """The SDK's own checks, so a bad value is refused when saved, not at the next call."""
    from ...core.config import ClientConfig, Secret
    from ...core.errors import RequestValidationError

    config = ClientConfig()
    if key == "api_key":
        config = ClientConfig(api_key=Secret(value))
    elif key == "app_id":
        config = ClientConfig(app_id=value)
    else:
        config = ClientConfig(base_url=value)
    try:
        config.validated()
    except RequestValidationError as exc:
        raise CliError(f"{key}: {exc}", ExitCode.INVALID, kind="invalid") from None


@app.command()
def unset(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="base_url, api_key or app_id")],
    profile: ProfileOpt = None,
) -> None:
    """Remove a setting from a profile."""
    _check_key(key)
    path = config_path()
    profiles = read_profiles(path)
    name = _profile(ctx, profile)
    if profiles.get(name, {}).pop(key, None) is None:
        state_of(ctx).out.hint(f"[{name}] has no {key}: nothing to do")
        return
    if not profiles[name]:
        del profiles[name]
    write_profiles(path, profiles)
    state_of(ctx).out.hint(f"removed {key} from [{name}] of {path}")


@app.command()
def show(ctx: typer.Context) -> None:
    """The settings a command would use now, where each comes from, the key masked."""
    state = state_of(ctx)
    settings = state.settings()
    shown = {
        "profile": settings.profile,
        "path": str(settings.path),
        "base_url": settings.base_url,
        "api_key": mask_key(settings.api_key),
        "app_id": settings.app_id,
        "sources": dict(settings.sources),
    }

    def text() -> None:
        lines = [f"profile   {settings.profile} ({settings.path})"]
        for key in KEYS:
            value = shown[key]
            lines.append(f"{key:<9} {value if value else '-'}  ({settings.sources[key]})")
        state.out.write("\n".join(lines) + "\n")

    state.out.result(shown, text=text)


@app.command()
def path(ctx: typer.Context) -> None:
    """Where the profile file is ($XDG_CONFIG_HOME/fastgpt-oapi/config.toml)."""
    state_of(ctx).out.result({"path": str(config_path())}, text=str(config_path()))
