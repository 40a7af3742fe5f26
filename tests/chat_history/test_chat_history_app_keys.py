"""App keys (FastGPT >= 4.18.0) against the emulator: a key bound to one app needs no `appId`; a personal
key that names no app is refused with `unAuthChat`, and the error says to set `app_id`."""

from __future__ import annotations

import pytest
from http_support import run

from fastgpt_oapi import (
    AuthenticationError,
    ChatCompletionRequest,
    ChatMessage,
    Client,
    PermissionDeniedError,
)
from fastgpt_oapi.api.chat_history.model import ListHistoriesRequest, ListHistoriesResponse
from fastgpt_oapi.testing import FakeFastGPT


def keyed_client(fake: FakeFastGPT, key: str) -> Client:
    """A client with no default app id, as an app-key user writes it."""
    return (
        Client.builder()
        .base_url("http://fastgpt.fake")
        .api_key(key)
        .transport(fake.transport())
        .async_transport(fake.async_transport())
        .max_retries(0)
        .build()
    )


async def histories(client: Client, mode: str, request: ListHistoriesRequest) -> ListHistoriesResponse:
    return await run(
        mode,
        lambda: client.chat_history.list_histories(request),
        lambda: client.chat_history.alist_histories(request),
    )


def chat_in(fake: FakeFastGPT, app_name: str, chat_id: str) -> None:
    with fake.client(app_id=fake.apps[app_name]) as client:
        client.chat.chat(ChatCompletionRequest(messages=[ChatMessage.user("hi")], chat_id=chat_id))


async def test_an_app_key_works_on_its_own_app_without_an_app_id(io_mode: str) -> None:
    fake = FakeFastGPT()
    chat_in(fake, "workflow", "c-workflow")
    chat_in(fake, "echo", "c-echo")
    key = fake.create_app_key(fake.apps["workflow"])

    with keyed_client(fake, key) as client:
        page = await histories(client, io_mode, ListHistoriesRequest())

    assert [h.chat_id for h in page.list] == ["c-workflow"]
    assert "appId" not in fake.requests[-1].body


async def test_an_app_key_ignores_the_app_id_it_is_sent(io_mode: str) -> None:
    fake = FakeFastGPT()
    chat_in(fake, "workflow", "c-workflow")
    chat_in(fake, "echo", "c-echo")
    key = fake.create_app_key(fake.apps["workflow"])

    with keyed_client(fake, key) as client:
        page = await histories(client, io_mode, ListHistoriesRequest(app_id=fake.apps["echo"]))

    assert [h.chat_id for h in page.list] == ["c-workflow"]


async def test_an_app_key_chats_with_its_app(io_mode: str) -> None:
    fake = FakeFastGPT()
    key = fake.create_app_key(fake.apps["workflow"])
    request = ChatCompletionRequest(messages=[ChatMessage.user("hi")], chat_id="c1")

    with keyed_client(fake, key) as client:
        await run(io_mode, lambda: client.chat.chat(request), lambda: client.chat.achat(request))

    with fake.client(app_id=fake.apps["workflow"]) as owner:
        assert [h.chat_id for h in owner.chat_history.list_histories(ListHistoriesRequest()).list] == ["c1"]


async def test_a_personal_key_without_an_app_id_is_refused_and_told_to_set_it(io_mode: str) -> None:
    fake = FakeFastGPT()

    with keyed_client(fake, fake.api_key) as client, pytest.raises(PermissionDeniedError) as caught:
        await histories(client, io_mode, ListHistoriesRequest())

    assert caught.value.status_text == "unAuthChat"
    assert "Set app_id" in str(caught.value)


@pytest.mark.parametrize("version", ["4.17.2", "4.17.0"])
async def test_a_server_before_4_18_does_not_know_app_keys(io_mode: str, version: str) -> None:
    fake = FakeFastGPT(version=version)
    key = fake.create_app_key(fake.app_id)

    with keyed_client(fake, key) as client, pytest.raises(AuthenticationError):
        await histories(client, io_mode, ListHistoriesRequest())


def test_an_app_key_is_bound_to_a_well_formed_app_id() -> None:
    with pytest.raises(ValueError, match="app_id"):
        FakeFastGPT().create_app_key("not-an-app")
