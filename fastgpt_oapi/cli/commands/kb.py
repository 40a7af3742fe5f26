"""`fastgpt-oapi kb`: knowledge bases (datasets) and their collections."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..app import CliError, State, UsageError, state_of
from ..exit_codes import ExitCode

if TYPE_CHECKING:
    from ...api.dataset.model import CollectionDetail, MirrorProgress, TrainingProgress
    from ...client import Client
    from ...core.errors import PushAllError

app = typer.Typer(
    help="Knowledge bases: list, search, mirror a folder, import data, wait for training.",
    no_args_is_help=True,
)


@app.command("list")
def list_(
    ctx: typer.Context,
    parent_id: Annotated[
        str | None, typer.Option("--parent-id", help="A folder's id (default: the top level)")
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", help="Only datasets whose name contains this")
    ] = None,
) -> None:
    """The datasets of one folder, most recently updated first."""
    from ...api.dataset.model import ListDatasetsRequest

    state = state_of(ctx)
    builder = ListDatasetsRequest.builder()
    if parent_id:
        builder = builder.parent_id(parent_id)
    if search:
        builder = builder.search_key(search)
    datasets = state.client().dataset.list_datasets(builder.build()).list
    state.out.items(
        datasets,
        columns=[
            ("id", lambda d: d.id),
            ("name", lambda d: d.name),
            ("type", lambda d: d.type),
            ("updated", lambda d: d.update_time and d.update_time.strftime("%Y-%m-%d %H:%M")),
        ],
    )


def _wait_trained(
    state: State, client: Client, ids: list[str], *, timeout: float = 600.0, poll_interval: float = 2.0
) -> list[CollectionDetail]:
    """`wait_for_training` for all of `ids`, with one bar of the chunks trained across them."""
    with state.out.progress("training") as bar:
        start: list[int] = []  # the chunks left at the first poll: the bar's length

        def trained(progress: TrainingProgress) -> None:
            start.append(progress.remaining)
            bar.update(
                start[0] - progress.remaining, start[0], f"trained {progress.finished}/{progress.total}"
            )

        return client.dataset.wait_for_training(
            ids, timeout=timeout, poll_interval=poll_interval, on_progress=trained
        )


def _confirm_or_refuse(state: State, question: str, *, yes: bool) -> None:
    """A destructive step: asked on a terminal; refused without --yes when stdin is not one."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(f"{question} Refused: stdin is not a terminal; pass --yes to confirm.")
    if not typer.confirm(question, default=False, err=True):
        raise CliError("nothing done", ExitCode.FAILURE, kind="cancelled")


@app.command()
def sync(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="The folder to mirror", exists=True, file_okay=False)],
    dataset: Annotated[str, typer.Option("--dataset", help="The dataset's id")],
    pattern: Annotated[
        str | None,
        typer.Option("--pattern", help="Only files matching this glob (a relative path, or a name)"),
    ] = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete the mirror's collections whose file is gone")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would happen; send no write")] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Then wait until what was uploaded is trained")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm --prune without asking")] = False,
    poll_interval: Annotated[
        float, typer.Option("--poll-interval", help="With --wait: seconds between polls")
    ] = 2.0,
) -> None:
    """Mirror a folder into a dataset: one file collection per file, named by its relative path.

    Unchanged files (same content hash, kept in the collection's metadata) are skipped, changed ones
    replaced; a run that failed midway, run again, does only what is left. The summary goes to stdout
    (JSON when piped); exit 1 when a file failed."""
    state = state_of(ctx)
    client = state.client()
    if prune and not dry_run:
        planned = client.dataset.mirror_folder(dataset, folder, pattern=pattern, prune=True, dry_run=True)
        if planned.deleted:
            shown = ", ".join(planned.deleted[:5]) + (" ..." if len(planned.deleted) > 5 else "")
            _confirm_or_refuse(state, f"Delete {len(planned.deleted)} collection(s) ({shown})?", yes=yes)
    with state.out.progress("uploading", unit="bytes") as bar:

        def uploaded(event: MirrorProgress) -> None:
            label = f"{event.files_done}/{event.files_total} files" + (f" {event.path}" if event.path else "")
            bar.update(event.bytes_done, event.bytes_total, label)

        result = client.dataset.mirror_folder(
            dataset, folder, pattern=pattern, prune=prune, dry_run=dry_run, on_progress=uploaded
        )
    if wait and result.collection_ids:
        _wait_trained(state, client, result.collection_ids, poll_interval=poll_interval)
    summary = result.summary()

    def text() -> None:
        verb = "would be " if dry_run else ""
        counts = ", ".join(
            f"{summary[key]} {verb}{key}" for key in ("created", "updated", "unchanged", "deleted")
        )
        lines = [counts, *(f"failed: {f['path']}: {f['error']}: {f['message']}" for f in summary["failed"])]
        state.out.write("\n".join(lines) + "\n")

    state.out.result(summary, text=text)
    if summary["failed"]:
        raise typer.Exit(ExitCode.FAILURE)


