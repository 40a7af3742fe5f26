"""`ChatStream` / `AsyncChatStream`: typed events from a completion's SSE body.

`StreamState` holds everything that does not wait on I/O (SSE decoding, typing each event with one
validation call, assembling the final result); the two stream classes only move bytes into it.
Iteration reads to the end of the body, because v1 servers up to 4.14.10 send `flowResponses` after
`[DONE]`. Leaving early (`break`, an exception, task cancellation, `close()`) closes the response, which
returns its connection to the pool.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import ValidationError

from fastgpt_oapi.core.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    FastGPTError,
    StreamClosedError,
    StreamEventTooLargeError,
    describe_error_body,
    is_error_envelope,
    make_status_error,
    make_stream_error,
)
from fastgpt_oapi.core.sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder, SSEMessage, SSEMessageTooLargeError

from .model import (
    EVENT_TYPES,
    AnswerEvent,
    ChatCompletionChunk,
    ChatStreamEvent,
    ChatStreamResult,
    ChatTitleEvent,
    DoneEvent,
    FastAnswerEvent,
    FlowNodeResponseEvent,
    FlowNodeStatus,
    FlowNodeStatusEvent,
    FlowResponsesEvent,
    Interactive,
    InteractiveEvent,
    NodeResponse,
    ToolCall,
    ToolCallEvent,
    ToolParamsEvent,
    ToolResponseEvent,
    UnknownEvent,
    UpdateVariablesEvent,
    WorkflowDurationEvent,
)

if TYPE_CHECKING:
    from fastgpt_oapi.core.http import AsyncHTTP, PreparedCall, SyncHTTP

__all__ = ["AsyncChatStream", "ChatStream", "StreamState", "is_heartbeat"]

_DONE = b"[DONE]"
_ERROR = b"error"
_ANSWER = b"answer"
_VALIDATORS = {name.encode(): (name, cls.__pydantic_validator__) for name, cls in EVENT_TYPES.items()}
_ANSWER_VALIDATOR = _VALIDATORS[_ANSWER][1]
_DONE_EVENT = DoneEvent()
_TEXT_JOIN_EVERY = 512
_PREVIEW = 500
_NO_EVENTS: Iterator[ChatStreamEvent] = iter(())


class StreamState:
    """The I/O-free part of a stream: bytes in, typed events (or a raised error) out."""

    __slots__ = (
        "_answer",
        "_decoder",
        "_duration",
        "_finish_reason",
        "_flat_nodes",
        "_head",
        "_idle",
        "_idle_deadline",
        "_interactive",
        "_nodes",
        "_reads_capped",
        "_reasoning",
        "_saw_done",
        "_sniff",
        "_statuses",
        "_title",
        "_tools",
        "_variables",
        "chat_id",
        "clock",
        "data_id",
        "error",
        "request",
    )

    def __init__(
        self,
        chat_id: str,
        data_id: str,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        idle_timeout: float | None = None,
    ) -> None:
        self.chat_id = chat_id
        self.data_id = data_id
        self.request: httpx.Request | None = None
        # Why the stream failed. An error event met after other events of the same chunk is raised
        # only once those were delivered; a stream read again after failing raises it again.
        self.error: FastGPTError | None = None
        self._decoder = SSEDecoder(max_event_bytes)
        self._sniff: httpx.Response | None = None
        self._head = b""
        # stream_idle_timeout: the deadline for an event other than the empty heartbeat.
        self.clock: Callable[[], float] = time.monotonic
        self._idle = idle_timeout
        self._idle_deadline = self.clock() + idle_timeout if idle_timeout is not None else 0.0
        self._reads_capped = False
        self._answer = _Text()
        self._reasoning = _Text()
        self._nodes: list[NodeResponse] | None = None
        self._flat_nodes: list[NodeResponse] = []
        self._variables: dict[str, Any] | None = None
        self._title: str | None = None
        self._interactive: Interactive | None = None
        self._tools: dict[str, ToolCall] = {}
        self._duration: float | None = None
        self._finish_reason: str | None = None
        self._statuses: list[FlowNodeStatus] = []
        self._saw_done = False

    def expect_error_body(self, response: httpx.Response, head: bytes = b"") -> None:
        """The response is not `text/event-stream`: an `error` first means the request was refused.
        `head` is the start of the body, to quote if it turns out to hold no event at all."""
        self._sniff = response
        self._head = head[:_PREVIEW]

    def bound_reads(self, call: PreparedCall) -> PreparedCall:
        """The call with its read timeout capped by `stream_idle_timeout`: a server that sends no byte
        at all (not even a heartbeat) is given up on within the idle window too."""
        idle = self._idle
        timeout = call.timeout
        if idle is None or (timeout.read is not None and timeout.read <= idle):
            return call
        self._reads_capped = True
        capped = httpx.Timeout(connect=timeout.connect, read=idle, write=timeout.write, pool=timeout.pool)
        return replace(call, timeout=capped)

    def start_idle_clock(self) -> None:
        """The stream is being read: the idle window starts now."""
        if self._idle is not None:
            self._idle_deadline = self.clock() + self._idle

    def messages(self, chunk: bytes) -> list[SSEMessage]:
        """The SSE messages completed by `chunk`, untyped (bytes: cheap to hold)."""
        try:
            return self._decoder.feed(chunk)
        except SSEMessageTooLargeError as exc:
            raise self._too_large(exc) from None

    def _too_large(self, exc: SSEMessageTooLargeError) -> FastGPTError:
        self.error = StreamEventTooLargeError(exc.limit, request=self.request)
        return self.error

    def events(self, chunk: bytes) -> Iterator[ChatStreamEvent]:
        """The events completed by `chunk`, each typed only when the iterator reaches it.

        A chunk may hold hundreds of events (a fast server, a buffering proxy). Typed one at a time,
        each is usually dropped by the caller before the next exists, so they die young instead of
        piling up and making the garbage collector walk them (which tripled the cost per event).
        After the iterator ends, check `error` before feeding more.
        """
        if self._idle is not None:
            return iter(self.feed(chunk))  # the idle watch judges a chunk's events together
        messages = self.messages(chunk)
        return map(self.event, messages) if messages else _NO_EVENTS

    def typed(self, chunks: Iterable[bytes]) -> Iterator[ChatStreamEvent]:
        """`events` over a whole body read as `chunks` (sync): one generator for the stream instead of
        three calls per chunk, which FastGPT's two writes per event make count (0.3 us an event)."""
        if self._idle is not None:
            for chunk in chunks:
                yield from self.events(chunk)
                if self.error is not None:
                    raise self.error
            return
        feed = self._decoder.feed
        event = self.event
        for chunk in chunks:
            try:
                messages = feed(chunk)
            except SSEMessageTooLargeError as exc:
                raise self._too_large(exc) from None
            for message in messages:
                yield event(message)
            if self.error is not None:
                raise self.error

    def feed(self, chunk: bytes) -> list[ChatStreamEvent]:
        """The events completed by `chunk`. After it returns, check `error` before feeding more."""
        events = self._type(self.messages(chunk))
        if self._idle is not None:
            self._watch_idle(self._idle, events)
        return events

    def _watch_idle(self, idle: float, events: list[ChatStreamEvent]) -> None:
        now = self.clock()
        if not all(is_heartbeat(event) for event in events):
            self._idle_deadline = now + idle
        elif now >= self._idle_deadline and self.error is None:
            self.error = self._idle_error()

    def _idle_error(self) -> APITimeoutError:
        return APITimeoutError(
            f"The stream sent nothing but heartbeats for {self._idle:g} s (stream_idle_timeout).",
            request=self.request,
        )

    def read_failed(self, error: APIConnectionError) -> APIConnectionError:
        """Record a transport failure met while reading the body, and return it to raise. A read
        timeout that `stream_idle_timeout` set is reported as the idle timeout."""
        if self._reads_capped and isinstance(error, APITimeoutError):
            error = self._idle_error()
        self.error = error
        return error

    def finish(self) -> list[ChatStreamEvent]:
        if self.error is not None:
            raise self.error
        return self._type(self._decoder.flush())

    def check_complete(self) -> None:
        """A completion always ends with `[DONE]` (or an error event): without it the body was cut
        short, and the answer so far is not the whole answer."""
        if not self._saw_done and self._sniff is not None:
            # Not an event stream, not JSON, not one event in it: a web page or a proxy's answer.
            response = self._sniff
            body = self._head.decode("utf-8", "replace")
            shown, _, _ = describe_error_body(body, "an empty body")
            kind = response.headers.get("content-type") or "no content type"
            self.error = APIResponseValidationError(
                f"Expected an event stream, got {kind}: {shown}", response=response, body=body
            )
            raise self.error
        if not self._saw_done:
            self.error = APIConnectionError(
                "The stream ended before [DONE]: the body was cut short.", request=self.request
            )
            raise self.error

    def _type(self, messages: list[SSEMessage]) -> list[ChatStreamEvent]:
        events: list[ChatStreamEvent] = []
        try:
            for message in messages:
                events.append(self.event(message))
        except FastGPTError:
            if not events:
                raise
            # The events before the error are the caller's: hand them out first.
        return events

    def event(self, message: SSEMessage) -> ChatStreamEvent:
        """One message typed and folded into the result. An `error` event raises (kept in `error`)."""
        name, data = message
        if (name is None or name == _ANSWER) and data != _DONE:
            # Most of a stream: answer chunks, typed and folded without the general dispatch.
            try:
                answer: AnswerEvent = _ANSWER_VALIDATOR.validate_json(b'{"data":' + data + b"}")
            except ValidationError as exc:
                self._sniff = None
                return _unknown("answer", data, exc)
            self._sniff = None
            self._add_chunk(answer.data)
            return answer
        try:
            event = self.decode(message)
        except FastGPTError as exc:
            self.error = exc
            raise
        self._sniff = None
        self.add(event)
        return event

    def decode(self, message: SSEMessage) -> ChatStreamEvent:
        name, data = message
        if name is None or name == _ANSWER:
            if data == _DONE:
                self._saw_done = True
                return _DONE_EVENT
            if name is None:
                try:
                    event: ChatStreamEvent = _ANSWER_VALIDATOR.validate_json(b'{"data":' + data + b"}")
                except ValidationError as exc:
                    return _unknown("answer", data, exc)
                return event
        entry = _VALIDATORS.get(name)
        if entry is None:
            if name == _ERROR:
                raise self._error(data)
            return _unknown(name.decode("utf-8", "replace"), data, None)
        try:
            event = entry[1].validate_json(b'{"data":' + data + b"}")
        except ValidationError as exc:
            return _unknown(entry[0], data, exc)
        return event

    def _error(self, data: bytes) -> Exception:
        payload = _parse(data)
        if self._sniff is not None:
            # HTTP 200 with an SSE error and no SSE content type: refused before the stream began.
            return make_status_error(self._sniff, payload)
        return make_stream_error(payload, request=self.request)

    def add(self, event: ChatStreamEvent) -> None:
        """Fold one event into the running result. Only compact data is kept, never the events."""
        if isinstance(event, (AnswerEvent, FastAnswerEvent)):
            self._add_chunk(event.data)
        elif isinstance(event, (ToolCallEvent, ToolParamsEvent, ToolResponseEvent)):
            self._add_tool(event)
        elif isinstance(event, FlowNodeStatusEvent):
            self._statuses.append(event.data)
        elif isinstance(event, FlowResponsesEvent):
            self._nodes = event.data
        elif isinstance(event, FlowNodeResponseEvent):
            self._flat_nodes.append(event.data)
        elif isinstance(event, UpdateVariablesEvent):
            self._variables = {**(self._variables or {}), **event.data}
        elif isinstance(event, WorkflowDurationEvent):
            self._duration = event.data.duration_seconds
        elif isinstance(event, ChatTitleEvent):
            self._title = event.data.title
        elif isinstance(event, InteractiveEvent):
            self._interactive = event.data

    def _add_chunk(self, chunk: ChatCompletionChunk) -> None:
        choices = chunk.choices
        if choices:
            choice = choices[0]
            delta = choice.delta
            if delta.content:
                self._answer.add(delta.content)
            if delta.reasoning_content:
                self._reasoning.add(delta.reasoning_content)
            if choice.finish_reason:
                self._finish_reason = choice.finish_reason

    def _add_tool(self, event: ToolCallEvent | ToolParamsEvent | ToolResponseEvent) -> None:
        tool = event.data.tool
        call = self._tools.get(tool.id)
        if call is None:
            call = self._tools[tool.id] = ToolCall(id=tool.id)
        if tool.tool_name:
            call.tool_name = tool.tool_name
        if tool.tool_avatar:
            call.tool_avatar = tool.tool_avatar
        if tool.function_name:
            call.function_name = tool.function_name
        if isinstance(event, ToolResponseEvent):
            call.response = tool.response
        elif tool.params:
            # FastGPT <= 4.11 sends the whole argument string in toolCall; later ones stream it.
            call.params += tool.params

    def result(self) -> ChatStreamResult:
        return ChatStreamResult(
            answer=self._answer.text(),
            reasoning=self._reasoning.text() or None,
            chat_id=self.chat_id,
            data_id=self.data_id,
            response_data=self._nodes if self._nodes is not None else _fold(self._flat_nodes),
            new_variables=self._variables,
            title=self._title,
            interactive=self._interactive,
            tool_calls=list(self._tools.values()),
            duration_seconds=self._duration,
            finish_reason=self._finish_reason,
            node_statuses=self._statuses,
        )


