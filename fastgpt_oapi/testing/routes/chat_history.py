"""The chat history area: histories, a chat's init and records, node responses, record deletion,
feedback and question guides, all read from and written to the chats the completions area stored.
"""

from __future__ import annotations

from typing import Any

from ..apps import Language
from ..state import NEW_CHAT_TITLE, Chat, Record, State, iso
from ..wire import Params, SchemaRefusal, dataset_error, failed, no_chat, thrown
from .auth import require_app, require_chat
from .paging import paging
from .route import Route, enveloped
from .schema import (
    Spec,
    array,
    boolean,
    chat_source,
    integer,
    issue,
    non_empty,
    object_id,
    one_of,
    parse_date,
    string,
    validate,
)
from .share import SHARE

__all__ = ["ROUTES"]


def _histories(state: State, params: Params) -> dict[str, Any]:
    app_id = require_app(state, params)
    window = paging(params)
    times = ("startCreateTime", "endCreateTime", "startUpdateTime", "endUpdateTime")
    validate(params, {"source": ("optional", chat_source), **dict.fromkeys(times, ("optional", string))})
    chats = [c for c in state.live(app_id) if _within(c, params)]
    visit = params.get(SHARE)
    if visit is not None:  # a share link's visitor sees the chats the hook's uid made through it
        chats = [c for c in chats if c.share_id == visit.link.share_id and c.uid == visit.uid]
    if params.get("source"):
        chats = [c for c in chats if c.source == params["source"]]
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
                "chatGenerateStatus": c.generate_status,
                "hasBeenRead": c.has_been_read,
            }
            for c in window.cut(chats)
        ],
        "total": len(chats),
    }


def _within(chat: Chat, params: Params) -> bool:
    """`getHistories`' time window: `createTime` and `updateTime` each between their optional start
    and end, both ends included (`new Date(...)` of the strings; `getHistories.ts` @ 054c3f18)."""
    for stamp, field in ((chat.created, "CreateTime"), (chat.updated, "UpdateTime")):
        start, end = params.get(f"start{field}"), params.get(f"end{field}")
        if (start and stamp < _date(start, field)) or (end and stamp > _date(end, field)):
            return False
    return True


def _date(value: str, field: str) -> float:
    stamp = parse_date(value)
    if stamp is None:  # `new Date("x")` is an Invalid Date, which Mongoose refuses to cast (assumed text)
        path = "createTime" if field == "CreateTime" else "updateTime"
        raise failed(
            f'Cast to date failed for value "Invalid Date" (type Date) at path "{path}" for model "chat"'
        )
    return stamp


def _update_history(state: State, params: Params) -> None:
    chat = require_chat(state, params)
    if "customTitle" in params:
        chat.custom_title = str(params["customTitle"])
    if "title" in params:
        chat.title = str(params["title"])
    if "top" in params:
        chat.top = bool(params["top"])
    chat.updated = state.clock()


def _del_history(state: State, params: Params) -> None:
    require_chat(state, params).deleted = True


def _clear_histories(state: State, params: Params) -> None:
    for chat in state.live(require_app(state, params)):
        if chat.source == "api":
            chat.deleted = True


