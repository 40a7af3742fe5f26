"""Shapes that chat and chat_history both return: messages, node responses, quotes, value items.

They live once, here. `fastgpt_oapi.api.chat.model` and `fastgpt_oapi.api.chat_history.model`
re-export what their users need.
"""

from __future__ import annotations

from typing import Annotated, Any, get_args

from pydantic import AliasChoices, BaseModel, ConfigDict, Discriminator, Field, Tag

from fastgpt_oapi.core.model import FastGPTModel, ResponseModel, TextOrEmpty, tagged_members

from .interactive import Interactive
from .message import ChatMessage, ContentPart, FileURLPart, ImageURL, ImageURLPart, TextPart

__all__ = [
    "AgentAskCall",
    "AgentAskValue",
    "AgentPlan",
    "AgentPlanStep",
    "AgentPlanUpdate",
    "AgentPlanUpdateValue",
    "ChatMessage",
    "CompressTextAgentUsage",
    "ContentPart",
    "ContextCheckpointValue",
    "FileURLPart",
    "FileValue",
    "HistoryPreviewItem",
    "ImageURL",
    "ImageURLPart",
    "InteractiveValue",
    "NodeResponse",
    "PlanStatus",
    "PlanStatusValue",
    "PlanValue",
    "QuoteItem",
    "QuoteScore",
    "ReadFileItem",
    "ReasoningValue",
    "SkillInfo",
    "SkillsValue",
    "TextContent",
    "TextPart",
    "TextValue",
    "ToolCall",
    "ToolValue",
    "ToolsValue",
    "UnknownValue",
    "ValueItem",
    "WireModel",
    "join_text",
]


class WireModel(ResponseModel):
    """OpenAI-shaped payloads: the wire names are already snake_case. Unknown fields are kept."""

    model_config = ConfigDict(extra="allow")


# ---- node responses ---------------------------------------------------------------------------


class QuoteScore(FastGPTModel):
    type: str
    value: float
    index: int | None = None


class QuoteItem(FastGPTModel):
    """A knowledge-base chunk a node used (`quoteList[]`, `totalQuoteList[]`)."""

    id: str | None = None
    dataset_id: str | None = None
    collection_id: str | None = None
    source_name: str | None = None
    source_id: str | None = None
    chunk_index: int | None = None
    update_time: str | None = None
    q: TextOrEmpty = ""  # FastGPT's `SearchDataResponseItemType.q` is a string; a null reads as ""
    a: str | None = None
    image_id: str | None = None
    image_preivew_url: str | None = None  # sic: FastGPT's spelling
    image_desc_map: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    # Current servers send [{type, value, index}]; old ones a plain number (with `indexes`).
    score: list[QuoteScore] | float | None = None
    indexes: list[Any] | None = None


class HistoryPreviewItem(FastGPTModel):
    obj: str
    value: Any = None


