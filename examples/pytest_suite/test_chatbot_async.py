"""The chatbot from async code. With `asyncio_mode = auto` (pytest.ini) these need no marker.

Each test runs in its own event loop, and `http_client` is one client for the whole module: a client
may be used from any number of loops, because the SDK keeps one async connection pool per loop.
"""

from __future__ import annotations

import io

import pytest

from examples.chatbot import Chatbot
from fastgpt_oapi import Client, StreamError
from fastgpt_oapi.testing import FakeFastGPT


async def test_the_async_answer_is_printed(client: Client) -> None:
    out = io.StringIO()
    answer = await Chatbot(client, out=out).aask("hello there")
    assert "hello there" in answer
    assert out.getvalue() == answer + "\n"


async def test_an_async_stream_failure_keeps_what_came_before(client: Client, fake: FakeFastGPT) -> None:
    out = io.StringIO()
    with pytest.raises(StreamError):
        await Chatbot(client, app_id=fake.apps["broken"], out=out).aask("6 x 7?")
    assert out.getvalue() == "Forty\n"


@pytest.mark.parametrize("question", ["first", "second", "third"])
async def test_one_client_serves_every_test_loop(http_client: Client, question: str) -> None:
    answer = await Chatbot(http_client, out=io.StringIO()).aask(question)
    assert question in answer
