"""`fastgpt-oapi kb`: knowledge bases (datasets) and their collections."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

from ..app import state_of

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
