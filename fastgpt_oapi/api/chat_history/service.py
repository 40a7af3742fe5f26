"""`client.chat_history`: histories, records, feedback and question guides of an app, sync and async."""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable, Iterator

from fastgpt_oapi.core.model import OperationResponse
from fastgpt_oapi.core.options import RequestOption
from fastgpt_oapi.core.paging import KeySet, OffsetWalk, awalk, walk
from fastgpt_oapi.core.service import Service

from ._raw import ChatHistoryServiceWithRawResponse
from .model import (
    BatchDeleteHistoriesRequest,
    ChatHistoryItem,
    ChatInitResponse,
    ChatRecord,
    ClearHistoriesRequest,
    CollectionQuoteResponse,
    CreateQuestionGuideRequest,
    DeleteHistoryRequest,
    DeleteRecordRequest,
    DeleteRecordsRequest,
    FeedbackRecordIds,
    GetChatInitRequest,
    GetCollectionQuoteRequest,
    GetFeedbackRecordIdsRequest,
    GetHistoryStatusRequest,
    GetQuoteRequest,
    GetRecordDetailRequest,
    HistoryStatusResponse,
    ListHistoriesRequest,
    ListHistoriesResponse,
    ListRecordsRequest,
    ListRecordsResponse,
    ListRecordsV2Request,
    ListRecordsV2Response,
    MarkReadRequest,
    QuestionGuideResponse,
    QuoteResponse,
    RecordDetailResponse,
    UpdateFeedbackRequest,
    UpdateHistoryRequest,
)

__all__ = ["ChatHistoryService"]


def _history_key(item: ChatHistoryItem) -> Hashable:
    return item.chat_id


def _record_key(record: ChatRecord) -> Hashable:
    if record.id or record.data_id:
        return (record.id, record.data_id)
    return record.model_dump_json()


