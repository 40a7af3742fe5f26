"""Conformance checks: FastGPT's own requests to a user's server, judged by FastGPT's own rules.

The walk is written once, as a generator that yields the requests it wants sent and receives what came
back; `_drive` and `_adrive` are the sync and async I/O shells around it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from .share_auth import check_uid

# custom/api.ts L34-41 @337cd100: `timeout: 60000` on the API dataset's axios instance.
API_DATASET_TIMEOUT = 60.0
# FastGPT's share-auth calls use its shared axios (`packages/service/common/api/axios.ts`), which sets no
# timeout at all: a slow hook holds every chat. The check stops waiting after this long.
SHARE_AUTH_TIMEOUT = 60.0
# A walk stops after this many requests (a server that lists folders forever).
MAX_REQUESTS = 10_000
WRONG_TOKEN = "fastgpt-oapi-check-wrong-token"


@dataclass(frozen=True)
class CheckedRequest:
    """A request the check sent, as FastGPT sends it; the bearer token and the share-auth `token` are
    shown as `***`."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] | None = None
    json: Any = None

    def __str__(self) -> str:
        text = f"{self.method} {self.url}"
        if self.params:
            text += "?" + urlencode(self.params)
        if self.json is not None:
            text += " " + json.dumps(self.json, ensure_ascii=False)
        return text


@dataclass(frozen=True)
class Problem:
    """One way the server fails FastGPT.

    `message` is what FastGPT itself says (its error text, shown to its user) when `fastgpt_refuses` is
    true; otherwise FastGPT goes on but the answer breaks the documented contract (both `content` and
    `previewUrl`, a wrong token accepted, ...), and `message` says so. `detail` explains what was wrong.
    """

    message: str
    request: CheckedRequest
    detail: str = ""
    fastgpt_refuses: bool = True

    def __str__(self) -> str:
        prefix = "FastGPT refuses" if self.fastgpt_refuses else "contract"
        return f"{prefix}: {self.message!r} ({self.detail}) after {self.request}"


@dataclass(frozen=True)
class CheckReport:
    """The verdict: `ok` when no problem was found; `problems` in the order they were seen."""

    ok: bool
    problems: tuple[Problem, ...] = ()
    requests: int = 0

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.requests} requests, no problem"
        lines = [f"{len(self.problems)} problem(s) in {self.requests} requests:"]
        lines += [f"- {problem}" for problem in self.problems]
        return "\n".join(lines)


@dataclass
class _Call:
    method: str
    url: str
    headers: dict[str, str]
    shown: CheckedRequest
    params: dict[str, str] | None = None
    json: Any = None


@dataclass
class _Reply:
    status: int = 0
    text: str = ""
    error: str | None = None  # FastGPT's (axios's) words for a request that got no answer
    error_detail: str = ""


def _join(base_url: str, path: str) -> str:
    # axios's combineURLs: the base's trailing slashes and the path's leading ones become one slash.
    return base_url.rstrip("/") + "/" + path.lstrip("/")


class _Walk:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.requests = 0

    def problem(self, call: _Call, message: str, detail: str, *, refuses: bool = True) -> None:
        self.problems.append(Problem(message, call.shown, detail, refuses))

    def report(self) -> CheckReport:
        return CheckReport(not self.problems, tuple(self.problems), self.requests)

    def envelope(self, call: _Call, reply: _Reply) -> tuple[bool, Any]:
        """FastGPT's `checkRes` (custom/api.ts L46-53 @337cd100): `(True, data)` or a problem.

        `success` must be exactly `true`, as `checkRes` reads it at 337cd100; an older copy of the file (`016a7358`) tests only that `success` is truthy, so a
        server answering `"true"` works with some FastGPT versions and fails with others."""
        if reply.error is not None:
            self.problem(call, reply.error, reply.error_detail)
            return False, None
        if not 200 <= reply.status < 300:
            self.problem(
                call,
                f"Request failed with status code {reply.status}",
                "FastGPT (axios) reads any status outside 2xx as a failure and shows only this; answer"
                " HTTP 200 with success: false and a message to have your message shown",
            )
            return False, None
        try:
            body = json.loads(reply.text)
        except ValueError:
            self.problem(call, reply.text[:200] or "未知错误", "the answer is not JSON")
            return False, None
        if not isinstance(body, dict):
            # FastGPT rejects with the value itself, which carries no message.
            self.problem(
                call,
                "(no message)",
                "no `success` field: the answer must be the envelope {success, message, data}, not a bare value",
            )
            return False, None
        success = body.get("success")
        if success is not True:
            message = body.get("message")
            shown = message if isinstance(message, str) and message else "(no message)"
            if "success" not in body:
                detail = "no `success` field: the answer must be the envelope {success, message, data}"
            else:
                detail = f"`success` must be exactly true, got {json.dumps(success)}"
            self.problem(call, shown, detail)
            return False, None
        return True, body.get("data")


