"""Lists that must agree with each other: each registry with the union it is derived from, the
discriminated unions with the classes they choose, the package's exports with the error classes."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

import fastgpt_oapi
from fastgpt_oapi.api.chat.model import (
    EVENT_TYPES,
    AnswerEvent,
    ChatStreamEvent,
    ChunkEvent,
    FastAnswerEvent,
    UnknownEvent,
)
from fastgpt_oapi.api.shared.interactive import Interactive, UnknownInteractive
from fastgpt_oapi.api.shared.model import PlanValue, ReasoningValue, UnknownValue, ValueItem
from fastgpt_oapi.core import errors
from fastgpt_oapi.core.model import tagged_members

EVENTS = TypeAdapter(ChatStreamEvent)
VALUES = TypeAdapter(ValueItem)
INTERACTIVES = TypeAdapter(Interactive)


def _literal_default(cls: type[BaseModel]) -> Any:
    field = cls.model_fields["event"]
    assert typing.get_origin(field.annotation) is typing.Literal, cls
    (value,) = typing.get_args(field.annotation)
    assert field.default == value, cls
    return value


def test_each_event_tag_is_its_class_wire_name() -> None:
    for tag, cls in tagged_members(ChatStreamEvent).items():
        if cls is UnknownEvent:
            assert tag == "unknown"
            continue
        assert _literal_default(cls) == tag
    assert set(EVENT_TYPES) == set(tagged_members(ChatStreamEvent)) - {"unknown"}


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_the_union_chooses_the_class_of_each_event_name(name: str) -> None:
    cls = EVENT_TYPES[name]
    built = cls.model_construct()
    assert EVENTS.validate_python(built) is built  # an event object keeps its class
    unknown = EVENTS.validate_python({"event": f"{name}-not", "data": {"a": 1}})
    assert isinstance(unknown, UnknownEvent)


def test_the_chunk_base_is_no_member_of_the_event_union() -> None:
    # A public base class for isinstance checks; the union chooses its subclasses by wire name.
    members = set(tagged_members(ChatStreamEvent).values())
    assert ChunkEvent not in members
    assert {cls for cls in members if issubclass(cls, ChunkEvent)} == {AnswerEvent, FastAnswerEvent}
    assert "event" not in ChunkEvent.model_fields


def test_an_unknown_event_object_stays_unknown() -> None:
    event = UnknownEvent(event="chatTitle", data="not an object", error="bad")
    assert EVENTS.validate_python(event) is event


def _wire_keys(cls: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in cls.model_fields.items()}


def test_each_value_item_tag_is_the_key_that_marks_it() -> None:
    members = tagged_members(ValueItem)
    assert members.pop("unknown") is UnknownValue
    for key, cls in members.items():
        assert key in _wire_keys(cls), (key, cls)
        item = VALUES.validate_python({key: _minimal(key)})
        assert type(item) is cls
        assert VALUES.validate_python(item) is item  # an item object keeps its class
    assert set(members) == {
        "text",
        "reasoning",
        "tools",
        "tool",
        "interactive",
        "file",
        "skills",
        "plan",
        "planStatus",
        "agentPlanUpdate",
        "agentAsk",
        "contextCheckpoint",
    }


def test_reasoning_inside_another_item_keeps_that_item_its_kind() -> None:
    # FastGPT >= 4.15.0-2 stores reasoning inside the text (or tool) item it led to.
    thought = {"content": "先想"}
    for key, cls in tagged_members(ValueItem).items():
        if cls in (ReasoningValue, UnknownValue):
            continue
        item = VALUES.validate_python({"reasoning": thought, key: _minimal(key)})
        assert type(item) is cls, key
        assert item.reasoning is not None
        assert item.reasoning.content == "先想"


def test_a_null_plan_is_a_plan_item() -> None:
    # `{"plan": null}` is how FastGPT stores a finished plan; other keys set to null mark nothing.
    item = VALUES.validate_python({"plan": None})
    assert type(item) is PlanValue
    assert item.plan is None
    assert type(VALUES.validate_python({"text": None, "id": "x"})) is UnknownValue


def _minimal(key: str) -> Any:
    if key in ("tools", "skills"):
        return [{"id": "t1"}]
    if key == "interactive":
        return {"type": "userSelect", "params": {"userSelectOptions": []}}
    if key == "planStatus":
        return {"status": "generating"}
    if key == "contextCheckpoint":
        return "checkpoint"
    return {}


# The wire kinds each typed interaction stands for; written out here, not taken from the SDK.
INTERACTIVE_KINDS = {
    "select": ("userSelect", "agentPlanAskUserSelect"),
    "form": ("userInput", "agentPlanAskUserForm"),
    "agentAsk": ("agentAsk",),
    "paymentPause": ("paymentPause",),
}


def test_each_interactive_class_is_chosen_for_its_wire_kinds() -> None:
    members = tagged_members(Interactive)
    assert members.pop("unknown") is UnknownInteractive
    assert set(members) == set(INTERACTIVE_KINDS)
    for tag, cls in members.items():
        for kind in INTERACTIVE_KINDS[tag]:
            item = INTERACTIVES.validate_python({"type": kind, "params": {}})
            assert type(item) is cls, kind
            assert INTERACTIVES.validate_python(item) is item
    for kind in ("agentPlanAskQuery", "somethingNew", "UserSelect"):
        assert type(INTERACTIVES.validate_python({"type": kind, "params": {}})) is UnknownInteractive


def test_every_error_class_is_exported_from_the_top() -> None:
    assert set(errors.__all__) <= set(fastgpt_oapi.__all__)
    for name in errors.__all__:
        assert getattr(fastgpt_oapi, name) is getattr(errors, name)


def _request_classes(base: type[Any]) -> list[type[Any]]:
    found = []
    for sub in base.__subclasses__():
        found.append(sub)
        found.extend(_request_classes(sub))
    return found


def test_every_model_a_response_can_hold_keeps_what_did_not_fit() -> None:
    """Every model reachable from a response type or an event's data has `unparsed` (a
    ResponseModel); only the event envelopes themselves, which hold `data`, are not."""
    import importlib

    from fastgpt_oapi.core.model import APIRequest, ResponseModel

    for area in ("chat", "chat_history", "app_logs", "dataset"):
        importlib.import_module(f"fastgpt_oapi.api.{area}.model")
    roots = [cls.response_type for cls in _request_classes(APIRequest) if hasattr(cls, "response_type")]
    roots += [cls.model_fields["data"].annotation for cls in EVENT_TYPES.values()]
    seen: set[type[BaseModel]] = set()
    pending: list[Any] = list(roots)
    while pending:
        annotation = pending.pop()
        pending.extend(typing.get_args(annotation))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation not in seen:
            seen.add(annotation)
            pending.extend(field.annotation for field in annotation.model_fields.values())
    assert len(seen) > 100
    assert sorted(cls.__name__ for cls in seen if not issubclass(cls, ResponseModel)) == []
