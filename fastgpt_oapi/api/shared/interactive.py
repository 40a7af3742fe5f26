"""Interactive nodes: a workflow paused to ask the user something.

Wrapper kinds (a sub-app's, a loop's or a tool call's interaction) are unwrapped to the innermost
user-facing one, which is what the next message answers. Each typed interaction builds its own reply.
Kinds this SDK does not know stay as `UnknownInteractive` with their raw params.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, Discriminator, Field, Tag

from fastgpt_oapi.core.model import FastGPTModel

from .message import ChatMessage

__all__ = [
    "FormField",
    "FormOption",
    "Interactive",
    "SelectOption",
    "UnknownInteractive",
    "UserInputInteractive",
    "UserInputParams",
    "UserSelectInteractive",
    "UserSelectParams",
    "unwrap_interactive",
]

_WRAPPERS = frozenset(
    {"childrenInteractive", "toolChildrenInteractive", "loopInteractive", "loopRunInteractive"}
)
_SELECT_KINDS = ("userSelect", "agentPlanAskUserSelect")
_FORM_KINDS = ("userInput", "agentPlanAskUserForm")


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
            raise ValueError(f"{value!r} is not one of the offered options ({offered})")
        return ChatMessage.user(value)


class FormOption(FastGPTModel):
    label: str | None = None
    value: Any = None


class FormField(FastGPTModel):
    type: str | None = None
    key: str
    label: str | None = None
    value: Any = None
    value_type: str | None = None
    description: str | None = None
    default_value: Any = None
    required: bool = False
    max_length: int | None = None
    min_length: int | None = None
    max: float | None = None
    min: float | None = None
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
        """The user message submitting `values` (form key -> value, kept as given)."""
        fields = self.fields
        unknown = [k for k in values if k not in fields]
        if unknown:
            raise ValueError(f"the form has no field(s) {unknown}; its fields are {list(fields)}")
        missing = [k for k, f in fields.items() if f.required and k not in values]
        if missing:
            raise ValueError(f"required form field(s) missing: {missing}")
        return ChatMessage.user(json.dumps(dict(values), ensure_ascii=False, separators=(",", ":")))


class UnknownInteractive(FastGPTModel):
    """An interaction kind this SDK does not type (agentAsk, paymentPause, ...): raw params kept."""

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
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if isinstance(value, (dict, UserSelectInteractive, UserInputInteractive)):
        if kind in _SELECT_KINDS:
            return "select"
        if kind in _FORM_KINDS:
            return "form"
    return "unknown"


Interactive = Annotated[
    Annotated[UserSelectInteractive, Tag("select")]
    | Annotated[UserInputInteractive, Tag("form")]
    | Annotated[UnknownInteractive, Tag("unknown")],
    Discriminator(_interactive_kind),
    BeforeValidator(unwrap_interactive),
]
