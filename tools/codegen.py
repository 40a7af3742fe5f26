"""Generate the typed request builders, the services' one-request methods, their raw-response wrappers,
the package root's request exports and the docs' method tables: `python tools/codegen.py [--check]`,
run from the repository root.

For every model class that declares a `builder` (`Builds`) in the modules below, writes a `<Model>Builder`
with one setter per field into `_builders.py` beside the module. Setter parameter types are the field
annotations exactly as written in the source, so mypy checks builder calls as strictly as constructor
calls (real methods, no dynamic attribute lookup). The names those annotations use are imported the
way the model module imports them, so the generated file type-checks the same. The output goes
through ruff (import order, then format), so `make lint` and `--check` agree on one text. The test
suite runs `--check`, so a field added without regenerating fails CI.

For every service, writes `<Service>Calls` into `_calls.py` beside it: for each request model whose
`Route` names its SDK method (`Route("POST", "/api/...", call="get_x")`), `get_x(request,
request_option=None)` returning the request's response model, documented by the request's docstring,
and its `aget_x` twin; and for each paged list whose `Route` also names its walk (`call="list_x",
walk="iter_x"`), `iter_x` / `aiter_x`: `walk` / `awalk` (`core/paging.py`) fetching the pages with
`list_x` / `alist_x` along the request's `walk_plan()`, documented by that method's docstring, yielding
the last type argument of its return annotation (`OffsetWalk[Request, Item]`). The hand-written
service class derives from `<Service>Calls` and holds only the methods with logic of their own
(uploads, streams, helpers, a walk over several request types); a hand-written method with a declared
call's or walk's name is an error here, since it would hide the generated one. The walks get no raw
twin (they send many requests).

For every service, writes `<Service>WithRawResponse` into `_raw.py` beside it: one method per service
method that sends one request and returns its model (the generated calls, and any hand-written method
found by reading it: one `self._http` send, no loop, a response model returned), with the same
parameters and `RawResponse[<model>]` returned, so `client.<service>.with_raw_response` is typed as
strictly as the service.

Writes `fastgpt_oapi/_exports.py`: every exception in `core/errors.py`'s `__all__` and every request
model in a service model module's `__all__`, imported for type checkers, listed in `__all__`, and mapped
to its module for the package root's lazy `__getattr__`. `fastgpt_oapi/__init__.py` star-imports it for
type checkers and adds its `__all__` and `HOMES` to its own, so a new request model or exception is
exported from the root with no edit there.

Writes `fastgpt_oapi/_services.py`: `ClientServices`, the base class of `Client`, with one
`cached_property` per service module (`client.chat_history` -> `ChatHistoryService`, imported on first
use), so a new service needs no edit of `client.py`.

For every service page of the docs (`docs/<service>.md`), rewrites the method table between
`<!-- methods -->` and `<!-- /methods -->`: one row per public method, its endpoint read from its request
model's `Route` (or, for a method of several requests, from its docstring), its return annotation, and
the since-version of its row in `docs/coverage.md`; rows follow the order of the request models, a
hand-written method right after the call of the request it takes (`iter_x` after `list_x`), the
helpers that take no request model last. So a new method is documented there by its code and its
coverage row; the page's prose says the rest.

This is a development tool: it lives outside the package so it does not ship in the wheel.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import importlib
import importlib.util
import inspect
import subprocess
import sys
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel

if typing.TYPE_CHECKING:
    # Nothing of the package is imported before main() has made sure `_exports.py`, which the package
    # root imports, is there.
    from fastgpt_oapi.core.model import Route

MODULES = (
    "fastgpt_oapi.core.options",
    "fastgpt_oapi.api.chat.model",
    "fastgpt_oapi.api.chat_history.model",
    "fastgpt_oapi.api.app_logs.model",
    "fastgpt_oapi.api.dataset.model",
    "fastgpt_oapi.api.ai_model.model",
)

TARGET = "_builders.py"
BASE_MODULE, BASE_NAME = "fastgpt_oapi.core.model", "RequestBuilder"

# An import the generated file needs: (module, name, asname); name is None for `import module`.
Import = tuple[str, str | None, str | None]


def _annotation(cls: type[BaseModel], name: str) -> str:
    for klass in cls.__mro__:
        annotations = inspect.get_annotations(klass)
        if name in annotations:
            text = annotations[name]
            if not isinstance(text, str):
                raise TypeError(f"{cls.__name__}.{name}: modules with builders use postponed annotations")
            if klass.__module__ != cls.__module__:
                # The annotation is copied as text, so its names must mean what they mean in this module.
                raise TypeError(f"{cls.__name__}.{name}: builder fields must be declared in {cls.__module__}")
            if text.startswith("Annotated["):
                raise TypeError(f"{cls.__name__}.{name}: use a named alias instead of a bare Annotated[...]")
            return text
    raise TypeError(f"{cls.__name__}.{name}: annotation not found")


def _module_tree(module: ModuleType) -> ast.Module:
    return ast.parse(inspect.getsource(module))


def builder_models(module_name: str) -> list[type[BaseModel]]:
    """The module's models that declare a builder (`builder: ClassVar[Builds[XBuilder]] = Builds()`), in
    the order the source defines them."""
    from fastgpt_oapi.core.lazy import Builds

    module = importlib.import_module(module_name)
    found = []
    for node in _module_tree(module).body:
        if not isinstance(node, ast.ClassDef):
            continue
        obj = getattr(module, node.name)
        if (
            isinstance(obj, type)
            and issubclass(obj, BaseModel)
            and isinstance(inspect.getattr_static(obj, "builder", None), Builds)
        ):
            found.append(obj)
    return found


def _bindings(module: ModuleType) -> dict[str, Import]:
    """How each top-level name of the module got there: its own definition, or which import."""
    return _tree_bindings(_module_tree(module), module.__name__, module.__package__)


def _tree_bindings(tree: ast.Module, own: str, package: str | None) -> dict[str, Import]:
    bound: dict[str, Import] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                # `import a.b` binds `a`; `import a.b as c` binds `c`.
                bound[alias.asname or alias.name.split(".")[0]] = (alias.name, None, alias.asname)
        elif isinstance(node, ast.ImportFrom):
            source = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            for alias in node.names:
                bound[alias.asname or alias.name] = (source, alias.name, alias.asname)
        elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            bound[node.name] = (own, node.name, None)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    bound[target.id] = (own, target.id, None)
    return bound


def _names_in(annotation: str) -> set[str]:
    # Attribute chains (`builtins.list`) end in a Name, so the walk finds their root too.
    return {node.id for node in ast.walk(ast.parse(annotation, mode="eval")) if isinstance(node, ast.Name)}


def _import_lines(imports: set[Import]) -> list[str]:
    plain = sorted(f"import {m}" + (f" as {a}" if a else "") for m, n, a in imports if n is None)
    grouped: dict[str, list[str]] = {}
    for m, n, a in imports:
        if n is not None:
            grouped.setdefault(m, []).append(n + (f" as {a}" if a else ""))
    froms = [f"from {m} import {', '.join(sorted(names))}" for m, names in sorted(grouped.items())]
    # Only roughly isort's order: ruff puts the lines in its order afterwards.
    return ["from __future__ import annotations", "", *plain, *froms]


def render_source(module_name: str) -> str:
    """The `_builders.py` text for one module, before ruff."""
    module = importlib.import_module(module_name)
    bindings = _bindings(module)
    models = builder_models(module_name)
    if not models:
        raise ValueError(f"{module_name}: no model has a builder() classmethod")
    imports: set[Import] = {(BASE_MODULE, BASE_NAME, None)}
    body: list[str] = []
    for model in models:
        imports.add((module_name, model.__name__, None))
        name = f"{model.__name__}Builder"
        body += ["", "", f"class {name}(RequestBuilder[{model.__name__}]):", f"    _model = {model.__name__}"]
        for field_name in model.model_fields:
            annotation = _annotation(model, field_name)
            for used in sorted(_names_in(annotation)):
                if used in bindings:
                    imports.add(bindings[used])
                elif not hasattr(builtins, used):
                    raise NameError(f"{model.__name__}.{field_name}: cannot tell where {used!r} comes from")
            body += [
                "",
                f"    def {field_name}(self, {field_name}: {annotation}) -> {name}:",
                f'        self._set("{field_name}", {field_name})',
                "        return self",
            ]
    bound_as: dict[str, Import] = {}
    for imp in imports:
        local = imp[2] or imp[1] or imp[0].split(".")[0]
        if bound_as.setdefault(local, imp) != imp:
            raise NameError(f"{module_name}: {local!r} would be imported twice: {bound_as[local]} and {imp}")
    names = sorted(f"{m.__name__}Builder" for m in models)
    header = [
        f"# Generated by tools/codegen.py from {module_name}; do not edit.",
        "# Regenerate with `make codegen`; the test suite fails while this file is out of date.",
    ]
    exports = ["", "__all__ = [", *(f'    "{n}",' for n in names), "]"]
    return "\n".join([*header, *_import_lines(imports), *exports, *body]) + "\n"


def _ruff(args: list[str], path: Path, text: str) -> str:
    # stdin with --stdin-filename: ruff applies the project's settings for that path and prints the result.
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", str(path), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ruff {' '.join(args)} failed on the generated {path}:\n{done.stderr}")
    return done.stdout


def target(module_name: str) -> Path:
    return Path(inspect.getfile(importlib.import_module(module_name))).with_name(TARGET)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def render(module_name: str) -> str:
    """The `_builders.py` text for one module, exactly as it should be on disk."""
    path = target(module_name)
    text = _ruff(["check", "--quiet", "--select", "I", "--fix"], path, render_source(module_name))
    return _ruff(["format", "--quiet"], path, text)


def regenerate(module_name: str, check: bool) -> bool:
    """Write the module's `_builders.py` (unless `check`); return True if it was already up to date."""
    return _write(target(module_name), render(module_name), check)


