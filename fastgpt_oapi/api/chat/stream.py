"""`ChatStream` / `AsyncChatStream`: typed events from a completion's SSE body.

`ChatStreamDecoder` is everything chat-specific and free of I/O: SSE messages typed with one
validation call each, folded into the final result, `[DONE]` watched for, heartbeats told apart. The
generic shell that sends the call and moves bytes into it is `fastgpt_oapi.core.streaming`. Iteration
reads to the end of the body, because v1 servers up to 4.14.10 send `flowResponses` after `[DONE]`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from fastgpt_oapi.core.config import DEFAULT_MAX_EVENT_BYTES
from fastgpt_oapi.core.drift import repair
from fastgpt_oapi.core.errors import (
    APIConnectionError,
    APITimeoutError,
    FastGPTError,
    StreamEventTooLargeError,
)
from fastgpt_oapi.core.sse import SSEDecoder, SSEMessage
from fastgpt_oapi.core.streaming import AsyncEventStream, EventStream, StreamOrigin, loads_or_text

from .model import (
    EVENT_TYPES,
    AgentPlan,
    AnswerEvent,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatStreamEvent,
    ChatStreamResult,
    ChatTitleEvent,
    ChunkEvent,
    DoneEvent,
    FastAnswerEvent,
    FlowNodeResponseEvent,
    FlowNodeStatus,
    FlowNodeStatusEvent,
    FlowResponsesEvent,
    Interactive,
    InteractiveEvent,
    MessageInput,
    NodeResponse,
    PlanEvent,
    PlanStatus,
    PlanStatusEvent,
    SandboxStatus,
    SandboxStatusEvent,
    SkillCallEvent,
    SkillInfo,
    ToolCall,
    ToolCallEvent,
    ToolParamsEvent,
    ToolResponseEvent,
    UnknownEvent,
    UpdateVariablesEvent,
    WorkflowDurationEvent,
    next_request,
    remember_request,
)

EventT = TypeVar("EventT", bound=BaseModel)

__all__ = ["AsyncChatStream", "ChatStream", "ChatStreamDecoder", "Delta", "is_heartbeat"]

_DONE = b"[DONE]"
_ERROR = b"error"
_ANSWER = b"answer"
# Each event class validates `{"data": <the SSE data>}`: the bytes go to pydantic-core untouched, and
# the class's `event` field takes its default.
_VALIDATORS = {name.encode(): (name, cls.__pydantic_validator__) for name, cls in EVENT_TYPES.items()}
_ANSWER_VALIDATOR = _VALIDATORS[_ANSWER][1]
_DONE_EVENT = DoneEvent()
_TEXT_JOIN_EVERY = 512
_NO_EVENTS: Iterator[ChatStreamEvent] = iter(())


class ChatStreamDecoder:
    """A completion's SSE body in, typed events (or a raised error) out; also the assembled result.

    `feed(chunk)` is the one way in, whoever drives it: the sync and async streams, and the tests.
    """

    __slots__ = (
        "_answer",
        "_clock",
        "_duration",
        "_finish_reason",
        "_flat_nodes",
        "_idle",
        "_idle_deadline",
        "_interactive",
        "_nodes",
        "_origin",
        "_plan",
        "_plan_status",
        "_reads_capped",
        "_reasoning",
        "_request",
        "_sandbox",
        "_saw_done",
        "_skills",
        "_sse",
        "_statuses",
        "_strict",
        "_suspect",
        "_title",
        "_tools",
        "_variables",
        "chat_id",
        "data_id",
        "error",
        "feed",
    )

    def __init__(
        self,
        chat_id: str,
        data_id: str,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        idle_timeout: float | None = None,
        *,
        reads_capped: bool = False,
        clock: Callable[[], float] = time.monotonic,
        strict: bool = False,
        request: ChatCompletionRequest | None = None,
    ) -> None:
        """`idle_timeout`: stream_idle_timeout; `reads_capped`: the call's read timeout was lowered to
        it, so a read timeout means the stream went idle. `strict`: an event whose data does not fit
        its model arrives as an `UnknownEvent` rather than typed with the misfit fields in `unparsed`."""
        self.chat_id = chat_id
        self.data_id = data_id
        self._request = request  # what the stream's and the result's `follow_up` continue
        # Why the stream failed. An error event met after other events of the same chunk is raised
        # only once those were delivered; a stream read again after failing raises it again.
        self.error: FastGPTError | None = None
        self._strict = strict
        self._sse = SSEDecoder(max_event_bytes, emit=self._event, too_large=self._too_large)
        # The one way in: the SSE decoder itself, typing as it decodes (one call a chunk, bench/
        # RESULTS.md row 1a), or, with the idle watch, a wrapper judging each chunk's events together.
        self.feed: Callable[[bytes], Iterable[ChatStreamEvent]] = (
            self._sse.feed if idle_timeout is None else self._watched
        )
        self._origin = StreamOrigin()
        self._suspect = False
        self._clock = clock
        self._idle = idle_timeout
        self._idle_deadline = 0.0
        self._reads_capped = reads_capped
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
        self._plan: AgentPlan | None = None
        self._plan_status: PlanStatus | None = None
        self._sandbox: SandboxStatus | None = None
        self._skills: list[SkillInfo] = []
        self._saw_done = False

    def start(self, origin: StreamOrigin) -> None:
        """The body is about to be read: the idle window starts now."""
        self._origin = origin
        self._suspect = origin.suspect
        if self._idle is not None:
            self._idle_deadline = self._clock() + self._idle

    # `feed(chunk)`: the events completed by `chunk`. A chunk's only event is typed at once; several
    # are typed one at a time as the iteration reaches them, so each usually dies before the next
    # exists instead of piling up for the garbage collector (a fast server, a buffering proxy). A
    # failure (an `error` event, the idle timeout) raises from the iterator once the events before it
    # were delivered.

    def _too_large(self, limit: int) -> StreamEventTooLargeError:
        error = StreamEventTooLargeError(limit, request=self._origin.request)
        self.error = error
        return error

    def _watched(self, chunk: bytes) -> Iterable[ChatStreamEvent]:
        """`feed` with `stream_idle_timeout`: the chunk's events judged together."""
        events: list[ChatStreamEvent] = []
        try:
            events.extend(self._sse.feed(chunk))
        except FastGPTError:
            if not events:
                raise
            # The events before the error are the caller's: hand them out first.
        now = self._clock()
        assert self._idle is not None
        if not all(is_heartbeat(event) for event in events):
            self._idle_deadline = now + self._idle
        elif now >= self._idle_deadline and self.error is None:
            self.error = self._idle_error()
        return events if self.error is None else _then_raise(events, self.error)

    def _idle_error(self) -> APITimeoutError:
        return APITimeoutError(
            f"The stream sent nothing but heartbeats for {self._idle:g} s (stream_idle_timeout).",
            request=self._origin.request,
        )

    def read_failed(self, error: APIConnectionError) -> APIConnectionError:
        """Record a transport failure met while reading the body, and return it to raise. A read
        timeout that `stream_idle_timeout` set is reported as the idle timeout."""
        if self._reads_capped and isinstance(error, APITimeoutError):
            error = self._idle_error()
        self.error = error
        return error

    def finish(self) -> Iterable[ChatStreamEvent]:
        """The body ended: its last events. Without `[DONE]` (or an error event) the body was cut
        short, and the answer so far is not the whole answer: that raises once they are delivered."""
        if self.error is not None:
            raise self.error
        events = self._type(self._sse.flush())
        if not self._saw_done and self.error is None:
            self.error = self._origin.ended_early(saw_events=not self._suspect)
        return events if self.error is None else _then_raise(events, self.error)

    def _type(self, messages: list[SSEMessage]) -> list[ChatStreamEvent]:
        events: list[ChatStreamEvent] = []
        try:
            for message in messages:
                events.append(self._event(message))
        except FastGPTError:
            if not events:
                raise
            # The events before the error are the caller's: hand them out first.
        return events

    def _event(self, message: SSEMessage) -> ChatStreamEvent:
        """One message typed and folded into the result. An `error` event raises (kept in `error`)."""
        name, data = message
        if (name is None or name == _ANSWER) and data != _DONE:
            # Most of a stream: answer chunks, typed and folded without the general dispatch.
            self._suspect = False
            try:
                answer: AnswerEvent = _ANSWER_VALIDATOR.validate_json(b'{"data":' + data + b"}")
            except ValidationError as exc:
                repaired = self._repaired(AnswerEvent, data, exc)
                if repaired is None:
                    return _unknown("answer", data, exc)
                answer = repaired
            self._add_chunk(answer.data)
            return answer
        try:
            event = self._decode(name, data)
        except FastGPTError as exc:
            self.error = exc
            raise
        self._suspect = False
        self._add(event)
        return event

    def _decode(self, name: bytes | None, data: bytes) -> ChatStreamEvent:
        if name is None or name == _ANSWER:  # `[DONE]`: the one answer message `_event` leaves here
            self._saw_done = True
            return _DONE_EVENT
        entry = _VALIDATORS.get(name)
        if entry is None:
            if name == _ERROR:
                raise self._origin.error_event(loads_or_text(data), first=self._suspect)
            return _unknown(name.decode("utf-8", "replace"), data, None)
        try:
            event: ChatStreamEvent = entry[1].validate_json(b'{"data":' + data + b"}")
        except ValidationError as exc:
            repaired = self._repaired(EVENT_TYPES[entry[0]], data, exc)
            return _unknown(entry[0], data, exc) if repaired is None else repaired  # type: ignore[return-value]
        return event

    def _repaired(self, event_type: type[EventT], data: bytes, exc: ValidationError) -> EventT | None:
        """The event with the fields that do not fit at their defaults (`core/drift.py`), unless strict."""
        if self._strict:
            return None
        return repair(event_type, {"data": loads_or_text(data)}, exc)

    def _add(self, event: ChatStreamEvent) -> None:
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
        elif isinstance(event, PlanEvent):
            self._plan = event.data.plan
        elif isinstance(event, PlanStatusEvent):
            self._plan_status = event.data.plan_status
        elif isinstance(event, SandboxStatusEvent):
            self._sandbox = event.data
        elif isinstance(event, SkillCallEvent):
            self._skills.append(event.data.skill)

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

    def follow_up(self, message: MessageInput | str) -> ChatCompletionRequest:
        return next_request(self._request, self.chat_id, message)

    def result(self) -> ChatStreamResult:
        result = self._result()
        if self._request is not None:
            remember_request(result, self._request)
        return result

    def _result(self) -> ChatStreamResult:
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
            plan=self._plan,
            plan_status=self._plan_status,
            sandbox_status=self._sandbox,
            skill_calls=self._skills,
        )


