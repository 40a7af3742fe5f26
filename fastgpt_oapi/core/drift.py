"""Response drift: a field FastGPT sends in a shape this SDK does not know is kept, not fatal.

FastGPT changes response shapes between releases (4.17.1 turned collection tags from strings into
objects). A strict model would fail the whole call over one field that the caller may never read. So
when a response does not validate, and the client is not strict (`Client.builder().strict_responses`),
`repair` finds, for each validation error, the innermost response model whose field holds the bad
value, puts that field back to its default, keeps the raw value in the model's `unparsed` (Python
name -> raw value), and validates again. A `ResponseDriftWarning` is issued once per model and field
in a process, and logged on the `fastgpt_oapi` logger.

Nothing of this runs while responses fit their models: the happy path is pydantic-core's alone (a
validator on every model would cost every event of a stream a Python call; bench/RESULTS.md row 1a).
Only after a `ValidationError` does `repair` walk the error locations along the model's annotations.

Where the owner of a bad value is: the walk follows an error's `loc` through models (a step names a
field), lists and tuples (an index), dicts (a key) and discriminated unions (a step names the tag, and
only the chosen member reported errors). A union without a discriminator reports an error for each
member, so the walk stops at it and the field holding the union is the one reset.

A field is reset to its default; a required field sent in a new shape, to the empty value of its type
("", 0, False, [], {}, None, a model of defaults). A required field left out is not drift: no reset
makes it up, so the next model out owns the error (a stream event then arrives as an `UnknownEvent`,
as it always has). With no model left, the response is not repaired and the strict error stands.
"""

from __future__ import annotations

import logging
import threading
import types
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, Discriminator, Tag, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined, to_jsonable_python

__all__ = ["ResponseDriftWarning", "forget_warnings", "repair"]

logger = logging.getLogger("fastgpt_oapi")

ModelT = TypeVar("ModelT", bound=BaseModel)

# A response can be repaired field by field, but a server gone wrong can fail in every field: a bound
# on the rounds (each resets every field that failed in the round before) keeps a repair short.
_MAX_ROUNDS = 8
UNPARSED = "unparsed"


class ResponseDriftWarning(UserWarning):
    """A response field arrived in a shape this SDK version does not know; the call still returned.

    The field took its default and its raw value is in the model's `unparsed`. Issued once per model
    and field in a process. Turn it into an error for a test suite with
    `warnings.simplefilter("error", ResponseDriftWarning)`, or make the client strict with
    `Client.builder().strict_responses(True)`.
    """


_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


def forget_warnings() -> None:
    """Issue the drift warnings again, as in a new process (for tests of the warning itself)."""
    with _warned_lock:
        _warned.clear()


@dataclass(frozen=True)
class _Owner:
    """The field of a model that holds a bad value, and how to reach that model from the top."""

    # Each hop: (key into the raw data, or None for the same value; attribute, index or key into the
    # validated object).
    hops: tuple[tuple[str | int | None, str | int], ...]
    model: type[BaseModel]
    name: str  # the Python name of the field
    key: str | None  # where the field sits in the raw data; None: the data itself (ListData's list)
    default: Any  # the raw (JSON) form of the value the field is reset to


def repair(model_type: type[ModelT], data: Any, error: ValidationError) -> ModelT | None:
    """`data` validated as `model_type` with each failing field at its default; None if that fails."""
    fixed: dict[tuple[Any, ...], tuple[_Owner, Any, str]] = {}
    for _ in range(_MAX_ROUNDS):
        owners: dict[tuple[Any, ...], tuple[_Owner, str]] = {}
        for problem in error.errors(include_url=False, include_input=False):
            owner = _owner(model_type, data, problem["loc"], missing=problem["type"] == "missing")
            if owner is None:
                return None
            owners.setdefault((owner.hops, owner.name), (owner, problem["msg"]))
        for spot, (owner, why) in owners.items():
            if spot in fixed:  # reset already, and failing again: the default itself does not fit
                return None
            data, raw = _reset(data, owner)
            fixed[spot] = (owner, raw, why)
        try:
            result = model_type.model_validate(data)
        except ValidationError as again:
            error = again
            continue
        for owner, raw, why in fixed.values():
            _keep(result, owner, raw)
            _warn(owner, why)
        return result
    return None


def _owner(root: type[BaseModel], data: Any, loc: Sequence[str | int], *, missing: bool) -> _Owner | None:
    """The innermost resettable model field on the way to the bad value at `loc` (`missing`: the error
    is a required field left out, which no reset can make up for)."""
    annotation: Any = root
    discriminated = False
    value = data
    hops: list[tuple[str | int | None, str | int]] = []
    found: _Owner | None = None
    for depth, step in enumerate(loc, 1):
        annotation, discriminated = _unwrap(annotation, discriminated)
        origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            spot = _field_at(annotation, value, step)
            if spot is None:
                break
            name, key = spot
            field = annotation.model_fields[name]
            default = _NONE if missing and depth == len(loc) else _default(field)
            if default is not _NONE and isinstance(getattr(annotation, UNPARSED, None), property):
                found = _Owner(tuple(hops), annotation, name, key, default)
            hops.append((key, name))
            value = value.get(key) if key is not None and isinstance(value, Mapping) else value
            annotation = field.annotation
            discriminated = field.discriminator is not None
        elif origin in (list, tuple, set, frozenset, Sequence) and isinstance(step, int):
            if not isinstance(value, list) or not 0 <= step < len(value):
                break
            hops.append((step, step))
            value = value[step]
            args = get_args(annotation)
            annotation = args[step] if origin is tuple and args[-1] is not Ellipsis else args[0]
        elif origin in (dict, Mapping) and isinstance(step, str):
            if not isinstance(value, Mapping) or step not in value:
                break
            hops.append((step, step))
            value = value[step]
            annotation = get_args(annotation)[1]
        elif _is_union(annotation) and discriminated and isinstance(step, str):
            member = _member(annotation, step)
            if member is None:
                break
            annotation, discriminated = member, False  # a tag step: the data stays where it is
        else:
            break
    return found