class ChatHistoryService(Service[ChatHistoryServiceWithRawResponse]):
    """Calls name their app (`app_id` on the request, or the client's default) unless the key is an
    app key (FastGPT >= 4.18.0), which is bound to its app."""

    # ---- histories ----------------------------------------------------------------------------

    def list_histories(
        self, request: ListHistoriesRequest, request_option: RequestOption | None = None
    ) -> ListHistoriesResponse:
        """One page of the app's chats: pinned first, then most recently updated first."""
        return self._http.request(request, request_option)

    async def alist_histories(
        self, request: ListHistoriesRequest, request_option: RequestOption | None = None
    ) -> ListHistoriesResponse:
        return await self._http.arequest(request, request_option)

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

    def update_history(
        self, request: UpdateHistoryRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return self._http.request(request, request_option)

    async def aupdate_history(
        self, request: UpdateHistoryRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return await self._http.arequest(request, request_option)

    def delete_history(
        self, request: DeleteHistoryRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return self._http.request(request, request_option)

    async def adelete_history(
        self, request: DeleteHistoryRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return await self._http.arequest(request, request_option)

    def clear_histories(
        self, request: ClearHistoriesRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return self._http.request(request, request_option)

    async def aclear_histories(
        self, request: ClearHistoriesRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return await self._http.arequest(request, request_option)

    def get_chat_init(
        self, request: GetChatInitRequest, request_option: RequestOption | None = None
    ) -> ChatInitResponse:
        return self._http.request(request, request_option)

    async def aget_chat_init(
        self, request: GetChatInitRequest, request_option: RequestOption | None = None
    ) -> ChatInitResponse:
        return await self._http.arequest(request, request_option)

    # ---- records ------------------------------------------------------------------------------

    def list_records(
        self, request: ListRecordsRequest, request_option: RequestOption | None = None
    ) -> ListRecordsResponse:
        """One page of a chat's records: offset 0 is the newest page, ordered oldest first."""
        return self._http.request(request, request_option)

    async def alist_records(
        self, request: ListRecordsRequest, request_option: RequestOption | None = None
    ) -> ListRecordsResponse:
        return await self._http.arequest(request, request_option)

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

    def get_record_detail(
        self, request: GetRecordDetailRequest, request_option: RequestOption | None = None
    ) -> RecordDetailResponse:
        return self._http.request(request, request_option)

    async def aget_record_detail(
        self, request: GetRecordDetailRequest, request_option: RequestOption | None = None
    ) -> RecordDetailResponse:
        return await self._http.arequest(request, request_option)

    def delete_record(
        self, request: DeleteRecordRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        """Delete one record, by its `data_id`.

        On a server older than 4.14.11 (a bare 404 at `/api/core/chat/record/delete`) the same request
        goes once to `/api/core/chat/item/delete`, and every client sharing these connection pools
        keeps using the path that answered.
        """
        return self._http.request(request, request_option)

    async def adelete_record(
        self, request: DeleteRecordRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return await self._http.arequest(request, request_option)

    # ---- feedback and question guide ----------------------------------------------------------

    def update_feedback(
        self, request: UpdateFeedbackRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        """Set the like AND the dislike of an AI record; one left out (None) is cleared (see the request)."""
        return self._http.request(request, request_option)

    async def aupdate_feedback(
        self, request: UpdateFeedbackRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return await self._http.arequest(request, request_option)

    def get_feedback_record_ids(
        self, request: GetFeedbackRecordIdsRequest, request_option: RequestOption | None = None
    ) -> FeedbackRecordIds:
        """The `data_id`s of a chat's AI records with a like, a dislike or either, oldest first."""
        return self._http.request(request, request_option)

    async def aget_feedback_record_ids(
        self, request: GetFeedbackRecordIdsRequest, request_option: RequestOption | None = None
    ) -> FeedbackRecordIds:
        return await self._http.arequest(request, request_option)

    def create_question_guide(
        self, request: CreateQuestionGuideRequest, request_option: RequestOption | None = None
    ) -> QuestionGuideResponse:
        return self._http.request(request, request_option)

    async def acreate_question_guide(
        self, request: CreateQuestionGuideRequest, request_option: RequestOption | None = None
    ) -> QuestionGuideResponse:
        return await self._http.arequest(request, request_option)

    # ---- FastGPT's newer chat operations ------------------------------------------------------

    def get_history_status(
        self, request: GetHistoryStatusRequest, request_option: RequestOption | None = None
    ) -> HistoryStatusResponse:
        """Generation status and read mark of up to 200 chats in one call (FastGPT >= 4.14.11).

        Chats that do not exist (or were deleted) are left out of the answer.
        """
        return self._http.request(request, request_option)

    async def aget_history_status(
        self, request: GetHistoryStatusRequest, request_option: RequestOption | None = None
    ) -> HistoryStatusResponse:
        return await self._http.arequest(request, request_option)

    def mark_read(
        self, request: MarkReadRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        """Mark a chat as read (`has_been_read`); FastGPT >= 4.14.11."""
        return self._http.request(request, request_option)

    async def amark_read(
        self, request: MarkReadRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return await self._http.arequest(request, request_option)

    def batch_delete_histories(
        self, request: BatchDeleteHistoriesRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        """Delete several chats for good: records and files too, not the soft delete of `delete_history`."""
        return self._http.request(request, request_option)

    async def abatch_delete_histories(
        self, request: BatchDeleteHistoriesRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return await self._http.arequest(request, request_option)

    def delete_records(
        self, request: DeleteRecordsRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        """Delete several records of one chat (`data_ids`) in one call; FastGPT >= 4.15.0."""
        return self._http.request(request, request_option)

    async def adelete_records(
        self, request: DeleteRecordsRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return await self._http.arequest(request, request_option)

    def get_quote(
        self, request: GetQuoteRequest, request_option: RequestOption | None = None
    ) -> QuoteResponse:
        """The text of knowledge-base chunks an AI record cited, as it read when the record was written."""
        return self._http.request(request, request_option)

    async def aget_quote(
        self, request: GetQuoteRequest, request_option: RequestOption | None = None
    ) -> QuoteResponse:
        return await self._http.arequest(request, request_option)

    def get_collection_quote(
        self, request: GetCollectionQuoteRequest, request_option: RequestOption | None = None
    ) -> CollectionQuoteResponse:
        """A page of a cited collection's chunks around a chunk (`initial_id`) or next to a page."""
        return self._http.request(request, request_option)

    async def aget_collection_quote(
        self, request: GetCollectionQuoteRequest, request_option: RequestOption | None = None
    ) -> CollectionQuoteResponse:
        return await self._http.arequest(request, request_option)

    def list_records_v2(
        self, request: ListRecordsV2Request, request_option: RequestOption | None = None
    ) -> ListRecordsV2Response:
        """One page of a chat's records by cursor (`initial_id`, `prev_id`, `next_id`), oldest first."""
        return self._http.request(request, request_option)

    async def alist_records_v2(
        self, request: ListRecordsV2Request, request_option: RequestOption | None = None
    ) -> ListRecordsV2Response:
        return await self._http.arequest(request, request_option)

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
