"""Chat completions: the request, the blocking response, the stream events and the stream result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from fastgpt_oapi.core.errors import RequestValidationError
from fastgpt_oapi.core.lazy import Builds, builders_on_demand
from fastgpt_oapi.core.model import (
    APIRequest,
    AppId,
    FastGPTModel,
    RequestPart,
    Route,
    ScalarResponse,
    is_object_id,
    tagged_members,
)
from fastgpt_oapi.core.retry import RequestKind
from fastgpt_oapi.core.upload import FileContent, PresignedUpload

from ..shared.interactive import (
    AgentAskInteractive,
    AgentAskOption,
    AgentAskParams,
    AgentAskQuestion,
    FormField,
    FormFieldType,
    FormOption,
    FormValueType,
    Interactive,
    PaymentPauseInteractive,
    PaymentPauseParams,
    SelectOption,
    UnknownInteractive,
    UnlistedValue,
    UserInputInteractive,
    UserInputParams,
    UserSelectInteractive,
    UserSelectParams,
)
from ..shared.message import (
    AssistantAudio,
    AssistantToolCall,
    ChatMessage,
    ContentPart,
    FileURLPart,
    ImageURL,
    ImageURLPart,
    MessageInput,
    MessagePart,
    RefusalPart,
    TextPart,
    ToolCallFunction,
)
from ..shared.model import (
    AgentPlan,
    AgentPlanStep,
    InteractiveValue,
    NodeResponse,
    PlanStatus,
    QuoteItem,
    QuoteScore,
    ReasoningValue,
    SkillInfo,
    ToolCall,
    ValueItem,
    WireModel,
    join_text,
)

if TYPE_CHECKING:
    from ._builders import ChatCompletionRequestBuilder, StopChatRequestBuilder

__all__ = [
    "AgentAskInteractive",
    "AgentAskOption",
    "AgentAskParams",
    "AgentAskQuestion",
    "AgentPlan",
    "AgentPlanStep",
    "AnswerEvent",
    "AssistantAudio",
    "AssistantMessage",
    "AssistantToolCall",
    "AuthProxy",
    "ChatCompletionChunk",
    "ChatCompletionRequest",
    "ChatCompletionRequestBuilder",
    "ChatCompletionResponse",
    "ChatMessage",
    "ChatStreamEvent",
    "ChatStreamResult",
    "ChatTitleEvent",
    "Choice",
    "ChunkChoice",
    "ChunkDelta",
    "ChunkEvent",
    "ContentPart",
    "DoneEvent",
    "FastAnswerEvent",
    "FileURLPart",
    "FlowNodeResponseEvent",
    "FlowNodeStatusEvent",
    "FlowResponsesEvent",
    "FormField",
    "FormFieldType",
    "FormOption",
    "FormValueType",
    "ImageURL",
    "ImageURLPart",
    "Interactive",
    "InteractiveEvent",
    "MessageInput",
    "MessagePart",
    "NodeResponse",
    "PaymentPauseInteractive",
    "PaymentPauseParams",
    "PlanEvent",
    "PlanStatus",
    "PlanStatusEvent",
    "QuoteItem",
    "QuoteScore",
    "RefusalPart",
    "SandboxStatusEvent",
    "SelectOption",
    "SkillCallEvent",
    "SkillInfo",
    "StopChatRequest",
    "StopChatRequestBuilder",
    "StopChatResponse",
    "TextPart",
    "ToolCall",
    "ToolCallEvent",
    "ToolCallFunction",
    "ToolInfo",
    "ToolParamsEvent",
    "ToolResponseEvent",
    "UnknownEvent",
    "UnknownInteractive",
    "UnlistedValue",
    "UpdateVariablesEvent",
    "UploadFileRequest",
    "UploadFileRequestBuilder",
    "UploadedFile",
    "Usage",
    "UserInputInteractive",
    "UserInputParams",
    "UserSelectInteractive",
    "UserSelectParams",
    "ValueItem",
    "WorkflowDurationEvent",
]


# ---- blocking response ------------------------------------------------------------------------


class Usage(WireModel):
    """Placeholders (always 1) on FastGPT: real token counts are in `response_data[].tokens`."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class AssistantMessage(WireModel):
    role: str = "assistant"
    # A string, or (detail mode, several value items or an interactive) a list of value items.
    content: str | list[ValueItem] | None = None
    reasoning_content: str | None = None


