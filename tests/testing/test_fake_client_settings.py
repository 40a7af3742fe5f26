"""`FakeFastGPT.client(...)`: settings by name, each typed as the `ClientBuilder` setter it reaches."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from http_support import run

from fastgpt_oapi import InternalServerError
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.client import ClientBuilder
from fastgpt_oapi.testing import FakeFastGPT

SETTINGS: dict[str, Any] = {
    "api_key": "fastgpt-other",
    "app_id": "66e29b870b24ce35330c0f09",
    "timeout": 7.0,
    "connect_timeout": 2.0,
    "max_retries": 0,
    "default_headers": {"X-Trace": "1"},
    "max_event_bytes": 4096,
    "stream_idle_timeout": 3.0,
    "completions_version": "v1",
}


def ask(text: str = "hello") -> ChatCompletionRequest:
    return ChatCompletionRequest(messages=[ChatMessage.user(text)])


def test_every_setting_reaches_the_builder_setter_of_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: dict[str, Any] = {}
    for name in SETTINGS:
        original = getattr(ClientBuilder, name)

        def spy(builder: ClientBuilder, value: Any, name: str = name, original: Any = original) -> Any:
            calls[name] = value
            return original(builder, value)

        monkeypatch.setattr(ClientBuilder, name, spy)
    FakeFastGPT().client(**SETTINGS).close()
    assert calls == SETTINGS


def test_each_setting_is_typed_as_the_builder_parameter() -> None:
    """`None` means "the builder's default", so each is the setter's type, made optional."""
    client = inspect.signature(FakeFastGPT.client).parameters
    # strict_responses is the one setting whose emulator default is not the builder's: strict.
    assert list(client)[1:] == ["configure", *SETTINGS, "strict_responses"]
    assert client["configure"].kind is inspect.Parameter.KEYWORD_ONLY
    assert client["strict_responses"].default is True
    for name in SETTINGS:
        assert client[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert client[name].default is None
        setter = list(inspect.signature(getattr(ClientBuilder, name)).parameters.values())[1]
        wanted = setter.annotation if setter.annotation.endswith("| None") else f"{setter.annotation} | None"
        assert client[name].annotation == wanted, name


# Setters with no keyword of their own: what the emulator wires itself, and what means nothing to an
# in-process transport. `configure` reaches them all the same.
NOT_KEYWORDS = {
    "base_url",
    "transport",
    "async_transport",
    "http_client",
    "async_http_client",
    "max_connections",
    "max_keepalive_connections",
    "keepalive_expiry",
    "verify",
    "proxy",
    # Three values (initial, maximum, jitter), not one: `configure=lambda b: b.retry_backoff(...)`.
    "retry_backoff",
}


def _setters() -> list[str]:
    return [
        name
        for name, member in inspect.getmembers(ClientBuilder, inspect.isfunction)
        if not name.startswith("_") and name != "build"
    ]


def test_every_builder_setter_is_a_keyword_or_left_to_configure() -> None:
    """A setter added to `ClientBuilder` fails here until it is given a keyword or a reason not to."""
    keywords = set(inspect.signature(FakeFastGPT.client).parameters) - {"self", "configure"}
    assert set(_setters()) == keywords | NOT_KEYWORDS
    assert not keywords & NOT_KEYWORDS


# A value for each setter that has no keyword and can be set in process without replacing the
# emulator's transports (an httpx client of one's own would).
SAMPLES: dict[str, Any] = {
    "max_connections": 4,
    "max_keepalive_connections": 2,
    "keepalive_expiry": 1.0,
    "verify": False,
    "proxy": None,
}


def test_configure_reaches_the_setters_without_a_keyword(monkeypatch: pytest.MonkeyPatch) -> None:
    """`configure` gets the builder the client is built from, after the keywords, so it wins."""
    assert set(SAMPLES) < NOT_KEYWORDS
    reached: dict[str, Any] = {}
    for name in [*SAMPLES, "app_id"]:
        original = getattr(ClientBuilder, name)

        def spy(builder: ClientBuilder, value: Any, name: str = name, original: Any = original) -> Any:
            reached[name] = value
            return original(builder, value)

        monkeypatch.setattr(ClientBuilder, name, spy)

    def configure(builder: ClientBuilder) -> ClientBuilder:
        for name, value in SAMPLES.items():
            builder = getattr(builder, name)(value)
        return builder.app_id(fake.apps["workflow"])

    fake = FakeFastGPT()
    with fake.client(app_id=fake.app_id, configure=configure) as client:
        assert client.app_id == fake.apps["workflow"]
        assert client.chat.chat(ask()).answer  # still wired to the emulator
    assert reached == {**SAMPLES, "app_id": fake.apps["workflow"]}


def test_settings_left_out_keep_the_emulator_credentials_and_the_builder_defaults() -> None:
    fake = FakeFastGPT()
    with fake.client(timeout=5.0) as client:
        assert client.app_id == fake.app_id
        assert client.chat.chat(ask()).answer.endswith("hello")  # the emulator's key was sent


async def test_settings_change_what_the_client_does(io_mode: str) -> None:
    fake = FakeFastGPT()
    envelope = {"code": 503, "statusText": "", "message": "busy", "data": None}
    fake.fail_next(503, envelope, headers={"retry-after": "0"})
    client = fake.client(max_retries=0, app_id=fake.apps["workflow"], completions_version="v1")
    with pytest.raises(InternalServerError, match="busy"):
        await run(io_mode, lambda: client.chat.chat(ask()), lambda: client.chat.achat(ask()))
    assert len(fake.requests) == 1  # not retried
    await run(io_mode, lambda: client.chat.chat(ask()), lambda: client.chat.achat(ask()))
    assert fake.requests[-1].path == "/api/v1/chat/completions"
    assert fake.requests[-1].body["appId"] == fake.apps["workflow"]


def test_a_misspelt_setting_is_refused() -> None:
    with pytest.raises(TypeError, match="max_retrys"):
        FakeFastGPT().client(max_retrys=0)  # type: ignore[call-arg]


def _rejected_by_mypy(fake: FakeFastGPT) -> None:
    # with warn_unused_ignores, each ignore fails `make check` if mypy accepted the call
    fake.client(max_retrys=0)  # type: ignore[call-arg]
    fake.client(timeout="fast")  # type: ignore[arg-type]
    fake.client(completions_version="v3")  # type: ignore[arg-type]
    fake.client(default_headers=["X-Trace"])  # type: ignore[arg-type]
    fake.client(0)  # type: ignore[call-arg, arg-type]
