"""The emulator as a standalone server, until Ctrl-C or SIGTERM: what `fastgpt-oapi emulator` runs.

`run(EmulatorOptions(...))` builds the emulator (the built-in apps, plus the scripted apps of `apps`),
serves it with its admin API (`admin.py`) on `host`:`port`, prints where it is, and blocks until
SIGINT or SIGTERM (or `stop` is set); it returns the exit code and prints its own errors, one line on
stderr:

| code | when |
|---|---|
| 0 | stopped by SIGINT, SIGTERM or `stop` |
| 1 | the address cannot be listened on (a port in use, a host not on this machine) |
| 2 | bad options: an apps file that is not valid, an unknown language, a malformed version |

What it prints, on stdout: when stdout is not a terminal, exactly one JSON line,
`{"base_url": ..., "api_key": ..., "apps": {name: id}}`, flushed as soon as the server listens; on a
terminal, the same as text, and the hint to stop it on stderr. `main(argv)` is the same with its own
argument parser (`python -m fastgpt_oapi.testing.standalone --port 0`), for running it without the
command line's extra.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TextIO, get_args

from .admin import ADMIN_PREFIX, AdminFront
from .apps import Language, builtin_apps
from .fake import LATEST_VERSION, FakeFastGPT, storage_origin
from .knowledge import KNOWLEDGE_APP_ID
from .routes import parse_version
from .scripted import AppsFileError, ScriptedApp, load_apps
from .server import LoopbackServer

__all__ = ["DEV_API_KEY", "EmulatorOptions", "OptionsError", "Serving", "build", "main", "run"]

# The key the standalone emulator accepts unless told another: FakeFastGPT's own default, fixed and
# documented so that a front end's test settings can name it. It guards nothing but test data.
DEV_API_KEY = "fastgpt-test"


@dataclass(frozen=True)
class EmulatorOptions:
    """The `emulator` command's flags. `port=0` picks a free port; `version=None` plays the newest
    FastGPT the emulator follows (or `FASTGPT_EMULATOR_VERSION`); `apps`: a scripted apps file."""

    host: str = "127.0.0.1"
    port: int = 3000
    language: str = "en"
    version: str | None = None
    training_delay: float = 0.0
    api_key: str = DEV_API_KEY
    apps: Path | None = None


class OptionsError(ValueError):
    """Options that cannot be served (exit code 2); the message names the option."""


@dataclass(frozen=True)
class Serving:
    """Where the running emulator is: what `run` prints."""

    base_url: str
    api_key: str
    apps: dict[str, str]

    def as_json(self) -> str:
        return json.dumps(
            {"base_url": self.base_url, "api_key": self.api_key, "apps": self.apps}, ensure_ascii=False
        )


def _scripted_id(name: str) -> str:
    """A scripted app's id when its file gives none: the same for the same name, run after run, so a
    front end's settings can keep it."""
    return hashlib.sha256(f"fastgpt-oapi scripted app {name}".encode()).hexdigest()[:24]


def build(options: EmulatorOptions) -> AdminFront:
    """The emulator the options describe, behind its admin API. `OptionsError` names what is wrong."""
    if options.language not in get_args(Language):
        raise OptionsError(
            f"--language must be one of {', '.join(get_args(Language))}, got {options.language!r}"
        )
    if options.version is not None:
        try:
            parse_version(options.version)
        except ValueError as exc:
            raise OptionsError(f"--version: {exc}") from None
    if options.training_delay < 0:
        raise OptionsError("--training-delay cannot be negative")
    if not options.api_key.strip():
        raise OptionsError("--api-key cannot be empty")
    scripted: list[ScriptedApp] = []
    if options.apps is not None:
        reserved = frozenset(name for name, _ in builtin_apps().values()) | {"knowledge"}
        try:
            scripted = load_apps(options.apps, reserved=reserved)
        except AppsFileError as exc:
            raise OptionsError(f"--apps {exc}") from None
    ids = {app.name: app.app_id or _scripted_id(app.name) for app in scripted}
    taken = set(builtin_apps()) | {KNOWLEDGE_APP_ID}
    for app in scripted:
        if ids[app.name] in taken:
            raise OptionsError(
                f"--apps {options.apps}: app {app.name!r}: id {ids[app.name]} is a built-in app's id"
            )
    language: Language = options.language  # type: ignore[assignment]

    def make() -> FakeFastGPT:
        fake = FakeFastGPT(
            api_key=options.api_key,
            version=options.version,
            training_delay=options.training_delay,
            language=language,
        )
        for app in scripted:
            fake.register_app(app, name=app.name, app_id=ids[app.name])
        return fake

    return AdminFront(make)


def _human(serving: Serving, fake: FakeFastGPT) -> str:
    width = max(map(len, serving.apps))
    lines = [
        f"FastGPT emulator (FastGPT {fake.version}, {fake.language}) at {serving.base_url}",
        f"API key: {serving.api_key}",
        "Apps:",
        *(
            f"  {name:<{width}}  {app_id}" + ("  (default)" if app_id == fake.app_id else "")
            for name, app_id in serving.apps.items()
        ),
        f"Admin API: {serving.base_url}{ADMIN_PREFIX}",
    ]
    return "\n".join(lines)


def run(
    options: EmulatorOptions,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Serve until SIGINT or SIGTERM (when called on the main thread) or until `stop` is set; the exit
    code (see the module's table)."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    stop = stop if stop is not None else threading.Event()
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():

        def stopping(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, stopping)
    try:
        try:
            front = build(options)
        except OptionsError as exc:
            print(f"error: {exc}", file=err, flush=True)
            return 2
        try:
            server = LoopbackServer(front, host=options.host, port=options.port)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            hint = " (another --port, or --port 0 for a free one)" if options.port else ""
            print(
                f"error: cannot listen on {options.host}:{options.port}: {reason}{hint}", file=err, flush=True
            )
            return 1
        front.storage_origin = storage_origin(server.base_url)
        front.fake.storage.origin = front.storage_origin
        server.start()
        try:
            serving = Serving(server.base_url, options.api_key, dict(front.fake.apps))
            if out.isatty():
                print(_human(serving, front.fake), file=out, flush=True)
                print("Ctrl-C stops it.", file=err, flush=True)
            else:
                print(serving.as_json(), file=out, flush=True)
            while not stop.wait(0.5):
                pass
        finally:
            server.stop()
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """`run` with the command's flags parsed from `argv`."""
    parser = argparse.ArgumentParser(
        prog="python -m fastgpt_oapi.testing.standalone",
        description="The FastGPT emulator as a standalone server, until Ctrl-C or SIGTERM.",
    )
    defaults = EmulatorOptions()
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--port", type=int, default=defaults.port, help="0 picks a free port")
    parser.add_argument("--language", default=defaults.language, choices=get_args(Language))
    parser.add_argument(
        "--version", default=None, help=f"the FastGPT version to play (default {LATEST_VERSION})"
    )
    parser.add_argument("--training-delay", type=float, default=defaults.training_delay, metavar="S")
    parser.add_argument("--api-key", default=defaults.api_key, metavar="K")
    parser.add_argument("--apps", type=Path, default=None, metavar="FILE", help="a scripted apps file (JSON)")
    # Each flag's destination is the name of its field in EmulatorOptions.
    return run(EmulatorOptions(**vars(parser.parse_args(argv))))


if __name__ == "__main__":
    sys.exit(main())
