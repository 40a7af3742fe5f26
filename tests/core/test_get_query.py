"""A GET has no body: every field of its request goes in the query, whether `Route(query=...)` names
them or not, so no field of a GET is dropped on the way."""

from __future__ import annotations

import httpx
import pytest
from conftest import APP_ID, envelope, make_client
from http_support import Wire, query_of, run

from fastgpt_oapi.core.model import APIRequest, OperationResponse, Route


class LookupRequest(APIRequest[OperationResponse]):
    """A GET declared without `query`, with a default-filled `app_id` and a renamed field."""

    route = Route("GET", "/api/test/lookup")

    app_id: str | None = None
    collection_id: str
    page_size: int | None = None


def test_a_get_route_names_every_field_of_its_request() -> None:
    assert LookupRequest.route.query == {"app_id", "collection_id", "page_size"}


async def test_a_get_sends_every_field_in_the_query_and_no_body(io_mode: str) -> None:
    recorder = Wire(lambda request: httpx.Response(200, json=envelope()))
    client = make_client(recorder)
    request = LookupRequest(collection_id="c1", page_size=5)

    await run(
        io_mode, lambda: client._http.request(request, None), lambda: client._http.arequest(request, None)
    )

    sent = recorder.last
    assert sent.method == "GET"
    assert query_of(sent) == {"appId": APP_ID, "collectionId": "c1", "pageSize": "5"}
    assert sent.content == b""


def test_a_get_that_names_only_some_fields_in_its_query_is_refused_when_declared() -> None:
    with pytest.raises(TypeError, match=r"PartialRequest: a GET sends every field in its query; not \['b'\]"):

        class PartialRequest(APIRequest[OperationResponse]):
            route = Route("GET", "/api/test/partial", query=frozenset({"a"}))

            a: str
            b: str | None = None
