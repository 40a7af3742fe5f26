"""`client.chat`: blocking and streaming completions, sync and async."""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING

from fastgpt_oapi.core.options import RequestOption

from .model import ChatCompletionRequest, ChatCompletionResponse
from .stream import AsyncChatStream, ChatStream, StreamState

if TYPE_CHECKING:
    from fastgpt_oapi.client import Client
    from fastgpt_oapi.core.http import PreparedCall

__all__ = ["ChatService", "new_id"]

_ALPHABET = string.ascii_letters + string.digits


def new_id(length: int = 24) -> str:
    """A random id in FastGPT's style (nanoid alphabet without `-` and `_`)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


class ChatService:
    def __init__(self, client: Client) -> None:
        self._client = client

    def _prepare(
        self, request: ChatCompletionRequest, option: RequestOption | None, stream: bool
    ) -> tuple[PreparedCall, str, str]:
        chat_id = request.chat_id or new_id()
        data_id = request.response_chat_item_id or new_id()
        call = self._client._core.prepare(
            request,
            option,
            stream=stream,
            body_update={"stream": stream, "chatId": chat_id, "responseChatItemId": data_id},
        )
        return call, chat_id, data_id

    def chat(
        self, request: ChatCompletionRequest, request_option: RequestOption | None = None
    ) -> ChatCompletionResponse:
        """A blocking completion (`stream: false`)."""
        call, chat_id, data_id = self._prepare(request, request_option, stream=False)
        response = self._client._sync.send(call, ChatCompletionResponse)
        return _identify(response, chat_id, data_id)

    async def achat(
        self, request: ChatCompletionRequest, request_option: RequestOption | None = None
    ) -> ChatCompletionResponse:
        call, chat_id, data_id = self._prepare(request, request_option, stream=False)
        response = await self._client._async.send(call, ChatCompletionResponse)
        return _identify(response, chat_id, data_id)

    def chat_stream(
        self, request: ChatCompletionRequest, request_option: RequestOption | None = None
    ) -> ChatStream:
        """A streamed completion. The request is sent when the stream is entered or first iterated."""
        call, chat_id, data_id = self._prepare(request, request_option, stream=True)
        return ChatStream(self._client._sync, call, StreamState(chat_id, data_id))

    def achat_stream(
        self, request: ChatCompletionRequest, request_option: RequestOption | None = None
    ) -> AsyncChatStream:
        """Call without `await`: `async for event in client.chat.achat_stream(request)`."""
        call, chat_id, data_id = self._prepare(request, request_option, stream=True)
        return AsyncChatStream(self._client._async, call, StreamState(chat_id, data_id))


def _identify(response: ChatCompletionResponse, chat_id: str, data_id: str) -> ChatCompletionResponse:
    if not response.id:
        response.id = chat_id
    response._data_id = data_id
    return response
