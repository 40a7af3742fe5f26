"""The chat area: `/api/v{1,2}/chat/completions`, run through the app, answered as SSE or blocking JSON.

v2 (since 4.9.4) differs from v1 only in what it writes: one flat `flowNodeResponse` event per node
instead of v1's `flowResponses` array, and no legacy `type` in blocking `content` arrays
(wire-spec 3.6).

Each completion is also stored as a Human and an AI record, which is what the history and logs areas
read back.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from ..apps import RunContext, Turn, WorkflowTool, answer_chunk
from ..ids import nanoid, object_id
from ..state import NEW_CHAT_TITLE, Chat, Record, State
from ..wire import FakeResponse, Params, SchemaRefusal, envelope, json_bytes, json_response, no_chat, thrown
from .auth import require_app
from .route import Route, enveloped
from .schema import (
    Check,
    Issue,
    Spec,
    anything,
    array,
    boolean,
    issue,
    max_length,
    non_empty,
    obj,
    one_of,
    record,
    string,
    validate,
)
from .schema import object_id as an_object_id
from .share import SHARE, ShareVisit, check_chat_owner, hook_finish, hook_start

__all__ = ["ROUTES"]

_SSE_HEADERS = {
    "content-type": "text/event-stream;charset=utf-8",
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
}


# FastGPT 4.18.0 refuses `customUid` together with `authProxy` (doc.fastgpt.io 4.18 reference).
_UID_XOR_PROXY_SINCE = (4, 18, 0)


def _completions(state: State, params: Params, *, v2: bool) -> FakeResponse:
    # FastGPT parses the body before it does anything else, and outside the handler's own error
    # handling: a refusal is this JSON 400 even for a stream.
    issues = _BODY(params, [])
    if state.version >= _UID_XOR_PROXY_SINCE and params.get("customUid") and params.get("authProxy"):
        # The rule of the 4.18 reference (v1-chat-completions); the issue's wording is the emulator's.
        issues.append(issue(["customUid"], "customUid cannot be used together with authProxy", "custom"))
    if issues:
        return SchemaRefusal(issues).response(sse=False)
    app_id = params.get("appId") or state.default_app_id
    params = {**params, "appId": app_id}
    require_app(state, params)
    _, app = state.apps[app_id]
    messages = params.get("messages") or []
    last: dict[str, Any] = messages[-1] if messages else {}
    if isinstance(app, WorkflowTool):
        # A workflow tool's question is its inputs; FastGPT always answers it in detail.
        question = json_bytes(params.get("variables") or {}).decode()
        params["detail"] = True
    elif not messages:
        raise thrown("messages is empty")
    else:
        question = _message_text(last.get("content"))
    chat_id = str(params.get("chatId") or "").strip() or nanoid()
    visit: ShareVisit | None = params.get(SHARE)
    if visit is not None:  # a share link: its hook's `start` first (`authShareChat`)
        if params.get("authProxy"):
            raise no_chat()
        visit = replace(visit, uid=hook_start(state, visit, question))
        check_chat_owner(state, visit, (app_id, chat_id))
    data_id = str(params.get("responseChatItemId") or nanoid(16))
    now = state.clock()
    chat = state.chats.get((app_id, chat_id))
    if chat is None or chat.deleted:
        title = question[:20] or NEW_CHAT_TITLE[state.language]
        chat = Chat(app_id, chat_id, title=title, created=now, updated=now)
        chat.uid = params.get("customUid")
        if visit is not None:
            chat.uid, chat.share_id, chat.source = visit.uid, visit.link.share_id, "share"
        state.chats[(app_id, chat_id)] = chat
    if any(r.data_id == data_id for r in chat.records):
        raise thrown(f"Chat dataId already exists: {data_id}")
    chat.variables = {**chat.variables, **(params.get("variables") or {})}
    ctx = RunContext(
        question, chat_id, data_id, dict(chat.variables), chat.pending, len(chat.records), state.language
    )
    turn = app(ctx)
    # A new run clears the chat's stop flag (`delAgentRuntimeStopSign` as the dispatch starts).
    state.stops.pop((app_id, chat_id), None)
    ai = _store(chat, question, last.get("content"), data_id, turn, now)
    if visit is not None:
        app_name, _ = state.apps[app_id]
        hook_finish(state, visit, app_name=app_name, chat_id=chat_id, nodes=turn.nodes)
    detail = params.get("detail") is True
    if params.get("stream") is True:
        chunks, ends = _sse_events(turn, detail)
        response = FakeResponse(200, dict(_SSE_HEADERS), chunks + _sse_tail(turn, detail, v2))
        if v2:  # FastGPT checks the stop flag of v2 runs only
            signal = state.stops[(app_id, chat_id)] = threading.Event()
            response.live = _LiveRun(state, (app_id, chat_id), signal, chat, ai, turn, detail, ends)
        return response
    if turn.error is not None:
        return json_response(500, envelope(500, message=turn.error.get("message", "error")))
    return json_response(200, _blocking(turn, chat, detail, v2))


def _streams(params: Params) -> bool:
    return params.get("stream") is True


# From 4.16.3 the stop route writes the flag and answers at once (`stop.ts`, below).
_STOP_AT_ONCE_SINCE = (4, 16, 3)


def _stop(state: State, params: Params) -> dict[str, Any]:
    """`POST /api/v2/chat/stop`: the chat's stop flag is set, which a v2 stream being sent notices
    before its next event (`_LiveRun`). A chat that is not there, or not running, is no error
    (FastGPT's auth lets an unknown chat id through; its flag is cleared by the chat's next run).

    From 4.16.3 FastGPT answers at once, `{success: true, completed: false, chatGenerateStatus: 0}`
    whatever the run does (`projects/app/src/pages/api/v2/chat/stop.ts`, "Stop API 只负责可靠写入停止标记";
    its schema in `packages/global/openapi/core/chat/controler/api.ts` calls both fields deprecated).
    Before, it waited up to 5 s for the run to wind down (`waitForWorkflowComplete`,
    `packages/service/core/workflow/dispatch/workflowStatus.ts` @ 0ffc7e48), then answered the chat's
    status; the emulator does not wait (its run is cut at its next event) and answers that status."""
    app_id = require_app(state, params)
    validate(params, {"chatId": ("required", non_empty)})
    key = (app_id, params["chatId"])
    signal = state.stops.get(key)
    if signal is not None:
        signal.set()
    if state.version >= _STOP_AT_ONCE_SINCE:
        return {"success": True, "completed": False, "chatGenerateStatus": 0}
    chat = state.chats.get(key)
    status = chat.generate_status if chat is not None and not chat.deleted else 1
    return {"success": True, "completed": status != 0, "chatGenerateStatus": status}


class _LiveRun:
    """A v2 stream the stop route can interrupt, as FastGPT stops a run.

    FastGPT polls the chat's stop flag every 100 ms for a v2 run (a v1 run stops only when its
    client leaves: `checkIsStopping`, `packages/service/core/workflow/dispatch/index.ts`); the model
    call checks it before each part it streams and breaks off with `finish_reason` "close", keeping
    the text so far (`createStreamResponse`'s `isAborted`, `packages/service/core/ai/llm/request.ts`
    @ 00f7afe3); that text is the node's `answerText`, which the dispatch stores as the AI record's
    text (`pushStore`); the workflow then ends as any run does: the closing events (node responses,
    the final answer chunk, [DONE]) are sent and the record is saved with the partial answer.

    Here the flag is checked before each event is sent (after its `chunk_delay`); once it is set,
    the events not yet sent are dropped: the AI record, the chat's pending interactive and the
    node responses are cut to the events sent, and the closing events follow. A client that
    stops and then leaves (as FastGPT 4.16.3 asks) leaves the record cut to what it was sent."""

    def __init__(
        self,
        state: State,
        key: tuple[str, str],
        signal: threading.Event,
        chat: Chat,
        record: Record,
        turn: Turn,
        detail: bool,
        ends: list[int],
    ) -> None:
        self._state, self._key, self._signal = state, key, signal
        self._chat, self._record, self._turn, self._detail = chat, record, turn, detail
        self._ends = ends  # the chunk count once each event is sent (detail: two chunks an event)
        self._events_end = ends[-1] if ends else 0
        self._boundaries = {0, *ends}
        self._over = False

    def before(self, index: int) -> list[bytes] | None:
        if index >= self._events_end or index not in self._boundaries or not self._signal.is_set():
            return None
        with self._state.lock:
            if self._over:
                return None
            cut = self._cut(index)
        return _sse_tail(cut, self._detail, v2=True)

    def finished(self, sent: int) -> None:
        with self._state.lock:
            if self._over:
                return
            if self._signal.is_set() and sent < self._events_end:
                self._cut(sent)
            self._end()

    def _end(self) -> None:
        self._over = True
        if self._state.stops.get(self._key) is self._signal:
            del self._state.stops[self._key]

    def _cut(self, sent: int) -> Turn:
        """The run as if stopped once `sent` chunks were out: the events wholly sent, no error."""
        kept, start = 0, 0
        for end in self._ends:
            if end > sent or (end == start and start >= sent):
                break  # not (wholly) sent; an event with no chunks of its own counts if one follows
            kept, start = kept + 1, end
        events = self._turn.events[:kept]
        answer = "".join(
            (p["choices"][0]["delta"].get("content") or "")
            for n, p in events
            if n in ("answer", "fastAnswer")
        )
        turn = replace(self._turn, events=events, error=None, nodes=_stopped_nodes(self._turn.nodes, answer))
        self._record.value = _value_items(turn)
        self._record.nodes = turn.nodes
        self._record.error = None
        self._chat.pending = next((p["interactive"] for n, p in events if n == "interactive"), None)
        self._chat.generate_status = 1
        self._end()
        return turn


def _stopped_nodes(nodes: list[dict[str, Any]], answer: str) -> list[dict[str, Any]]:
    """Node responses of a stopped run: a model node's answer is the text so far and its finish
    reason "close" (`updateFinishReason('close')` in `createStreamResponse`)."""
    stopped: list[dict[str, Any]] = []
    for node in nodes:
        node = dict(node)
        preview = node.get("historyPreview")
        if isinstance(preview, list) and preview and preview[-1].get("obj") == "AI":
            node["historyPreview"] = [*preview[:-1], {"obj": "AI", "value": answer}]
            node["finishReason"] = "close"
        if node.get("childrenResponses"):
            node["childrenResponses"] = _stopped_nodes(node["childrenResponses"], answer)
        stopped.append(node)
    return stopped


def _v1(state: State, params: Params) -> FakeResponse:
    return _completions(state, params, v2=False)


def _v2(state: State, params: Params) -> FakeResponse:
    return _completions(state, params, v2=True)


ROUTES = (
    Route("/api/v1/chat/completions", _v1, streams=_streams),
    Route("/api/v2/chat/completions", _v2, since="4.9.4", streams=_streams),
    Route("/api/v2/chat/stop", enveloped(_stop), since="4.14.5"),  # 2fea73bb (wire-spec, timeline)
)


def _store(chat: Chat, question: str, content: Any, data_id: str, turn: Turn, now: float) -> Record:
    human_value: list[dict[str, Any]] = [{"text": {"content": question}, "type": "text"}]
    if isinstance(content, list):
        for part in content:
            # As FastGPT's GPTMessages2Chats stores parts: a nameless file gets "", `key` is kept.
            if isinstance(part, dict) and part.get("type") == "image_url":
                url = (part.get("image_url") or {}).get("url")
                file = {"type": "image", "name": "", "url": url, "key": part.get("key")}
            elif isinstance(part, dict) and part.get("type") == "file_url":
                kind = part.get("fileType") or "file"
                file = {
                    "type": kind,
                    "name": part.get("name") or "",
                    "url": part.get("url"),
                    "key": part.get("key"),
                }
            else:
                continue
            human_value.append({"file": {k: v for k, v in file.items() if v is not None}, "type": "file"})
    chat.records.append(Record(object_id(), nanoid(), "Human", human_value, now))
    ai = Record(
        object_id(),
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
    chat.has_been_read = False
    chat.generate_status = 2 if turn.error else 1
    return ai


def _emit(chunks: list[bytes], name: str | None, payload: Any) -> None:
    data = payload.encode() if isinstance(payload, str) else json_bytes(payload)
    if name is not None:
        chunks.append(f"event: {name}\n".encode())  # FastGPT writes the two lines separately
    chunks.append(b"data: " + data + b"\n\n")


def _sse_events(turn: Turn, detail: bool) -> tuple[list[bytes], list[int]]:
    """The run's events as SSE chunks, and the chunk count once each event is out (without `detail`,
    only answers are sent: the other events add no chunk)."""
    chunks: list[bytes] = []
    ends: list[int] = []
    for name, payload in turn.events:
        if detail:
            _emit(chunks, name, payload)
        elif name in ("answer", "fastAnswer"):
            _emit(chunks, None, payload)
        ends.append(len(chunks))
    return chunks, ends


def _sse_tail(turn: Turn, detail: bool, v2: bool) -> list[bytes]:
    """What ends the stream once the run's events are out: its error, or the closing events."""
    chunks: list[bytes] = []

    def emit(name: str | None, payload: Any) -> None:
        _emit(chunks, name, payload)

    if turn.error is not None:
        emit("error", turn.error)
        return chunks
    if detail:
        emit("workflowDuration", {"durationSeconds": turn.duration_seconds})
        if turn.title:
            emit("chatTitle", {"title": turn.title})
    if detail and v2:
        for node in _flat(turn.nodes):
            emit("flowNodeResponse", node)
    emit("answer" if detail else None, answer_chunk(None, finish=True))
    if detail and not v2:
        emit("flowResponses", turn.nodes)
    emit("answer" if detail else None, "[DONE]")
    return chunks


