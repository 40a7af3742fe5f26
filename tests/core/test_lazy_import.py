"""`import fastgpt_oapi` stays cheap: what loads when, checked in fresh interpreters."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typing_extensions import assert_type

import fastgpt_oapi
from fastgpt_oapi import (
    AnswerEvent,
    AsyncChatStream,
    ChatCompletionRequest,
    ChatMessage,
    ChatStream,
    ListHistoriesRequest,
    ListLogsRequest,
    UpdateFeedbackRequest,
)
from fastgpt_oapi.api.ai_model import model as ai_model_model
from fastgpt_oapi.api.app_logs import model as app_logs_model
from fastgpt_oapi.api.chat import model as chat_model
from fastgpt_oapi.api.chat import stream as chat_stream
from fastgpt_oapi.api.chat_history import model as chat_history_model
from fastgpt_oapi.api.dataset import model as dataset_model

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


def _type_checking_imports(module: str = "__init__") -> dict[str, str]:
    """Name -> module (relative to the package) of each import in `if TYPE_CHECKING:` of __init__.py,
    following its `from ._exports import *` into the generated module's own `if TYPE_CHECKING:`."""
    path = Path(fastgpt_oapi.__file__).with_name(f"{module}.py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    blocks = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
    ]
    assert len(blocks) == 1
    names: dict[str, str] = {}
    for statement in blocks[0].body:
        assert isinstance(statement, ast.ImportFrom), ast.dump(statement)
        assert statement.level == 1, ast.dump(statement)
        for alias in statement.names:
            if alias.name == "*":
                assert statement.module == "_exports", ast.dump(statement)  # the only star: generated
                names.update(_type_checking_imports(statement.module))
            else:
                names[alias.asname or alias.name] = statement.module or ""
    return names


def test_every_public_name_is_imported_for_type_checkers() -> None:
    # A name only module __getattr__ serves is Any to mypy, in users' code too (CONTRIBUTING.md).
    imported = _type_checking_imports()
    assert set(imported) == set(fastgpt_oapi.__all__) - {"__version__"}
    for name, module in imported.items():
        # The import mypy reads names the module the name is served from at run time.
        assert getattr(fastgpt_oapi, name) is getattr(importlib.import_module(f"fastgpt_oapi.{module}"), name)


def test_the_names_most_programs_need_import_from_the_top() -> None:
    top = set(fastgpt_oapi.__all__)
    assert {
        "Client",
        "ChatCompletionRequest",
        "ChatMessage",
        "ChatStream",
        "AsyncChatStream",
        "ChatStreamEvent",
        "AnswerEvent",
    } <= top
    # Every service's request models: `make codegen` lists them in `_exports.py` from the model modules.
    for module in (chat_history_model, app_logs_model, chat_model, ai_model_model, dataset_model):
        requests = {name for name in module.__all__ if name.endswith("Request")}
        assert requests, module
        assert requests <= top, module.__name__
        for name in requests:
            assert getattr(fastgpt_oapi, name) is getattr(module, name)
    assert fastgpt_oapi.ChatStream is chat_stream.ChatStream
    assert fastgpt_oapi.ChatStreamEvent is chat_model.ChatStreamEvent
    # mypy checks this file (strict): assert_type fails if a top-level name were Any to it.
    assert_type(ChatCompletionRequest(messages=[ChatMessage.user("hi")]), ChatCompletionRequest)
    assert_type(ListHistoriesRequest(), ListHistoriesRequest)
    assert_type(UpdateFeedbackRequest.like("c1", "d1"), UpdateFeedbackRequest)
    assert_type(fastgpt_oapi.ListLogsRequest, type[ListLogsRequest])
    assert_type(fastgpt_oapi.ChatStream, type[ChatStream])
    assert_type(fastgpt_oapi.AsyncChatStream, type[AsyncChatStream])
    assert_type(fastgpt_oapi.AnswerEvent, type[AnswerEvent])


@pytest.mark.system  # a fresh interpreter
def test_top_level_models_load_only_their_own_module() -> None:
    code = (
        "import sys, fastgpt_oapi\n"
        "fastgpt_oapi.ListHistoriesRequest\n"
        "print(sorted(m for m in sys.modules if m.startswith('fastgpt_oapi.api.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(ast.literal_eval(done.stdout))
    assert "fastgpt_oapi.api.chat_history.model" in loaded
    assert not {"fastgpt_oapi.api.chat.stream", "fastgpt_oapi.api.chat_history.service"} & loaded


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
