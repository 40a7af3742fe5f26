"""Every service method has its async twin, and every request model is reachable from a service.

A sync method `x` has `ax` (`iter_x` has `aiter_x`) with the same parameters, names, kinds and
defaults; a request model no service sends is dead weight or a forgotten method.
"""

from __future__ import annotations

import importlib
import inspect
from functools import cached_property
from typing import Any

import pytest

from fastgpt_oapi.client import Client
from fastgpt_oapi.core.model import APIRequest
from fastgpt_oapi.core.service import Service


def services() -> dict[str, type[Service[Any]]]:
    """`client.<name>` -> its service class, for every service a client has."""
    client = Client.builder().api_key("fastgpt-k").build()
    found = {}
    # The services come from a generated base class (`_services.py`): read the whole MRO.
    for name, member in [(n, m) for klass in Client.__mro__ for n, m in vars(klass).items()]:
        if isinstance(member, cached_property):
            service = getattr(client, name)
            if isinstance(service, Service):
                found[name] = type(service)
    return found


def public_methods(cls: type[Any]) -> dict[str, Any]:
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and (inspect.isfunction(member))
    }


def twin_name(name: str) -> str:
    return f"a{name}"


def test_the_client_has_its_services() -> None:
    assert set(services()) >= {"chat", "chat_history", "app_logs", "dataset"}


@pytest.mark.parametrize("area", sorted(services()))
def test_every_sync_method_has_an_async_twin_with_the_same_parameters(area: str) -> None:
    cls = services()[area]
    methods = public_methods(cls)
    sync = [
        n
        for n, m in methods.items()
        if not inspect.iscoroutinefunction(m) and not inspect.isasyncgenfunction(m)
    ]
    asyncs = {n for n in methods if n not in sync}
    paired = set()
    for name in sync:
        twin = twin_name(name)
        if twin not in methods:
            # A sync method may itself start with "a" (`achat` is the twin of `chat`, not a method).
            assert name.startswith("a"), f"{cls.__name__}.{name} has no {twin}"
            assert name[1:] in methods, f"{cls.__name__}.{name} has no {twin}"
            paired.add(name)
            continue
        ours = inspect.signature(methods[name])
        theirs = inspect.signature(methods[twin])
        assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == [
            (p.name, p.kind, p.default) for p in theirs.parameters.values()
        ], f"{cls.__name__}.{name} and {twin} differ in their parameters"
        paired.add(twin)
    assert asyncs <= paired, f"{cls.__name__}: async methods without a sync twin: {asyncs - paired}"


def _requests(base: type[Any]) -> set[type[Any]]:
    found = set()
    for sub in base.__subclasses__():
        if "[" not in sub.__name__:
            found.add(sub)
        found |= _requests(sub)
    return found


def test_every_request_model_is_sent_by_a_service() -> None:
    sources = ""
    for cls in services().values():
        importlib.import_module(cls.__module__.replace(".service", ".model"))
        # The service's own module and the generated one-request methods it inherits (`_calls.py`).
        for base in cls.__mro__:
            if base.__module__.startswith("fastgpt_oapi.api."):
                sources += inspect.getsource(importlib.import_module(base.__module__))
    unsent = sorted(
        r.__name__
        for r in _requests(APIRequest)
        if r.__module__.startswith("fastgpt_oapi.api") and r.__name__ not in sources
    )
    assert unsent == []
