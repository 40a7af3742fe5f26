"""The models available to a key: the requests and responses of `client.ai_model` (FastGPT >= 4.18.0).

Both endpoints are in FastGPT's System OpenAPI ("Models") and take a personal API key (the reference
pages `openapi/reference/model/catalog` and `.../model/summary` on doc.fastgpt.io, 4.18). Schemas:
`GetModelCatalogQuerySchema` / `GetModelCatalogResponseSchema` (with `MyModelItemSchema` and
`ModelProviderSchema`) in `packages/global/openapi/core/ai/model/api.ts`, and
`GetModelSummariesBodySchema` / `GetModelSummariesResponseSchema` in
`packages/global/openapi/core/ai/model/summary.ts` (labring/FastGPT @28b60b36), registered in
`packages/global/openapi/core/ai/model/index.ts` (@02b01245). `includeSourceMember` and
`orderBy=custom` are the 4.18 reference page's (the schema versions read predate them).
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, field_validator

from fastgpt_oapi.core.lazy import Builds, builders_on_demand
from fastgpt_oapi.core.model import APIRequest, AppId, FastGPTModel, RequestPart, Route

if TYPE_CHECKING:
    from ._builders import GetModelCatalogRequestBuilder, GetModelSummaryRequestBuilder

__all__ = [
    "CatalogModel",
    "GetModelCatalogRequest",
    "GetModelCatalogRequestBuilder",
    "GetModelSummaryRequest",
    "GetModelSummaryRequestBuilder",
    "ModelCatalog",
    "ModelCatalogResponse",
    "ModelProvider",
    "ModelSummary",
    "ModelSummaryResponse",
    "OutLinkAuthData",
]


# ---- responses --------------------------------------------------------------------------------


class CatalogModel(FastGPTModel):
    """One model the caller may use (`MyModelItemSchema`, a union on `type`: "llm", "embedding",
    "rerank", "tts" or "stt"). `config` holds the type's settings (context size, vision, ...), kept
    as FastGPT sends them; `model_id` is the stable id other calls (`*_model_id` fields) take."""

    model_id: str = ""
    # What the provider is asked for (e.g. "gpt-4o-mini"); `name` is what people are shown.
    model: str = ""
    name: str = ""
    provider: str = ""
    type: str = ""
    is_system: bool | None = None
    avatar: str | None = None
    is_active: bool | None = None
    is_custom: bool | None = None
    is_default: bool | None = None
    test_mode: bool | None = None
    chars_points_price: float | None = None
    price_tiers: builtins.list[dict[str, Any]] | None = None
    input_price: float | None = None
    output_price: float | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    # Who made the model: only with `include_source_member=True` (a member's key).
    source_member: dict[str, Any] | None = None


class ModelProvider(FastGPTModel):
    """A provider of models: its id, its name per language (`en`, `zh-CN`, `zh-Hant`) and its logo."""

    provider: str = ""
    value: dict[str, str] = Field(default_factory=dict)
    avatar: str = ""


class ModelCatalog(FastGPTModel):
    models: builtins.list[CatalogModel] = Field(default_factory=builtins.list)
    providers: builtins.list[ModelProvider] = Field(default_factory=builtins.list)
    # The effective default model id per use (FastGPT's `ModelDefaultIdsSchema`), kept as sent.
    default_model_ids: dict[str, Any] = Field(default_factory=dict)


class ModelCatalogResponse(FastGPTModel):
    """`version` of the caller's catalog, and the catalog itself unless the request's `version` was
    already this one (`data` is None then: what the caller has is current)."""

    version: str = ""
    data: ModelCatalog | None = None

    @property
    def changed(self) -> bool:
        """Whether the catalog came along (the `version` asked with is not the current one)."""
        return self.data is not None


class ModelSummary(FastGPTModel):
    """How one requested model shows to the caller. `status`: "active", "disabled", "forbidden" (no
    permission, which wins over disabled) or "deleted" (no such model: then no `name` / `avatar`)."""

    model_id: str = ""
    status: str = ""
    name: str | None = None
    avatar: str | None = None

    @property
    def usable(self) -> bool:
        return self.status == "active"


class ModelSummaryResponse(FastGPTModel):
    """One summary per requested id, in the request's order."""

    models: builtins.list[ModelSummary] = Field(default_factory=builtins.list)


# ---- requests ---------------------------------------------------------------------------------


class GetModelCatalogRequest(APIRequest[ModelCatalogResponse]):
    """`GET /api/core/ai/model/catalog` (FastGPT >= 4.18.0): every model, provider and default model id
    the caller may use.

    `version`: the catalog version the caller already has; when it is still current the answer holds
    the version alone. `include_source_member=True` adds each model's creator (and always returns
    the whole catalog). `order_by="custom"`: own team's models, then shared ones, then system models
    by rank; left out, the server's order.
    """

    route = Route("GET", "/api/core/ai/model/catalog", call="get_catalog")

    version: str | None = Field(default=None, min_length=1)
    include_source_member: bool | None = None
    order_by: Literal["custom"] | None = None

    @field_validator("version")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank (FastGPT trims it to nothing and refuses it)")
        return value

    builder: ClassVar[Builds[GetModelCatalogRequestBuilder]] = Builds()


class OutLinkAuthData(RequestPart):
    """A share link's identity (`shareId`, `outLinkUid`): permissions are then the publisher's."""

    share_id: str = Field(min_length=1)
    out_link_uid: str = Field(min_length=1)


class GetModelSummaryRequest(APIRequest[ModelSummaryResponse]):
    """`POST /api/core/ai/model/summary` (FastGPT >= 4.18.0): name, logo and status of up to 100 models,
    in the request's order.

    `model_ids`: 1 to 100 ids, each 1 to 200 characters once trimmed. With `app_id` (or the client's
    default), the models the app is built on count as permitted. Nothing about running the models
    (configs, keys) is returned.
    """

    route = Route("POST", "/api/core/ai/model/summary", call="get_summary")

    model_ids: builtins.list[str] = Field(min_length=1, max_length=100)
    app_id: AppId | None = None
    out_link_auth_data: OutLinkAuthData | None = None

    @field_validator("model_ids")
    @classmethod
    def _ids(cls, value: builtins.list[str]) -> builtins.list[str]:
        for model_id in value:
            if not 1 <= len(model_id.strip()) <= 200:
                raise ValueError("each id must be 1 to 200 characters once trimmed")
        return value

    builder: ClassVar[Builds[GetModelSummaryRequestBuilder]] = Builds()


if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any name imported from here
    __getattr__ = builders_on_demand(__name__, __all__)