def _unwrap(annotation: Any, discriminated: bool) -> tuple[Any, bool]:
    """Strip `Annotated` (noting a discriminator) and `Optional`, which add no step to a location."""
    while True:
        if get_origin(annotation) is Annotated:
            base, *metadata = get_args(annotation)
            discriminated = discriminated or any(isinstance(m, Discriminator) for m in metadata)
            annotation = base
        elif _is_union(annotation):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation, discriminated
            annotation = members[0]
        else:
            return annotation, discriminated


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _member(union: Any, tag: str) -> Any:
    """The member of a discriminated union that `tag` names: by `Tag`, or by its Literal discriminator."""
    for member in get_args(union):
        base: Any = member
        metadata: tuple[Any, ...] = ()
        if get_origin(member) is Annotated:
            base, metadata = get_args(member)[0], get_args(member)[1:]
        if any(isinstance(m, Tag) and m.tag == tag for m in metadata):
            return member
        if isinstance(base, type) and issubclass(base, BaseModel):
            for field in base.model_fields.values():
                if get_origin(field.annotation) is Literal and tag in get_args(field.annotation):
                    return member
    return None


def _field_at(model: type[BaseModel], value: Any, step: str | int) -> tuple[str, str | None] | None:
    """(Python name, key in the raw data) of the field that location step `step` names."""
    if not isinstance(step, str):
        return None
    fields = model.model_fields
    if step == "list" and "list" in fields and isinstance(value, list):
        return "list", None  # ListData: a bare array is the model's `list`
    name = step if step in fields else next((n for n, f in fields.items() if f.alias == step), None)
    if name is None:
        return None
    field = fields[name]
    if isinstance(value, Mapping):
        for key in (step, field.alias, name):
            if key is not None and key in value:
                return name, key
    return name, field.alias or name


_NONE = object()


def _default(field: FieldInfo) -> Any:
    """The raw form of the value a misfit field is reset to: its default, or for a required field the
    empty value of its type (a required field that FastGPT sends in a new shape is still there, only
    unreadable; one that is left out is not drift, and no reset is made). `_NONE`: there is none."""
    if field.default_factory is not None:
        made = field.default_factory()  # type: ignore[call-arg]  # factories here take no argument
    elif field.default is not PydanticUndefined:
        made = field.default
    else:
        return _empty(field.annotation)
    return to_jsonable_python(made, by_alias=True)


def _empty(annotation: Any) -> Any:
    annotation, _ = _unwrap(annotation, False)
    origin = get_origin(annotation) or annotation
    if annotation is Any or (_is_union(annotation) and type(None) in get_args(annotation)):
        return None
    if isinstance(origin, type):
        if issubclass(origin, BaseModel):
            try:
                origin.model_validate({})
            except ValidationError:
                return _NONE
            return {}
        for kind, empty in ((bool, False), (str, ""), (int, 0), (float, 0.0)):
            if issubclass(origin, kind):
                return empty
        if issubclass(origin, (list, tuple, set, frozenset, Sequence)):
            return []
        if issubclass(origin, (dict, Mapping)):
            return {}
    return _NONE


def _reset(data: Any, owner: _Owner) -> tuple[Any, Any]:
    """A copy of `data` with the owner's field set to (the raw form of) its default, and the raw value.

    The key stays in place: a union may be told apart by which keys are present (FastGPT's chat
    values), and the default validates back to itself.
    """
    default = owner.default

    def down(value: Any, hops: Sequence[tuple[str | int | None, str | int]]) -> tuple[Any, Any]:
        if not hops:
            if owner.key is None:
                return default, value
            if not isinstance(value, Mapping):
                return value, None
            copy = dict(value)
            raw = copy.get(owner.key)
            copy[owner.key] = default
            return copy, raw
        key = hops[0][0]
        if key is None:
            return down(value, hops[1:])
        if isinstance(value, list) and isinstance(key, int):
            items = list(value)
            items[key], raw = down(items[key], hops[1:])
            return items, raw
        if isinstance(value, Mapping) and key in value:
            copy = dict(value)
            copy[key], raw = down(copy[key], hops[1:])
            return copy, raw
        return value, None

    return down(data, owner.hops)


def _keep(result: BaseModel, owner: _Owner, raw: Any) -> None:
    """Put `raw` into the `unparsed` of the model instance the owner's field belongs to."""
    target: Any = result
    for _, hop in owner.hops:
        if isinstance(target, BaseModel) and isinstance(hop, str):
            target = getattr(target, hop)
        elif isinstance(target, (list, tuple, dict)):
            target = target[hop]  # type: ignore[index]
        else:
            return
    if isinstance(target, BaseModel):
        private = target.__pydantic_private__
        if private is None:
            private = {}
            object.__setattr__(target, "__pydantic_private__", private)
        private.setdefault(UNPARSED, {})[owner.name] = raw


def _warn(owner: _Owner, why: str) -> None:
    model, name = owner.model.__name__, owner.name
    with _warned_lock:
        if (model, name) in _warned:
            return
        _warned.add((model, name))
    message = (
        f"FastGPT sent {model}.{name} in a shape this version of fastgpt-oapi does not know ({why}); "
        f"the field is at its default and the raw value is in .unparsed[{name!r}]"
    )
    logger.warning("%s", message)
    warnings.warn(message, ResponseDriftWarning, stacklevel=2)
