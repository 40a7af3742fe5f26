"""FastGPT's dataset errors, through dataset calls, to their exception classes.

The codes are `DatasetErrEnum`'s (`packages/global/common/error/code/dataset.ts` at
f88b51b5c1e4987a2b917358339db1aa02bbc292): code 501000 + the error's position in that file's list.
FastGPT gives them no HTTP status of their own, so they arrive with HTTP 500 (`resolveHttpStatusForApiError`,
`packages/service/common/response/index.ts`); the class follows the statusText, or the code alone.
The table is written out here by hand, not taken from the SDK.
"""

from __future__ import annotations

import httpx
import pytest
from conftest import make_client
from http_support import Wire, run

from fastgpt_oapi import (
    APIStatusError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from fastgpt_oapi.api.dataset.model import GetDatasetRequest, PushDataRequest

DATASET = "6593e137231a2be9c5603ba7"

# (statusText, code, class, FastGPT's English for it)
DATASET_ERRORS = [
    ("sameApiCollection", 501000, ConflictError, "The same API collection already exists"),
    ("notSupportSync", 501001, BadRequestError, "This collection does not support synchronization"),
    ("unExistDataset", 501002, NotFoundError, "The knowledge base does not exist"),
    ("unExistCollection", 501003, NotFoundError, "The collection does not exist"),
    ("unAuthDataset", 501004, PermissionDeniedError, "Unauthorized to operate this dataset"),
    (
        "unAuthDatasetCollection",
        501005,
        PermissionDeniedError,
        "Unauthorized to operate this dataset collection",
    ),
    ("unAuthDatasetData", 501006, PermissionDeniedError, "Unauthorized to operate this dataset data"),
    ("unAuthDatasetFile", 501007, PermissionDeniedError, "Knowledge base file authentication failed"),
    ("unCreateCollection", 501008, PermissionDeniedError, "Unauthorized to create dataset collection"),
    (
        "unLinkCollection",
        501009,
        PermissionDeniedError,
        "Unauthorized to operate this external dataset collection",
    ),
    ("invalidVectorModelOrQAModel", 501010, BadRequestError, "Invalid index model or QA model"),
    ("canNotEditAdminPermission", 501011, PermissionDeniedError, None),
    ("noApiServer", 501012, BadRequestError, "API server does not exist"),
]


def answering(status: int, body: object) -> Wire:
    return Wire(lambda request: httpx.Response(status, json=body))


async def get_dataset(wire: Wire, mode: str) -> object:
    service = make_client(wire, max_retries=0).dataset
    request = GetDatasetRequest(id=DATASET)
    return await run(mode, lambda: service.get_dataset(request), lambda: service.aget_dataset(request))


@pytest.mark.parametrize(
    ("status_text", "code", "expected", "english"), DATASET_ERRORS, ids=[e[0] for e in DATASET_ERRORS]
)
async def test_dataset_errors_map_by_status_text(
    io_mode: str, status_text: str, code: int, expected: type[APIStatusError], english: str | None
) -> None:
    body = {"code": code, "statusText": status_text, "message": f"common:x.{status_text}", "data": None}
    with pytest.raises(APIStatusError) as caught:
        await get_dataset(answering(500, body), io_mode)
    assert type(caught.value) is expected
    assert (caught.value.code, caught.value.status_text, caught.value.http_status) == (code, status_text, 500)
    if english is not None:
        assert str(caught.value).startswith(english)


@pytest.mark.parametrize(
    ("code", "expected"), [(e[1], e[2]) for e in DATASET_ERRORS], ids=[e[0] for e in DATASET_ERRORS]
)
async def test_dataset_errors_map_by_code_alone(
    io_mode: str, code: int, expected: type[APIStatusError]
) -> None:
    with pytest.raises(APIStatusError) as caught:
        await get_dataset(
            answering(500, {"code": code, "statusText": "", "message": "x", "data": None}), io_mode
        )
    assert type(caught.value) is expected


async def test_a_missing_dataset_is_not_found(io_mode: str) -> None:
    body = {
        "code": 501002,
        "statusText": "unExistDataset",
        "message": "common:core.dataset.error.unExistDataset",
        "data": None,
    }
    with pytest.raises(NotFoundError) as caught:
        await get_dataset(answering(500, body), io_mode)
    assert caught.value.status_code == 404
    assert str(caught.value) == "The knowledge base does not exist (unExistDataset, code 501002, HTTP 500)"


async def test_a_path_the_server_does_not_have_is_a_bare_404(io_mode: str) -> None:
    # An open-source server asked for a commercial-only path, or an older one for a newer path: the
    # route does not exist (no envelope), nothing ran, and there is no older path to try.
    wire = Wire(lambda request: httpx.Response(404, text="Cannot POST /api/core/dataset/data/pushData"))
    service = make_client(wire).dataset
    request = PushDataRequest(collection_id=DATASET, data=[{"q": "x"}])
    with pytest.raises(NotFoundError) as caught:
        await run(io_mode, lambda: service.push_data(request), lambda: service.apush_data(request))
    assert caught.value.http_status == 404
    assert len(wire.requests) == 1
