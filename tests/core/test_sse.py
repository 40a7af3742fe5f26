"""SSEDecoder on its own: the SSE framing rules, chunk boundaries anywhere, and its size limit."""

from __future__ import annotations

import random
import time

import pytest

from fastgpt_oapi import StreamError
from fastgpt_oapi.api.chat.stream import ChatStreamDecoder
from fastgpt_oapi.core.sse import SSEDecoder, SSEMessage, SSEMessageTooLargeError


def decode(*chunks: bytes, flush: bool = True) -> list[SSEMessage]:
    decoder = SSEDecoder()
    out: list[SSEMessage] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    if flush:
        out.extend(decoder.flush())
    return out


def test_fastgpt_framing() -> None:
    body = b'event: answer\ndata: {"a":1}\n\ndata: [DONE]\n\n'
    assert decode(body) == [SSEMessage(b"answer", b'{"a":1}'), SSEMessage(None, b"[DONE]")]


def test_a_large_read_switches_between_fastgpt_messages_and_others() -> None:
    # A large read takes FastGPT-shaped messages one match at a time and everything from the first
    # message of another shape on the general way; the two must agree wherever the switch falls.
    fast = [(b"answer", b'{"a":1}'), (None, b"plain"), (b"flowNodeStatus", b""), (b"x", b"  two spaces")]
    other = [
        (b"event: m\ndata: one\ndata: two\n\n", SSEMessage(b"m", b"one\ntwo")),
        (b": comment\ndata: c\n\n", SSEMessage(None, b"c")),
        (b"data:tight\n\n", SSEMessage(None, b"tight")),
        (b"event: \ndata: unnamed\n\n", SSEMessage(None, b"unnamed")),
        (b"\n\n", None),
        (b"event: orphan\n\n", None),
    ]
    rng = random.Random(5)
    for _ in range(300):
        wire, expected = b"", []
        for _ in range(rng.randint(1, 8)):
            if rng.random() < 0.6:
                name, data = rng.choice(fast)
                wire += (b"event: " + name + b"\n" if name else b"") + b"data: " + data + b"\n\n"
                expected.append(SSEMessage(name, data))
            else:
                text, message = rng.choice(other)
                wire += text
                expected += [message] if message is not None else []
        tail = b'event: answer\ndata: {"cut'
        assert decode(wire + tail, b'":1}\n\n') == [*expected, SSEMessage(b"answer", b'{"cut":1}')], wire


def test_multi_line_data_is_joined_with_lf() -> None:
    assert decode(b"event: x\ndata: first\ndata:second\ndata:\n\n") == [SSEMessage(b"x", b"first\nsecond\n")]


def test_only_one_space_after_the_colon_is_dropped() -> None:
    assert decode(b"data:  two spaces\n\ndata:none\n\n") == [
        SSEMessage(None, b" two spaces"),
        SSEMessage(None, b"none"),
    ]


def test_comments_and_unused_fields_are_skipped() -> None:
    body = b": keep-alive\n\nevent: x\n: a comment between fields\nid: 7\nretry: 1000\ndata: y\n\n"
    assert decode(body) == [SSEMessage(b"x", b"y")]


def test_event_without_data_is_not_dispatched_and_does_not_leak_its_name() -> None:
    assert decode(b"event: orphan\n\ndata: z\n\n") == [SSEMessage(None, b"z")]


def test_field_without_colon_and_empty_event_name() -> None:
    # `data` alone is a data line with an empty value; an empty event name means "no name".
    assert decode(b"data\n\nevent: \ndata: y\n\nevent:\ndata: w\n\n") == [
        SSEMessage(None, b""),
        SSEMessage(None, b"y"),
        SSEMessage(None, b"w"),
    ]


def test_extra_blank_lines_between_messages() -> None:
    assert decode(b"\n\ndata: a\n\n\n\n\ndata: b\n\n") == [SSEMessage(None, b"a"), SSEMessage(None, b"b")]


def test_flush_at_eof_without_the_trailing_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"event: flowResponses\ndata: [1,2]\n") == []
    assert decoder.flush() == [SSEMessage(b"flowResponses", b"[1,2]")]
    assert decoder.flush() == []


