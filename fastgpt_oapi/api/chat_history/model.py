"""Chat history: the requests and responses of `client.chat_history`.

With a personal API key every request names its app: set `app_id` on it, or give the client a default;
an app key (FastGPT >= 4.18.0) is bound to its app and needs none. The paths are FastGPT's
root CRUD paths, served from 4.8.12 up to the current release (wire spec section 4).

A stored chat message is one `ChatRecord` whatever its `obj` ("Human", "AI" or "System"): the wire
gives all three the same shape (AI-only fields are just absent on the others), so one model with
`is_human` / `is_ai` / `is_system` reads better than a union that has to be narrowed first.
"""

from __future__ import annotations

import builtins
from collections.abc import Hashable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import AliasChoices, AwareDatetime, Field, ValidationInfo, field_validator, model_validator

from fastgpt_oapi.core.lazy import Builds, builders_on_demand
from fastgpt_oapi.core.model import (
    OBJECT_ID_PATTERN,
    APIRequest,
    AppId,
    FastGPTModel,
    ListData,
    OperationResponse,
    RequestPart,
    Route,
)
from fastgpt_oapi.core.paging import KeySet, OffsetWalk, Page, PagePlan

from ..shared.constants import ChatSource
from ..shared.interactive import Interactive
from ..shared.model import (
    FileValue,
    InteractiveValue,
    NodeResponse,
    QuoteItem,
    QuoteScore,
    ReasoningValue,
    TextValue,
    ValueItem,
    join_text,
)

if TYPE_CHECKING:
    from ._builders import (
        BatchDeleteHistoriesRequestBuilder,
        ClearHistoriesRequestBuilder,
        CreateQuestionGuideRequestBuilder,
        DeleteHistoryRequestBuilder,
        DeleteRecordRequestBuilder,
        DeleteRecordsRequestBuilder,
        GetChatInitRequestBuilder,
        GetCollectionQuoteRequestBuilder,
        GetFeedbackRecordIdsRequestBuilder,
        GetHistoryStatusRequestBuilder,
        GetQuoteRequestBuilder,
        GetRecordDetailRequestBuilder,
        ListHistoriesRequestBuilder,
        ListRecordsRequestBuilder,
        ListRecordsV2RequestBuilder,
        MarkReadRequestBuilder,
        UpdateFeedbackRequestBuilder,
        UpdateHistoryRequestBuilder,
    )

__all__ = [
    "AdminFeedback",
    "AppVariable",
    "BatchDeleteHistoriesRequest",
    "BatchDeleteHistoriesRequestBuilder",
    "ChatConfig",
    "ChatHistoryItem",
    "ChatInitApp",
    "ChatInitResponse",
    "ChatRecord",
    "ChatSource",
    "ClearHistoriesRequest",
    "ClearHistoriesRequestBuilder",
    "CollectionQuoteItem",
    "CollectionQuoteResponse",
    "CreateQuestionGuideRequest",
    "CreateQuestionGuideRequestBuilder",
    "DatasetCiteHistory",
    "DatasetCiteItem",
    "DeleteHistoryRequest",
    "DeleteHistoryRequestBuilder",
    "DeleteRecordRequest",
    "DeleteRecordRequestBuilder",
    "DeleteRecordsRequest",
    "DeleteRecordsRequestBuilder",
    "FeedbackRecordIds",
    "FileValue",
    "GetChatInitRequest",
    "GetChatInitRequestBuilder",
    "GetCollectionQuoteRequest",
    "GetCollectionQuoteRequestBuilder",
    "GetFeedbackRecordIdsRequest",
    "GetFeedbackRecordIdsRequestBuilder",
    "GetHistoryStatusRequest",
    "GetHistoryStatusRequestBuilder",
    "GetQuoteRequest",
    "GetQuoteRequestBuilder",
    "GetRecordDetailRequest",
    "GetRecordDetailRequestBuilder",
    "HistoryStatus",
    "HistoryStatusResponse",
    "InteractiveValue",
    "ListHistoriesRequest",
    "ListHistoriesRequestBuilder",
    "ListHistoriesResponse",
    "ListRecordsRequest",
    "ListRecordsRequestBuilder",
    "ListRecordsResponse",
    "ListRecordsV2Request",
    "ListRecordsV2RequestBuilder",
    "ListRecordsV2Response",
    "MarkReadRequest",
    "MarkReadRequestBuilder",
    "NodeErrorText",
    "NodeResponse",
    "OperationResponse",
    "QuestionGuideConfig",
    "QuestionGuideResponse",
    "QuoteItem",
    "QuoteResponse",
    "QuoteScore",
    "ReasoningValue",
    "RecordDetailResponse",
    "RecordsSource",
    "TextValue",
    "ToolCiteLink",
    "UpdateFeedbackRequest",
    "UpdateFeedbackRequestBuilder",
    "UpdateHistoryRequest",
    "UpdateHistoryRequestBuilder",
    "ValueItem",
]

