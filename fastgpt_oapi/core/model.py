"""Base models: one request mechanism for every endpoint, and the response base that keeps new fields.

A request model declares its route (method, path, which fields go in the query, whether it runs a
workflow, its older paths) and, as its generic parameter, the response model. `Sender.request` needs
nothing else, so an endpoint is a model plus a one-line service method. Builders with typed setters
are generated from the models into `_builders.py` files by `tools/codegen.py` (`make codegen`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any, ClassVar, Generic, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticSerializationError, to_json

from .errors import FieldProblem, RequestValidationError
from .ids import OBJECT_ID_PATTERN, is_object_id, validate_app_id
from .retry import RequestKind

__all__ = [
    "OBJECT_ID_PATTERN",
    "APIRequest",
    "AppId",
    "CheckedModel",
    "Fallback",
    "FastGPTModel",
    "ListData",
    "OperationResponse",
    "RequestBuilder",
    "RequestFields",
    "RequestPart",
    "ResponseModel",
    "Route",
    "ScalarResponse",
    "StrictModel",
    "TextOrEmpty",
    "is_object_id",
    "tagged_members",
    "validate_app_id",
]

AppId = Annotated[str, AfterValidator(validate_app_id)]


def _null_as_empty(value: Any) -> Any:
    return "" if value is None else value


# A response's text field that FastGPT always sends as a string: read as `str`, so a program needs no
# `or ""` under mypy, and a null (an old record, a server gone wrong) reads as "" rather than drift.
TextOrEmpty = Annotated[str, BeforeValidator(_null_as_empty)]


class ResponseModel(BaseModel):
    """Base of every response model: what a response keeps of fields that did not fit."""

    # Built on first use, not at import: a program (the command line) that reads a few of the SDK's
    # ~300 models does not pay for the rest (~0.2 s of a start).
    model_config = ConfigDict(defer_build=True)

    @property
    def unparsed(self) -> dict[str, Any]:
        """Fields that arrived in a shape this SDK does not know: Python name -> the raw value.

        Empty when the response fit. Such a field holds its default (see `core/drift.py`); a client
        built with `strict_responses(True)` raises `APIResponseValidationError` instead. Kept beside
        the fields, not among them: `model_dump()` writes the fields as declared.
        """
        private = self.__pydantic_private__
        # A fresh dict when there is nothing: kept state lives only where a repair put it.
        return private.get("unparsed", {}) if private else {}


class FastGPTModel(ResponseModel):
    """Base of response models: snake_case names, camelCase wire aliases, unknown fields kept.

    Read from the wire names (or the Python names). `model_dump()` / `model_dump_json()` write the
    Python names, as the attributes read; `by_alias=True` writes the wire names. Either dump reads
    back into an equal model. Unknown fields keep their wire names in both.
    """

    # Spelled out in each base: the pydantic mypy plugin only sees a literal alias_generator.
    model_config = ConfigDict(
        extra="allow",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=False,  # unlike requests, which go out under their wire names
    )


class StrictModel(BaseModel):
    """Base of the models users build to send: unknown fields refused, read by Python or wire name,
    written under the wire names; errors name the Python field the caller wrote."""

    model_config = ConfigDict(
        defer_build=True,  # as ResponseModel's
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        loc_by_alias=False,
    )


class RequestPart(StrictModel):
    """Base of objects nested in a request body: camelCase on the wire, unknown fields refused."""

    # validate_by_name again: the pydantic mypy plugin checks it beside a literal alias_generator.
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)


# An older form of an endpoint: (method, path), or (method, path, body fields sent in the query).
Fallback = tuple[str, str] | tuple[str, str, frozenset[str]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    # The fields (Python names) sent in the query string. A GET sends every field there: left empty,
    # it is filled with them when the request class is made (`APIRequest`). Another method names the
    # ones its handler reads from the query (a DELETE, often all); the others go in the body.
    query: frozenset[str] = frozenset()
    kind: RequestKind | None = None
    # Envelope endpoints answer {code, statusText, message, data}; completions answer bare JSON.
    envelope: bool = True
    # The endpoint's older (method, path) pairs, newest first: where older servers serve it. A server
    # that answers a bare 404 (no such route: nothing ran) is asked at the next one, and the client
    # remembers which answered. A third element names the body fields (wire names) that form sends
    # in the query instead (an older form that read them there).
    fallbacks: tuple[Fallback, ...] = ()
    # FastGPT refusals (`statusText`) that mean, like a bare 404, that the server does not know this
    # form: it turned the request down before doing anything, so the next fallback is tried. Only for
    # a refusal that proves nothing ran (an older handler that did not read the new fields).
    fallback_on: frozenset[str] = frozenset()
    # The SDK method that sends this request and returns its answer (`"get_dataset"`): `make codegen`
    # writes it, and its `a` twin, into the service's `_calls.py`, with the request's docstring.
    # None for a request only a hand-written method sends (a walk, an upload, a stream).
    call: str | None = None
    # The SDK method that walks a paged list (`"iter_histories"`), beside its `call`: `make codegen`
    # writes it, and its `a` twin, into `_calls.py`: `walk` / `awalk` (`core/paging.py`) sending the
    # pages with `call` along the request's `walk_plan()`, whose docstring is the method's.
    walk: str | None = None

    @property
    def request_kind(self) -> RequestKind:
        if self.kind is not None:
            return self.kind
        return RequestKind.READ if self.method == "GET" else RequestKind.WRITE


ResponseT = TypeVar("ResponseT", bound=BaseModel)

# The methods whose requests carry no body: every field goes in the query. (A DELETE may carry one:
# `chat/record/delete` reads `contentIds` from it since 4.15.0.)
_QUERY_ONLY = frozenset({"GET"})


_CheckedT = TypeVar("_CheckedT", bound="CheckedModel")


class CheckedModel(BaseModel):
    """A model users build, which fails like a request: a RequestValidationError (a ValueError and a
    FastGPTError) naming the Python field, with no input values echoed, from the constructor, a
    builder and `model_validate` alike. Defined once here: the pydantic mypy plugin still types the
    constructors of subclasses, which do not define `__init__` themselves."""

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise validation_error(type(self), exc) from None

    @classmethod
    def model_validate(cls: type[_CheckedT], obj: Any, **kwargs: Any) -> _CheckedT:
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            # pydantic wraps the RequestValidationError our __init__ raised; hand back the original.
            inner = exc.errors(include_url=False)[0].get("ctx", {}).get("error")
            raise (
                inner if isinstance(inner, RequestValidationError) else validation_error(cls, exc)
            ) from None


class APIRequest(RequestPart, CheckedModel, Generic[ResponseT]):
    """Base of request models. Subclass as `class XRequest(APIRequest[XResponse])` with a `route`."""

    model_config = ConfigDict(validate_assignment=True)

    route: ClassVar[Route]
    response_type: ClassVar[type[BaseModel]]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        route = getattr(cls, "route", None)
        if isinstance(route, Route) and route.method in _QUERY_ONLY:
            fields = frozenset(cls.model_fields)
            if not route.query:
                cls.route = replace(route, query=fields)
            elif route.query != fields:  # a field it would not send (nothing else carries it)
                left = sorted(fields - route.query) or sorted(route.query - fields)
                raise TypeError(
                    f"{cls.__name__}: a {route.method} sends every field in its query; not {left}"
                )
        for base in cls.__mro__:
            meta = getattr(base, "__pydantic_generic_metadata__", None)
            if meta and meta["origin"] is APIRequest and meta["args"]:
                response = meta["args"][0]
                if isinstance(response, type) and issubclass(response, BaseModel):
                    cls.response_type = response
                break

    def to_wire(self) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """(query, body) as FastGPT expects them; None-valued fields and false query flags are left out.

        The query holds JSON-compatible values. The body may hold Python values (a datetime in
        `variables`, say): `encode_body` writes them as JSON the way `model_dump(mode="json")` would,
        in one pass instead of two (bench/RESULTS.md, row 2).
        """
        route = self.route
        if not route.query:
            body = self.model_dump(exclude_none=True, by_alias=True)
            if route.method == "GET" or (not body and route.method == "DELETE"):
                return {}, None
            return {}, body
        data = self.model_dump(mode="json", exclude_none=True, by_alias=True)
        fields = type(self).model_fields
        query_names = {fields[name].alias or name for name in route.query}
        query: dict[str, Any] = {}
        body = {}
        # A false query flag is left out: FastGPT reads query flags with z.coerce.boolean() (chat/init's
        # loadCustomFeedbacks, `packages/global/openapi/core/chat/controler/api.ts`, a361a73d), which
        # turns the string "false" into true; an absent flag is false.
        for wire, value in data.items():
            if wire not in query_names:
                body[wire] = value
            elif value is not False:
                query[wire] = _query_value(value)
        if route.method == "GET" or (not body and route.method == "DELETE"):
            return query, None
        return query, body

    def encode_body(self, body: dict[str, Any]) -> bytes:
        """The JSON body: compact, UTF-8 (not ASCII-escaped), Python values as in mode="json".

        A value JSON cannot hold (an arbitrary object in `variables`, say) raises a
        RequestValidationError naming the field, before anything is sent.
        """
        try:
            return to_json(body, inf_nan_mode="null")  # NaN is not JSON; mode="json" writes null too
        except PydanticSerializationError:
            names = {field.alias or name: name for name, field in type(self).model_fields.items()}
            for wire, value in body.items():
                try:
                    to_json(value, inf_nan_mode="null")
                except PydanticSerializationError as exc:
                    name = names.get(wire, wire)
                    raise RequestValidationError(
                        f"{type(self).__name__}.{name}: cannot be sent as JSON ({exc})", field=name
                    ) from None
            raise


def _query_value(value: Any) -> Any:
    return "true" if value is True else value


ModelT = TypeVar("ModelT", bound=BaseModel)


class RequestBuilder(Generic[ModelT]):
    """Collects field values and validates them once, in `build()`. Setters are generated per model."""

    _model: ClassVar[type[BaseModel]]

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def _set(self, name: str, value: Any) -> None:
        self._values[name] = value

    def build(self) -> ModelT:
        try:
            built = self._model(**self._values)  # APIRequest.__init__ raises RequestValidationError itself
        except ValidationError as exc:
            raise validation_error(self._model, exc) from None
        return built  # type: ignore[return-value]  # _model is the ModelT of the subclass

    def __repr__(self) -> str:
        names = ", ".join(sorted(self._values))
        return f"{type(self).__name__}(set: {names or 'nothing'})"


def validation_error(model: type[BaseModel], exc: ValidationError) -> RequestValidationError:
    """A RequestValidationError listing every problem by Python field name; values are not echoed."""
    problems = [
        FieldProblem(".".join(str(p) for p in error["loc"]) or "(request)", error["msg"])
        for error in exc.errors(include_url=False, include_input=False)
    ]
    first = exc.errors(include_url=False, include_input=False)[0]
    top = str(first["loc"][0]) if first["loc"] else None
    if len(problems) == 1:
        message = f"{model.__name__}.{problems[0].field}: {problems[0].message}"
    else:
        message = f"{model.__name__}: {len(problems)} problems"
    return RequestValidationError(message, field=top, errors=problems)


class OperationResponse(FastGPTModel):
    """Answer of endpoints whose envelope carries `data: null` (update, delete, clear, feedback).

    A call that returns one succeeded (a refusal raises); `request_id` is the server's `x-request-id`.
    """

    request_id: str | None = None


class ListData(FastGPTModel):
    """Endpoints whose `data` is a bare JSON array are exposed as `.list`."""

    @model_validator(mode="before")
    @classmethod
    def _wrap_array(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"list": data}
        return data


class RequestFields(BaseModel):
    """A base for fields several requests share, declared once: the requests combine it with
    `APIRequest`, so it is configured as `APIRequest` is."""

    model_config = APIRequest.model_config


class ScalarResponse(FastGPTModel):
    """Base of answers whose `data` is a bare string (an id, a URL, a word): it becomes the model's
    one field, named by `scalar_field`. An object is read as it is."""

    scalar_field: ClassVar[str]

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {cls.scalar_field: data} if isinstance(data, str) else data


def tagged_members(union: Any) -> dict[str, type[BaseModel]]:
    """Tag -> class of each member of `Annotated[Annotated[A, Tag("a")] | ..., Discriminator(...)]`.

    A registry derived from the union it serves, so the two cannot list different classes.
    """
    members: dict[str, type[BaseModel]] = {}
    for member in get_args(get_args(union)[0]):
        cls, *metadata = get_args(member)
        tag = next(m.tag for m in metadata if isinstance(m, Tag))
        members[tag] = cls
    return members
