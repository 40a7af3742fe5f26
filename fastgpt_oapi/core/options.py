"""`RequestOption`: overrides of the client's settings for one call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from fastgpt_oapi.core.lazy import Builds, builders_on_demand

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
    # Laid over the request as given, under FastGPT's wire names (the option wins on a clash): a field
    # FastGPT added after this SDK version is sendable today. JSON values only.
    extra_body: dict[str, Any] | None = None
    extra_query: dict[str, str | int | float | bool] | None = None

    builder: ClassVar[Builds[RequestOptionBuilder]] = Builds()

    def __repr_args__(self) -> Any:
        yield from super().__repr_args__()
        if self.api_key is not None:
            yield "api_key", "********"


if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any name imported from here
    __getattr__ = builders_on_demand(__name__, __all__)
