"""A web relay (FastAPI): the browser posts a question, the relay streams FastGPT's answer back as SSE.

A refused request gets a real HTTP status, not a 200 stream that carries an error: entering the SDK's
stream sends the request and reads to the first event, so a wrong key (401), a rate limit (429, with
`Retry-After`) or an unknown app raise there, before the relay commits to a streamed 200. Failures
after that point can only travel inside the stream: they are sent as an `error` event.

Serve it with `uvicorn examples.relay:app` (settings from FASTGPT_BASE_URL, FASTGPT_API_KEY and
FASTGPT_APP_ID), then `curl -N localhost:8000/chat -H 'content-type: application/json' -d
'{"question": "hi"}'`. `python -m examples.relay` instead shows its answers through httpx's ASGI
transport, without a server. Needs `fastapi` (and `uvicorn` to serve it).
"""

# --8<-- [start:app]
from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from fastgpt_oapi import APIStatusError, APITimeoutError, Client, FastGPTError, RateLimitError
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.api.chat.stream import AsyncChatStream


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One SDK client for the server's life, closed in the server's event loop as it shuts down."""
    async with Client.builder().build() as client:  # FASTGPT_BASE_URL, FASTGPT_API_KEY, FASTGPT_APP_ID
        app.state.fastgpt = client
        yield


app = FastAPI(lifespan=lifespan)


def fastgpt(request: Request) -> Client:
    """The client, as a dependency: tests swap in their own with `app.dependency_overrides`."""
    client: Client = request.app.state.fastgpt
    return client


class Question(BaseModel):
    question: str
    chat_id: str | None = None  # the chat to continue; the `done` event of the first answer has it


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def refused(exc: FastGPTError) -> JSONResponse:
    """The HTTP answer for a request FastGPT refused, or that never reached it."""
    body = {"error": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, RateLimitError) and exc.retry_after is not None:
        retry_after = {"Retry-After": str(math.ceil(exc.retry_after))}
        return JSONResponse(body, status_code=429, headers=retry_after)
    if isinstance(exc, APIStatusError):
        # `status_code` is the status the class means (401 for AuthenticationError, 429 for
        # RateLimitError, ...), however FastGPT sent the refusal: even inside an HTTP 200 stream.
        return JSONResponse(body, status_code=exc.status_code)
    if isinstance(exc, APITimeoutError):
        return JSONResponse(body, status_code=504)
    return JSONResponse(body, status_code=502)  # APIConnectionError, a StreamError, a broken answer


async def relay(stream: AsyncChatStream, exits: AsyncExitStack) -> AsyncIterator[str]:
    """The answer as SSE; `exits` closes the stream when it ends, fails, or the browser hangs up."""
    async with exits:
        try:
            async for text in stream.text_stream:
                yield sse("answer", {"text": text})
        except FastGPTError as exc:  # the 200 is sent: a late failure can only be told in the stream
            yield sse("error", {"error": type(exc).__name__, "message": str(exc)})
            return
        yield sse("done", {"chat_id": stream.chat_id, "data_id": stream.data_id})


@app.post("/chat")
async def chat(question: Question, client: Annotated[Client, Depends(fastgpt)]) -> Response:
    request = ChatCompletionRequest(messages=[ChatMessage.user(question.question)], chat_id=question.chat_id)
    async with AsyncExitStack() as exits:
        try:
            # Entering sends the request and reads to the first event: a refusal raises here.
            stream = await exits.enter_async_context(client.chat.achat_stream(request))
        except FastGPTError as exc:
            return refused(exc)
        # From here on the stream belongs to the response body, which closes it.
        return StreamingResponse(relay(stream, exits.pop_all()), media_type="text/event-stream")


# --8<-- [end:app]


# --8<-- [start:try]
async def post(question: str, client: Client) -> httpx.Response:
    """Ask the relay, through httpx's ASGI transport (no server, no socket), with `client` behind it."""
    app.dependency_overrides[fastgpt] = lambda: client
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://relay") as browser:
            return await browser.post("/chat", json={"question": question})
    finally:
        app.dependency_overrides.clear()


# --8<-- [end:try]


def show(response: httpx.Response) -> None:
    print(f"  HTTP {response.status_code} {response.headers['content-type']}")
    if "retry-after" in response.headers:
        print(f"  Retry-After: {response.headers['retry-after']}")
    if response.headers["content-type"].startswith("text/event-stream"):
        events = [
            line.removeprefix("event: ") for line in response.text.splitlines() if line.startswith("event:")
        ]
        print(f"  events: {events[0]} ... {events[-1]}")
        print(f"  last: {response.text.strip().splitlines()[-1]}")
    else:
        print(f"  {response.json()}")


def main() -> None:
    import asyncio

    from ._connect import connect, heading  # what every example starts with: the emulator, or your server

    with connect() as target:
        print(f"relay against {target.where}")

        async def tour() -> None:
            heading("A question: 200 and an SSE stream")
            show(await post("Who directed Suzume?", target.client))

            heading("A wrong API key: 401, before any streaming")
            show(await post("Who directed Suzume?", target.client.with_options(api_key="fastgpt-not-a-key")))

            heading("Rate limited: 429 with Retry-After")
            if target.fake is None:
                print("  (scripted with the emulator only)")
            else:
                envelope = {
                    "code": 429,
                    "statusText": "error",
                    "message": "Rate limit exceeded.",
                    "data": None,
                }
                target.fake.fail_next(
                    429, envelope, headers={"retry-after": "3"}, path="/api/v2/chat/completions"
                )
                show(await post("Who directed Suzume?", target.client.with_options(max_retries=0)))

            heading("The app fails mid-answer: 200, then an error event")
            show(await post("Tell me a story", target.client.with_options(app_id=target.app("error"))))

        asyncio.run(tour())


if __name__ == "__main__":
    main()
