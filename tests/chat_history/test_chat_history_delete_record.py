"""delete_record: the current path, the FastGPT <= 4.14.10 path, and remembering which one worked."""

from __future__ import annotations

import httpx
import pytest
from conftest import APP_ID, envelope, make_client
from http_support import Wire, query_of, run

from fastgpt_oapi import Client, NotFoundError, PermissionDeniedError
from fastgpt_oapi.api.chat_history.model import DeleteRecordRequest

CURRENT = "/api/core/chat/record/delete"
LEGACY = "/api/core/chat/item/delete"
QUERY = {"appId": APP_ID, "chatId": "c1", "contentId": "d1"}


def next_404() -> httpx.Response:
    """What Next.js answers for an API path it does not serve."""
    return httpx.Response(
        404, text="<!DOCTYPE html><html><body>404: This page could not be found.</body></html>"
    )


def server(*serves: str) -> Wire:
    """FastGPT serving only the given delete paths; any other path is Next.js's HTML 404."""

    def reply(request: httpx.Request) -> httpx.Response:
        if request.url.path in serves:
            return httpx.Response(200, json=envelope(None))
        return next_404()

    return Wire(reply)


async def delete(mode: str, client: Client, chat_id: str = "c1", data_id: str = "d1") -> None:
    service = client.chat_history
    request = DeleteRecordRequest(chat_id=chat_id, data_id=data_id)
    await run(mode, lambda: service.delete_record(request), lambda: service.adelete_record(request))


async def test_current_server_gets_one_request_per_call(io_mode: str) -> None:
    wire = server(CURRENT)
    client = make_client(wire)

    await delete(io_mode, client)
    await delete(io_mode, client)

    assert wire.paths == [CURRENT, CURRENT]


async def test_old_server_falls_back_once_and_is_remembered(io_mode: str) -> None:
    wire = server(LEGACY)
    client = make_client(wire)

    await delete(io_mode, client)
    assert wire.paths == [CURRENT, LEGACY]
    assert [r.method for r in wire.requests] == ["DELETE", "DELETE"]
    assert [query_of(r) for r in wire.requests] == [QUERY, QUERY]
    assert all(r.content == b"" for r in wire.requests)

    await delete(io_mode, client, data_id="d2")
    await delete(io_mode, client, data_id="d3")
    assert wire.paths == [CURRENT, LEGACY, LEGACY, LEGACY]  # straight to the path that worked
    assert query_of(wire.last) == {**QUERY, "contentId": "d3"}


async def test_the_memory_is_shared_by_clients_on_the_same_pools(io_mode: str) -> None:
    wire = server(LEGACY)
    client = make_client(wire)
    await delete(io_mode, client)

    await delete(io_mode, client.with_options(timeout=5.0))

    assert wire.paths == [CURRENT, LEGACY, LEGACY]
    other = make_client(wire)  # its own pools: it learns for itself
    await delete(io_mode, other)
    assert wire.paths == [CURRENT, LEGACY, LEGACY, CURRENT, LEGACY]


async def test_sync_and_async_calls_share_what_was_learned(io_mode: str) -> None:
    wire = server(LEGACY)
    client = make_client(wire)
    await delete(io_mode, client)

    await delete("async" if io_mode == "sync" else "sync", client)

    assert wire.paths == [CURRENT, LEGACY, LEGACY]


async def test_an_upgraded_server_moves_the_client_back(io_mode: str) -> None:
    serves = {LEGACY}
    wire = Wire(
        lambda request: httpx.Response(200, json=envelope(None)) if request.url.path in serves else next_404()
    )
    client = make_client(wire)
    await delete(io_mode, client)
    serves.clear()
    serves.add(CURRENT)  # FastGPT upgraded to >= 4.14.11 while the client lives

    await delete(io_mode, client)
    await delete(io_mode, client)

    assert wire.paths == [CURRENT, LEGACY, LEGACY, CURRENT, CURRENT]


async def test_neither_path_served_raises_the_current_paths_404(io_mode: str) -> None:
    wire = server()
    client = make_client(wire)

    for _ in range(2):
        with pytest.raises(NotFoundError) as caught:
            await delete(io_mode, client)
        assert caught.value.http_status == 404
        assert caught.value.request is not None
        assert caught.value.request.url.path == CURRENT

    assert wire.paths == [CURRENT, LEGACY, CURRENT, LEGACY]  # nothing was remembered


async def test_a_fastgpt_not_found_error_does_not_fall_back(io_mode: str) -> None:
    # appUnExist maps to NotFoundError, but it is FastGPT answering: the path exists.
    gone = {"code": 502000, "statusText": "appUnExist", "message": "common:code_error.app_error.not_exist"}
    wire = Wire(lambda request: httpx.Response(404, json={**gone, "data": None}))
    client = make_client(wire, max_retries=0)

    with pytest.raises(NotFoundError) as caught:
        await delete(io_mode, client)

    assert caught.value.status_text == "appUnExist"
    assert wire.paths == [CURRENT]


async def test_a_legacy_server_error_is_raised_as_is(io_mode: str) -> None:
    un_auth = {"code": 504000, "statusText": "unAuthChat", "message": "common:code_error.chat_error.un_auth"}

    def reply(request: httpx.Request) -> httpx.Response:
        if request.url.path == LEGACY:
            return httpx.Response(500, json={**un_auth, "data": None})
        return next_404()

    wire = Wire(reply)
    client = make_client(wire, max_retries=0)

    with pytest.raises(PermissionDeniedError, match=r"^Unauthorized to Operate This Chat Record") as caught:
        await delete(io_mode, client)

    assert type(caught.value).__name__ == "PermissionDeniedError"
    assert "un_auth" in caught.value.message  # FastGPT's own text, kept
    await delete_again_tries_current_first(io_mode, client, wire)


async def delete_again_tries_current_first(mode: str, client: Client, wire: Wire) -> None:
    before = len(wire.requests)
    with pytest.raises(Exception, match=r"^Unauthorized to Operate This Chat Record"):
        await delete(mode, client)
    assert wire.paths[before:] == [CURRENT, LEGACY]
