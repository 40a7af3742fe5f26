"""Async: the same calls with an `a` prefix, on one pooled `httpx.AsyncClient` shared by all of them.

Run it with `python -m examples.async_chat`.
"""

from __future__ import annotations

import asyncio

from fastgpt_oapi import Client
from fastgpt_oapi.api.chat.model import AnswerEvent, ChatCompletionRequest, ChatMessage, FlowNodeStatusEvent

from ._connect import connect, heading


async def ask(client: Client, question: str) -> str:
    response = await client.chat.achat(ChatCompletionRequest(messages=[ChatMessage.user(question)]))
    return response.answer


async def run(client: Client, workflow_app: str) -> None:
    heading("A blocking call, awaited")
    response = await client.chat.achat(ChatCompletionRequest(messages=[ChatMessage.user("Hello")]))
    print(f"{response.answer}  (chat_id={response.chat_id})")

    heading("Three chats at once")
    answers = await asyncio.gather(*(ask(client, f"question {n}") for n in range(1, 4)))
    for answer in answers:
        print(answer)

    heading("A stream: no await on achat_stream, then async for")
    request = ChatCompletionRequest(messages=[ChatMessage.user("Shanghai")], app_id=workflow_app, detail=True)
    async for event in client.chat.achat_stream(request):
        if isinstance(event, FlowNodeStatusEvent):
            print(f"[node] {event.data.name}")
        elif isinstance(event, AnswerEvent) and event.text:
            print(f"[answer] {event.text}")

    heading("A stream as an async context manager, with the assembled result")
    async with client.chat.achat_stream(request) as stream:
        async for text in stream.text_stream:
            print(text, end="", flush=True)
        print()
        result = await stream.get_final_response()
    print(f"tool calls: {[call.function_name for call in result.tool_calls]}")
    print(f"variables:  {result.new_variables}")


async def amain() -> None:
    with connect() as target:
        print(f"async chat against {target.where}")
        # `async with` closes the client's async pool (and its sync one) when the block ends.
        async with target.client as client:
            await run(client, target.app("workflow"))


def main() -> None:
    asyncio.run(amain())


if __name__ == "__main__":
    main()
