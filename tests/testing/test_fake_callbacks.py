"""The emulator calling its users' servers, as FastGPT does: an `apiDataset` reads its files from the
user's file library (a folder served by `FolderLibrary`, mounted in process with `fake.mount` or served
on loopback), and a share link asks its identity hook (`share_auth_app`) before and after each chat,
refusing the chat with FastGPT's error when the hook refuses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from http_support import run
from server.support import hand_written_library, served

from fastgpt_oapi import ConflictError, InternalServerError
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.api.dataset.model import (
    ApiDatasetServer,
    ApiFileItem,
    ApiFileServer,
    CreateApiCollectionRequest,
    CreateApiCollectionV2Request,
    CreateDatasetRequest,
    GetCollectionRequest,
    ListCollectionsRequest,
    SearchTestRequest,
)
from fastgpt_oapi.server.api_dataset import FolderLibrary, api_dataset_app
from fastgpt_oapi.server.share_auth import FinishReport, ShareAuthRefused, share_auth_app
from fastgpt_oapi.testing import FakeFastGPT, RunContext, Turn, answer_chunk, node

KB_URL = "http://kb.test/library"
HOOK_URL = "http://hook.test"
TOKEN = "kb-secret"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "guides").mkdir(parents=True)
    (root / "guides" / "setup.md").write_text(
        "# Setup\n\nRun make install to set up the project, then make test.", encoding="utf-8"
    )
    (root / "guides" / "deploy.md").write_text(
        "# Deploy\n\nShip it with docker compose up.", encoding="utf-8"
    )
    (root / "faq.md").write_text("# FAQ\n\nRefunds are paid within 30 days.", encoding="utf-8")
    return root


@contextmanager
def library_at(fake: FakeFastGPT, way: str, app: Any) -> Iterator[str]:
    """`app` reachable by the emulator the `way` asked: mounted in process, or served on loopback."""
    if way == "mounted":
        fake.mount(KB_URL, app)
        yield KB_URL
        return
    with served(app) as url:
        yield url


WAYS = ["mounted", pytest.param("loopback", marks=pytest.mark.system)]


def api_dataset(fake: FakeFastGPT, url: str, authorization: str | None = TOKEN) -> str:
    server = ApiDatasetServer(api_server=ApiFileServer(base_url=url, authorization=authorization))
    with fake.client() as client:
        request = CreateDatasetRequest(name="Handbook", type="apiDataset", api_dataset_server=server)
        return client.dataset.create_dataset(request).id


# ---- API datasets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("way", WAYS)
async def test_an_api_dataset_file_is_read_trained_and_cited_by_the_knowledge_app(
    io_mode: str, way: str, folder: Path
) -> None:
    fake = FakeFastGPT()
    with library_at(fake, way, api_dataset_app(FolderLibrary(folder), token=TOKEN)) as url:
        dataset_id = api_dataset(fake, url)
        async with fake.client() as client:
            request = CreateApiCollectionRequest(
                dataset_id=dataset_id, name="unused", api_file_id="guides/setup.md"
            )
            created = await run(
                io_mode,
                lambda: client.dataset.create_api_collection(request),
                lambda: client.dataset.acreate_api_collection(request),
            )
            assert created.collection_id is not None
            collection = client.dataset.get_collection(GetCollectionRequest(id=created.collection_id))
            question = ChatCompletionRequest(
                app_id=fake.apps["knowledge"],
                messages=[ChatMessage.user("How do I run make install?")],
                detail=True,
            )
            answer = await run(
                io_mode, lambda: client.chat.chat(question), lambda: client.chat.achat(question)
            )
    assert (collection.name, collection.type) == ("setup.md", "apiFile")  # the content's title
    assert "make install" in str(answer.choices[0].message.content)
    search = next(n for n in answer.response_data if n.module_type == "datasetSearchNode")
    assert search.quote_list is not None
    assert search.quote_list[0].source_name == "setup.md"
    assert search.quote_list[0].collection_id == created.collection_id
    # FastGPT's requests, as the library received them: the content, with the bearer token
    contents = [r for r in fake.requests if r.path.endswith("/apiCollection")]
    assert len(contents) == 1


async def test_the_emulator_sends_fastgpts_requests_to_the_library(folder: Path) -> None:
    seen: list[httpx.Request] = []
    inner = api_dataset_app(FolderLibrary(folder), token=TOKEN)

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append(
                httpx.Request(
                    scope["method"],
                    "http://kb.test" + scope["path"] + "?" + scope["query_string"].decode(),
                    headers=[(k.decode(), v.decode()) for k, v in scope["headers"]],
                )
            )
        await inner(scope, receive, send)

    fake = FakeFastGPT()
    fake.mount(KB_URL, recording)
    dataset_id = api_dataset(fake, KB_URL)
    with fake.client() as client:
        client.dataset.create_api_collection(
            CreateApiCollectionRequest(dataset_id=dataset_id, name="faq", api_file_id="faq.md")
        )
    (request,) = seen  # the content carries a title: no detail call
    assert (request.method, request.url.path, request.url.params["id"]) == (
        "GET",
        "/library/v1/file/content",
        "faq.md",
    )
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"


async def test_a_folder_brings_its_files_with_apicollectionv2(io_mode: str, folder: Path) -> None:
    fake = FakeFastGPT()
    fake.mount(KB_URL, api_dataset_app(FolderLibrary(folder), token=TOKEN))
    dataset_id = api_dataset(fake, KB_URL)
    guides = ApiFileItem(
        id="guides",
        raw_id="guides",
        name="guides",
        type="folder",
        has_child=True,
        update_time="2026-12-01T00:00:00.000Z",
        create_time="2026-12-01T00:00:00.000Z",
    )
    request = CreateApiCollectionV2Request(dataset_id=dataset_id, api_files=[guides])
    async with fake.client() as client:
        await run(
            io_mode,
            lambda: client.dataset.create_api_collection_v2(request),
            lambda: client.dataset.acreate_api_collection_v2(request),
        )
        page = client.dataset.list_collections(ListCollectionsRequest(dataset_id=dataset_id))
        search = client.dataset.search_test(SearchTestRequest(dataset_id=dataset_id, text="docker compose"))
    assert sorted((c.name, c.type) for c in page.list) == [
        ("deploy.md", "apiFile"),
        ("guides", "folder"),
        ("setup.md", "apiFile"),
    ]
    assert search.list[0].source_name == "deploy.md"


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("files", "Invalid file list format"),
        ("no_type", "Invalid file data format"),
        ("http_500", "Request failed with status code 500"),
        ("not_json", "<html>502 Bad Gateway</html>"),
    ],
)
async def test_a_listing_fastgpt_refuses_refuses_the_request(fault: str, message: str) -> None:
    fake = FakeFastGPT()
    fake.mount(KB_URL, hand_written_library(fault=fault))
    dataset_id = api_dataset(fake, KB_URL, authorization=None)
    folder_item = ApiFileItem(
        id="docs",
        raw_id="docs",
        name="docs",
        type="folder",
        has_child=True,
        update_time="2026-12-01T00:00:00.000Z",
        create_time="2026-12-01T00:00:00.000Z",
    )
    with fake.client() as client:
        with pytest.raises(InternalServerError) as caught:
            client.dataset.create_api_collection_v2(
                CreateApiCollectionV2Request(dataset_id=dataset_id, api_files=[folder_item])
            )
        page = client.dataset.list_collections(ListCollectionsRequest(dataset_id=dataset_id))
    assert caught.value.message == message
    assert page.list == []


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("neither", "Invalid content type: content or previewUrl is required"),
        (
            "success_string",
            '{"success":"true","message":"","data":{"title":"README.md","content":"# readme\\n\\ntext of readme"}}',
        ),
        ("bare", '{"title":"README.md","content":"# readme\\n\\ntext of readme"}'),
    ],
)
async def test_content_fastgpt_refuses_refuses_apicollection(fault: str, message: str) -> None:
    fake = FakeFastGPT()
    fake.mount(KB_URL, hand_written_library(fault=fault))
    dataset_id = api_dataset(fake, KB_URL, authorization=None)
    with fake.client() as client, pytest.raises(InternalServerError) as caught:
        client.dataset.create_api_collection(
            CreateApiCollectionRequest(dataset_id=dataset_id, name="readme", api_file_id="readme")
        )
    assert caught.value.message == message


async def test_a_wrong_token_is_refused_with_the_librarys_message(folder: Path) -> None:
    fake = FakeFastGPT()
    fake.mount(KB_URL, api_dataset_app(FolderLibrary(folder), token=TOKEN))
    dataset_id = api_dataset(fake, KB_URL, authorization="not-the-token")
    with fake.client() as client, pytest.raises(InternalServerError) as caught:
        client.dataset.create_api_collection(
            CreateApiCollectionRequest(dataset_id=dataset_id, name="faq", api_file_id="faq.md")
        )
    assert caught.value.message == "Unauthorized: wrong or missing bearer token"


async def test_the_same_file_twice_is_same_api_collection(folder: Path) -> None:
    fake = FakeFastGPT()
    fake.mount(KB_URL, api_dataset_app(FolderLibrary(folder), token=TOKEN))
    dataset_id = api_dataset(fake, KB_URL)
    request = CreateApiCollectionRequest(dataset_id=dataset_id, name="faq", api_file_id="faq.md")
    with fake.client() as client:
        client.dataset.create_api_collection(request)
        with pytest.raises(ConflictError) as caught:
            client.dataset.create_api_collection(request)
    assert caught.value.status_text == "sameApiCollection"


async def test_a_title_missing_from_the_content_comes_from_the_detail() -> None:
    fake = FakeFastGPT()
    app = hand_written_library()
    dataset_id = api_dataset(fake, KB_URL, authorization=None)

    class NoTitle:  # the hand-written library, with its content answered without a title
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope["path"].endswith("/v1/file/content"):
                body = {"success": True, "message": "", "data": {"content": "Plain text, no title."}}
                raw = json.dumps(body).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": raw})
                return
            await app(scope, receive, send)

    fake.mount(KB_URL, NoTitle())
    with fake.client() as client:
        created = client.dataset.create_api_collection(
            CreateApiCollectionRequest(dataset_id=dataset_id, name="fallback", api_file_id="guide")
        )
        assert created.collection_id is not None
        collection = client.dataset.get_collection(GetCollectionRequest(id=created.collection_id))
    assert collection.name == "guide.md"  # /v1/file/detail's name


async def test_nothing_at_the_base_url_is_a_network_error() -> None:
    fake = FakeFastGPT()
    dataset_id = api_dataset(fake, "http://127.0.0.1:9")
    with fake.client() as client, pytest.raises(InternalServerError) as caught:
        client.dataset.create_api_collection(
            CreateApiCollectionRequest(dataset_id=dataset_id, name="faq", api_file_id="faq.md")
        )
    assert caught.value.message == "网络连接异常"


def test_mount_refuses_a_base_url_without_a_host() -> None:
    with pytest.raises(ValueError, match="base URL"):
        FakeFastGPT().mount("kb.test", hand_written_library())


# ---- share links -----------------------------------------------------------------------------------------


class Hooks:
    """A share-auth hook that knows two users, bills points from `finish` reports, and refuses a user
    without points."""

    def __init__(self) -> None:
        self.users = {"alice-token": "alice", "bob-token": "bob"}
        self.points = {"alice-token": 10.0, "bob-token": 0.0}
        self.reports: list[FinishReport] = []
        self.calls: list[str] = []

    def init(self, token: str) -> str:
        self.calls.append("init")
        if token not in self.users:
            raise ShareAuthRefused("Unknown user: please sign in again")
        return self.users[token]

    def start(self, token: str, question: str) -> str | None:
        self.calls.append("start")
        if self.points.get(token, 0.0) <= 0:
            raise ShareAuthRefused("No points left: please top up")
        return self.users[token]

    def finish(self, report: FinishReport) -> None:
        self.calls.append("finish")
        self.reports.append(report)
        self.points[report.token] -= report.total_points


def billed_app(ctx: RunContext) -> Turn:
    """An app whose run costs points: a chat node with its model's points and tokens."""
    text = f"You asked: {ctx.question}"
    chat = node(
        "chat01", "AI chat", "chatNode", "cH4tN0d3aB1cD2eF", runningTime=0.4, totalPoints=1.5, model="gpt-4o-mini",
        tokens=120, inputTokens=100, outputTokens=20,
    )  # fmt: skip
    return Turn(events=[("answer", answer_chunk(text))], nodes=[chat], duration_seconds=0.4)


