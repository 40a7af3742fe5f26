"""User code that builds messages the way the docs teach, kept under `mypy --strict` (the suite's type
check covers tests/) and run by test_typed_user_code.py. If a helper's signature stopped accepting a
typed list of parts, or a tool message, `make check` fails here."""

from __future__ import annotations

from fastgpt_oapi.api.chat.model import (
    AssistantToolCall,
    AuthProxy,
    ChatCompletionRequest,
    ChatMessage,
    ContentPart,
    FileURLPart,
    ImageURL,
    ImageURLPart,
    TextPart,
    ToolCallFunction,
)
from fastgpt_oapi.api.chat_history.model import ListHistoriesRequest


def conversation() -> list[ChatMessage]:
    """A whole conversation, sent without a chat id: every role, parts from typed lists."""
    rules: list[TextPart] = [TextPart(text="Answer briefly."), TextPart(text="Cite sources.", key="rules-2")]
    question: list[TextPart] = [TextPart(text="What is in these files?")]
    images: list[ImageURLPart] = [
        ImageURLPart(image_url=ImageURL(url="https://cdn.example/chart.png"), key="chat/app/chart.png")
    ]
    files: list[FileURLPart] = [
        FileURLPart(url="https://cdn.example/q3.pdf"),
        FileURLPart(name="memo.txt", url="https://cdn.example/memo.txt", key="chat/app/memo.txt"),
    ]
    everything: list[ContentPart] = [*question, *images, *files]
    call = AssistantToolCall(id="call_1", function=ToolCallFunction(name="lookup", arguments='{"q":"q3"}'))
    return [
        ChatMessage.system(rules),
        ChatMessage.developer("Use the lookup tool for numbers."),
        ChatMessage.user(question),
        ChatMessage.user(images),
        ChatMessage.user(files),
        ChatMessage.assistant(tool_calls=[call]),
        ChatMessage.tool("revenue: 42", tool_call_id=call.id),
        ChatMessage.assistant("Revenue was 42."),
        ChatMessage.user(everything),
    ]


def proxied(messages: list[ChatMessage]) -> ChatCompletionRequest:
    return (
        ChatCompletionRequest.builder()
        .messages(messages)
        .show_skill_references(True)
        .auth_proxy(AuthProxy(username="ada@example.com"))
        .build()
    )


def workflow_tool(text: str, app_id: str | None = None) -> ChatCompletionRequest:
    """A workflow-tool app takes its inputs as variables, and no messages."""
    return ChatCompletionRequest(variables={"text": text}, app_id=app_id)


def _rejected_by_mypy() -> None:
    # Never called. With warn_unused_ignores (strict), each ignore fails mypy if the call were accepted.
    ChatMessage.system([ImageURLPart(image_url=ImageURL(url="u"))])  # type: ignore[list-item]
    ChatMessage.tool("42")  # type: ignore[call-arg]
    ChatMessage(role="robot", content="hi")  # type: ignore[arg-type]
    ChatCompletionRequest(auth_proxy={"username": "ada"})  # type: ignore[arg-type]
    ListHistoriesRequest(source="team")  # type: ignore[arg-type]
