"""fastgpt-oapi: the typed Python SDK for FastGPT's OpenAPI.

`import fastgpt_oapi` stays cheap: the client, services and models load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .client import Client, ClientBuilder
    from .core.config import RequestOption
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
        InternalServerError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        RequestValidationError,
        StreamError,
        UnprocessableEntityError,
    )

_LAZY = {
    "Client": "client",
    "ClientBuilder": "client",
    "RequestOption": "core.config",
    **dict.fromkeys(
        (
            "APIConnectionError",
            "APIError",
            "APIResponseValidationError",
            "APIStatusError",
            "APITimeoutError",
            "AuthenticationError",
            "BadRequestError",
            "ConflictError",
            "FastGPTError",
            "InternalServerError",
            "NotFoundError",
            "PermissionDeniedError",
            "RateLimitError",
            "RequestValidationError",
            "StreamError",
            "UnprocessableEntityError",
        ),
        "core.errors",
    ),
}

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
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestOption",
    "RequestValidationError",
    "StreamError",
    "UnprocessableEntityError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fastgpt_oapi' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
