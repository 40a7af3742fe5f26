"""Errors are exceptions, typed by cause: refused keys, rate limits, failed streams, the network.

Against the emulator, `fake.fail_next(...)` scripts the failures a real server only shows on a bad day.

Run it with `python -m examples.errors`.
"""

from __future__ import annotations

import socket

from fastgpt_oapi import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    Client,
    FastGPTError,
    RateLimitError,
    RequestOption,
    RequestValidationError,
    StreamError,
)
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.testing import FakeFastGPT

from ._connect import Target, connect, heading

COMPLETIONS = "/api/v2/chat/completions"


def question(text: str = "Who directed Suzume?", app_id: str | None = None) -> ChatCompletionRequest:
    return ChatCompletionRequest(messages=[ChatMessage.user(text)], app_id=app_id)


def show(exc: APIStatusError) -> None:
    print(f"  {type(exc).__name__}: {exc}")
    print(f"  status_code={exc.status_code} code={exc.code!r} status_text={exc.status_text!r}")


def bad_key(client: Client) -> None:
    wrong_key = RequestOption.builder().api_key("fastgpt-not-a-key").build()
    try:
        client.chat.chat(question(), wrong_key)
    except AuthenticationError as exc:
        show(exc)
    # A refused stream raises the same class as it is entered, before any event is delivered.
    try:
        with client.chat.chat_stream(question(), wrong_key) as stream:
            stream.until_done()
    except AuthenticationError as exc:
        print(f"  streaming too: {type(exc).__name__} ({exc.status_text})")


def rate_limit(target: Target) -> None:
    if target.fake is None:
        print("  (scripted with the emulator only)")
        return
    envelope = {
        "code": 429,
        "statusText": "error",
        "message": "Rate limit exceeded. Maximum 10 requests per 60 seconds for this team. "
        "Please try again in 3 seconds.",
        "data": None,
        "errorType": "UserError",
    }
    target.fake.fail_next(429, envelope, headers={"retry-after": "3"}, path=COMPLETIONS)
    no_retries = RequestOption.builder().max_retries(0).build()
    try:
        target.client.chat.chat(question(), no_retries)
    except RateLimitError as exc:
        show(exc)
        print(f"  retry_after={exc.retry_after}s")
    # With retries left (the client default is 2), a 429 or 503 is retried after the server's
    # Retry-After, and the caller only sees the answer.
    target.fake.fail_next(503, "busy", headers={"retry-after": "0"}, path=COMPLETIONS)
    before = target.fake.count(COMPLETIONS)
    answer = target.client.chat.chat(question()).answer
    print(f"  after a 503: {answer!r} in {target.fake.count(COMPLETIONS) - before} requests")


def stream_error(target: Target) -> None:
    request = question("Tell me a story", app_id=target.app("error"))
    received: list[str] = []
    try:
        with target.client.chat.chat_stream(request) as stream:
            for text in stream.text_stream:
                received.append(text)
        print(f"  the stream ended normally: {''.join(received)!r}")
    except StreamError as exc:
        # The events before the error were delivered; the answer is incomplete.
        print(f"  {type(exc).__name__}: {exc}  (received {''.join(received)!r} first)")
        print(f"  code={exc.code!r} body={exc.body!r}")


def unreachable() -> None:
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = Client.builder().base_url(f"http://127.0.0.1:{port}").api_key("fastgpt-x").max_retries(0).build()
    with client:
        try:
            client.chat.chat(question())
        except APIConnectionError as exc:
            print(f"  {type(exc).__name__}: {exc}")


def too_slow() -> None:
    # A server cannot be asked to stall, so this one is always a local emulator, on real HTTP, whose
    # next answer starts 1 s late (in process, `fake.client()` times out the same way).
    fake = FakeFastGPT()
    fake.delay_next(1.0)
    with fake.serve() as base_url:
        client = Client.builder().base_url(base_url).api_key(fake.api_key).app_id(fake.app_id).build()
        with client:
            try:
                client.chat.chat(question(), RequestOption(timeout=0.1))
            except APITimeoutError as exc:  # a subclass of APIConnectionError
                print(f"  {type(exc).__name__}: {exc}")


def invalid_request() -> None:
    try:
        ChatCompletionRequest.builder().messages([ChatMessage.user("hi")]).app_id("my-app").build()
    except RequestValidationError as exc:  # a ValueError too; nothing was sent
        print(f"  {type(exc).__name__} on field {exc.field!r}: {exc}")


def main() -> None:
    with connect() as target:
        print(f"errors against {target.where}")
        heading("A key the server does not know")
        bad_key(target.client)
        heading("Rate limited")
        rate_limit(target)
        heading("An error event in the middle of a stream")
        stream_error(target)
        heading("Nobody listening")
        unreachable()
        heading("A read timeout")
        too_slow()
        heading("An invalid request, caught before sending")
        invalid_request()
        heading("One handler for all of them")
        try:
            target.client.chat.chat(question(), RequestOption(api_key="fastgpt-still-wrong"))
        except FastGPTError as exc:
            print(f"  caught {type(exc).__name__} as FastGPTError")


if __name__ == "__main__":
    main()
