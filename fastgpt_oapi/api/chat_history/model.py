"""Chat history: the requests and responses of `client.chat_history`.

Every request needs an app id: set `app_id` on it, or give the client a default. The paths are FastGPT's
root CRUD paths, served from 4.8.12 up to the current release (wire spec section 4).

A stored chat message is one `ChatRecord` whatever its `obj` ("Human", "AI" or "System"): the wire
gives all three the same shape (AI-only fields are just absent on the others), so one model with
`is_human` / `is_ai` / `is_system` reads better than a union that has to be narrowed first.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AliasChoices, AwareDatetime, Field

from fastgpt_oapi.core.lazy import builders_on_demand
from fastgpt_oapi.core.model import (
    APIRequest,
    AppId,
    FastGPTModel,
    ListData,
    OperationResponse,
    RequestPart,
    Route,
)
from fastgpt_oapi.core.paging import Page

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
        ClearHistoriesRequestBuilder,
        CreateQuestionGuideRequestBuilder,
        DeleteHistoryRequestBuilder,
        DeleteRecordRequestBuilder,
        GetChatInitRequestBuilder,
        GetRecordDetailRequestBuilder,
        ListHistoriesRequestBuilder,
        ListRecordsRequestBuilder,
        UpdateFeedbackRequestBuilder,
        UpdateHistoryRequestBuilder,
    )

__all__ = [
    "AdminFeedback",
    "AppVariable",
    "ChatConfig",
    "ChatHistoryItem",
    "ChatInitApp",
    "ChatInitResponse",
    "ChatRecord",
    "ClearHistoriesRequest",
    "ClearHistoriesRequestBuilder",
    "CreateQuestionGuideRequest",
    "CreateQuestionGuideRequestBuilder",
    "DeleteHistoryRequest",
    "DeleteHistoryRequestBuilder",
    "DeleteRecordRequest",
    "DeleteRecordRequestBuilder",
    "FileValue",
    "GetChatInitRequest",
    "GetChatInitRequestBuilder",
    "GetRecordDetailRequest",
    "GetRecordDetailRequestBuilder",
    "InteractiveValue",
    "ListHistoriesRequest",
    "ListHistoriesRequestBuilder",
    "ListHistoriesResponse",
    "ListRecordsRequest",
    "ListRecordsRequestBuilder",
    "ListRecordsResponse",
    "NodeErrorText",
    "NodeResponse",
    "OperationResponse",
    "QuestionGuideConfig",
    "QuestionGuideResponse",
    "QuoteItem",
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


class ChatRecord(FastGPTModel):
    """One stored message of a chat. `obj` is "Human", "AI" or "System".

    `value` holds typed items (text, reasoning, file, tools, interactive, an agent's plan, ...);
    `text` and `reasoning` join them for you. Node details are not part of a record: ask
    `get_record_detail` with `data_id`. Feedback lives on AI records.
    """

    id: str = Field(default="", validation_alias=AliasChoices("_id", "id"), serialization_alias="_id")
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
    """`POST /api/core/chat/getHistories`: the chats of this app the API key's member owns.

    `source="api"` keeps only chats created through the API. Times filter by creation / last update.
    """

    route = Route("POST", "/api/core/chat/getHistories", requires_app_id=True)

    app_id: AppId | None = None
    offset: int = Field(default=0, ge=0)
    page_size: int = Field(default=10, ge=1)
    source: str | None = None
    start_create_time: AwareDatetime | str | None = None
    end_create_time: AwareDatetime | str | None = None
    start_update_time: AwareDatetime | str | None = None
    end_update_time: AwareDatetime | str | None = None

    @classmethod
    def builder(cls) -> ListHistoriesRequestBuilder:
        from ._builders import ListHistoriesRequestBuilder

        return ListHistoriesRequestBuilder()


class UpdateHistoryRequest(APIRequest[OperationResponse]):
    """`POST /api/core/chat/updateHistory`: rename (`custom_title`) or pin (`top`) a chat."""

    route = Route("POST", "/api/core/chat/updateHistory", requires_app_id=True)

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    custom_title: str | None = None
    title: str | None = None
    top: bool | None = None

    @classmethod
    def builder(cls) -> UpdateHistoryRequestBuilder:
        from ._builders import UpdateHistoryRequestBuilder

        return UpdateHistoryRequestBuilder()


class DeleteHistoryRequest(APIRequest[OperationResponse]):
    """`DELETE /api/core/chat/delHistory`: delete one chat (a soft delete on FastGPT >= 4.14.5)."""

    route = Route(
        "DELETE", "/api/core/chat/delHistory", query=frozenset({"app_id", "chat_id"}), requires_app_id=True
    )

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)

    @classmethod
    def builder(cls) -> DeleteHistoryRequestBuilder:
        from ._builders import DeleteHistoryRequestBuilder

        return DeleteHistoryRequestBuilder()


class ClearHistoriesRequest(APIRequest[OperationResponse]):
    """`DELETE /api/core/chat/clearHistories`: with an API key, FastGPT clears the chats made via the API."""

    route = Route(
        "DELETE", "/api/core/chat/clearHistories", query=frozenset({"app_id"}), requires_app_id=True
    )

    app_id: AppId | None = None

    @classmethod
    def builder(cls) -> ClearHistoriesRequestBuilder:
        from ._builders import ClearHistoriesRequestBuilder

        return ClearHistoriesRequestBuilder()


class GetChatInitRequest(APIRequest[ChatInitResponse]):
    """`GET /api/core/chat/init`: a chat's title and variables, and the app's configuration.

    FastGPT >= 4.14.11 requires a chat id; a new one (that has no messages yet) gets the app's
    configuration alone.
    """

    route = Route(
        "GET",
        "/api/core/chat/init",
        query=frozenset({"app_id", "chat_id", "load_custom_feedbacks"}),
        requires_app_id=True,
    )

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    load_custom_feedbacks: bool | None = None

    @classmethod
    def builder(cls) -> GetChatInitRequestBuilder:
        from ._builders import GetChatInitRequestBuilder

        return GetChatInitRequestBuilder()


class ListRecordsRequest(APIRequest[ListRecordsResponse]):
    """`POST /api/core/chat/getPaginationRecords`: a chat's messages, a page at a time.

    Offset 0 is the most recent page; each page lists its records oldest first.
    """

    route = Route("POST", "/api/core/chat/getPaginationRecords", requires_app_id=True)

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    offset: int = Field(default=0, ge=0)
    page_size: int = Field(default=10, ge=1)
    load_custom_feedbacks: bool | None = None
    type: RecordsSource | None = None

    @classmethod
    def builder(cls) -> ListRecordsRequestBuilder:
        from ._builders import ListRecordsRequestBuilder

        return ListRecordsRequestBuilder()


class GetRecordDetailRequest(APIRequest[RecordDetailResponse]):
    """`GET /api/core/chat/getResData`: the node responses of one AI record (`data_id`)."""

    route = Route(
        "GET",
        "/api/core/chat/getResData",
        query=frozenset({"app_id", "chat_id", "data_id"}),
        requires_app_id=True,
    )

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    data_id: str = Field(min_length=1)

    @classmethod
    def builder(cls) -> GetRecordDetailRequestBuilder:
        from ._builders import GetRecordDetailRequestBuilder

        return GetRecordDetailRequestBuilder()


class DeleteRecordRequest(APIRequest[OperationResponse]):
    """`DELETE /api/core/chat/record/delete`: delete one message; `content_id` is its `data_id`.

    FastGPT <= 4.14.10 serves this at `/api/core/chat/item/delete` (4.14.11 moved it, with no
    redirect): on a bare 404 the client asks there, and keeps asking there.
    """

    route = Route(
        "DELETE",
        "/api/core/chat/record/delete",
        query=frozenset({"app_id", "chat_id", "content_id"}),
        requires_app_id=True,
        fallbacks=(("DELETE", "/api/core/chat/item/delete"),),
    )

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    content_id: str = Field(min_length=1)

    @classmethod
    def builder(cls) -> DeleteRecordRequestBuilder:
        from ._builders import DeleteRecordRequestBuilder

        return DeleteRecordRequestBuilder()


class UpdateFeedbackRequest(APIRequest[OperationResponse]):
    """`POST /api/core/chat/feedback/updateUserFeedback`: like or dislike an AI record.

    FastGPT rewrites BOTH fields on every call, and a field left out is cleared. So both are
    required here (None is allowed, and means "clear"): setting a like with
    `user_bad_feedback=None` removes an earlier dislike, and two Nones clear both. The helpers
    `like()`, `dislike()` and `clear()` build the three usual cases.
    """

    route = Route("POST", "/api/core/chat/feedback/updateUserFeedback", requires_app_id=True)

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    data_id: str = Field(min_length=1)
    user_good_feedback: str | None = Field(min_length=1)
    user_bad_feedback: str | None = Field(min_length=1)

    @classmethod
    def like(
        cls, chat_id: str, data_id: str, feedback: str = "yes", *, app_id: str | None = None
    ) -> UpdateFeedbackRequest:
        """A like; it clears any dislike of the record."""
        return cls(
            app_id=app_id,
            chat_id=chat_id,
            data_id=data_id,
            user_good_feedback=feedback,
            user_bad_feedback=None,
        )

    @classmethod
    def dislike(
        cls, chat_id: str, data_id: str, feedback: str = "yes", *, app_id: str | None = None
    ) -> UpdateFeedbackRequest:
        """A dislike (`feedback` may say why); it clears any like of the record."""
        return cls(
            app_id=app_id,
            chat_id=chat_id,
            data_id=data_id,
            user_good_feedback=None,
            user_bad_feedback=feedback,
        )

    @classmethod
    def clear(cls, chat_id: str, data_id: str, *, app_id: str | None = None) -> UpdateFeedbackRequest:
        """Remove both the like and the dislike."""
        return cls(
            app_id=app_id, chat_id=chat_id, data_id=data_id, user_good_feedback=None, user_bad_feedback=None
        )

    @classmethod
    def builder(cls) -> UpdateFeedbackRequestBuilder:
        from ._builders import UpdateFeedbackRequestBuilder

        return UpdateFeedbackRequestBuilder()


class QuestionGuideConfig(RequestPart):
    """Overrides of the app's question-guide setting for one call."""

    open: bool = True
    model: str | None = None
    custom_prompt: str | None = None


class CreateQuestionGuideRequest(APIRequest[QuestionGuideResponse]):
    """`POST /api/core/ai/agent/v2/createQuestionGuide`: suggest next questions from the chat's last records."""

    route = Route("POST", "/api/core/ai/agent/v2/createQuestionGuide", requires_app_id=True)

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)
    question_guide: QuestionGuideConfig | None = None

    @classmethod
    def builder(cls) -> CreateQuestionGuideRequestBuilder:
        from ._builders import CreateQuestionGuideRequestBuilder

        return CreateQuestionGuideRequestBuilder()


if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any name imported from here
    __getattr__ = builders_on_demand(__name__, __all__)
