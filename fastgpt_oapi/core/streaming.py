"""Event streams: the I/O shell around a sans-I/O decoder, written once for every streamed endpoint.

`EventStream` (sync) and `AsyncEventStream` send the prepared call, read the body, hand each chunk to
their decoder's one way in (`feed`), and deliver what it returns. Everything else of the exchange that
is not about what the events mean lives here too: telling a refusal (a JSON error document) from an
event stream, wrapping transport errors, closing the response on `break`, errors and cancellation, and
the context managers. What the events mean (their types, the result they add up to) is the decoder's.

Leaving early (`break`, an exception, task cancellation, `close()`) closes the response, which returns
its connection to the pool.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from itertools import chain, islice
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import httpx

from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    FastGPTError,
    StreamClosedError,
    describe_error_body,
    is_error_envelope,
    make_status_error,
    make_stream_error,
)

if TYPE_CHECKING:
    from typing_extensions import Self

    from .http import PreparedCall, Sender

__all__ = ["AsyncEventStream", "EventStream", "StreamDecoder", "StreamOrigin", "loads_or_text"]

EventT = TypeVar("EventT")
EventT_co = TypeVar("EventT_co", covariant=True)
DecoderT = TypeVar("DecoderT", bound="StreamDecoder[Any]")

# How much of a body that is not an event stream an error quotes.
_PREVIEW = 500


def loads_or_text(data: bytes) -> Any:
    """JSON if it parses, else the text."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: arrays or objects nested too deep
        return data.decode("utf-8", "replace")


class StreamOrigin:
    """What a decoder may know of the HTTP exchange, and the errors it can raise about it.

    `suspect`: the response did not say `text/event-stream`, so an `error` before any other event is
    the server refusing the request (FastGPT's HTTP 200 with an SSE error and no SSE content type), and
    a body with no event at all is some other page (`head` is its start, to quote).
    """

    __slots__ = ("head", "response", "suspect")

    def __init__(
        self, response: httpx.Response | None = None, *, suspect: bool = False, head: bytes = b""
    ) -> None:
        self.response = response
        self.suspect = suspect
        self.head = head[:_PREVIEW]

    @property
    def request(self) -> httpx.Request | None:
        return self.response.request if self.response is not None else None

    def error_event(self, payload: Any, *, first: bool) -> FastGPTError:
        """The error an SSE `error` event means; `first`: no other event came before it."""
        if first and self.suspect and self.response is not None:
            return make_status_error(self.response, payload)
        return make_stream_error(payload, request=self.request)

    def ended_early(self, *, saw_events: bool) -> FastGPTError:
        """The body ended before the stream's end marker."""
        if not saw_events and self.suspect and self.response is not None:
            # Not an event stream, not JSON, not one event in it: a web page or a proxy's answer.
            body = self.head.decode("utf-8", "replace")
            shown, _, _ = describe_error_body(body, "an empty body")
            kind = self.response.headers.get("content-type") or "no content type"
            return APIResponseValidationError(
                f"Expected an event stream, got {kind}: {shown}", response=self.response, body=body
            )
        return APIConnectionError(
            "The stream ended before [DONE]: the body was cut short.", request=self.request
        )


class StreamDecoder(Protocol[EventT_co]):
    """The sans-I/O half of a stream: bytes in, events out.

    `feed` is the one way in, for the sync shell, the async shell and tests alike. It returns the
    events a chunk completed (typed lazily is fine); a failure raises from that iterable once the
    events before it were delivered, and stays in `error` so a later read raises it again.
    """

    error: FastGPTError | None

    def start(self, origin: StreamOrigin) -> None:
        """The response is open and about to be read."""

    def feed(self, chunk: bytes) -> Iterable[EventT_co]: ...

    def finish(self) -> Iterable[EventT_co]:
        """The body ended: the last events, then a failure if the stream was incomplete."""
        ...

    def read_failed(self, error: APIConnectionError) -> APIConnectionError:
        """The connection failed while reading: the error to raise (and keep)."""
        ...


