"""`route()`: one dataset path in a module's `ROUTES`, under `/api/core/dataset/`, answered in the envelope.

`since` is the first FastGPT version with the path (schema-audit 4.1, "Since"); `reads` where its
handler reads its input, as FastGPT's does: the body unless said otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from ...state import State
from ...wire import Params
from ..route import Route, enveloped

__all__ = ["route"]

BASE = "/api/core/dataset"


def route(
    path: str,
    handler: Callable[[State, Params], Any],
    *,
    since: str | None,
    reads: Literal["both", "body", "query", "split"] = "body",
) -> Route:
    return Route(f"{BASE}/{path}", enveloped(handler), since=since, reads=reads)