# ---- API dataset ----------------------------------------------------------------------------------------


def _api_dataset_walk(
    walk: _Walk, base_url: str, token: str | None, base_path: str | None
) -> Generator[_Call, _Reply, None]:
    # custom/api.ts L34-41: the instance's headers. A dataset without authorization sends "Bearer undefined".
    headers = {
        "accept": "application/json, text/plain, */*",
        "content-type": "application/json",
        "authorization": f"Bearer {token if token is not None else 'undefined'}",
    }
    shown_headers = {
        **headers,
        "authorization": "Bearer ***" if token is not None else headers["authorization"],
    }

    def call(
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        auth: str | None = None,
    ) -> _Call:
        url = _join(base_url, path)
        sent = headers if auth is None else {**headers, "authorization": auth}
        shown = CheckedRequest(
            method,
            url,
            shown_headers if auth is None else {**shown_headers, "authorization": "Bearer (wrong)"},
            params,
            body,
        )
        return _Call(method, url, sent, shown, params, body)

    if token is not None:
        probe = call("POST", "/v1/file/list", body=_list_body(base_path), auth=f"Bearer {WRONG_TOKEN}")
        reply = yield probe
        if reply.error is None and 200 <= reply.status < 300 and _success(reply.text):
            walk.problem(
                probe,
                "The server accepted a wrong bearer token",
                "anyone who finds the URL can read your files; compare Authorization with `Bearer <token>`",
                refuses=False,
            )

    folders: list[str | None] = [base_path or None]
    seen: set[str | None] = {base_path or None}
    first_file: str | None = None
    while folders and walk.requests < MAX_REQUESTS:
        parent = folders.pop(0)
        listing = call("POST", "/v1/file/list", body=_list_body(parent))
        items = _file_list(walk, listing, (yield listing))
        for item in items:
            kind = item["type"]
            if kind == "folder":
                has_child = item.get("hasChild")
                if has_child is None or has_child:  # FastGPT: `hasChild ?? type === "folder"`
                    folder_id = str(item["id"])
                    if folder_id in seen:
                        walk.problem(
                            listing,
                            "A folder is listed twice",
                            f"folder {folder_id!r} was already walked (a cycle?)",
                            refuses=False,
                        )
                    else:
                        seen.add(folder_id)
                        folders.append(folder_id)
            elif kind == "file":
                first_file = first_file or str(item["name"])
                yield from _check_file(walk, call, str(item["id"]))

    if first_file is not None:
        # FastGPT's file search sends the same call with `searchKey` (custom/api.ts L136-150); what the
        # server finds is its own business, but the answer must follow the same rules.
        search = call("POST", "/v1/file/list", body={"searchKey": first_file, **_list_body(base_path)})
        _file_list(walk, search, (yield search))


def _file_list(walk: _Walk, listing: _Call, reply: _Reply) -> list[dict[str, Any]]:
    """The items of a listing FastGPT accepts (custom/api.ts L152-163), or `[]` after a problem."""
    ok, data = walk.envelope(listing, reply)
    if not ok:
        return []
    if not isinstance(data, list):
        detail = (
            f"`data` must be the array of files, got {type(data).__name__ if data is not None else 'null'}"
        )
        if isinstance(data, dict) and any(isinstance(v, list) for v in data.values()):
            detail += " (put the array itself in `data`, not {" + ", ".join(f'"{k}"' for k in data) + "})"
        walk.problem(listing, "Invalid file list format", detail)
        return []
    bad = [item for item in data if not _has_file_keys(item)]
    if bad:
        first = json.dumps(bad[0], ensure_ascii=False)[:200]
        walk.problem(
            listing,
            "Invalid file data format",
            f"every item needs a non-empty `id` and `name` and a `type`; first bad item: {first}",
        )
        return []
    for item in data:
        if item["type"] not in ("file", "folder"):
            walk.problem(
                listing,
                '`type` must be "file" or "folder"',
                f"item {item['id']!r} has type {json.dumps(item['type'])}",
                refuses=False,
            )
    return [item for item in data if item["type"] in ("file", "folder")]


