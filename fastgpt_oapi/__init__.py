"""fastgpt-oapi: the typed Python SDK for FastGPT's OpenAPI.

`import fastgpt_oapi` stays cheap: the client, services and models load on first use. The names most
programs need are here; everything else is imported from where it lives (`fastgpt_oapi.api.<service>.model`,
`fastgpt_oapi.api.chat.stream`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import _exports
from ._version import __version__

# Every name of __all__ is imported here too: without it, module __getattr__ makes it Any to mypy.
if TYPE_CHECKING:
    # The exceptions and every service's request models: `_exports.py`, which `make codegen` writes
    # from `core/errors.py`'s `__all__` and the model modules'.
    from ._exports import *  # noqa: F403
    from .api.chat.model import AnswerEvent, ChatMessage, ChatStreamEvent
    from .api.chat.stream import AsyncChatStream, ChatStream
    from .api.dataset.model import CollectionTag, MirrorProgress, MirrorResult, TrainingProgress
    from .client import Client, ClientBuilder
    from .core.drift import ResponseDriftWarning
    from .core.http import RawResponse
    from .core.options import RequestOption
    from .core.progress import ProgressCallback

__all__ = [
    "AnswerEvent",
    "AsyncChatStream",
    "ChatMessage",
    "ChatStream",
    "ChatStreamEvent",
    "Client",
    "ClientBuilder",
    "CollectionTag",
    "MirrorProgress",
    "MirrorResult",
    "ProgressCallback",
    "RawResponse",
    "RequestOption",
    "ResponseDriftWarning",
    "TrainingProgress",
    "__version__",
]
__all__ += _exports.__all__  # the exceptions and the request models


# Where each public name lives.
_HOMES = {
    "Client": "client",
    "ClientBuilder": "client",
    "RequestOption": "core.options",
    "ResponseDriftWarning": "core.drift",
    "RawResponse": "core.http",
    "ProgressCallback": "core.progress",
    **dict.fromkeys(("AnswerEvent", "ChatMessage", "ChatStreamEvent"), "api.chat.model"),
    **dict.fromkeys(("AsyncChatStream", "ChatStream"), "api.chat.stream"),
    **dict.fromkeys(
        ("CollectionTag", "MirrorProgress", "MirrorResult", "TrainingProgress"), "api.dataset.model"
    ),
    **_exports.HOMES,
}


def __getattr__(name: str) -> Any:
    if name not in __all__ or name == "__version__":
        raise AttributeError(f"module 'fastgpt_oapi' has no attribute {name!r}")
    module = _HOMES[name]
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
