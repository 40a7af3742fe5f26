"""What the command line prints, and where: data to stdout, progress, hints and errors to stderr.

On a terminal data is text (tables for lists); piped, it is JSON: one object for a single result, JSON
lines for a list or a stream of items, so `| jq` and line-by-line readers both work. `--output
text|json|jsonl` forces one: `json` makes a list one JSON array, `jsonl` puts a single result on one line.
JSON carries the SDK's Python (snake_case) field names.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["Output", "OutputMode", "to_jsonable"]

OutputMode = Literal["text", "json", "jsonl"]


def to_jsonable(value: Any) -> Any:
    """Plain JSON values for a response model, dataclass, enum, date, path, or containers of them."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def dumps(value: Any) -> str:
    return json.dumps(to_jsonable(value), ensure_ascii=False, separators=(",", ":"))


class Output:
    """The output of one command run."""

    def __init__(
        self,
        mode: OutputMode | None = None,
        *,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
    ) -> None:
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.forced = mode
        self.is_terminal = self.stdout.isatty()
        self.stderr_is_terminal = self.stderr.isatty()
        self._console: Console | None = None
        self._err_console: Console | None = None

    def mode(self, kind: Literal["object", "items"] = "object") -> OutputMode:
        if self.forced is not None:
            return self.forced
        if self.is_terminal:
            return "text"
        return "json" if kind == "object" else "jsonl"

    @property
    def machine(self) -> bool:
        """True when data goes out as JSON (piped, or forced)."""
        return self.mode() != "text"

    # ---- rich consoles, made on first use (rich is slow to import) ----

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.stdout, highlight=False, soft_wrap=True)
        return self._console

    @property
    def err_console(self) -> Console:
        if self._err_console is None:
            from rich.console import Console

            self._err_console = Console(file=self.stderr, highlight=False, soft_wrap=True)
        return self._err_console

    # ---- data ----

    def write(self, text: str) -> None:
        """Raw text to stdout, flushed (a streamed answer)."""
        self.stdout.write(text)
        self.stdout.flush()

    def json_line(self, value: Any) -> None:
        self.write(dumps(value) + "\n")

    def result(self, value: Any, *, text: Callable[[], None] | str | None = None) -> None:
        """One result: JSON when machine-read; on a terminal `text` (a string, or a function that
        prints), else the JSON indented."""
        mode = self.mode("object")
        if mode != "text":
            self.json_line(value)
        elif callable(text):
            text()
        elif text is not None:
            self.write(text if text.endswith("\n") else text + "\n")
        else:
            self.write(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2) + "\n")

    def items(
        self,
        rows: Iterable[Any],
        *,
        columns: Sequence[tuple[str, Callable[[Any], object]]],
        title: str | None = None,
    ) -> int:
        """A list or stream of items; returns how many. JSON lines go out as items arrive; a JSON array
        and a table once all are in."""
        mode = self.mode("items")
        count = 0
        if mode == "jsonl":
            for row in rows:
                self.json_line(row)
                count += 1
            return count
        collected = list(rows)
        if mode == "json":
            self.write(json.dumps(to_jsonable(collected), ensure_ascii=False) + "\n")
            return len(collected)
        from rich.table import Table

        table = Table(title=title, show_edge=False, header_style="bold")
        for name, _ in columns:
            table.add_column(name, overflow="fold")
        for row in collected:
            table.add_row(*("" if (v := get(row)) is None else str(v) for _, get in columns))
        self.console.print(table)
        return len(collected)

    # ---- everything else goes to stderr ----

    @contextmanager
    def progress(self, description: str, *, unit: Literal["bytes", "items"] = "items") -> Iterator[Bar]:
        """A progress bar on stderr while the block runs, when stderr is a terminal; otherwise a bar
        that draws nothing (a log or a pipe wants the summary, not redraws)."""
        if not self.stderr_is_terminal:
            yield Bar()
            return
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        counts = (DownloadColumn(), TransferSpeedColumn()) if unit == "bytes" else (MofNCompleteColumn(),)
        columns = (TextColumn("{task.description}"), BarColumn(), *counts, TimeRemainingColumn())
        with Progress(*columns, console=self.err_console, transient=False) as shown:
            task = shown.add_task(description, total=None)
            yield Bar(
                lambda done, total, label: shown.update(task, completed=done, total=total, description=label)
            )

    def hint(self, message: str) -> None:
        """A hint or progress note for a person; stderr, dimmed on a terminal."""
        if self.stderr_is_terminal:
            self.err_console.print(message, style="dim", markup=False)
        else:
            print(message, file=self.stderr, flush=True)

    def error(self, message: str, *, kind: str, code: int, status: int | None = None) -> None:
        """`fastgpt-oapi: error: ...` on stderr; when data is JSON, the same as one JSON line a program can
        read: `{"error": {"kind", "message", "exit_code", "status"}}`."""
        if self.machine:
            error: dict[str, Any] = {"kind": kind, "message": message, "exit_code": code}
            if status is not None:
                error["status"] = status
            print(dumps({"error": error}), file=self.stderr, flush=True)
        elif self.stderr_is_terminal:
            self.err_console.print(f"[bold red]error:[/] {_escape(message)}")
        else:
            print(f"fastgpt-oapi: error: {message}", file=self.stderr, flush=True)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


class Bar:
    """A progress bar's handle: `update(done, total)`; `label` replaces the description."""

    def __init__(self, draw: Callable[[int, int | None, str | None], object] | None = None) -> None:
        self._draw = draw
        self._label: str | None = None

    def update(self, done: int, total: int | None = None, label: str | None = None) -> None:
        if self._draw is not None:
            self._label = label or self._label
            self._draw(done, total, self._label)
