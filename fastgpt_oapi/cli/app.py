"""The command tree and its runner: global settings, output mode, and one exit status per error class."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from .._version import __version__
from ..core.errors import APIStatusError, FastGPTError
from .exit_codes import ExitCode, exit_code_for
from .output import Output, OutputMode
from .settings import ConfigFileError, Settings, resolve

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["State", "app", "run", "state_of"]


class OutputChoice(str, Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"


class CliError(Exception):
    """A failure the command line reports in one line, with its exit status (no traceback)."""

    def __init__(self, message: str, code: ExitCode = ExitCode.FAILURE, *, kind: str = "error") -> None:
        super().__init__(message)
        self.message, self.code, self.kind = message, code, kind


class UsageError(CliError):
    """The command line was used wrongly (a flag's value, a missing argument): exit status 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.USAGE, kind="usage")


class State:
    """What every command shares: the global flags, the output, and a client made on first use."""

    def __init__(self, flags: dict[str, str | None], profile: str | None, out: Output) -> None:
        self.flags = flags
        self.profile = profile
        self.out = out
        self._client: Client | None = None

    def settings(self, **overrides: str | None) -> Settings:
        """The resolved settings; `overrides` (a command's own `--app-id`) count as flags."""
        flags = {**self.flags, **{k: v for k, v in overrides.items() if v}}
        return resolve(flags, profile=self.profile)

    def client(self, *, app_id: str | None = None, need_key: bool = True) -> Client:
        from ..client import Client

        settings = self.settings(app_id=app_id)
        if need_key and not settings.api_key:
            raise CliError(
                "no API key: pass --api-key, set FASTGPT_API_KEY, or save one with"
                " `fastgpt-oapi config set api_key -` (reads it from stdin)",
                ExitCode.AUTH,
                kind="authentication",
            )
        builder = Client.builder().base_url(settings.base_url).app_id(settings.app_id)
        if settings.api_key:
            builder = builder.api_key(settings.api_key)
        self._client = builder.build()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


_current: State | None = None


def _current_state() -> State | None:
    """The running command's state, set by the root callback (None if parsing failed before it)."""
    return _current


def state_of(ctx: typer.Context) -> State:
    state = ctx.find_root().obj
    assert isinstance(state, State)
    return state


def _print_version(value: bool) -> None:
    if value:
        print(f"fastgpt-oapi {__version__}")
        raise typer.Exit()


app = typer.Typer(
    name="fastgpt-oapi",
    help="FastGPT from the command line: chat, knowledge bases, histories, logs, and an emulator.\n\n"
    "Connects with --base-url/--api-key/--app-id, else FASTGPT_BASE_URL/FASTGPT_API_KEY/FASTGPT_APP_ID,"
    " else the profile saved by `config set`. These options may come before or after the command.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="FastGPT's address, e.g. https://fastgpt.example.com/api")
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key", help="An API key (prefer FASTGPT_API_KEY or a profile)", show_default=False
        ),
    ] = None,
    app_id: Annotated[str | None, typer.Option("--app-id", help="The app to chat with or read")] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile", help="A profile of the config file (default: FASTGPT_PROFILE, else 'default')"
        ),
    ] = None,
    output: Annotated[
        OutputChoice | None,
        typer.Option(
            "--output", "-o", help="text, json or jsonl (default: text on a terminal, JSON when piped)"
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_print_version, is_eager=True, help="Print the version"),
    ] = False,
) -> None:
    global _current
    mode: OutputMode | None = None if output is None else output.value
    _current = ctx.obj = State(
        {"base_url": base_url, "api_key": api_key, "app_id": app_id}, profile, Output(mode)
    )


def _register() -> None:
    # One line per group; each module imports the SDK's models inside its commands, not at the top.
    from .commands import chat, check, completion, config, emulator, history, kb, logs, schema

    app.add_typer(config.app, name="config")
    app.add_typer(kb.app, name="kb")
    app.command("schema")(schema.schema)
    app.command("completion")(completion.completion)
    app.command("emulator")(emulator.emulator)
    app.command("chat")(chat.chat)
    app.add_typer(history.app, name="history")
    app.add_typer(logs.app, name="logs")
    app.add_typer(check.app, name="check")


_register()


def _report(error: BaseException, out: Output) -> int:
    if isinstance(error, CliError):
        out.error(error.message, kind=error.kind, code=error.code)
        return error.code
    if isinstance(error, ConfigFileError):
        out.error(str(error), kind="config", code=ExitCode.FAILURE)
        return ExitCode.FAILURE
    code = exit_code_for(error)
    status = error.status_code if isinstance(error, APIStatusError) else None
    out.error(str(error), kind=type(error).__name__, code=code, status=status)
    return code


# The global options take a value each; they may also come after the command (`kb list -o json`), as
# gh and kubectl allow, and are moved before it for the parser. `--` ends the options, as usual.
_GLOBAL_OPTIONS = frozenset({"--base-url", "--api-key", "--app-id", "--profile", "--output", "-o"})


def hoist_global_options(argv: Sequence[str]) -> list[str]:
    front: list[str] = []
    rest: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--":
            rest.append(arg)
            rest.extend(args)
            break
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg
        if name in _GLOBAL_OPTIONS and rest:
            front.append(arg)
            if "=" not in arg:
                front.append(next(args, ""))
        else:
            rest.append(arg)
    return [*front, *rest]


def run(argv: Sequence[str], *, prog_name: str = "fastgpt-oapi") -> int:
    """Run one command line; returns the exit status."""
    global _current
    _current = None
    command = typer.main.get_command(app)
    try:
        result = command.main(args=hoist_global_options(argv), prog_name=prog_name, standalone_mode=False)
        return result if isinstance(result, int) else 0
    except (FastGPTError, CliError, ConfigFileError) as error:
        state = _current_state()
        return _report(error, state.out if state else Output())
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.Abort:  # Ctrl-C or end of input at a prompt
        print("Aborted.", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Exception as error:  # a click usage error, or a bug
        return _usage_or_bug(error)
    finally:
        state = _current_state()
        if state is not None:
            state.close()


def _usage_or_bug(error: Exception) -> int:
    show = getattr(error, "show", None)
    exit_code = getattr(error, "exit_code", None)
    if callable(show) and isinstance(exit_code, int):  # click's UsageError / ClickException
        show()
        return exit_code
    traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    print("fastgpt-oapi: internal error (a bug: please report it with the lines above)", file=sys.stderr)
    return ExitCode.FAILURE