class CompressTextAgentUsage(FastGPTModel):
    """What compressing a long text with a model cost (`compressTextAgent`)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_points: float | None = None


class ReadFileItem(FastGPTModel):
    """A file a read-files node read (`readFiles[]`)."""

    url: str | None = None
    name: str | None = None


class NodeResponse(FastGPTModel):
    """What one workflow node did: `responseData[]`, `flowResponses`, `flowNodeResponse`, `getResData`.

    Every field but the identity is optional; fields this SDK does not know are kept as extras.
    Node failures are reported here (`error`, `error_text`), not as exceptions.

    Fields follow FastGPT's `DispatchNodeResponseSchema` (`packages/global/core/workflow/runtime/type.ts`)
    and `ChatHistoryItemResSchema` (`packages/global/core/chat/type.ts`), both read at f88b51b5
    (4.16.0-beta1; the files last changed in e3717e53 and 9bb6b82c).
    """

    id: str | None = None
    node_id: str | None = None
    module_name: str | None = None
    module_type: str | None = None
    parent_id: str | None = None
    module_logo: str | None = None
    # Values for the placeholders of an i18n `module_name` (a key such as "common:...").
    module_name_args: dict[str, Any] | None = None
    child_response_count: int | None = None
    # What the node was given and what it produced, by input / output key.
    node_inputs: dict[str, Any] | None = None
    node_outputs: dict[str, Any] | None = None
    merge_sign_id: str | None = None  # deprecated by FastGPT
    # timing and billing
    running_time: float | None = None
    total_points: float | None = None
    child_total_points: float | None = None
    tokens: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    model: str | None = None
    context_total_len: int | None = None
    # LLM
    query: str | None = None
    temperature: float | None = None
    max_token: int | None = None
    reasoning_text: str | None = None
    history_preview: list[HistoryPreviewItem] | None = None
    finish_reason: str | None = None
    quote_list: list[QuoteItem] | None = None
    llm_request_ids: list[str] | None = None
    text_output: str | None = None
    # agent: the plan operation ("set_plan", "update_plan" or "ask_question") and what it returned
    agent_plan_status: str | None = None
    agent_plan_result: str | None = None
    step_query: str | None = None
    compress_text_agent: CompressTextAgentUsage | None = None
    # dataset search
    embedding_model: str | None = None
    embedding_tokens: int | None = None
    similarity: float | None = None
    limit: int | None = None
    search_mode: str | None = None
    embedding_weight: float | None = None
    dataset_queries: list[str] | None = None
    rerank_model: str | None = None
    rerank_weight: float | None = None
    re_rank_input_tokens: int | None = None
    search_using_re_rank: bool | None = None
    deep_search_result: dict[str, Any] | None = None
    # deprecated query extension of dataset search
    extension_model: str | None = None
    extension_result: str | None = None
    extension_tokens: int | None = None
    # dataset concat: how many quotes the merged list holds
    concat_length: int | None = None
    # other node kinds
    cq_list: list[Any] | None = None
    cq_result: str | None = None
    extract_description: str | None = None
    extract_result: Any = None
    params: Any = None
    body: Any = None
    headers: Any = None
    http_result: Any = None
    http_error_result: Any = None
    tool_input: Any = None
    plugin_output: Any = None
    tool_params_result: Any = None
    tool_res: Any = None
    if_else_result: str | None = None
    tool_call_input_tokens: int | None = None
    tool_call_output_tokens: int | None = None
    tool_stop: bool | None = None
    code_log: str | None = None
    read_files_result: str | None = None
    read_files: list[ReadFileItem] | None = None
    user_select_result: str | None = None
    form_input_result: Any = None
    update_var_result: list[Any] | None = None
    loop_result: list[Any] | None = None
    loop_input: list[Any] | None = None
    loop_input_value: Any = None
    loop_output_value: Any = None
    # loopRun: the input (an array, or a marker of the condition mode), rounds run, per-round snapshots
    loop_run_input: Any = None
    loop_run_iterations: int | None = None
    loop_run_history: list[Any] | None = None
    # parallel run: per-task inputs and results, and a success / failure summary per task (the
    # tasks' node responses are the node's `children`)
    parallel_input: list[Any] | None = None
    parallel_result: list[Any] | None = None
    parallel_run_detail: list[Any] | None = None
    tool_id: str | None = None
    custom_inputs: dict[str, Any] | None = None
    custom_outputs: dict[str, Any] | None = None
    # errors
    error: Any = None
    error_text: str | None = None
    error_captured: bool | None = None
    # children: `childrenResponses` on current servers, the *Detail lists on older ones
    children_responses: list[NodeResponse] | None = None
    tool_detail: list[NodeResponse] | None = None
    plugin_detail: list[NodeResponse] | None = None
    loop_detail: list[NodeResponse] | None = None
    parallel_detail: list[NodeResponse] | None = None
    loop_run_detail: list[NodeResponse] | None = None

    @property
    def children(self) -> list[NodeResponse]:
        """Child node responses, whichever field this server version put them in."""
        out: list[NodeResponse] = []
        for group in (
            self.children_responses,
            self.tool_detail,
            self.plugin_detail,
            self.loop_detail,
            self.parallel_detail,
            self.loop_run_detail,
        ):
            if group:
                out.extend(group)
        return out


# ---- value items (blocking `content[]` and stored records) ----------------------------------------
#
# FastGPT's `AIChatItemValueSchema` / `UserChatItemValueItemSchema` (packages/global/core/chat/type.ts,
# f88b51b5) is one flat object of optional keys. The key that is set says what the item is; the SDK
# gives each kind a class, and the keys any item may carry (its id, its reasoning, ...) to all of them.


class TextContent(FastGPTModel):
    content: str = ""


class FileInfo(FastGPTModel):
    type: str | None = None
    name: str | None = None
    key: str | None = None
    url: str | None = None


class ToolCall(FastGPTModel):
    """One tool call: in a stream's tool events (`tool`, `params` a fragment there), in a stream's
    result (`params` joined), and in a stored record's `tools` value item."""

    id: str = ""
    tool_name: str = ""
    tool_avatar: str = ""
    function_name: str | None = None
    params: str = ""
    response: str | None = None


