"""Bring your own httpx clients: event hooks, a transport, proxies, certificates... The SDK sends through
them as given and never closes them: they stay yours.

Run it with `python -m examples.custom_httpx`.
"""

from __future__ import annotations

import asyncio

import httpx

from fastgpt_oapi import Client, ClientBuilder
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage

from ._connect import real_server

REQUEST = ChatCompletionRequest(messages=[ChatMessage.user("Who directed Suzume?")])


def log_request(request: httpx.Request) -> None:
    # request.headers holds the Authorization header: log the route, never the headers.
    print(f"  -> {request.method} {request.url.path}")


def log_response(response: httpx.Response) -> None:
    print(f"  <- {response.status_code} {response.headers.get('content-type', '')}")


async def alog_request(request: httpx.Request) -> None:
    log_request(request)


async def alog_response(response: httpx.Response) -> None:
    log_response(response)


def sync_part(builder: ClientBuilder, transport: httpx.BaseTransport | None) -> None:
    http_client = httpx.Client(
        transport=transport,
        event_hooks={"request": [log_request], "response": [log_response]},
        timeout=httpx.Timeout(120.0, connect=5.0),
    )
    with builder.http_client(http_client).build() as client:
        print(f"  {client.chat.chat(REQUEST).answer}")
        with client.chat.chat_stream(REQUEST) as stream:
            print(f"  streamed: {stream.get_final_response().answer}")
    print(f"  SDK client closed; http_client.is_closed={http_client.is_closed}")
    http_client.close()  # closing it is up to you


async def async_part(builder: ClientBuilder, transport: httpx.AsyncBaseTransport | None) -> None:
    async with httpx.AsyncClient(
        transport=transport, event_hooks={"request": [alog_request], "response": [alog_response]}
    ) as async_http_client:
        async with builder.async_http_client(async_http_client).build() as client:
            response = await client.chat.achat(REQUEST)
            print(f"  {response.answer}")
        print(f"  SDK client closed; async_http_client.is_closed={async_http_client.is_closed}")
    # ...and the `async with` above closed it.


def main() -> None:
    if real_server():
        # Client.builder() reads FASTGPT_BASE_URL, FASTGPT_API_KEY and FASTGPT_APP_ID.
        print("custom httpx clients against the server in FASTGPT_BASE_URL")
        print("sync:")
        sync_part(Client.builder(), None)
        print("async:")
        asyncio.run(async_part(Client.builder(), None))
        return

    from fastgpt_oapi.testing import FakeFastGPT

    fake = FakeFastGPT()

    def builder() -> ClientBuilder:
        return Client.builder().base_url("http://fastgpt.fake").api_key(fake.api_key).app_id(fake.app_id)

    print("custom httpx clients against the embedded FakeFastGPT, through its httpx transports")
    print("sync:")
    sync_part(builder(), fake.transport())
    print("async:")
    asyncio.run(async_part(builder(), fake.async_transport()))


if __name__ == "__main__":
    main()