def _list_body(parent: str | None) -> dict[str, Any]:
    # custom/api.ts L136-150: `{searchKey, parentId: parentId || basePath}`, undefined keys dropped.
    return {"parentId": parent} if parent else {}


def _success(text: str) -> bool:
    try:
        body = json.loads(text)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("success") is True


def _has_file_keys(item: Any) -> bool:
    # custom/api.ts L152-163: `!file.id || !file.name || typeof file.type === 'undefined'` refuses.
    return isinstance(item, dict) and bool(item.get("id")) and bool(item.get("name")) and "type" in item


def _check_file(walk: _Walk, call: Any, file_id: str) -> Generator[_Call, _Reply, None]:
    content = call("GET", "/v1/file/content", params={"id": file_id})
    ok, data = walk.envelope(content, (yield content))
    if ok:
        if not isinstance(data, dict):
            walk.problem(
                content,
                "Invalid content type: content or previewUrl is required",
                f"`data` must be an object, got {json.dumps(data)[:100]}",
            )
        else:
            text, url = data.get("content"), data.get("previewUrl")
            if not text and not url:  # custom/api.ts L168-239: JavaScript truthiness
                walk.problem(
                    content,
                    "Invalid content type: content or previewUrl is required",
                    "neither a non-empty `content` nor a `previewUrl`",
                )
            elif text and url:
                walk.problem(
                    content,
                    "Give exactly one of content or previewUrl",
                    "both were given; FastGPT takes `content` and ignores `previewUrl`",
                    refuses=False,
                )
            elif text and not isinstance(text, str):
                walk.problem(
                    content, "`content` must be a string", f"got {type(text).__name__}", refuses=False
                )
            elif url and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
                walk.problem(
                    content,
                    "`previewUrl` must be an http(s) URL FastGPT can download",
                    f"got {json.dumps(url)[:100]}",
                    refuses=False,
                )
            title = data.get("title")
            if title is not None and not isinstance(title, str):
                walk.problem(
                    content, "`title` must be a string", f"got {type(title).__name__}", refuses=False
                )

    read = call("GET", "/v1/file/read", params={"id": file_id})
    ok, data = walk.envelope(read, (yield read))
    if ok:
        url = data.get("url") if isinstance(data, dict) else None
        if not url or not isinstance(url, str):  # custom/api.ts L241-253
            walk.problem(read, "Invalid response url", "`data.url` must be a non-empty string")

    detail = call("GET", "/v1/file/detail", params={"id": file_id})
    ok, data = walk.envelope(detail, (yield detail))
    if ok:
        if not data:  # custom/api.ts L255-281
            walk.problem(detail, "File not found", "`data` is empty")
        elif not _has_file_keys(data):
            walk.problem(
                detail,
                "The detail lacks id, name or type",
                f"got {json.dumps(data, ensure_ascii=False)[:200]}",
                refuses=False,
            )
        elif str(data["id"]) != file_id:
            walk.problem(
                detail,
                "The detail is of another file",
                f"asked for {file_id!r}, got id {data['id']!r}",
                refuses=False,
            )


# ---- share auth -------------------------------------------------------------------------------------------


