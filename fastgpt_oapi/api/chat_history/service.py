"""`client.chat_history`: histories, records, feedback and question guides of an app, sync and async."""

from __future__ import annotations

from ._calls import ChatHistoryCalls

__all__ = ["ChatHistoryService"]


class ChatHistoryService(ChatHistoryCalls):
    """Calls name their app (`app_id` on the request, or the client's default) unless the key is an
    app key (FastGPT >= 4.18.0), which is bound to its app.

    Every method is generated (`_calls.py`): the one-request calls, and the walks over the paged lists
    (`iter_histories`, `iter_records`, `iter_records_v2`, each along its request's `walk_plan()`)."""
