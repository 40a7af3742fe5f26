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
    assert list(client)[1:] == [*SETTINGS, "strict_responses"]
    assert client["strict_responses"].default is True
    for name in SETTINGS:
        assert client[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert client[name].default is None
        setter = list(inspect.signature(getattr(ClientBuilder, name)).parameters.values())[1]
        wanted = setter.annotation if setter.annotation.endswith("| None") else f"{setter.annotation} | None"
        assert client[name].annotation == wanted, name


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