def _flat(nodes: list[dict[str, Any]], parent: str | None = None) -> list[dict[str, Any]]:
    """v2's node responses: one per node, children after their parent and pointing to it."""
    flat: list[dict[str, Any]] = []
    for node in nodes:
        children = node.get("childrenResponses") or []
        own = {k: v for k, v in node.items() if k != "childrenResponses"}
        if parent is not None:
            own["parentId"] = parent
        flat.append(own)
        flat.extend(_flat(children, own.get("id")))
    return flat


def _blocking(turn: Turn, chat: Chat, detail: bool, v2: bool) -> dict[str, Any]:
    items = _value_items(turn)
    # formatCompletionResponseContent (projects/app/src/service/core/chat/utils.ts, 9601a1a8): the
    # non-empty texts and reasonings of all items, each joined with newlines.
    texts = [i["text"]["content"] for i in items if "text" in i]
    reasoning = "\n".join(i["reasoning"]["content"] for i in items if i.get("reasoning", {}).get("content"))
    message: dict[str, Any] = {"role": "assistant"}
    if detail and (len(items) > 1 or any("interactive" in i or "tools" in i for i in items)):
        message["content"] = [_public(i, v2) for i in items]
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


def _message_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def _value_items(turn: Turn) -> list[dict[str, Any]]:
    """The AI record's value items, as FastGPT stores them (legacy `type` included).

    Since 4.15.0-2 (05254ce0) the reasoning is stored inside the text item it led to
    (packages/service/core/workflow/dispatch/index.ts, `pushStore`); the legacy `type` of that item is
    "text" (`getChatItemValueType`, text first). A reasoning with no text after it keeps an item of its
    own, as the agent loop stores it (.../assistantResponses/eventCollector.ts, 9bb6b82c).
    """
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
    thought = {"reasoning": {"content": reasoning}} if reasoning else {}
    if thought and not text:
        items.append({**thought, "type": "reasoning"})
    if tools:
        items.append({"tools": list(tools.values()), "type": "tool"})
    if text:
        items.append({**thought, "text": {"content": text}, "type": "text"})
    for name, payload in turn.events:
        if name == "interactive":
            items.append({"interactive": payload["interactive"], "type": "interactive"})
    return items


