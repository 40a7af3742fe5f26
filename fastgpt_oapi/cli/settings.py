"""Where the command line connects: flags, then the environment, then a profile, then the defaults.

Profiles live in `$XDG_CONFIG_HOME/fastgpt-oapi/config.toml` (`~/.config/...` when the variable is
unset), one table per profile:

    [default]
    base_url = "https://fastgpt.example.com/api"
    api_key = "fastgpt-..."
    app_id = "6658..."

`fastgpt-oapi config set` writes it with mode 0600 (it holds a key); `--profile NAME` or
`FASTGPT_PROFILE` picks a table, `default` otherwise.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

from ..core.config import DEFAULT_BASE_URL

__all__ = [
    "KEYS",
    "ConfigFileError",
    "Settings",
    "config_path",
    "mask_key",
    "read_profiles",
    "resolve",
    "write_profiles",
]

Key = Literal["base_url", "api_key", "app_id"]
KEYS: tuple[Key, ...] = ("base_url", "api_key", "app_id")
ENV = {"base_url": "FASTGPT_BASE_URL", "api_key": "FASTGPT_API_KEY", "app_id": "FASTGPT_APP_ID"}
DEFAULT_PROFILE = "default"


class ConfigFileError(Exception):
    """The profile file cannot be read or written; the message names the file."""


@dataclass(frozen=True)
class Settings:
    """The resolved connection settings, and where each one came from ("flag", "env", "profile NAME",
    "default"), for `config show`. The key is kept out of the repr."""

    base_url: str
    api_key: str | None = field(repr=False)
    app_id: str | None
    profile: str
    sources: Mapping[str, str]
    path: Path


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "fastgpt-oapi" / "config.toml"


def read_profiles(path: Path) -> dict[str, dict[str, str]]:
    """Every profile of the file (none if it does not exist); only string values of known keys."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigFileError(f"{path} is not valid TOML: {exc}") from None
    profiles: dict[str, dict[str, str]] = {}
    for name, table in data.items():
        if not isinstance(table, dict):
            raise ConfigFileError(f"{path}: {name!r} must be a table of settings ([{name}])")
        for key, value in table.items():
            if key not in KEYS:
                raise ConfigFileError(
                    f"{path}: [{name}] has an unknown setting {key!r} (known: {', '.join(KEYS)})"
                )
            if not isinstance(value, str):
                raise ConfigFileError(f"{path}: [{name}] {key} must be a string")
        profiles[name] = dict(table)
    return profiles


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c >= " " and c != "\x7f" else f"\\u{ord(c):04x}" for c in escaped) + '"'


def _toml_key(name: str) -> str:
    bare = name and all(c.isascii() and (c.isalnum() or c in "-_") for c in name)
    return name if bare else _toml_string(name)


def write_profiles(path: Path, profiles: Mapping[str, Mapping[str, str]]) -> None:
    """Replace the file atomically, readable by its owner alone (it may hold an API key)."""
    lines: list[str] = []
    for name, table in profiles.items():
        lines.append(f"[{_toml_key(name)}]")
        lines.extend(f"{key} = {_toml_string(value)}" for key, value in table.items())
        lines.append("")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write("\n".join(lines))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigFileError(f"cannot write {path}: {exc.strerror}") from None


def mask_key(key: str | None) -> str | None:
    """Enough of a key to tell two apart, never enough to use: `fastgpt-…a1b2`."""
    if not key:
        return key
    prefix = "fastgpt-" if key.startswith("fastgpt-") else ""
    return f"{prefix}…{key[-4:]}" if len(key) - len(prefix) > 8 else f"{prefix}…"


def resolve(
    flags: Mapping[str, str | None],
    *,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Each setting from the first place that has it: a flag, the environment, the profile, a default.
    A profile named by `--profile` (or `FASTGPT_PROFILE`) must exist; the implicit `default` need not."""
    env = os.environ if environ is None else environ
    path = config_path(env)
    chosen = profile or env.get("FASTGPT_PROFILE") or None
    profiles = read_profiles(path)
    name = chosen or DEFAULT_PROFILE
    if chosen is not None and chosen not in profiles:
        known = ", ".join(sorted(profiles)) or "none yet: add one with `fastgpt-oapi config set`"
        raise ConfigFileError(f"no profile {chosen!r} in {path} (profiles: {known})")
    table = profiles.get(name, {})
    values: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    for key in KEYS:
        for where, value in (
            ("flag", flags.get(key)),
            ("env", env.get(ENV[key])),
            (f"profile {name}", table.get(key)),
        ):
            if value:
                values[key], sources[key] = value, where
                break
        else:
            values[key], sources[key] = None, "default"
    return Settings(
        base_url=values["base_url"] or DEFAULT_BASE_URL,
        api_key=values["api_key"],
        app_id=values["app_id"],
        profile=name,
        sources=sources,
        path=path,
    )
