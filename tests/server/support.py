"""Serving ASGI apps on loopback for the server-kit tests, and hand-written servers (no kits) that
answer FastGPT right or wrong on purpose."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from fastgpt_oapi.server import CheckReport


@contextmanager
def served(app: Any) -> Iterator[str]:
    """`app` served by uvicorn in a thread on a free loopback port; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


# ---- a hand-written API file library, with one fault at a time -------------------------------------------

TREE: dict[str | None, list[dict[str, Any]]] = {
    None: [
        {"id": "docs", "parentId": None, "name": "docs", "type": "folder", "updateTime": "2026-12-01T00:00:00Z",
         "createTime": "2026-12-01T00:00:00Z"},
        {"id": "readme", "parentId": None, "name": "README.md", "type": "file", "updateTime": "2026-12-01T00:00:00Z",
         "createTime": "2026-12-01T00:00:00Z", "hasChild": False},
    ],
    "docs": [
        {"id": "guide", "parentId": "docs", "name": "guide.md", "type": "file", "updateTime": "2026-12-01T00:00:00Z",
         "createTime": "2026-12-01T00:00:00Z"},
    ],
}  # fmt: skip
FILES = {item["id"]: item for items in TREE.values() for item in items if item["type"] == "file"}


def hand_written_library(
    *,
    fault: str | None = None,
    token: str | None = None,
    delay: float = 0.0,
) -> FastAPI:
    """The API file library as users write it by hand from FastGPT's docs, with one `fault`:
    `bare` (no envelope), `files` (`{"files": [...]}`), `no_type`, `both`, `neither`, `success_string`,
    `no_url`, `http_500`, `not_json`, `no_detail`, `bad_search` (only the search answers `{"files": [...]}`); `token` is checked (401 when wrong) if given, and a
    `delay` slows every answer."""
    app = FastAPI()

    def wrap(data: Any) -> Response:
        if fault == "bare":
            return JSONResponse(data)
        if fault == "success_string":
            return JSONResponse({"success": "true", "message": "", "data": data})
        if fault == "http_500":
            return JSONResponse({"success": False, "message": "boom", "data": None}, status_code=500)
        if fault == "not_json":
            return PlainTextResponse("<html>502 Bad Gateway</html>")
        return JSONResponse({"code": 200, "success": True, "message": "", "data": data})

    async def guard(authorization: str | None) -> Response | None:
        if delay:
            await asyncio.sleep(delay)
        if token is not None and authorization != f"Bearer {token}":
            return JSONResponse({"success": False, "message": "unauthorized", "data": None}, status_code=401)
        return None

    @app.post("/v1/file/list")
    async def list_files(request: Request, authorization: str | None = Header(None)) -> Response:
        if (refused := await guard(authorization)) is not None:
            return refused
        body = await request.json()
        items = [dict(item) for item in TREE.get(body.get("parentId"), [])]
        if fault == "no_type":
            for item in items:
                item.pop("type")
        if fault == "files" or (fault == "bad_search" and "searchKey" in body):
            return wrap({"files": items})
        return wrap(items)

    @app.get("/v1/file/content")
    async def content(id: str, authorization: str | None = Header(None)) -> Response:
        if (refused := await guard(authorization)) is not None:
            return refused
        data: dict[str, Any] = {"title": FILES[id]["name"], "content": f"# {id}\n\ntext of {id}"}
        if fault == "both":
            data["previewUrl"] = f"https://files.example.com/{id}"
        if fault == "neither":
            del data["content"]
        return wrap(data)

    @app.get("/v1/file/read")
    async def read(id: str, authorization: str | None = Header(None)) -> Response:
        if (refused := await guard(authorization)) is not None:
            return refused
        return wrap({} if fault == "no_url" else {"url": f"https://files.example.com/{id}"})

    @app.get("/v1/file/detail")
    async def detail(id: str, authorization: str | None = Header(None)) -> Response:
        if (refused := await guard(authorization)) is not None:
            return refused
        return wrap(None if fault == "no_detail" else FILES[id])

    return app


def hand_written_hook(*, fault: str | None = None, delay: float = 0.0) -> FastAPI:
    """The share-link hook as users write it by hand from FastGPT's docs, with one `fault`: `slash_uid`,
    `long_uid`, `no_uid`, `success_string`, `refuse` (a refusal with a `msg`), `start_500`, `finish_404`."""
    app = FastAPI()
    finished: list[dict[str, Any]] = []
    app.state.finished = finished

    @app.post("/shareAuth/init")
    async def init(request: Request) -> Response:
        if delay:
            await asyncio.sleep(delay)
        body = await request.json()
        uid = {"slash_uid": "team/alice", "long_uid": "é" * 128}.get(fault or "", f"user-{body['token']}")
        if fault == "refuse":
            return JSONResponse({"success": False, "msg": "unknown user"})
        if fault == "success_string":
            return JSONResponse({"success": "true", "data": {"uid": uid}})
        return JSONResponse({"success": True, "data": {} if fault == "no_uid" else {"uid": uid}})

    @app.post("/shareAuth/start")
    async def start(request: Request) -> Response:
        if fault == "start_500":
            return JSONResponse({"error": "db down"}, status_code=500)
        return JSONResponse({"success": True, "data": {"uid": f"user-{(await request.json())['token']}"}})

    @app.post("/shareAuth/finish")
    async def finish(request: Request) -> Response:
        if fault == "finish_404":
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        finished.append(await request.json())
        return JSONResponse({"success": True})

    return app


# ---- reaching a server: in process (fast) or over loopback HTTP (the `system` tests) ---------------------

WAYS = [
    "in-process",
    pytest.param("sync-loopback", marks=pytest.mark.system),
    pytest.param("async-loopback", marks=pytest.mark.system),
]
IN_PROCESS_URL = "http://server"


async def check_app(
    way: str, app: Any, check: Any, acheck: Any, *, prefix: str = "", **options: Any
) -> tuple[CheckReport, str]:
    """`check` (sync) or `acheck` (async) run against `app` (at `prefix` in it) the `way` asked: the async
    check over `httpx.ASGITransport`, or either check against the app served by uvicorn. Returns the
    report and the base URL checked."""
    if way == "in-process":
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
            url = IN_PROCESS_URL + prefix
            return await acheck(url, http_client=client, **options), url
    with served(app) as root:
        url = root + prefix
        if way == "sync-loopback":
            return check(url, **options), url
        return await acheck(url, **options), url