RecordsSource = Literal["normal", "outLink", "home"]


# ---- responses --------------------------------------------------------------------------------


class ChatHistoryItem(FastGPTModel):
    """One chat in the history list. Listed pinned (`top`) first, then by `update_time`, newest first.

    `GetHistoriesResponseItemSchema` (packages/global/openapi/core/chat/history/api.ts, a361a73d) with
    FastGPT's chat target (packages/global/openapi/core/chat/api.ts, 4b7ed6c0): an app's chat has
    `app_id`; a skill's debug chat has `skill_id` instead (FastGPT >= 4.15.0-5, 6724a1e6);
    `source_type` is "chatAgentHelper" on an app's agent-helper chat (>= 4.15.2) and absent otherwise.
    """

    chat_id: str
    update_time: datetime | None = None
    app_id: str | None = None
    skill_id: str | None = None
    source_type: str | None = None
    custom_title: str | None = None
    title: str = ""
    top: bool | None = None
    # FastGPT >= 4.14.11 (7506a147): 0 generating, 1 done, 2 error.
    chat_generate_status: int | None = None
    has_been_read: bool | None = None

    @property
    def display_title(self) -> str:
        """The title FastGPT shows: the user's custom title, else the generated one."""
        return self.custom_title or self.title


class ListHistoriesResponse(Page[ChatHistoryItem]):
    """A page of histories: `list` and `total` (all chats matching the filter, not just this page)."""


class AppVariable(FastGPTModel):
    """A variable the app asks for before a chat (`chatConfig.variables[]`)."""

    key: str
    label: str | None = None
    type: str | None = None
    required: bool | None = None
    description: str | None = None
    value_type: str | None = None
    default_value: Any = None


class ChatConfig(FastGPTModel):
    """The app's chat settings. Settings whose shape changed across versions stay loosely typed."""

    welcome_text: str | None = None
    instruction: str | None = None
    variables: builtins.list[AppVariable] = Field(default_factory=builtins.list)
    # A bool on old servers, `{open, model?, customPrompt?}` on current ones.
    question_guide: Any = None
    tts_config: dict[str, Any] | None = None
    whisper_config: dict[str, Any] | None = None
    chat_input_guide: dict[str, Any] | None = None
    file_select_config: dict[str, Any] | None = None


class ChatInitApp(FastGPTModel):
    chat_config: ChatConfig = Field(default_factory=ChatConfig)
    chat_models: builtins.list[str] = Field(default_factory=builtins.list)
    name: str = ""
    avatar: str = ""
    intro: str = ""
    can_use: bool | None = None
    # simple, advanced, plugin, chatAgent, ...
    type: str | None = None
    plugin_inputs: builtins.list[dict[str, Any]] = Field(default_factory=builtins.list)
    # The app runs its agent in a sandbox. In FastGPT's response schema since 4.15.0-2 (4a9533a6),
    # though init.ts at f88b51b5 does not fill it yet.
    use_agent_sandbox: bool | None = None


class ChatInitResponse(FastGPTModel):
    """A chat's title and variables, and the app's public configuration (name, models, chat config).

    `InitChatResponseSchema` (packages/global/openapi/core/chat/controler/api.ts, a361a73d). The chat
    target is as on `ChatHistoryItem`: `app_id`, or `skill_id`, and `source_type`.
    """

    chat_id: str | None = None
    app_id: str | None = None
    skill_id: str | None = None
    source_type: str | None = None
    title: str | None = None
    user_avatar: str | None = None
    variables: dict[str, Any] = Field(default_factory=builtins.dict)
    chat_generate_status: int | None = None
    has_been_read: bool | None = None
    app: ChatInitApp = Field(default_factory=ChatInitApp)


class AdminFeedback(FastGPTModel):
    """An annotation an app admin stored into a knowledge base from this record."""

    feedback_data_id: str | None = None
    dataset_id: str | None = None
    collection_id: str | None = None
    q: str | None = None
    a: str | None = None


class ToolCiteLink(FastGPTModel):
    name: str | None = None
    url: str | None = None


class NodeErrorText(FastGPTModel):
    module_name: str | None = None
    error_text: str | None = None


