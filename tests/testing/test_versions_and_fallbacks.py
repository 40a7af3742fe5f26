"""Documented paths first, old servers still served: the SDK against `FakeFastGPT(version=...)`.

The emulator plays a FastGPT version and serves only the paths that version had (v2 completions
since 4.9.4, `history/*` and `record/*` since 4.14.5, `record/delete` since 4.14.11, `item/delete`
until 4.14.10), answering a bare 404 elsewhere as Next.js does. So each fallback is tested against an
old server, not against a handler written to answer 404.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from http_support import run

from fastgpt_oapi import Client, NotFoundError
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.api.chat_history.model import (
    ClearHistoriesRequest,
    DeleteHistoryRequest,
    DeleteRecordRequest,
    GetRecordDetailRequest,
    ListHistoriesRequest,
    ListRecordsRequest,
    UpdateHistoryRequest,
)
from fastgpt_oapi.testing import FakeFastGPT

V1 = "/api/v1/chat/completions"
V2 = "/api/v2/chat/completions"


def ask(text: str = "hi", **fields: Any) -> ChatCompletionRequest:
    return ChatCompletionRequest(messages=[ChatMessage.user(text)], **fields)


def sent(fake: FakeFastGPT, *paths: str) -> list[str]:
    """The paths the emulator received, of those named, in order."""
    return [r.path for r in fake.requests if r.path in paths]


async def complete(client: Client, mode: str, stream: bool, request: ChatCompletionRequest) -> str:
    """One completion, blocking or streamed, sync or async; its answer."""
    if not stream:
        response = await run(mode, lambda: client.chat.chat(request), lambda: client.chat.achat(request))
        return response.answer

    def sync() -> str:
        with client.chat.chat_stream(request) as s:
            return s.get_final_response().answer

    async def async_() -> str:
        async with client.chat.achat_stream(request) as s:
            return (await s.get_final_response()).answer

    return await run(mode, sync, async_)


# ---- completions: v2, else v1 -------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["blocking", "stream"])
async def test_a_current_server_gets_v2_only(io_mode: str, stream: bool) -> None:
    fake = FakeFastGPT()
    async with fake.client() as client:
        assert await complete(client, io_mode, stream, ask("a")) == "You said: a"
        await complete(client, io_mode, stream, ask("b"))
    assert sent(fake, V1, V2) == [V2, V2]


@pytest.mark.parametrize("stream", [False, True], ids=["blocking", "stream"])
async def test_a_server_before_v2_is_asked_once_at_v1_and_the_client_remembers(
    io_mode: str, stream: bool
) -> None:
    fake = FakeFastGPT(version="4.9.3")
    async with fake.client() as client:
        assert await complete(client, io_mode, stream, ask("a", chat_id="c1")) == "You said: a"
        assert sent(fake, V1, V2) == [V2, V1]
        first, second = (r for r in fake.requests if r.path in (V1, V2))
        assert first.body == second.body  # byte for byte the same request: chatId, dataId and all
        assert first.body["chatId"] == "c1"
        await complete(client, io_mode, stream, ask("b"))
        await complete(client, io_mode, stream, ask("c"))
        assert sent(fake, V1, V2) == [V2, V1, V1, V1]
        # Clients derived from it share the pools and what was learned.
        await complete(client.with_options(timeout=30.0), io_mode, stream, ask("d"))
    assert sent(fake, V1, V2) == [V2, V1, V1, V1, V1]
    (chat,) = [c for c in fake._state.chats.values() if c.chat_id == "c1"]
    assert len(chat.records) == 2  # the first request never ran: one question, one answer


async def test_a_new_client_on_new_pools_learns_again(io_mode: str) -> None:
    fake = FakeFastGPT(version="4.9.3")
    for _ in range(2):
        async with fake.client() as client:
            await complete(client, io_mode, False, ask())
    assert sent(fake, V1, V2) == [V2, V1, V2, V1]


async def test_a_fastgpt_404_is_an_answer_not_a_missing_route(io_mode: str) -> None:
    fake = FakeFastGPT()
    fake.fail_next(404, {"code": 404, "statusText": "", "message": "appUnExist", "data": None}, path=V2)
    async with fake.client() as client:
        with pytest.raises(NotFoundError):
            await complete(client, io_mode, False, ask())
    assert sent(fake, V1, V2) == [V2]  # the route exists: never asked elsewhere


async def test_pinned_v1_never_asks_v2(io_mode: str) -> None:
    fake = FakeFastGPT()
    async with fake.client(completions_version="v1") as client:
        await complete(client, io_mode, False, ask())
        await complete(client, io_mode, True, ask())
    assert sent(fake, V1, V2) == [V1, V1]


async def test_pinned_v2_on_a_server_without_it_is_not_found(io_mode: str) -> None:
    fake = FakeFastGPT(version="4.9.3")
    async with fake.client(completions_version="v2") as client:
        with pytest.raises(NotFoundError) as caught:
            await complete(client, io_mode, False, ask())
    assert caught.value.code is None  # a bare 404: Next.js's, not FastGPT's
    assert sent(fake, V1, V2) == [V2]


def test_a_pin_other_than_v1_or_v2_is_refused() -> None:
    with pytest.raises(ValueError, match="completions_version"):
        Client.builder().api_key("k").completions_version("v3").build()  # type: ignore[arg-type]


async def test_v1_and_v2_streams_assemble_the_same_node_responses(io_mode: str) -> None:
    """v2 sends one flat flowNodeResponse per node, v1 one flowResponses array: the same result."""
    fake = FakeFastGPT()
    results = []
    for version in ("v1", "v2"):
        async with fake.client(completions_version=version) as client:
            request = ask("北京", app_id=fake.apps["workflow"], detail=True)

            def sync(client: Client = client, request: ChatCompletionRequest = request) -> Any:
                with client.chat.chat_stream(request) as s:
                    return s.get_final_response()

            async def async_(client: Client = client, request: ChatCompletionRequest = request) -> Any:
                async with client.chat.achat_stream(request) as s:
                    return await s.get_final_response()

            results.append(await run(io_mode, sync, async_))
    v1, v2 = results
    assert v1.answer == v2.answer
    dump = [n.model_dump(exclude={"id"}) for n in v1.response_data]
    assert dump
    assert dump == [n.model_dump(exclude={"id"}) for n in v2.response_data]


# ---- chat CRUD: history/* and record/*, else the root paths ---------------------------------------

Call = Callable[[Client, str], Awaitable[object]]


def _crud(chat_id: str, data_id: str) -> dict[str, tuple[str, str, Call]]:
    """Each CRUD endpoint: its documented path, its path on servers before 4.14.5, and a call.
    `delete_history` deletes `chat_id`, then `chat_id` + "-2"."""
    deletable = iter([chat_id, chat_id + "-2"])
    h = "/api/core/chat/history/"
    r = "/api/core/chat/record/"
    root = "/api/core/chat/"

    def list_histories(c: Client, m: str) -> Awaitable[object]:
        req = ListHistoriesRequest()
        return run(m, lambda: c.chat_history.list_histories(req), lambda: c.chat_history.alist_histories(req))

    def update_history(c: Client, m: str) -> Awaitable[object]:
        req = UpdateHistoryRequest(chat_id=chat_id, custom_title="renamed")
        return run(m, lambda: c.chat_history.update_history(req), lambda: c.chat_history.aupdate_history(req))

    def list_records(c: Client, m: str) -> Awaitable[object]:
        req = ListRecordsRequest(chat_id=chat_id)
        return run(m, lambda: c.chat_history.list_records(req), lambda: c.chat_history.alist_records(req))

    def record_detail(c: Client, m: str) -> Awaitable[object]:
        req = GetRecordDetailRequest(chat_id=chat_id, data_id=data_id)
        return run(
            m, lambda: c.chat_history.get_record_detail(req), lambda: c.chat_history.aget_record_detail(req)
        )

    def delete_history(c: Client, m: str) -> Awaitable[object]:
        req = DeleteHistoryRequest(chat_id=next(deletable))
        return run(m, lambda: c.chat_history.delete_history(req), lambda: c.chat_history.adelete_history(req))

    def clear_histories(c: Client, m: str) -> Awaitable[object]:
        req = ClearHistoriesRequest()
        return run(
            m, lambda: c.chat_history.clear_histories(req), lambda: c.chat_history.aclear_histories(req)
        )

    return {
        "list_histories": (h + "getHistories", root + "getHistories", list_histories),
        "update_history": (h + "updateHistory", root + "updateHistory", update_history),
        "list_records": (r + "getPaginationRecords", root + "getPaginationRecords", list_records),
        "get_record_detail": (r + "getResData", root + "getResData", record_detail),
        "delete_history": (h + "delHistory", root + "delHistory", delete_history),
        "clear_histories": (h + "clearHistories", root + "clearHistories", clear_histories),
    }


ORDER = list(_crud("c", "d"))


@pytest.mark.parametrize("version", ["4.14.4", "4.16.3"])
async def test_each_crud_endpoint_costs_an_old_server_one_extra_request_per_client(
    io_mode: str, version: str
) -> None:
    fake = FakeFastGPT(version=version)
    old = version == "4.14.4"
    async with fake.client() as client:
        answer = await complete(client, io_mode, False, ask("x", chat_id="c1"))
        assert answer == "You said: x"
        await complete(client, io_mode, False, ask("y", chat_id="c1-2"))
        data_id = next(r.data_id for r in fake._state.chats[(fake.app_id, "c1")].records if r.obj == "AI")
        crud = _crud("c1", data_id)
        for name in ORDER:
            documented, legacy, call = crud[name]
            for _ in range(2):
                await call(client, io_mode)
            expected = [documented, legacy, legacy] if old else [documented, documented]
            assert sent(fake, documented, legacy) == expected, name
    # What the calls did went through: the renamed chat, then deleted, then all cleared.
    assert all(chat.deleted for chat in fake._state.chats.values())


async def test_update_history_uses_put_then_falls_back_to_post(io_mode: str) -> None:
    fake = FakeFastGPT(version="4.14.4")
    async with fake.client() as client:
        await complete(client, io_mode, False, ask("x", chat_id="c1"))
        request = UpdateHistoryRequest(chat_id="c1", custom_title="t")
        await run(
            io_mode,
            lambda: client.chat_history.update_history(request),
            lambda: client.chat_history.aupdate_history(request),
        )
    updates = [r for r in fake.requests if r.path.endswith("updateHistory")]
    assert [(r.method, r.path) for r in updates] == [
        ("PUT", "/api/core/chat/history/updateHistory"),
        ("POST", "/api/core/chat/updateHistory"),
    ]
    assert updates[0].body == updates[1].body
    assert fake._state.chats[(fake.app_id, "c1")].custom_title == "t"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("4.14.4", ["/api/core/chat/record/delete", "/api/core/chat/item/delete"]),
        ("4.14.10", ["/api/core/chat/record/delete", "/api/core/chat/item/delete"]),
        ("4.14.11", ["/api/core/chat/record/delete"]),
    ],
)
async def test_record_delete_against_the_versions_around_its_move(
    io_mode: str, version: str, expected: list[str]
) -> None:
    fake = FakeFastGPT(version=version)
    async with fake.client() as client:
        await complete(client, io_mode, False, ask("x", chat_id="c1"))
        records = fake._state.chats[(fake.app_id, "c1")].records
        request = DeleteRecordRequest(chat_id="c1", data_id=records[-1].data_id)
        await run(
            io_mode,
            lambda: client.chat_history.delete_record(request),
            lambda: client.chat_history.adelete_record(request),
        )
    assert sent(fake, *expected, "/api/core/chat/item/delete") == expected
    assert [r.obj for r in fake._state.chats[(fake.app_id, "c1")].records] == ["Human"]


def test_the_emulator_refuses_a_version_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="version"):
        FakeFastGPT(version="latest")
    fake = FakeFastGPT(version="4.14.10.1")
    assert fake.version == "4.14.10.1"
    assert fake.legacy_record_delete is False  # 4.14.10.1 is after 4.14.10


def test_before_4_9_4_there_is_no_v2() -> None:
    fake = FakeFastGPT(version="4.9.3")
    auth = {"authorization": f"Bearer {fake.api_key}"}
    body = json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode()
    assert fake.handle("POST", V2, {}, auth, body).status == 404
    assert fake.handle("POST", V1, {}, auth, body).status == 200
    fake.version = "4.9.4"
    assert fake.handle("POST", V2, {}, auth, body).status == 200


@pytest.mark.parametrize(
    ("version", "multipart", "preview"),
    [("4.14.5", False, False), ("4.15.0", False, True), ("4.16.0", True, True)],
)
async def test_uploads_against_the_versions_that_changed_them(
    io_mode: str, version: str, multipart: bool, preview: bool
) -> None:
    """Multipart since 4.16.0 (f732bc52); a preview URL in the presign answer since 4.15 (af0db988,
    the SDK signs one with presignChatFileGetUrl before that)."""
    from fastgpt_oapi.api.chat.model import UploadFileRequest

    fake = FakeFastGPT(version=version, upload_part_size=1024, multipart_threshold=4096)
    request = UploadFileRequest(chat_id="c1", filename="a.bin", content=bytes(5000))
    async with fake.client() as client:
        uploaded = await run(
            io_mode, lambda: client.chat.upload_file(request), lambda: client.chat.aupload_file(request)
        )
    parts = [r.part_number for r in fake.storage.requests if r.part_number is not None]
    assert bool(parts) is multipart
    assert fake.storage.objects[uploaded.key].data == bytes(5000)
    signed = [r.path for r in fake.requests if r.path.endswith("presignChatFileGetUrl")]
    assert bool(signed) is not preview
    assert uploaded.preview_url
