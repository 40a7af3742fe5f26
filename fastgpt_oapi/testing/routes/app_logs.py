"""The app logs area: the per-chat log list and the dashboard's chart and totals, computed from the
chats and records in the shared state (so feedback, errors and points show up as they happen).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from ..state import Chat, State, iso
from ..wire import Params, SchemaRefusal
from .auth import require_app
from .paging import cursor_after, cursor_offset, paging
from .route import Route, enveloped
from .schema import Spec, array, chat_source, issue, string, validate

__all__ = ["ROUTES"]


def _logs(state: State, params: Params) -> dict[str, Any]:
    window = paging(params, default_size=20)
    items = _log_items(state, params)
    return {"total": len(items), "list": window.cut(items)}


_SOURCES = array(chat_source)
_DATE_RANGE: Spec = {"dateStart": ("required", string), "dateEnd": ("required", string)}

# logs/search (doc.fastgpt.io 4.18 reference `openapi/reference/app-log/search`): 50 per page, by cursor.
_SEARCH_SINCE = "4.18.0"
_SEARCH_PAGE = 50


def _search(state: State, params: Params) -> dict[str, Any]:
    """logs/search: `logs/list`'s filters, `chatSearch` matching a title or the exact chat id, 50 per
    page; `nextCursor` (opaque: the emulator's is the next offset, encoded) is null after the last."""
    validate(params, _DATE_RANGE)
    start = cursor_offset(params.get("cursor"))
    items = _log_items(state, params)
    search = params.get("chatSearch")
    if isinstance(search, str) and search:
        items = [
            i
            for i in items
            if i["chatId"] == search or search.lower() in str(i["customTitle"] or i["title"]).lower()
        ]
    end = start + _SEARCH_PAGE
    return {"list": items[start:end], "nextCursor": cursor_after(end, len(items))}


def _log_items(state: State, params: Params) -> list[dict[str, Any]]:
    """The app's logged chats in the date range, newest first, with `sources` applied."""
    validate(params, {"sources": ("optional", _SOURCES)})
    sources = params.get("sources")
    chats = sorted(_between(state, params), key=lambda c: c.updated, reverse=True)
    if sources is not None:
        chats = [c for c in chats if c.source in sources]
    items = []
    for c in chats:
        ai = [r for r in c.records if r.obj == "AI"]
        items.append(
            {
                # Stable per chat (FastGPT's is the chat document's id), so pages can be told apart.
                "_id": hashlib.md5(f"{c.app_id}/{c.chat_id}".encode()).hexdigest()[:24],
                "chatId": c.chat_id,
                "title": c.title,
                "customTitle": c.custom_title or None,
                "source": c.source,
                "sourceName": "API",
                "updateTime": iso(c.updated),
                "createTime": iso(c.created),
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
    return items


def _total_data(state: State, params: Params) -> dict[str, Any]:
    chats = state.live(require_app(state, params))
    users = {c.uid or "api" for c in chats}
    points = sum(r.points for c in chats for r in c.records)
    return {"totalUsers": len(users), "totalChats": len(chats), "totalPoints": round(points, 6)}


def _chart_data(state: State, params: Params) -> dict[str, Any]:
    # Checked, not applied: the Pro handler's filter is not public.
    validate(params, {"source": ("optional", _SOURCES)})
    chats = _between(state, params)
    days: dict[int, list[Chat]] = {}
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


# The team member the emulator's API key belongs to: who a chat without a custom uid was made by.
_KEY_OWNER_TMB_ID = "66e29b870b24ce35330c0e01"
_KEY_OWNER_NAME = "root"
_DEFAULT_AVATAR = "/imgs/avatar/BlueAvatar.svg"


def _log_users(state: State, params: Params) -> dict[str, Any]:
    """getUsers: the chats updated in the range, grouped by (`outLinkUid`, `tmbId`): API chats carry the
    key owner's member id, and the completion's `customUid` as `outLinkUid` when given, which then
    names the user; without one the member's name does. Most chats first: from 4.17.1 a page
    (`offset` or `pageNum`, `pageSize`, default 20) and `total`; before, at most 50."""
    validate(params, {**_DATE_RANGE, "sources": ("nullish", array(string))})
    sources = params.get("sources")
    counts: dict[str | None, int] = {}
    for chat in _between(state, params):
        if not sources or chat.source in sources:
            counts[chat.uid or None] = counts.get(chat.uid or None, 0) + 1
    users = []
    for uid, count in sorted(counts.items(), key=lambda kv: -kv[1])[:100]:
        name = uid or _KEY_OWNER_NAME
        users.append(
            {
                "outLinkUid": uid,
                "tmbId": _KEY_OWNER_TMB_ID,  # every chat is the key owner's; a custom uid names the user
                "name": name,
                "avatar": _DEFAULT_AVATAR,
                "count": count,
            }
        )
    search = params.get("searchKey")
    if isinstance(search, str) and search:
        users = [u for u in users if search.lower() in str(u["name"]).lower()]
    if state.version >= _PAGED_USERS_SINCE:  # searched and paged on the server (4171.mdx 优化 2)
        return {"list": paging(params, default_size=20).cut(users), "total": len(users)}
    return {"list": users[:50]}


_PAGED_USERS_SINCE = (4, 17, 1)


ROUTES = (
    Route("/api/proApi/core/app/logs/getChartData", enveloped(_chart_data)),
    Route("/api/proApi/core/app/logs/getTotalData", enveloped(_total_data)),
    Route("/api/core/app/logs/list", enveloped(_logs)),
    Route("/api/core/app/logs/search", enveloped(_search), since=_SEARCH_SINCE),
    Route("/api/core/app/logs/getUsers", enveloped(_log_users)),
)


def _between(state: State, params: Params) -> list[Chat]:
    """The live chats of the app updated within [dateStart, dateEnd] (either may be absent)."""
    start, end = _when(params, "dateStart", 0.0), _when(params, "dateEnd", float("inf"))
    return [c for c in state.live(require_app(state, params)) if start <= c.updated <= end]


def _when(params: Params, key: str, default: float) -> float:
    value = params.get(key)
    if not isinstance(value, str) or not value:
        return default
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise SchemaRefusal([issue([key], "Invalid input: expected date, received Date")]) from None