def _public(item: dict[str, Any], v2: bool) -> dict[str, Any]:
    """Blocking JSON reduces an interactive to `{type, params}` (FastGPT >= 4.15.2); v2 leaves out
    the legacy `type` of each item."""
    if "interactive" in item:
        inner = item["interactive"]
        item = {"interactive": {"type": inner["type"], "params": inner["params"]}, "type": "interactive"}
    return {k: v for k, v in item.items() if k != "type"} if v2 else item


# ---- the body schema --------------------------------------------------------------------------
#
# What FastGPT's `CompletionsPropsSchema` refuses (`packages/global/openapi/core/chat/completion/api.ts`,
# 9601a1a8), with its messages as `ChatCompletionMessageParamSchema` (`packages/global/core/ai/llm/
# type.ts`, e97332a7), checked on the raw JSON. zod strips keys it does not know (only `authProxy` is
# strict); `optional` takes an absent key but not null, `nullish` takes both, `nullable` needs the key.
# Each refusal is one zod-like issue: `{code, path, message}`.

_JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def _tagged(tag: str, members: dict[str, Check]) -> Check:
    """A zod discriminatedUnion: the tag picks the member that checks the rest."""

    def check(value: Any, path: list[Any]) -> list[Issue]:
        name = value.get(tag) if isinstance(value, dict) else None
        member = members.get(name) if isinstance(name, str) else None
        if member is None:
            return [issue(path, f"Invalid input: no matching {tag}", "invalid_union")]
        return member(value, path)

    return check