class _Document(FastGPTModel):
    """A document FastGPT stores: `id` is its `_id` (None when the server sent none).

    Beside `_id`, FastGPT sends some with an `id` that copies their `dataId` (records v2:
    `getRecords_v2.ts`) or their `_id` (collection quotes: `getCollectionQuote.ts`, both at f88b51b5).
    That copy is dropped: kept as an unknown field, it would take the same key as `id` in
    `model_dump()`, and one of the two would be lost. An `id` of any other value is kept.
    """

    id: str | None = Field(
        default=None, validation_alias=AliasChoices("_id", "id"), serialization_alias="_id"
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_id_copy(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and "_id" in data
            and "id" in data
            and data["id"] in (data["_id"], data.get("dataId"))
        ):
            return {key: value for key, value in data.items() if key != "id"}
        return data


class ChatRecord(_Document):
    """One stored message of a chat. `obj` is "Human", "AI" or "System".

    `value` holds typed items (text, reasoning, file, tools, interactive, an agent's plan, ...);
    `text` and `reasoning` join them for you. Node details are not part of a record: ask
    `get_record_detail` with `data_id`. Feedback lives on AI records.
    """

    data_id: str = ""
    obj: str
    value: builtins.list[ValueItem] = Field(default_factory=builtins.list)
    time: datetime | None = None
    hide_in_ui: bool | None = Field(default=None, alias="hideInUI")
    duration_seconds: float | None = None
    error_msg: str | None = None
    user_good_feedback: str | None = None
    user_bad_feedback: str | None = None
    admin_feedback: AdminFeedback | None = None
    custom_feedbacks: builtins.list[str] | None = None
    # AI records only
    total_quote_list: builtins.list[QuoteItem] = Field(default_factory=builtins.list)
    tool_cite_links: builtins.list[ToolCiteLink] | None = None
    error_text: NodeErrorText | None = None
    use_agent_sandbox: bool | None = None
    total_running_time: float | None = None
    # Deprecated by FastGPT 4.14.9 and due to go away.
    llm_module_account: int | None = None
    history_preview_length: int | None = None

    @property
    def is_human(self) -> bool:
        return self.obj == "Human"

    @property
    def is_ai(self) -> bool:
        return self.obj == "AI"

    @property
    def is_system(self) -> bool:
        return self.obj == "System"

    @property
    def text(self) -> str:
        """The text items, joined with newlines ('' when there are none)."""
        return join_text(self.value)

    @property
    def reasoning(self) -> str | None:
        """All the reasoning, joined in order: reasoning items, and (FastGPT >= 4.15.0-2) the reasoning
        stored inside text and tool items. None when the record has none."""
        return join_text(self.value, ReasoningValue) or None

    @property
    def interactive(self) -> Interactive | None:
        """The interaction this AI record paused on, if any."""
        for item in self.value:
            if isinstance(item, InteractiveValue):
                return item.interactive
        return None

    @property
    def files(self) -> builtins.list[FileValue]:
        """The files and images a user message carried."""
        return [item for item in self.value if isinstance(item, FileValue)]


class ListRecordsResponse(Page[ChatRecord]):
    """A page of records. Offset 0 is the most recent page; within a page, oldest first."""


class RecordDetailResponse(ListData):
    """What each workflow node did for one AI record (`[]` when the record is unknown)."""

    list: builtins.list[NodeResponse] = Field(default_factory=builtins.list)


class QuestionGuideResponse(ListData):
    """Suggested next questions."""

    list: builtins.list[str] = Field(default_factory=builtins.list)


# ---- requests ---------------------------------------------------------------------------------


class ListHistoriesRequest(APIRequest[ListHistoriesResponse]):
    """`POST /api/core/chat/history/getHistories` (older servers: `POST .../chat/getHistories`): one
    page of the chats of this app the API key's member owns, pinned first, then most recently updated.

    `source="api"` keeps only chats created through the API (a `ChatSource`; FastGPT refuses other
    values with a 400). Times filter by creation / last update.
    """

    route = Route(
        "POST",
        "/api/core/chat/history/getHistories",
        fallbacks=(("POST", "/api/core/chat/getHistories"),),
        call="list_histories",
        walk="iter_histories",
    )

    app_id: AppId | None = None
    offset: int = Field(default=0, ge=0)
    page_size: int = Field(default=10, ge=1)
    source: ChatSource | None = None
    start_create_time: AwareDatetime | str | None = None
    end_create_time: AwareDatetime | str | None = None
    start_update_time: AwareDatetime | str | None = None
    end_update_time: AwareDatetime | str | None = None

    builder: ClassVar[Builds[ListHistoriesRequestBuilder]] = Builds()

    def walk_plan(self) -> OffsetWalk[ListHistoriesRequest, ChatHistoryItem]:
        """Every chat from `request.offset` on, fetching `request.page_size` at a time, in list order.

        A chat that moves up while the walk runs (it got a new message) is yielded once.
        """
        return OffsetWalk(self, _history_key)


def _history_key(item: ChatHistoryItem) -> Hashable:
    return item.chat_id


class UpdateHistoryRequest(APIRequest[OperationResponse]):
    """`PUT /api/core/chat/history/updateHistory` (older servers: `POST .../chat/updateHistory`): rename (`custom_title`) or pin (`top`) a chat."""

    route = Route(
        "PUT",
        "/api/core/chat/history/updateHistory",
        fallbacks=(("POST", "/api/core/chat/updateHistory"),),
        call="update_history",
    )

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    custom_title: str | None = None
    title: str | None = None
    top: bool | None = None

    builder: ClassVar[Builds[UpdateHistoryRequestBuilder]] = Builds()


class DeleteHistoryRequest(APIRequest[OperationResponse]):
    """`DELETE /api/core/chat/history/delHistory` (older: `.../chat/delHistory`): delete one chat (a soft delete on FastGPT >= 4.14.5)."""

    route = Route(
        "DELETE",
        "/api/core/chat/history/delHistory",
        query=frozenset({"app_id", "chat_id"}),
        fallbacks=(("DELETE", "/api/core/chat/delHistory"),),
        call="delete_history",
    )

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)

    builder: ClassVar[Builds[DeleteHistoryRequestBuilder]] = Builds()


