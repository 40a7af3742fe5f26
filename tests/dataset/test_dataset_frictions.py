"""Issue 20's dataset points: chunk settings that FastGPT ignores in "auto" mode are refused before
sending, and `q` on search results, quotes and data items is a `str` ("" when absent or null), in lax
and strict clients alike."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import envelope, make_client
from http_support import run

from fastgpt_oapi import RequestValidationError
from fastgpt_oapi.api.dataset.model import (
    CreateTextCollectionRequest,
    DataListItem,
    ListDataRequest,
    SearchResult,
    SearchTestRequest,
)
from fastgpt_oapi.api.shared.model import QuoteItem

DATASET = "6593e137231a2be9c5603ba7"
COLLECTION = "6593e137231a2be9c5603bb1"


@pytest.mark.parametrize(
    "setting",
    [
        {"chunk_size": 100},
        {"chunk_split_mode": "size"},
        {"chunk_splitter": "\n"},
        {"index_size": 128},
        {"paragraph_chunk_deep": 2},
        {"paragraph_chunk_min_size": 50},
        {"paragraph_chunk_ai_mode": "forbid"},
    ],
)
@pytest.mark.parametrize("mode", [None, "auto"])
def test_chunk_settings_outside_custom_mode_are_refused(setting: dict[str, Any], mode: str | None) -> None:
    extra: dict[str, Any] = {} if mode is None else {"chunk_setting_mode": mode}
    with pytest.raises(RequestValidationError) as caught:
        CreateTextCollectionRequest(dataset_id=DATASET, name="n", text="t", **extra, **setting)
    (name,) = setting
    assert caught.value.field == name
    assert 'chunk_setting_mode="custom"' in str(caught.value)


def test_chunk_settings_in_custom_mode_are_kept() -> None:
    request = CreateTextCollectionRequest(
        dataset_id=DATASET, name="n", text="t", chunk_setting_mode="custom", chunk_size=100, index_size=128
    )
    assert (request.chunk_size, request.index_size) == (100, 128)
    with pytest.raises(
        ValueError, match="chunk_setting_mode"
    ):  # an assignment is checked too (pydantic's own error there)
        CreateTextCollectionRequest(dataset_id=DATASET, name="n", text="t").chunk_size = 100


def test_q_is_a_string_where_fastgpt_sends_one_or_null() -> None:
    for model in (SearchResult, QuoteItem, DataListItem):
        assert model.model_validate({"q": None}).q == ""
        assert model.model_validate({}).q == ""
        assert model.model_validate({"q": "x"}).q == "x"


@pytest.mark.parametrize("strict", [False, True])
async def test_a_null_q_reads_as_empty_without_drift(io_mode: str, strict: bool) -> None:
    hit = {"id": "d1", "q": None, "a": "", "score": [{"type": "embedding", "value": 0.5, "index": 0}]}
    search = {"list": [hit], "duration": "0.1s", "searchMode": "embedding", "limit": 5000}
    page = {"list": [{"_id": "d1", "q": None, "chunkIndex": 0}], "total": 1}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=envelope(search if "searchTest" in request.url.path else page))

    client = make_client(answer, strict_responses=strict)
    service = client.dataset
    query = SearchTestRequest(dataset_id=DATASET, text="q")
    found = await run(io_mode, lambda: service.search_test(query), lambda: service.asearch_test(query))
    listing = ListDataRequest(collection_id=COLLECTION)
    data = await run(io_mode, lambda: service.list_data(listing), lambda: service.alist_data(listing))
    assert found.list[0].q == ""
    assert data.list[0].q == ""
    assert found.list[0].unparsed == {}
    assert data.list[0].unparsed == {}
