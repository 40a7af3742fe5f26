"""`FakeFastGPT`: an in-memory, stateful FastGPT that speaks the real wire format.

`handle()` is the whole server: method, path, query, headers and body in; status, headers and body
chunks out. `transport()` / `async_transport()` plug it into httpx, `serve()` puts it on a loopback
socket. Chats made through it show up in its histories, records, logs and charts; feedback, renames,
pins and deletes change what later calls return.

What each endpoint does lives in its area module under `routes/`; the memory they share is in
`state.py`, and how answers and refusals are written is in `wire.py`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, get_args, overload

from .apps import App, Language, builtin_apps
from .datasets import DatasetStore
from .ids import is_object_id, nanoid, object_id
from .knowledge import KNOWLEDGE_APP_ID, knowledge_app
from .multipart import is_multipart, journal_copy, parse_multipart
from .routes import TABLE, parse_version
from .routes.share import SHARE, ShareVisit, check_chat_owner, find_share_link, hook_init, share_identity
from .state import ShareLink, State
from .storage import FakeStorage, MiB
from .wire import FakeResponse, Refusal, bad_key, json_bytes

if TYPE_CHECKING:
    import httpx

    from fastgpt_oapi.client import Client, ClientBuilder

__all__ = [
    "LATEST_VERSION",
    "FakeFastGPT",
    "FakeResponse",
    "RecordedRequest",
    "ScriptedDelay",
    "ScriptedFailure",
]

# The newest FastGPT whose API the emulator follows (schema-audit-4.16, section 5).
LATEST_VERSION = "4.18.0"
_LEGACY_RECORD_DELETE = "4.14.10"
# App keys, bound to one app (doc.fastgpt.io `openapi/intro`: "App keys (FastGPT 4.18.0 or later)").
_APP_KEYS_SINCE = "4.18.0"
# Where a request may come through a share link instead of with a key (`routes/share.py`): the
# completions, which ask the hook's `start`, and chat init and history reads, which ask its `init`.
_COMPLETIONS = frozenset({"/api/v1/chat/completions", "/api/v2/chat/completions"})
_SHARE_PATHS = _COMPLETIONS | {
    "/api/core/chat/init",
    "/api/core/chat/outLink/init",
    "/api/core/chat/history/getHistories",
    "/api/core/chat/getHistories",
    "/api/core/chat/record/getPaginationRecords",
    "/api/core/chat/getPaginationRecords",
    "/api/core/chat/record/getRecords_v2",
}
# The parameters of `FakeFastGPT.client` that are not `ClientBuilder` setters.
_NOT_SETTINGS = frozenset({"self", "configure"})


@dataclass
class ScriptedFailure:
    """Answer the next `times` matching requests with this response instead of handling them, once
    `after` matching requests have been handled as usual."""

    status: int
    body: bytes
    headers: dict[str, str]
    path: str | None
    times: int
    after: int = 0


@dataclass
class ScriptedDelay:
    """Delay the next `times` matching responses: `seconds` before each starts, and `chunk_delay`
    before each chunk of a streamed body."""

    seconds: float
    chunk_delay: float
    path: str | None
    times: int
    after: int = 0


class _Scripted(Protocol):
    path: str | None
    times: int
    after: int


_S = TypeVar("_S", bound=_Scripted)


def _take(scripts: list[_S], path: str) -> _S | None:
    """The first script for `path` (or for any path), used up once it has served its `times`. One
    that lets `after` more requests through counts this one down and is not taken."""
    for script in scripts:
        if script.path is None or script.path == path:
            if script.after > 0:
                script.after -= 1
                return None
            script.times -= 1
            if script.times <= 0:
                scripts.remove(script)
            return script
    return None


@dataclass
class RecordedRequest:
    """One request the emulator received (`FakeFastGPT.requests`); `body` is the parsed JSON, or a
    multipart body's fields (file parts as `FormFile`; of a file over 1 MiB, only its first MiB:
    `FormFile.size` is the whole file's, `journal_copy`)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    # As received, names in lower case (the standalone emulator's journal masks the credentials).
    headers: dict[str, str] = field(default_factory=dict)


# The two forms of `FakeFastGPT.register_app`, as `(app, app_id, name)`; Python's own TypeError for a
# call that fits neither names the method.
_Registration = tuple[App, str | None, str | None]