def _string_or(parts: Check) -> Check:
    def check(value: Any, path: list[Any]) -> list[Issue]:
        return [] if isinstance(value, str) else parts(value, path)

    return check


_KEY: Spec = {"key": ("optional", string)}
_TEXT = obj({"text": ("required", string), **_KEY})
_USER_PARTS = array(
    _tagged(
        "type",
        {
            "text": _TEXT,
            "image_url": obj(
                {
                    "image_url": (
                        "required",
                        obj(
                            {
                                "url": ("required", string),
                                "detail": ("optional", one_of("auto", "low", "high")),
                            }
                        ),
                    ),
                    **_KEY,
                }
            ),
            "file_url": obj(
                {
                    "url": ("required", string),
                    "name": ("optional", string),
                    "fileType": ("optional", one_of("file", "audio", "video")),
                    **_KEY,
                }
            ),
            # Parts FastGPT validates but drops when it stores the message; their insides are not checked.
            "input_audio": obj({"input_audio": ("required", record), **_KEY}),
            "video_url": obj({"video_url": ("required", record), **_KEY}),
            "file": obj({"file": ("required", record), **_KEY}),
        },
    )
)
_TEXT_PARTS = array(_tagged("type", {"text": _TEXT}))
_ASSISTANT_PARTS = array(_tagged("type", {"text": _TEXT, "refusal": obj({"refusal": ("required", string)})}))
_FUNCTION = obj({"name": ("required", string), "arguments": ("required", string)})
_EVERY_ROLE: Spec = {
    "reasoning_content": ("optional", string),
    "dataId": ("optional", string),
    "hideInUI": ("optional", boolean),
    "name": ("optional", string),
}
_TEXT_ROLE = obj({**_EVERY_ROLE, "content": ("required", _string_or(_TEXT_PARTS))})
_MESSAGE = _tagged(
    "role",
    {
        "system": _TEXT_ROLE,
        "developer": _TEXT_ROLE,
        "user": obj({**_EVERY_ROLE, "content": ("required", _string_or(_USER_PARTS))}),
        "assistant": obj(
            {
                **_EVERY_ROLE,
                "content": ("nullish", _string_or(_ASSISTANT_PARTS)),
                "tool_calls": (
                    "optional",
                    array(
                        obj(
                            {
                                "id": ("required", string),
                                "type": ("required", one_of("function")),
                                "function": ("required", _FUNCTION),
                            }
                        )
                    ),
                ),
                "interactive": ("optional", anything),
                "audio": ("nullish", obj({"id": ("required", string)})),
                "function_call": ("nullish", _FUNCTION),
                "refusal": ("nullish", string),
            }
        ),
        "tool": obj(
            {
                **_EVERY_ROLE,
                "content": ("required", _string_or(_TEXT_PARTS)),
                "tool_call_id": ("required", string),
            }
        ),
        "function": obj({**_EVERY_ROLE, "content": ("nullable", string), "name": ("required", string)}),
    },
)


