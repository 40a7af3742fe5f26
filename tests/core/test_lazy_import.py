"""`import fastgpt_oapi` stays cheap: what loads when, checked in fresh interpreters."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import fastgpt_oapi

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys

def loaded(*names):
    return {name: name in sys.modules for name in names}

WATCH = ("httpx", "pydantic", "fastgpt_oapi.client", "fastgpt_oapi.core.http",
         "fastgpt_oapi.core.config", "fastgpt_oapi.core.errors", "fastgpt_oapi.api.chat.model",
         "fastgpt_oapi.api.chat.service")
steps = {}
import fastgpt_oapi
steps["import"] = loaded(*WATCH)
fastgpt_oapi.APIStatusError
steps["errors"] = loaded(*WATCH)
fastgpt_oapi.Client
steps["client"] = loaded(*WATCH)
client = fastgpt_oapi.Client.builder().build()
steps["built"] = loaded(*WATCH)
client.chat
steps["service"] = loaded(*WATCH)
print(json.dumps(steps))
"""


def _probe() -> dict[str, dict[str, bool]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    steps: dict[str, dict[str, bool]] = json.loads(done.stdout)
    return steps


@pytest.mark.system  # a fresh interpreter
def test_what_loads_when() -> None:
    steps = _probe()
    assert not any(steps["import"].values()), steps["import"]  # nothing heavy, no SDK module
    # the exceptions are cheap: catching FastGPT errors loads neither httpx nor pydantic
    assert steps["errors"]["fastgpt_oapi.core.errors"]
    assert not steps["errors"]["httpx"]
    assert not steps["errors"]["pydantic"]
    # the client brings the HTTP layer, but no service or model yet
    assert steps["client"]["httpx"]
    assert steps["client"]["fastgpt_oapi.core.http"]
    assert not steps["built"]["fastgpt_oapi.api.chat.model"]
    assert not steps["built"]["fastgpt_oapi.api.chat.service"]
    # a service loads with its first use
    assert steps["service"]["fastgpt_oapi.api.chat.service"]
    assert steps["service"]["fastgpt_oapi.api.chat.model"]


def test_every_public_name_resolves() -> None:
    for name in fastgpt_oapi.__all__:
        assert getattr(fastgpt_oapi, name) is not None
    assert set(dir(fastgpt_oapi)) >= set(fastgpt_oapi.__all__)
    namespace: dict[str, object] = {}
    exec("from fastgpt_oapi import *", namespace)
    assert set(fastgpt_oapi.__all__) <= set(namespace)


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        fastgpt_oapi.NoSuchThing  # noqa: B018


def test_public_exceptions_are_the_core_ones() -> None:
    from fastgpt_oapi.core import errors

    for name in fastgpt_oapi.__all__:
        if name.endswith("Error"):
            assert getattr(fastgpt_oapi, name) is getattr(errors, name)


@pytest.mark.system  # a fresh interpreter
def test_building_a_client_loads_no_pydantic_model() -> None:
    # The import-time benchmark (bench/imports.py) counts on it: pydantic.main, the bulk of
    # pydantic's import cost, loads with the first service used, not with the client.
    code = (
        "import sys, fastgpt_oapi\n"
        "client = fastgpt_oapi.Client.builder().base_url('http://localhost:3000').api_key('fastgpt-k').build()\n"
        "print('pydantic.main' in sys.modules)\n"
        "client.chat\n"
        "print('pydantic.main' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["False", "True"]
