"""The chat area: `/api/v1/chat/completions`, run through the app and answered as SSE or blocking JSON.

Each completion is also stored as a Human and an AI record, which is what the history and logs areas
read back.
"""

from __future__ import annotations

from typing import Any

from ..apps import RunContext, Turn, answer_chunk
from ..state import Chat, Record, State, nanoid, object_id
from ..wire import FakeResponse, Params, Refusal, envelope, json_bytes, json_response
from .route import Route

__all__ = ["ROUTES"]

_SSE_HEADERS = {
    "content-type": "text/event-stream;charset=utf-8",
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
}


def _completions(state: State, params: Params) -> FakeResponse:
    app_id = params.get("appId") or state.default_app_id
    params = {**params, "appId": app_id}
    state.require_app(params)
    messages = params.get("messages")
    if not isinstance(messages, list) or not messages:
        raise Refusal(500, 500, "", "messages is empty")
    last = messages[-1] if isinstance(messages[-1], dict) else {}
    question = _message_text(last.get("content"))
    chat_id = str(params.get("chatId") or "").strip() or nanoid()
    data_id = str(params.get("responseChatItemId") or nanoid(16))
    now = state.clock()
    chat = state.chats.get((app_id, chat_id))
    if chat is None or chat.deleted:
        chat = Chat(app_id, chat_id, title=question[:20] or "新对话", created=now, updated=now)
        chat.uid = params.get("customUid")
        state.chats[(app_id, chat_id)] = chat
    if any(r.data_id == data_id for r in chat.records):
        raise Refusal(500, 500, "", f"Chat dataId already exists: {data_id}")
    chat.variables = {**chat.variables, **(params.get("variables") or {})}
    _, app = state.apps[app_id]
    turn = app(RunContext(question, chat_id, data_id, dict(chat.variables), chat.pending, len(chat.records)))
    _store(chat, question, last.get("content"), data_id, turn, now)
    detail = params.get("detail") is True
    if params.get("stream") is True:
        return FakeResponse(200, dict(_SSE_HEADERS), _sse(turn, detail))
    if turn.error is not None:
        return json_response(500, envelope(500, message=turn.error.get("message", "error")))
    return json_response(200, _blocking(turn, chat, detail))


def _streams(params: Params) -> bool:
    return params.get("stream") is True


ROUTES = (Route("/api/v1/chat/completions", _completions, streams=_streams),)


def _store(chat: Chat, question: str, content: Any, data_id: str, turn: Turn, now: float) -> None:
    human_value: list[dict[str, Any]] = [{"text": {"content": question}, "type": "text"}]
    if isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and part.get("type") == "image_url":
                url = (part.get("image_url") or {}).get("url")
                file = {"type": "image", "name": "", "url": url}
            elif isinstance(part, dict) and part.get("type") == "file_url":
                file = {"type": "file", "name": part.get("name") or "", "url": part.get("url")}
            else:
                continue
            if part.get("key"):  # an uploaded file: FastGPT keeps its storage key (GPTMessages2Chats)
                file["key"] = part["key"]
            human_value.append({"file": file, "type": "file"})
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


def _sse(turn: Turn, detail: bool) -> list[bytes]:
    chunks: list[bytes] = []

    def emit(name: str | None, payload: Any) -> None:
        data = payload.encode() if isinstance(payload, str) else json_bytes(payload)
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


def _blocking(turn: Turn, chat: Chat, detail: bool) -> dict[str, Any]:
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