class _Text:
    """Text that arrives in many small pieces (a 200k-event answer), kept as a few strings: pieces are
    joined in groups, so each character is copied twice at most, however long the text grows."""

    __slots__ = ("_blocks", "_pieces")

    def __init__(self) -> None:
        self._blocks: list[str] = []
        self._pieces: list[str] = []

    def add(self, piece: str) -> None:
        pieces = self._pieces
        pieces.append(piece)
        if len(pieces) >= _TEXT_JOIN_EVERY:
            self._blocks.append("".join(pieces))
            pieces.clear()

    def text(self) -> str:
        return "".join([*self._blocks, *self._pieces])


def _parse(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: arrays or objects nested too deep
        return data.decode("utf-8", "replace")


def is_heartbeat(event: ChatStreamEvent) -> bool:
    """FastGPT's keep-alive: an answer chunk with no text, no reasoning and no finish reason."""
    if not isinstance(event, (AnswerEvent, FastAnswerEvent)):
        return False
    choices = event.data.choices
    if not choices:
        return True
    choice = choices[0]
    delta = choice.delta
    return not delta.content and not delta.reasoning_content and choice.finish_reason is None


def _unknown(name: str, data: bytes, exc: ValidationError | None) -> UnknownEvent:
    error = None
    if exc is not None:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        error = f"{exc.error_count()} validation error(s); first at {where}: {first['msg']}"
    return UnknownEvent(event=name, data=_parse(data), error=error)


def _fold(flat: list[NodeResponse]) -> list[NodeResponse]:
    """v2 sends node responses flat; nest children under their parent as v1 does.

    The tree is built from copies: the `flowNodeResponse` events already handed out stay as sent.
    """
    if not any(n.parent_id for n in flat):
        return list(flat)
    nodes = [n.model_copy() for n in flat]
    by_id = {n.id: n for n in nodes if n.id}
    roots: list[NodeResponse] = []
    for node in nodes:
        parent = by_id.get(node.parent_id) if node.parent_id else None
        if parent is None or parent is node:
            roots.append(node)
            continue
        children = parent.children_responses or []
        if all(c.id != node.id for c in children):
            parent.children_responses = [*children, node]
    return roots


def _raw_is_body(response: httpx.Response) -> bool:
    """The raw chunks are the body: no content coding, and not read yet (a response built from bytes,
    as `httpx.MockTransport` returns it, is read already and only the decoded iterator serves it).
    httpx's decoded iterator passes raw chunks through an identity decoder and a re-chunker that
    change nothing, for 0.14 us a chunk: a third of httpx's time per event when FastGPT writes an
    event in two chunks."""
    if response.is_stream_consumed:
        return False
    coding = response.headers.get("content-encoding")
    return not coding or coding.strip().lower() == "identity"


def _is_event_stream(response: httpx.Response) -> bool:
    return "text/event-stream" in response.headers.get("content-type", "").lower()


def _refused(response: httpx.Response, body: bytes) -> FastGPTError | None:
    """A non-SSE body that is a JSON document: an error envelope (or something unusable)."""
    stripped = body.lstrip()
    if not stripped.startswith((b"{", b"[")):
        return None
    payload = _parse(body)
    if is_error_envelope(payload):
        return make_status_error(response, payload)
    return APIResponseValidationError(
        "Expected an event stream, got a JSON document", response=response, body=payload
    )


class _StreamBase:
    def __init__(self, state: StreamState) -> None:
        self._state = state
        self._response: httpx.Response | None = None
        self._done = False
        self._closed = False

    @property
    def chat_id(self) -> str:
        return self._state.chat_id

    @property
    def data_id(self) -> str:
        return self._state.data_id

    @property
    def response(self) -> httpx.Response | None:
        """The HTTP response, once the stream is open (for headers such as `x-request-id`)."""
        return self._response

    def _abandon(self) -> None:
        """Closed before its end: what is left of the body is never read, and reading on says so."""
        self._closed = True
        if not self._done and self._state.error is None:
            self._state.error = StreamClosedError("the stream was closed before it ended")

    def _check_result(self) -> ChatStreamResult:
        if not self._done:
            raise StreamClosedError("the stream was closed before it ended; no complete result")
        return self._state.result()

    def __repr__(self) -> str:
        status = "done" if self._done else "closed" if self._closed else "open" if self._response else "new"
        return f"{type(self).__name__}(chat_id={self.chat_id!r}, data_id={self.data_id!r}, {status})"


class ChatStream(_StreamBase):
    """A streamed completion: iterate it for `ChatStreamEvent`s; use it as a context manager."""

    def __init__(self, http: SyncHTTP, call: PreparedCall, state: StreamState) -> None:
        super().__init__(state)
        self._http = http
        self._call = call
        self._chunks: Iterator[bytes] | None = None

    def _open(self) -> Iterator[bytes]:
        if self._chunks is not None:
            return self._chunks
        if self._closed:
            raise StreamClosedError("the stream is closed")
        response = self._http.open(self._call, read_body=False)
        self._response = response
        self._state.request = response.request
        chunks = response.iter_raw() if _raw_is_body(response) else response.iter_bytes()
        if not _is_event_stream(response):
            chunks = self._sniff(response, chunks)
        self._chunks = chunks
        return chunks

    def _sniff(self, response: httpx.Response, chunks: Iterator[bytes]) -> Iterator[bytes]:
        first = next(chunks, b"")
        if first.lstrip().startswith((b"{", b"[")):
            body = first + b"".join(chunks)
            error = _refused(response, body)
            if error is not None:
                self._state.error = error
                self.close()
                raise error
        self._state.expect_error_body(response, first)
        yield first
        yield from chunks

    def __iter__(self) -> Iterator[ChatStreamEvent]:
        return self._events()

    def _events(self) -> Iterator[ChatStreamEvent]:
        if self._done:
            return
        state = self._state
        if self._closed:
            raise state.error or StreamClosedError("the stream is closed")
        finished = False
        try:
            chunks = self._open()
            state.start_idle_clock()
            yield from state.typed(chunks)
            yield from state.finish()
            state.check_complete()
            finished = True
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise state.read_failed(self._http.core.wrap_transport_error(exc, state.request)) from exc
        except FastGPTError as exc:
            state.error = state.error or exc  # e.g. the request refused: a later read says so again
            raise
        finally:
            self._done = finished
            self.close()

    @property
    def text_stream(self) -> Iterator[str]:
        """Only the answer text, delta by delta (heartbeats and reasoning left out)."""
        for event in self:
            if isinstance(event, (AnswerEvent, FastAnswerEvent)):
                text = event.text
                if text:
                    yield text

    def until_done(self) -> None:
        for _ in self:
            pass

    def get_final_response(self) -> ChatStreamResult:
        """Read what is left, then return the assembled result."""
        self.until_done()
        return self._check_result()

    def close(self) -> None:
        self._abandon()
        if self._response is not None:
            self._response.close()

    def __enter__(self) -> ChatStream:
        self._open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncChatStream(_StreamBase):
    """The async twin of `ChatStream`: `async for event in stream`, `async with`."""

    def __init__(self, http: AsyncHTTP, call: PreparedCall, state: StreamState) -> None:
        super().__init__(state)
        self._http = http
        self._call = call
        self._chunks: AsyncIterator[bytes] | None = None

    async def _open(self) -> AsyncIterator[bytes]:
        if self._chunks is not None:
            return self._chunks
        if self._closed:
            raise StreamClosedError("the stream is closed")
        response = await self._http.open(self._call, read_body=False)
        self._response = response
        self._state.request = response.request
        chunks = response.aiter_raw() if _raw_is_body(response) else response.aiter_bytes()
        if not _is_event_stream(response):
            chunks = self._sniff(response, chunks)
        self._chunks = chunks
        return chunks

    async def _sniff(self, response: httpx.Response, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        first = b""
        async for chunk in chunks:
            first = chunk
            break
        if first.lstrip().startswith((b"{", b"[")):
            rest = [chunk async for chunk in chunks]
            error = _refused(response, first + b"".join(rest))
            if error is not None:
                self._state.error = error
                await self.aclose()
                raise error
        self._state.expect_error_body(response, first)
        yield first
        async for chunk in chunks:
            yield chunk

    def __aiter__(self) -> AsyncIterator[ChatStreamEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[ChatStreamEvent]:
        if self._done:
            return
        state = self._state
        if self._closed:
            raise state.error or StreamClosedError("the stream is closed")
        finished = False
        try:
            chunks = await self._open()
            state.start_idle_clock()
            async for chunk in chunks:
                for event in state.events(chunk):
                    yield event
                if state.error is not None:
                    raise state.error
            for event in state.finish():
                yield event
            state.check_complete()
            finished = True
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise state.read_failed(self._http.core.wrap_transport_error(exc, state.request)) from exc
        except FastGPTError as exc:
            state.error = state.error or exc  # e.g. the request refused: a later read says so again
            raise
        finally:
            self._done = finished
            await self.aclose()

    @property
    async def text_stream(self) -> AsyncIterator[str]:
        async for event in self:
            if isinstance(event, (AnswerEvent, FastAnswerEvent)):
                text = event.text
                if text:
                    yield text

    async def until_done(self) -> None:
        async for _ in self:
            pass

    async def get_final_response(self) -> ChatStreamResult:
        await self.until_done()
        return self._check_result()

    async def aclose(self) -> None:
        self._abandon()
        if self._response is not None:
            await self._response.aclose()

    async def __aenter__(self) -> AsyncChatStream:
        await self._open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
