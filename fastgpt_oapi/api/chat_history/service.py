"""`client.chat_history`: histories, records, feedback and question guides of an app, sync and async."""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable, Iterator
from typing import TYPE_CHECKING

from fastgpt_oapi.core.model import OperationResponse
from fastgpt_oapi.core.options import RequestOption
from fastgpt_oapi.core.paging import OffsetPager, aiterate_pages, at_offset, iterate_pages

from .model import (
    ChatHistoryItem,
    ChatInitResponse,
    ChatRecord,
    ClearHistoriesRequest,
    CreateQuestionGuideRequest,
    DeleteHistoryRequest,
    DeleteRecordRequest,
    GetChatInitRequest,
    GetRecordDetailRequest,
    ListHistoriesRequest,
    ListHistoriesResponse,
    ListRecordsRequest,
    ListRecordsResponse,
    QuestionGuideResponse,
    RecordDetailResponse,
    UpdateFeedbackRequest,
    UpdateHistoryRequest,
)

if TYPE_CHECKING:
    from fastgpt_oapi.core.http import Sender

__all__ = ["ChatHistoryService"]


def _history_key(item: ChatHistoryItem) -> Hashable:
    return item.chat_id


def _record_key(record: ChatRecord) -> Hashable:
    if record.id or record.data_id:
        return (record.id, record.data_id)
    return record.model_dump_json()


class ChatHistoryService:
    """Every call needs an app id: on the request, or the client's default (`Client.builder().app_id`)."""

    def __init__(self, http: Sender) -> None:
        self._http = http

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
        return iterate_pages(
            lambda offset: self.list_histories(at_offset(request, offset), request_option),
            OffsetPager(offset=request.offset, page_size=request.page_size, key=_history_key),
        )

    def aiter_histories(
        self, request: ListHistoriesRequest, request_option: RequestOption | None = None
    ) -> AsyncIterator[ChatHistoryItem]:
        """Call without `await`: `async for chat in client.chat_history.aiter_histories(request)`."""
        return aiterate_pages(
            lambda offset: self.alist_histories(at_offset(request, offset), request_option),
            OffsetPager(offset=request.offset, page_size=request.page_size, key=_history_key),
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
        return iterate_pages(
            lambda offset: self.list_records(at_offset(request, offset), request_option),
            OffsetPager(
                offset=request.offset, page_size=request.page_size, key=_record_key, newest_first=True
            ),
        )

    def aiter_records(
        self, request: ListRecordsRequest, request_option: RequestOption | None = None
    ) -> AsyncIterator[ChatRecord]:
        """Async `iter_records` (newest first); call without `await`."""
        return aiterate_pages(
            lambda offset: self.alist_records(at_offset(request, offset), request_option),
            OffsetPager(
                offset=request.offset, page_size=request.page_size, key=_record_key, newest_first=True
            ),
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
        """Set the like AND the dislike of an AI record; a None clears that one (see the request)."""
        return self._http.request(request, request_option)

    async def aupdate_feedback(
        self, request: UpdateFeedbackRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return await self._http.arequest(request, request_option)

    def create_question_guide(
        self, request: CreateQuestionGuideRequest, request_option: RequestOption | None = None
    ) -> QuestionGuideResponse:
        return self._http.request(request, request_option)

    async def acreate_question_guide(
        self, request: CreateQuestionGuideRequest, request_option: RequestOption | None = None
    ) -> QuestionGuideResponse:
        return await self._http.arequest(request, request_option)