def _register_app(app: App, *, name: str | None = None, app_id: str | None = None) -> _Registration:
    return app, app_id, name


def _register_app_by_id(app_id: str, app: App, name: str | None = None) -> _Registration:
    return app, app_id, name


_register_app.__qualname__ = _register_app_by_id.__qualname__ = "FakeFastGPT.register_app"


def storage_origin(base_url: str) -> str:
    """The served storage's origin: the same socket under another name where there is one, so that to
    a client storage is another host than the API (127.0.0.1 and localhost)."""
    for one, other in (("//127.0.0.1:", "//localhost:"), ("//localhost:", "//127.0.0.1:")):
        if one in base_url:
            return base_url.replace(one, other)
    return base_url


def _check_count(times: int, after: int) -> None:
    """What `fail_next` and `delay_next` refuse: a script that would never apply."""
    if times < 1:
        raise ValueError("times must be at least 1")
    if after < 0:
        raise ValueError("after cannot be negative")


def _check_language(language: str) -> Language:
    if language not in get_args(Language):
        raise ValueError(f"language must be one of {get_args(Language)}, got {language!r}")
    return language  # type: ignore[return-value]


class FakeFastGPT:
    """An emulated FastGPT server. `api_key` and `app_id` are the credentials it accepts.

    Its built-in apps (`apps`, by name) answer in English, or with FastGPT's Chinese transcripts when
    `language="zh"`. `fail_next` and `delay_next` script failures and slow responses; clients from
    `client()` (or built on `transport()`) honour their timeouts in process, as over `serve()`.

    Chat file uploads go to `storage` (a `FakeStorage` on a host of its own): files of at least
    `multipart_threshold` bytes are uploaded in parts of `upload_part_size`, as FastGPT 4.16 does
    (32 MiB, 8 MiB); `multipart_threshold=None` never asks for parts (FastGPT before 4.16).
    """

    def __init__(
        self,
        *,
        api_key: str = "fastgpt-test",
        version: str | None = None,
        legacy_record_delete: bool = False,
        clock: Callable[[], float] = time.time,
        upload_part_size: int = 8 * MiB,
        multipart_threshold: int | None = 32 * MiB,
        training_delay: float = 0.0,
        language: Language = "en",
    ) -> None:
        """`version`: the FastGPT version to play (default: `FASTGPT_EMULATOR_VERSION`, else the latest
        this emulator knows, `LATEST_VERSION`); only the paths it had are served (an older one
        answers a bare 404 elsewhere, as a real one would). `legacy_record_delete=True` is short for
        `version="4.14.10"`, the last to delete records at `item/delete`. `training_delay`: how long
        (on `clock`) data pushed or imported into a dataset stays in training before it can be read
        and searched. `language`: what the built-in apps answer in, and the emulator's own texts
        (chat titles, question guides) are written in: English, or `"zh"` for the Chinese of FastGPT's
        own transcripts."""
        self.api_key = api_key
        _check_language(language)
        apps = builtin_apps()
        datasets = DatasetStore(clock, training_delay)
        apps[KNOWLEDGE_APP_ID] = ("knowledge", knowledge_app(datasets))
        self._state = State(
            apps=apps,
            default_app_id=next(iter(apps)),
            clock=clock,
            version=parse_version(
                _LEGACY_RECORD_DELETE
                if legacy_record_delete
                else version or os.environ.get("FASTGPT_EMULATOR_VERSION") or LATEST_VERSION
            ),
            storage=FakeStorage(part_size=upload_part_size, multipart_threshold=multipart_threshold),
            datasets=datasets,
            language=language,
        )
        self.apps = {name: app_id for app_id, (name, _) in apps.items()}
        self._app_keys: dict[str, str] = {}  # app key -> the app it is bound to
        self._failures: list[ScriptedFailure] = []
        self._delays: list[ScriptedDelay] = []
        self.requests: list[RecordedRequest] = []

    # The routes read these from the shared state; the properties keep them plain attributes to callers.

    @property
    def app_id(self) -> str:
        return self._state.default_app_id

    @app_id.setter
    def app_id(self, value: str) -> None:
        self._state.default_app_id = value

    @property
    def version(self) -> str:
        """The FastGPT version played."""
        return ".".join(map(str, self._state.version))

    @version.setter
    def version(self, value: str) -> None:
        self._state.version = parse_version(value)

    @property
    def language(self) -> Language:
        """What the built-in apps answer in (`"en"` or `"zh"`); apps see it as `RunContext.language`."""
        return self._state.language

    @language.setter
    def language(self, value: Language) -> None:
        self._state.language = _check_language(value)

    @property
    def storage(self) -> FakeStorage:
        """The object storage chat file uploads go to: `storage.requests` (what it received, headers
        included), `storage.objects` (finished files by key), `storage.fail_next(...)`."""
        return self._state.storage

    @property
    def datasets(self) -> DatasetStore:
        """The knowledge bases: `datasets`, `collections` and `data` by id, `training_delay` (settable),
        and `web_pages` (url -> the text a link collection reads)."""
        return self._state.datasets

    def knowledge_app(
        self, dataset_ids: list[str] | None = None, *, similarity: float = 0.0, limit: int = 5000
    ) -> App:
        """An app like the built-in `knowledge` one, searching only `dataset_ids`; register it with
        `register_app`."""
        return knowledge_app(self._state.datasets, dataset_ids, similarity=similarity, limit=limit)

    @property
    def legacy_record_delete(self) -> bool:
        """FastGPT <= 4.14.10: records are deleted at `item/delete`, and `record/delete` does not exist."""
        return self._state.version <= parse_version(_LEGACY_RECORD_DELETE)

    @legacy_record_delete.setter
    def legacy_record_delete(self, value: bool) -> None:
        self.version = _LEGACY_RECORD_DELETE if value else LATEST_VERSION

    # ---- scripting ----------------------------------------------------------------------------

    @overload
    def register_app(self, app: App, *, name: str | None = None, app_id: str | None = None) -> str: ...

    @overload
    def register_app(self, app_id: str, app: App, name: str | None = None) -> str: ...

    def register_app(self, *args: Any, **kwargs: Any) -> str:
        """Serve `app` (a `(RunContext) -> Turn` callable) and return its app id.

        `register_app(app, name="shout")` makes the id up (24 hex characters, as FastGPT's); `app_id=`
        chooses it, and `register_app(app_id, app, name=None)`, the older form, still does. `name`
        adds the app to `fake.apps`; a name registered before keeps its id, and the new app replaces
        the old one there.
        """
        # The older form is told apart by its first argument: an id is a string, an app a callable.
        by_id = bool(args) and isinstance(args[0], str)
        app, app_id, name = (_register_app_by_id if by_id else _register_app)(*args, **kwargs)
        if not callable(app):
            raise TypeError(f"an app is a (RunContext) -> Turn callable, got {type(app).__name__}")
        if app_id is not None and not is_object_id(app_id):
            raise ValueError("app_id must be 24 hexadecimal characters")
        with self._state.lock:
            if app_id is None and name is not None:
                app_id = self.apps.get(name)
            if app_id is None:
                app_id = object_id()
                while app_id in self._state.apps:  # made up: never one already served
                    app_id = object_id()
            self._state.apps[app_id] = (name or app_id, app)
            self.apps[name or app_id] = app_id
        return app_id

    def create_share_link(self, app_id: str, *, hook_url: str | None = None, name: str = "share") -> str:
        """A share link to `app_id`; returns its share id. Chats through it need no API key but
        `outLinkAuthData: {shareId, outLinkUid}` in the completions body (`shareId` and `outLinkUid` at
        the top level for chat init and history reads), `outLinkUid` being the visitor's token.

        With `hook_url` (the link's identity hook, FastGPT's commercial edition), the emulator POSTs to
        `{hook_url}/shareAuth/init` on chat init and history reads, `/shareAuth/start` before each
        completion and `/shareAuth/finish` after it, with the bodies of the version played, over HTTP or
        to an app given to `mount`; a refusal refuses the chat with FastGPT's error (`routes/share.py`).
        """
        if not is_object_id(app_id):
            raise ValueError("app_id must be 24 hexadecimal characters")
        if hook_url is not None and not hook_url.startswith(("http://", "https://")):
            raise ValueError(f"hook_url must be an http(s) URL, got {hook_url!r}")
        with self._state.lock:
            share_id = nanoid(24)
            self._state.share_links[share_id] = ShareLink(share_id, app_id, name, hook_url)
        return share_id

    def mount(self, base_url: str, app: Any) -> None:
        """Serve `app` (an ASGI application, such as `fastgpt_oapi.server.api_dataset_app(...)` or a
        FastAPI app) in process at `base_url`: the emulator's calls to URLs under it (an API dataset's
        `baseUrl`, a share link's hook URL, a file's `previewUrl`) go to the app instead of the network.
        The app runs on an event loop of its own in a worker thread, so the emulator's sync handlers can
        wait for it; it sees the full path, with `base_url`'s path as its `root_path`. A later mount at
        the same base URL replaces it; `unmount(base_url)` removes it."""
        self._state.callbacks.mount(base_url, app)

    def unmount(self, base_url: str) -> None:
        """Stop serving the app mounted at `base_url`: calls there go to the network again."""
        self._state.callbacks.unmount(base_url)

    def create_app_key(self, app_id: str) -> str:
        """A new app key bound to `app_id` (FastGPT >= 4.18.0; an older version refuses it as an unknown key).

        With it a request needs no `appId`: the bound app is used, and `appId` / `sourceType` sent
        along are ignored, as FastGPT 4.18 does (doc.fastgpt.io `openapi/intro`, "App key"). `api_key`
        stays a personal key: its CRUD calls must name the app, and are refused with `unAuthChat`
        otherwise.
        """
        if not is_object_id(app_id):
            raise ValueError("app_id must be 24 hexadecimal characters")
        with self._state.lock:
            key = f"fastgpt-{nanoid(32)}"
            self._app_keys[key] = app_id
        return key

    def fail_next(
        self,
        status: int,
        body: bytes | str | dict[str, Any] = b"",
        *,
        headers: dict[str, str] | None = None,
        path: str | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer the next `times` requests (to `path`, if given) with this status and body; with
        `after`, only once that many more of those requests have been handled as usual (to fail, say,
        the third `pushData` of a bulk import: `after=2`)."""
        _check_count(times, after)
        if isinstance(body, dict):
            raw = json_bytes(body)
            hdrs = {"content-type": "application/json", **(headers or {})}
        else:
            raw = body.encode() if isinstance(body, str) else body
            hdrs = dict(headers or {})
        with self._state.lock:
            self._failures.append(ScriptedFailure(status, raw, hdrs, path, times, after))

    def delay_next(
        self,
        seconds: float,
        *,
        path: str | None = None,
        times: int = 1,
        chunk_delay: float = 0.0,
        after: int = 0,
    ) -> None:
        """Make the next `times` responses (to `path`, if given) slow, blocking and streamed alike:
        `seconds` pass before a response starts (its status and headers, so a stream's first byte
        too), and `chunk_delay` seconds before each chunk of a streamed body, as
        `serve(chunk_delay=...)` does for every stream. With `after`, only once that many more of
        those responses have gone out on time, as `fail_next(after=...)`.

        In process and over `serve()` alike, a client whose read timeout is shorter gets
        `APITimeoutError`; in process, nothing waits longer than that timeout. A delay also applies
        to a response scripted with `fail_next`; uploads to `storage` are never delayed.
        """
        if seconds < 0 or chunk_delay < 0:
            raise ValueError("delays cannot be negative")
        _check_count(times, after)
        with self._state.lock:
            self._delays.append(ScriptedDelay(seconds, chunk_delay, path, times, after))

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

    def client(
        self,
        *,
        configure: Callable[[ClientBuilder], ClientBuilder] | None = None,
        api_key: str | None = None,
        app_id: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_event_bytes: int | None = None,
        stream_idle_timeout: float | None = None,
        completions_version: Literal["v1", "v2"] | None = None,
        strict_responses: bool = True,
    ) -> Client:
        """A `Client` wired to this emulator through in-process transports (sync and async).

        Each keyword setting is the `ClientBuilder` setter of that name; one left at None keeps the
        builder's default, except `api_key` and `app_id`, which default to `self.api_key` and
        `self.app_id`. `configure` gets the builder last, so any other setter is reachable and wins
        over the keywords: `fake.client(configure=lambda b: b.max_connections(4))`. The client's
        timeouts hold in process: a response slower than the read timeout (see `delay_next`) raises
        `APITimeoutError`. The settings a pool of its own would need (`base_url`, limits, `verify`,
        `proxy`) mean nothing in process; build a client with `transport()` for those.
        """
        # The keywords are named after the setters (a test holds them to it), so they are applied by
        # name: a setting added to the builder is one keyword here, not one more hand-written call.
        settings = {k: v for k, v in locals().items() if k not in _NOT_SETTINGS and v is not None}
        from fastgpt_oapi.client import Client

        settings.setdefault("api_key", self.api_key)
        settings.setdefault("app_id", self.app_id)
        builder = (
            Client.builder()
            .base_url("http://fastgpt.fake")
            .transport(self.transport())
            .async_transport(self.async_transport())
        )
        for name, value in settings.items():
            builder = getattr(builder, name)(value)
        if configure is not None:
            builder = configure(builder)
        return builder.build()

    @contextmanager
    def serve(self, *, chunk_delay: float = 0.0, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve real HTTP on `host`:`port` (by default 127.0.0.1 and a free port) for the duration of
        the block; yields the base URL. A port in use raises `OSError` before the block runs.

        `chunk_delay`: seconds before each chunk of every stream (`delay_next` slows chosen responses)."""
        from .server import LoopbackServer

        server = LoopbackServer(self, chunk_delay=chunk_delay, host=host, port=port)
        server.start()
        storage, origin = self._state.storage, self._state.storage.origin
        storage.origin = storage_origin(server.base_url)
        try:
            yield server.base_url
        finally:
            storage.origin = origin
            server.stop()

    # ---- the server ---------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> FakeResponse:
        state = self._state
        if state.storage.serves(path):  # presigned: no API key, raw bytes, its own request log
            with state.lock:
                return state.storage.handle(method, path, query, headers, body)
        content_type = headers.get("content-type", "")
        if is_multipart(content_type):  # an upload: text parts as str, file parts as FormFile
            parsed: Any = parse_multipart(content_type, body)
        else:
            try:
                parsed = json.loads(body) if body.strip() else None
            except ValueError:
                parsed = None
        with state.lock:
            self.requests.append(
                RecordedRequest(method, path, dict(query), journal_copy(parsed), dict(headers))
            )
            scripted = _take(self._failures, path)
            delay = _take(self._delays, path)
        response = self._answer(method, path, query, headers, parsed, scripted)
        if delay is not None:
            response.delay, response.chunk_delay = delay.seconds, delay.chunk_delay
        return response

    def _answer(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        parsed: Any,
        scripted: ScriptedFailure | None,
    ) -> FakeResponse:
        state = self._state
        if scripted is not None:
            return FakeResponse(scripted.status, dict(scripted.headers), [scripted.body])
        route = TABLE.get(path)
        if route is None or not route.served(state.version):
            return FakeResponse(404, {"content-type": "text/plain"}, [f"Cannot {method} {path}".encode()])
        fields = parsed if isinstance(parsed, dict) else {}
        params: dict[str, Any] = (
            dict(fields)
            if route.reads == "body"
            else dict(query)
            if route.reads == "query"
            else {"query": dict(query), "body": dict(fields)}
            if route.reads == "split"
            else {**query, **fields}
        )
        try:
            identity = share_identity({**query, **fields}) if path in _SHARE_PATHS else None
            if identity is not None:  # a share link: no key; its app, and its hook asked first
                with state.lock:
                    link = find_share_link(state, *identity)
                    visit = ShareVisit(link, identity[1])
                    params = {**params, "appId": link.app_id}
                    if path not in _COMPLETIONS:
                        visit = replace(visit, uid=hook_init(state, visit))
                        if params.get("chatId"):
                            check_chat_owner(state, visit, (link.app_id, str(params["chatId"])))
                    params[SHARE] = visit
                    return route.handler(state, params)
            bound = self._authenticate(headers)
            if bound is not None:  # an app key: its app, whatever the request names
                params = {k: v for k, v in params.items() if k not in ("appId", "sourceType")}
                params["appId"] = bound
            with state.lock:
                return route.handler(state, params)
        except Refusal as refusal:
            return refusal.response(sse=route.streams(params))

    def _authenticate(self, headers: dict[str, str]) -> str | None:
        """Refuse an unknown key; the app an app key is bound to, None for the personal key."""
        auth = headers.get("authorization", "")
        parts = auth.split(" ")
        token = parts[1] if len(parts) > 1 else ""
        if token in self._app_keys and self._state.version >= parse_version(_APP_KEYS_SINCE):
            return self._app_keys[token]
        if token != self.api_key and not (
            token.startswith(self.api_key + "-") and len(token) == len(self.api_key) + 25
        ):
            raise bad_key()
        return None