# ---- one-request methods: `_calls.py` ------------------------------------------------------------

SERVICE_MODULES = tuple(m.replace(".model", ".service") for m in MODULES if m.startswith("fastgpt_oapi.api."))
CALLS_TARGET = "_calls.py"


def _header(source: str) -> list[str]:
    return [
        f"# Generated by tools/codegen.py from {source}; do not edit.",
        "# Regenerate with `make codegen`; the test suite fails while this file is out of date.",
    ]


def _service_source_class(service_module: str) -> ast.ClassDef:
    """The service class, read from its source without importing it (it imports `_calls.py`)."""
    spec = importlib.util.find_spec(service_module)
    if spec is None or spec.origin is None:
        raise ValueError(f"{service_module}: not found")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    return _only_service_class(tree, service_module)


def _only_service_class(tree: ast.Module, where: str) -> ast.ClassDef:
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name.endswith("Service")]
    if len(classes) != 1:
        raise ValueError(f"{where}: expected one *Service class, found {[c.name for c in classes]}")
    return classes[0]


def service_class_name(service_module: str) -> str:
    return _service_source_class(service_module).name


def calls_class_name(service_module: str) -> str:
    return service_class_name(service_module).removesuffix("Service") + "Calls"


def request_models(model_module: str) -> list[type[Any]]:
    """The module's request models (`APIRequest` subclasses with their own `route`), in source order."""
    from fastgpt_oapi.core.model import APIRequest

    module = importlib.import_module(model_module)
    found = []
    for node in _module_tree(module).body:
        obj = getattr(module, node.name, None) if isinstance(node, ast.ClassDef) else None
        if isinstance(obj, type) and issubclass(obj, APIRequest) and "route" in vars(obj):
            found.append(obj)
    return found


