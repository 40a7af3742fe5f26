"""A small zod: FastGPT's request schemas checked on raw JSON, the way its zod schemas check them
(`packages/service/common/http/entry.ts` answers a refusal with the issues as `zodError`). One
module for every area: each handler checks its request with `validate(params, spec)`, which refuses
it as FastGPT does (`wire.SchemaRefusal`), and areas build their specs from these checks.

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

from ..ids import HEX24
from ..wire import Params, SchemaRefusal

__all__ = [
    "PAGING",
    "Check",
    "Issue",
    "Spec",
    "anything",
    "array",
    "boolean",
    "chat_source",
    "date",
    "integer",
    "is_number",
    "issue",
    "max_length",
    "non_empty",
    "number",
    "number_or_string",
    "obj",
    "object_id",
    "one_of",
    "one_or_many",
    "parent_id",
    "parse_date",
    "received",
    "record",
    "string",
    "typed",
    "url",
    "validate",
]

Issue = dict[str, Any]
Check = Callable[[Any, list[Any]], list[Issue]]
Spec = dict[str, tuple[str, Check]]


def received(value: Any) -> str:
    """The type zod names in "received ...": JSON's, with null apart."""
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
        return [issue(path, f"Invalid input: expected {name}, received {received(value)}")]

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


# FastGPT's ChatSourceEnum (`packages/global/core/chat/constants.ts`, 4b7ed6c0): the only values its
# history and log filters accept (`z.enum(ChatSourceEnum)`).
chat_source = one_of(
    "test", "online", "share", "api", "cronJob", "feishu", "official_account", "wecom", "wechat", "mcp"
)


def one_or_many(item: Check) -> Check:
    """`z.union([item, z.array(item)])`."""

    def check(value: Any, path: list[Any]) -> list[Issue]:
        return array(item)(value, path) if isinstance(value, list) else item(value, path)

    return check


def max_length(limit: int) -> Check:
    def check(value: Any, path: list[Any]) -> list[Issue]:
        if not isinstance(value, str):
            return string(value, path)
        if len(value) > limit:
            return [issue(path, f"Too big: expected string to have <={limit} characters", "too_big")]
        return []

    return check


def non_empty(value: Any, path: list[Any]) -> list[Issue]:
    """`z.string().min(1)`."""
    if not isinstance(value, str):
        return string(value, path)
    if not value:
        return [issue(path, "Too small: expected string to have >=1 characters", "too_small")]
    return []


def integer(*, least: int | None = None, most: int | None = None) -> Check:
    """`z.number().int()`, with `.min(least)` / `.max(most)`."""

    def check(value: Any, path: list[Any]) -> list[Issue]:
        if not is_number(value):
            return number(value, path)
        if not isinstance(value, int):  # JSON `2.0` too: the emulator has always refused it
            return [issue(path, "Invalid input: expected int, received number")]
        if least is not None and value < least:
            return [issue(path, f"Too small: expected number to be >={least}", "too_small")]
        if most is not None and value > most:
            return [issue(path, f"Too big: expected number to be <={most}", "too_big")]
        return []

    return check


def array(item: Check, *, least: int = 0, most: int | None = None) -> Check:
    def check(value: Any, path: list[Any]) -> list[Issue]:
        if not isinstance(value, list):
            return [issue(path, f"Invalid input: expected array, received {received(value)}")]
        if len(value) < least:
            return [issue(path, f"Too small: expected array to have >={least} items", "too_small")]
        if most is not None and len(value) > most:
            return [issue(path, f"Too big: expected array to have <={most} items", "too_big")]
        return [issue for i, entry in enumerate(value) for issue in item(entry, [*path, i])]

    return check


def obj(spec: Spec, *, strict: bool = False) -> Check:
    def check(value: Any, path: list[Any]) -> list[Issue]:
        if not isinstance(value, dict):
            return [issue(path, f"Invalid input: expected object, received {received(value)}")]
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


def validate(params: Params, spec: Spec, *, internal: bool = False) -> None:
    """Refuse `params` as FastGPT refuses a request its schema does not take (see `SchemaRefusal`)."""
    issues = obj(spec)(params, [])
    if issues:
        raise SchemaRefusal(issues, internal=internal)


# What a paged list takes, before `routes/paging.py` reads it: numbers, or strings of them.
PAGING: Spec = {
    "pageSize": ("optional", number_or_string),
    "offset": ("optional", number_or_string),
    "pageNum": ("optional", number_or_string),
}