def test_a_line_cut_mid_way_at_eof_is_discarded() -> None:
    assert decode(b'data: [DONE]\n\nevent: answer\ndata: {"choi') == [SSEMessage(None, b"[DONE]")]
    assert decode(b"data: no line end") == []
    # The finished lines before the cut still form a message.
    assert decode(b"event: x\ndata: ok\ndata: cut") == [SSEMessage(b"x", b"ok")]


def test_line_endings_lf_crlf_cr_and_mixed() -> None:
    expected = [SSEMessage(b"x", b"1"), SSEMessage(None, b"2"), SSEMessage(b"y", b"3")]
    assert decode(b"event: x\ndata: 1\n\ndata: 2\n\nevent: y\ndata: 3\n\n") == expected
    assert decode(b"event: x\r\ndata: 1\r\n\r\ndata: 2\r\n\r\nevent: y\r\ndata: 3\r\n\r\n") == expected
    assert decode(b"event: x\rdata: 1\r\rdata: 2\r\revent: y\rdata: 3\r\r") == expected
    assert decode(b"event: x\r\ndata: 1\n\rdata: 2\r\n\nevent: y\rdata: 3\r\n\r") == expected


def test_crlf_split_between_cr_and_lf() -> None:
    # The LF after a chunk-ending CR belongs to that CR; it must not count as a blank line.
    assert decode(b"event: x\r", b"\ndata: 1\r", b"\n\r", b"\n") == [SSEMessage(b"x", b"1")]


def test_an_empty_chunk_between_cr_and_lf() -> None:
    assert decode(b"event: x\r", b"", b"\ndata: 1\r\n\r\n") == [SSEMessage(b"x", b"1")]


def test_cr_at_eof_ends_the_line() -> None:
    assert decode(b"data: last\r") == [SSEMessage(None, b"last")]


def test_utf8_split_inside_a_character_stays_bytes() -> None:
    payload = "导演是新海诚".encode()
    body = b"data: " + payload + b"\n\n"
    for cut in range(len(body)):
        assert decode(body[:cut], body[cut:]) == [SSEMessage(None, payload)]


BOM = b"\xef\xbb\xbf"


def test_a_byte_order_mark_opening_the_stream_is_dropped_wherever_it_is_cut() -> None:
    # The SSE spec drops one UTF-8 BOM at the start of the stream. Without that the first field name
    # reads "\ufeffevent" and the first message is lost (or, data-only, mis-typed).
    body = BOM + b'event: answer\ndata: {"a":1}\n\ndata: [DONE]\n\n'
    expected = [SSEMessage(b"answer", b'{"a":1}'), SSEMessage(None, b"[DONE]")]
    assert decode(body) == expected
    for first in range(len(body)):
        for second in range(first, min(first + 6, len(body))):
            # Cut once or twice, at and around the mark: across the first two chunks, or three.
            assert decode(body[:first], body[first:second], body[second:]) == expected, (first, second)
    assert decode(*[body[i : i + 1] for i in range(len(body))]) == expected
    assert decode(BOM[:1], b"", BOM[1:], b"", body[3:]) == expected


def test_a_byte_order_mark_with_crlf_and_cr_line_endings() -> None:
    expected = [SSEMessage(b"x", b"1"), SSEMessage(None, b"2")]
    for ending in (b"\r\n", b"\r"):
        body = BOM + b"event: x\ndata: 1\n\ndata: 2\n\n".replace(b"\n", ending)
        for cut in range(1, 8):
            assert decode(body[:cut], body[cut:]) == expected, (ending, cut)
        assert decode(*[body[i : i + 1] for i in range(len(body))]) == expected


def test_only_a_whole_mark_at_the_very_start_is_dropped() -> None:
    # A second mark is part of the first line (an unknown field name); so is half a mark.
    assert decode(BOM + BOM + b"data: a\n\ndata: b\n\n") == [SSEMessage(None, b"b")]
    assert decode(BOM[:2] + b"data: a\n\ndata: b\n\n") == [SSEMessage(None, b"b")]
    assert decode(BOM[:2], b"data: a\n\ndata: b\n\n") == [SSEMessage(None, b"b")]
    # Inside a value, or later in the stream, it is data like any other character.
    assert decode(b"data: " + BOM + b"x\n\n") == [SSEMessage(None, BOM + b"x")]
    assert decode(b"data: a\n\n", BOM + b"data: b\n\n") == [SSEMessage(None, b"a")]


