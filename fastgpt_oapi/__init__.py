"""fastgpt-oapi: the typed Python SDK for FastGPT's OpenAPI.

`import fastgpt_oapi` stays cheap: the client, services and models load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .client import Client, ClientBuilder
    from .core.errors import (
        APIConnectionError,
        APIError,
        APIResponseValidationError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConflictError,
        FastGPTError,
        FieldProblem,
        InternalServerError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        RequestValidationError,
        StreamClosedError,
        StreamError,
        StreamEventTooLargeError,
        UnprocessableEntityError,
    )
    from .core.options import RequestOption

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ClientBuilder",
    "ConflictError",
    "FastGPTError",
    "FieldProblem",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestOption",
    "RequestValidationError",
    "StreamClosedError",
    "StreamError",
    "StreamEventTooLargeError",
    "UnprocessableEntityError",
    "__version__",
]


# Where each public name lives; everything not listed is an exception from core.errors.
_HOMES = {"Client": "client", "ClientBuilder": "client", "RequestOption": "core.options"}


def __getattr__(name: str) -> Any:
    if name not in __all__ or name == "__version__":
        raise AttributeError(f"module 'fastgpt_oapi' has no attribute {name!r}")
    module = _HOMES.get(name, "core.errors")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