class ClearHistoriesRequest(APIRequest[OperationResponse]):
    """`DELETE /api/core/chat/history/clearHistories` (older: `.../chat/clearHistories`): with an API key, FastGPT clears the chats made via the API."""

    route = Route(
        "DELETE",
        "/api/core/chat/history/clearHistories",
        query=frozenset({"app_id"}),
        fallbacks=(("DELETE", "/api/core/chat/clearHistories"),),
        call="clear_histories",
    )

    app_id: AppId | None = None

    builder: ClassVar[Builds[ClearHistoriesRequestBuilder]] = Builds()


class GetChatInitRequest(APIRequest[ChatInitResponse]):
    """`GET /api/core/chat/init`: a chat's title and variables, and the app's configuration.

    FastGPT >= 4.14.11 requires a chat id; a new one (that has no messages yet) gets the app's
    configuration alone.
    """

    route = Route("GET", "/api/core/chat/init", call="get_chat_init")

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    load_custom_feedbacks: bool | None = None

    builder: ClassVar[Builds[GetChatInitRequestBuilder]] = Builds()


class ListRecordsRequest(APIRequest[ListRecordsResponse]):
    """`POST /api/core/chat/record/getPaginationRecords` (older: `.../chat/getPaginationRecords`): a chat's messages, a page at a time.

    Offset 0 is the most recent page; each page lists its records oldest first.
    """

    route = Route(
        "POST",
        "/api/core/chat/record/getPaginationRecords",
        fallbacks=(("POST", "/api/core/chat/getPaginationRecords"),),
        call="list_records",
        walk="iter_records",
    )

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    offset: int = Field(default=0, ge=0)
    page_size: int = Field(default=10, ge=1)
    load_custom_feedbacks: bool | None = None
    type: RecordsSource | None = None

    builder: ClassVar[Builds[ListRecordsRequestBuilder]] = Builds()

    def walk_plan(self) -> OffsetWalk[ListRecordsRequest, ChatRecord]:
        """A chat's records, NEWEST FIRST, from `request.offset` records back from the newest.

        FastGPT pages from the newest end, so this order needs no look-ahead: stop whenever you have
        seen enough. For reading order, reverse what you collected: `reversed(list(...))`.
        """
        return OffsetWalk(self, _record_key, newest_first=True)


def _record_key(record: ChatRecord) -> Hashable:
    if record.id or record.data_id:
        return (record.id, record.data_id)
    return record.model_dump_json()


class GetRecordDetailRequest(APIRequest[RecordDetailResponse]):
    """`GET /api/core/chat/record/getResData` (older: `.../chat/getResData`): the node responses of one AI record (`data_id`)."""

    route = Route(
        "GET",
        "/api/core/chat/record/getResData",
        fallbacks=(("GET", "/api/core/chat/getResData"),),
        call="get_record_detail",
    )

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    data_id: str = Field(min_length=1)

    builder: ClassVar[Builds[GetRecordDetailRequestBuilder]] = Builds()


class DeleteRecordRequest(APIRequest[OperationResponse]):
    """`DELETE /api/core/chat/record/delete`: delete one message, the record `data_id` names (the
    `dataId` of every other call; FastGPT calls it `contentId` here, and so does the wire).

    FastGPT <= 4.14.10 serves this at `/api/core/chat/item/delete` (4.14.11 moved it, with no
    redirect): on a bare 404 the client asks there, and every client sharing these connection pools
    keeps asking there.
    """

    route = Route(
        "DELETE",
        "/api/core/chat/record/delete",
        query=frozenset({"app_id", "chat_id", "data_id"}),
        fallbacks=(("DELETE", "/api/core/chat/item/delete"),),
        call="delete_record",
    )

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    data_id: str = Field(min_length=1, alias="contentId")

    builder: ClassVar[Builds[DeleteRecordRequestBuilder]] = Builds()