def _read_items(path: Path) -> Iterator[dict[str, Any]]:
    """The items of a JSON-lines file (`q`, `a`, `indexes`), read as they are sent."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                yield _item(json.loads(line), number)


def _item(value: object, number: int) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("q"), str):
        raise CliError(
            f"line {number}: an item is an object with a string `q`", ExitCode.INVALID, kind="invalid"
        )
    unknown = set(value) - {"q", "a", "indexes", "chunk_index", "chunkIndex", "image_id", "imageId"}
    if unknown:
        raise CliError(f"line {number}: unknown field(s) {sorted(unknown)}", ExitCode.INVALID, kind="invalid")
    return value


def _check_file(path: Path) -> int:
    """Every line checked before anything is sent; the number of items."""
    count = 0
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                _item(json.loads(line), number)
            except json.JSONDecodeError as exc:
                raise CliError(
                    f"{path}, line {number}: not JSON ({exc.msg})", ExitCode.INVALID, kind="invalid"
                ) from None
            count += 1
    return count


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(help="A JSON-lines file: one {q, a, indexes} per line", exists=True, dir_okay=False),
    ],
    collection: Annotated[str, typer.Option("--collection", help="The collection's id")],
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=200, help="Items per request")] = 200,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Requests at a time")] = 4,
    resume_from: Annotated[
        int,
        typer.Option("--resume-from", min=0, help="Skip the items before this one (printed by a failed run)"),
    ] = 0,
    skip_batches: Annotated[
        str | None,
        typer.Option(
            "--skip-batches", help="Batches after --resume-from already in FastGPT (printed by a failed run)"
        ),
    ] = None,
) -> None:
    """Push the items of a JSON-lines file into a collection, in batches, a few at a time. Every line is
    checked before anything is sent. On failure it prints the exact command line to continue: no item
    already in FastGPT is sent again."""
    from ...core.errors import PushAllError

    state = state_of(ctx)
    resume = _resume_token(collection, batch_size, resume_from, skip_batches)
    total = _check_file(file)
    client = state.client()
    try:
        with state.out.progress("importing") as bar:
            result = client.dataset.push_all(
                collection,
                _read_items(file),
                batch_size=batch_size,
                concurrency=concurrency,
                resume=resume,
                on_progress=lambda done, _total: bar.update(done, total),
            )
    except PushAllError as exc:
        again = f"fastgpt-oapi kb import {file} --collection {collection} --batch-size {batch_size} --resume-from {exc.resume_from}"
        if exc.succeeded_later:
            again += " --skip-batches " + ",".join(map(str, exc.succeeded_later))
        state.out.hint(f"stopped at item {exc.resume_from}; continue with:\n  {again}")
        raise exc.__cause__ if isinstance(exc.__cause__, Exception) else exc from None
    state.out.result(
        result, text=f"inserted {result.inserted} of {total} item(s) in {result.batches} batch(es)"
    )


def _resume_token(
    collection: str, batch_size: int, resume_from: int, skip_batches: str | None
) -> PushAllError | None:
    """What a failed run printed, as the SDK's resume token: every batch before `resume_from` and the
    listed later ones are in FastGPT."""
    from ...core.errors import PushAllError

    if resume_from % batch_size:
        raise UsageError(f"--resume-from {resume_from} is not a multiple of --batch-size {batch_size}")
    try:
        later = [int(b) for b in skip_batches.split(",")] if skip_batches else []
    except ValueError:
        raise UsageError("--skip-batches: batch numbers separated by commas") from None
    if not resume_from and not later:
        return None
    first = resume_from // batch_size
    if any(b <= first for b in later):
        raise UsageError("--skip-batches: only batches after --resume-from's")
    return PushAllError(
        "resumed from the command line",
        collection_id=collection,
        batch_size=batch_size,
        failed_batch=first,
        failed_batches=[first],
        inserted=0,
        succeeded_later=later,
    )


@app.command()
def wait(
    ctx: typer.Context,
    collection_ids: Annotated[list[str], typer.Argument(help="Collection ids", metavar="ID...")],
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait at most")] = 600.0,
    poll_interval: Annotated[float, typer.Option("--poll-interval", help="Seconds between polls")] = 2.0,
) -> None:
    """Wait until the collections are trained (searchable); their details as items. Exit 1 when one
    failed to train or the time ran out."""
    state = state_of(ctx)
    client = state.client()
    details = _wait_trained(state, client, collection_ids, timeout=timeout, poll_interval=poll_interval)
    state.out.items(
        details,
        columns=[("id", lambda d: d.id), ("name", lambda d: d.name), ("chunks", lambda d: d.data_amount)],
    )


class SearchModeChoice(str, Enum):
    embedding = "embedding"
    full_text = "fullTextRecall"
    mixed = "mixedRecall"


def _score(result: Any) -> str:
    """The first score of a result (FastGPT's list `[{type, value}]`, or an old server's number)."""
    score = result.score
    if isinstance(score, list):
        return " ".join(f"{s.type} {s.value:.4f}" for s in score[:2])
    return "" if score is None else f"{score:.4f}"


def _short(text: str | None, width: int = 80) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@app.command("search")
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="The text to search for")],
    dataset: Annotated[str, typer.Option("--dataset", help="The dataset's id")],
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help="The most tokens of chunks to return (FastGPT's default 5000)"),
    ] = None,
    similarity: Annotated[
        float | None,
        typer.Option("--similarity", min=0.0, max=1.0, help="The lowest score kept, 0 to 1"),
    ] = None,
    mode: Annotated[
        SearchModeChoice | None, typer.Option("--mode", help="How to search (default: the server's)")
    ] = None,
) -> None:
    """Search a dataset as an app's knowledge-base node would (FastGPT's search test; costs AI points).

    Results best first: a table on a terminal, JSON lines (each result whole) when piped.
    """
    from ...api.dataset.model import SearchTestRequest

    state = state_of(ctx)
    request = SearchTestRequest(
        dataset_id=dataset,
        text=query,
        limit=limit,
        similarity=similarity,
        search_mode=mode.value if mode is not None else None,
    )
    found = state.client().dataset.search_test(request)
    state.out.items(
        found.list,
        columns=[
            ("score", _score),
            ("source", lambda r: r.source_name),
            ("q", lambda r: _short(r.q)),
        ],
    )