class Choice(WireModel):
    message: AssistantMessage
    finish_reason: str | None = None
    index: int = 0


class ChatCompletionResponse(FastGPTModel):
    """A blocking completion. `answer`, `reasoning` and `interactive` read the content for you."""

    id: str = ""
    model: str = ""
    usage: Usage | None = None
    choices: list[Choice] = Field(default_factory=list)
    response_data: list[NodeResponse] = Field(default_factory=list)
    new_variables: dict[str, Any] | None = None
    title: str | None = None
    # Set when the last node failed; the HTTP status stays 200. A string or an object.
    error: Any = None
    # The stored AI record's id (for feedback, deletes, node details): the request's
    # response_chat_item_id, or the one the SDK generated. FastGPT does not echo it; the SDK sets it.
    # A field, not a private attribute: pydantic sets those up per instance (bench/RESULTS.md, row 2).
    data_id: str = ""

    @property
    def chat_id(self) -> str:
        """The chat this answer belongs to; FastGPT echoes it as `id`."""
        return self.id

    def follow_up(self, message: MessageInput | str) -> ChatCompletionRequest:
        """The next request on this chat: `message` (a `ChatMessage`, such as an interactive's
        `reply(...)`, or a user's text) with this chat's id, and the app, variables and other settings
        of the request that asked (a fresh record id). Send it with `client.chat.chat(...)` again."""
        return next_request(_asked(self), self.chat_id, message)

    @property
    def message(self) -> AssistantMessage | None:
        return self.choices[0].message if self.choices else None

    @property
    def answer(self) -> str:
        message = self.message
        if message is None or message.content is None:
            return ""
        if isinstance(message.content, str):
            return message.content
        return join_text(message.content)

    @property
    def reasoning(self) -> str | None:
        """`reasoning_content`; or, when `content` is a list, the reasoning of its items in order, both
        reasoning items and the reasoning stored inside text and tool items (FastGPT >= 4.15.0-2)."""
        message = self.message
        if message is None:
            return None
        if message.reasoning_content:
            return message.reasoning_content
        if isinstance(message.content, list):
            return join_text(message.content, ReasoningValue) or None
        return None

    @property
    def interactive(self) -> Interactive | None:
        message = self.message
        if message is not None and isinstance(message.content, list):
            for item in message.content:
                if isinstance(item, InteractiveValue):
                    return item.interactive
        return None


# ---- request ----------------------------------------------------------------------------------

# JavaScript's String.prototype.trim() set (WhiteSpace and LineTerminator), which zod's .trim() uses;
# Python's str.strip() differs at the edges (\x1c-\x1f, \x85, \ufeff).
_JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