def _init(state: State, params: Params) -> dict[str, Any]:
    app_id = require_app(state, params)
    name, _ = state.apps[app_id]
    chat = state.chats.get((app_id, str(params.get("chatId", ""))))
    if chat is not None and chat.generate_status != 0:
        chat.has_been_read = True  # opening a chat reads it, as FastGPT's init does
    return {
        "chatId": params.get("chatId", ""),
        "appId": app_id,
        "title": chat.custom_title or chat.title if chat else NEW_CHAT_TITLE[state.language],
        "variables": chat.variables if chat else {},
        "chatGenerateStatus": chat.generate_status if chat else 1,
        "hasBeenRead": chat.has_been_read if chat else True,
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
    app_id = require_app(state, params)
    window = paging(params)
    chat = state.chats.get((app_id, str(params.get("chatId", ""))))
    if chat is None or chat.deleted:
        return {"list": [], "total": 0}  # an unknown chat simply has no records
    records = list(reversed(window.cut(list(reversed(chat.records)))))  # newest page, oldest first
    return {"list": [_record_json(r) for r in records], "total": len(chat.records)}


def _res_data(state: State, params: Params) -> list[dict[str, Any]]:
    chat = require_chat(state, params)
    record = next((r for r in chat.records if r.data_id == params.get("dataId")), None)
    return record.nodes if record else []


def _delete_record(state: State, params: Params) -> None:
    chat = require_chat(state, params)
    targets = {params.get("contentId")}
    if state.version >= (4, 15, 0):  # FastGPT >= 4.15.0 also takes several: contentIds
        targets.update(_id_list(params.get("contentIds")))
    chat.records = [r for r in chat.records if r.data_id not in targets]


def _feedback(state: State, params: Params) -> None:
    chat = require_chat(state, params)
    record = next((r for r in chat.records if r.data_id == params.get("dataId") and r.obj == "AI"), None)
    if record is None:
        raise thrown("Chat item not found")
    # Both fields are rewritten on every call: an omitted one is cleared.
    record.good = params.get("userGoodFeedback") or None
    record.bad = params.get("userBadFeedback") or None


def _feedback_record_ids(state: State, params: Params) -> dict[str, Any]:
    """`feedback/getFeedbackRecordIds`: the chat's AI records with a like, a dislike or either, oldest
    first; an unknown chat has none. Assumption: nothing served here marks feedback read (FastGPT's
    `updateFeedbackReadStatus` takes no API key), so `unreadOnly` leaves every record in."""
    kinds = {"good": ("good",), "bad": ("bad",), "has_feedback": ("good", "bad")}
    spec: Spec = {"chatId": ("required", string), "feedbackType": ("required", one_of(*kinds))}
    validate(params, {**spec, "unreadOnly": ("optional", boolean)})
    chat = state.chats.get((require_app(state, params), params["chatId"]))
    records = chat.records if chat is not None and not chat.deleted else []
    wanted = kinds[params["feedbackType"]]
    ids = [r.data_id for r in records if r.obj == "AI" and any(getattr(r, k) for k in wanted)]
    return {"total": len(ids), "dataIds": ids}


# Follow-up questions on the chat's last question, and the topic of a chat that has none.
_GUIDE: dict[Language, tuple[str, tuple[str, ...]]] = {
    "en": (
        "this topic",
        (
            "What other details are there about {}?",
            "Can you give an example about {}?",
            "What are the alternatives to {}?",
        ),
    ),
    "zh": ("这个话题", ("{}还有哪些细节？", "能举个关于{}的例子吗？", "{}有什么替代方案？")),
}


def _question_guide(state: State, params: Params) -> list[str]:
    chat = require_chat(state, params)
    last = next((r for r in reversed(chat.records) if r.obj == "Human"), None)
    no_topic, questions = _GUIDE[state.language]
    topic = _value_text(last.value)[:12] if last else no_topic
    return [question.format(topic) for question in questions]


# ---- status, read marks, batch deletes, records by cursor, quotes --------------------------------


def _history_status(state: State, params: Params) -> dict[str, Any]:
    app_id = require_app(state, params)
    validate(params, {"chatIds": ("required", _CHAT_IDS_200)})
    wanted = set(params["chatIds"])
    return {
        "list": [
            {
                "chatId": c.chat_id,
                "updateTime": iso(c.updated),
                "chatGenerateStatus": c.generate_status,
                "hasBeenRead": c.has_been_read,
            }
            for c in state.live(app_id)
            if c.chat_id in wanted
        ]
    }


def _mark_read(state: State, params: Params) -> None:
    app_id = require_app(state, params)
    validate(params, {"chatId": ("required", non_empty)})
    chat = state.chats.get((app_id, params["chatId"]))
    if chat is not None:  # an unknown chat is no error: FastGPT's update simply matches nothing
        chat.has_been_read = True
        chat.updated = state.clock()


def _batch_delete(state: State, params: Params) -> None:
    """A hard delete, unlike delHistory: the chats and their records are gone, deleted or not."""
    app_id = require_app(state, params)
    validate(params, {"chatIds": ("required", array(non_empty, least=1))})
    for chat_id in params["chatIds"]:
        state.chats.pop((app_id, chat_id), None)


def _records_v2(state: State, params: Params) -> dict[str, Any]:
    """getRecords_v2: pages by cursor (a record's dataId), as FastGPT's getChatItems does.

    From 4.18.0 (reference page `chat-record/get-records-v2`): at most one cursor, pages widened to
    whole turns (a page starts on a Human record and ends on an AI one, where the chat has them), and
    `prevCursor` / `nextCursor` to page on, null at either end."""
    app_id = require_app(state, params)
    validate(params, {"pageSize": ("optional", integer(least=1))})
    size = params.get("pageSize", 10)
    cursors = state.version >= _CURSORS_SINCE
    if cursors and sum(1 for k in ("prevId", "nextId", "initialId") if params.get(k)) > 1:
        raise SchemaRefusal([issue([], "Only one of prevId, nextId and initialId may be given", "custom")])
    chat = state.chats.get((app_id, str(params.get("chatId") or "")))
    records = chat.records if chat is not None and not chat.deleted else []
    count = len(records)

    def position(key: str, what: str) -> int:
        index = next((i for i, r in enumerate(records) if r.data_id == params[key]), None)
        if index is None:
            raise failed(f"{what} item not found")
        return index

    if params.get("prevId"):
        at = position("prevId", "Prev")
        found, more_prev, more_next = records[max(at - size, 0) : at], at > size, True
    elif params.get("nextId"):
        at = position("nextId", "Next")
        found, more_prev, more_next = records[at + 1 : at + 1 + size], True, count - at - 1 > size
    elif params.get("initialId"):
        at = position("initialId", "Target")
        before, after = size // 2, size - size // 2
        found = records[max(at - before, 0) : at + 1 + after]
        more_prev, more_next = at > before, count - at - 1 > after
    else:
        found, more_prev, more_next = records[max(count - size, 0) :], count > size, False
    page: dict[str, Any] = {"total": count}
    if cursors and found:
        first, last = records.index(found[0]), records.index(found[-1])
        if records[first].obj != "Human" and first > 0 and records[first - 1].obj == "Human":
            first -= 1
        if records[last].obj == "Human" and last + 1 < count and records[last + 1].obj != "Human":
            last += 1
        found = records[first : last + 1]
        more_prev, more_next = first > 0, last + 1 < count
        page["prevCursor"] = found[0].data_id if more_prev else None
        page["nextCursor"] = found[-1].data_id if more_next else None
    elif cursors:
        page["prevCursor"] = page["nextCursor"] = None
    return {
        "list": [{**_record_json(r), "id": r.data_id} for r in found],
        **page,
        "hasMorePrev": more_prev,
        "hasMoreNext": more_next,
    }


# getRecords_v2 with cursors and whole-turn pages (doc.fastgpt.io 4.18 reference).
_CURSORS_SINCE = (4, 18, 0)

_IDS_200 = array(non_empty, most=200)
_CHAT_IDS_200 = array(non_empty, least=1, most=200)
_COLLECTION_QUOTE: Spec = {
    "collectionId": ("required", object_id),
    "pageSize": ("optional", integer(least=1, most=30)),
}


def _quote(state: State, params: Params) -> list[dict[str, Any]]:
    validate(
        params, {"datasetDataIdList": ("required", _IDS_200), "collectionIdList": ("required", _IDS_200)}
    )
    data_ids, collection_ids = params["datasetDataIdList"], params["collectionIdList"]
    chunks = {str(q.get("id")): q for q in _quoted_chat(state, params, collection_ids)}
    return [
        _cite_json(chunks[i])
        for i in dict.fromkeys(data_ids)
        if i in chunks and str(chunks[i].get("collectionId")) in collection_ids
    ]


def _collection_quote(state: State, params: Params) -> dict[str, Any]:
    validate(params, _COLLECTION_QUOTE)
    collection_id, size = params["collectionId"], params.get("pageSize", 15)
    chunks = [
        q for q in _quoted_chat(state, params, [collection_id]) if q.get("collectionId") == collection_id
    ]
    anchor = params.get("anchor")
    if not isinstance(anchor, (int, float)) or isinstance(anchor, bool):
        raise no_chat()  # FastGPT refuses a call without an anchor with its chat-auth error
    by_id = {str(q.get("id")): q for q in chunks}

    def before(cursor: str) -> list[dict[str, Any]]:
        older = [q for q in chunks if (q.get("chunkIndex", 0), str(q.get("id"))) < (anchor, cursor)]
        return older[-size:]

    def after(cursor: str) -> list[dict[str, Any]]:
        newer = [q for q in chunks if (q.get("chunkIndex", 0), str(q.get("id"))) > (anchor, cursor)]
        return newer[:size]

    # As FastGPT's getCollectionQuote: "more" means the page came back full.
    if params.get("initialId"):
        initial = str(params["initialId"])
        if initial not in by_id:
            found = chunks[:size]
            more_prev, more_next = False, len(found) == size
        else:
            prev, nxt = before(initial), after(initial)
            found = [*prev, by_id[initial], *nxt]
            more_prev, more_next = len(prev) == size, len(nxt) == size
    elif params.get("prevId"):
        found = before(str(params["prevId"]))
        more_prev, more_next = len(found) == size, False
    elif params.get("nextId"):
        found = after(str(params["nextId"]))
        more_prev, more_next = False, len(found) == size
    else:
        found, more_prev, more_next = [], False, False
    items = []
    for quote in found:
        item = _cite_json(quote)
        items.append({**item, "id": item["_id"], "anchor": item["index"]})
    return {"list": items, "hasMorePrev": more_prev, "hasMoreNext": more_next}


# Since 4.14.5 the documented paths are `history/*` and `record/*`; the root paths stayed as
# re-exports (schema-audit 1.6). Records moved from `item/delete` to `record/delete` in 4.14.11, with
# no redirect (schema-audit 2.9).
_DOCUMENTED = "4.14.5"

ROUTES = (
    Route("/api/core/chat/history/getHistories", enveloped(_histories), since=_DOCUMENTED),
    Route("/api/core/chat/getHistories", enveloped(_histories)),
    Route("/api/core/chat/history/updateHistory", enveloped(_update_history), since=_DOCUMENTED),
    Route("/api/core/chat/updateHistory", enveloped(_update_history)),
    Route("/api/core/chat/history/delHistory", enveloped(_del_history), since=_DOCUMENTED),
    Route("/api/core/chat/delHistory", enveloped(_del_history)),
    Route("/api/core/chat/history/clearHistories", enveloped(_clear_histories), since=_DOCUMENTED),
    Route("/api/core/chat/clearHistories", enveloped(_clear_histories)),
    Route("/api/core/chat/init", enveloped(_init)),
    # A share link's chat page opens its chat here (`shareId`, `outLinkUid`, `chatId` in the query).
    Route("/api/core/chat/outLink/init", enveloped(_init)),
    Route("/api/core/chat/record/getPaginationRecords", enveloped(_records), since=_DOCUMENTED),
    Route("/api/core/chat/getPaginationRecords", enveloped(_records)),
    Route("/api/core/chat/record/getResData", enveloped(_res_data), since=_DOCUMENTED),
    Route("/api/core/chat/getResData", enveloped(_res_data)),
    Route("/api/core/chat/record/delete", enveloped(_delete_record), since="4.14.11"),
    Route("/api/core/chat/item/delete", enveloped(_delete_record), until="4.14.10"),
    Route("/api/core/chat/feedback/updateUserFeedback", enveloped(_feedback)),
    Route(
        "/api/core/chat/feedback/getFeedbackRecordIds",
        enveloped(_feedback_record_ids),
        since="4.14.4",
        reads="body",
    ),
    # 4.8.16 (wire-spec, timeline)
    Route("/api/core/ai/agent/v2/createQuestionGuide", enveloped(_question_guide), since="4.8.16"),
    # 4.14.11 added these two, and moved the quote reads from quote/ to record/ (schema-audit 4.1).
    Route("/api/core/chat/history/getHistoryStatus", enveloped(_history_status), since="4.14.11"),
    Route("/api/core/chat/history/markRead", enveloped(_mark_read), since="4.14.11"),
    Route("/api/core/chat/history/batchDelete", enveloped(_batch_delete), since="4.14.4"),
    Route("/api/core/chat/record/getRecords_v2", enveloped(_records_v2), since=_DOCUMENTED),
    Route("/api/core/chat/record/getQuote", enveloped(_quote), since="4.14.11"),
    Route("/api/core/chat/quote/getQuote", enveloped(_quote), until="4.14.10"),
    Route("/api/core/chat/record/getCollectionQuote", enveloped(_collection_quote), since="4.14.11"),
    Route("/api/core/chat/quote/getCollectionQuote", enveloped(_collection_quote), until="4.14.10"),
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


def _cited(chat: Chat) -> list[dict[str, Any]]:
    """The knowledge-base chunks the chat's answers cited: the emulator's whole knowledge base."""
    chunks: dict[str, dict[str, Any]] = {}
    for record in chat.records:
        for node in record.nodes:
            for quote in node.get("quoteList") or []:
                chunks.setdefault(str(quote.get("id")), quote)
    return sorted(chunks.values(), key=lambda q: (q.get("chunkIndex", 0), str(q.get("id"))))


def _quoted_chat(state: State, params: Params, collection_ids: list[str]) -> list[dict[str, Any]]:
    """The chat's cited chunks, once the chat, the record and the collections check out as in FastGPT."""
    chat = require_chat(state, params)
    validate(params, {"chatItemDataId": ("required", non_empty)})
    if not any(r.data_id == params["chatItemDataId"] for r in chat.records):
        raise no_chat()
    chunks = _cited(chat)
    if not set(collection_ids) <= {str(q.get("collectionId")) for q in chunks}:
        raise dataset_error("unAuthDatasetFile")
    return chunks


def _cite_json(quote: dict[str, Any]) -> dict[str, Any]:
    out = {"_id": quote.get("id"), "q": quote.get("q", "")}
    if quote.get("a"):
        out["a"] = quote["a"]
    out["updateTime"] = quote.get("updateTime")
    out["index"] = quote.get("chunkIndex", 0)
    return out


def _id_list(value: Any) -> list[str]:
    """`contentIds` as FastGPT reads it: an array, or one comma-separated string."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(v).strip() for v in items if str(v).strip()]
