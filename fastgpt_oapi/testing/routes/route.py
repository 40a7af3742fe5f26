"""`Route`: one entry of the emulator's route table, declared by the area module that handles it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..state import State
from ..wire import FakeResponse, Params, ok

__all__ = ["Handler", "Route", "Version", "enveloped", "parse_version"]

Handler = Callable[[State, Params], FakeResponse]


def _never(params: Params) -> bool:
    return False


Version = tuple[int, ...]


def parse_version(text: str) -> Version:
    """ "4.14.10.1" -> (4, 14, 10, 1); a suffix such as "-beta1" is ignored."""
    numbers = text.strip().lstrip("v").split("-")[0].split(".")
    if not numbers or not all(n.isdigit() for n in numbers):
        raise ValueError(f"not a FastGPT version: {text!r} (expected something like '4.14.4')")
    return tuple(int(n) for n in numbers)


@dataclass(frozen=True)
class Route:
    """A path and its handler, plus what decides how and whether it is served.

    The emulator matches the path alone, whatever the method: FastGPT's API entry does not check the
    method either (schema-audit 2.3). `since` / `until` are the first and last FastGPT versions that
    serve the path (None: no bound), so an emulated older server answers a bare 404 where that
    version would, and the SDK's fallbacks are tested against it.
    """

    path: str
    handler: Handler
    since: str | None = None
    until: str | None = None
    # Whether this request will be answered as SSE, which changes how a refusal is written.
    streams: Callable[[Params], bool] = _never
    # Where the handler's `params` come from: FastGPT's handlers parse the body or the query with
    # their own schema, so a field sent in the other place is not seen ("both": merged, body wins;
    # "split": `{"query": ..., "body": ...}`, for a handler that reads a name in one place only).
    reads: Literal["both", "body", "query", "split"] = "both"
    # `since` / `until` parsed once, here, rather than on every request; a bad string fails at import.
    _first: Version = field(init=False, repr=False, compare=False)
    _last: Version | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_first", parse_version(self.since) if self.since else ())
        object.__setattr__(self, "_last", parse_version(self.until) if self.until else None)

    def served(self, version: Version) -> bool:
        return self._first <= version and (self._last is None or version <= self._last)


def enveloped(handler: Callable[[State, Params], Any]) -> Handler:
    """A handler returning `data`, answered as FastGPT's `{code, statusText, message, data}` envelope."""

    def respond(state: State, params: Params) -> FakeResponse:
        return ok(handler(state, params))

    return respond
