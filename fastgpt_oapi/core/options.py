"""`RequestOption`: overrides of the client's settings for one call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from ._builders import RequestOptionBuilder

__all__ = ["RequestOption", "RequestOptionBuilder"]


class RequestOption(BaseModel):
    """Overrides of the client's settings for one call: `request_option=` on every service method."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: str | None = Field(default=None, repr=False, min_length=1)
    headers: dict[str, str] | None = None
    timeout: float | None = Field(default=None, gt=0)
    connect_timeout: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0)
    # Streams only: give up after this long without an event other than the empty heartbeat.
    stream_idle_timeout: float | None = Field(default=None, gt=0)

    @classmethod
    def builder(cls) -> RequestOptionBuilder:
        from ._builders import RequestOptionBuilder

        return RequestOptionBuilder()

    def __repr_args__(self) -> Any:
        yield from super().__repr_args__()
        if self.api_key is not None:
            yield "api_key", "********"


if not TYPE_CHECKING:
    # The builders are generated into `_builders`, which imports this module, so they load on first
    # use rather than with it. Hidden from mypy, which would otherwise accept any name imported from here.
    def __getattr__(name: str) -> object:
        if name.endswith("Builder") and name in __all__:
            from . import _builders

            value = getattr(_builders, name)
            globals()[name] = value
            return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