class SkillInfo(FastGPTModel):
    """A skill an agent used: a `skillCall` event's `skill`, a `skills` value item's entries.

    FastGPT's `SkillModuleResponseItemSchema` (packages/global/core/chat/type.ts, f88b51b5).
    """

    id: str
    skill_name: str = ""
    skill_avatar: str = ""
    description: str = ""
    skill_md_path: str | None = None


class AgentPlanStep(FastGPTModel):
    """One step of an agent's plan. Plans of 4.14.7 to 4.15.0-1 call the step's name `title`; it is
    read into `name`, as FastGPT's own `AgentPlanReadSchema` does."""

    id: str = ""
    name: str = Field(default="", validation_alias=AliasChoices("name", "title"))
    description: str | None = None
    # pending, in_progress, done, blocked or skipped (none on plans of 4.14.x)
    status: str | None = None
    # how the step went: its result, why it is blocked or skipped
    note: str | None = None


class AgentPlan(FastGPTModel):
    """An agent's plan: a `plan` event's, a `plan` value item's.

    FastGPT's `AgentPlanSchema`, read the way its `AgentPlanReadSchema` reads stored plans
    (packages/global/core/ai/agent/type.ts, 34632ba4): the `task` of 4.14.x plans is the `name`.
    """

    plan_id: str = ""
    name: str = Field(default="", validation_alias=AliasChoices("name", "task"))
    description: str | None = None
    steps: list[AgentPlanStep] = Field(default_factory=list)


class PlanStatus(FastGPTModel):
    """`status` is "generating" or "updating": the agent is writing or revising its plan."""

    status: str


class AgentPlanUpdate(FastGPTModel):
    """The agent's set_plan / update_plan tool call, as stored (`AgentLoopPlanUpdateSchema`)."""

    id: str = ""
    function_name: str = "update_plan"  # FastGPT's default when a stored call has none
    params: str = ""  # the call's JSON arguments
    response: str | None = None  # what the tool told the model


class AgentAskCall(FastGPTModel):
    """The agent's ask tool call behind an `agentAsk` interaction (`AgentLoopAskSchema`).

    `ask_id` is the interaction's, and the user's answer carries it too.
    """

    id: str = ""
    function_name: str = "ask_agent"  # FastGPT's default when a stored call has none
    params: str = ""  # the call's JSON arguments: the questions asked
    ask_id: str = ""


class _ValueItem(FastGPTModel):
    """The keys any value item may carry, whatever its kind."""

    # Groups stream events into this item (a tool call's id, the plan's id): their `responseValueId`.
    id: str | None = None
    # Which agent question this belongs to: on the ask, and on the user's answer to it.
    ask_id: str | None = None
    # Since FastGPT 4.15.0-2 (05254ce0) the reasoning behind a text or a tool call is stored in the
    # same item as it; reasoning with nothing after it is an item of its own (`ReasoningValue`).
    reasoning: TextContent | None = None
    # The app hides its reasoning from users (FastGPT's web UI honours it); it is still sent.
    hide_reason: bool | None = None
    hide_in_ui: bool | None = Field(default=None, alias="hideInUI")
    # The legacy kind name: sent before 4.14.7, and again by v1 since 4.15.3 (never by v2).
    type: str | None = None


class TextValue(_ValueItem):
    text: TextContent


class ReasoningValue(_ValueItem):
    reasoning: TextContent


class FileValue(_ValueItem):
    file: FileInfo


class ToolsValue(_ValueItem):
    tools: list[ToolCall]


class ToolValue(_ValueItem):
    """The legacy single-tool value item."""

    tool: ToolCall


