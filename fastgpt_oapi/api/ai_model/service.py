"""`client.ai_model`: the models a key may use (FastGPT >= 4.18.0), sync and async."""

from __future__ import annotations

from fastgpt_oapi.core.options import RequestOption
from fastgpt_oapi.core.service import Service

from ._raw import AIModelServiceWithRawResponse
from .model import GetModelCatalogRequest, GetModelSummaryRequest, ModelCatalogResponse, ModelSummaryResponse

__all__ = ["AIModelService"]


class AIModelService(Service[AIModelServiceWithRawResponse]):
    """The model catalog and model summaries. Both take a personal API key; a server before FastGPT
    4.18.0 answers them with 404 (`NotFoundError`)."""

    def get_catalog(
        self, request: GetModelCatalogRequest, request_option: RequestOption | None = None
    ) -> ModelCatalogResponse:
        """Every model, provider and default model id the caller may use; only the version when the
        request's `version` is still current."""
        return self._http.request(request, request_option)

    async def aget_catalog(
        self, request: GetModelCatalogRequest, request_option: RequestOption | None = None
    ) -> ModelCatalogResponse:
        return await self._http.arequest(request, request_option)

    def get_summary(
        self, request: GetModelSummaryRequest, request_option: RequestOption | None = None
    ) -> ModelSummaryResponse:
        """Name, logo and status of each requested model, in the request's order."""
        return self._http.request(request, request_option)

    async def aget_summary(
        self, request: GetModelSummaryRequest, request_option: RequestOption | None = None
    ) -> ModelSummaryResponse:
        return await self._http.arequest(request, request_option)
