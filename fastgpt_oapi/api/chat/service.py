"""`client.chat`: blocking and streaming completions, sync and async."""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING

from fastgpt_oapi.core.options import RequestOption

from .model import ChatCompletionRequest, ChatCompletionResponse, StopChatRequest, StopChatResponse
from .stream import AsyncChatStream, ChatStream, ChatStreamDecoder

if TYPE_CHECKING:
    from fastgpt_oapi.core.http import PreparedCall, Sender

__all__ = ["ChatService", "new_id"]

_ALPHABET = string.ascii_letters + string.digits
# Random bytes to id characters in one `translate` (byte b -> _ALPHABET[b % 62]). Bytes from 248 up
# are dropped, so each of the 62 characters stays equally likely (248 = 4 * 62).
_ID_TABLE = bytes(ord(_ALPHABET[b % len(_ALPHABET)]) for b in range(256))
_ID_UNEVEN = bytes(range(256 - 256 % len(_ALPHABET), 256))


def new_id(length: int = 24) -> str:
    """A random id in FastGPT's style (nanoid alphabet without `-` and `_`).

    One read of the OS's randomness per id, not one per character (`secrets.choice`), which was most
    of the SDK's own cost in a blocking call (it makes two per call; bench/RESULTS.md, row 2).
    """
    raw = b""
    while len(raw) < length:
        raw += secrets.token_bytes(length).translate(_ID_TABLE, _ID_UNEVEN)
    return raw[:length].decode("ascii")


class ChatService:
    def __init__(self, http: Sender) -> None:
        self._http = http

    def _prepare(
        self,
        request: ChatCompletionRequest,
        option: RequestOption | None,
        stream: bool,
        read_cap: float | None = None,
    ) -> tuple[PreparedCall, str, str]:
        chat_id = request.chat_id or new_id()
        data_id = request.response_chat_item_id or new_id()
        call = self._http.prepare(
            request,
            option,
            stream=stream,
            body_update={"stream": stream, "chatId": chat_id, "responseChatItemId": data_id},
            read_cap=read_cap,
        )
        version = self._http.config.completions_version
        if version is not None:  # pinned: that path alone, no fallback
            call = call.at("POST", f"/api/{version}/chat/completions")
        return call, chat_id, data_id

    def chat(
        self, request: ChatCompletionRequest, request_option: RequestOption | None = None
    ) -> ChatCompletionResponse:
        """A blocking completion (`stream: false`)."""
        call, chat_id, data_id = self._prepare(request, request_option, stream=False)
        return _identify(self._http.send(call, ChatCompletionResponse), chat_id, data_id)

    async def achat(
        self, request: ChatCompletionRequest, request_option: RequestOption | None = None
    ) -> ChatCompletionResponse:
        call, chat_id, data_id = self._prepare(request, request_option, stream=False)
        return _identify(await self._http.asend(call, ChatCompletionResponse), chat_id, data_id)

    def chat_stream(
        self, request: ChatCompletionRequest, request_option: RequestOption | None = None
    ) -> ChatStream:
        """A streamed completion. The request is sent when the stream is entered or first iterated."""
        return ChatStream(self._http, *self._prepare_stream(request, request_option))

    def achat_stream(
        self, request: ChatCompletionRequest, request_option: RequestOption | None = None
    ) -> AsyncChatStream:
        """Call without `await`: `async for event in client.chat.achat_stream(request)`."""
        return AsyncChatStream(self._http, *self._prepare_stream(request, request_option))

    def _prepare_stream(
        self, request: ChatCompletionRequest, option: RequestOption | None
    ) -> tuple[PreparedCall, ChatStreamDecoder]:
        config = self._http.config
        idle, read = config.stream_idle_timeout, config.timeout
        if option is not None:
            idle = option.stream_idle_timeout if option.stream_idle_timeout is not None else idle
            read = option.timeout if option.timeout is not None else read
        # A server that sends no byte at all (not even a heartbeat) is given up on within the idle
        # window too: reads wait no longer than it.
        call, chat_id, data_id = self._prepare(request, option, stream=True, read_cap=idle)
        decoder = ChatStreamDecoder(
            chat_id,
            data_id,
            config.max_event_bytes,
            idle,
            reads_capped=idle is not None and read > idle,
            clock=self._http.hooks.clock,
        )
        return call, decoder

    def stop_chat(
        self, request: StopChatRequest, request_option: RequestOption | None = None
    ) -> StopChatResponse:
        """Ask FastGPT to stop the workflow running in `request.chat_id` (`POST /api/v2/chat/stop`).

        `success` means the stop flag was written. FastGPT >= 4.16.3 answers at once, with `completed`
        always False: close your own stream (`stream.close()`) once this returns, rather than waiting
        for the stream or for `completed`. Older servers waited up to 5 s for the run to wind down.
        """
        return self._http.request(request, request_option)

    async def astop_chat(
        self, request: StopChatRequest, request_option: RequestOption | None = None
    ) -> StopChatResponse:
        return await self._http.arequest(request, request_option)


def _identify(response: ChatCompletionResponse, chat_id: str, data_id: str) -> ChatCompletionResponse:
    if not response.id:
        response.id = chat_id
    response.data_id = data_id
    return response
