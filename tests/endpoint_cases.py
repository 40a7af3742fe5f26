"""The endpoint table: a one-request endpoint's wire test is one `Case` row, run by one runner.

Each service's `tests/<service>/test_<service>_endpoints.py` keeps its rows in `CASES` and runs them with

    @table(CASES)
    async def test_wire(case: Case, way: str) -> None:
        await check(case, way)

Every row runs three ways: the sync method, its async twin, and both through
`client.<service>.with_raw_response` (status 200, and `parse()` equal to what the method returns). Each
way asserts the whole request on the wire, exactly (method, path, query, JSON body), that one request
was sent per call, that the answer is the model the method's return annotation names, and that the
row's path is the request model's `Route` path or one of its fallbacks; then the row's `expect`.

A test that checks more than one answer to one request (fallbacks, retries, validation, paging,
special parsing) stays a test of its own beside the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_type_hints

import httpx
import pytest
from conftest import envelope, fixture_json, make_client
from http_support import Wire, body_of, query_of, run
from pydantic import BaseModel

from fastgpt_oapi.core.model import APIRequest

__all__ = ["WAYS", "Case", "Fixture", "check", "pick", "sent", "table"]

# (method, path, query, body): the body is the decoded JSON, or None when nothing was sent.
Sent = tuple[str, str, dict[str, str], Any]

WAYS = ("sync", "async", "raw")


@dataclass(frozen=True)
class Fixture:
    """An answer read from `tests/fixtures/<name>`, sent as it is (the envelope is in the file)."""

    name: str


@dataclass(frozen=True)
class Case:
    """One request to one endpoint, and what must go over the wire and come back.

    - `call`: `"<service>.<method>"`, the sync method; its `a` twin and raw view are derived.
    - `request`: the request model instance passed to it.
    - `sent`: `"METHOD /path"`, with `query` (the query string's names and values) and `body` (the JSON
      body, None for none): exactly what the server must see.
    - `answer`: the envelope's `data` (wrapped in FastGPT's success envelope), or a `Fixture`.
    - `expect`: left out, a written `answer` must come back from the parsed answer (dumped by wire
      name, unset fields left out) with every key a field of its model (nothing in `model_extra` or
      `unparsed`); or attribute paths of the parsed answer to their values (`"list.0.chat_id"`: a number
      indexes, `#` is the length), or a callable that asserts on the answer itself.
    - `headers`: response headers (`x-request-id` for an `OperationResponse`).
    - `name`: the test id; the method's name when empty (give one when a method has several rows).
    """

    call: str
    request: APIRequest[Any]
    sent: str
    query: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    answer: Any = None
    expect: Mapping[str, Any] | Callable[[Any], object] | None = None
    headers: Mapping[str, str] | None = None
    name: str = ""

    @property
    def wire(self) -> Sent:
        method, path = self.sent.split(" ")
        return method, path, dict(self.query), self.body

    @property
    def id(self) -> str:
        return self.name or self.call.split(".", 1)[1]


def table(cases: Sequence[Case]) -> pytest.MarkDecorator:
    """Parametrize `(case, way)` over every row and every way, with ids like `get_x-sync`."""
    ids = [case.id for case in cases]
    assert ids, "an empty table runs nothing"
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicated, f"two rows share an id: {duplicated}; give them names"
    rows = [pytest.param(case, way, id=f"{case.id}-{way}") for case in cases for way in WAYS]
    return pytest.mark.parametrize(("case", "way"), rows)


def sent(request: httpx.Request) -> Sent:
    return request.method, request.url.path, query_of(request), body_of(request)


def pick(value: Any, path: str) -> Any:
    """`pick(page, "list.0.chat_id")` is `page.list[0].chat_id`; `pick(page, "list.#")` is `len(page.list)`."""
    for part in path.split("."):
        value = len(value) if part == "#" else value[int(part)] if part.isdigit() else getattr(value, part)
    return value


def _wire(case: Case) -> Wire:
    body = fixture_json(case.answer.name) if isinstance(case.answer, Fixture) else envelope(case.answer)
    headers = dict(case.headers or {})
    return Wire(lambda request: httpx.Response(200, json=body, headers=headers))


def _paths(request: APIRequest[Any]) -> set[tuple[str, str]]:
    route = type(request).route
    return {(route.method, route.path), *((method, path) for method, path, *_ in route.fallbacks)}


async def check(case: Case, way: str) -> None:
    """Send `case.request` the `way` given and assert everything the row says, and the generic rest."""
    area, method = case.call.split(".")
    assert tuple(case.sent.split(" ")) in _paths(case.request), "the row's path is not the request's route"
    wire = _wire(case)
    service = getattr(make_client(wire), area)
    sync, async_ = getattr(service, method), getattr(service, f"a{method}")
    if way == "raw":
        view = service.with_raw_response
        raws = [getattr(view, method)(case.request), await getattr(view, f"a{method}")(case.request)]
        assert [raw.status_code for raw in raws] == [200, 200]
        result = sync(case.request)
        assert [raw.parse() for raw in raws] == [result, result]
        calls = 3
    else:
        result = await run(way, lambda: sync(case.request), lambda: async_(case.request))
        calls = 1
    assert [sent(request) for request in wire.requests] == [case.wire] * calls
    assert type(result) is get_type_hints(getattr(type(service), method))["return"]
    if case.expect is None and isinstance(case.answer, (dict, list)):
        assert result.model_dump(mode="json", by_alias=True, exclude_unset=True) == case.answer
        assert not list(_unknown(result)), "keys the models do not know"
    elif case.expect is None:
        pass  # no data (an `OperationResponse`), or a recording with more than the models know
    elif callable(case.expect):
        case.expect(result)
    else:
        assert {path: pick(result, path) for path in case.expect} == dict(case.expect)


def _unknown(value: Any) -> Iterator[str]:
    """The keys of an answer that no field of its models took, anywhere in it."""
    if isinstance(value, BaseModel):
        yield from (value.model_extra or {})
        yield from getattr(value, "unparsed", {})
        for name in type(value).model_fields:
            yield from _unknown(getattr(value, name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _unknown(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _unknown(item)
