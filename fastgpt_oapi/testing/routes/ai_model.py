"""The models area (FastGPT >= 4.18.0): `GET core/ai/model/catalog` and `POST core/ai/model/summary`,
answered from a small catalog of the emulator's own: three system models (an LLM, an embedding model,
a reranker), one of them disabled, and their providers.

Shapes as FastGPT's `GetModelCatalogResponseSchema` and `GetModelSummariesResponseSchema`
(`packages/global/openapi/core/ai/model/api.ts`, `.../summary.ts`, labring/FastGPT @28b60b36) and the
4.18 reference pages `openapi/reference/model/catalog` and `.../model/summary`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..state import State
from ..wire import Params, json_bytes
from .auth import require_app
from .route import Route, enveloped
from .schema import Spec, array, object_id, one_of, typed, validate

__all__ = ["CATALOG_MODELS", "ROUTES"]

_SINCE = "4.18.0"

# What the two OpenAI models share: system models, active, each the default of its type.
_OPENAI_DEFAULT: dict[str, Any] = {
    "provider": "OpenAI",
    "isSystem": True,
    "avatar": "/imgs/model/openai.svg",
    "isActive": True,
    "isCustom": False,
    "isDefault": True,
}

# Each with `rank`, the emulator's own: the order `orderBy=custom` puts system models in.
CATALOG_MODELS: tuple[dict[str, Any], ...] = (
    {
        "modelId": "68ad85a7463006c963799a01",
        "model": "gpt-4o-mini",
        "name": "GPT-4o mini",
        **_OPENAI_DEFAULT,
        "type": "llm",
        "config": {"maxContext": 128000, "maxResponse": 16000, "vision": True, "toolChoice": True},
        "inputPrice": 0.15,
        "outputPrice": 0.6,
        "rank": 2,
    },
    {
        "modelId": "68ad85a7463006c963799a02",
        "model": "text-embedding-3-small",
        "name": "text-embedding-3-small",
        **_OPENAI_DEFAULT,
        "type": "embedding",
        "config": {"defaultToken": 512, "maxToken": 8000},
        "charsPointsPrice": 0.02,
        "rank": 1,
    },
    {
        "modelId": "68ad85a7463006c963799a03",
        "model": "bge-reranker-v2-m3",
        "name": "BGE Reranker v2 m3",
        "provider": "BAAI",
        "isSystem": True,
        "avatar": "/imgs/model/baai.svg",
        "isActive": False,
        "isCustom": False,
        "type": "rerank",
        "config": {},
        "rank": 3,
    },
)
_PROVIDERS = (
    {
        "provider": "OpenAI",
        "value": {"en": "OpenAI", "zh-CN": "OpenAI", "zh-Hant": "OpenAI"},
        "avatar": "/imgs/model/openai.svg",
    },
    {
        "provider": "BAAI",
        "value": {"en": "BAAI", "zh-CN": "智源", "zh-Hant": "智源"},
        "avatar": "/imgs/model/baai.svg",
    },
)
_DEFAULTS = {"llm": "68ad85a7463006c963799a01", "embedding": "68ad85a7463006c963799a02"}
_KEY_OWNER = {"name": "root", "avatar": "/imgs/avatar/BlueAvatar.svg", "status": "active"}


def _wire(model: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in model.items() if k != "rank"}


def _catalog_data(*, ordered: bool, members: bool) -> dict[str, Any]:
    models = sorted(CATALOG_MODELS, key=lambda m: m["rank"]) if ordered else list(CATALOG_MODELS)
    items = [{**_wire(m), "sourceMember": _KEY_OWNER} if members else _wire(m) for m in models]
    return {"models": items, "providers": list(_PROVIDERS), "defaultModelIds": dict(_DEFAULTS)}


# The content version: a hash of the catalog, as a client would cache it.
_VERSION = hashlib.sha256(json_bytes(_catalog_data(ordered=False, members=False))).hexdigest()[:16]


# `z.enum(["true", "false"])` in a query, or the boolean a JSON body would send.
_FLAG = typed("boolean", lambda v: (v in ("true", "false") and isinstance(v, str)) or isinstance(v, bool))
_CATALOG: Spec = {
    "version": ("nullish", typed("non-blank string", lambda v: isinstance(v, str) and bool(v.strip()))),
    "orderBy": ("nullish", one_of("custom")),
    "includeSourceMember": ("nullish", _FLAG),
}


def _catalog(state: State, params: Params) -> dict[str, Any]:
    validate(params, _CATALOG)
    version, order = params.get("version"), params.get("orderBy")
    members = params.get("includeSourceMember") in ("true", True)
    if version == _VERSION and not members:  # the caller's copy is current
        return {"version": _VERSION}
    return {"version": _VERSION, "data": _catalog_data(ordered=order == "custom", members=members)}


_MODEL_ID = typed(
    "a model id of 1-200 characters", lambda v: isinstance(v, str) and 1 <= len(v.strip()) <= 200
)
_SUMMARY: Spec = {
    "modelIds": ("required", array(_MODEL_ID, least=1, most=100)),
    "appId": ("nullish", object_id),
}


def _summary(state: State, params: Params) -> dict[str, Any]:
    validate(params, _SUMMARY)
    ids = params["modelIds"]
    if params.get("appId") is not None:
        require_app(state, params)
    by_id = {m["modelId"]: m for m in CATALOG_MODELS}
    models = []
    for model_id in ids:
        model = by_id.get(model_id.strip())
        if model is None:
            models.append({"modelId": model_id, "status": "deleted"})
        else:
            status = "active" if model["isActive"] else "disabled"
            models.append(
                {"modelId": model_id, "name": model["name"], "avatar": model["avatar"], "status": status}
            )
    return {"models": models}


ROUTES = (
    Route("/api/core/ai/model/catalog", enveloped(_catalog), since=_SINCE, reads="query"),
    Route("/api/core/ai/model/summary", enveloped(_summary), since=_SINCE, reads="body"),
)
