"""The emulator's route table: every endpoint the SDK models is served, whichever area it belongs to.

Split by area, a route can go missing by a module left out of the table; these tests catch that
through `handle()`, the way a client would meet it (a bare 404 instead of FastGPT's answer).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import pytest

from fastgpt_oapi import NotFoundError
from fastgpt_oapi.api.chat_history.model import DeleteRecordRequest
from fastgpt_oapi.core.model import APIRequest, OperationResponse, Route
from fastgpt_oapi.testing import FakeFastGPT
from fastgpt_oapi.testing.routes import TABLE, parse_version

_AREAS = ("chat", "chat_history", "app_logs", "dataset", "ai_model")
_AREA_MODELS = tuple(f"fastgpt_oapi.api.{area}.model" for area in _AREAS)
_ITEM_DELETE = DeleteRecordRequest.route.fallbacks[0][1]  # where FastGPT <= 4.14.10 deletes a record


def _sdk_requests() -> list[type[APIRequest[Any]]]:
    # Importing them here, not by whichever test module happened to load first, keeps the
    # parametrisation the same on every run.
    for area in _AREAS:
        importlib.import_module(f"fastgpt_oapi.api.{area}.model")
    found: list[type[APIRequest[Any]]] = []
    pending = list(APIRequest.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        # Generic parametrisations (APIRequest[X]) carry no route; classes tests define are not the SDK's.
        if getattr(cls, "route", None) is not None and cls.__module__.startswith("fastgpt_oapi."):
            found.append(cls)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


def _served(fake: FakeFastGPT, method: str, path: str) -> bool:
    # Without a key a served path is refused (401); only a path the table lacks answers 404.
    status = fake.handle(method, path, {}, {}, b"").status
    assert status in (401, 404), (method, path, status)
    return status == 401


def test_the_walk_finds_every_areas_requests() -> None:
    modules = {cls.__module__ for cls in _sdk_requests()}
    assert set(_AREA_MODELS) <= modules


@pytest.mark.parametrize("request_type", _sdk_requests(), ids=lambda cls: cls.__name__)
def test_every_sdk_request_path_is_served(request_type: type[APIRequest[Any]]) -> None:
    route = request_type.route
    # Every path of the endpoint, older ones included. The record-delete pair is served one path per
    # setting, so a path counts if either setting serves it.
    for method, path, *_ in ((route.method, route.path), *route.fallbacks):
        served = [_served(FakeFastGPT(legacy_record_delete=legacy), method, path) for legacy in (False, True)]
        assert any(served), f"{request_type.__name__}: {method} {path} is not in the emulator's route table"


@pytest.mark.parametrize(("legacy", "path"), [(False, DeleteRecordRequest.route.path), (True, _ITEM_DELETE)])
def test_record_delete_is_served_at_exactly_one_path(legacy: bool, path: str) -> None:
    fake = FakeFastGPT(legacy_record_delete=legacy)
    served = {p for p in (DeleteRecordRequest.route.path, _ITEM_DELETE) if _served(fake, "DELETE", p)}
    assert served == {path}


def test_record_delete_follows_the_setting_when_changed_later() -> None:
    fake = FakeFastGPT()
    fake.legacy_record_delete = True
    assert _served(fake, "DELETE", _ITEM_DELETE)
    assert not _served(fake, "DELETE", DeleteRecordRequest.route.path)


def test_an_unknown_path_is_a_bare_404() -> None:
    response = FakeFastGPT().handle("POST", "/api/core/nothing/here", {}, {}, b"")
    assert (response.status, response.headers, response.body) == (
        404,
        {"content-type": "text/plain"},
        b"Cannot POST /api/core/nothing/here",
    )


def _just_before(since: str) -> str:
    """The newest version older than `since`, as near as versions go: 4.14.4 -> 4.14.3.999."""
    numbers = list(parse_version(since))
    while numbers[-1] == 0:
        numbers.pop()
    numbers[-1] -= 1
    return ".".join(str(n) for n in (*numbers, 999))


def test_just_before_is_just_before() -> None:
    assert [_just_before(v) for v in ("4.14.4", "4.9.0", "4.18.0", "4.14.10.1")] == [
        "4.14.3.999",
        "4.8.999",
        "4.17.999",
        "4.14.10.0.999",
    ]


@pytest.mark.parametrize(
    ("path", "since"), sorted((path, route.since) for path, route in TABLE.items() if route.since)
)
def test_a_route_is_a_bare_404_on_the_version_before_its_since(path: str, since: str) -> None:
    # So an endpoint's "older server" test need not be written by hand: the SDK meets the bare 404 of a
    # server from before the path existed as NotFoundError, and the path is served from `since` on.
    probe = type("Probe", (APIRequest[OperationResponse],), {"route": Route("POST", path)})()
    with FakeFastGPT(version=_just_before(since)).client(max_retries=0) as old, pytest.raises(NotFoundError):
        old._http.request(probe, None)
    assert _served(FakeFastGPT(version=since), "POST", path)