def _raw_is_body(response: httpx.Response) -> bool:
    """The raw chunks are the body: no content coding, and not read yet (a response built from bytes,
    as `httpx.MockTransport` returns it, is read already and only the decoded iterator serves it).
    httpx's decoded iterator passes raw chunks through an identity decoder and a re-chunker that
    change nothing: a third of httpx's time per event when FastGPT writes an event in two chunks
    (bench/RESULTS.md, row 1a)."""
    if response.is_stream_consumed:
        return False
    coding = response.headers.get("content-encoding")
    return not coding or coding.strip().lower() == "identity"


def _is_event_stream(response: httpx.Response) -> bool:
    return "text/event-stream" in response.headers.get("content-type", "").lower()


def _looks_like_json(chunk: bytes) -> bool:
    return chunk.lstrip().startswith((b"{", b"["))


def _refusal(response: httpx.Response, body: bytes) -> FastGPTError:
    """A JSON document where events were expected: an error envelope, or something unusable."""
    payload = loads_or_text(body)
    if is_error_envelope(payload):
        return make_status_error(response, payload)
    return APIResponseValidationError(
        "Expected an event stream, got a JSON document", response=response, body=payload
    )


class _Base(Generic[EventT, DecoderT]):
    def __init__(self, http: Sender, call: PreparedCall, decoder: DecoderT) -> None:
        self._http = http
        self._call = call
        self._decoder = decoder
        self._response: httpx.Response | None = None
        self._done = False
        self._closed = False

    @property
    def response(self) -> httpx.Response | None:
        """The HTTP response, once the stream is open (for headers such as `x-request-id`)."""
        return self._response

    def _opened(self, response: httpx.Response, first: bytes | None) -> None:
        """Tell the decoder where its bytes come from; `first`: the first chunk of a body that is not
        `text/event-stream` (None when it is)."""
        self._response = response
        self._decoder.start(StreamOrigin(response, suspect=first is not None, head=first or b""))

    def _opened_as_events(self, response: httpx.Response) -> bool:
        """Open a `text/event-stream` response; False for any other, whose first chunk is sniffed."""
        if not _is_event_stream(response):
            return False
        self._opened(response, None)
        return True

    def _abandon(self) -> None:
        """Closed before its end: what is left of the body is never read, and reading on says so."""
        self._closed = True
        if not self._done and self._decoder.error is None:
            self._decoder.error = StreamClosedError("the stream was closed before it ended")

    def _check_open(self) -> None:
        if self._closed:
            raise self._decoder.error or StreamClosedError("the stream is closed")

    def _check_done(self) -> None:
        if not self._done:
            raise StreamClosedError("the stream was closed before it ended; no complete result")

    def _read_failed(self, exc: httpx.TransportError | httpx.DecodingError) -> APIConnectionError:
        request = self._response.request if self._response is not None else None
        return self._decoder.read_failed(self._http.core.wrap_transport_error(exc, request))

    @contextmanager
    def _reading(self) -> Iterator[DecoderT]:
        """Around the read of the events (the shell closes the stream after it): a closed stream
        refused, a failed read raised as the SDK's error and kept by the decoder, the stream done once
        read to its end."""
        self._check_open()
        decoder = self._decoder
        finished = False
        try:
            yield decoder
            finished = True
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise self._read_failed(exc) from exc
        except FastGPTError as exc:
            decoder.error = decoder.error or exc  # e.g. the request refused: a later read says so again
            raise
        finally:
            self._done = finished

    def _status(self) -> str:
        return "done" if self._done else "closed" if self._closed else "open" if self._response else "new"


