"""`client.chat`: blocking and streaming completions, sync and async."""

from __future__ import annotations

import asyncio
import mimetypes
import secrets
import string
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastgpt_oapi.core.options import RequestOption
from fastgpt_oapi.core.progress import ProgressCallback
from fastgpt_oapi.core.storage import aupload, upload
from fastgpt_oapi.core.upload import PresignedUpload, UploadSource, filename_of, open_source

from ._calls import ChatCalls
from .model import (
    ChatCompletionRequest,
    ChatCompletionResponse,
    PresignChatFileGetUrlRequest,
    UploadedFile,
    UploadFileRequest,
    remember_request,
)
from .stream import AsyncChatStream, ChatStream, ChatStreamDecoder

if TYPE_CHECKING:
    from fastgpt_oapi.core.http import PreparedCall

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


class ChatService(ChatCalls):
    def _prepare(
        self,
        request: ChatCompletionRequest,
        option: RequestOption | None,
        stream: bool,
        read_cap: float | None = None,
    ) -> tuple[PreparedCall, str, str]:
        chat_id = request.chat_id
        if chat_id is None:
            # Written into the request, where a program reads it back for its next turn: left None, a
            # loop that sends `request.chat_id` again would start a new chat every turn.
            chat_id = request.chat_id = new_id()
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
        return self._http.send(call, ChatCompletionResponse, _identify(request, chat_id, data_id))

    async def achat(
        self, request: ChatCompletionRequest, request_option: RequestOption | None = None
    ) -> ChatCompletionResponse:
        call, chat_id, data_id = self._prepare(request, request_option, stream=False)
        return await self._http.asend(call, ChatCompletionResponse, _identify(request, chat_id, data_id))

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
        settings = config.resolve(option)
        idle, read = settings.stream_idle_timeout, settings.timeout
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
            strict=config.strict_responses,
            request=request,
        )
        return call, decoder

    # ---- files in messages ----------------------------------------------------------------------

    def upload_file(
        self,
        request: UploadFileRequest,
        request_option: RequestOption | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> UploadedFile:
        """Put a file into FastGPT's storage; send `.image_part()` / `.file_part()` of the answer.

        Asks FastGPT for an upload URL (`presignChatFilePostUrl`, a write: sent again only if it never
        left), then sends the file there, streamed from disk: one PUT, or parts and a completion when
        FastGPT (>= 4.16) asks for a multipart upload. The storage requests carry no API key and none
        of the client's default headers, and are never sent again once bytes may have arrived
        (`core/storage.py`). A missing path or a directory raises `RequestValidationError` (field
        `content`) before anything is sent.

        `on_progress(bytes_sent, size)` hears the file's bytes as they are written to the connection
        (`fastgpt_oapi.ProgressCallback`): 0 first, then after each chunk; a part sent again restarts
        from its offset. An exception it raises cuts the upload off where it is and comes out of this
        call as it is: nothing is retried, a multipart upload is aborted, nothing is stored.
        """
        filename = filename_of(request, "content")
        source = open_source(request.content)
        source.progress = on_progress
        presigned = upload(
            self._http, request, source, request_option, _presign_fields(request, filename, source)
        )
        preview_url = presigned.preview_url
        if preview_url is None:
            preview_url = self._http.request(_file_url_request(request, presigned), request_option).url
        return _uploaded(request, presigned, preview_url, filename, source)

    async def aupload_file(
        self,
        request: UploadFileRequest,
        request_option: RequestOption | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> UploadedFile:
        """`upload_file`, async. File reads run in worker threads, a chunk at a time; `on_progress`
        is called on the event loop."""
        filename = filename_of(request, "content")
        # In a thread: opening a path is quick, but copying a stream that cannot seek may take a while.
        source = await asyncio.to_thread(open_source, request.content)
        source.progress = on_progress
        presigned = await aupload(
            self._http, request, source, request_option, _presign_fields(request, filename, source)
        )
        preview_url = presigned.preview_url
        if preview_url is None:
            preview_url = (
                await self._http.arequest(_file_url_request(request, presigned), request_option)
            ).url
        return _uploaded(request, presigned, preview_url, filename, source)


def _presign_fields(request: UploadFileRequest, filename: str, source: UploadSource) -> dict[str, Any]:
    fields: dict[str, Any] = {"filename": filename, "size": source.size}
    content_type = _content_type(request, filename)
    if content_type is not None:
        fields["contentType"] = content_type
    return fields


def _content_type(request: UploadFileRequest, filename: str) -> str | None:
    return request.content_type or mimetypes.guess_type(filename, strict=False)[0]


def _file_url_request(request: UploadFileRequest, presigned: PresignedUpload) -> PresignChatFileGetUrlRequest:
    return PresignChatFileGetUrlRequest(key=presigned.key, chat_id=request.chat_id, app_id=request.app_id)


def _uploaded(
    request: UploadFileRequest,
    presigned: PresignedUpload,
    preview_url: str,
    filename: str,
    source: UploadSource,
) -> UploadedFile:
    return UploadedFile(
        key=presigned.key,
        preview_url=preview_url,
        filename=filename,
        content_type=presigned.stored_content_type or _content_type(request, filename),
        size=source.size,
    )


def _identify(
    request: ChatCompletionRequest, chat_id: str, data_id: str
) -> Callable[[ChatCompletionResponse], ChatCompletionResponse]:
    """What completes a blocking answer: the ids the SDK sent, where the caller looks for them, and
    the request, which its `follow_up` continues."""

    def complete(response: ChatCompletionResponse) -> ChatCompletionResponse:
        if not response.id:
            response.id = chat_id
        response.data_id = data_id
        remember_request(response, request)
        return response

    return complete