def _then_raise(events: list[ChatStreamEvent], error: FastGPTError) -> Iterator[ChatStreamEvent]:
    """The events first: they are the caller's. Then the failure met after them."""
    yield from events
    raise error


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
    return UnknownEvent(event=name, data=loads_or_text(data), error=error)


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


class _ChatIds:
    """What both stream classes say of the chat: the ids the SDK sent (or the caller chose)."""

    _decoder: ChatStreamDecoder

    @property
    def chat_id(self) -> str:
        return self._decoder.chat_id

    @property
    def data_id(self) -> str:
        """The AI record's id (`responseChatItemId`): for feedback, deletes and record details."""
        return self._decoder.data_id

    def follow_up(self, message: MessageInput | str) -> ChatCompletionRequest:
        """The next request on this stream's chat: `message` (a `ChatMessage`, such as an
        interactive's `reply(...)`, or a user's text) with this chat's id and the app, variables and
        other settings of the request that opened the stream (a fresh record id)."""
        return self._decoder.follow_up(message)

    def __repr__(self) -> str:
        state = self._status()  # type: ignore[attr-defined]  # both stream shells have it
        return f"{type(self).__name__}(chat_id={self.chat_id!r}, data_id={self.data_id!r}, {state})"


def _text_delta(event: ChatStreamEvent) -> str:
    return event.text if isinstance(event, ChunkEvent) else ""


