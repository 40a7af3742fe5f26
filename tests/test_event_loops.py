"""One client for every event loop: two `asyncio.run()`s, or pytest's loop per test with a client made
once per module, work over real sockets, with no raw `RuntimeError` and no socket left open."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Iterator

import httpx
import pytest

from fastgpt_oapi import APIConnectionError, Client
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.testing import FakeFastGPT

QUESTION = ChatCompletionRequest(messages=[ChatMessage.user("x")])


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeFastGPT, str]]:
    fake = FakeFastGPT()
    with fake.serve() as url:
        yield fake, url


@pytest.fixture(scope="module")
def shared_client(served: tuple[FakeFastGPT, str]) -> Iterator[Client]:
    """Made once, used by tests that each run in their own event loop."""
    fake, url = served
    client = Client.builder().base_url(url).api_key(fake.api_key).app_id(fake.app_id).build()
    yield client
    client.close()


def _client(served: tuple[FakeFastGPT, str], **builder: httpx.AsyncClient) -> Client:
    fake, url = served
    b = Client.builder().base_url(url).api_key(fake.api_key).app_id(fake.app_id)
    if "async_http_client" in builder:
        b = b.async_http_client(builder["async_http_client"])
    return b.build()


async def test_a_module_scoped_client_in_this_tests_loop(shared_client: Client) -> None:
    assert (await shared_client.chat.achat(QUESTION)).answer == "You said: x"


async def test_the_same_client_in_the_next_tests_loop(shared_client: Client) -> None:
    assert (await shared_client.chat.achat(QUESTION)).answer == "You said: x"
    async with shared_client.chat.achat_stream(QUESTION) as stream:
        assert (await stream.get_final_response()).answer == "You said: x"


def test_two_asyncio_runs_with_one_client(served: tuple[FakeFastGPT, str]) -> None:
    client = _client(served)

    async def ask() -> str:
        return (await client.chat.achat(QUESTION)).answer

    assert asyncio.run(ask()) == "You said: x"
    first = next(iter(client._pools._per_loop.values()))[0]
    assert first.is_closed  # closed as its loop shut down, not left with open sockets
    assert asyncio.run(ask()) == "You said: x"
    assert asyncio.run(ask()) == "You said: x"
    assert len(client._pools._per_loop) == 1  # the pools of finished loops are let go

    async def close() -> None:
        await client.aclose()

    asyncio.run(close())
    gc.collect()  # a socket left open would warn here, and warnings fail the suite


def test_aclose_closes_the_pool_of_the_loop_it_runs_in(served: tuple[FakeFastGPT, str]) -> None:
    client = _client(served)

    async def use_then_close() -> httpx.AsyncClient:
        await client.chat.achat(QUESTION)
        (pool,) = [entry[0] for entry in client._pools._per_loop.values()]
        await client.aclose()
        return pool

    assert asyncio.run(use_then_close()).is_closed


def _second_loop_with_a_users_pool(served: tuple[FakeFastGPT, str]) -> BaseException:
    users = httpx.AsyncClient()
    client = _client(served, async_http_client=users)

    async def ask() -> str:
        return (await client.chat.achat(QUESTION)).answer

    assert asyncio.run(ask()) == "You said: x"
    with pytest.raises(APIConnectionError, match="belong to the loop it was first used in") as caught:
        asyncio.run(ask())
    return caught.value


def test_a_users_pool_bound_to_a_finished_loop_is_a_connection_error(
    served: tuple[FakeFastGPT, str],
) -> None:
    # The user's pool is the user's to close, and its connection died with the first loop: what it
    # leaks is expected here, and not the SDK's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        error = _second_loop_with_a_users_pool(served)
        cause = type(error.__cause__)
        del error  # its traceback holds the user's pool: let it go while the warning is expected
        gc.collect()
    assert cause is RuntimeError