def _share_auth_walk(walk: _Walk, base_url: str, token: str) -> Generator[_Call, _Reply, None]:
    headers = {"accept": "application/json, text/plain, */*", "content-type": "application/json"}

    def call(path: str, body: dict[str, Any]) -> _Call:
        url = _join(base_url, path)
        shown = CheckedRequest("POST", url, headers, None, {**body, "token": "***"})  # a user's credential
        return _Call("POST", url, headers, shown, None, body)

    # runtime/auth.ts L20-49 @337cd100: no try/catch, so a failed request shows axios's own message; a
    # refusal without message shows `OutLinkErrEnum.unAuthUser` ("unAuthUser",
    # packages/global/common/error/code/outLink.ts).
    init = call("/shareAuth/init", {"token": token})
    reply = yield init
    body = _hook_answer(walk, init, reply, refused="unAuthUser", failed=None)
    if body is not None:
        uid = body.get("data", {}).get("uid") if isinstance(body.get("data"), dict) else None
        why = check_uid(uid)
        if why is not None:
            walk.problem(init, "Invalid UID", why)

    # runtime/auth.ts L63-110: any failed request, a timeout included, is "身份校验失败".
    start = call("/shareAuth/start", {"token": token, "question": "fastgpt-oapi conformance check"})
    _hook_answer(walk, start, (yield start), refused="身份校验失败", failed="身份校验失败")

    # tools.ts L27-61: fire-and-forget; FastGPT ignores the answer, but your billing misses the report.
    finish = call(
        "/shareAuth/finish",
        {"token": token, "appName": "fastgpt-oapi check", "responseData": [], "chatId": "fastgpt-oapi-check"},
    )
    reply = yield finish
    if reply.error is not None or not 200 <= reply.status < 300:
        walk.problem(
            finish,
            "finish failed",
            f"{reply.error or f'HTTP {reply.status}'}: FastGPT ignores it, but the report (points, tokens) is lost",
            refuses=False,
        )


def _hook_answer(
    walk: _Walk, call: _Call, reply: _Reply, *, refused: str, failed: str | None
) -> dict[str, Any] | None:
    if reply.error is not None:
        walk.problem(call, failed or reply.error, reply.error_detail)
        return None
    if not 200 <= reply.status < 300:
        walk.problem(
            call,
            failed or f"Request failed with status code {reply.status}",
            f"HTTP {reply.status}: refuse with HTTP 200 and success: false to have your message shown",
        )
        return None
    try:
        body = json.loads(reply.text)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        walk.problem(call, refused, "the answer must be a JSON object {success, message, data}")
        return None
    if body.get("success") is not True:
        message = body.get("message") or body.get("msg") or refused
        detail = (
            "the hook refused"
            if body.get("success") is False
            else f"`success` must be exactly true, got {json.dumps(body.get('success'))}"
        )
        walk.problem(call, str(message), detail)
        return None
    return body


# ---- the I/O shells -----------------------------------------------------------------------------------------


def _timeout_reply(seconds: float, exc: Exception) -> _Reply:
    return _Reply(
        error=f"timeout of {round(seconds * 1000)}ms exceeded", error_detail=f"no answer within {seconds:g} s"
    )


def _network_reply(exc: Exception) -> _Reply:
    return _Reply(
        error=f"Network error: {exc.__class__.__name__}", error_detail=str(exc) or exc.__class__.__name__
    )


_Steps = Callable[[_Walk], Generator[_Call, _Reply, None]]


class _Run:
    """One check as `_drive` / `_adrive` send it: its walk's calls, and the replies fed back to it."""

    def __init__(self, steps: _Steps, timeout: float) -> None:
        self._walk = _Walk()
        self._steps = steps(self._walk)
        self._timeout = timeout
        self._reply: _Reply | None = None

    def next_call(self) -> _Call | None:
        """The call to send next (after the last one's reply); None when the walk is over."""
        try:
            call = next(self._steps) if self._reply is None else self._steps.send(self._reply)
        except StopIteration:
            return None
        self._walk.requests += 1
        return call

    def answered(self, response: httpx.Response) -> None:
        self._reply = _Reply(response.status_code, response.text)

    def failed(self, exc: httpx.HTTPError) -> None:
        if isinstance(exc, httpx.TimeoutException):
            self._reply = _timeout_reply(self._timeout, exc)
        else:
            self._reply = _network_reply(exc)

    def report(self) -> CheckReport:
        return self._walk.report()


def _drive(run: _Run, client: httpx.Client) -> CheckReport:
    while (call := run.next_call()) is not None:
        try:
            response = client.request(
                call.method, call.url, headers=call.headers, params=call.params, json=call.json
            )
            run.answered(response)
        except httpx.HTTPError as exc:
            run.failed(exc)
    return run.report()


