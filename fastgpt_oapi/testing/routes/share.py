"""Share links and their identity hook, as FastGPT's commercial edition runs them.

A request through a share link carries no API key but the link's `shareId` and the visitor's
`outLinkUid` (the share URL's `authToken`): in `outLinkAuthData` (the completions body, as FastGPT's
chat page sends it; v1 completions at 4.18 read `outLinkAuthData?.shareId`), or as top-level
`shareId` / `outLinkUid` (chat init, histories, and older completions). With a hook URL on the link,
FastGPT POSTs to `{hookUrl}/shareAuth/...` (labring/FastGPT, line numbers at 337cd100, schema-audit-4.18
section 6.2):

- `init {token}` on chat init and history reads (`authOutLink` in
  `projects/app/src/service/support/permission/auth/outLink.ts`, calling `authOutLinkInit` in
  `packages/service/support/outLink/runtime/auth.ts` L20-49): `success !== true` refuses with
  `message || msg`, else `OutLinkErrEnum.unAuthUser`; a uid that is empty, over 255 bytes, or holds
  `|`, `/` or `\\` is `Invalid UID`; an HTTP failure refuses with axios's message;
- `start {token, question}` before each completion (`authOutLinkChatStart` -> `authOutLinkLimit`,
  `runtime/auth.ts` L63-110; Pro builds only, which the emulator plays): `success !== true` refuses with
  `message || msg || "身份校验失败"`, a failed request with "身份校验失败"; `data.uid` defaults to the token;
- `finish {token, appName, responseData, chatId}` after each completion (`pushResult2Remote`,
  `packages/service/support/outLink/tools.ts` L27-61), its answer ignored. Older versions send less:
  `{token, responseData}`, then `{token, appName, responseData}`. When `appName` and `chatId` were added
  is not pinned in FastGPT's history: the emulator sends `appName` from 4.9.4 (the v2 completions, whose
  first version already passes it; an assumption for older ones) and `chatId` from 4.18.0 (the version
  the audit read it in; an assumption for older ones).

A chat that belongs to another link or uid is refused `unAuthChat` (`authShareChat` in
`projects/app/src/pages/api/v1/chat/completions.ts`). FastGPT calls `finish` without waiting; the
emulator calls it before it answers, so a test sees the report as soon as the completion returns.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..state import ShareLink, State
from ..wire import Params, Refusal, failed, no_chat, thrown

__all__ = [
    "SHARE",
    "SHARE_AUTH_TIMEOUT",
    "ShareVisit",
    "check_chat_owner",
    "find_share_link",
    "hook_finish",
    "hook_init",
    "hook_start",
    "out_link_error",
    "share_identity",
]

# Where `FakeFastGPT` hands a share-link request's identity to the handlers, in their params.
SHARE = "__share__"
# FastGPT's shared axios sets no timeout; the emulator stops waiting for a hook after this long.
SHARE_AUTH_TIMEOUT = 60.0
_UID_INVALID = re.compile(r"[|\\/]")  # S3_KEY_PATH_INVALID_CHARS, `common/s3/config/constants.ts` L18
_APP_NAME_SINCE = (4, 9, 4)
_CHAT_ID_SINCE = (4, 18, 0)

# `packages/global/common/error/code/outLink.ts`: code 505000 + the position, `linkUnInvalid` 501.
_OUT_LINK_ERRORS = {
    "outlinkUnExist": (505000, "common:code_error.outlink_error.link_not_exist"),
    "linkUnInvalid": (501, "common:code_error.outlink_error.invalid_link"),
    "unAuthUser": (505003, "common:code_error.outlink_error.un_auth_user"),
}


def out_link_error(status_text: str) -> Refusal:
    code, message = _OUT_LINK_ERRORS[status_text]
    return Refusal(500, code, status_text, message)


@dataclass(frozen=True)
class ShareVisit:
    """A request through a share link: the link, the visitor's token, and (once `init` ran) the uid."""

    link: ShareLink
    token: str
    uid: str | None = None


