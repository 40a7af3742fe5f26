"""Messages sent to the completions endpoint."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ChatMessage", "ContentPart", "FileURLPart", "ImageURL", "ImageURLPart", "TextPart"]


class TextPart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["text"] = "text"
    text: str


class ImageURL(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str
    detail: Literal["auto", "low", "high"] | None = None


class ImageURLPart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["image_url"] = "image_url"
    image_url: ImageURL
    # The storage key of a file uploaded with `client.chat.upload_file`: FastGPT stores it with the
    # record and signs a fresh URL from it whenever the chat is read again.
    key: str | None = None


class FileURLPart(BaseModel):
    """FastGPT's document part: the file must already be reachable at `url`."""

    model_config = ConfigDict(
        extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )
    type: Literal["file_url"] = "file_url"
    name: str | None = None
    url: str
    file_type: Literal["file", "audio", "video"] | None = Field(default=None, alias="fileType")
    key: str | None = None  # as ImageURLPart.key


ContentPart = Annotated[TextPart | ImageURLPart | FileURLPart, Field(discriminator="type")]


class ChatMessage(BaseModel):
    """One OpenAI-style chat message. With a `chat_id`, send only the new user message."""

    model_config = ConfigDict(
        extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    reasoning_content: str | None = None
    data_id: str | None = Field(default=None, alias="dataId")
    hide_in_ui: bool | None = Field(default=None, alias="hideInUI")

    @classmethod
    def user(cls, content: str | list[ContentPart]) -> ChatMessage:
        return cls(role="user", content=content)

    @classmethod
    def system(cls, content: str) -> ChatMessage:
        return cls(role="system", content=content)

    @classmethod
    def assistant(cls, content: str) -> ChatMessage:
        return cls(role="assistant", content=content)