def _reasoning_delta(event: ChatStreamEvent) -> str:
    return event.reasoning if isinstance(event, ChunkEvent) else ""


# What `deltas()` yields: which text a delta adds to, and the delta.
Delta = tuple[Literal["reasoning", "text"], str]

_DeltasT = TypeVar("_DeltasT", Iterator[str], AsyncIterator[str])
_PairsT = TypeVar("_PairsT", Iterator[Delta], AsyncIterator[Delta])


def _both(event: ChatStreamEvent) -> tuple[Delta, ...]:
    """An event's reasoning delta, then its text delta (an event may carry both), skipping empty ones."""
    if not isinstance(event, ChunkEvent):
        return ()
    reasoning, text = event.reasoning, event.text
    if reasoning and text:
        return (("reasoning", reasoning), ("text", text))
    if reasoning:
        return (("reasoning", reasoning),)
    return (("text", text),) if text else ()


class _TextStreams(Generic[_DeltasT, _PairsT]):
    """The text views of both stream classes; each walks its events in `_deltas`, sync or async."""

    def _deltas(self, delta_of: Callable[[ChatStreamEvent], str]) -> _DeltasT:
        raise NotImplementedError

    def _pairs(self) -> _PairsT:
        raise NotImplementedError

    @property
    def text_stream(self) -> _DeltasT:
        """Only the answer text, delta by delta (heartbeats and reasoning left out)."""
        return self._deltas(_text_delta)

    @property
    def reasoning_stream(self) -> _DeltasT:
        """Only the reasoning text, delta by delta (heartbeats and answer text left out)."""
        return self._deltas(_reasoning_delta)

    def deltas(self) -> _PairsT:
        """Reasoning and answer text together, in the order they arrive: `("reasoning", delta)` and
        `("text", delta)` pairs (heartbeats left out). Like `text_stream`, it reads the stream's events:
        use one view per stream."""
        return self._pairs()