class UpdateFeedbackRequest(APIRequest[OperationResponse]):
    """`POST /api/core/chat/feedback/updateUserFeedback`: like or dislike an AI record.

    FastGPT rewrites BOTH fields on every call: a field left out is cleared. So
    `UpdateFeedbackRequest(chat_id=..., data_id=..., user_good_feedback="yes")` sets a like and
    removes an earlier dislike, and a request with neither field clears both. A field that is None
    (the default) is left out of the body, which is what clears it: FastGPT `$unset`s a field that is
    `undefined`, while a JSON `null` would be stored as null (`updateUserFeedback.ts`, e3717e53, and
    `UpdateUserFeedbackBodyRawSchema`, `packages/global/openapi/core/chat/feedback/api.ts`, a361a73d,
    both as of upstream f88b51b5). The helpers `like()`, `dislike()` and `clear()` build the three
    usual cases.
    """

    route = Route("POST", "/api/core/chat/feedback/updateUserFeedback", call="update_feedback")

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    data_id: str = Field(min_length=1)
    user_good_feedback: str | None = Field(default=None, min_length=1)
    user_bad_feedback: str | None = Field(default=None, min_length=1)

    @classmethod
    def like(
        cls, chat_id: str, data_id: str, feedback: str = "yes", *, app_id: str | None = None
    ) -> UpdateFeedbackRequest:
        """A like; it clears any dislike of the record."""
        return cls(app_id=app_id, chat_id=chat_id, data_id=data_id, user_good_feedback=feedback)

    @classmethod
    def dislike(
        cls, chat_id: str, data_id: str, feedback: str = "yes", *, app_id: str | None = None
    ) -> UpdateFeedbackRequest:
        """A dislike (`feedback` may say why); it clears any like of the record."""
        return cls(app_id=app_id, chat_id=chat_id, data_id=data_id, user_bad_feedback=feedback)

    @classmethod
    def clear(cls, chat_id: str, data_id: str, *, app_id: str | None = None) -> UpdateFeedbackRequest:
        """Remove both the like and the dislike."""
        return cls(app_id=app_id, chat_id=chat_id, data_id=data_id)

    builder: ClassVar[Builds[UpdateFeedbackRequestBuilder]] = Builds()


class FeedbackRecordIds(FastGPTModel):
    """`get_feedback_record_ids`'s answer: the matching AI records' `data_id`s, oldest first, and their
    count (`GetFeedbackRecordIdsResponseSchema`, `packages/global/openapi/core/chat/feedback/api.ts`
    @ 91dbd164)."""

    total: int = 0
    data_ids: builtins.list[str] = Field(default_factory=builtins.list)


class GetFeedbackRecordIdsRequest(APIRequest[FeedbackRecordIds]):
    """`POST /api/core/chat/feedback/getFeedbackRecordIds`: which AI records of a chat were liked
    ("good"), disliked ("bad") or either ("has_feedback"); `unread_only` leaves out those an admin
    marked read. The answer's `data_id`s are oldest first. Source: `GetFeedbackRecordIdsBodySchema` in
    `feedback/api.ts` @ 91dbd164 and
    `projects/app/src/pages/api/core/chat/feedback/getFeedbackRecordIds.ts` @ 15cbf014."""

    route = Route("POST", "/api/core/chat/feedback/getFeedbackRecordIds", call="get_feedback_record_ids")

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    feedback_type: Literal["has_feedback", "good", "bad"] = "has_feedback"
    unread_only: bool | None = None

    builder: ClassVar[Builds[GetFeedbackRecordIdsRequestBuilder]] = Builds()


class QuestionGuideConfig(RequestPart):
    """Overrides of the app's question-guide setting for one call."""

    open: bool = True
    model: str | None = None
    custom_prompt: str | None = None


class CreateQuestionGuideRequest(APIRequest[QuestionGuideResponse]):
    """`POST /api/core/ai/agent/v2/createQuestionGuide`: suggest next questions from the chat's last records."""

    route = Route("POST", "/api/core/ai/agent/v2/createQuestionGuide", call="create_question_guide")

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    question_guide: QuestionGuideConfig | None = None

    builder: ClassVar[Builds[CreateQuestionGuideRequestBuilder]] = Builds()


# ---- history status, read marks, batch deletes (FastGPT >= 4.14.11 / 4.14.4) ---------------------

# One chat id or record id in a list: FastGPT's `z.string().min(1)` items.
ItemId = Annotated[str, Field(min_length=1)]


