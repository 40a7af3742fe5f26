"""Interactive nodes: a workflow paused to ask the user something.

Wrapper kinds (a sub-app's, a loop's or a tool call's interaction) are unwrapped to the innermost
user-facing one, which is what the next message answers. Each typed interaction builds its own reply.
Kinds this SDK does not know stay as `UnknownInteractive` with their raw params.

Shapes: FastGPT's `InteractiveNodeResponseTypeSchema`
(packages/global/core/workflow/template/system/interactive/type.ts, f88b51b5; last changed in 34632ba4).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, GetCoreSchemaHandler, Tag
from pydantic_core import core_schema

from fastgpt_oapi.core.errors import RequestValidationError
from fastgpt_oapi.core.model import FastGPTModel, tagged_members

from .message import ChatMessage

__all__ = [
    "AgentAskInteractive",
    "AgentAskOption",
    "AgentAskParams",
    "AgentAskQuestion",
    "FormField",
    "FormFieldType",
    "FormOption",
    "FormValueType",
    "Interactive",
    "PaymentPauseInteractive",
    "PaymentPauseParams",
    "SelectOption",
    "UnknownInteractive",
    "UnlistedValue",
    "UserInputInteractive",
    "UserInputParams",
    "UserSelectInteractive",
    "UserSelectParams",
    "unwrap_interactive",
]

_WRAPPERS = frozenset(
    {"childrenInteractive", "toolChildrenInteractive", "loopInteractive", "loopRunInteractive"}
)
# Wire kind -> the tag of the class that types it. The agentPlanAsk* names are what FastGPT 4.14.7
# to 4.15.0-1 (76d6234d to 82852fad) sent for an agent's select and form; current servers no longer
# send them, but records stored by those versions still carry them.
_KIND_TAGS = {
    "userSelect": "select",
    "agentPlanAskUserSelect": "select",
    "userInput": "form",
    "agentPlanAskUserForm": "form",
    "agentAsk": "agentAsk",
    "paymentPause": "paymentPause",
}


class SelectOption(FastGPTModel):
    key: str
    value: str


class UserSelectParams(FastGPTModel):
    description: str = ""
    user_select_options: list[SelectOption] = Field(default_factory=list)
    user_selected_val: str | None = None


class UserSelectInteractive(FastGPTModel):
    """Pick one option. The server matches the branch by the option's `value`, not its `key`."""

    type: str = "userSelect"
    params: UserSelectParams

    @property
    def options(self) -> list[str]:
        return [o.value for o in self.params.user_select_options]

    def reply(self, value: str) -> ChatMessage:
        """The user message choosing `value`; send it with the same `chat_id`."""
        if value not in self.options:
            offered = ", ".join(repr(v) for v in self.options) or "none"
            raise RequestValidationError(
                f"{value!r} is not one of the offered options ({offered})", field="value"
            )
        return ChatMessage.user(value)


class FormOption(FastGPTModel):
    label: str | None = None
    value: Any = None


