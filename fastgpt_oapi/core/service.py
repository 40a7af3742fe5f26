"""`Service`: the base of `client.<service>`: its sender, and its `with_raw_response` view."""

from __future__ import annotations

import typing
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

if TYPE_CHECKING:
    from .http import Sender

__all__ = ["Service"]

RawT = TypeVar("RawT")


class Service(Generic[RawT]):
    """A service talks to nothing but its `Sender` (`self._http`). `RawT` is the generated class of its
    raw-response view, `<Service>WithRawResponse` in `_raw.py` beside the service module."""

    _raw_view: ClassVar[Any]

    def __init__(self, http: Sender) -> None:
        self._http = http

    @cached_property
    def with_raw_response(self) -> RawT:
        """The methods that send one request, answering a `RawResponse` (status code, headers, the
        `httpx.Response`, and `parse()` for the usual model): `client.dataset.with_raw_response.get_dataset(...)`,
        `await client.dataset.with_raw_response.aget_dataset(...)`. Helpers that send several requests
        (`iter_*`, uploads, `push_all`, `wait_for_training`) and streams have no single answer to give."""
        view: Any = self._raw_view(self)
        return view  # type: ignore[no-any-return]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The raw view's class is the generic argument: `class ChatService(Service[ChatServiceWithRawResponse])`.
        for base in getattr(cls, "__orig_bases__", ()):
            if typing.get_origin(base) is Service:
                cls._raw_view = typing.get_args(base)[0]
