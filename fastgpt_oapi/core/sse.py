"""An incremental Server-Sent Events decoder that works on bytes.

`feed(chunk)` returns the messages completed by that chunk; `flush()` returns a final message the
server did not terminate with a blank line. Line endings may be LF, CR or CRLF, and a chunk may end
anywhere: inside a line, between CR and LF, or inside a multi-byte UTF-8 character. Data stays bytes,
so a JSON payload goes straight to the validator without a decode/encode round trip.

The hot path is FastGPT's own framing (`event: x\\ndata: {...}\\n\\n`, LF only): one `split` per chunk
and a few slice comparisons per message.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "SSEDecoder", "SSEMessage", "SSEMessageTooLargeError"]

DEFAULT_MAX_EVENT_BYTES = 64 * 1024 * 1024


class SSEMessage(NamedTuple):
    event: bytes | None  # None when the message had no `event:` field
    data: bytes  # the `data:` lines joined with LF


class SSEMessageTooLargeError(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"an SSE message exceeded {limit} bytes without ending; raise max_event_bytes")
        self.limit = limit


class SSEDecoder:
    __slots__ = ("_buffer", "_max", "_pending_cr")

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._buffer = b""
        self._pending_cr = False
        self._max = max_event_bytes

    def feed(self, chunk: bytes) -> list[SSEMessage]:
        if self._pending_cr:
            self._pending_cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\r" in chunk:
            if chunk[-1:] == b"\r":
                # The LF of a CRLF may be the first byte of the next chunk: drop it there.
                self._pending_cr = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        buffer = self._buffer + chunk if self._buffer else chunk
        blocks = buffer.split(b"\n\n")
        self._buffer = blocks.pop()
        if len(self._buffer) > self._max:
            self._buffer = b""
            raise SSEMessageTooLargeError(self._max)
        messages: list[SSEMessage] = []
        for block in blocks:
            message = _parse_block(block)
            if message is not None:
                messages.append(message)
        return messages

    def flush(self) -> list[SSEMessage]:
        """End of stream: a last message without its blank line still counts if its lines ended."""
        buffer, self._buffer = self._buffer, b""
        self._pending_cr = False
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
    # Fast path: FastGPT's `event: name\ndata: payload` or `data: payload`.
    if block[:7] == b"event: ":
        nl = block.find(b"\n")
        if nl > 0 and block[nl + 1 : nl + 7] == b"data: " and block.find(b"\n", nl + 1) < 0:
            return SSEMessage(block[7:nl], block[nl + 7 :])
    elif block[:6] == b"data: " and block.find(b"\n") < 0:
        return SSEMessage(None, block[6:])
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
