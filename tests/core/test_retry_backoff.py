"""`Client.builder().retry_backoff(initial=, maximum=, jitter=)`: the waits between tries, recorded
through the client's sleep hook (never slept), for API calls and storage uploads alike."""

from __future__ import annotations

import httpx
import pytest
from conftest import ScriptedServer, envelope, ping, reply, sleep_hooks

from fastgpt_oapi import Client, RequestValidationError
from fastgpt_oapi.core.retry import RetryPolicy, backoff_delay

BUSY = reply(503, content=b"Service Unavailable")
PING_OK = reply(200, json_body=envelope({"value": 7}))


def _client(server: ScriptedServer, sleeps: list[float], **backoff: float) -> Client:
    builder = (
        Client.builder()
        .base_url("http://fastgpt.test")
        .api_key("fastgpt-test")
        .http_client(httpx.Client(transport=httpx.MockTransport(server)))
        .async_http_client(httpx.AsyncClient(transport=httpx.MockTransport(server)))
        .max_retries(5)
        .retry_backoff(**backoff)
    )
    return builder.build(_hooks=sleep_hooks(sleeps))


async def test_the_waits_follow_the_configured_schedule(io_mode: str) -> None:
    server = ScriptedServer(BUSY, BUSY, BUSY, BUSY, BUSY, PING_OK)
    sleeps: list[float] = []
    client = _client(server, sleeps, initial=0.1, maximum=0.3, jitter=0)
    await ping(client, io_mode)
    assert sleeps == pytest.approx([0.1, 0.2, 0.3, 0.3, 0.3])


async def test_jitter_takes_at_most_its_share_off_each_wait(io_mode: str) -> None:
    server = ScriptedServer(*[BUSY] * 5, PING_OK)
    sleeps: list[float] = []
    client = _client(server, sleeps, initial=1.0, maximum=4.0, jitter=0.5)
    await ping(client, io_mode)
    for wait, base in zip(sleeps, [1.0, 2.0, 4.0, 4.0, 4.0], strict=True):
        assert base * 0.5 < wait <= base


def test_the_default_schedule_is_unchanged() -> None:
    waits = [backoff_delay(n, None, 0.0) for n in range(1, 7)]
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert backoff_delay(1, None, 0.999) > 0.5 * 0.75


@pytest.mark.parametrize(
    ("backoff", "field"),
    [
        ({"initial": 0}, "retry_backoff.initial"),
        ({"initial": -1.0}, "retry_backoff.initial"),
        ({"maximum": float("inf")}, "retry_backoff.maximum"),
        ({"initial": 2.0, "maximum": 1.0}, "retry_backoff.maximum"),
        ({"jitter": 1.5}, "retry_backoff.jitter"),
        ({"jitter": -0.1}, "retry_backoff.jitter"),
    ],
)
def test_unusable_values_are_refused_when_the_client_is_built(backoff: dict[str, float], field: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        Client.builder().base_url("http://fastgpt.test").retry_backoff(**backoff).build()
    assert caught.value.field == field


def test_the_policy_states_its_own_problem() -> None:
    assert RetryPolicy().problem() is None
    assert RetryPolicy(jitter=1.0).problem() is None