async def _adrive(run: _Run, client: httpx.AsyncClient) -> CheckReport:
    while (call := run.next_call()) is not None:
        try:
            response = await client.request(
                call.method, call.url, headers=call.headers, params=call.params, json=call.json
            )
            run.answered(response)
        except httpx.HTTPError as exc:
            run.failed(exc)
    return run.report()


def _check(steps: _Steps, timeout: float, http_client: httpx.Client | None) -> CheckReport:
    if http_client is not None:
        return _drive(_Run(steps, timeout), http_client)
    with httpx.Client(**_client_settings(timeout)) as client:
        return _drive(_Run(steps, timeout), client)


async def _acheck(steps: _Steps, timeout: float, http_client: httpx.AsyncClient | None) -> CheckReport:
    if http_client is not None:
        return await _adrive(_Run(steps, timeout), http_client)
    async with httpx.AsyncClient(**_client_settings(timeout)) as client:
        return await _adrive(_Run(steps, timeout), client)


def _client_settings(timeout: float) -> dict[str, Any]:
    # axios follows up to 5 redirects and honours the proxy environment (custom/api.ts, common/api/axios.ts).
    return {
        "timeout": httpx.Timeout(timeout),
        "follow_redirects": True,
        "max_redirects": 5,
        "trust_env": True,
    }


def check_api_dataset(
    base_url: str,
    *,
    token: str | None = None,
    base_path: str | None = None,
    timeout: float = API_DATASET_TIMEOUT,
    http_client: httpx.Client | None = None,
) -> CheckReport:
    """Checks an API file-library server the way FastGPT reads it, walking the whole tree.

    Sends FastGPT's requests (`packages/service/core/dataset/apiDataset/custom/api.ts` @337cd100): `POST
    {base_url}/v1/file/list` from `base_path` (the dataset's `basePath`) down every folder that has
    children, and for every file `GET /v1/file/content`, `/v1/file/read` and `/v1/file/detail` with the
    `id` query; `Authorization: Bearer <token>` (`Bearer undefined` without one, as FastGPT sends it),
    FastGPT's 60 s timeout. With a `token`, one list request with a wrong token checks that it is refused.
    `http_client` (for example one over `httpx.MockTransport`) replaces the check's own.
    """
    return _check(lambda walk: _api_dataset_walk(walk, base_url, token, base_path), timeout, http_client)


async def acheck_api_dataset(
    base_url: str,
    *,
    token: str | None = None,
    base_path: str | None = None,
    timeout: float = API_DATASET_TIMEOUT,
    http_client: httpx.AsyncClient | None = None,
) -> CheckReport:
    """`check_api_dataset`, async (an `httpx.AsyncClient` over `httpx.ASGITransport` checks an ASGI app
    in process)."""
    return await _acheck(
        lambda walk: _api_dataset_walk(walk, base_url, token, base_path), timeout, http_client
    )


def check_share_auth(
    base_url: str,
    *,
    token: str,
    timeout: float = SHARE_AUTH_TIMEOUT,
    http_client: httpx.Client | None = None,
) -> CheckReport:
    """Checks a share-link hook server the way FastGPT calls it, for the user behind `token` (the share
    URL's `authToken`): `POST {base_url}/shareAuth/init` `{token}` (the uid rule: "Invalid UID"), then
    `/shareAuth/start` `{token, question}`, then `/shareAuth/finish` with an empty report
    (`packages/service/support/outLink/runtime/auth.ts`, `.../outLink/tools.ts` @337cd100). `success`
    must be exactly true. FastGPT sets no timeout on these calls; the check waits `timeout` seconds."""
    return _check(lambda walk: _share_auth_walk(walk, base_url, token), timeout, http_client)


async def acheck_share_auth(
    base_url: str,
    *,
    token: str,
    timeout: float = SHARE_AUTH_TIMEOUT,
    http_client: httpx.AsyncClient | None = None,
) -> CheckReport:
    """`check_share_auth`, async."""
    return await _acheck(lambda walk: _share_auth_walk(walk, base_url, token), timeout, http_client)
