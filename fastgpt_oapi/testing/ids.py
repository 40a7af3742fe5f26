"""Ids as FastGPT makes them: ObjectIds (24 hex characters) for its documents (apps, datasets,
collections, data, records), nanoids for chat ids, record data ids and keys. Every area makes and
checks them here, so an id one area hands out is one every other area accepts.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

__all__ = ["HEX24", "is_object_id", "nanoid", "object_id"]

HEX24 = re.compile(r"[0-9a-fA-F]{24}")
_ALPHABET = string.ascii_letters + string.digits


def object_id() -> str:
    return secrets.token_hex(12)


def is_object_id(value: Any) -> bool:
    return isinstance(value, str) and HEX24.fullmatch(value) is not None


def nanoid(n: int = 24) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))