def declared_calls(model_module: str) -> list[tuple[str, type[Any]]]:
    """(method name, request model) for every request whose `Route` names its `call`, in source order."""
    calls: dict[str, type[Any]] = {}
    for request in request_models(model_module):
        name = request.route.call
        if name is None:
            continue
        if not name.isidentifier() or name.startswith("_"):
            raise ValueError(f"{request.__name__}: call={name!r} is not a method name")
        if name in calls:
            raise ValueError(f"{request.__name__} and {calls[name].__name__} both declare call={name!r}")
        if not vars(request).get("__doc__"):
            raise ValueError(f"{request.__name__}: a request with a call needs a docstring (the method's)")
        calls[name] = request
    return list(calls.items())


def declared_walks(model_module: str) -> list[tuple[str, type[Any], type[Any]]]:
    """(method name, request model, item type) for every paged list whose `Route` names its `walk`
    (`Route(..., call="list_x", walk="iter_x")`), in source order. The request's `walk_plan()` is the
    plan (`core/paging.py`'s `PagePlan`): its docstring is the method's, and the last argument of its
    return annotation (`OffsetWalk[Request, Item]`, `PagePlan[Request, Page, Item]`) is the item type."""
    walks: list[tuple[str, type[Any], type[Any]]] = []
    for request in request_models(model_module):
        name = request.route.walk
        if name is None:
            continue
        if not name.startswith("iter_") or not name.isidentifier():
            raise ValueError(f"{request.__name__}: walk={name!r} is not an `iter_` method name")
        if request.route.call is None:
            raise ValueError(f"{request.__name__}: walk={name!r} needs the call that fetches a page")
        plan = vars(request).get("walk_plan")
        if plan is None or not plan.__doc__:
            raise ValueError(f"{request.__name__}: walk={name!r} needs a documented walk_plan() method")
        item = typing.get_args(typing.get_type_hints(plan).get("return"))[-1:]
        if not (item and isinstance(item[0], type) and item[0].__name__.isidentifier()):
            raise TypeError(
                f"{request.__name__}.walk_plan: return a plan whose last type argument is the item"
            )
        walks.append((name, request, item[0]))
    return walks


