"""An incremental Server-Sent Events decoder that works on bytes.

`feed(chunk)` returns the messages completed by that chunk; `flush()` returns a final message the
server did not terminate with a blank line. Line endings may be LF, CR or CRLF, and a chunk may end
anywhere: inside a line, between CR and LF, or inside a multi-byte UTF-8 character. A UTF-8 byte-order
mark opening the stream is dropped, as the SSE spec says, even when it arrives in pieces. Data stays
bytes, so a JSON payload goes straight to the validator without a decode/encode round trip.

The hot path is FastGPT's own framing (`event: x\\ndata: {...}\\n\\n`, LF only): one `split` per chunk
and a few slice comparisons per message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, NamedTuple, TypeVar, overload

from .config import DEFAULT_MAX_EVENT_BYTES

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "SSEDecoder", "SSEMessage", "SSEMessageTooLargeError"]

T = TypeVar("T")

# Below this an unfinished message is re-joined with each new chunk (cheap); above it, its pieces are
# kept in a list and joined once, so a large message in many small chunks costs linear time.
_JOIN_BELOW = 64 * 1024


class SSEMessage(NamedTuple):
    event: bytes | None  # None when the message had no `event:` field
    data: bytes  # the `data:` lines joined with LF


# `_message(SSEMessage, (event, data))` builds the named tuple directly, skipping its generated
# `__new__`, which costs a real share of the decoder's time per message (bench/RESULTS.md, row 1).
_message = tuple.__new__

# The field prefixes FastGPT writes, with their one space, and the bytes the fast paths look at.
_DATA = b"data: "
_EVENT = b"event: "
# Their sizes as constants: a `len()` call in the hot path costs more than the comparison it serves.
_DATA_LEN = 6
_EVENT_LEN = 7
_LF = 10  # b"\n"[0]: comparing one byte as an int skips making a bytes object
_CR = 13  # b"\r"[0]
_END = b"\n\n"  # the blank line that ends a message
_BOM = b"\xef\xbb\xbf"

# What the next chunk's first bytes need before LF-only framing applies. Any non-zero state sends the
# chunk down the slow path, by the test that already looks for a CR: a settled stream pays nothing.
_SETTLED = 0
_AFTER_CR = 1  # the last chunk ended with CR: an LF opening this one is the rest of a CRLF
_AT_START = 2  # no byte decoded yet: a byte-order mark (possibly cut into pieces) may open the stream


# A whole message as FastGPT writes it: an optional `event:` line with a name, one `data:` line, and
# the blank line. Groups: the name (None without an `event:` line) and the data, as SSEMessage holds them.
_FASTGPT_MESSAGE = re.compile(rb"(?:event: ([^\n]+)\n)?data: ([^\n]*)\n\n")


class SSEMessageTooLargeError(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"an SSE message exceeded {limit} bytes without ending; raise max_event_bytes")
        self.limit = limit


class SSEDecoder(Generic[T]):
    """`feed(chunk)` returns what the chunk completed: the messages, or, given `emit`, what `emit`
    makes of each (typed events, say). A caller that types every message passes `emit` rather than
    wrapping `feed`: one call a chunk instead of two (bench/RESULTS.md, row 1a, where FastGPT writes
    an event in two chunks). A chunk's single message is emitted at once; several are emitted lazily,
    each when the caller's iteration reaches it. A message past `max_event_bytes` raises what
    `too_large(limit)` returns (`SSEMessageTooLargeError` by default)."""

    __slots__ = ("_emit", "_head", "_lead", "_line", "_max", "_parts", "_size", "_too_large")

    @overload
    def __init__(
        self: SSEDecoder[SSEMessage],
        max_event_bytes: int = ...,
        *,
        too_large: Callable[[int], Exception] = ...,
    ) -> None: ...

    @overload
    def __init__(
        self,
        max_event_bytes: int = ...,
        *,
        emit: Callable[[SSEMessage], T],
        too_large: Callable[[int], Exception] = ...,
    ) -> None: ...

    def __init__(
        self,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        *,
        emit: Callable[[SSEMessage], T] | None = None,
        too_large: Callable[[int], Exception] = SSEMessageTooLargeError,
    ) -> None:
        self._emit = emit
        self._too_large = too_large
        # An `event:` line that came alone (as FastGPT writes it), waiting for its `data:` line.
        self._line: bytes | None = None
        # Otherwise, the unfinished message: one piece, or (once large) the pieces that brought it.
        self._parts: list[bytes] = []
        self._size = 0
        self._lead = _AT_START
        # The stream's first bytes while they may still be the start of a byte-order mark.
        self._head = b""
        self._max = max_event_bytes

    def feed(self, chunk: bytes) -> Sequence[T] | Iterator[T]:
        # An int membership test is a memchr, several times cheaper than `b"\r" in chunk`.
        if self._lead or _CR in chunk:
            chunk = self._lf_only(chunk)
            if not chunk:
                return []
        line = self._line
        # FastGPT's own writes, taken whole with no joining, splitting or parsing: a `data:` line
        # alone (after an `event:` line alone in detail mode, after nothing in plain mode), and an
        # `event:` line alone.
        if chunk[:_DATA_LEN] == _DATA:
            # Exactly one `data:` line and the blank line: its only LFs are the last two bytes.
            if chunk.find(b"\n") == len(chunk) - 2 and chunk[-1] == _LF:
                data = chunk[_DATA_LEN:-2]
                if line is not None:
                    self._line = None
                    message = _message(SSEMessage, (line[_EVENT_LEN:-1], data))
                elif not self._parts:
                    message = _message(SSEMessage, (None, data))
                else:
                    return self._feed(chunk)
                emit = self._emit
                return [message] if emit is None else (emit(message),)  # type: ignore[list-item]
        elif (
            chunk[:_EVENT_LEN] == _EVENT
            and line is None
            and not self._parts
            and _EVENT_LEN + 1 < len(chunk) <= self._max  # a name of at least one byte, and its LF
            and chunk.find(b"\n") == len(chunk) - 1  # exactly one line, ended
        ):
            self._line = chunk
            return []
        if line is not None:  # anything else after an `event:` line: the general way
            self._line = None
            self._parts.append(line)
        return self._feed(chunk)

    def _feed(self, chunk: bytes) -> Sequence[T] | Iterator[T]:
        parts = self._parts
        if parts:
            if len(parts) == 1 and len(parts[0]) < _JOIN_BELOW:
                # The common case: a message's start whose end is in this chunk.
                chunk = parts[0] + chunk
                parts.clear()
            elif chunk.find(_END) < 0 and (chunk[:1] != b"\n" or parts[-1][-1:] != b"\n"):
                # A long message still arriving (no blank line in this chunk, nor one split
                # between the last piece's LF and this chunk's first byte): keep its pieces,
                # join them once it ends.
                if chunk:
                    # `_size` is only kept once there are two pieces or more.
                    size = (self._size if len(parts) > 1 else len(parts[0])) + len(chunk)
                    parts.append(chunk)
                    self._size = size
                    if size > self._max:
                        self._reset()
                        raise self._too_large(self._max)
                return []
            else:
                chunk = b"".join([*parts, chunk])
                parts.clear()
        elif chunk.find(_END) < 0:  # `find` measured cheaper than `not in` here
            # The start of a message.
            if len(chunk) > self._max:
                raise self._too_large(self._max)
            if chunk:
                parts.append(chunk)
            return []
        # Whole messages in FastGPT's own shape, one anchored match each (a large read holds
        # hundreds; cheaper than splitting and parsing them, bench/RESULTS.md row 1b); the rest,
        # from the first message of another shape on, the general way.
        messages: list[SSEMessage] = []
        match = _FASTGPT_MESSAGE.match
        found = match(chunk)
        if found is not None:
            end = 0
            while found is not None:
                messages.append(_message(SSEMessage, found.group(1, 2)))
                end = found.end()
                found = match(chunk, end)
            chunk = chunk[end:]
        blocks = chunk.split(_END)
        rest = blocks.pop()
        if rest:
            if len(rest) > self._max:
                raise self._too_large(self._max)
            parts.append(rest)
        for block in blocks:
            message = _parse_block(block)
            if message is not None:
                messages.append(message)
        emit = self._emit
        if emit is None:
            return messages  # type: ignore[return-value]  # T is SSEMessage without `emit`
        if len(messages) == 1:
            return (emit(messages[0]),)
        return map(emit, messages) if messages else ()

    def _lf_only(self, chunk: bytes) -> bytes:
        """CRLF and CR line ends as LF; a byte-order mark opening the stream dropped."""
        if self._lead == _AT_START:
            chunk = self._head + chunk
            if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
                self._head = chunk  # too short to tell yet
                return b""
            self._head = b""
            self._lead = _SETTLED
            if chunk[:3] == _BOM:
                chunk = chunk[3:]
        elif self._lead == _AFTER_CR:
            if not chunk:
                return chunk  # keep waiting for the byte after the CR
            self._lead = _SETTLED
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\r" in chunk:
            if chunk[-1:] == b"\r":
                # The LF of a CRLF may be the first byte of the next chunk: drop it there.
                self._lead = _AFTER_CR
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        return chunk

    def _reset(self) -> None:
        self._parts = []
        self._size = 0
        self._line = None

    def flush(self) -> list[SSEMessage]:
        """End of stream: a last message without its blank line still counts if its lines ended."""
        # `_head` (bytes that might still have become a byte-order mark) ends no line: dropped too.
        buffer = self._line or b"".join(self._parts)
        self._reset()
        self._lead = _SETTLED
        self._head = b""
        if not buffer:
            return []
        if not buffer.endswith(b"\n"):
            # A line cut off by the end of the body is incomplete; the spec discards it.
            cut = buffer.rfind(b"\n")
            if cut < 0:
                return []
            buffer = buffer[:cut]
        message = _parse_block(buffer)
        return [message] if message is not None else []


def _parse_block(block: bytes) -> SSEMessage | None:
    # Fast path: FastGPT's `event: name\ndata: payload` or `data: payload`, one line each.
    if block[:_EVENT_LEN] == _EVENT:
        nl = block.find(b"\n")
        if nl > _EVENT_LEN and block.startswith(_DATA, nl + 1) and block.find(b"\n", nl + 1) < 0:
            return _message(SSEMessage, (block[_EVENT_LEN:nl], block[nl + 1 + _DATA_LEN :]))
    elif block[:_DATA_LEN] == _DATA and block.find(b"\n") < 0:
        return _message(SSEMessage, (None, block[_DATA_LEN:]))
    return _parse_general(block)


def _parse_general(block: bytes) -> SSEMessage | None:
    event: bytes | None = None
    data: list[bytes] = []
    for line in block.split(b"\n"):
        if not line or line[:1] == b":":
            continue  # blank lines from runs of separators, and comments
        colon = line.find(b":")
        if colon < 0:
            name, value = line, b""
        else:
            name, value = line[:colon], line[colon + 1 :]
            if value[:1] == b" ":
                value = value[1:]
        if name == b"data":
            data.append(value)
        elif name == b"event":
            event = value
        # `id` and `retry` are never sent by FastGPT completions and mean nothing to a client here.
    if not data:
        return None
    return SSEMessage(event or None, b"\n".join(data))
