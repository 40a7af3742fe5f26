"""`fastgpt-oapi kb`: knowledge bases (datasets) and their collections."""

from __future__ import annotations

from typing import Annotated

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
