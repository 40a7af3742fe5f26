"""Writing an export, shared by `history export` and `logs export`: JSON lines or CSV, to stdout or to a
file written atomically, with progress on stderr.

- JSON lines: one JSON value per line, UTF-8, the SDK's Python (snake_case) field names.
- CSV: RFC 4180 (comma, `"` quoting, CRLF line ends), UTF-8, a header row; a value with a comma, a quote
  or a newline is quoted, so a multi-line answer stays one field; a list or mapping is written as JSON,
  None as an empty field.
- `--out FILE`: written to a temporary file beside FILE and renamed over it at the end, so FILE is either
  the whole export or untouched: a failure midway (a server error, Ctrl-C) removes the temporary file.
- Progress: a live counter on stderr when stderr is a terminal; otherwise one summary line at the end.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from .app import UsageError
from .output import Output, dumps, to_jsonable

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = [
    "ExportFormat",
    "ExportSink",
    "ProgressCounter",
    "export_sink",
    "exporting",
    "format_option",
    "parse_when",
    "since_option",
]


# A shell's status for a program ended by SIGPIPE (128 + 13).
_BROKEN_PIPE = 141


class ExportFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"


# The options both exports take, declared once (`--since` and `--format` with each command's own
# words after the shared ones).
OutFile = Annotated[
    Path | None,
    typer.Option("--out", metavar="FILE", help="Write to FILE (atomically: all or nothing), not stdout"),
]
SINCE_HELP = "Only chats updated at or after this ISO date or date-time (local time without an offset)"


def since_option(more: str = "") -> Any:
    """`--since DATE` (read with `parse_when`)."""
    return typer.Option("--since", metavar="DATE", help=SINCE_HELP + more)


def format_option(rows: str) -> Any:
    """`--format jsonl|csv`; `rows` says what a CSV row is."""
    return typer.Option("--format", help=f"jsonl: one line per chat; csv: {rows}")


def parse_when(text: str | None, *, flag: str) -> datetime | None:
    """An ISO 8601 date (`2026-12-01`) or date and time (`2026-12-01T08:30`, `...+08:00`, `...Z`) as an
    aware datetime; without an offset it is local time (a bare date: local midnight)."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{flag}: {text!r} is not an ISO date or date and time (e.g. 2026-12-01 or 2026-12-01T08:30:00Z)"
        ) from None
    return when if when.tzinfo is not None else when.astimezone()


def _csv_value(value: Any) -> str:
    if isinstance(value, datetime):  # as the JSON lines write it (pydantic's `Z` for UTC)
        value = value.isoformat().replace("+00:00", "Z")
    value = to_jsonable(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return dumps(value)
    return str(value)


class ExportSink:
    """Where the items of one export go: `json(value)` for JSON lines, `row(mapping)` for CSV."""

    def __init__(self, stream: IO[str], fmt: ExportFormat, columns: Sequence[str]) -> None:
        self.format = fmt
        self.columns = list(columns)
        self._stream = stream
        self._csv: Any = None
        if fmt is ExportFormat.csv:
            self._csv = csv.writer(stream, lineterminator="\r\n")
            self._csv.writerow(self.columns)

    def json(self, value: Any) -> None:
        self._stream.write(dumps(value) + "\n")

    def row(self, values: Mapping[str, Any]) -> None:
        self._csv.writerow([_csv_value(values.get(name)) for name in self.columns])


@contextmanager
def export_sink(
    out: Output, fmt: ExportFormat, path: Path | None, *, columns: Sequence[str]
) -> Iterator[ExportSink]:
    """An `ExportSink` on stdout, or on a temporary file renamed to `path` when the block ends without
    an exception (removed when it raises)."""
    if path is None:
        stream = out.stdout
        reconfigure = getattr(stream, "reconfigure", None)
        if callable(reconfigure):  # UTF-8 whatever the locale says; CSV keeps its own CRLF
            reconfigure(encoding="utf-8", newline="" if fmt is ExportFormat.csv else None)
        try:
            yield ExportSink(stream, fmt, columns)
            stream.flush()
        except BrokenPipeError:
            # The reader stopped (`| head`): end quietly, as shell tools do, with 128 + SIGPIPE. What is
            # still buffered goes nowhere (so Python's own flush at exit fails no more).
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
            raise typer.Exit(_BROKEN_PIPE) from None
        return
    target = path.expanduser()
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"--out: no folder {str(folder)!r}")
    fd, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".part")
    temp = Path(temp_name)
    try:
        with open(fd, "w", encoding="utf-8", newline="") as stream:
            yield ExportSink(stream, fmt, columns)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp makes the file 0600; give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        out.hint(f"{target} not written: the export stopped")
        raise


@contextmanager
def exporting(
    out: Output,
    label: str,
    fmt: ExportFormat,
    path: Path | None,
    *,
    columns: Sequence[str],
    units: Sequence[str],
) -> Iterator[tuple[ExportSink, ProgressCounter]]:
    """One export: its sink (`export_sink`) and its progress counted in `units` (`ProgressCounter`);
    the summary line once the export is written, none when it stops."""
    with (
        ProgressCounter(out, label, *units) as progress,
        export_sink(out, fmt, path, columns=columns) as sink,
    ):
        yield sink, progress
    progress.done(path)


class ProgressCounter:
    """Counts what an export has done: a live line on a terminal's stderr (rich), else nothing until
    `done()` prints one summary line."""

    def __init__(self, out: Output, label: str, *units: str) -> None:
        self._out = out
        self._label = label
        self.counts: dict[str, int] = dict.fromkeys(units, 0)
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if out.stderr_is_terminal:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=out.err_console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._text())

    def _text(self) -> str:
        return f"{self._label}: " + ", ".join(
            f"{n} {unit}{'' if n == 1 else 's'}" for unit, n in self.counts.items()
        )

    def add(self, unit: str, n: int = 1) -> None:
        self.counts[unit] += n
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=self._text())

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def done(self, where: Path | None) -> None:
        self.close()
        self._out.hint(self._text() + (f" written to {where}" if where is not None else ""))

    def __enter__(self) -> ProgressCounter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
