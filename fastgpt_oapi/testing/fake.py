"""`FakeFastGPT`: an in-memory, stateful FastGPT that speaks the real wire format.

`handle()` is the whole server: method, path, query, headers and body in; status, headers and body
chunks out. `transport()` / `async_transport()` plug it into httpx, `serve()` puts it on a loopback
socket. Chats made through it show up in its histories, records, logs and charts; feedback, renames,
pins and deletes change what later calls return.
"""

from __future__ import annotations

import json
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .apps import App, RunContext, Turn, answer_chunk, builtin_apps

if TYPE_CHECKING:
    import httpx

    from fastgpt_oapi.client import Client

__all__ = ["FakeFastGPT", "FakeResponse", "RecordedRequest", "ScriptedFailure"]

_ALPHABET = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"
_SSE_HEADERS = {
    "content-type": "text/event-stream;charset=utf-8",
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
}


def _json(value: Any) -> bytes:
    """JSON as FastGPT's JSON.stringify writes it: compact, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _nanoid(n: int = 24) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def _object_id() -> str:
    return "".join(secrets.choice(_HEX) for _ in range(24))


def _iso(ts: float) -> str:
    return (
        datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{int(ts * 1000) % 1000:03d}Z"
    )


@dataclass
class FakeResponse:
    status: int
    headers: dict[str, str]
    chunks: list[bytes]  # streamed one by one; a blocking body is one chunk

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


@dataclass
class ScriptedFailure:
    """Answer the next `times` matching requests with this response instead of handling them."""

    status: int
    body: bytes
    headers: dict[str, str]
    path: str | None
    times: int


@dataclass
class _Record:
    id: str
    data_id: str
    obj: str
    value: list[dict[str, Any]]
    time: float
    nodes: list[dict[str, Any]] = field(default_factory=list)
    duration: float | None = None
    good: str | None = None
    bad: str | None = None
    error: str | None = None
    points: float = 0.0


@dataclass
class _Chat:
    app_id: str
    chat_id: str
    title: str
    created: float
    updated: float
    source: str = "api"
    custom_title: str = ""
    top: bool = False
    uid: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    records: list[_Record] = field(default_factory=list)
    pending: dict[str, Any] | None = None
    deleted: bool = False


@dataclass
class RecordedRequest:
    """One request the emulator received (`FakeFastGPT.requests`); `body` is the parsed JSON."""

    method: str
    path: str
    query: dict[str, str]
    body: Any


class _Refusal(Exception):
    def __init__(self, status: int, code: int, status_text: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.status_text, self.message = status, code, status_text, message

    def envelope(self) -> dict[str, Any]:
        return {"code": self.code, "statusText": self.status_text, "message": self.message, "data": None}


def _bad_key() -> _Refusal:
    return _Refusal(401, 514, "unAuthApiKey", "common:code_error.error_message.514")


def _no_app() -> _Refusal:
    return _Refusal(500, 502000, "appUnExist", "common:code_error.app_error.not_exist")


def _invalid(message: str) -> _Refusal:
    return _Refusal(400, 400, "error", message)


class FakeFastGPT:
    """An emulated FastGPT server. `api_key` and `app_id` are the credentials it accepts."""

    def __init__(
        self,
        *,
        api_key: str = "fastgpt-test",
        legacy_record_delete: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_key = api_key
        self.legacy_record_delete = legacy_record_delete  # FastGPT <= 4.14.10: only item/delete exists
        self._clock = clock
        self._apps: dict[str, tuple[str, App]] = builtin_apps()
        self.app_id = next(iter(self._apps))
        self.apps = {name: app_id for app_id, (name, _) in self._apps.items()}
        self._chats: dict[tuple[str, str], _Chat] = {}
        self._failures: list[ScriptedFailure] = []
        self._lock = threading.RLock()
        self.requests: list[RecordedRequest] = []

    # ---- scripting ----------------------------------------------------------------------------

    def register_app(self, app_id: str, app: App, name: str | None = None) -> None:
        """Serve `app` (a `(RunContext) -> Turn` callable) under `app_id` (24 hex characters)."""
        if len(app_id) != 24 or any(c not in _HEX for c in app_id.lower()):
            raise ValueError("app_id must be 24 hexadecimal characters")
        with self._lock:
            self._apps[app_id] = (name or app_id, app)
            self.apps[name or app_id] = app_id

    def fail_next(
        self,
        status: int,
        body: bytes | str | dict[str, Any] = b"",
        *,
        headers: dict[str, str] | None = None,
        path: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests (to `path`, if given) with this status and body."""
        if isinstance(body, dict):
            raw = _json(body)
            hdrs = {"content-type": "application/json", **(headers or {})}
        else:
            raw = body.encode() if isinstance(body, str) else body
            hdrs = dict(headers or {})
        with self._lock:
            self._failures.append(ScriptedFailure(status, raw, hdrs, path, times))

    def count(self, path: str) -> int:
        """How many requests reached `path`."""
        return sum(1 for r in self.requests if r.path == path)

    # ---- plugging in --------------------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        from .transport import FakeTransport

        return FakeTransport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        from .transport import AsyncFakeTransport

        return AsyncFakeTransport(self)

    def client(self, **settings: Any) -> Client:
        """A `Client` wired to this emulator through in-process transports (sync and async)."""
        from fastgpt_oapi.client import Client

        builder = (
            Client.builder()
            .base_url("http://fastgpt.fake")
            .api_key(self.api_key)
            .app_id(self.app_id)
            .transport(self.transport())
            .async_transport(self.async_transport())
        )
        for name, value in settings.items():
            builder = getattr(builder, name)(value)
        return builder.build()

    @contextmanager
    def serve(self, *, chunk_delay: float = 0.0) -> Iterator[str]:
        """Serve real HTTP on 127.0.0.1 (a free port) for the duration of the block; yields the base URL."""
        from .server import LoopbackServer

        server = LoopbackServer(self, chunk_delay=chunk_delay)
        server.start()
        try:
            yield server.base_url
        finally:
            server.stop()

    # ---- the server ---------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> FakeResponse:
        try:
            parsed = json.loads(body) if body.strip() else None
        except ValueError:
            parsed = None
        with self._lock:
            self.requests.append(RecordedRequest(method, path, dict(query), parsed))
            scripted = self._take_failure(path)
        if scripted is not None:
            return FakeResponse(scripted.status, scripted.headers, [scripted.body])
        route = self._routes().get(path)
        if route is None:
            return FakeResponse(404, {"content-type": "text/plain"}, [f"Cannot {method} {path}".encode()])
        is_stream = (
            path == "/api/v1/chat/completions" and isinstance(parsed, dict) and parsed.get("stream") is True
        )
        try:
            self._authenticate(headers)
            params = {**query, **(parsed if isinstance(parsed, dict) else {})}
            with self._lock:
                return route(params)
        except _Refusal as refusal:
            envelope = _json(refusal.envelope())
            if is_stream:
                # Refused before the SSE headers: HTTP 200, an SSE error event, no SSE content type.
                return FakeResponse(
                    200, {"content-type": "text/plain"}, [b"event: error\ndata: " + envelope + b"\n\n"]
                )
            return FakeResponse(refusal.status, {"content-type": "application/json"}, [envelope])

    def _take_failure(self, path: str) -> ScriptedFailure | None:
        for failure in self._failures:
            if failure.path is None or failure.path == path:
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _authenticate(self, headers: dict[str, str]) -> None:
        auth = headers.get("authorization", "")
        parts = auth.split(" ")
        token = parts[1] if len(parts) > 1 else ""
        if token != self.api_key and not (
            token.startswith(self.api_key + "-") and len(token) == len(self.api_key) + 25
        ):
            raise _bad_key()

    def _routes(self) -> dict[str, Callable[[dict[str, Any]], FakeResponse]]:
        record_delete = (
            "/api/core/chat/item/delete" if self.legacy_record_delete else "/api/core/chat/record/delete"
        )
        return {
            "/api/v1/chat/completions": self._completions,
            "/api/core/chat/getHistories": self._ok(self._histories),
            "/api/core/chat/updateHistory": self._ok(self._update_history),
            "/api/core/chat/delHistory": self._ok(self._del_history),
            "/api/core/chat/clearHistories": self._ok(self._clear_histories),
            "/api/core/chat/init": self._ok(self._init),
            "/api/core/chat/getPaginationRecords": self._ok(self._records),
            "/api/core/chat/getResData": self._ok(self._res_data),
            record_delete: self._ok(self._delete_record),
            "/api/core/chat/feedback/updateUserFeedback": self._ok(self._feedback),
            "/api/core/ai/agent/v2/createQuestionGuide": self._ok(self._question_guide),
            "/api/proApi/core/app/logs/getChartData": self._ok(self._chart_data),
            "/api/proApi/core/app/logs/getTotalData": self._ok(self._total_data),
            "/api/core/app/logs/list": self._ok(self._logs),
        }

    @staticmethod
    def _ok(handler: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], FakeResponse]:
        def wrapped(params: dict[str, Any]) -> FakeResponse:
            data = handler(params)
            envelope = {"code": 200, "statusText": "", "message": "", "data": data}
            body = _json(envelope)
            return FakeResponse(200, {"content-type": "application/json"}, [body])

        return wrapped

    # ---- helpers ------------------------------------------------------------------------------

    def _app_id(self, params: dict[str, Any]) -> str:
        app_id = params.get("appId")
        if not isinstance(app_id, str) or not app_id:
            raise _Refusal(500, 504000, "unAuthChat", "common:code_error.chat_error.un_auth")
        if len(app_id) != 24 or any(c not in _HEX for c in app_id.lower()):
            raise _invalid("Data validation error")
        if app_id not in self._apps:
            raise _no_app()
        return app_id

    def _chat(self, params: dict[str, Any]) -> _Chat:
        app_id = self._app_id(params)
        chat = self._chats.get((app_id, str(params.get("chatId", ""))))
        if chat is None or chat.deleted:
            raise _Refusal(500, 504000, "unAuthChat", "common:code_error.chat_error.un_auth")
        return chat

    @staticmethod
    def _page(params: dict[str, Any], default_size: int = 10) -> tuple[int, int]:
        try:
            size = int(params.get("pageSize", default_size))
            if "offset" in params:
                offset = int(params["offset"])
            else:
                offset = (int(params.get("pageNum", 1)) - 1) * size
        except (TypeError, ValueError):
            raise _invalid("Data validation error") from None
        if size < 1 or offset < 0:
            raise _invalid("Data validation error")
        return offset, size

    def _live(self, app_id: str) -> list[_Chat]:
        return [c for c in self._chats.values() if c.app_id == app_id and not c.deleted]

    def _between(self, params: dict[str, Any]) -> list[_Chat]:
        """The live chats of the app updated within [dateStart, dateEnd] (either may be absent)."""
        start, end = _when(params.get("dateStart"), 0.0), _when(params.get("dateEnd"), float("inf"))
        return [c for c in self._live(self._app_id(params)) if start <= c.updated <= end]

    # ---- completions --------------------------------------------------------------------------

    def _completions(self, params: dict[str, Any]) -> FakeResponse:
        app_id = params.get("appId") or self.app_id
        params = {**params, "appId": app_id}
        self._app_id(params)
        messages = params.get("messages")
        if not isinstance(messages, list) or not messages:
            raise _Refusal(500, 500, "", "messages is empty")
        last = messages[-1] if isinstance(messages[-1], dict) else {}
        question = _message_text(last.get("content"))
        chat_id = str(params.get("chatId") or "").strip() or _nanoid()
        data_id = str(params.get("responseChatItemId") or _nanoid(16))
        now = self._clock()
        chat = self._chats.get((app_id, chat_id))
        if chat is None or chat.deleted:
            chat = _Chat(app_id, chat_id, title=question[:20] or "新对话", created=now, updated=now)
            chat.uid = params.get("customUid")
            self._chats[(app_id, chat_id)] = chat
        if any(r.data_id == data_id for r in chat.records):
            raise _Refusal(500, 500, "", f"Chat dataId already exists: {data_id}")
        chat.variables = {**chat.variables, **(params.get("variables") or {})}
        _, app = self._apps[app_id]
        turn = app(
            RunContext(question, chat_id, data_id, dict(chat.variables), chat.pending, len(chat.records))
        )
        self._store(chat, question, last.get("content"), data_id, turn, now)
        detail = params.get("detail") is True
        if params.get("stream") is True:
            return FakeResponse(200, dict(_SSE_HEADERS), self._sse(turn, detail))
        if turn.error is not None:
            envelope = {
                "code": 500,
                "statusText": "",
                "message": turn.error.get("message", "error"),
                "data": None,
            }
            return FakeResponse(500, {"content-type": "application/json"}, [_json(envelope)])
        return FakeResponse(
            200,
            {"content-type": "application/json"},
            [_json(self._blocking(turn, chat, detail))],
        )

    def _store(self, chat: _Chat, question: str, content: Any, data_id: str, turn: Turn, now: float) -> None:
        human_value: list[dict[str, Any]] = [{"text": {"content": question}, "type": "text"}]
        if isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and part.get("type") == "image_url":
                    url = (part.get("image_url") or {}).get("url")
                    human_value.append({"file": {"type": "image", "name": "", "url": url}, "type": "file"})
                elif isinstance(part, dict) and part.get("type") == "file_url":
                    human_value.append(
                        {
                            "file": {"type": "file", "name": part.get("name"), "url": part.get("url")},
                            "type": "file",
                        }
                    )
        chat.records.append(_Record(_object_id(), _nanoid(), "Human", human_value, now))
        ai = _Record(
            _object_id(),
            data_id,
            "AI",
            _value_items(turn),
            now,
            nodes=turn.nodes,
            duration=turn.duration_seconds,
            points=turn.points,
            error=turn.error.get("message") if turn.error else None,
        )
        chat.records.append(ai)
        chat.pending = next((p["interactive"] for name, p in turn.events if name == "interactive"), None)
        if turn.variables is not None:
            chat.variables = dict(turn.variables)
        if turn.title and not chat.custom_title:
            chat.title = turn.title
        chat.updated = now

    def _sse(self, turn: Turn, detail: bool) -> list[bytes]:
        chunks: list[bytes] = []

        def emit(name: str | None, payload: Any) -> None:
            data = payload.encode() if isinstance(payload, str) else _json(payload)
            if name is not None:
                chunks.append(f"event: {name}\n".encode())  # FastGPT writes the two lines separately
            chunks.append(b"data: " + data + b"\n\n")

        for name, payload in turn.events:
            if detail:
                emit(name, payload)
            elif name in ("answer", "fastAnswer"):
                emit(None, payload)
        if turn.error is not None:
            emit("error", turn.error)
            return chunks
        if detail:
            emit("workflowDuration", {"durationSeconds": turn.duration_seconds})
            if turn.title:
                emit("chatTitle", {"title": turn.title})
        emit("answer" if detail else None, answer_chunk(None, finish=True))
        if detail:
            emit("flowResponses", turn.nodes)
        emit("answer" if detail else None, "[DONE]")
        return chunks

    def _blocking(self, turn: Turn, chat: _Chat, detail: bool) -> dict[str, Any]:
        items = _value_items(turn)
        texts = [i["text"]["content"] for i in items if "text" in i]
        reasoning = "".join(i["reasoning"]["content"] for i in items if "reasoning" in i)
        message: dict[str, Any] = {"role": "assistant"}
        if detail and (len(items) > 1 or any("interactive" in i or "tools" in i for i in items)):
            message["content"] = [_public(i) for i in items]
        else:
            message["content"] = "\n".join(texts)
            if reasoning:
                message["reasoning_content"] = reasoning
        body: dict[str, Any] = {}
        if detail:
            body["responseData"] = turn.nodes
            body["newVariables"] = chat.variables
            if turn.title:
                body["title"] = turn.title
        body.update(
            {
                "id": chat.chat_id,
                "model": "",
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 1},
                "choices": [{"message": message, "finish_reason": "stop", "index": 0}],
            }
        )
        return body

    # ---- chat CRUD ----------------------------------------------------------------------------

    def _histories(self, params: dict[str, Any]) -> dict[str, Any]:
        app_id = self._app_id(params)
        offset, size = self._page(params)
        chats = self._live(app_id)
        if params.get("source"):
            chats = [c for c in chats if c.source == params["source"]]
        chats.sort(key=lambda c: (c.top, c.updated), reverse=True)
        page = chats[offset : offset + size]
        return {
            "list": [
                {
                    "chatId": c.chat_id,
                    "updateTime": _iso(c.updated),
                    "appId": c.app_id,
                    "customTitle": c.custom_title,
                    "title": c.title,
                    "top": c.top,
                    "chatGenerateStatus": 1,
                    "hasBeenRead": True,
                }
                for c in page
            ],
            "total": len(chats),
        }

    def _update_history(self, params: dict[str, Any]) -> None:
        chat = self._chat(params)
        if "customTitle" in params:
            chat.custom_title = str(params["customTitle"])
        if "title" in params:
            chat.title = str(params["title"])
        if "top" in params:
            chat.top = bool(params["top"])
        chat.updated = self._clock()

    def _del_history(self, params: dict[str, Any]) -> None:
        self._chat(params).deleted = True

    def _clear_histories(self, params: dict[str, Any]) -> None:
        for chat in self._live(self._app_id(params)):
            if chat.source == "api":
                chat.deleted = True

    def _init(self, params: dict[str, Any]) -> dict[str, Any]:
        app_id = self._app_id(params)
        name, _ = self._apps[app_id]
        chat = self._chats.get((app_id, str(params.get("chatId", ""))))
        return {
            "chatId": params.get("chatId", ""),
            "appId": app_id,
            "title": chat.custom_title or chat.title if chat else "新对话",
            "variables": chat.variables if chat else {},
            "chatGenerateStatus": 1,
            "hasBeenRead": True,
            "app": {
                "chatConfig": {
                    "questionGuide": {"open": True},
                    "ttsConfig": {"type": "web"},
                    "whisperConfig": {"open": False, "autoSend": False, "autoTTSResponse": False},
                    "chatInputGuide": {"open": False, "textList": [], "customUrl": ""},
                    "instruction": "",
                    "variables": [],
                    "fileSelectConfig": {"canSelectFile": True, "canSelectImg": True, "maxFiles": 10},
                    "welcomeText": "",
                },
                "chatModels": ["gpt-4o-mini"],
                "name": name,
                "avatar": "/imgs/app/avatar/workflow.svg",
                "intro": f"The emulator's {name} app",
                "type": "advanced",
                "pluginInputs": [],
            },
        }

    def _records(self, params: dict[str, Any]) -> dict[str, Any]:
        app_id = self._app_id(params)
        offset, size = self._page(params)
        chat = self._chats.get((app_id, str(params.get("chatId", ""))))
        if chat is None or chat.deleted:
            return {"list": [], "total": 0}  # an unknown chat simply has no records
        newest_first = list(reversed(chat.records))
        page = list(reversed(newest_first[offset : offset + size]))  # newest page, oldest first
        return {"list": [_record_json(r) for r in page], "total": len(chat.records)}

    def _res_data(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        chat = self._chat(params)
        record = next((r for r in chat.records if r.data_id == params.get("dataId")), None)
        return record.nodes if record else []

    def _delete_record(self, params: dict[str, Any]) -> None:
        chat = self._chat(params)
        chat.records = [r for r in chat.records if r.data_id != params.get("contentId")]

    def _feedback(self, params: dict[str, Any]) -> None:
        chat = self._chat(params)
        record = next((r for r in chat.records if r.data_id == params.get("dataId") and r.obj == "AI"), None)
        if record is None:
            raise _Refusal(500, 500, "", "Chat item not found")
        # Both fields are rewritten on every call: an omitted one is cleared.
        record.good = params.get("userGoodFeedback") or None
        record.bad = params.get("userBadFeedback") or None

    def _question_guide(self, params: dict[str, Any]) -> list[str]:
        chat = self._chat(params)
        last = next((r for r in reversed(chat.records) if r.obj == "Human"), None)
        topic = _value_text(last.value)[:12] if last else "这个话题"
        return [f"{topic}还有哪些细节？", f"能举个关于{topic}的例子吗？", f"{topic}有什么替代方案？"]

    # ---- app logs -----------------------------------------------------------------------------

    def _logs(self, params: dict[str, Any]) -> dict[str, Any]:
        offset, size = self._page(params, default_size=20)
        chats = sorted(self._between(params), key=lambda c: c.updated, reverse=True)
        items = []
        for c in chats:
            ai = [r for r in c.records if r.obj == "AI"]
            items.append(
                {
                    "_id": _object_id(),
                    "chatId": c.chat_id,
                    "title": c.title,
                    "customTitle": c.custom_title or None,
                    "source": c.source,
                    "sourceName": "API",
                    "updateTime": _iso(c.updated),
                    "createTime": _iso(c.created),
                    "messageCount": len(c.records),
                    "userGoodFeedbackCount": sum(1 for r in ai if r.good),
                    "userBadFeedbackCount": sum(1 for r in ai if r.bad),
                    "customFeedbacksCount": 0,
                    "markCount": 0,
                    "averageResponseTime": round(sum(r.duration or 0 for r in ai) / len(ai), 4) if ai else 0,
                    "errorCount": sum(1 for r in ai if r.error),
                    "totalPoints": round(sum(r.points for r in ai), 6),
                    "outLinkUid": c.uid,
                }
            )
        return {"total": len(items), "list": items[offset : offset + size]}

    def _total_data(self, params: dict[str, Any]) -> dict[str, Any]:
        chats = self._live(self._app_id(params))
        users = {c.uid or "api" for c in chats}
        points = sum(r.points for c in chats for r in c.records)
        return {"totalUsers": len(users), "totalChats": len(chats), "totalPoints": round(points, 6)}

    def _chart_data(self, params: dict[str, Any]) -> dict[str, Any]:
        chats = self._between(params)
        days: dict[int, list[_Chat]] = {}
        for c in chats:
            day = int(c.created // 86400 * 86400 * 1000)
            days.setdefault(day, []).append(c)
        user_data, chat_data, app_data = [], [], []
        seen: set[str] = set()
        for day in sorted(days):
            group = days[day]
            ai = [r for c in group for r in c.records if r.obj == "AI"]
            uids = {c.uid or "api" for c in group}
            points = round(sum(r.points for r in ai), 6)
            sources: dict[str, int] = {}
            for c in group:
                sources[c.source] = sources.get(c.source, 0) + 1
            user_data.append(
                {
                    "timestamp": day,
                    "summary": {
                        "userCount": len(uids),
                        "newUserCount": len(uids - seen),
                        "retentionUserCount": len(uids & seen),
                        "points": points,
                        "sourceCountMap": sources,
                    },
                }
            )
            seen |= uids
            chat_data.append(
                {
                    "timestamp": day,
                    "summary": {
                        "chatItemCount": sum(len(c.records) for c in group),
                        "chatCount": len(group),
                        "errorCount": sum(1 for r in ai if r.error),
                        "points": points,
                    },
                }
            )
            app_data.append(
                {
                    "timestamp": day,
                    "summary": {
                        "goodFeedBackCount": sum(1 for r in ai if r.good),
                        "badFeedBackCount": sum(1 for r in ai if r.bad),
                        "chatCount": len(group),
                        "totalResponseTime": round(sum(r.duration or 0 for r in ai), 4),
                    },
                }
            )
        return {"userData": user_data, "chatData": chat_data, "appData": app_data}


def _when(value: Any, default: float) -> float:
    if not isinstance(value, str) or not value:
        return default
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise _invalid("Data validation error") from None


def _message_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def _value_items(turn: Turn) -> list[dict[str, Any]]:
    """The AI record's value items, as FastGPT stores them (legacy `type` included)."""
    reasoning = "".join(
        (p["choices"][0]["delta"].get("reasoning_content") or "") for n, p in turn.events if n == "answer"
    )
    text = "".join(
        (p["choices"][0]["delta"].get("content") or "")
        for n, p in turn.events
        if n in ("answer", "fastAnswer")
    )
    tools: dict[str, dict[str, Any]] = {}
    for name, payload in turn.events:
        if name in ("toolCall", "toolParams", "toolResponse"):
            tool = payload["tool"]
            entry = tools.setdefault(
                tool["id"],
                {
                    "id": tool["id"],
                    "toolName": "",
                    "toolAvatar": "",
                    "params": "",
                    "response": "",
                    "functionName": "",
                },
            )
            for key in ("toolName", "toolAvatar", "functionName"):
                if tool.get(key):
                    entry[key] = tool[key]
            if name == "toolResponse":
                entry["response"] = tool.get("response", "")
            else:
                entry["params"] += tool.get("params", "")
    items: list[dict[str, Any]] = []
    if reasoning:
        items.append({"reasoning": {"content": reasoning}, "type": "reasoning"})
    if tools:
        items.append({"tools": list(tools.values()), "type": "tool"})
    if text:
        items.append({"text": {"content": text}, "type": "text"})
    for name, payload in turn.events:
        if name == "interactive":
            items.append({"interactive": payload["interactive"], "type": "interactive"})
    return items


def _public(item: dict[str, Any]) -> dict[str, Any]:
    """Blocking JSON reduces an interactive to `{type, params}` (FastGPT >= 4.15.2)."""
    if "interactive" in item:
        inner = item["interactive"]
        return {"interactive": {"type": inner["type"], "params": inner["params"]}, "type": "interactive"}
    return item


def _value_text(value: list[dict[str, Any]]) -> str:
    return "".join(i["text"]["content"] for i in value if "text" in i)


def _record_json(record: _Record) -> dict[str, Any]:
    out: dict[str, Any] = {
        "_id": record.id,
        "dataId": record.data_id,
        "obj": record.obj,
        "value": record.value,
        "time": _iso(record.time),
        "customFeedbacks": [],
    }
    if record.obj == "AI":
        out["durationSeconds"] = record.duration
        quotes = [q for n in record.nodes for q in (n.get("quoteList") or [])]
        out["totalQuoteList"] = quotes
        out["useAgentSandbox"] = False
        if record.good:
            out["userGoodFeedback"] = record.good
        if record.bad:
            out["userBadFeedback"] = record.bad
        if record.error:
            out["errorMsg"] = record.error
    return out