def _home(module: ModuleType, bindings: dict[str, Import], cls: type[Any]) -> Import:
    """How to import `cls` the way the model module has it, else from where it is defined."""
    if getattr(module, cls.__name__, None) is cls and cls.__name__ in bindings:
        return bindings[cls.__name__]
    return (cls.__module__, cls.__name__, None)


def _docstring(text: str, indent: str) -> list[str]:
    lines = inspect.cleandoc(text).splitlines()
    if '"""' in text:
        raise ValueError(f"a docstring with triple quotes cannot be copied: {lines[0]}")
    prefix = 'r"""' if "\\" in text else '"""'
    body = [f"{indent}{prefix}{lines[0]}", *(f"{indent}{line}".rstrip() for line in lines[1:])]
    body[-1] += '"""'
    return body


def render_calls_source(model_module: str) -> str:
    """The `_calls.py` text for one service, before ruff: the sync and async method of every call its
    request models declare."""
    module = importlib.import_module(model_module)
    bindings = _bindings(module)
    service_module = model_module.replace(".model", ".service")
    service_class = _service_source_class(service_module)
    service = service_class.name
    raw = f"{service}WithRawResponse"
    calls = declared_calls(model_module)
    walks = {request: (name, item) for name, request, item in declared_walks(model_module)}
    # A hand-written method of the same name would hide the generated one without a word.
    written = {f.name for f in service_class.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    generated = [c for c, _ in calls] + [name for name, _ in walks.values()]
    for clash in sorted(written & {n for c in generated for n in (c, f"a{c}")}):
        raise ValueError(f"{service}.{clash} is written by hand and declared as a call or walk: keep one")
    package = model_module.rpartition(".")[0]
    imports: set[Import] = {("fastgpt_oapi.core.service", "Service", None), (f"{package}._raw", raw, None)}
    body: list[str] = []
    for name, request in calls:
        response = request.response_type
        if not response.__name__.isidentifier():  # `Page[Item]`: the method's annotation needs a name
            raise TypeError(f"{request.__name__}: answer a named class (`class XResponse(Page[Item])`)")
        imports |= {_home(module, bindings, request), _home(module, bindings, response)}
        imports.add(("fastgpt_oapi.core.options", "RequestOption", None))
        params = f"self, request: {request.__name__}, request_option: RequestOption | None = None"
        body += [
            "",
            f"    def {name}({params}) -> {response.__name__}:",
            *_docstring(vars(request)["__doc__"], " " * 8),
            "        return self._http.request(request, request_option)",
            "",
            f"    async def a{name}({params}) -> {response.__name__}:",
            "        return await self._http.arequest(request, request_option)",
        ]
        if request in walks:
            body += _walk_methods(module, bindings, imports, name, request, *walks[request])
    cls = calls_class_name(service_module)
    head = [
        "",
        "",
        f"class {cls}(Service[{raw}]):",
        f'    """`{service}`\'s methods that send one request and return its answer: one sync and one async',
        "    method for each request model whose `Route` names its `call`, documented by its docstring; and",
        '    the walks over paged lists whose `Route` names a `walk`, along the request\'s `walk_plan()`."""',
    ]
    exports = ["", f'__all__ = ["{cls}"]']
    return "\n".join([*_header(model_module), *_import_lines(imports), *exports, *head, *body]) + "\n"


def _walk_methods(
    module: ModuleType,
    bindings: dict[str, Import],
    imports: set[Import],
    call: str,
    request: type[Any],
    name: str,
    item: type[Any],
) -> list[str]:
    """`iter_x` and `aiter_x`: `walk` / `awalk` fetching the pages of `request.walk_plan()` with `call`."""
    imports |= {
        _home(module, bindings, item),
        ("collections.abc", "Iterator", None),
        ("collections.abc", "AsyncIterator", None),
        ("fastgpt_oapi.core.paging", "walk", None),
        ("fastgpt_oapi.core.paging", "awalk", None),
    }
    service = module.__name__.split(".")[-2]
    params = f"self, request: {request.__name__}, request_option: RequestOption | None = None"
    return [
        "",
        f"    def {name}({params}) -> Iterator[{item.__name__}]:",
        *_docstring(request.walk_plan.__doc__, " " * 8),
        f"        return walk(lambda page: self.{call}(page, request_option), request.walk_plan())",
        "",
        f"    def a{name}({params}) -> AsyncIterator[{item.__name__}]:",
        f'        """`{name}`, async; call it without `await`:',
        f'        `async for item in client.{service}.a{name}(request)`."""',
        f"        return awalk(lambda page: self.a{call}(page, request_option), request.walk_plan())",
    ]


def calls_target(model_module: str) -> Path:
    return Path(inspect.getfile(importlib.import_module(model_module))).with_name(CALLS_TARGET)


def render_calls(model_module: str) -> str:
    path = calls_target(model_module)
    text = _ruff(["check", "--quiet", "--select", "I", "--fix"], path, render_calls_source(model_module))
    return _ruff(["format", "--quiet"], path, text)


# ---- raw-response wrappers: `client.<service>.with_raw_response` --------------------------------

RAW_TARGET = "_raw.py"
# The Sender calls that send one request and parse its answer; a method making exactly one of them,
# and nothing else with the sender, returns that answer's model, so its raw twin returns the answer.
_SENDS = {"request", "arequest", "send", "asend"}


def _service_class(module: ModuleType) -> ast.ClassDef:
    return _only_service_class(_module_tree(module), module.__name__)


def _sender_uses(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """What the method does with `self._http`: the attribute of each use (`request`, `prepare`, ...);
    "" for a use that hands the sender itself on (to a helper that may send anything)."""
    uses = []
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
            and node.attr == "_http"
        ):
            uses.append("")
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "self"
            and node.value.attr == "_http"
        ):
            uses.remove("")
            uses.append(node.attr)
    return uses


