"""The emulator's route table: every area module's `ROUTES`, keyed by path, assembled once.

One module (or package: `dataset/`) per FastGPT area, as `fastgpt_oapi/api/` is split. A new endpoint
is a `Route` in its area's `ROUTES`; a new area is a module here and one line in `_AREAS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from . import ai_model, app_logs, chat, chat_file, chat_history, dataset
from .route import Handler, Route, Version, enveloped, parse_version

__all__ = ["TABLE", "Handler", "Route", "Version", "enveloped", "parse_version"]

_AREAS = (chat, chat_history, app_logs, chat_file, dataset, ai_model)


def _table(routes: Iterable[Route]) -> Mapping[str, Route]:
    table: dict[str, Route] = {}
    for route in routes:
        # Two areas claiming one path would make the answer depend on the order of _AREAS.
        if route.path in table:
            raise ValueError(f"two routes declare {route.path}")
        table[route.path] = route
    return MappingProxyType(table)


TABLE = _table(route for area in _AREAS for route in area.ROUTES)
