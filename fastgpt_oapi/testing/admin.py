"""The standalone emulator's admin API, under `/__emulator/`: the Python knobs over HTTP, for front ends
and other languages.

`AdminFront` sits in front of a `FakeFastGPT` (it is what `LoopbackServer` serves): a path under
`/__emulator/` is answered here, before any FastGPT route and without entering the request journal;
every other request goes to the emulator. It needs the emulator's key (`Authorization: Bearer <key>`),
as the emulator's own paths do. Documented in docs/testing.md ("The admin API").

| method and path | does |
|---|---|
| `POST /__emulator/fail_next` | `fake.fail_next(...)`, the body's fields as its parameters |
| `POST /__emulator/delay_next` | `fake.delay_next(...)`, likewise |
| `GET /__emulator/requests` | the request journal (`?path=` keeps one path's), credentials masked |
| `POST /__emulator/reset` | a fresh emulator: same options, key and app ids; nothing else kept |
| `GET /__emulator/apps` | the apps by name, and the default app's id |
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from .fake import FakeFastGPT, RecordedRequest
from .multipart import FormFile
from .wire import FakeResponse, json_response

__all__ = ["ADMIN_PREFIX", "AdminFront", "mask_headers"]

ADMIN_PREFIX = "/__emulator/"
# Headers that carry credentials: the journal shows their scheme and last four characters only.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


class _BadBody(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def mask(value: str) -> str:
    """`Bearer fastgpt-abcdef` -> `Bearer ****cdef`: enough to tell two keys apart, not to use one."""
    scheme, _, secret = value.partition(" ") if " " in value else ("", "", value)
    hidden = "****" + (secret[-4:] if len(secret) >= 12 else "")
    return f"{scheme} {hidden}" if scheme else hidden


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: mask(v) if k.lower() in _SECRET_HEADERS else v for k, v in headers.items()}


def _journal_body(body: Any) -> Any:
    """A recorded body as JSON: parsed JSON as it was; a multipart body's file parts as their name,
    type and size."""
    if isinstance(body, dict) and any(isinstance(v, FormFile) for v in body.values()):
        return {
            k: {"filename": v.filename, "content_type": v.content_type, "size": v.size}
            if isinstance(v, FormFile)
            else v
            for k, v in body.items()
        }
    return body


def journal_entry(request: RecordedRequest) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": request.path,
        "query": dict(request.query),
        "headers": mask_headers(request.headers),
        "body": _journal_body(request.body),
    }


class AdminFront:
    """The admin API in front of the emulator `make()` builds; `reset` replaces it with a new one.

    `storage_origin`: where the served storage is (set by the server's owner once it listens), given to
    each emulator made after a reset."""

    def __init__(self, make: Callable[[], FakeFastGPT]) -> None:
        self._make = make
        self.fake = make()
        self.storage_origin: str | None = None
        self._lock = threading.Lock()

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> FakeResponse:
        if path.startswith(ADMIN_PREFIX) or path == ADMIN_PREFIX.rstrip("/"):
            return self._admin(method, path[len(ADMIN_PREFIX) :], query, headers, body)
        return self.fake.handle(method, path, query, headers, body)

    def _admin(
        self, method: str, name: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> FakeResponse:
        fake = self.fake
        token = headers.get("authorization", "").partition(" ")[2].strip()
        if token != fake.api_key:
            return _error(
                401, None, "the admin API needs the emulator's key: `Authorization: Bearer <api_key>`"
            )
        endpoints = {
            "fail_next": ("POST", self._fail_next),
            "delay_next": ("POST", self._delay_next),
            "requests": ("GET", self._requests),
            "reset": ("POST", self._reset),
            "apps": ("GET", self._apps),
        }
        if name not in endpoints:
            known = ", ".join(f"{m} {ADMIN_PREFIX}{n}" for n, (m, _) in endpoints.items())
            return _error(404, None, f"no admin endpoint {ADMIN_PREFIX}{name}; there are: {known}")
        wanted, handler = endpoints[name]
        if method != wanted:
            response = _error(405, None, f"{ADMIN_PREFIX}{name} answers {wanted} only")
            response.headers["allow"] = wanted
            return response
        try:
            fields = _object_body(body) if wanted == "POST" else {}
            return json_response(200, handler(fields, query))
        except _BadBody as bad:
            return _error(400, bad.field, bad.message)

    def _fail_next(self, fields: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        _known(fields, ("status", "body", "headers", "path", "times", "after"))
        status = _integer(fields, "status", least=100, most=599, required=True)
        body = fields.get("body", "")
        if not isinstance(body, (str, dict)):
            raise _BadBody("body", "body must be a string or a JSON object")
        extra = fields.get("headers", {})
        if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
            raise _BadBody("headers", "headers must be a JSON object of strings")
        path, times, after = _where(fields)
        self.fake.fail_next(status, body, headers=extra, path=path, times=times, after=after)
        return {"ok": True}

    def _delay_next(self, fields: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        _known(fields, ("seconds", "chunk_delay", "path", "times", "after"))
        seconds = _seconds(fields, "seconds", required=True)
        chunk_delay = _seconds(fields, "chunk_delay", required=False)
        path, times, after = _where(fields)
        self.fake.delay_next(seconds, path=path, times=times, chunk_delay=chunk_delay, after=after)
        return {"ok": True}

    def _requests(self, fields: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        wanted = query.get("path")
        entries = [journal_entry(r) for r in list(self.fake.requests) if wanted is None or r.path == wanted]
        return {"requests": entries, "total": len(entries)}

    def _reset(self, fields: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            fresh = self._make()
            if self.storage_origin is not None:
                fresh.storage.origin = self.storage_origin
            self.fake = fresh
        return {"ok": True, **self._apps(fields, query)}

    def _apps(self, fields: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        return {"apps": dict(self.fake.apps), "default_app_id": self.fake.app_id}


def _error(status: int, field: str | None, message: str) -> FakeResponse:
    return json_response(status, {"error": message, **({"field": field} if field else {})})


def _object_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except ValueError:
        raise _BadBody(None, "the body must be JSON") from None
    if not isinstance(value, dict):
        raise _BadBody(None, "the body must be a JSON object")
    return value


def _known(fields: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in fields:
        if name not in names:
            raise _BadBody(name, f"unknown field {name!r}; the fields are {', '.join(names)}")


def _integer(
    fields: dict[str, Any], name: str, *, least: int, most: int | None = None, required: bool
) -> int:
    if name not in fields:
        if required:
            raise _BadBody(name, f"{name} is required")
        return least
    value = fields[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadBody(name, f"{name} must be a whole number")
    if value < least or (most is not None and value > most):
        bounds = f"from {least} to {most}" if most is not None else f"at least {least}"
        raise _BadBody(name, f"{name} must be {bounds}, got {value}")
    return value


def _seconds(fields: dict[str, Any], name: str, *, required: bool) -> float:
    if name not in fields:
        if required:
            raise _BadBody(name, f"{name} is required")
        return 0.0
    value = fields[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise _BadBody(name, f"{name} must be a number of seconds, 0 or more")
    return float(value)


def _where(fields: dict[str, Any]) -> tuple[str | None, int, int]:
    """The parameters `fail_next` and `delay_next` share: `path`, `times` (default 1), `after` (0)."""
    path = fields.get("path")
    if path is not None and (not isinstance(path, str) or not path.startswith("/")):
        raise _BadBody("path", "path must be a string starting with /, such as /api/v1/chat/completions")
    times = _integer(fields, "times", least=1, required=False)
    after = _integer(fields, "after", least=0, required=False)
    return path, times, after