class AuthProxy(RequestPart):
    """Run the completion as a team member: `username`, `tmb_id`, or both (the same member).

    Only a team-level API key with proxying enabled may send it (FastGPT >= 4.15.0). FastGPT's
    `ChatCompletionAuthProxySchema` (`packages/global/openapi/core/chat/completion/api.ts`, 9601a1a8,
    as of upstream f88b51b5) is a strict object: `username` a string of 1 to 128 characters once
    trimmed, `tmbId` an ObjectId (24 hex), at least one of them given.
    """

    username: str | None = None
    tmb_id: str | None = None

    @field_validator("username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        if value is None:
            return value
        # zod counts JavaScript string length: UTF-16 code units, so a character outside the BMP is 2.
        length = len(value.strip(_JS_WHITESPACE).encode("utf-16-le")) // 2
        if not 1 <= length <= 128:
            raise ValueError(f"must be 1 to 128 characters once trimmed, got {length}")
        return value

    @field_validator("tmb_id")
    @classmethod
    def _tmb_id(cls, value: str | None) -> str | None:
        if value is not None and not is_object_id(value):
            raise ValueError("must be 24 hexadecimal characters (a FastGPT team member id)")
        return value

    @model_validator(mode="after")
    def _someone(self) -> AuthProxy:
        if self.username is None and self.tmb_id is None:
            raise ValueError("give username or tmb_id (or both)")
        return self


_UID_WITH_PROXY = (
    "custom_uid cannot be combined with auth_proxy (FastGPT >= 4.18.0 refuses the pair): a proxied "
    "member is the user already"
)


class ChatCompletionRequest(APIRequest[ChatCompletionResponse]):
    """`POST /api/v2/chat/completions` (v1 on servers without it). `stream` is set by the method.

    v1 is marked deprecated since FastGPT 4.15 (`packages/global/openapi/core/chat/completion/
    index.ts`, b46748e1); v2 exists since 4.9.4 and takes the same body. On a bare 404 from v2 (the
    route does not exist, so nothing ran) the same request goes once to v1, and the client keeps
    using v1; `Client.builder().completions_version(...)` pins one.

    Without `chat_id` / `response_chat_item_id` the SDK generates both, so the response and the
    stream always tell you which chat and which stored record (dataId) the answer is.

    `messages` may be empty: a workflow-tool app takes its inputs from `variables` alone, and FastGPT
    (`CompletionsPropsSchema`, `packages/global/openapi/core/chat/completion/api.ts`, 9601a1a8)
    defaults `messages` to `[]`. Any other app answers an empty list with "messages is empty"
    (`projects/app/src/pages/api/v1/chat/completions.ts`, 146ade2d), raised as `BadRequestError`.
    """

    route = Route(
        "POST",
        "/api/v2/chat/completions",
        kind=RequestKind.COMPLETION,
        envelope=False,
        fallbacks=(("POST", "/api/v1/chat/completions"),),
    )

    messages: Sequence[MessageInput] = Field(default_factory=list)
    chat_id: str | None = Field(default=None, min_length=1, max_length=1024)
    app_id: AppId | None = None
    variables: dict[str, Any] | None = None
    detail: bool | None = None
    response_chat_item_id: str | None = Field(default=None, min_length=1, max_length=1024)
    custom_uid: str | None = Field(default=None, max_length=1024)
    metadata: dict[str, Any] | None = None
    retain_dataset_cite: bool | None = None
    # FastGPT >= 4.14.10. FastGPT honours it only where the caller's auth sets showRunningStatus
    # (share links); an API-key call's auth does not set it, so up to upstream f88b51b5 the flag has
    # no effect with an API key (`v1/chat/completions.ts` and `v2/...`, 146ade2d). Sent as given.
    show_skill_references: bool | None = None
    auth_proxy: AuthProxy | None = None

    # FastGPT 4.18 forwards `customUid` to the workflow's `userId` and refuses it together with
    # `authProxy` (doc.fastgpt.io `openapi/reference/chat/v1-chat-completions`, 4.18; schema-audit-4.18
    # section 5). Checked on both fields: at construction `auth_proxy` comes second, and an assignment
    # to either sees the other.
    @field_validator("custom_uid")
    @classmethod
    def _custom_uid_alone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("auth_proxy") is not None:
            raise ValueError(_UID_WITH_PROXY)
        return value

    @field_validator("auth_proxy")
    @classmethod
    def _proxy_alone(cls, value: AuthProxy | None, info: ValidationInfo) -> AuthProxy | None:
        if value is not None and info.data.get("custom_uid") is not None:
            raise ValueError(_UID_WITH_PROXY)
        return value

    builder: ClassVar[Builds[ChatCompletionRequestBuilder]] = Builds()


# ---- stream events ----------------------------------------------------------------------------


class ChunkDelta(WireModel):
    role: str | None = None
    content: str | None = None
    reasoning_content: str | None = None


class ChunkChoice(WireModel):
    delta: ChunkDelta
    index: int = 0
    finish_reason: str | None = None


class ChatCompletionChunk(WireModel):
    id: str = ""
    object: str = ""
    created: int = 0
    model: str = ""
    choices: list[ChunkChoice] = Field(default_factory=list)


class ChunkEvent(BaseModel):
    """What `AnswerEvent` and `FastAnswerEvent` share: an OpenAI-style chunk with `text` (answer) and
    `reasoning` deltas. `isinstance(event, ChunkEvent)` matches both; it is no event of its own."""

    data: ChatCompletionChunk

    @property
    def text(self) -> str:
        """The answer delta ('' for heartbeats, reasoning chunks and the stop chunk)."""
        choices = self.data.choices
        return (choices[0].delta.content or "") if choices else ""

    @property
    def reasoning(self) -> str:
        """The reasoning delta ('' for chunks that carry none)."""
        choices = self.data.choices
        return (choices[0].delta.reasoning_content or "") if choices else ""

    @property
    def finish_reason(self) -> str | None:
        choices = self.data.choices
        return choices[0].finish_reason if choices else None


class AnswerEvent(ChunkEvent):
    """An answer delta. Also every data-only message of a `detail=false` stream."""

    event: Literal["answer"] = "answer"


class FastAnswerEvent(ChunkEvent):
    """Text of a "specified reply" node; it is part of the answer too."""

    event: Literal["fastAnswer"] = "fastAnswer"


class FlowNodeStatus(FastGPTModel):
    status: str = ""
    name: str = ""


class FlowNodeStatusEvent(BaseModel):
    event: Literal["flowNodeStatus"] = "flowNodeStatus"
    data: FlowNodeStatus


class FlowNodeResponseEvent(BaseModel):
    """v2: one node's response, flat (`id` / `parent_id`)."""

    event: Literal["flowNodeResponse"] = "flowNodeResponse"
    data: NodeResponse


class FlowResponsesEvent(BaseModel):
    """v1: every node's response, once, at the end (before or after `[DONE]`, by version)."""

    event: Literal["flowResponses"] = "flowResponses"
    data: list[NodeResponse]

    @field_validator("data", mode="before")
    @classmethod
    def _object_form(cls, value: Any) -> Any:
        # 4.14.7 - 4.14.8 serialised the array as an object keyed "0".."n".
        if isinstance(value, dict) and all(isinstance(k, str) and k.isdigit() for k in value):
            return [value[k] for k in sorted(value, key=int)]
        return value


class WorkflowDuration(FastGPTModel):
    duration_seconds: float


class WorkflowDurationEvent(BaseModel):
    event: Literal["workflowDuration"] = "workflowDuration"
    data: WorkflowDuration


class UpdateVariablesEvent(BaseModel):
    event: Literal["updateVariables"] = "updateVariables"
    data: dict[str, Any]


ToolInfo = ToolCall  # the name this shape had in tool events


class ToolEventData(FastGPTModel):
    tool: ToolInfo
    response_value_id: str | None = None


class ToolCallEvent(BaseModel):
    event: Literal["toolCall"] = "toolCall"
    data: ToolEventData


class ToolParamsEvent(BaseModel):
    """`data.tool.params` is a fragment: append it to the call's params by `data.tool.id`."""

    event: Literal["toolParams"] = "toolParams"
    data: ToolEventData


class ToolResponseEvent(BaseModel):
    event: Literal["toolResponse"] = "toolResponse"
    data: ToolEventData


class InteractiveEvent(BaseModel):
    """The workflow paused for the user; answer with `event.data.reply(...)` on the same chat_id."""

    event: Literal["interactive"] = "interactive"
    data: Interactive

    @field_validator("data", mode="before")
    @classmethod
    def _unwrap(cls, value: Any) -> Any:
        if isinstance(value, dict) and "interactive" in value and "type" not in value:
            return value["interactive"]
        return value


class ChatTitle(FastGPTModel):
    title: str


class ChatTitleEvent(BaseModel):
    event: Literal["chatTitle"] = "chatTitle"
    data: ChatTitle


# Agent events: `WorkflowSsePayloadMap` (packages/global/core/workflow/runtime/sse.ts, 986b2f1f) and
# the types it names (packages/global/core/ai/agent/type.ts, packages/global/core/chat/type.ts, f88b51b5).


class PlanData(FastGPTModel):
    plan: AgentPlan
    response_value_id: str | None = None


class PlanEvent(BaseModel):
    event: Literal["plan"] = "plan"
    data: PlanData


class PlanStatusData(FastGPTModel):
    plan_status: PlanStatus
    response_value_id: str | None = None


class PlanStatusEvent(BaseModel):
    event: Literal["planStatus"] = "planStatus"
    data: PlanStatusData


class SandboxStatus(FastGPTModel):
    sandbox_id: str | None = None
    # checkExisting, connecting, fetchSkills, creatingContainer, deployingSkills, downloadingPackage,
    # uploadingPackage, extractingPackage, lazyInit, upgrading, then ready or failed
    phase: str
    is_warm_start: bool | None = None
    skill_name: str | None = None
    message: str | None = None


class SandboxStatusEvent(BaseModel):
    event: Literal["sandboxStatus"] = "sandboxStatus"
    data: SandboxStatus


class SkillCallData(FastGPTModel):
    skill: SkillInfo
    response_value_id: str | None = None


class SkillCallEvent(BaseModel):
    event: Literal["skillCall"] = "skillCall"
    data: SkillCallData


class DoneEvent(BaseModel):
    """`data: [DONE]`: the answer is complete. v1 servers may still send `flowResponses` after it."""

    event: Literal["done"] = "done"
    data: None = None


class UnknownEvent(BaseModel):
    """An event this SDK does not know, or a known one whose data did not validate (see `error`)."""

    model_config = ConfigDict(frozen=True)

    event: str
    data: Any = None  # parsed JSON when the data was JSON, else the text
    error: str | None = None


def _event_tag(value: Any) -> str:
    name = value.get("event") if isinstance(value, dict) else getattr(value, "event", None)
    if isinstance(value, UnknownEvent):
        return "unknown"
    return name if name in EVENT_TYPES else "unknown"


ChatStreamEvent = Annotated[
    Annotated[AnswerEvent, Tag("answer")]
    | Annotated[FastAnswerEvent, Tag("fastAnswer")]
    | Annotated[FlowNodeStatusEvent, Tag("flowNodeStatus")]
    | Annotated[FlowNodeResponseEvent, Tag("flowNodeResponse")]
    | Annotated[FlowResponsesEvent, Tag("flowResponses")]
    | Annotated[WorkflowDurationEvent, Tag("workflowDuration")]
    | Annotated[UpdateVariablesEvent, Tag("updateVariables")]
    | Annotated[ToolCallEvent, Tag("toolCall")]
    | Annotated[ToolParamsEvent, Tag("toolParams")]
    | Annotated[ToolResponseEvent, Tag("toolResponse")]
    | Annotated[InteractiveEvent, Tag("interactive")]
    | Annotated[ChatTitleEvent, Tag("chatTitle")]
    | Annotated[PlanEvent, Tag("plan")]
    | Annotated[PlanStatusEvent, Tag("planStatus")]
    | Annotated[SandboxStatusEvent, Tag("sandboxStatus")]
    | Annotated[SkillCallEvent, Tag("skillCall")]
    | Annotated[DoneEvent, Tag("done")]
    | Annotated[UnknownEvent, Tag("unknown")],
    Discriminator(_event_tag),
]

# Wire event name -> event class, from the union: the decoder validates each event with its class.
EVENT_TYPES: dict[str, type[BaseModel]] = {
    tag: cls for tag, cls in tagged_members(ChatStreamEvent).items() if tag != "unknown"
}


# ---- stream result ----------------------------------------------------------------------------


class ChatStreamResult(BaseModel):
    """Everything a stream said, assembled: what `ChatStream.get_final_response()` returns.

    Agent runs also fill `plan` (the last plan sent), `plan_status` (the last plan status sent; a plan
    sent after it does not clear it), `sandbox_status` (the sandbox's last phase: the phases before it
    are steps on the way) and `skill_calls` (one per `skillCall` event, in order).
    """

    answer: str = ""
    reasoning: str | None = None
    chat_id: str
    data_id: str
    response_data: list[NodeResponse] = Field(default_factory=list)
    new_variables: dict[str, Any] | None = None
    title: str | None = None
    interactive: Interactive | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    duration_seconds: float | None = None
    finish_reason: str | None = None
    node_statuses: list[FlowNodeStatus] = Field(default_factory=list)
    plan: AgentPlan | None = None
    plan_status: PlanStatus | None = None
    sandbox_status: SandboxStatus | None = None
    skill_calls: list[SkillInfo] = Field(default_factory=list)

    def follow_up(self, message: MessageInput | str) -> ChatCompletionRequest:
        """The next request on this chat (`ChatCompletionResponse.follow_up`)."""
        return next_request(_asked(self), self.chat_id, message)


# ---- the next turn of a chat ------------------------------------------------------------------

_ASKED = "asked"
# Not carried into a follow-up: the new message, and the record id, which names one turn only.
_PER_TURN = frozenset({"messages", "chat_id", "response_chat_item_id"})


def remember_request(answer: BaseModel, request: ChatCompletionRequest) -> None:
    """Keep the request that asked beside an answer, for its `follow_up`. Kept as drift's `unparsed`
    is (`core/drift.py`): no private attribute, which pydantic would set up for every instance."""
    private = answer.__pydantic_private__
    if private is None:
        private = {}
        object.__setattr__(answer, "__pydantic_private__", private)
    private[_ASKED] = request


def _asked(answer: BaseModel) -> ChatCompletionRequest | None:
    private = answer.__pydantic_private__
    return private.get(_ASKED) if private else None


def next_request(
    request: ChatCompletionRequest | None, chat_id: str, message: MessageInput | str
) -> ChatCompletionRequest:
    """`message` sent on chat `chat_id` with the settings of `request` (app, variables, detail, ...)."""
    if not chat_id:
        raise RequestValidationError(
            "follow_up: this answer names no chat (its chat_id is empty)", field="chat_id"
        )
    kept: dict[str, Any] = {}
    if request is not None:
        kept = {name: getattr(request, name) for name in request.model_fields_set - _PER_TURN}
    turn = ChatMessage.user(message) if isinstance(message, str) else message
    return ChatCompletionRequest(**kept, messages=[turn], chat_id=chat_id)


# ---- stop -------------------------------------------------------------------------------------


class StopChatResponse(FastGPTModel):
    """What `POST /api/v2/chat/stop` answers: the stop flag was written (`success`).

    FastGPT 4.14.5 - 4.16.2 waited up to 5 s for the workflow to wind down, then said whether it had
    (`completed`) and the chat's status. From 4.16.3 the call returns as soon as the flag is written:
    `completed` is always False and `chat_generate_status` a conservative guess (always 0,
    "generating"), both deprecated there. End your own stream after a successful stop; do not poll
    this answer.

    Source: FastGPT `packages/global/openapi/core/chat/controler/api.ts` (`StopV2ChatResponseSchema`)
    at f88b51b5c1e4987a2b917358339db1aa02bbc292 (last changed a361a73d), and the 4.16.3 copy of the
    same schema ("接口不等待后台收尾，因此当前固定为 false"); handler
    `projects/app/src/pages/api/v2/chat/stop.ts` at f88b51b5.
    """

    success: bool
    # Absent on servers that answer `{success}` only.
    completed: bool | None = None
    # 0 generating, 1 done, 2 error.
    chat_generate_status: int | None = None


class StopChatRequest(APIRequest[StopChatResponse]):
    """`POST /api/v2/chat/stop` (FastGPT >= 4.14.5): stop the workflow running in a chat.

    FastGPT's `StopV2ChatRawSchema` (`packages/global/openapi/core/chat/controler/api.ts` at f88b51b5):
    the app target (`appId`) and `chatId` (min 1). A chat that is not running, or not there, is
    answered with `success` all the same.

    `success` means the stop flag was written. FastGPT >= 4.16.3 answers at once, with `completed`
    always False: close your own stream (`stream.close()`) once this returns, rather than waiting
    for the stream or for `completed`. Older servers waited up to 5 s for the run to wind down.
    """

    route = Route("POST", "/api/v2/chat/stop", call="stop_chat")

    app_id: AppId | None = None
    chat_id: str = Field(min_length=1)

    builder: ClassVar[Builds[StopChatRequestBuilder]] = Builds()


if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any name imported from here
    __getattr__ = builders_on_demand(__name__, __all__)


# ---- files in messages --------------------------------------------------------------------------

if TYPE_CHECKING:
    from ._builders import UploadFileRequestBuilder


class UploadFileRequest(APIRequest[PresignedUpload]):
    """`client.chat.upload_file`: put a file into FastGPT's storage for a message of chat `chat_id`.

    Sent as `POST /api/core/chat/file/presignChatFilePostUrl` (FastGPT >= 4.14.5; schema
    `PresignChatFilePostUrlRawSchema`, `packages/global/openapi/core/chat/file/api.ts`), then the file
    goes to the storage URL of the answer. `content` is bytes, a path, or a binary file object (read from
    its current position, left open). `filename` defaults to the path's (or the open file's) name;
    `content_type` is guessed from it when not given. The SDK adds the file's `size`.
    """

    route = Route("POST", "/api/core/chat/file/presignChatFilePostUrl")

    chat_id: str = Field(min_length=1)
    filename: str | None = Field(default=None, min_length=1)
    content: FileContent = Field(exclude=True, repr=False)
    content_type: str | None = Field(default=None, min_length=1)
    app_id: AppId | None = None

    builder: ClassVar[Builds[UploadFileRequestBuilder]] = Builds()


class UploadedFile(BaseModel):
    """A file in FastGPT's storage, ready to go into a user message as `image_part()` or `file_part()`.

    `key` is the storage key FastGPT keeps with the record (it signs fresh URLs from it later);
    `preview_url` is a URL to the file as it is now, which FastGPT reads when it runs the message.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    preview_url: str
    filename: str
    content_type: str | None = None
    size: int

    def image_part(self, detail: Literal["auto", "low", "high"] | None = None) -> ImageURLPart:
        """An `image_url` part showing this file, with its `key`."""
        return ImageURLPart(image_url=ImageURL(url=self.preview_url, detail=detail), key=self.key)

    def file_part(self) -> FileURLPart:
        """A `file_url` part (a document) for this file, with its name and `key`."""
        return FileURLPart(url=self.preview_url, name=self.filename, key=self.key)


class ChatFileURL(ScalarResponse):
    """A signed URL for a stored chat file (`presignChatFileGetUrl` answers a bare string)."""

    scalar_field = "url"
    url: str


class PresignChatFileGetUrlRequest(APIRequest[ChatFileURL]):
    """`POST /api/core/chat/file/presignChatFileGetUrl`: a URL for a stored file, by its key.

    `upload_file` asks it when the presign answer has no `previewUrl` (FastGPT before 4.15, af0db988),
    as FastGPT's web client did then (`useFileUpload.tsx` at ac04d4445).
    """

    route = Route("POST", "/api/core/chat/file/presignChatFileGetUrl")

    key: str = Field(min_length=1)
    chat_id: str = Field(min_length=1)
    app_id: AppId | None = None