def completion(share_id: str, token: str, question: str, **body: Any) -> dict[str, Any]:
    """The body FastGPT's share page sends: no key, the link and the visitor in `outLinkAuthData`."""
    return {
        "messages": [{"role": "user", "content": question}],
        "outLinkAuthData": {"shareId": share_id, "outLinkUid": token},
        **body,
    }


@contextmanager
def share_link(
    way: str, version: str | None = None
) -> Iterator[tuple[FakeFastGPT, Hooks, str, httpx.Client]]:
    hooks = Hooks()
    fake = FakeFastGPT(version=version)
    app_id = fake.register_app(billed_app, name="Support bot")
    if way == "mounted":
        fake.mount(HOOK_URL, share_auth_app(hooks))
        share_id = fake.create_share_link(app_id, hook_url=HOOK_URL)
        with httpx.Client(transport=fake.transport(), base_url="http://fastgpt.fake") as web:
            yield fake, hooks, share_id, web
        return
    with served(share_auth_app(hooks)) as hook_url, fake.serve() as base_url:
        share_id = fake.create_share_link(app_id, hook_url=hook_url)
        with httpx.Client(base_url=base_url) as web:
            yield fake, hooks, share_id, web


@pytest.mark.parametrize("way", WAYS)
def test_a_share_link_chat_asks_the_hook_and_bills_points_from_finish_reports(way: str) -> None:
    with share_link(way) as (_fake, hooks, share_id, web):
        for question in ("first question", "second question"):
            answer = web.post(
                "/api/v2/chat/completions", json=completion(share_id, "alice-token", question, chatId="c1")
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["choices"][0]["message"]["content"] == f"You asked: {question}"
        init = web.get(
            "/api/core/chat/outLink/init",
            params={"chatId": "c1", "shareId": share_id, "outLinkUid": "alice-token"},
        )
        histories = web.post(
            "/api/core/chat/history/getHistories", json={"shareId": share_id, "outLinkUid": "alice-token"}
        )
        strangers = web.post(
            "/api/core/chat/history/getHistories", json={"shareId": share_id, "outLinkUid": "bob-token"}
        )
    assert hooks.calls == ["start", "finish", "start", "finish", "init", "init", "init"]
    assert [(r.token, r.app_name, r.chat_id) for r in hooks.reports] == [
        ("alice-token", "Support bot", "c1")
    ] * 2
    assert sum(r.total_points for r in hooks.reports) == 3.0
    assert sum(r.total_tokens for r in hooks.reports) == 240
    assert hooks.points["alice-token"] == 7.0
    assert init.json()["data"]["chatId"] == "c1"
    assert [h["chatId"] for h in histories.json()["data"]["list"]] == ["c1"]
    assert strangers.json()["data"]["list"] == []  # the hook's uid for bob made no chat


def test_a_refusing_hook_refuses_the_chat_with_its_message() -> None:
    with share_link("mounted") as (_fake, hooks, share_id, web):
        blocking = web.post("/api/v2/chat/completions", json=completion(share_id, "bob-token", "hi"))
        streamed = web.post(
            "/api/v2/chat/completions", json=completion(share_id, "bob-token", "hi", stream=True)
        )
        unknown = web.post(
            "/api/core/chat/history/getHistories", json={"shareId": share_id, "outLinkUid": "mallory-token"}
        )
    assert blocking.status_code == 500
    assert blocking.json()["message"] == "No points left: please top up"
    assert b"event: error" in streamed.content
    assert "No points left: please top up" in streamed.text
    assert unknown.json()["message"] == "Unknown user: please sign in again"
    assert hooks.reports == []  # nothing ran, nothing to bill


def test_a_hook_that_cannot_answer_is_fastgpts_identity_failure() -> None:
    fake = FakeFastGPT()
    app_id = fake.register_app(billed_app, name="Support bot")
    share_id = fake.create_share_link(app_id, hook_url="http://127.0.0.1:9")
    with httpx.Client(transport=fake.transport(), base_url="http://fastgpt.fake") as web:
        answer = web.post("/api/v2/chat/completions", json=completion(share_id, "alice-token", "hi"))
    assert (answer.status_code, answer.json()["message"]) == (500, "身份校验失败")


def test_another_visitors_chat_is_not_yours() -> None:
    with share_link("mounted") as (_fake, hooks, share_id, web):
        hooks.points["bob-token"] = 5.0
        web.post("/api/v2/chat/completions", json=completion(share_id, "alice-token", "hi", chatId="c1"))
        taken = web.post(
            "/api/v2/chat/completions", json=completion(share_id, "bob-token", "hi", chatId="c1")
        )
    assert (taken.status_code, taken.json()["statusText"]) == (500, "unAuthChat")


def test_a_share_link_needs_no_key_but_a_known_link() -> None:
    fake = FakeFastGPT()
    share_id = fake.create_share_link(fake.apps["knowledge"])  # no hook: the token is the uid
    with httpx.Client(transport=fake.transport(), base_url="http://fastgpt.fake") as web:
        ok = web.post("/api/v2/chat/completions", json=completion(share_id, "anyone", "hello", chatId="k1"))
        unknown = web.post("/api/v2/chat/completions", json=completion("nosuchlink", "anyone", "hello"))
        keyless = web.post("/api/v2/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]})
    assert ok.status_code == 200
    assert (unknown.status_code, unknown.json()["statusText"]) == (500, "outlinkUnExist")
    assert keyless.status_code == 401


@pytest.mark.parametrize(
    ("version", "keys"),
    [
        ("4.9.0", ["token", "responseData"]),
        ("4.14.0", ["token", "appName", "responseData"]),
        (None, ["token", "appName", "responseData", "chatId"]),
    ],
)
def test_finish_sends_the_body_of_the_version_played(version: str | None, keys: list[str]) -> None:
    received: list[dict[str, Any]] = []

    async def hook(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        received.append({"path": scope["path"], "body": json.loads(message.get("body", b"{}"))})
        raw = json.dumps({"success": True, "data": {"uid": "u1"}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": raw})

    fake = FakeFastGPT(version=version)
    app_id = fake.register_app(billed_app, name="Support bot")
    fake.mount(HOOK_URL, hook)
    share_id = fake.create_share_link(app_id, hook_url=HOOK_URL)
    path = "/api/v1/chat/completions" if version == "4.9.0" else "/api/v2/chat/completions"
    with httpx.Client(transport=fake.transport(), base_url="http://fastgpt.fake") as web:
        assert web.post(path, json=completion(share_id, "t", "hi", chatId="c9")).status_code == 200
    start, finish = received
    assert (start["path"], start["body"]) == ("/shareAuth/start", {"token": "t", "question": "hi"})
    assert finish["path"] == "/shareAuth/finish"
    assert list(finish["body"]) == keys
    assert finish["body"]["responseData"][0]["totalPoints"] == 1.5


async def test_a_share_link_chat_through_the_async_transport_asks_the_mounted_hook() -> None:
    hooks = Hooks()
    fake = FakeFastGPT()
    app_id = fake.register_app(billed_app, name="Support bot")
    fake.mount(HOOK_URL, share_auth_app(hooks))
    share_id = fake.create_share_link(app_id, hook_url=HOOK_URL)
    async with httpx.AsyncClient(transport=fake.async_transport(), base_url="http://fastgpt.fake") as web:
        answer = await web.post(
            "/api/v2/chat/completions",
            json=completion(share_id, "alice-token", "hi", chatId="a1", stream=True),
        )
    assert answer.status_code == 200
    assert "You asked: hi" in answer.text
    assert hooks.calls == ["start", "finish"]
    assert [r.total_points for r in hooks.reports] == [1.5]
