"""`docs/coverage.md` and the SDK agree: the table is read, not trusted.

- every (method, path) the SDK can send (each request model's route and its fallbacks) has a row;
- every method a row names exists on its service, with its async twin, and sends to that row's path
  (its request model's route, or one of the service's internal requests: an upload's second step);
- each row's since-version is where the emulator starts serving the path, and each older path's
  "served until" is where the emulator stops; "emulator: yes" means the newest emulator serves it.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fastgpt_oapi.core.model import APIRequest
from fastgpt_oapi.testing import FakeFastGPT
from fastgpt_oapi.testing.fake import LATEST_VERSION
from fastgpt_oapi.testing.routes import TABLE, parse_version

PAGE = Path(__file__).resolve().parents[1] / "docs" / "coverage.md"
SERVICES = ("chat", "chat_history", "app_logs", "dataset", "ai_model")


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    methods: tuple[str, ...]  # "service.method"
    since: str | None
    until: str | None  # older paths only; None: still served
    emulated: bool
    older: bool


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def rows(text: str | None = None) -> list[Row]:
    text = PAGE.read_text(encoding="utf-8") if text is None else text
    found: list[Row] = []
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = _cells(line)
        if not header:
            header = cells
            continue
        if set(line) <= set("|-: "):
            continue
        row = dict(zip(header, cells, strict=True))
        path = row.get("path") or row.get("older path")
        if path is None or "method" not in row:
            continue  # the "not covered yet" table names no method
        names = tuple(re.findall(r"`([a-z_]+\.[a-z_0-9]+)`", row.get("SDK") or row.get("for", "")))
        until = row.get("served until", "")
        found.append(
            Row(
                method=row["method"],
                path=path.strip("`"),
                methods=names,
                since=None if row.get("since", "—") == "—" else row["since"],
                until=until if re.fullmatch(r"[0-9.]+", until) else None,
                emulated=row.get("emulator", "yes") == "yes",
                older="older path" in row,
            )
        )
    return found


def _request_models() -> list[type[APIRequest[Any]]]:
    for area in SERVICES:
        importlib.import_module(f"fastgpt_oapi.api.{area}.model")

    def walk(base: type[Any]) -> list[type[Any]]:
        return [c for sub in base.__subclasses__() for c in (sub, *walk(sub))]

    return [
        cls for cls in walk(APIRequest) if "route" in vars(cls) and cls.__module__.startswith("fastgpt_oapi.")
    ]


def _routes(cls: type[APIRequest[Any]]) -> set[tuple[str, str]]:
    route = cls.route
    return {(route.method, route.path), *((f[0], f[1]) for f in route.fallbacks)}


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    client = FakeFastGPT().client()
    return {area: getattr(client, area) for area in SERVICES}


def test_the_page_has_every_operation_row_it_should() -> None:
    table = rows()
    assert len([r for r in table if not r.older]) >= 56
    assert len({(r.method, r.path) for r in table if not r.older}) == len([r for r in table if not r.older])


def test_every_route_the_sdk_sends_has_a_row() -> None:
    listed = {(r.method, r.path) for r in rows()}
    missing = sorted(
        f"{cls.__name__}: {m} {p}"
        for cls in _request_models()
        for m, p in _routes(cls)
        if (m, p) not in listed
    )
    assert missing == []


def test_every_method_a_row_names_exists_and_sends_to_that_path(services: dict[str, Any]) -> None:
    models = _request_models()
    named = {name for cls in models for name in _names_in_services(services, cls)}
    internal = {cls for cls in models if not _names_in_services(services, cls)}
    problems = []
    for row in rows():
        assert row.methods, f"{row.path}: no SDK method named"
        for name in row.methods:
            area, method = name.split(".")
            service = services[area]
            if not hasattr(service, method) or not hasattr(service, f"a{method}"):
                problems.append(f"{row.path}: {name} or its async twin is missing")
                continue
            request = inspect.signature(getattr(type(service), method), eval_str=True).parameters["request"]
            reach = _routes(request.annotation) | {
                r for cls in internal if cls.__module__ == request.annotation.__module__ for r in _routes(cls)
            }
            if (row.method, row.path) not in reach:
                problems.append(f"{row.method} {row.path}: {name} sends to {sorted(reach)}")
    assert problems == []
    assert named  # the services were read


def _names_in_services(services: dict[str, Any], cls: type[Any]) -> set[str]:
    return _request_parameters(tuple(services.items())).get(cls, set())


@functools.cache
def _request_parameters(services: tuple[tuple[str, Any], ...]) -> dict[type[Any], set[str]]:
    """Each request model -> the public service methods taking it as `request` (the signatures read once)."""
    taking: dict[type[Any], set[str]] = {}
    for area, service in services:
        for method, function in inspect.getmembers(type(service), inspect.isfunction):
            if method.startswith("_"):
                continue
            parameters = inspect.signature(function, eval_str=True).parameters
            if "request" in parameters:
                taking.setdefault(parameters["request"].annotation, set()).add(f"{area}.{method}")
    return taking


def version_problems(table: list[Row]) -> list[str]:
    problems = []
    for row in table:
        route = TABLE.get(row.path)
        if route is None:
            problems.append(f"{row.path}: the emulator has no route")
            continue
        if not row.older and row.since != route.since:
            problems.append(f"{row.path}: since {row.since} here, {route.since} in the emulator")
        if row.older and row.until != route.until:
            problems.append(f"{row.path}: served until {row.until} here, {route.until} in the emulator")
        if row.emulated and not row.older and not route.served(parse_version(LATEST_VERSION)):
            problems.append(f"{row.path}: the newest emulator does not serve it")
    return problems


def test_since_and_until_are_where_the_emulator_starts_and_stops_serving() -> None:
    assert version_problems(rows()) == []


def test_the_checks_see_a_wrong_row() -> None:
    """The checks above can fail: a renamed path and a wrong since-version are both caught."""
    text = PAGE.read_text(encoding="utf-8")
    renamed = rows(text.replace("`/api/v2/chat/stop`", "`/api/v2/chat/halt`"))
    assert ("POST", "/api/v2/chat/stop") not in {(r.method, r.path) for r in renamed}
    assert version_problems(renamed) == ["/api/v2/chat/halt: the emulator has no route"]
    stop = "| `/api/v2/chat/stop` | yes | `chat.stop_chat` | 4.14.5 |"
    assert stop in text
    moved = rows(text.replace(stop, stop.replace("4.14.5", "4.14.6")))
    assert version_problems(moved) == ["/api/v2/chat/stop: since 4.14.6 here, 4.14.5 in the emulator"]
