"""`RequestOption`: overrides of the client's settings for one call."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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
        return RequestOptionBuilder()

    def __repr_args__(self) -> Any:
        yield from super().__repr_args__()
        if self.api_key is not None:
            yield "api_key", "********"


# region generated builders (python -m fastgpt_oapi.core.codegen); do not edit by hand
from fastgpt_oapi.core.model import RequestBuilder  # noqa: E402


class RequestOptionBuilder(RequestBuilder[RequestOption]):
    _model = RequestOption

    def api_key(self, api_key: str | None) -> RequestOptionBuilder:
        self._set("api_key", api_key)
        return self

    def headers(self, headers: dict[str, str] | None) -> RequestOptionBuilder:
        self._set("headers", headers)
        return self

    def timeout(self, timeout: float | None) -> RequestOptionBuilder:
        self._set("timeout", timeout)
        return self

    def connect_timeout(self, connect_timeout: float | None) -> RequestOptionBuilder:
        self._set("connect_timeout", connect_timeout)
        return self

    def max_retries(self, max_retries: int | None) -> RequestOptionBuilder:
        self._set("max_retries", max_retries)
        return self

    def stream_idle_timeout(self, stream_idle_timeout: float | None) -> RequestOptionBuilder:
        self._set("stream_idle_timeout", stream_idle_timeout)
        return self


# endregion