class HistoryStatus(FastGPTModel):
    """One chat's generation and read state, as `get_history_status` reports it."""

    chat_id: str
    update_time: datetime | None = None
    # 0 generating, 1 done, 2 error; FastGPT reports 1 for chats stored before it had the field.
    chat_generate_status: int | None = None
    has_been_read: bool | None = None


class HistoryStatusResponse(FastGPTModel):
    """The state of each asked-for chat that exists. Unknown or deleted chats are simply not listed.

    Source: FastGPT `GetHistoryStatusResponseSchema`, `packages/global/openapi/core/chat/history/api.ts`
    at f88b51b5c1e4987a2b917358339db1aa02bbc292 (last changed a361a73d).
    """

    list: builtins.list[HistoryStatus] = Field(default_factory=builtins.list)


class GetHistoryStatusRequest(APIRequest[HistoryStatusResponse]):
    """`POST /api/core/chat/history/getHistoryStatus` (FastGPT >= 4.14.11): poll several chats at
    once: the generation status and read mark of each.

    `chat_ids`: 1 to 200 ids. With an API key FastGPT looks only at the key owner's chats of the app.
    Chats that do not exist (or were deleted) are left out of the answer.
    Source: `GetHistoryStatusBodyRawSchema` in `packages/global/openapi/core/chat/history/api.ts` and
    `projects/app/src/pages/api/core/chat/history/getHistoryStatus.ts`, both at f88b51b5.
    """

    route = Route("POST", "/api/core/chat/history/getHistoryStatus", call="get_history_status")

    app_id: AppId | None = None
    chat_ids: builtins.list[ItemId] = Field(min_length=1, max_length=200)

    builder: ClassVar[Builds[GetHistoryStatusRequestBuilder]] = Builds()


class MarkReadRequest(APIRequest[OperationResponse]):
    """`POST /api/core/chat/history/markRead` (FastGPT >= 4.14.11): mark a chat as read.

    FastGPT sets the chat's `hasBeenRead` and bumps its `updateTime`; an unknown chat id is no error.
    Source: `MarkChatReadBodyRawSchema` in `packages/global/openapi/core/chat/history/api.ts` and
    `projects/app/src/pages/api/core/chat/history/markRead.ts`, both at f88b51b5.
    """

    route = Route("POST", "/api/core/chat/history/markRead", call="mark_read")

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)

    builder: ClassVar[Builds[MarkReadRequestBuilder]] = Builds()


class BatchDeleteHistoriesRequest(APIRequest[OperationResponse]):
    """`POST /api/core/chat/history/batchDelete` (FastGPT >= 4.14.4): delete several chats for good.

    Unlike `delete_history` this is a HARD delete: the chats, their records, node responses and files
    are removed, whoever created them, and a later completion with one of those chat ids starts a new
    chat. The key owner needs the app's chat-log permission. Unknown ids are skipped.
    Source: `ChatBatchDeleteBodyRawSchema` in `packages/global/openapi/core/chat/history/api.ts`,
    `projects/app/src/pages/api/core/chat/history/batchDelete.ts` and
    `packages/service/core/chat/delete.ts` (`deleteChatResourcesBySource`), all at f88b51b5.
    """

    route = Route("POST", "/api/core/chat/history/batchDelete", call="batch_delete_histories")

    app_id: AppId | None = None
    chat_ids: builtins.list[ItemId] = Field(min_length=1)

    builder: ClassVar[Builds[BatchDeleteHistoriesRequestBuilder]] = Builds()


# ---- several records at once ------------------------------------------------------------------


class DeleteRecordsRequest(APIRequest[OperationResponse]):
    """`DELETE /api/core/chat/record/delete` with `contentIds` (FastGPT >= 4.15.0): delete several records.

    `data_ids` are the records' `data_id`s (`contentIds` on the wire, sent as a JSON array in the body,
    as FastGPT's OpenAPI documents it). A soft delete, as with `delete_record`; ids not in the chat are
    skipped. Servers before 4.15.0 read this endpoint's query only, so the call fails their validation;
    before 4.14.11 the path does not exist (404). There is no fallback: use `delete_record` there.
    Source: `DeleteChatRecordBodyRawSchema` in `packages/global/openapi/core/chat/record/api.ts` and
    `projects/app/src/pages/api/core/chat/record/delete.ts`, both at f88b51b5 (`contentIds` since
    9f383002).
    """

    route = Route("DELETE", "/api/core/chat/record/delete", call="delete_records")

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    data_ids: builtins.list[ItemId] = Field(alias="contentIds", min_length=1)

    builder: ClassVar[Builds[DeleteRecordsRequestBuilder]] = Builds()


# ---- records v2: cursor pages -----------------------------------------------------------------


