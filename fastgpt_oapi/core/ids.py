"""FastGPT's ids, checked in one place: an id is a MongoDB ObjectId, 24 hexadecimal characters.

Free of pydantic, so that building a client (which checks its `app_id`) loads no model.
"""

from __future__ import annotations

import re

__all__ = ["OBJECT_ID_PATTERN", "is_object_id", "validate_app_id"]

# zod's `ObjectIdSchema` (`packages/global/common/type/mongo.ts`).
OBJECT_ID_PATTERN = r"^[0-9a-fA-F]{24}$"
_OBJECT_ID = re.compile(OBJECT_ID_PATTERN)


def is_object_id(value: str) -> bool:
    # fullmatch, not match: `$` alone would let a trailing newline through.
    return _OBJECT_ID.fullmatch(value) is not None


def validate_app_id(value: str) -> str:
    if not is_object_id(value):
        raise ValueError(
            f"app_id must be 24 hexadecimal characters (a FastGPT app id), got {len(value)} characters"
        )
    return value
