"""A server for FastGPT's share-link identity hook ("分享链接身份鉴权", commercial edition).

A share link whose `limit.hookUrl` is set makes FastGPT POST JSON to `{hookUrl}/shareAuth/...`
(labring/FastGPT@337cd100; the line numbers are at that commit):

- `/shareAuth/init` `{token}` on chat init, history reads and the question guide
  (`packages/service/support/outLink/runtime/auth.ts` L20-49): the answer must be
  `{success: true, data: {uid}}`; anything else shows `message || msg` to the user; the uid must be a
  non-empty string of at most 255 bytes (UTF-8) with none of `|`, `/`, `\\`
  (`S3_KEY_PATH_INVALID_CHARS`, `packages/service/common/s3/config/constants.ts` L18), else the bare
  error "Invalid UID";
- `/shareAuth/start` `{token, question}` before each completion, Pro builds only (`runtime/auth.ts`
  L63-110; `projects/app/src/service/support/permission/auth/outLink.ts` L35-63): `success === true`
  lets the chat run, `data.uid` optional (defaults to the token); a refusal shows `message || msg`, and a
  failed request (HTTP error, connection) shows "身份校验失败";
- `/shareAuth/finish` `{token, appName, responseData, chatId}` after each completion, fire-and-forget
  (`packages/service/support/outLink/tools.ts` L27-61, called from
  `projects/app/src/pages/api/v2/chat/completions.ts` L534). Older versions send `{token, responseData}`
  only, then `{token, appName, responseData}`. The answer is ignored.

FastGPT reads an HTTP error status as a failed request (axios), so the kit answers every refusal with
HTTP 200 and `success: false`: that is the only way FastGPT shows the hook's message.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from ..api.shared.model import NodeResponse
from ._asgi import ASGIApp, KitApp, KitRequest, Refusal, call_user, logger

__all__ = ["FinishReport", "ShareAuthHooks", "ShareAuthRefused", "check_uid", "share_auth_app"]

UID_MAX_BYTES = 255
_UID_INVALID_CHARS = re.compile(r"[|\\/]")  # S3_KEY_PATH_INVALID_CHARS, constants.ts L18 @337cd100


class ShareAuthRefused(Refusal):
    """Raise from a hook to refuse: FastGPT shows `message` to the chat's user."""


class FinishReport(BaseModel):
    """The body of `/shareAuth/finish`: who chatted (`token`, the share URL's `authToken`), in which app
    and chat, and what every workflow node did (`response_data`, with `total_points` and tokens for
    billing). `app_name` and `chat_id` are `None` from FastGPT versions that do not send them."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="allow",
    )

    token: str
    app_name: str | None = None
    chat_id: str | None = None
    response_data: list[NodeResponse] = Field(default_factory=list)

    @property
    def total_points(self) -> float:
        """The points the run cost: the sum of the listed nodes' `total_points` (the top-level nodes
        FastGPT reports; a node's children are in its own fields, not added again here)."""
        return sum(node.total_points or 0.0 for node in self.response_data)

    @property
    def total_tokens(self) -> int:
        """The tokens the run used: the sum of the nodes' `tokens`, else input plus output tokens."""
        total = 0
        for node in self.response_data:
            if node.tokens is not None:
                total += node.tokens
            else:
                total += (node.input_tokens or 0) + (node.output_tokens or 0)
        return total


class ShareAuthHooks(Protocol):
    """What `share_auth_app` calls. Each method may be a plain function (run in a worker thread) or a
    coroutine function; raise `ShareAuthRefused` to refuse."""

    def init(self, token: str) -> str | Awaitable[str]:
        """The uid of the user behind `token` (FastGPT keys histories by it)."""
        ...

    def start(self, token: str, question: str) -> str | Awaitable[str | None] | None:
        """Allow one question (return `None`, or the uid); raise `ShareAuthRefused` to refuse it."""
        ...

    def finish(self, report: FinishReport) -> Awaitable[None] | None:
        """A completion ended: bill it, log it. Errors are logged; FastGPT ignores the answer."""
        ...


def check_uid(uid: object) -> str | None:
    """Why FastGPT would refuse `uid` with "Invalid UID" (`runtime/auth.ts` L38-46 @337cd100), or `None`
    when it is accepted."""
    if not isinstance(uid, str):
        return f"the uid must be a string, not {type(uid).__name__}"
    if not uid:
        return "the uid is empty"
    size = len(uid.encode("utf-8"))
    if size > UID_MAX_BYTES:
        return f"the uid is {size} bytes in UTF-8; FastGPT allows at most {UID_MAX_BYTES}"
    bad = _UID_INVALID_CHARS.search(uid)
    if bad:
        return f"the uid contains {bad.group()!r}; FastGPT refuses '|', '/' and '\\'"
    return None


class _ShareAuthApp(KitApp):
    # The hook's three calls, all POST.
    routes = dict.fromkeys(("/shareAuth/init", "/shareAuth/start", "/shareAuth/finish"), "POST")
    name, owner = "share auth", "the hook"

    def __init__(self, hooks: ShareAuthHooks) -> None:
        self.hooks = hooks

    async def answer(self, request: KitRequest) -> dict[str, Any] | None:
        body = await request.json_object()
        if body is None or not isinstance(body.get("token"), str):
            raise ShareAuthRefused("Invalid request body: {token} expected")
        token: str = body["token"]
        if request.path == "/shareAuth/init":
            return _uid_answer("init", await call_user(self.hooks.init, token))
        if request.path == "/shareAuth/start":
            question = body.get("question")
            uid = await call_user(self.hooks.start, token, question if isinstance(question, str) else "")
            return {"uid": token} if uid is None else _uid_answer("start", uid)
        try:
            report = FinishReport.model_validate(body)
        except ValidationError:
            logger.exception("share auth: a finish report did not fit FinishReport")
            raise ShareAuthRefused("Invalid finish report") from None
        await call_user(self.hooks.finish, report)
        return None


def _uid_answer(hook: str, uid: object) -> dict[str, Any]:
    problem = check_uid(uid)
    if problem is None:
        return {"uid": uid}
    # Said here, where the hook's owner can read it, instead of FastGPT's bare "Invalid UID".
    logger.error("share auth: %s returned a uid FastGPT would refuse: %s", hook, problem)
    raise ShareAuthRefused(f"Invalid UID from the share-auth hook: {problem}")


def share_auth_app(hooks: ShareAuthHooks) -> ASGIApp:
    """An ASGI application answering FastGPT's share-link hook: `POST /shareAuth/init`, `/shareAuth/start`
    and `/shareAuth/finish`, calling `hooks.init(token)`, `hooks.start(token, question)` and
    `hooks.finish(report)`.

    A uid FastGPT would refuse is caught here: the answer is a refusal whose message says why (FastGPT
    shows it to the user) and an error line on the `fastgpt_oapi.server` logger, instead of FastGPT's
    bare "Invalid UID". Give FastGPT the URL the app is mounted at as the link's hook URL.
    """
    return _ShareAuthApp(hooks)