def share_identity(params: Params) -> tuple[str, str] | None:
    """`(shareId, outLinkUid)` from `outLinkAuthData` or the top-level names, or `None`."""
    data = params.get("outLinkAuthData")
    source = data if isinstance(data, dict) and data.get("shareId") else params
    share_id = source.get("shareId")
    if not isinstance(share_id, str) or not share_id:
        return None
    token = source.get("outLinkUid")
    return share_id, token if isinstance(token, str) else ""


def find_share_link(state: State, share_id: str, token: str) -> ShareLink:
    link = state.share_links.get(share_id)
    if link is None:
        raise out_link_error("outlinkUnExist")
    if not token:
        raise out_link_error("linkUnInvalid")  # `authOutLink`: no outLinkUid
    return link


def _post(
    state: State, link: ShareLink, hook: str, body: dict[str, Any]
) -> tuple[dict[str, Any] | None, str | None]:
    """The hook's answer as a JSON object (None when it is not one), or axios's error message."""
    assert link.hook_url is not None
    url = link.hook_url.rstrip("/") + f"/shareAuth/{hook}"
    reply = state.callbacks.send(
        "POST", url, headers={"content-type": "application/json"}, json=body, timeout=SHARE_AUTH_TIMEOUT
    )
    if reply.error is not None:
        return None, reply.error
    if not 200 <= reply.status < 300:
        return None, f"Request failed with status code {reply.status}"
    try:
        answer = json.loads(reply.text)
    except ValueError:
        return None, None
    return (answer if isinstance(answer, dict) else None), None


def _said(answer: dict[str, Any] | None) -> str | None:
    if answer is None:
        return None
    for key in ("message", "msg"):
        if isinstance(answer.get(key), str) and answer[key]:
            return str(answer[key])
    return None


def hook_init(state: State, visit: ShareVisit) -> str:
    """`authOutLinkInit`: the uid the hook gives the token (the token itself without a hook)."""
    if visit.link.hook_url is None:
        return visit.token
    answer, error = _post(state, visit.link, "init", {"token": visit.token})
    if error is not None:
        raise failed(error)
    if answer is None or answer.get("success") is not True:
        message = _said(answer)
        raise failed(message) if message else out_link_error("unAuthUser")
    uid = (answer.get("data") or {}).get("uid") if isinstance(answer.get("data"), dict) else None
    if not isinstance(uid, str) or not uid or len(uid.encode()) > 255 or _UID_INVALID.search(uid):
        raise thrown("Invalid UID")
    return uid


def hook_start(state: State, visit: ShareVisit, question: str) -> str:
    """`authOutLinkLimit`: whether the question may run, and the uid (the token by default)."""
    if visit.link.hook_url is None:
        return visit.token
    answer, error = _post(state, visit.link, "start", {"token": visit.token, "question": question})
    if error is not None:
        raise thrown("身份校验失败")
    if answer is None or answer.get("success") is not True:
        raise thrown(_said(answer) or "身份校验失败")
    data = answer.get("data")
    uid = data.get("uid") if isinstance(data, dict) else None
    return uid if isinstance(uid, str) and uid else visit.token


def hook_finish(
    state: State, visit: ShareVisit, *, app_name: str, chat_id: str, nodes: list[dict[str, Any]]
) -> None:
    """`pushResult2Remote`, in the body of the version played; whatever happens is ignored."""
    if visit.link.hook_url is None:
        return
    body: dict[str, Any] = {"token": visit.token}
    if state.version >= _APP_NAME_SINCE:
        body["appName"] = app_name
    body["responseData"] = nodes
    if state.version >= _CHAT_ID_SINCE:
        body["chatId"] = chat_id
    _post(state, visit.link, "finish", body)


def check_chat_owner(state: State, visit: ShareVisit, chat_key: tuple[str, str]) -> None:
    """`authShareChat`: a chat of another link or uid is not this visitor's."""
    chat = state.chats.get(chat_key)
    if (
        chat is not None
        and not chat.deleted
        and (chat.share_id != visit.link.share_id or chat.uid != visit.uid)
    ):
        raise no_chat()