class InteractiveValue(_ValueItem):
    interactive: Interactive


class SkillsValue(_ValueItem):
    skills: list[SkillInfo]


class PlanValue(_ValueItem):
    """The agent's plan as it stood at the end of the turn. `plan` is None once the plan is finished:
    FastGPT stores that as `{"plan": null}`, so a later turn does not pick up an older plan."""

    plan: AgentPlan | None


class PlanStatusValue(_ValueItem):
    plan_status: PlanStatus


class AgentPlanUpdateValue(_ValueItem):
    agent_plan_update: AgentPlanUpdate


class AgentAskValue(_ValueItem):
    agent_ask: AgentAskCall


class ContextCheckpointValue(_ValueItem):
    """The compacted context an agent continues from after compressing its history (hidden in UI)."""

    context_checkpoint: str


class UnknownValue(_ValueItem):
    """A value item of a kind this SDK does not know: all its fields kept."""


def _value_kind(value: Any) -> str:
    # Classified by key, not by `type`: `type` was dropped in 4.14.7 and restored for v1 only.
    if isinstance(value, dict):
        for key, kind in _VALUE_KEYS:
            if value.get(key) is not None:
                return kind
        for key, kind in _NULL_MEANS_KIND:
            if key in value:
                return kind
        return "unknown"
    return _VALUE_TAGS.get(type(value), "unknown")


# Each tag is also the key that marks an item of that kind; the order is the order of the checks.
# Reasoning comes last: since 4.15.0-2 it rides on text and tool items, which it must not hide.
ValueItem = Annotated[
    Annotated[TextValue, Tag("text")]
    | Annotated[ToolsValue, Tag("tools")]
    | Annotated[ToolValue, Tag("tool")]
    | Annotated[InteractiveValue, Tag("interactive")]
    | Annotated[FileValue, Tag("file")]
    | Annotated[SkillsValue, Tag("skills")]
    | Annotated[PlanValue, Tag("plan")]
    | Annotated[PlanStatusValue, Tag("planStatus")]
    | Annotated[AgentPlanUpdateValue, Tag("agentPlanUpdate")]
    | Annotated[AgentAskValue, Tag("agentAsk")]
    | Annotated[ContextCheckpointValue, Tag("contextCheckpoint")]
    | Annotated[ReasoningValue, Tag("reasoning")]
    | Annotated[UnknownValue, Tag("unknown")],
    Discriminator(_value_kind),
]

_VALUE_CLASSES = {tag: cls for tag, cls in tagged_members(ValueItem).items() if tag != "unknown"}
_VALUE_TAGS: dict[type, str] = {cls: tag for tag, cls in _VALUE_CLASSES.items()}


def _field_named(cls: type[BaseModel], key: str) -> str:
    """The Python name of the field whose wire name is `key`."""
    return next(name for name, f in cls.model_fields.items() if (f.alias or name) == key)


# Each tag's field, by Python name: `model_dump()` writes it so (`plan_status` for `planStatus`).
_KIND_FIELDS = {tag: _field_named(cls, tag) for tag, cls in _VALUE_CLASSES.items()}
# (key, tag) in the order of the checks: the key that marks each kind as read from the wire, then as
# a dump of the item writes it, where the two differ.
_VALUE_KEYS = tuple((key, tag) for tag, name in _KIND_FIELDS.items() for key in dict.fromkeys((tag, name)))

# The kinds whose key set to null still says what the item is (`{"plan": null}`, a finished plan).
_NULL_MEANS_KIND = tuple(
    (key, tag)
    for key, tag in _VALUE_KEYS
    if type(None) in get_args(_VALUE_CLASSES[tag].model_fields[_KIND_FIELDS[tag]].annotation)
)


def join_text(items: list[ValueItem], kind: type[TextValue] | type[ReasoningValue] = TextValue) -> str:
    """The text of all text items joined with newlines, as FastGPT joins them; with `ReasoningValue`,
    all the reasoning, in order, whether stored as an item of its own or inside a text or tool item."""
    if kind is TextValue:
        return "\n".join(i.text.content for i in items if isinstance(i, TextValue))
    return "\n".join(i.reasoning.content for i in items if i.reasoning is not None and i.reasoning.content)
