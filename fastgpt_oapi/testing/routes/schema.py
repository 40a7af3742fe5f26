"""A small zod: FastGPT's request schemas checked on raw JSON, the way its zod schemas check them
(`packages/service/common/http/entry.ts` answers a refusal with the issues as `zodError`). One
module for every area: the completions body (`routes/chat.py`) and the dataset area
(`routes/dataset.py`) build their schemas from these checks.

Each field is `(presence, check)`: `required`; `optional` takes an absent key but not null;
`nullish` takes both; `nullable` needs the key but takes null. Unknown keys are stripped, as zod
does, unless the object is `strict`. Each refusal is one issue `{code, path, message}`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "HEX24",
    "Check",
    "Issue",
    "Spec",
    "anything",
    "array",
    "boolean",
    "date",
    "is_number",
    "issue",
    "max_length",
    "number",
    "number_or_string",
    "obj",
    "object_id",
    "one_of",
    "parent_id",
    "parse_date",
    "record",
    "string",
    "typed",
    "url",
]

Issue = dict[str, Any]
Check = Callable[[Any, list[Any]], list[Issue]]
Spec = dict[str, tuple[str, Check]]

HEX24 = re.compile(r"[0-9a-fA-F]{24}")


def _received(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else "unknown"


def issue(path: list[Any], message: str, code: str = "invalid_type") -> Issue:
    return {"code": code, "path": path, "message": message}


def typed(name: str, test: Callable[[Any], bool]) -> Check:
    def check(value: Any, path: list[Any]) -> list[Issue]:
        if test(value):
            return []
        return [issue(path, f"Invalid input: expected {name}, received {_received(value)}")]

    return check


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


string = typed("string", lambda v: isinstance(v, str))
number = typed("number", is_number)
boolean = typed("boolean", lambda v: isinstance(v, bool))
record = typed("record", lambda v: isinstance(v, dict))
number_or_string = typed("number | string", lambda v: is_number(v) or isinstance(v, str))


def _pattern(regex: re.Pattern[str], shown: str) -> Check:
    def check(value: Any, path: list[Any]) -> list[Issue]:
        if not isinstance(value, str):
            return string(value, path)
        if regex.fullmatch(value) is None:
            return [issue(path, f"Invalid string: must match pattern {shown}", "invalid_format")]
        return []

    return check


object_id = _pattern(HEX24, "/^[0-9a-fA-F]{24}$/")
parent_id = _pattern(re.compile(r"([0-9a-fA-F]{24})?"), "/^([0-9a-fA-F]{24})?$/")
url = _pattern(re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+"), "URL")


def one_of(*values: str) -> Check:
    shown = "|".join(json.dumps(v) for v in values)

    def check(value: Any, path: list[Any]) -> list[Issue]:
        if value in values:
            return []
        return [issue(path, f"Invalid option: expected one of {shown}", "invalid_value")]

    return check


def max_length(limit: int) -> Check:
    def check(value: Any, path: list[Any]) -> list[Issue]:
        if not isinstance(value, str):
            return string(value, path)
        if len(value) > limit:
            return [issue(path, f"Too big: expected string to have <={limit} characters", "too_big")]
        return []

    return check


def array(item: Check, *, most: int | None = None) -> Check:
    def check(value: Any, path: list[Any]) -> list[Issue]:
        if not isinstance(value, list):
            return [issue(path, f"Invalid input: expected array, received {_received(value)}")]
        if most is not None and len(value) > most:
            return [issue(path, f"Too big: expected array to have <={most} items", "too_big")]
        return [issue for i, entry in enumerate(value) for issue in item(entry, [*path, i])]

    return check


def obj(spec: Spec, *, strict: bool = False) -> Check:
    def check(value: Any, path: list[Any]) -> list[Issue]:
        if not isinstance(value, dict):
            return [issue(path, f"Invalid input: expected object, received {_received(value)}")]
        issues: list[Issue] = []
        for key, (presence, inner) in spec.items():
            if key not in value:
                if presence in ("required", "nullable"):
                    missing = [
                        {**i, "message": i["message"].replace("received null", "received undefined")}
                        for i in inner(None, [*path, key])
                    ]
                    issues += missing or [
                        issue([*path, key], "Invalid input: expected a value, received undefined")
                    ]
            elif value[key] is not None or presence in ("required", "optional"):
                issues += inner(value[key], [*path, key])
        if strict and set(value) - set(spec):
            keys = sorted(set(value) - set(spec))
            issues.append(issue(path, f"Unrecognized key(s) in object: {keys}", "unrecognized_keys"))
        return issues

    return check


def anything(value: Any, path: list[Any]) -> list[Issue]:
    return []


def date(value: Any, path: list[Any]) -> list[Issue]:
    if parse_date(value) is None:
        return [issue(path, "Invalid input: expected date, received Date", "invalid_type")]
    return []


def parse_date(value: Any) -> float | None:
    """`z.coerce.date()`: `new Date(value)` as a timestamp, or None if it is an invalid date."""
    if value is None:
        return 0.0
    if is_number(value):
        return float(value) / 1000
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()
    return None
