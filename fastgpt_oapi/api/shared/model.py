"""Shapes that chat and chat_history both return: messages, node responses, quotes, value items.

They live once, here. `fastgpt_oapi.api.chat.model` and `fastgpt_oapi.api.chat_history.model`
re-export what their users need.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Tag

from fastgpt_oapi.core.model import FastGPTModel, tagged_members

from .interactive import Interactive
from .message import ChatMessage, ContentPart, FileURLPart, ImageURL, ImageURLPart, TextPart

__all__ = [
    "ChatMessage",
    "CompressTextAgentUsage",
    "ContentPart",
    "FileURLPart",
    "FileValue",
    "HistoryPreviewItem",
    "ImageURL",
    "ImageURLPart",
    "InteractiveValue",
    "NodeResponse",
    "QuoteItem",
    "QuoteScore",
    "ReadFileItem",
    "ReasoningValue",
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


class WireModel(BaseModel):
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
    q: str | None = None
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


class TextValue(FastGPTModel):
    text: TextContent
    type: str | None = None


class ReasoningValue(FastGPTModel):
    reasoning: TextContent
    type: str | None = None


class FileValue(FastGPTModel):
    file: FileInfo
    type: str | None = None


class ToolsValue(FastGPTModel):
    tools: list[ToolCall]
    type: str | None = None


class ToolValue(FastGPTModel):
    """The legacy single-tool value item."""

    tool: ToolCall
    type: str | None = None


class InteractiveValue(FastGPTModel):
    interactive: Interactive
    type: str | None = None


class UnknownValue(FastGPTModel):
    """A value item of a kind this SDK does not know (plan, agentAsk, skills, ...): all fields kept."""

    type: str | None = None


def _value_kind(value: Any) -> str:
    # Classified by key, not by `type`: `type` was dropped in 4.14.7 and restored for v1 only.
    if isinstance(value, dict):
        for key in _VALUE_KEYS:
            if value.get(key) is not None:
                return key
        return "unknown"
    return _VALUE_TAGS.get(type(value), "unknown")


# Each tag is also the key that marks an item of that kind; the order is the order of the checks.
ValueItem = Annotated[
    Annotated[TextValue, Tag("text")]
    | Annotated[ReasoningValue, Tag("reasoning")]
    | Annotated[ToolsValue, Tag("tools")]
    | Annotated[ToolValue, Tag("tool")]
    | Annotated[InteractiveValue, Tag("interactive")]
    | Annotated[FileValue, Tag("file")]
    | Annotated[UnknownValue, Tag("unknown")],
    Discriminator(_value_kind),
]

_VALUE_TAGS: dict[type, str] = {
    cls: tag for tag, cls in tagged_members(ValueItem).items() if tag != "unknown"
}
_VALUE_KEYS = tuple(_VALUE_TAGS.values())


def join_text(items: list[ValueItem], kind: type[TextValue] | type[ReasoningValue] = TextValue) -> str:
    """The text of all text (or reasoning) items, joined with newlines as FastGPT does."""
    if kind is TextValue:
        return "\n".join(i.text.content for i in items if isinstance(i, TextValue))
    return "\n".join(i.reasoning.content for i in items if isinstance(i, ReasoningValue))