class EventStream(_Base[EventT, DecoderT]):
    """A streamed response: iterate it for events; use it as a context manager (`close()`).
    `DecoderT`, the decoder's own type, lets a subclass use what its decoder adds (a result, say)."""

    def __init__(self, http: Sender, call: PreparedCall, decoder: DecoderT) -> None:
        super().__init__(http, call, decoder)
        self._chunks: Iterator[bytes] | None = None
        # Entered: the events, started by `__enter__`, and the first one it read (not yet handed out).
        self._started: Iterator[EventT] | None = None
        self._first: list[EventT] = []

    def _open(self) -> Iterator[bytes]:
        if self._chunks is not None:
            return self._chunks
        self._check_open()
        response = self._http.open(self._call, read_body=False)
        chunks = response.iter_raw() if _raw_is_body(response) else response.iter_bytes()
        if not self._opened_as_events(response):
            chunks = self._sniff(response, chunks)
        self._chunks = chunks
        return chunks

    def _sniff(self, response: httpx.Response, chunks: Iterator[bytes]) -> Iterator[bytes]:
        self._response = response
        first = next(chunks, b"")
        if _looks_like_json(first):
            error = _refusal(response, first + b"".join(chunks))
            self._decoder.error = error
            self.close()
            raise error
        self._opened(response, first)
        yield first
        yield from chunks

    def __iter__(self) -> Iterator[EventT]:
        if self._started is None:
            return self._events()
        first, self._first = self._first, []
        return chain(first, self._started)

    def _events(self) -> Iterator[EventT]:
        if self._done:
            return
        try:
            with self._reading() as decoder:
                feed = decoder.feed
                for chunk in self._open():
                    # Not `yield from`: a plain loop over a chunk's zero or one events is cheaper.
                    for event in feed(chunk):  # noqa: UP028
                        yield event
                    if decoder.error is not None:  # closed meanwhile: read no further
                        raise decoder.error
                yield from decoder.finish()
        finally:
            self.close()

    def until_done(self) -> None:
        for _ in self:
            pass

    def close(self) -> None:
        self._abandon()
        if self._response is not None:
            self._response.close()

    def __enter__(self) -> Self:
        """Send the request and read to the first event: a refusal, in any of FastGPT's forms (an
        error status, a JSON envelope, an SSE `error` first), raises here, before the caller commits
        to streaming (a relay can still answer with a status). The first event is delivered by the
        iteration that follows."""
        if self._started is None:
            events = self._events()
            self._first = list(islice(events, 1))
            self._started = events
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncEventStream(_Base[EventT, DecoderT]):
    """The async twin of `EventStream`: `async for event in stream`, `async with` (`aclose()`)."""

    def __init__(self, http: Sender, call: PreparedCall, decoder: DecoderT) -> None:
        super().__init__(http, call, decoder)
        self._chunks: AsyncIterator[bytes] | None = None
        self._started: AsyncIterator[EventT] | None = None
        self._first: list[EventT] = []

    async def _open(self) -> AsyncIterator[bytes]:
        if self._chunks is not None:
            return self._chunks
        self._check_open()
        response = await self._http.aopen(self._call, read_body=False)
        chunks = response.aiter_raw() if _raw_is_body(response) else response.aiter_bytes()
        if not self._opened_as_events(response):
            chunks = self._sniff(response, chunks)
        self._chunks = chunks
        return chunks

    async def _sniff(self, response: httpx.Response, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        self._response = response
        first = b""
        async for chunk in chunks:
            first = chunk
            break
        if _looks_like_json(first):
            error = _refusal(response, first + b"".join([chunk async for chunk in chunks]))
            self._decoder.error = error
            await self.aclose()
            raise error
        self._opened(response, first)
        yield first
        async for chunk in chunks:
            yield chunk

    def __aiter__(self) -> AsyncIterator[EventT]:
        if self._started is None:
            return self._events()
        return self._resume(self._started)

    async def _resume(self, events: AsyncIterator[EventT]) -> AsyncIterator[EventT]:
        first, self._first = self._first, []
        for event in first:
            yield event
        async for event in events:
            yield event

    async def _events(self) -> AsyncIterator[EventT]:
        if self._done:
            return
        try:
            with self._reading() as decoder:
                feed = decoder.feed
                async for chunk in await self._open():
                    for event in feed(chunk):
                        yield event
                    if decoder.error is not None:  # closed meanwhile: read no further
                        raise decoder.error
                for event in decoder.finish():
                    yield event
        finally:
            await self.aclose()

    async def until_done(self) -> None:
        async for _ in self:
            pass

    async def aclose(self) -> None:
        self._abandon()
        if self._response is not None:
            await self._response.aclose()

    async def __aenter__(self) -> Self:
        """Send the request and read to the first event (see `EventStream.__enter__`)."""
        if self._started is None:
            events = self._events()
            try:
                self._first = [await events.__anext__()]
            except StopAsyncIteration:
                self._first = []
            self._started = events
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
