"""Messages sent to the completions endpoint, checked per role the way FastGPT checks them.

FastGPT validates `messages[]` with `ChatCompletionMessageParamSchema`, a zod union discriminated on
`role` (`packages/global/core/ai/llm/type.ts`, last changed by e97332a7, as of upstream f88b51b5):

| role | content | other fields |
|---|---|---|
| `system`, `developer` | required: a string or text parts | `name?` |
| `user` | required: a string or text / image_url / file_url parts | `name?` |
| `assistant` | optional, may be null: a string or text / refusal parts | `tool_calls?`, `interactive?`, `refusal?`, `audio?`, `function_call?`, `name?` |
| `tool` | required: a string or text parts | `tool_call_id` (required), `name?` |
| `function` | a string or null (the key is required) | `name` (required) |

Every role also takes `reasoning_content?`, `dataId?` and `hideInUI?`. A message FastGPT would answer
with HTTP 400 is refused here, naming the field, before anything is sent. FastGPT's zod objects strip
keys they do not know; the SDK refuses them instead, so nothing the caller wrote is silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_serializer,
)

from fastgpt_oapi.core.model import CheckedModel, StrictModel

__all__ = [
    "AssistantAudio",
    "AssistantToolCall",
    "ChatMessage",
    "ContentPart",
    "FileURLPart",
    "ImageURL",
    "ImageURLPart",
    "MessageContent",
    "MessageInput",
    "MessagePart",
    "RefusalPart",
    "Role",
    "TextPart",
    "ToolCallFunction",
]


class TextPart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["text"] = "text"
    text: str
    # FastGPT keeps a part's `key` with the stored message (an uploaded file's storage key, say).
    key: str | None = None


class ImageURL(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str
    detail: Literal["auto", "low", "high"] | None = None


class ImageURLPart(BaseModel):
    """An image. `key` is the storage key `presignChatFilePostUrl` returned, so the stored record
    can be signed again later instead of keeping the short-lived preview URL."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["image_url"] = "image_url"
    image_url: ImageURL
    # The storage key of a file uploaded with `client.chat.upload_file`: FastGPT stores it with the
    # record and signs a fresh URL from it whenever the chat is read again.
    key: str | None = None


class FileURLPart(StrictModel):
    """FastGPT's document part: the file must be reachable at `url` (or stored under `key`)."""

    type: Literal["file_url"] = "file_url"
    name: str | None = None
    url: str
    file_type: Literal["file", "audio", "video"] | None = Field(default=None, alias="fileType")
    key: str | None = None  # as ImageURLPart.key


