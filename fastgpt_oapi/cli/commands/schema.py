"""`fastgpt-oapi schema`: the command tree as JSON, for programs and agents that drive the command line."""

from __future__ import annotations

from typing import Any

import typer

from ..._version import __version__
from ..exit_codes import ExitCode

_TYPE_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _type_of(annotation: Any) -> tuple[str, list[Any] | None]:
    """A JSON-ish name for a parameter's Python type, and its choices when it is an enum."""
    import enum
    import pathlib

    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "choice", [member.value for member in annotation]
    if isinstance(annotation, type) and issubclass(annotation, pathlib.PurePath):
        return "path", None
    return _TYPE_NAMES.get(annotation, getattr(annotation, "__name__", str(annotation))), None


def _param(param: Any) -> dict[str, Any]:
    kind = getattr(param, "param_type_name", "option")
    entry: dict[str, Any] = {"name": param.name, "kind": kind}
    if kind == "option":
        entry["flags"] = [*param.opts, *param.secondary_opts]
    descriptor = getattr(param, "type_descriptor", None)
    type_name, choices = _type_of(getattr(descriptor, "annotation", str))
    entry["type"] = type_name
    if choices:
        entry["choices"] = choices
    entry["required"] = bool(param.required)
    entry["multiple"] = bool(getattr(param, "multiple", False) or getattr(param, "nargs", 1) == -1)
    default = param.default
    if default is not None and not callable(default):
        entry["default"] = getattr(default, "value", default)
    entry["help"] = getattr(param, "help", None) or None
    return entry


def _command(name: str, command: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "help": (command.help or "").strip() or None,
        "params": [_param(p) for p in command.params if not getattr(p, "hidden", False) and p.name != "help"],
    }
    subcommands = getattr(command, "commands", None)
    if subcommands:
        entry["commands"] = [_command(n, c) for n, c in sorted(subcommands.items()) if not c.hidden]
    return entry


def schema(ctx: typer.Context) -> None:
    """Print the command tree as JSON: every command, its arguments and flags, and the exit codes."""
    root = ctx.find_root().command
    tree = _command("fastgpt-oapi", root)
    tree["version"] = __version__
    tree["exit_codes"] = {code.name.lower(): int(code) for code in ExitCode}
    from ..output import dumps

    print(dumps(tree))
