"""Checking the dataset area's requests as FastGPT's zod schemas check them, and its refusals: the
registered dataset errors, the common ones the handlers use, plain rejections and Mongoose cast
errors (FastGPT 4.16.0-beta1, f88b51b5: `packages/global/common/error/code/{dataset,common}.ts`,
`packages/service/common/http/entry.ts`, `packages/service/common/response/index.ts`).

The checks (from `routes/schema.py`, re-exported here) are used as `z.string`, `z.one_of(...)`, ...
by `routes/dataset.py`.
"""

from __future__ import annotations

import json
from typing import Any

from ..wire import Params, Refusal
from .schema import (
    HEX24,
    Check,
    Issue,
    Spec,
    array,
    boolean,
    date,
    is_number,
    issue,
    max_length,
    number,
    number_or_string,
    obj,
    object_id,
    one_of,
    parent_id,
    parse_date,
    record,
    string,
    typed,
    url,
)

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
    # FastGPT 4.17.x (the registry at 09abe9ff): external chunking, then 4.17.2's index guard.
    ("externalChunkFailed", "dataset:chunk_error.failed"),
    ("externalChunkInvalidResponse", "dataset:chunk_error.invalid_response"),
    ("externalChunkNotConfigured", "dataset:chunk_error.not_configured"),
    ("dataNotIndexed", "common:core.dataset.error.dataNotIndexed"),
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


def validate(params: Params, spec: Spec, *, internal: bool = False) -> None:
    issues = obj(spec)(params, [])
    if issues:
        raise SchemaRefusal(issues, internal=internal)