class RefusalPart(BaseModel):
    """A model's refusal, as a part of an assistant message's content (OpenAI's shape)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["refusal"] = "refusal"
    refusal: str


# The parts a user message may carry.
ContentPart = Annotated[TextPart | ImageURLPart | FileURLPart, Field(discriminator="type")]
# Every part any role may carry; which role takes which is checked on the message.
MessagePart = Annotated[TextPart | ImageURLPart | FileURLPart | RefusalPart, Field(discriminator="type")]

Role = Literal["system", "developer", "user", "assistant", "tool", "function"]


def _content_kind(value: Any) -> str:
    return "text" if isinstance(value, str) else "parts"


# A string or a sequence of parts. Told apart up front, so a bad part is reported as itself
# (`content.parts.0.file_url.url: Field required`), not as "not a valid string".
MessageContent = Annotated[
    Annotated[str, Tag("text")] | Annotated[Sequence[MessagePart], Tag("parts")],
    Discriminator(_content_kind),
]


class ToolCallFunction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    arguments: str  # the arguments as a JSON string, as the model wrote them


class AssistantToolCall(BaseModel):
    """One tool call of an assistant message, answered by the `tool` message with the same id."""

    model_config = ConfigDict(extra="forbid")
    id: str
    type: Literal["function"] = "function"
    function: ToolCallFunction


class AssistantAudio(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str


_CONTENT_REQUIRED = frozenset({"system", "developer", "user", "tool"})
_PART_TYPES: dict[str, tuple[str, ...]] = {
    "system": ("text",),
    "developer": ("text",),
    "user": ("text", "image_url", "file_url"),
    "assistant": ("text", "refusal"),
    "tool": ("text",),
    "function": (),  # a string or null, never parts
}


class ChatMessage(StrictModel, CheckedModel):
    """One OpenAI-style chat message. With a `chat_id`, send only the new user message.

    Build it with `ChatMessage.user/system/developer/assistant(...)` or `ChatMessage.tool(...)`; the
    rules of the table in this module's docstring are checked when it is built.
    """

    # `role` comes first: the checks below read it from the fields validated before them.
    role: Role
    content: MessageContent | None = Field(default=None, validate_default=True)
    name: str | None = Field(default=None, validate_default=True)
    tool_call_id: str | None = Field(default=None, validate_default=True)
    tool_calls: Sequence[AssistantToolCall] | None = None
    # FastGPT's own extension: an interactive node's question, stored with the assistant message.
    interactive: dict[str, Any] | None = None
    refusal: str | None = None
    audio: AssistantAudio | None = None
    function_call: ToolCallFunction | None = None  # deprecated by OpenAI; FastGPT still accepts it
    reasoning_content: str | None = None
    data_id: str | None = Field(default=None, alias="dataId")
    hide_in_ui: bool | None = Field(default=None, alias="hideInUI")

    @field_validator("content")
    @classmethod
    def _content_for_role(cls, value: Any, info: ValidationInfo) -> Any:
        role = info.data.get("role")
        if role is None:  # the role itself was refused; that is the error to report
            return value
        if value is None:
            if role in _CONTENT_REQUIRED:
                raise ValueError(f"a {role} message needs content (a string or a list of parts)")
            return value
        if isinstance(value, str):
            return value
        allowed = _PART_TYPES[role]
        if not allowed:
            raise ValueError(f"a {role} message's content is a string or None, not a list of parts")
        for index, part in enumerate(value):
            if part.type not in allowed:
                kinds = " / ".join(allowed)
                raise ValueError(f"part {index} is {part.type!r}: a {role} message takes {kinds} parts only")
        return list(value)  # whatever sequence was given (a tuple, say), a list from here on

    @field_validator("name")
    @classmethod
    def _name_for_role(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.data.get("role") == "function":
            raise ValueError("a function message needs the function's name")
        return value

    @field_validator("tool_call_id")
    @classmethod
    def _tool_call_id_for_role(cls, value: Any, info: ValidationInfo) -> Any:
        role = info.data.get("role")
        if value is None and role == "tool":
            raise ValueError("a tool message needs the id of the tool call it answers")
        if value is not None and role is not None and role != "tool":
            raise ValueError(f"only tool messages carry tool_call_id, not {role} messages")
        return value

    @field_validator("tool_calls", "interactive", "refusal", "audio", "function_call")
    @classmethod
    def _assistant_only(cls, value: Any, info: ValidationInfo) -> Any:
        role = info.data.get("role")
        if value is not None and role is not None and role != "assistant":
            raise ValueError(f"only assistant messages carry {info.field_name}, not {role} messages")
        return value

    @model_serializer(mode="wrap")
    def _function_content_kept(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        # Requests are dumped without None values, but FastGPT requires a function message's content
        # key (a string or null): an absent key is a 400.
        if self.role == "function" and "content" not in data:
            data["content"] = None
        return data

    @classmethod
    def user(cls, content: str | Sequence[ContentPart]) -> ChatMessage:
        return cls(role="user", content=content)

    @classmethod
    def system(cls, content: str | Sequence[TextPart]) -> ChatMessage:
        return cls(role="system", content=content)

    @classmethod
    def developer(cls, content: str | Sequence[TextPart]) -> ChatMessage:
        """A system message for models that take `developer` instead (OpenAI's o1 and later)."""
        return cls(role="developer", content=content)

    @classmethod
    def assistant(
        cls,
        content: str | Sequence[TextPart | RefusalPart] | None = None,
        *,
        tool_calls: Sequence[AssistantToolCall] | None = None,
    ) -> ChatMessage:
        """An earlier answer; with `tool_calls`, the calls the model made (content may then be None)."""
        return cls(role="assistant", content=content, tool_calls=tool_calls)

    @classmethod
    def tool(cls, content: str | Sequence[TextPart], *, tool_call_id: str) -> ChatMessage:
        """A tool's result, answering the assistant's tool call `tool_call_id`."""
        return cls(role="tool", content=content, tool_call_id=tool_call_id)


def _message(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    if isinstance(value, dict):
        # Validated the way ChatMessage.__init__ validates, but a refusal stays a pydantic error, so
        # the request reports where it is (`messages.2.tool_call_id`), not one opaque message error.
        message = ChatMessage.__new__(ChatMessage)
        ChatMessage.__pydantic_validator__.validate_python(value, self_instance=message)
        return message
    if not isinstance(value, ChatMessage):
        raise ValueError(f"a message is a ChatMessage or a dict, not {type(value).__name__}")
    return handler(value)


# An item of a request's `messages`: a ChatMessage, or a plain dict checked as one.
MessageInput = Annotated[ChatMessage | dict[str, Any], WrapValidator(_message)]
