"""The chat history area: histories, a chat's init and records, node responses, record deletion,
feedback and question guides, all read from and written to the chats the completions area stored.
"""

from __future__ import annotations

from typing import Any

from ..state import Record, State, iso
from ..wire import Params, Refusal, chat_sources, page
from .route import Route, enveloped

__all__ = ["ROUTES"]


def _histories(state: State, params: Params) -> dict[str, Any]:
    app_id = state.require_app(params)
    offset, size = page(params)
    chats = state.live(app_id)
    sources = chat_sources(params, "source", many=False)
    if sources:
        chats = [c for c in chats if c.source in sources]
    chats.sort(key=lambda c: (c.top, c.updated), reverse=True)
    return {
        "list": [
            {
                "chatId": c.chat_id,
                "updateTime": iso(c.updated),
                "appId": c.app_id,
                "customTitle": c.custom_title,
                "title": c.title,
                "top": c.top,
                "chatGenerateStatus": 1,
                "hasBeenRead": True,
            }
            for c in chats[offset : offset + size]
        ],
        "total": len(chats),
    }


def _update_history(state: State, params: Params) -> None:
    chat = state.require_chat(params)
    if "customTitle" in params:
        chat.custom_title = str(params["customTitle"])
    if "title" in params:
        chat.title = str(params["title"])
    if "top" in params:
        chat.top = bool(params["top"])
    chat.updated = state.clock()


def _del_history(state: State, params: Params) -> None:
    state.require_chat(params).deleted = True


def _clear_histories(state: State, params: Params) -> None:
    for chat in state.live(state.require_app(params)):
        if chat.source == "api":
            chat.deleted = True


def _init(state: State, params: Params) -> dict[str, Any]:
    app_id = state.require_app(params)
    name, _ = state.apps[app_id]
    chat = state.chats.get((app_id, str(params.get("chatId", ""))))
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


def _records(state: State, params: Params) -> dict[str, Any]:
    app_id = state.require_app(params)
    offset, size = page(params)
    chat = state.chats.get((app_id, str(params.get("chatId", ""))))
    if chat is None or chat.deleted:
        return {"list": [], "total": 0}  # an unknown chat simply has no records
    newest_first = list(reversed(chat.records))
    records = list(reversed(newest_first[offset : offset + size]))  # newest page, oldest first
    return {"list": [_record_json(r) for r in records], "total": len(chat.records)}


def _res_data(state: State, params: Params) -> list[dict[str, Any]]:
    chat = state.require_chat(params)
    record = next((r for r in chat.records if r.data_id == params.get("dataId")), None)
    return record.nodes if record else []


def _delete_record(state: State, params: Params) -> None:
    chat = state.require_chat(params)
    chat.records = [r for r in chat.records if r.data_id != params.get("contentId")]


def _feedback(state: State, params: Params) -> None:
    chat = state.require_chat(params)
    record = next((r for r in chat.records if r.data_id == params.get("dataId") and r.obj == "AI"), None)
    if record is None:
        raise Refusal(500, 500, "", "Chat item not found")
    # Both fields are rewritten on every call: an omitted one is cleared.
    record.good = params.get("userGoodFeedback") or None
    record.bad = params.get("userBadFeedback") or None


def _question_guide(state: State, params: Params) -> list[str]:
    chat = state.require_chat(params)
    last = next((r for r in reversed(chat.records) if r.obj == "Human"), None)
    topic = _value_text(last.value)[:12] if last else "这个话题"
    return [f"{topic}还有哪些细节？", f"能举个关于{topic}的例子吗？", f"{topic}有什么替代方案？"]


# FastGPT <= 4.14.10 deletes a record only at item/delete; 4.14.11 moved it to record/delete with no
# redirect. The emulator plays one version, so it serves exactly one of the two.
def _before_record_delete_moved(state: State) -> bool:
    return state.legacy_record_delete


def _after_record_delete_moved(state: State) -> bool:
    return not state.legacy_record_delete


ROUTES = (
    Route("/api/core/chat/getHistories", enveloped(_histories)),
    Route("/api/core/chat/updateHistory", enveloped(_update_history)),
    Route("/api/core/chat/delHistory", enveloped(_del_history)),
    Route("/api/core/chat/clearHistories", enveloped(_clear_histories)),
    Route("/api/core/chat/init", enveloped(_init)),
    Route("/api/core/chat/getPaginationRecords", enveloped(_records)),
    Route("/api/core/chat/getResData", enveloped(_res_data)),
    Route("/api/core/chat/record/delete", enveloped(_delete_record), served=_after_record_delete_moved),
    Route("/api/core/chat/item/delete", enveloped(_delete_record), served=_before_record_delete_moved),
    Route("/api/core/chat/feedback/updateUserFeedback", enveloped(_feedback)),
    Route("/api/core/ai/agent/v2/createQuestionGuide", enveloped(_question_guide)),
)


def _value_text(value: list[dict[str, Any]]) -> str:
    return "".join(i["text"]["content"] for i in value if "text" in i)


def _record_json(record: Record) -> dict[str, Any]:
    out: dict[str, Any] = {
        "_id": record.id,
        "dataId": record.data_id,
        "obj": record.obj,
        "value": record.value,
        "time": iso(record.time),
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
