"""Invalid requests fail before anything is sent, naming the field; builders are typed and up to date."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    APP_ID,
    COMPLETION_OK,
    PingRequest,
    ScriptedServer,
    chat_request,
    complete,
    envelope,
    make_client,
    ping,
    reply,
)
from typing_extensions import assert_type

from fastgpt_oapi import FastGPTError, RequestOption, RequestValidationError
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatCompletionRequestBuilder, ChatMessage
from fastgpt_oapi.core.options import RequestOptionBuilder

ROOT = Path(__file__).resolve().parents[2]
HI: list[ChatMessage | dict[str, Any]] = [ChatMessage.user("hi")]


# ---- direct construction ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"messages": [{"role": "tool", "content": "42"}]}, "messages"),  # a tool message needs tool_call_id
        ({"messages": [{"role": "system"}]}, "messages"),  # content is required for system
        ({"messages": "hi"}, "messages"),  # wrong type
        ({"messages": HI, "chat_id": 42}, "chat_id"),
        ({"messages": HI, "chat_id": ""}, "chat_id"),
        ({"messages": HI, "detail": "very"}, "detail"),
        ({"messages": HI, "variables": ["not", "a", "mapping"]}, "variables"),
        ({"messages": HI, "app_id": "not-an-app-id"}, "app_id"),  # malformed appId
        ({"messages": HI, "app_id": APP_ID[:-1]}, "app_id"),
        ({"messages": HI, "response_chat_item_id": "x" * 1025}, "response_chat_item_id"),
        ({"messages": HI, "stream": True}, "stream"),  # the SDK sets stream from the method called
    ],
)
def test_an_invalid_request_names_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field) as caught:
        ChatCompletionRequest(**fields)
    # The constructor fails like the builder: one FastGPTError naming the Python field.
    assert isinstance(caught.value, RequestValidationError)
    assert isinstance(caught.value, FastGPTError)
    assert caught.value.field == field  # the Python name, not the wire alias


def test_wire_names_are_accepted_too() -> None:
    request = ChatCompletionRequest.model_validate(
        {"messages": [{"role": "user", "content": "hi"}], "chatId": "c1", "responseChatItemId": "d1"}
    )
    assert (request.chat_id, request.response_chat_item_id) == ("c1", "d1")


def test_assignment_is_validated() -> None:
    request = chat_request()
    with pytest.raises(ValueError, match="app_id"):
        request.app_id = "nope"


# ---- builders ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: ChatCompletionRequest.builder().messages([{"role": "function"}]).build(), "messages"),
        (
            lambda: (
                ChatCompletionRequest.builder()
                .messages([{"role": "user", "content": "x", "tool_call_id": "c1"}])
                .build()
            ),
            "messages",
        ),
        (lambda: ChatCompletionRequest.builder().messages(HI).app_id("12345").build(), "app_id"),
        (lambda: ChatCompletionRequest.builder().messages(HI).chat_id("").build(), "chat_id"),
        (lambda: ChatCompletionRequest.builder().messages(HI).custom_uid("u" * 1025).build(), "custom_uid"),
        (
            lambda: ChatCompletionRequest.builder().messages(HI).response_chat_item_id("").build(),
            "response_chat_item_id",
        ),
        (lambda: RequestOption.builder().timeout(0).build(), "timeout"),
        (lambda: RequestOption.builder().connect_timeout(-1.0).build(), "connect_timeout"),
        (lambda: RequestOption.builder().max_retries(-1).build(), "max_retries"),
        (lambda: RequestOption.builder().api_key("").build(), "api_key"),
    ],
)
def test_builder_errors_name_the_python_field(build: Any, field: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        build()
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == field
    assert f".{field}" in str(caught.value)


def test_builders_build_what_the_constructor_builds() -> None:
    built = (
        ChatCompletionRequest.builder()
        .messages([ChatMessage.user("hi"), {"role": "user", "content": "again"}])
        .chat_id("c1")
        .app_id(APP_ID)
        .variables({"name": "n"})
        .detail(True)
        .response_chat_item_id("d1")
        .custom_uid("u1")
        .metadata({"k": 1})
        .retain_dataset_cite(False)
        .build()
    )
    direct = ChatCompletionRequest(
        messages=[ChatMessage.user("hi"), ChatMessage.user("again")],
        chat_id="c1",
        app_id=APP_ID,
        variables={"name": "n"},
        detail=True,
        response_chat_item_id="d1",
        custom_uid="u1",
        metadata={"k": 1},
        retain_dataset_cite=False,
    )
    assert built == direct
    option = (
        RequestOption.builder().api_key("k").headers({"X": "1"}).timeout(3).connect_timeout(1).max_retries(0)
    )
    assert option.build() == RequestOption(
        api_key="k", headers={"X": "1"}, timeout=3, connect_timeout=1, max_retries=0
    )


def test_builder_setters_are_statically_typed() -> None:
    # mypy checks this file (strict): assert_type fails if a setter returned Any ...
    builder = ChatCompletionRequest.builder()
    assert_type(builder, ChatCompletionRequestBuilder)
    assert_type(builder.messages(HI).chat_id("c1").detail(True), ChatCompletionRequestBuilder)
    assert_type(builder.build(), ChatCompletionRequest)
    assert_type(RequestOption.builder().max_retries(1), RequestOptionBuilder)
    assert_type(RequestOption.builder().build(), RequestOption)
    assert builder.build().chat_id == "c1"


def _rejected_by_mypy() -> None:
    # ... and, with warn_unused_ignores, each ignore below fails mypy if the wrong type were accepted
    ChatCompletionRequest.builder().chat_id(42)  # type: ignore[arg-type]
    ChatCompletionRequest.builder().detail("yes")  # type: ignore[arg-type]
    ChatCompletionRequest.builder().messages("hi")  # type: ignore[arg-type]
    ChatCompletionRequest.builder().no_such_field(1)  # type: ignore[attr-defined]
    RequestOption.builder().timeout("fast")  # type: ignore[arg-type]
    RequestOption.builder().headers(["X"])  # type: ignore[arg-type]


CODEGEN = ["tools/codegen.py"]  # what `make codegen` runs, from the repository root

BUILDER_MODULES = (
    "fastgpt_oapi.core.options",
    "fastgpt_oapi.api.chat.model",
    "fastgpt_oapi.api.chat_history.model",
    "fastgpt_oapi.api.app_logs.model",
    "fastgpt_oapi.api.dataset.model",
    "fastgpt_oapi.api.ai_model.model",
)


def _codegen(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH: in a copied tree the generator must import the copy's models, not the installed ones.
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, *CODEGEN, *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.system  # runs the generator in a fresh interpreter
def test_generated_builders_are_up_to_date() -> None:
    done = _codegen("--check")
    assert done.returncode == 0, done.stderr


@pytest.mark.system  # copies the tree and runs the generator three times
def test_codegen_check_fails_on_a_stale_or_missing_file(tmp_path: Path) -> None:
    # A copy of the tree, so the tracked files are never touched.
    shutil.copytree(
        ROOT / "fastgpt_oapi", tmp_path / "fastgpt_oapi", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / "tools").mkdir()
    shutil.copy(ROOT / "tools" / "codegen.py", tmp_path / "tools")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)  # the ruff settings the output is formatted with
    chat = tmp_path / "fastgpt_oapi" / "api" / "chat" / "_builders.py"
    chat.write_text(
        chat.read_text(encoding="utf-8").replace("        return self\n", "", 1), encoding="utf-8"
    )
    (tmp_path / "fastgpt_oapi" / "core" / "_builders.py").unlink()
    (tmp_path / "fastgpt_oapi" / "api" / "ai_model" / "_calls.py").unlink()

    done = _codegen("--check", root=tmp_path)
    assert done.returncode == 1
    assert "fastgpt_oapi/api/chat/_builders.py" in done.stderr
    assert "fastgpt_oapi/core/_builders.py" in done.stderr
    assert "fastgpt_oapi/api/ai_model/_calls.py" in done.stderr
    assert "chat_history" not in done.stderr
    assert not (tmp_path / "fastgpt_oapi" / "core" / "_builders.py").exists()  # --check writes nothing

    # Regenerating restores exactly the checked-in text.
    assert _codegen(root=tmp_path).returncode == 0
    for name in ("api/chat/_builders.py", "core/_builders.py", "api/ai_model/_calls.py"):
        assert (tmp_path / "fastgpt_oapi" / name).read_bytes() == (ROOT / "fastgpt_oapi" / name).read_bytes()
    assert _codegen("--check", root=tmp_path).returncode == 0


def test_generated_files_say_they_are_generated() -> None:
    paths = [ROOT / Path(*name.split(".")).with_name("_builders.py") for name in BUILDER_MODULES]
    # The generator never deletes a file, so a module dropped from it would leave a stale one behind.
    assert sorted(paths) == sorted(ROOT.glob("fastgpt_oapi/**/_builders.py"))
    services = [ROOT / Path(*name.split(".")).parent for name in BUILDER_MODULES if ".api." in name]
    for kind in ("_calls.py", "_raw.py"):  # a service's one-request methods, and its raw view
        assert sorted(p / kind for p in services) == sorted(ROOT.glob(f"fastgpt_oapi/**/{kind}"))
        paths += [p / kind for p in services]
    paths.append(ROOT / "fastgpt_oapi" / "_exports.py")  # the root's exceptions and request models
    paths.append(ROOT / "fastgpt_oapi" / "_services.py")  # the client's service properties
    for path in paths:
        assert path.read_text(encoding="utf-8").startswith("# Generated by tools/codegen.py"), path


def test_builder_names_resolve_where_they_always_have() -> None:
    for name in BUILDER_MODULES:
        module = importlib.import_module(name)
        builders = importlib.import_module(f"{module.__package__}._builders")
        exported = {n for n in module.__all__ if n.endswith("Builder")}
        assert exported == set(builders.__all__), name
        for builder_name in exported:
            builder = getattr(module, builder_name)
            assert builder is getattr(builders, builder_name)
            model = getattr(module, builder_name.removesuffix("Builder"))
            assert type(model.builder()) is builder
        namespace: dict[str, object] = {}
        exec(f"from {name} import *", namespace)
        assert exported <= set(namespace)
        with pytest.raises(AttributeError, match="NoSuchBuilder"):
            module.NoSuchBuilder  # noqa: B018


@pytest.mark.system  # a fresh interpreter
def test_builders_load_with_first_use() -> None:
    code = (
        "import sys\n"
        "import fastgpt_oapi.api.chat.model, fastgpt_oapi.api.chat_history.model\n"
        "import fastgpt_oapi.api.app_logs.model, fastgpt_oapi.core.options\n"
        "print(sorted(m for m in sys.modules if m.endswith('._builders')))\n"
        "from fastgpt_oapi.core.options import RequestOptionBuilder\n"
        "print(sorted(m for m in sys.modules if m.endswith('._builders')))\n"
        "fastgpt_oapi.api.chat.model.ChatCompletionRequest.builder()\n"
        "print(sorted(m for m in sys.modules if m.endswith('._builders')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines() == [
        "[]",
        "['fastgpt_oapi.core._builders']",
        "['fastgpt_oapi.api.chat._builders', 'fastgpt_oapi.core._builders']",
    ]


# ---- nothing is sent ------------------------------------------------------------------------------


async def test_a_missing_api_key_fails_before_sending(io_mode: str) -> None:
    server = ScriptedServer(reply(200, json_body=COMPLETION_OK))
    client = make_client(server, api_key="")
    with pytest.raises(RequestValidationError) as caught:
        await complete(client, io_mode)
    assert caught.value.field == "api_key"
    assert server.requests == []
    # a per-call key is enough
    await complete(client, io_mode, option=RequestOption(api_key="fastgpt-per-call"))
    assert len(server.requests) == 1


async def test_an_app_id_is_sent_from_the_request_or_the_client_and_else_not_at_all(io_mode: str) -> None:
    server = ScriptedServer(reply(200, json_body=envelope({"value": 1})))
    client = make_client(server, app_id=None)
    await ping(client, io_mode, PingRequest())  # an app key (FastGPT >= 4.18) names its own app
    await ping(client, io_mode, PingRequest(app_id=APP_ID))
    await ping(client.with_options(app_id=APP_ID), io_mode, PingRequest())
    assert [r.url.params.get("appId") for r in server.requests] == [None, APP_ID, APP_ID]


async def test_invalid_requests_never_reach_the_server(io_mode: str) -> None:
    server = ScriptedServer(reply(200, json_body=COMPLETION_OK))
    client = make_client(server)
    attempts: list[Any] = [
        lambda: ChatCompletionRequest(messages=HI, app_id="bad"),
        lambda: ChatCompletionRequest.builder().messages(HI).chat_id("").build(),
        lambda: ChatCompletionRequest(messages=[{"role": "robot", "content": "hi"}]),
    ]
    for make_request in attempts:
        with pytest.raises(ValueError, match=r"app_id|chat_id|role"):  # building is part of it
            await complete(client, io_mode, make_request())
    for api_key in ("bad key", "key\n"):
        with pytest.raises(RequestValidationError, match="api_key"):
            await complete(client, io_mode, option=RequestOption(api_key=api_key))
    assert server.requests == []
