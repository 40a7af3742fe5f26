"""Checking the dataset area's requests as FastGPT's zod schemas check them, and its refusals: the
registered dataset errors, the common ones the handlers use, plain rejections and Mongoose cast
errors (FastGPT 4.16.0-beta1, f88b51b5: `packages/global/common/error/code/{dataset,common}.ts`,
`packages/service/common/http/entry.ts`, `packages/service/common/response/index.ts`).

The checks are used as `z.string`, `z.one_of(...)`, ... by `routes/dataset.py`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ..wire import Params, Refusal

__all__ = [
    "HEX24",
    "Check",
    "Issue",
    "SchemaRefusal",
    "Spec",
    "array",
    "boolean",
    "cast_error",
    "dataset_error",
    "date",
    "failed",
    "file_not_found",
    "is_number",
    "issue",
    "max_length",
    "missing_params",
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
    "validate",
]

# ---- refusals ------------------------------------------------------------------------------------

# `packages/global/common/error/code/dataset.ts`: code 501000 + the position in this list.
_DATASET_ERRORS = (
    ("sameApiCollection", "common:core.dataset.error.sameApiCollection"),
    ("notSupportSync", "common:core.dataset.error.notSupportSync"),
    ("unExistDataset", "common:core.dataset.error.unExistDataset"),
    ("unExistCollection", "common:error_collection_not_exist"),
    ("unAuthDataset", "common:core.dataset.error.unAuthDataset"),
    ("unAuthDatasetCollection", "common:core.dataset.error.unAuthDatasetCollection"),
    ("unAuthDatasetData", "common:core.dataset.error.unAuthDatasetData"),
    ("unAuthDatasetFile", "common:core.dataset.error.unAuthDatasetFile"),
    ("unCreateCollection", "common:core.dataset.error.unCreateCollection"),
    ("unLinkCollection", "common:core.dataset.error.unLinkCollection"),
    ("invalidVectorModelOrQAModel", "common:core.dataset.error.invalidVectorModelOrQAModel"),
    ("canNotEditAdminPermission", "common:core.dataset.error.canNotEditAdminPermission"),
    ("noApiServer", "common:core.dataset.error.noApiServer"),
)


def dataset_error(status_text: str) -> Refusal:
    """A registered dataset error: HTTP 500 (the registry gives none of them an `httpStatus`)."""
    for index, (name, message) in enumerate(_DATASET_ERRORS):
        if name == status_text:
            return Refusal(500, 501000 + index, name, message)
    raise KeyError(status_text)


def missing_params() -> Refusal:  # common.ts: 507000 + 4
    return Refusal(500, 507004, "missingParams", "common:error.missingParams")


def file_not_found() -> Refusal:  # common.ts: 507000 + 2, the one with `httpStatus: 404`
    return Refusal(404, 507002, "fileNotFound", "common:error.fileNotFound")


def failed(message: str) -> Refusal:
    """A handler's `Promise.reject('...')` or a thrown Error: HTTP 500, `statusText` "error"."""
    return Refusal(500, 500, "error", message)


def cast_error(value: str, model: str) -> Refusal:
    # Mongoose, for an id that is no ObjectId where FastGPT's schema takes any string.
    return failed(
        f'Cast to ObjectId failed for value "{value}" (type string) at path "_id" for model "{model}"'
    )


class SchemaRefusal(Refusal):
    """FastGPT's answer to a request its zod schema refuses: 400 `Data validation error` with the
    issues as `zodError` (`packages/service/common/http/entry.ts`). A schema parsed inside a handler
    (localFile's `data`) fails as an internal error instead: HTTP 500, the issues as the message."""

    def __init__(self, issues: list[Issue], *, internal: bool = False) -> None:
        if internal:
            super().__init__(500, 500, "error", json.dumps(issues, ensure_ascii=False, indent=2))
        else:
            super().__init__(400, 400, "error", "Data validation error")
        self.issues = issues

    def envelope(self) -> dict[str, Any]:
        return {**super().envelope(), "zodError": self.issues}


# ---- the schemas ---------------------------------------------------------------------------------
#
# A small zod: each field is (presence, check); `optional` takes an absent key but not null,
# `nullish` takes both. Unknown keys are stripped, as zod does. Each refusal is one issue
# `{code, path, message}`.

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


def obj(spec: Spec) -> Check:
    def check(value: Any, path: list[Any]) -> list[Issue]:
        if not isinstance(value, dict):
            return [issue(path, f"Invalid input: expected object, received {_received(value)}")]
        issues: list[Issue] = []
        for key, (presence, inner) in spec.items():
            if key not in value:
                if presence == "required":
                    issues += [
                        {**i, "message": i["message"].replace("received null", "received undefined")}
                        for i in inner(None, [*path, key])
                    ]
            elif value[key] is not None or presence != "nullish":
                issues += inner(value[key], [*path, key])
        return issues

    return check


def date(value: Any, path: list[Any]) -> list[Issue]:
    if parse_date(value) is None:
        return [issue(path, "Invalid input: expected date, received Date", "invalid_type")]
    return []


def validate(params: Params, spec: Spec, *, internal: bool = False) -> None:
    issues = obj(spec)(params, [])
    if issues:
        raise SchemaRefusal(issues, internal=internal)


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