class ListRecordsV2Response(Page[ChatRecord]):
    """A page of records around a cursor, oldest first, with whether there are more on either side.

    `total` counts the whole chat's records. FastGPT also sends each record's `dataId` as `id`; that
    copy is dropped (see `ChatRecord`: `id` is the `_id`). Source: `GetRecordsV2ResponseSchema` in
    `packages/global/openapi/core/chat/record/api.ts` at f88b51b5 (`LinkedListResponseSchema` of
    `ChatItemMiniSchema`, plus `total`).
    """

    # Older records than the first one here exist (ask with `prev_id` = the first record's data_id).
    has_more_prev: bool = False
    # Newer records than the last one here exist (ask with `next_id` = the last record's data_id).
    has_more_next: bool = False
    # FastGPT >= 4.18.0: what to send as `prev_id` / `next_id` for the page before / after this one;
    # None when there is none (and from older servers, which do not send them). Source: the 4.18
    # reference page `openapi/reference/chat-record/get-records-v2` ("Pass prevCursor / nextCursor
    # directly to prevId / nextId (null when no further page exists)").
    prev_cursor: str | None = None
    next_cursor: str | None = None

    @property
    def sent_cursors(self) -> bool:
        """Whether the server sent the cursors (FastGPT >= 4.18.0), even as null."""
        return "prev_cursor" in self.model_fields_set or "next_cursor" in self.model_fields_set


_CURSORS = ("initial_id", "prev_id", "next_id")


class ListRecordsV2Request(APIRequest[ListRecordsV2Response]):
    """`POST /api/core/chat/record/getRecords_v2` (FastGPT >= 4.14.5): a chat's records by cursor.

    With no cursor: the newest `page_size` records. `prev_id` (a record's `data_id`, or the page's
    `prev_cursor`): the records just before it; `next_id` (or `next_cursor`): the records just after
    it; `initial_id`: the records around it, itself included. At most one of the three may be given
    (FastGPT 4.18 documents it so; older servers read one, `prev_id` first), so a second one is
    refused before sending. A cursor that is not a record of the chat is refused ("... item not
    found"). Each page is oldest first; from FastGPT 4.18 a page may hold a few more than `page_size`
    records, to end on a whole turn. `include_deleted` also lists deleted records. Source:
    `GetRecordsV2BodyRawSchema` in `packages/global/openapi/core/chat/record/api.ts`,
    `projects/app/src/pages/api/core/chat/record/getRecords_v2.ts` and `getChatItems` in
    `packages/service/core/chat/controller.ts`, all at f88b51b5; the 4.18 reference page
    `openapi/reference/chat-record/get-records-v2` (doc.fastgpt.io, updated 2026-11-18).
    """

    route = Route(
        "POST", "/api/core/chat/record/getRecords_v2", call="list_records_v2", walk="iter_records_v2"
    )

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    page_size: int = Field(default=10, ge=1)
    initial_id: str | None = Field(default=None, min_length=1)
    prev_id: str | None = Field(default=None, min_length=1)
    next_id: str | None = Field(default=None, min_length=1)
    load_custom_feedbacks: bool | None = None
    type: RecordsSource | None = None
    include_deleted: bool | None = None

    @field_validator("initial_id", "prev_id", "next_id")
    @classmethod
    def _one_cursor(cls, value: str | None, info: ValidationInfo) -> str | None:
        # At construction each cursor sees the ones declared before it; on assignment, all others.
        others = [n for n in _CURSORS if n != info.field_name and info.data.get(n) is not None]
        if value is not None and others:
            raise ValueError(f"give at most one of initial_id, prev_id and next_id (also set: {others[0]})")
        return value

    builder: ClassVar[Builds[ListRecordsV2RequestBuilder]] = Builds()

    def walk_plan(self) -> PagePlan[ListRecordsV2Request, ListRecordsV2Response, ChatRecord]:
        """The request's page, then every older record, NEWEST FIRST, `request.page_size` per call.

        Each further page is asked for with `prev_id` = the page's `prev_cursor` (FastGPT >= 4.18.0)
        or, from an older server, the oldest record of the page before, until FastGPT says there is
        nothing older. Without a cursor that is the whole chat, newest first; a
        record is yielded once even if a page repeats it. Deleting that oldest record during the walk
        makes FastGPT refuse the next page ("Prev item not found").
        """
        return _OlderRecords(self)


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


# ---- quotes: the knowledge-base chunks a record cited -----------------------------------------


class DatasetCiteHistory(FastGPTModel):
    """An earlier version of a cited chunk."""

    q: str = ""
    a: str | None = None
    image_id: str | None = None
    update_time: datetime | None = None


