"""`client.chat_history`: histories, records, feedback and question guides of an app, sync and async."""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable, Iterator

from fastgpt_oapi.core.options import RequestOption
from fastgpt_oapi.core.paging import KeySet, OffsetWalk, awalk, walk

from ._calls import ChatHistoryCalls
from .model import (
    ChatHistoryItem,
    ChatRecord,
    ListHistoriesRequest,
    ListRecordsRequest,
    ListRecordsV2Request,
    ListRecordsV2Response,
)

__all__ = ["ChatHistoryService"]


def _history_key(item: ChatHistoryItem) -> Hashable:
    return item.chat_id


def _record_key(record: ChatRecord) -> Hashable:
    if record.id or record.data_id:
        return (record.id, record.data_id)
    return record.model_dump_json()


class ChatHistoryService(ChatHistoryCalls):
    """Calls name their app (`app_id` on the request, or the client's default) unless the key is an
    app key (FastGPT >= 4.18.0), which is bound to its app."""

    # ---- histories ----------------------------------------------------------------------------

    def iter_histories(
        self, request: ListHistoriesRequest, request_option: RequestOption | None = None
    ) -> Iterator[ChatHistoryItem]:
        """Every chat from `request.offset` on, fetching `request.page_size` at a time, in list order.

        A chat that moves up while the walk runs (it got a new message) is yielded once.
        """
        return walk(lambda page: self.list_histories(page, request_option), OffsetWalk(request, _history_key))

    def aiter_histories(
        self, request: ListHistoriesRequest, request_option: RequestOption | None = None
    ) -> AsyncIterator[ChatHistoryItem]:
        """Call without `await`: `async for chat in client.chat_history.aiter_histories(request)`."""
        return awalk(
            lambda page: self.alist_histories(page, request_option), OffsetWalk(request, _history_key)
        )

    # ---- records ------------------------------------------------------------------------------

    def iter_records(
        self, request: ListRecordsRequest, request_option: RequestOption | None = None
    ) -> Iterator[ChatRecord]:
        """A chat's records, NEWEST FIRST, from `request.offset` records back from the newest.

        FastGPT pages from the newest end, so this order needs no look-ahead: stop whenever you have
        seen enough. For reading order, reverse what you collected: `reversed(list(...))`.
        """
        return walk(
            lambda page: self.list_records(page, request_option),
            OffsetWalk(request, _record_key, newest_first=True),
        )

    def aiter_records(
        self, request: ListRecordsRequest, request_option: RequestOption | None = None
    ) -> AsyncIterator[ChatRecord]:
        """Async `iter_records` (newest first); call without `await`."""
        return awalk(
            lambda page: self.alist_records(page, request_option),
            OffsetWalk(request, _record_key, newest_first=True),
        )

    # ---- records by cursor (FastGPT >= 4.14.5) ------------------------------------------------

    def iter_records_v2(
        self, request: ListRecordsV2Request, request_option: RequestOption | None = None
    ) -> Iterator[ChatRecord]:
        """The request's page, then every older record, NEWEST FIRST, `request.page_size` per call.

        Each further page is asked for with `prev_id` = the page's `prev_cursor` (FastGPT >= 4.18.0)
        or, from an older server, the oldest record of the page before, until FastGPT says there is
        nothing older. Without a cursor that is the whole chat, newest first; a
        record is yielded once even if a page repeats it. Deleting that oldest record during the walk
        makes FastGPT refuse the next page ("Prev item not found").
        """
        return walk(lambda page: self.list_records_v2(page, request_option), _OlderRecords(request))

    def aiter_records_v2(
        self, request: ListRecordsV2Request, request_option: RequestOption | None = None
    ) -> AsyncIterator[ChatRecord]:
        """Async `iter_records_v2` (newest first); call without `await`."""
        return awalk(lambda page: self.alist_records_v2(page, request_option), _OlderRecords(request))


class _OlderRecords:
    """The walk of `iter_records_v2`, without I/O: which request to send next, and what to hand out.

    getRecords_v2 pages by cursor, not offset: `prev_id` asks for the records before a record, and
    `has_more_prev` says whether there are any. FastGPT >= 4.18.0 hands the cursor out as
    `prev_cursor` (null at the end), and its pages end on whole turns, so it is followed as given;
    an older server's next cursor is the page's oldest record. Each page arrives oldest first and is handed out
    newest first. The walk ends when nothing older is left, or on a page with nothing new in it (a
    server that ignores the cursor would otherwise be asked the same thing forever).
    """

    def __init__(self, request: ListRecordsV2Request) -> None:
        self._request = request
        self._next: ListRecordsV2Request | None = request
        self._seen = KeySet(_record_key)

    def next_request(self) -> ListRecordsV2Request | None:
        return self._next

    def accept(self, page: ListRecordsV2Response) -> list[ChatRecord]:
        fresh = self._seen.fresh(reversed(page.list))
        if page.sent_cursors:  # FastGPT >= 4.18.0: the page says where the older one starts
            cursor = page.prev_cursor
        else:
            cursor = page.list[0].data_id if page.list and page.has_more_prev else None
        if fresh and cursor:
            update = {"prev_id": cursor, "initial_id": None, "next_id": None}
            self._next = self._request.model_copy(update=update)
        else:
            self._next = None
        return fresh