class UnlistedValue(str):
    """A value FastGPT sent that the SDK's `Literal` of known values does not list (a newer server's),
    kept as sent. It is a `str`; `isinstance(value, UnlistedValue)` tells it from a known value, and
    mypy keeps the known values as literals beside it."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(cls, core_schema.str_schema())


# How a form field is shown: FastGPT's `FlowNodeInputTypeEnum` (packages/global/core/workflow/node/
# constant.ts, last changed in 0cee5946, as of upstream f88b51b5). A form input node offers input,
# textarea, numberInput, switch, select, multipleSelect, JSONEditor, fileSelect, timePointSelect,
# timeRangeSelect and password; the schema (`UserInputFormItemSchema`) accepts every value.
FormFieldType = Literal[
    "reference",
    "input",
    "textarea",
    "numberInput",
    "switch",
    "select",
    "multipleSelect",
    "JSONEditor",
    "addInputParam",
    "customVariable",
    "selectApp",
    "selectLLMModel",
    "settingLLMModel",
    "selectDataset",
    "selectDatasetParamsModal",
    "settingDatasetQuotePrompt",
    "hidden",
    "custom",
    "selectSkill",
    "selectTool",
    "fileSelect",
    "timePointSelect",
    "timeRangeSelect",
    "password",
    "agentGenerated",
]

# The type of a form field's value: FastGPT's `WorkflowIOValueTypeEnum` (packages/global/core/
# workflow/constants.ts, last changed in b2ab4b51, as of upstream f88b51b5).
FormValueType = Literal[
    "string",
    "number",
    "boolean",
    "object",
    "arrayString",
    "arrayNumber",
    "arrayBoolean",
    "arrayObject",
    "arrayAny",
    "any",
    "chatHistory",
    "datasetQuote",
    "dynamic",
    "selectDataset",
    "selectApp",
]


class FormField(FastGPTModel):
    """One field of a form (`UserInputFormItemSchema`, packages/global/core/workflow/template/system/
    interactive/type.ts, f88b51b5).

    `type` and `value_type` are one of FastGPT's known values (`FormFieldType`, `FormValueType`), or,
    from a newer server, an `UnlistedValue`: another string, kept as sent. `min` and `max`
    (numberInput) are ints when FastGPT sends whole numbers, so they can be sent back as they are.
    """

    # left_to_right: a known value is the literal, never an UnlistedValue
    type: FormFieldType | UnlistedValue | None = Field(default=None, union_mode="left_to_right")
    key: str
    label: str | None = None
    value: Any = None
    value_type: FormValueType | UnlistedValue | None = Field(default=None, union_mode="left_to_right")
    description: str | None = None
    default_value: Any = None
    required: bool = False
    max_length: int | None = None  # input, textarea
    min_length: int | None = None  # password
    max: int | float | None = None  # numberInput
    min: int | float | None = None
    options: list[FormOption] | None = Field(default=None, alias="list")  # select / multipleSelect


class UserInputParams(FastGPTModel):
    description: str = ""
    input_form: list[FormField] = Field(default_factory=list)
    submitted: bool | None = None


class UserInputInteractive(FastGPTModel):
    """Fill a form. The answer is one user message whose content is a JSON object of form values."""

    type: str = "userInput"
    params: UserInputParams

    @property
    def fields(self) -> dict[str, FormField]:
        return {f.key: f for f in self.params.input_form}

    def reply(self, values: Mapping[str, Any]) -> ChatMessage:
        """The user message submitting `values` (form key -> value, kept as given).

        Checked before anything is sent, each problem a `RequestValidationError` naming the field
        (its form key): an unknown key, a required field left out, a `select` value that is not one
        of its options, a `multipleSelect` value that is not a list of them, a `numberInput` value
        that is not a number or lies outside the field's `min` / `max`.
        """
        fields = self.fields
        unknown = [k for k in values if k not in fields]
        if unknown:
            raise RequestValidationError(
                f"the form has no field(s) {unknown}; its fields are {list(fields)}", field=unknown[0]
            )
        missing = [k for k, f in fields.items() if f.required and k not in values]
        if missing:
            raise RequestValidationError(f"required form field(s) missing: {missing}", field=missing[0])
        for key, value in values.items():
            problem = _form_value_problem(fields[key], value)
            if problem is not None:
                raise RequestValidationError(f"form field {key!r}: {problem}", field=key)
        return ChatMessage.user(json.dumps(dict(values), ensure_ascii=False, separators=(",", ":")))


def _form_value_problem(field: FormField, value: Any) -> str | None:
    """Why `value` cannot answer `field`, or None. Only what the form itself states is checked: the
    options of a select, the bounds of a number (an unset bound, or no options, checks nothing)."""
    if value is None:
        return None  # left empty, as an optional field may be
    offered = [o.value for o in field.options or []]
    if field.type == "select" and offered and value not in offered:
        return f"{value!r} is not one of the options ({', '.join(repr(v) for v in offered)})"
    if field.type == "multipleSelect" and offered:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            return f"a multipleSelect takes a list of options, got {type(value).__name__}"
        stray = [v for v in value if v not in offered]
        if stray:
            return f"{stray!r} not among the options ({', '.join(repr(v) for v in offered)})"
    if field.type == "numberInput":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"a numberInput takes a number, got {type(value).__name__}"
        if field.min is not None and value < field.min:
            return f"{value!r} is below the field's min {field.min!r}"
        if field.max is not None and value > field.max:
            return f"{value!r} is above the field's max {field.max!r}"
    return None


class AgentAskOption(FastGPTModel):
    """An answer an agent suggests: `summary` is shown, `value` is what choosing it sends."""

    summary: str = ""
    value: str


class AgentAskQuestion(FastGPTModel):
    question: str
    options: list[AgentAskOption] = Field(default_factory=list)
    answer: str = ""  # the user's answer, once submitted ("" until then, and when skipped)


class AgentAskParams(FastGPTModel):
    description: str = ""  # why the agent asks
    questions: list[AgentAskQuestion] = Field(default_factory=list)
    submitted: bool | None = None


class AgentAskInteractive(FastGPTModel):
    """An agent's one to three questions to the user (FastGPT >= 4.16.0, 34632ba4, where it replaced
    the single-question `agentPlanAskQuery` of 4.15, which stays an `UnknownInteractive`).

    Each question offers options, but any text is an answer too. The answer to all of them is one
    user message, built by `reply(...)`.
    """

    type: str = "agentAsk"
    # Ties the answer to the agent's ask call. Blocking responses leave it out (they reduce an
    # interaction to `type` and `params`); FastGPT finds the pending ask from the chat either way.
    ask_id: str | None = None
    # "submit" when the answer resumes the ask in place; absent when it is sent as a new message.
    response_mode: str | None = None
    params: AgentAskParams

    @property
    def questions(self) -> list[AgentAskQuestion]:
        return self.params.questions

    def reply(self, *answers: str) -> ChatMessage:
        """The user message answering the questions, one answer each, in order; send it with the
        same `chat_id`.

        An answer is an option's `value` or any text of your own. Questions left without an answer
        (fewer answers than questions, or "") are sent as unanswered, as FastGPT's web UI does when
        a question is skipped. The content is FastGPT's `{"answers": [...]}` JSON (`parseAgentAskAnswers`
        in packages/global/core/ai/agent/utils.ts, 34632ba4).
        """
        for answer in answers:
            if not isinstance(answer, str):
                raise TypeError(
                    f"each answer is a str, got {type(answer).__name__}; pass them as reply(*answers)"
                )
        count = len(self.params.questions)
        if len(answers) > count:
            raise ValueError(f"{len(answers)} answers for {count} question(s)")
        payload = {"answers": [*answers, *[""] * (count - len(answers))]}
        return ChatMessage.user(json.dumps(payload, ensure_ascii=False, separators=(",", ":")))


class PaymentPauseParams(FastGPTModel):
    description: str | None = None  # an i18n key, such as "chat:balance_not_enough_pause"
    # Set on the stored interaction once the user continued.
    continue_: bool | None = Field(default=None, alias="continue")


class PaymentPauseInteractive(FastGPTModel):
    """The team ran out of AI points: the workflow paused before its next node.

    Top up, then `reply()` to run on from where it stopped.
    """

    type: str = "paymentPause"
    params: PaymentPauseParams = Field(default_factory=PaymentPauseParams)

    def reply(self) -> ChatMessage:
        """The user message that resumes the run; send it with the same `chat_id`. It is the text
        FastGPT's web UI sends from its continue button (RenderPaymentPauseInteractive.tsx, 82852fad);
        FastGPT resumes from the paused nodes whatever the text says."""
        return ChatMessage.user("Continue")


class UnknownInteractive(FastGPTModel):
    """An interaction kind this SDK does not type (such as the deprecated agentPlanAskQuery): raw
    params kept."""

    type: str = ""
    params: Any = None


def _kind_of(value: dict[str, Any]) -> str | None:
    kind = value.get("type")
    return kind if isinstance(kind, str) else None  # a malformed `type` (a list, ...) is no kind


def unwrap_interactive(value: Any) -> Any:
    """Follow wrapper kinds down to the interaction the user actually answers."""
    seen = 0
    while isinstance(value, dict) and _kind_of(value) in _WRAPPERS and seen < 32:
        params = value.get("params")
        child = params.get("childrenResponse") if isinstance(params, dict) else None
        if not isinstance(child, dict):
            break
        value = child
        seen += 1
    return value


def _interactive_kind(value: Any) -> str:
    if isinstance(value, dict):
        kind = _kind_of(value)
        return _KIND_TAGS.get(kind, "unknown") if kind is not None else "unknown"
    return _INTERACTIVE_TAGS.get(type(value), "unknown")  # an object keeps its class


Interactive = Annotated[
    Annotated[UserSelectInteractive, Tag("select")]
    | Annotated[UserInputInteractive, Tag("form")]
    | Annotated[AgentAskInteractive, Tag("agentAsk")]
    | Annotated[PaymentPauseInteractive, Tag("paymentPause")]
    | Annotated[UnknownInteractive, Tag("unknown")],
    Discriminator(_interactive_kind),
    BeforeValidator(unwrap_interactive),
]

_INTERACTIVE_TAGS: dict[type, str] = {cls: tag for tag, cls in tagged_members(Interactive).items()}
