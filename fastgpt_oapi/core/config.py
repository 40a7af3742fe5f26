"""Client settings. The API key is held so that it never reaches a repr.

No pydantic here: building a client must not pay for loading pydantic's model machinery.
"""

from __future__ import annotations

import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .errors import RequestValidationError
from .ids import validate_app_id
from .retry import DEFAULT_RETRY_POLICY, RetryPolicy

if TYPE_CHECKING:
    from .options import RequestOption

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_EVENT_BYTES",
    "CallSettings",
    "ClientConfig",
    "Secret",
    "check_api_key",
    "validate_app_id",
]


DEFAULT_BASE_URL = "http://localhost:3000"
_TRUE = frozenset({"1", "true", "yes", "on"})
DEFAULT_TIMEOUT = 600.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_MAX_RETRIES = 2
# The most bytes one SSE event may take (`max_event_bytes`).
DEFAULT_MAX_EVENT_BYTES = 64 * 1024 * 1024


class Secret:
    """A string that prints as asterisks. `reveal()` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


_HEADER_TOKEN = re.compile(r"[\x21-\x7e]+")


def check_api_key(api_key: str) -> None:
    """Refuse a key that cannot travel in an HTTP header, without ever echoing it.

    A trailing newline (a key read from a file) would otherwise fail deep in the HTTP stack with an
    error message that quotes the whole `Authorization` header, key included.
    """
    if not _HEADER_TOKEN.fullmatch(api_key):
        raise RequestValidationError(
            "api_key must be visible ASCII characters with no spaces or line breaks "
            "(check for a trailing newline)",
            field="api_key",
        )


def _base_url_problem(base: str) -> str | None:
    if not base.startswith(("http://", "https://")):
        return "must start with http:// or https://"
    if any(c.isspace() or not c.isprintable() for c in base):
        return "must not contain spaces or control characters"
    parts = urlsplit(base)
    if not parts.hostname:
        return "has no host"
    if "@" in parts.netloc:
        return "must not carry credentials (the API key is sent as a Bearer token)"
    if parts.query or parts.fragment or base.endswith(("?", "#")):
        return "must not have a query or fragment"
    try:
        parts.port  # noqa: B018  # parsing the port validates it
    except ValueError:
        return "has an invalid port"
    return None


# What users paste as the server: FastGPT's OpenAPI docs give `{host}/api` as the base URL, and its
# chat docs tell OpenAI clients to use `{host}/api/v1` (document/content/openapi/intro.en.mdx and
# chat.en.mdx, as of upstream f88b51b5). The SDK adds these paths itself, so they are dropped.
# `/api/v2` is no base URL FastGPT documents: like any other path (a server behind a path prefix), it
# is kept.
_DOCUMENTED_SUFFIXES = ("/api/v1", "/api")


def _without_documented_suffix(base: str) -> str:
    path = urlsplit(base).path  # the URL ends with its path: a query or fragment was refused
    for suffix in _DOCUMENTED_SUFFIXES:
        if path.endswith(suffix):
            return base[: -len(suffix)]
    return base


@dataclass(frozen=True, repr=False)
class ClientConfig:
    base_url: str = DEFAULT_BASE_URL
    api_key: Secret | None = None
    app_id: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    # The waits between tries (`core/retry.py`): first wait, cap, and jitter share.
    retry_backoff: RetryPolicy = DEFAULT_RETRY_POLICY
    max_connections: int = 100
    max_keepalive_connections: int = 20
    keepalive_expiry: float = 30.0
    default_headers: Mapping[str, str] = field(default_factory=dict)
    verify: bool | str | ssl.SSLContext = True
    proxy: str | None = None
    # Streams: the most bytes one SSE event may take before it ends, and how long a stream may go
    # without an event other than FastGPT's empty heartbeat (None: no limit but the read timeout).
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    stream_idle_timeout: float | None = None
    # "v1" / "v2": completions go to that path only. None: v2, and v1 if the server has no v2.
    completions_version: str | None = None
    # True: a response field in a shape the SDK does not know raises APIResponseValidationError.
    # False (the default): the model is returned, the field at its default, the raw value in `unparsed`.
    strict_responses: bool = False

    @staticmethod
    def from_env(environ: Mapping[str, str] | None = None) -> ClientConfig:
        env = os.environ if environ is None else environ
        key = env.get("FASTGPT_API_KEY") or None
        return ClientConfig(
            base_url=env.get("FASTGPT_BASE_URL") or DEFAULT_BASE_URL,
            api_key=Secret(key) if key else None,
            app_id=env.get("FASTGPT_APP_ID") or None,
            # A test suite or CI job can make every client of a program strict without touching it.
            strict_responses=env.get("FASTGPT_STRICT_RESPONSES", "").strip().lower() in _TRUE,
        )

    def validated(self) -> ClientConfig:
        base = self.base_url.strip().rstrip("/")
        problem = _base_url_problem(base)
        if problem:
            raise RequestValidationError(f"base_url {problem}, got {self.base_url!r}", field="base_url")
        base = _without_documented_suffix(base)
        if self.api_key is not None:
            check_api_key(self.api_key.reveal())
        if self.app_id is not None:
            try:
                validate_app_id(self.app_id)
            except ValueError as exc:
                raise RequestValidationError(str(exc), field="app_id") from None
        for name in ("timeout", "connect_timeout", "keepalive_expiry"):
            value = getattr(self, name)
            if not value > 0:
                raise RequestValidationError(f"{name} must be a positive number of seconds", field=name)
        for name in ("max_retries", "max_connections", "max_keepalive_connections"):
            if getattr(self, name) < 0:
                raise RequestValidationError(f"{name} must not be negative", field=name)
        backoff = self.retry_backoff.problem()
        if backoff is not None:
            raise RequestValidationError(backoff[1], field=f"retry_backoff.{backoff[0]}")
        if self.stream_idle_timeout is not None and not self.stream_idle_timeout > 0:
            raise RequestValidationError(
                "stream_idle_timeout must be a positive number of seconds, or None",
                field="stream_idle_timeout",
            )
        if self.completions_version not in (None, "v1", "v2"):
            raise RequestValidationError(
                f'completions_version must be "v1", "v2" or None, got {self.completions_version!r}',
                field="completions_version",
            )
        events = self.max_event_bytes
        if not isinstance(events, int) or isinstance(events, bool) or events < 1:
            raise RequestValidationError(
                "max_event_bytes must be a positive whole number of bytes", field="max_event_bytes"
            )
        return replace(self, base_url=base)

    def resolve(self, option: RequestOption | None) -> CallSettings:
        """One call's settings: the option's where it sets them, else this client's. The one place
        the two are merged (API calls, streams and storage uploads alike)."""
        if option is None:
            return CallSettings(
                self.timeout, self.connect_timeout, self.max_retries, self.stream_idle_timeout
            )
        return CallSettings(
            timeout=self.timeout if option.timeout is None else option.timeout,
            connect_timeout=self.connect_timeout
            if option.connect_timeout is None
            else option.connect_timeout,
            max_retries=self.max_retries if option.max_retries is None else option.max_retries,
            stream_idle_timeout=(
                self.stream_idle_timeout if option.stream_idle_timeout is None else option.stream_idle_timeout
            ),
        )

    def __repr__(self) -> str:
        key = "set" if self.api_key else "unset"
        return f"ClientConfig(base_url={self.base_url!r}, app_id={self.app_id!r}, api_key={key})"


@dataclass(frozen=True)
class CallSettings:
    """What one call waits and retries by (`ClientConfig.resolve`)."""

    timeout: float
    connect_timeout: float
    max_retries: int
    stream_idle_timeout: float | None