def _username(value: Any, path: list[Any]) -> list[Issue]:
    if not isinstance(value, str):
        return [issue(path, "Invalid input: expected string")]
    # zod trims with JavaScript's trim() and measures JavaScript length (UTF-16 code units).
    length = len(value.strip(_JS_WHITESPACE).encode("utf-16-le")) // 2
    if length < 1:
        return [issue(path, "Too small: expected string to have >=1 characters", "too_small")]
    if length > 128:
        return [issue(path, "Too big: expected string to have <=128 characters", "too_big")]
    return []


_AUTH_PROXY_FIELDS = obj(
    {"username": ("nullish", _username), "tmbId": ("nullish", an_object_id)}, strict=True
)


def _auth_proxy(value: Any, path: list[Any]) -> list[Issue]:
    issues = _AUTH_PROXY_FIELDS(value, path)
    if not issues and not value.get("username") and not value.get("tmbId"):
        issues.append(issue(path, "authProxy.username or authProxy.tmbId is required", "custom"))
    return issues


def _chat_id(value: Any, path: list[Any]) -> list[Issue]:
    if isinstance(value, str) and not value.strip():
        return []  # a blank chat id counts as none: FastGPT makes one
    return max_length(1024)(value, path)


_BODY = obj(
    {
        "messages": ("nullish", array(_MESSAGE)),
        "stream": ("nullish", boolean),
        "detail": ("nullish", boolean),
        "retainDatasetCite": ("nullish", boolean),
        "showSkillReferences": ("nullish", boolean),
        "chatId": ("nullish", _chat_id),
        "appId": ("nullish", an_object_id),
        "customUid": ("nullish", max_length(1024)),
        "metadata": ("nullish", record),
        "variables": ("nullish", record),
        "responseChatItemId": ("nullish", string),
        "authProxy": ("nullish", _auth_proxy),
    }
)
