"""`fastgpt-oapi history`: an app's chats and their records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..app import UsageError, state_of
from ..export import ExportFormat, OutFile, exporting, format_option, parse_when, since_option

if TYPE_CHECKING:
    from ...api.chat_history.model import ChatHistoryItem, ChatRecord

app = typer.Typer(help="Chat histories: export every chat of an app with its records.", no_args_is_help=True)

# One CSV row per record, its chat's columns first (docs/cli.md lists them): these from the chat's
# attributes named beside them, then the record's attributes of the columns' names.
_CHAT_COLUMNS = {"chat_id": "chat_id", "chat_title": "display_title", "chat_update_time": "update_time"}
_RECORD_COLUMNS = (
    "data_id",
    "obj",
    "time",
    "text",
    "reasoning",
    "user_good_feedback",
    "user_bad_feedback",
    "error_msg",
    "duration_seconds",
)
CSV_COLUMNS = (*_CHAT_COLUMNS, *_RECORD_COLUMNS)

# Pages of histories and of records: FastGPT's own list pages are of this order.
_PAGE = 20


def _csv_row(chat: ChatHistoryItem, record: ChatRecord) -> dict[str, Any]:
    return {
        **{column: getattr(chat, name) for column, name in _CHAT_COLUMNS.items()},
        **{column: getattr(record, column) for column in _RECORD_COLUMNS},
    }


@app.command("export")
def export(
    ctx: typer.Context,
    since: Annotated[str | None, since_option("; such a chat is exported whole")] = None,
    fmt: Annotated[ExportFormat, format_option("one row per record")] = ExportFormat.jsonl,
    out_file: OutFile = None,
) -> None:
    """Every chat of the app (--app-id) with its records, oldest record first.

    JSON lines: one line per chat, its history fields and `records`. CSV: one row per record, with its
    chat's id, title and update time. Progress goes to stderr.
    """
    from ...api.chat_history.model import ListHistoriesRequest, ListRecordsRequest

    state = state_of(ctx)
    since_at = parse_when(since, flag="--since")
    app_id = state.settings().app_id
    if not app_id:
        raise UsageError("no app: pass --app-id, set FASTGPT_APP_ID, or save app_id in a profile")
    client = state.client()
    history = client.chat_history
    listing = ListHistoriesRequest(app_id=app_id, page_size=_PAGE, start_update_time=since_at)
    with exporting(
        state.out, "history export", fmt, out_file, columns=CSV_COLUMNS, units=("chat", "record")
    ) as (sink, progress):
        for chat in history.iter_histories(listing):
            # FastGPT filters by `startUpdateTime` (`updateTime: {$gte}` in
            # projects/app/src/pages/api/core/chat/history/getHistories.ts @054c3f18); this check holds a
            # server that ignores it to the same rule.
            if since_at is not None and chat.update_time is not None and chat.update_time < since_at:
                continue
            newest_first = list(
                history.iter_records(ListRecordsRequest(app_id=app_id, chat_id=chat.chat_id, page_size=_PAGE))
            )
            records = newest_first[::-1]
            if sink.format is ExportFormat.jsonl:
                sink.json({**chat.model_dump(mode="json"), "records": records})
            else:
                for record in records:
                    sink.row(_csv_row(chat, record))
            progress.add("chat")
            progress.add("record", len(records))