def test_a_stream_that_is_only_part_of_a_mark_holds_nothing() -> None:
    for head in (BOM[:1], BOM[:2], BOM):
        assert decode(head) == []
        assert decode(*[head[i : i + 1] for i in range(len(head))]) == []


def _sample() -> bytes:
    parts = [
        b'event: answer\ndata: {"t":"\xe4\xb8\x8a\xe6\xb5\xb7"}\n\n',
        b": comment\n\n",
        b"data: a\ndata: b\n\n",
        b"event: flowResponses\ndata: [" + b"1," * 50 + b"2]\n\n",
        b"event: answer\ndata: [DONE]\n\n",
    ]
    rng = random.Random(11)
    out = b""
    for part in parts:
        ending = rng.choice([b"\n", b"\r\n", b"\r"])
        out += part.replace(b"\n", ending)
    return out


def test_any_chunking_gives_the_same_messages() -> None:
    body = _sample()
    expected = decode(body)
    assert [m.event for m in expected] == [b"answer", None, b"flowResponses", b"answer"]
    rng = random.Random(5)
    for _ in range(300):
        cuts = sorted(rng.sample(range(1, len(body)), rng.randint(1, 30)))
        chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
        assert decode(*chunks) == expected
    assert decode(*[body[i : i + 1] for i in range(len(body))]) == expected


def test_max_event_bytes_bounds_an_unfinished_message() -> None:
    decoder = SSEDecoder(max_event_bytes=64)
    with pytest.raises(SSEMessageTooLargeError) as info:
        decoder.feed(b"data: " + b"x" * 100)
    assert isinstance(info.value, ValueError)
    assert info.value.limit == 64
    # The same limit when the message creeps in over many chunks.
    decoder = SSEDecoder(max_event_bytes=64)
    for _ in range(31):
        assert decoder.feed(b"xx") == []
    with pytest.raises(SSEMessageTooLargeError):
        decoder.feed(b"xxx")
    # After the error the decoder starts clean.
    assert decoder.feed(b"data: ok\n\n") == [SSEMessage(None, b"ok")]


def test_max_event_bytes_does_not_limit_finished_messages() -> None:
    decoder = SSEDecoder(max_event_bytes=64)
    big = b"data: " + b"y" * 500 + b"\n\n"
    assert decoder.feed(big) == [SSEMessage(None, b"y" * 500)]


def test_the_chat_decoder_reports_an_oversized_message_as_stream_error() -> None:
    state = ChatStreamDecoder("c", "d", max_event_bytes=32)
    with pytest.raises(StreamError, match="32 bytes"):
        state.feed(b"event: flowResponses\ndata: [" + b"0," * 40)


def test_a_large_message_in_small_chunks_takes_linear_time() -> None:
    # 8 MB of flowResponses in 1 KB chunks: re-joining the buffer on every chunk would copy
    # terabytes' worth of quadratic work; the decoder must stay proportional to the input.
    payload = b"[" + b'{"id":"n","runningTime":0},' * 300_000 + b"{}]"
    body = b"event: flowResponses\ndata: " + payload + b"\n\n"
    decoder = SSEDecoder()
    started = time.perf_counter()
    out: list[SSEMessage] = []
    for i in range(0, len(body), 1024):
        out.extend(decoder.feed(body[i : i + 1024]))
    elapsed = time.perf_counter() - started
    assert out == [SSEMessage(b"flowResponses", payload)]
    assert elapsed < 2.0, f"{elapsed:.2f} s"


def test_emit_types_what_feed_returns_once_and_lazily_for_several() -> None:
    seen: list[SSEMessage] = []

    def emit(message: SSEMessage) -> str:
        seen.append(message)
        return (message.event or b"").decode() + ":" + message.data.decode()

    decoder = SSEDecoder(emit=emit)
    assert list(decoder.feed(b"event: answer\n")) == []
    assert list(decoder.feed(b"data: 1\n\n")) == ["answer:1"]  # FastGPT's own writes: at once
    several = decoder.feed(b"data: 2\n\nevent: x\ndata: 3\n\n")
    assert len(seen) == 1  # nothing typed before the caller asks for it
    assert list(several) == [":2", "x:3"]
    assert len(seen) == 3


def test_too_large_names_the_exception_to_raise() -> None:
    class Mine(Exception):
        pass

    decoder = SSEDecoder(16, too_large=lambda limit: Mine(limit))
    with pytest.raises(Mine):
        decoder.feed(b"data: " + b"x" * 32)