# A (sync, async) pair of methods, and how the names in their annotations are imported where they are.
Pair = tuple[ast.FunctionDef, ast.AsyncFunctionDef, dict[str, Import]]


def raw_methods(module_name: str) -> list[Pair]:
    """(sync, async) method pairs of the service that send one request and return its model: the
    generated ones (`_calls.py`, as it is rendered now) and any hand-written one."""
    model_module = module_name.replace(".service", ".model")
    tree = ast.parse(render_calls_source(model_module))
    package = model_module.rpartition(".")[0]
    bindings = _tree_bindings(tree, f"{package}._calls", package)
    generated = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    # The walks send many requests: no raw twin.
    calls = {n for c, _ in declared_calls(model_module) for n in (c, f"a{c}")}
    methods = {
        f.name: f
        for f in generated.body
        if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.name in calls
    }
    pairs: list[Pair] = []
    for name, sync in methods.items():
        twin = methods[f"a{name}"] if isinstance(sync, ast.FunctionDef) else None
        if isinstance(sync, ast.FunctionDef) and isinstance(twin, ast.AsyncFunctionDef):
            pairs.append((sync, twin, bindings))
    written = _bindings(importlib.import_module(module_name))
    return pairs + [(sync, twin, written) for sync, twin in _written_raw_methods(module_name)]


