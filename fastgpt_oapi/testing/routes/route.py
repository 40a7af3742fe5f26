"""`Route`: one entry of the emulator's route table, declared by the area module that handles it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..state import State
from ..wire import FakeResponse, Params, ok

__all__ = ["Handler", "Route", "enveloped"]

Handler = Callable[[State, Params], FakeResponse]


def _always(state: State) -> bool:
    return True


def _never(params: Params) -> bool:
    return False


@dataclass(frozen=True)
class Route:
    """A path and its handler, plus what decides how and whether it is served.

    The emulator matches the path alone, whatever the method, as it always has. Facts about an
    endpoint's life (the FastGPT versions that added or removed it) belong here as fields, so the
    table stays the one place that says what the emulator serves.
    """

    path: str
    handler: Handler
    # Whether this emulator's settings serve the path: FastGPT moved some endpoints between
    # versions, and a path the emulated version lacks must answer a bare 404 as FastGPT would.
    served: Callable[[State], bool] = _always
    # Whether this request will be answered as SSE, which changes how a refusal is written.
    streams: Callable[[Params], bool] = _never


def enveloped(handler: Callable[[State, Params], Any]) -> Handler:
    """A handler returning `data`, answered as FastGPT's `{code, statusText, message, data}` envelope."""

    def respond(state: State, params: Params) -> FakeResponse:
        return ok(handler(state, params))

    return respond