class ChatStream(
    _ChatIds, _TextStreams[Iterator[str], Iterator[Delta]], EventStream[ChatStreamEvent, ChatStreamDecoder]
):
    """A streamed completion: iterate it for `ChatStreamEvent`s; use it as a context manager."""

    def _deltas(self, delta_of: Callable[[ChatStreamEvent], str]) -> Iterator[str]:
        for event in self:
            if delta := delta_of(event):
                yield delta

    def _pairs(self) -> Iterator[Delta]:
        for event in self:
            yield from _both(event)

    def get_final_response(self) -> ChatStreamResult:
        """Read what is left, then return the assembled result."""
        self.until_done()
        self._check_done()
        return self._decoder.result()


class AsyncChatStream(
    _ChatIds,
    _TextStreams[AsyncIterator[str], AsyncIterator[Delta]],
    AsyncEventStream[ChatStreamEvent, ChatStreamDecoder],
):
    """The async twin of `ChatStream`: `async for event in stream`, `async with`."""

    async def _deltas(self, delta_of: Callable[[ChatStreamEvent], str]) -> AsyncIterator[str]:
        async for event in self:
            if delta := delta_of(event):
                yield delta

    async def _pairs(self) -> AsyncIterator[Delta]:
        async for event in self:
            for pair in _both(event):
                yield pair

    async def get_final_response(self) -> ChatStreamResult:
        await self.until_done()
        self._check_done()
        return self._decoder.result()