class DatasetCiteItem(_Document):
    """A cited knowledge-base chunk as it read when the record was written (`updated`: it has changed since).

    Not `QuoteItem`: FastGPT gives the quote endpoints their own, smaller shape (`_id`, `index`, no
    dataset, collection, source or score). Source: `DatasetCiteItemSchema` in
    `packages/global/core/dataset/type.ts` at f88b51b5 (last changed 5f7d76f4).
    """

    q: str = ""
    a: str | None = None
    image_preivew_url: str | None = None  # sic: FastGPT's spelling
    history: builtins.list[DatasetCiteHistory] | None = None
    update_time: datetime | None = None
    # The chunk's position in its collection (FastGPT's chunkIndex).
    index: int | None = None
    updated: bool | None = None


class QuoteResponse(ListData):
    """The asked-for chunks that exist (`[]` for none). Source: `GetQuoteResponseSchema`,
    `packages/global/openapi/core/chat/record/api.ts` at f88b51b5."""

    list: builtins.list[DatasetCiteItem] = Field(default_factory=builtins.list)


class GetQuoteRequest(APIRequest[QuoteResponse]):
    """`POST /api/core/chat/record/getQuote`: the text of chunks an AI record cited, as it read when
    the record was written.

    `chat_item_data_id` is the AI record's `data_id`; `dataset_data_id_list` the chunks' ids and
    `collection_id_list` their collections (from the record's `total_quote_list`: `id`,
    `collection_id`), at most 200 each. Every collection must have been cited in the chat, else
    FastGPT refuses (`unAuthDatasetFile`). FastGPT 4.14.11 moved this from
    `/api/core/chat/quote/getQuote`, where older servers are asked on a bare 404.
    Source: `GetQuoteBodyRawSchema` in `packages/global/openapi/core/chat/record/api.ts` and
    `projects/app/src/pages/api/core/chat/record/getQuote.ts`, both at f88b51b5.
    """

    route = Route(
        "POST",
        "/api/core/chat/record/getQuote",
        fallbacks=(("POST", "/api/core/chat/quote/getQuote"),),
        call="get_quote",
    )

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1, max_length=256)
    chat_item_data_id: str = Field(min_length=1, max_length=256)
    dataset_data_id_list: builtins.list[ItemId] = Field(max_length=200)
    collection_id_list: builtins.list[ItemId] = Field(max_length=200)

    builder: ClassVar[Builds[GetQuoteRequestBuilder]] = Builds()


class CollectionQuoteItem(DatasetCiteItem):
    """A chunk of a cited collection; `anchor` is its `index` again, for the next page's request."""

    anchor: int | None = None


class CollectionQuoteResponse(FastGPTModel):
    """A window of a collection's chunks, in collection order. Source: `GetCollectionQuoteResSchema`,
    `packages/global/openapi/core/chat/record/api.ts` at f88b51b5."""

    list: builtins.list[CollectionQuoteItem] = Field(default_factory=builtins.list)
    has_more_prev: bool = False
    has_more_next: bool = False


class GetCollectionQuoteRequest(APIRequest[CollectionQuoteResponse]):
    """`POST /api/core/chat/record/getCollectionQuote`: read a cited collection around a chunk.

    `initial_id` + `anchor` (a chunk's id and index): the chunks around it; `prev_id` / `next_id` +
    `anchor` (the first / last chunk of the page you have, and its index): the page before / after.
    With none of the three the list is empty. FastGPT refuses a call without `anchor`, so it is
    required here. `page_size`: 1 to 30 (FastGPT's default 15). The collection must have been cited
    in the chat. FastGPT 4.14.11 moved this from `/api/core/chat/quote/getCollectionQuote`, where older
    servers are asked on a bare 404. Source: `GetCollectionQuoteBodyRawSchema` in
    `packages/global/openapi/core/chat/record/api.ts` and
    `projects/app/src/pages/api/core/chat/record/getCollectionQuote.ts`, both at f88b51b5.
    """

    route = Route(
        "POST",
        "/api/core/chat/record/getCollectionQuote",
        fallbacks=(("POST", "/api/core/chat/quote/getCollectionQuote"),),
        call="get_collection_quote",
    )

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1, max_length=256)
    chat_item_data_id: str = Field(min_length=1, max_length=256)
    collection_id: str = Field(pattern=OBJECT_ID_PATTERN)
    anchor: int
    initial_id: str | None = Field(default=None, min_length=1)
    prev_id: str | None = Field(default=None, min_length=1)
    next_id: str | None = Field(default=None, min_length=1)
    page_size: int = Field(default=15, ge=1, le=30)

    builder: ClassVar[Builds[GetCollectionQuoteRequestBuilder]] = Builds()


if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any name imported from here
    __getattr__ = builders_on_demand(__name__, __all__)