def _written_raw_methods(module_name: str) -> list[tuple[ast.FunctionDef, ast.AsyncFunctionDef]]:
    """Hand-written (sync, async) method pairs of the service that send one request and return its model."""
    from fastgpt_oapi.core.model import ResponseModel

    module = importlib.import_module(module_name)
    node = _service_class(module)
    cls = getattr(module, node.name)
    methods = {f.name: f for f in node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    pairs = []
    for name, sync in methods.items():
        twin = methods.get(f"a{name}")
        if (
            name.startswith("_")
            or not isinstance(sync, ast.FunctionDef)
            or not isinstance(twin, ast.AsyncFunctionDef)
        ):
            continue
        returned = typing.get_type_hints(getattr(cls, name)).get("return")
        if not (isinstance(returned, type) and issubclass(returned, ResponseModel)):
            continue
        uses = [u for u in _sender_uses(sync) if u != "prepare"]
        if (
            len(uses) == 1
            and uses[0] in _SENDS
            and not any(isinstance(n, (ast.For, ast.While)) for n in ast.walk(sync))
        ):
            pairs.append((sync, twin))
    return pairs


def render_raw_source(module_name: str) -> str:
    """The `_raw.py` text for one service module, before ruff."""
    module = importlib.import_module(module_name)
    service = _service_class(module).name
    imports: set[Import] = {("fastgpt_oapi.core.http", "RawResponse", None), ("typing", "cast", None)}
    checking: set[Import] = {(module_name, service, None)}
    body: list[str] = []
    for sync, twin, bindings in raw_methods(module_name):
        for function in (sync, twin):
            assert function.returns is not None
            returns = ast.unparse(function.returns)
            params = ast.unparse(function.args)
            every = [*function.args.args, *function.args.kwonlyargs]
            annotations = [ast.unparse(a.annotation) for a in every if a.annotation is not None]
            for used in sorted(set().union(*map(_names_in, [returns, *annotations]))):
                if used in bindings:
                    imports.add(bindings[used])
                elif not hasattr(builtins, used) and used != "self":
                    raise NameError(f"{service}.{function.name}: cannot tell where {used!r} comes from")
            arguments = ", ".join(
                [a.arg for a in function.args.args[1:]]
                + [f"{a.arg}={a.arg}" for a in function.args.kwonlyargs]
            )
            call = f"self._service.{function.name}({arguments})"
            prefix = "async def" if function is twin else "def"
            body += [
                "",
                f"    {prefix} {function.name}({params}) -> RawResponse[{returns}]:",
                f'        return cast("RawResponse[{returns}]", {"await " if function is twin else ""}{call})',
            ]
    name = f"{service}WithRawResponse"
    header = _header(f"{module_name} and {CALLS_TARGET}")
    guarded = [
        "",
        "from typing import TYPE_CHECKING",
        "",
        "if TYPE_CHECKING:",
        *(f"    {line}" for line in _import_lines(checking)[2:]),
    ]
    cls = [
        "",
        "",
        f"class {name}:",
        f'    """`{service}` methods that send one request, answering a `RawResponse` of it: status,',
        '    headers, the `httpx.Response`, and `parse()` for the model the method returns otherwise."""',
        "",
        f"    def __init__(self, service: {service}) -> None:",
        "        self._service = type(service)(service._http.raw())",
    ]
    exports = ["", f'__all__ = ["{name}"]']
    return "\n".join([*header, *_import_lines(imports), *guarded, *exports, *cls, *body]) + "\n"


def render_raw(module_name: str) -> str:
    path = raw_target(module_name)
    text = _ruff(["check", "--quiet", "--select", "I", "--fix"], path, render_raw_source(module_name))
    return _ruff(["format", "--quiet"], path, text)


def raw_target(module_name: str) -> Path:
    # Found without importing the service: it imports `_calls.py`, which imports this file.
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.origin is None:
        raise ValueError(f"{module_name}: not found")
    return Path(spec.origin).with_name(RAW_TARGET)


def raw_placeholder(module_name: str) -> str:
    """A new service's first `_raw.py`: the class its `_calls.py` names, so that the service imports
    and its real raw view can be generated from it."""
    name = f"{service_class_name(module_name)}WithRawResponse"
    body = [
        "",
        "",
        f"class {name}:",
        "    def __init__(self, service: object) -> None:",
        "        self._service = service",
    ]
    return "\n".join([*_header(module_name), *body, ""])


def _write(path: Path, new: str, check: bool) -> bool:
    """Write `new` to `path` (unless `check`); True if it was already there."""
    if path.exists() and path.read_text(encoding="utf-8") == new:
        return True
    if not check:
        path.write_text(new, encoding="utf-8")
    return False


# ---- the package root's request models: `fastgpt_oapi/_exports.py` ---------------------------------

EXPORTS_TARGET = Path("fastgpt_oapi") / "_exports.py"


def exported_requests() -> dict[str, list[str]]:
    """Service model module (relative to the package) -> the request models in its `__all__`, sorted."""
    found: dict[str, list[str]] = {}
    for model_module in (m.replace(".service", ".model") for m in SERVICE_MODULES):
        listed = set(importlib.import_module(model_module).__all__)
        names = sorted(r.__name__ for r in request_models(model_module) if r.__name__ in listed)
        found[model_module.removeprefix("fastgpt_oapi.")] = names
    return found


ERRORS_MODULE = "fastgpt_oapi.core.errors"


def render_exports_source() -> str:
    """The `_exports.py` text, before ruff: the exceptions (`core/errors.py`'s `__all__`) and every
    service's request models, imported for type checkers, listed in `__all__`, and mapped to their
    module for the root's lazy `__getattr__`."""
    errors = sorted(importlib.import_module(ERRORS_MODULE).__all__)
    homes = {ERRORS_MODULE.removeprefix("fastgpt_oapi."): errors, **exported_requests()}
    every = sorted(name for names in homes.values() for name in names)
    lines = [
        *_header("the `__all__` of `core/errors.py` and of the service model modules"),
        '"""The exceptions and every service\'s request models, which the package root exports',
        "(`fastgpt_oapi/__init__.py`): imported here for type checkers only; at run time the root loads",
        "each from its module in `HOMES` on first use, so `import fastgpt_oapi` loads no model (and not",
        '`core/errors.py` either)."""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import TYPE_CHECKING",
        "",
        "if TYPE_CHECKING:",
        *(f"    from .{module} import {', '.join(names)}" for module, names in homes.items() if names),
        "",
        "__all__ = [",
        *(f'    "{name}",' for name in every),
        "]",
        "",
        "HOMES = {",
        *(
            f"    **dict.fromkeys(({''.join(f'{n!r}, ' for n in names)}), {module!r}),"
            for module, names in homes.items()
            if names
        ),
        "}",
    ]
    return "\n".join(lines) + "\n"


def render_exports() -> str:
    text = _ruff(["check", "--quiet", "--select", "I", "--fix"], EXPORTS_TARGET, render_exports_source())
    return _ruff(["format", "--quiet"], EXPORTS_TARGET, text)


# ---- the client's services: `fastgpt_oapi/_services.py` ------------------------------------------

SERVICES_TARGET = Path("fastgpt_oapi") / "_services.py"


def render_services_source() -> str:
    """The `_services.py` text, before ruff: `ClientServices`, which `Client` derives from, with one
    `cached_property` per service module (`client.chat_history`), importing its service on first use."""
    services = [
        (m.split(".")[-2], service_class_name(m), m.removeprefix("fastgpt_oapi")) for m in SERVICE_MODULES
    ]
    lines = [
        *_header("the service modules (`SERVICE_MODULES` of tools/codegen.py)"),
        '"""`Client`\'s services, one property per service module, each made on first use."""',
        "",
        "from __future__ import annotations",
        "",
        "from functools import cached_property",
        "from typing import TYPE_CHECKING",
        "",
        "if TYPE_CHECKING:",
        "    from .core.http import Sender",
        *(f"    from {module} import {cls}" for _, cls, module in services),
        "",
        '__all__ = ["ClientServices"]',
        "",
        "",
        "class ClientServices:",
        '    """`Client`\'s services: `client.<service>`, made on first use and kept."""',
        "",
        "    _http: Sender",
    ]
    for name, cls, module in services:
        lines += [
            "",
            "    @cached_property",
            f"    def {name}(self) -> {cls}:",
            f"        from {module} import {cls}",
            "",
            f"        return {cls}(self._http)",
        ]
    return "\n".join(lines) + "\n"


def render_services() -> str:
    text = _ruff(["check", "--quiet", "--select", "I", "--fix"], SERVICES_TARGET, render_services_source())
    return _ruff(["format", "--quiet"], SERVICES_TARGET, text)


# ---- the service pages' method tables ----------------------------------------------------------

DOCS = Path("docs")
TABLE_START, TABLE_END = "<!-- methods -->", "<!-- /methods -->"


def _since_by_method(coverage: str) -> dict[str, str]:
    """`dataset.get_dataset` -> its since-version, from the coverage table's rows (the first row wins)."""
    since: dict[str, str] = {}
    header: list[str] = []
    for line in coverage.splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[:2] == ["operation", "method"]:
            header = cells
            continue
        if header and len(cells) == len(header):
            row = dict(zip(header, cells, strict=True))
            for name in row["SDK"].replace("`", "").split(","):
                since.setdefault(name.strip(), row["since"])
    return since


def _endpoint(route: Route) -> str:
    from pydantic.alias_generators import to_camel

    query = "?" + "&".join(f"{to_camel(q)}=" for q in sorted(route.query)) if route.query else ""
    return f"`{route.method} {route.path}{query}`"


def _first_sentence(doc: str | None) -> str:
    text = " ".join((doc or "").split("\n\n", 1)[0].split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def _listed(model: object) -> str:
    """`: list of X` for a response whose `list` field holds the items."""
    field = getattr(model, "model_fields", {}).get("list")
    items = typing.get_args(field.annotation) if field is not None else ()
    return f": `list` of `{getattr(items[0], '__name__', items[0])}`" if len(items) == 1 else ""


def method_rows(module_name: str, since: dict[str, str]) -> list[str]:
    """The table rows of one service, one per public sync method: in the order the request models are
    defined, a request's generated method first, then the hand-written ones that take that request
    (`iter_x` after `list_x`); hand-written helpers that take no request model last, in source order."""
    module = importlib.import_module(module_name)
    node = _service_class(module)
    cls = getattr(module, node.name)
    service = module_name.split(".")[-2]
    model_module = module_name.replace(".service", ".model")
    single = {sync.name for sync, _, _ in raw_methods(module_name)}
    order = {request: i for i, request in enumerate(request_models(model_module))}
    rows: list[tuple[tuple[int, ...], str]] = []
    for i, (name, request) in enumerate(declared_calls(model_module)):
        returned = f"`{request.response_type.__name__}`{_listed(request.response_type)}"
        row = f"| `{name}` | {_endpoint(request.route)} | {returned} | {since.get(f'{service}.{name}', '')} |"
        rows.append(((order[request], 0, i), row))
    for name, request, item in declared_walks(model_module):  # right after its call
        sends = f"{_endpoint(request.route)}, page after page"
        row = f"| `{name}` | {sends} | `Iterator[{item.__name__}]` | {since.get(f'{service}.{name}', '')} |"
        rows.append(((order[request], 0, len(order)), row))
    defined = [f for f in node.body if isinstance(f, ast.FunctionDef) and not f.name.startswith("_")]
    # An overloaded method is one row, its implementation's, returning what each overload returns.
    overloads: dict[str, list[str]] = {}
    for f in defined:
        if any(ast.unparse(d).endswith("overload") for d in f.decorator_list) and f.returns is not None:
            overloads.setdefault(f.name, []).append(f"`{ast.unparse(f.returns)}`")
    functions = [f for f in defined if not any(ast.unparse(d).endswith("overload") for d in f.decorator_list)]
    names = {f.name for f in functions} | {f.name for f in node.body if isinstance(f, ast.AsyncFunctionDef)}
    for i, function in enumerate(functions):
        name = function.name
        if name.startswith("a") and name[1:] in names:
            continue  # `aiter_x`: an async twin defined with `def`, documented with its sync method
        hints = typing.get_type_hints(getattr(cls, name))
        route = getattr(hints.get("request"), "route", None)
        if route is not None and name in single:
            sends = _endpoint(route)
        elif route is not None and name.startswith("iter_"):
            sends = f"{_endpoint(route)}, page after page"
        else:
            sends = _first_sentence(inspect.getdoc(getattr(cls, name)))
        if name in overloads:
            returned = " or ".join(overloads[name])
        else:
            returned = f"`{ast.unparse(function.returns)}`" if function.returns is not None else "`None`"
            returned += _listed(hints.get("return"))
        row = f"| `{name}` | {sends} | {returned} | {since.get(f'{service}.{name}', '')} |"
        rows.append(((order.get(hints.get("request"), len(order)), 1, i), row))  # type: ignore[arg-type]
    return [row for _, row in sorted(rows)]


def render_method_table(module_name: str, since: dict[str, str]) -> str:
    head = ["| method | FastGPT endpoint | returns | since |", "|---|---|---|---|"]
    return "\n".join([TABLE_START, *head, *method_rows(module_name, since), TABLE_END])


def method_table_pages(
    root: Path = Path(), skip: set[str] | frozenset[str] = frozenset()
) -> list[tuple[Path, str]]:
    """(page, its text with a fresh table) for every service page that has the markers."""
    coverage = root / DOCS / "coverage.md"
    if not coverage.exists():
        return []
    since = _since_by_method(coverage.read_text(encoding="utf-8"))
    pages = []
    for module_name in (m for m in SERVICE_MODULES if m not in skip):
        page = root / DOCS / f"{module_name.split('.')[-2]}.md"
        text = page.read_text(encoding="utf-8") if page.exists() else ""
        if TABLE_START not in text:
            continue
        before, rest = text.split(TABLE_START, 1)
        after = rest.split(TABLE_END, 1)[1]
        pages.append((page, before + render_method_table(module_name, since) + after))
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if a builder file is out of date")
    args = parser.parse_args(argv)
    if not EXPORTS_TARGET.exists():  # the package root cannot be imported without it
        if args.check:
            print("out of date (run `make codegen`):", _shown(EXPORTS_TARGET), file=sys.stderr)
            return 1
        EXPORTS_TARGET.write_text("__all__: list[str] = []\nHOMES: dict[str, str] = {}\n", encoding="utf-8")
    targets = [target(m) for m in MODULES]
    if len(set(targets)) != len(targets):
        raise ValueError("two modules would share one _builders.py")
    stale = [target(m) for m in MODULES if not regenerate(m, args.check)]
    # With `--check`, a service whose `_calls.py` or `_raw.py` is missing cannot be imported, so
    # what is read from the service class (its raw view, its method table) is not checked.
    broken = set()
    for m in SERVICE_MODULES:
        model = m.replace(".service", ".model")
        if not calls_target(model).exists() and args.check:
            broken.add(m)
        if not _write(calls_target(model), render_calls(model), args.check):
            stale.append(calls_target(model))
        if not raw_target(m).exists():  # a new service
            if args.check:
                stale.append(raw_target(m))
                broken.add(m)
                continue
            raw_target(m).write_text(raw_placeholder(m), encoding="utf-8")
        if m not in broken and not _write(raw_target(m), render_raw(m), args.check):
            stale.append(raw_target(m))
    stale += [] if _write(EXPORTS_TARGET, render_exports(), args.check) else [EXPORTS_TARGET]
    stale += [] if _write(SERVICES_TARGET, render_services(), args.check) else [SERVICES_TARGET]
    pages = method_table_pages(skip=broken)
    stale += [page for page, text in pages if not _write(page, text, args.check)]
    if stale and args.check:
        print("out of date (run `make codegen`):", ", ".join(_shown(path) for path in stale), file=sys.stderr)
        return 1
    for path in stale:
        print("regenerated", _shown(path))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
