"""`fastgpt-oapi logs`: an app's chat log (one entry per chat, with its counters)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

import typer

from ..app import state_of
from ..export import ExportFormat, OutFile, exporting, format_option, parse_when, since_option

app = typer.Typer(help="The app's chat log: export it.", no_args_is_help=True)

# The CSV columns: AppLogItem's fields (fastgpt_oapi.api.app_logs.model), in its order; a test holds
# them to the model, and docs/cli.md lists them.
CSV_COLUMNS = (
    "id",
    "chat_id",
    "title",
    "custom_title",
    "source",
    "source_name",
    "update_time",
    "create_time",
    "message_count",
    "user_good_feedback_count",
    "user_bad_feedback_count",
    "custom_feedbacks_count",
    "mark_count",
    "average_response_time",
    "error_count",
    "total_points",
    "out_link_uid",
    "tmb_id",
    "source_member",
    "version_name",
    "origin_ip",
    "region",
)

# FastGPT's log range is required; without --since the export starts at the Unix epoch (everything).
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@app.command("export")
def export(
    ctx: typer.Context,
    since: Annotated[str | None, since_option()] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", metavar="DATE", help="Only chats updated at or before this (default: now)"),
    ] = None,
    fmt: Annotated[ExportFormat, format_option("one row per chat")] = ExportFormat.jsonl,
    out_file: OutFile = None,
) -> None:
    """The app's chat log (--app-id): every logged chat in the date range, with its counters.

    Walks `logs/search` by cursor (FastGPT >= 4.18.0), else the older paged `logs/list`.
    """
    from ...api.app_logs.model import ListLogsRequest

    state = state_of(ctx)
    start = parse_when(since, flag="--since") or _EPOCH
    end = parse_when(until, flag="--until") or datetime.now(timezone.utc)
    client = state.client()
    request = ListLogsRequest(date_start=start, date_end=end, page_size=50)
    writing = exporting(state.out, "logs export", fmt, out_file, columns=CSV_COLUMNS, units=("chat",))
    with writing as (sink, progress):
        for item in client.app_logs.iter_logs(request):
            if sink.format is ExportFormat.jsonl:
                sink.json(item)
            else:
                sink.row(item.model_dump(mode="json"))
            progress.add("chat")
