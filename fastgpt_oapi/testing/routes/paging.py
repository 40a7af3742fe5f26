"""Paging, parsed once for every area: `offset` or `pageNum` with `pageSize`, as FastGPT's handlers read
them, and the opaque cursors of the newer list endpoints.

FastGPT reads paging three ways, and `paging(style=)` names which:

- `"schema"`: a zod pagination schema (chat histories and records, app logs): numbers, or strings of
  them; a size under 1 or a negative offset is the schema's 400.
- `"mongo"`: the handler hands the numbers to Mongo's `skip` / `limit` (collection and dataset
  `listV2`): any number is taken, fractions cut, a size of 0 is no limit, a value that is no number a
  plain rejection; `max_size` caps the size.
- `"request"`: `parsePaginationRequest` (`data/v2/list`): read only where `pageSize` is (else the first
  page), a size of 0 is `missingParams`, a truthy `offset` wins over `pageNum`, and the offset of a
  page counts the size asked for, before `max_size` caps it.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from ..wire import Params, SchemaRefusal, failed, invalid, missing_params
from .schema import issue, received

__all__ = ["Page", "cursor_after", "cursor_offset", "paging"]

T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    offset: int
    size: int | None  # None: no limit (Mongo's `limit(0)`)

    def cut(self, items: list[T]) -> list[T]:
        return items[self.offset :] if self.size is None else items[self.offset : self.offset + self.size]


def paging(
    params: Params,
    *,
    default_size: int = 10,
    max_size: int | None = None,
    style: Literal["schema", "mongo", "request"] = "schema",
) -> Page:
    if style == "schema":
        return _schema_page(params, default_size)
    if style == "request":
        if "pageSize" not in params:
            params = {}
        elif not params["pageSize"]:
            raise missing_params()
    size = int(_mongo_number(params.get("pageSize", default_size)))
    capped = size if max_size is None else min(size, max_size)
    if style == "request":
        if params.get("offset"):
            return Page(int(_mongo_number(params["offset"])), capped)
        return Page(max(int(_mongo_number(params.get("pageNum", 1))) - 1, 0) * size, capped)
    if "offset" in params:
        offset = int(_mongo_number(params["offset"]))
    else:
        offset = (int(_mongo_number(params.get("pageNum", 1))) - 1) * capped
    return Page(max(offset, 0), capped or None)


def _schema_page(params: Params, default_size: int) -> Page:
    size = _schema_int(params, "pageSize", default_size)
    if "offset" in params:
        key, offset = "offset", _schema_int(params, "offset", 0)
    else:
        key, offset = "pageNum", (_schema_int(params, "pageNum", 1) - 1) * size
    if size < 1:
        raise SchemaRefusal([issue(["pageSize"], "Too small: expected number to be >=1", "too_small")])
    if offset < 0:
        raise SchemaRefusal([issue([key], "Too small: expected number to be >=0", "too_small")])
    return Page(offset, size)


def _schema_int(params: Params, key: str, default: int) -> int:
    value = params.get(key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        shown = f"Invalid input: expected number, received {received(value)}"
        raise SchemaRefusal([issue([key], shown)]) from None


def _mongo_number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise failed(f"Invalid paging value: {value!r}") from None
    if math.isnan(number) or number < 0:
        raise failed(f"Invalid paging value: {value!r}")
    return number


# ---- cursors --------------------------------------------------------------------------------------
#
# Opaque to a client; the emulator's encode the offset of the next item.


def cursor_offset(cursor: Any) -> int:
    """Where a page starts: 0 without a cursor; a cursor the emulator did not give out is a 400."""
    if cursor is None:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(str(cursor).encode()).decode().partition(":")
        if kind == "o" and number.isdigit():
            return int(number)
    except ValueError:
        pass
    raise invalid("Invalid cursor")


def cursor_after(end: int, total: int) -> str | None:
    """The cursor of the page that starts at `end`, None when there is none."""
    return base64.urlsafe_b64encode(f"o:{end}".encode()).decode() if end < total else None
