"""Fixtures: an emulated FastGPT per test, clients wired to it, and two apps scripted for the tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fastgpt_oapi import Client
from fastgpt_oapi.testing import FakeFastGPT, RunContext, Turn, answer_chunk

# Your own apps need ids of FastGPT's shape: 24 hex characters, any you like.
THINKER_ID = "7e57000000000000000000a1"
BROKEN_ID = "7e57000000000000000000a2"


def thinker(ctx: RunContext) -> Turn:
    """Reasons, then answers: the shape of a reasoning model's stream."""
    return Turn(
        events=[
            ("answer", answer_chunk(reasoning="Let me see. ")),
            ("answer", answer_chunk(reasoning="Six times seven.")),
            ("answer", answer_chunk("Forty-")),
            ("answer", answer_chunk("two.")),
        ]
    )


def broken(ctx: RunContext) -> Turn:
    """Starts answering, then fails with FastGPT's SSE `error` event."""
    return Turn(events=[("answer", answer_chunk("Forty"))], error={"message": "model overloaded"})


@pytest.fixture
def fake() -> FakeFastGPT:
    """A fresh emulated FastGPT for each test: chats, records and scripted failures start empty."""
    fake = FakeFastGPT()
    fake.register_app(THINKER_ID, thinker, name="thinker")
    fake.register_app(BROKEN_ID, broken, name="broken")
    return fake


@pytest.fixture
def client(fake: FakeFastGPT) -> Iterator[Client]:
    """A client wired to `fake` in process (no sockets). No retries: a scripted failure reaches the test."""
    with fake.client(max_retries=0) as client:
        yield client


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeFastGPT, str]]:
    """One emulator on real loopback HTTP for the whole module, and its base URL."""
    fake = FakeFastGPT()
    with fake.serve() as base_url:
        yield fake, base_url


@pytest.fixture(scope="module")
def http_client(served: tuple[FakeFastGPT, str]) -> Iterator[Client]:
    """One client for the module, over HTTP. Async tests each use it from their own event loop, which
    is fine: the SDK keeps one async connection pool per loop and closes it as that loop ends."""
    fake, base_url = served
    with Client.builder().base_url(base_url).api_key(fake.api_key).app_id(fake.app_id).build() as client:
        yield client
