"""`client.ai_model` (FastGPT >= 4.18.0): the model catalog and model summaries, on the wire and against
the emulator, sync and async."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import APP_ID, envelope, make_client
from endpoint_cases import Case, check, table
from http_support import Wire, run

from fastgpt_oapi import Client, NotFoundError, RequestValidationError
from fastgpt_oapi.api.ai_model.model import (
    GetModelCatalogRequest,
    GetModelSummaryRequest,
    ModelCatalogResponse,
    ModelSummaryResponse,
    OutLinkAuthData,
)
from fastgpt_oapi.testing import FakeFastGPT

CATALOG = "/api/core/ai/model/catalog"
SUMMARY = "/api/core/ai/model/summary"
LLM = {
    "modelId": "68ad85a7463006c963799a01",
    "model": "gpt-5",
    "name": "GPT-5",
    "provider": "OpenAI",
    "isSystem": True,
    "isCustom": False,
    "type": "llm",
    "config": {"maxContext": 400000, "vision": True},
    "rank": 4,
}


async def catalog(client: Client, mode: str, request: GetModelCatalogRequest) -> ModelCatalogResponse:
    return await run(
        mode, lambda: client.ai_model.get_catalog(request), lambda: client.ai_model.aget_catalog(request)
    )


async def summary(client: Client, mode: str, request: GetModelSummaryRequest) -> ModelSummaryResponse:
    return await run(
        mode, lambda: client.ai_model.get_summary(request), lambda: client.ai_model.aget_summary(request)
    )


# ---- on the wire ----------------------------------------------------------------------------------


PROVIDER = {
    "provider": "OpenAI",
    "value": {"en": "OpenAI", "zh-CN": "OpenAI", "zh-Hant": "OpenAI"},
    "avatar": "/a.svg",
}
MODELS = [
    {"modelId": "m1", "name": "GPT-5", "avatar": "/a.svg", "status": "active"},
    {"modelId": "m2", "status": "deleted"},
    {"modelId": "m3", "name": "Old", "status": "forbidden"},
]


def summaries(result: ModelSummaryResponse) -> None:
    assert [(m.model_id, m.status, m.name, m.usable) for m in result.models] == [
        ("m1", "active", "GPT-5", True),
        ("m2", "deleted", None, False),
        ("m3", "forbidden", "Old", False),
    ]


CASES = [
    Case(
        "ai_model.get_catalog",
        GetModelCatalogRequest(version="v1", include_source_member=True, order_by="custom"),
        f"GET {CATALOG}",
        query={"version": "v1", "includeSourceMember": "true", "orderBy": "custom"},
        answer={
            "version": "v2",
            "data": {"models": [LLM], "providers": [PROVIDER], "defaultModelIds": {"llm": LLM["modelId"]}},
        },
        expect={
            "version": "v2",
            "changed": True,
            "data.models.#": 1,
            "data.models.0.model_id": LLM["modelId"],
            "data.models.0.model": "gpt-5",
            "data.models.0.name": "GPT-5",
            "data.models.0.type": "llm",
            "data.models.0.config": {"maxContext": 400000, "vision": True},
            "data.models.0.model_extra": {"rank": 4},  # a field the SDK does not model is kept
            "data.providers.0.value": PROVIDER["value"],
            "data.default_model_ids": {"llm": LLM["modelId"]},
        },
    ),
    # An unchanged catalog is the version alone.
    Case(
        "ai_model.get_catalog",
        GetModelCatalogRequest(version="v1"),
        f"GET {CATALOG}",
        query={"version": "v1"},
        answer={"version": "v1"},
        expect={"version": "v1", "data": None, "changed": False},
        name="get_catalog-unchanged",
    ),
    Case(
        "ai_model.get_summary",
        GetModelSummaryRequest(
            model_ids=["m1", "m2", "m3"], out_link_auth_data=OutLinkAuthData(share_id="s1", out_link_uid="u1")
        ),
        f"POST {SUMMARY}",
        body={
            "modelIds": ["m1", "m2", "m3"],
            "appId": APP_ID,  # the client's default, as on every request with an app id
            "outLinkAuthData": {"shareId": "s1", "outLinkUid": "u1"},
        },
        answer={"models": MODELS},
        expect=summaries,
    ),
]


@table(CASES)
async def test_wire(case: Case, way: str) -> None:
    await check(case, way)


@pytest.mark.parametrize(
    ("field", "build"),
    [
        ("model_ids", lambda: GetModelSummaryRequest(model_ids=[])),
        ("model_ids", lambda: GetModelSummaryRequest(model_ids=[f"m{n}" for n in range(101)])),
        ("model_ids", lambda: GetModelSummaryRequest(model_ids=["  "])),
        ("model_ids", lambda: GetModelSummaryRequest(model_ids=["m" * 201])),
        ("app_id", lambda: GetModelSummaryRequest(model_ids=["m1"], app_id="nope")),
        ("version", lambda: GetModelCatalogRequest(version="")),
        ("version", lambda: GetModelCatalogRequest(version="   ")),
        ("order_by", lambda: GetModelCatalogRequest.model_validate({"order_by": "name"})),
    ],
)
def test_bad_requests_are_refused_before_sending(field: str, build: Any) -> None:
    with pytest.raises(RequestValidationError) as caught:
        build()
    assert caught.value.field == field


def test_the_builders_build_the_same_requests() -> None:
    built = GetModelSummaryRequest.builder().model_ids(["m1"]).app_id(APP_ID).build()
    assert built == GetModelSummaryRequest(model_ids=["m1"], app_id=APP_ID)
    assert GetModelCatalogRequest.builder().order_by("custom").build() == GetModelCatalogRequest(
        order_by="custom"
    )


# ---- against the emulator ---------------------------------------------------------------------------


async def test_the_emulator_serves_its_catalog_and_honours_the_version(io_mode: str) -> None:
    fake = FakeFastGPT()
    with fake.client() as client:
        full = await catalog(client, io_mode, GetModelCatalogRequest())
        same = await catalog(client, io_mode, GetModelCatalogRequest(version=full.version))
        stale = await catalog(client, io_mode, GetModelCatalogRequest(version="not-the-current-one"))
        ordered = await catalog(client, io_mode, GetModelCatalogRequest(order_by="custom"))
        members = await catalog(
            client, io_mode, GetModelCatalogRequest(version=full.version, include_source_member=True)
        )

    assert full.data is not None
    assert full.version
    assert {m.type for m in full.data.models} == {"llm", "embedding", "rerank"}
    assert all(m.model_id and m.name and m.provider for m in full.data.models)
    assert {p.provider for p in full.data.providers} == {m.provider for m in full.data.models}
    assert full.data.default_model_ids["llm"] in {m.model_id for m in full.data.models}
    assert (same.changed, same.version) == (False, full.version)
    assert stale.changed
    assert ordered.data is not None
    assert [m.type for m in ordered.data.models] == ["embedding", "llm", "rerank"]
    assert members.data is not None  # with creators, the whole catalog comes whatever the version
    assert all(m.source_member for m in members.data.models)
    assert all(m.source_member is None for m in full.data.models)


async def test_the_emulator_summarises_models_in_the_requests_order(io_mode: str) -> None:
    fake = FakeFastGPT()
    with fake.client() as client:
        listed = await catalog(client, io_mode, GetModelCatalogRequest())
        assert listed.data is not None
        by_type = {m.type: m for m in listed.data.models}
        ids = [by_type["rerank"].model_id, "68ad85a7463006c963799aff", by_type["llm"].model_id]
        result = await summary(client, io_mode, GetModelSummaryRequest(model_ids=ids))

    assert [m.model_id for m in result.models] == ids
    assert [m.status for m in result.models] == ["disabled", "deleted", "active"]
    assert result.models[2].name == by_type["llm"].name
    assert result.models[1].name is None


@pytest.mark.parametrize("version", ["4.17.2", "4.17.0"])
async def test_a_server_before_4_18_has_no_model_endpoints(io_mode: str, version: str) -> None:
    fake = FakeFastGPT(version=version)
    with fake.client(max_retries=0) as client:
        with pytest.raises(NotFoundError):
            await catalog(client, io_mode, GetModelCatalogRequest())
        with pytest.raises(NotFoundError):
            await summary(client, io_mode, GetModelSummaryRequest(model_ids=["m1"]))


async def test_the_emulator_refuses_what_fastgpt_refuses() -> None:
    fake = FakeFastGPT()
    async with httpx.AsyncClient(transport=fake.async_transport(), base_url="http://fake.test") as raw:
        headers = {"Authorization": f"Bearer {fake.api_key}"}
        no_ids = await raw.post(SUMMARY, json={"modelIds": []}, headers=headers)
        bad_order = await raw.get(CATALOG, params={"orderBy": "name"}, headers=headers)
        unknown_app = await raw.post(
            SUMMARY, json={"modelIds": ["m1"], "appId": "0123456789abcdef01234567"}, headers=headers
        )
    assert (no_ids.status_code, bad_order.status_code) == (400, 400)
    assert unknown_app.json()["statusText"] == "appUnExist"


async def test_the_raw_view_answers_the_catalog_with_its_http_response(io_mode: str) -> None:
    wire = Wire(
        lambda request: httpx.Response(200, json=envelope({"version": "v1"}), headers={"x-trace": "t1"})
    )
    raw_view = make_client(wire).ai_model.with_raw_response
    request = GetModelCatalogRequest(version="v1")

    raw = await run(io_mode, lambda: raw_view.get_catalog(request), lambda: raw_view.aget_catalog(request))

    assert (raw.status_code, raw.headers["x-trace"]) == (200, "t1")
    assert raw.parse().version == "v1"
