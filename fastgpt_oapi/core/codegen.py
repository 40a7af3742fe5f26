"""Generate the typed builders of request models: `python -m fastgpt_oapi.core.codegen [--check]`.

Each module that ends with a "region generated builders" block gets, for every model class defined in
it that has a `builder()` classmethod, a `<Model>Builder` class with one setter per field. Setter
parameter types are the field annotations exactly as written in the source, so mypy checks builder
calls as strictly as constructor calls, with no `__getattr__`. The test suite runs `--check`, so a
field added without regenerating fails CI.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from pathlib import Path

from pydantic import BaseModel

MODULES = (
    "fastgpt_oapi.core.options",
    "fastgpt_oapi.api.chat.model",
    "fastgpt_oapi.api.chat_history.model",
    "fastgpt_oapi.api.app_logs.model",
)

START = "# region generated builders (python -m fastgpt_oapi.core.codegen); do not edit by hand"
END = "# endregion"


def _annotation(cls: type[BaseModel], name: str) -> str:
    for klass in cls.__mro__:
        annotations = inspect.get_annotations(klass)
        if name in annotations:
            text = annotations[name]
            if not isinstance(text, str):
                raise TypeError(f"{cls.__name__}.{name}: modules with builders use postponed annotations")
            if klass.__module__ != cls.__module__:
                raise TypeError(f"{cls.__name__}.{name}: builder fields must be declared in {cls.__module__}")
            if text.startswith("Annotated["):
                raise TypeError(f"{cls.__name__}.{name}: use a named alias instead of a bare Annotated[...]")
            return text
    raise TypeError(f"{cls.__name__}.{name}: annotation not found")


def builder_models(module_name: str) -> list[type[BaseModel]]:
    module = importlib.import_module(module_name)
    found = []
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if (
            issubclass(obj, BaseModel)
            and obj.__module__ == module_name
            and isinstance(inspect.getattr_static(obj, "builder", None), classmethod)
        ):
            found.append(obj)
    source = inspect.getsource(module)
    found.sort(key=lambda c: source.index(f"class {c.__name__}("))
    return found


def render(module_name: str) -> str:
    lines = [START, "from fastgpt_oapi.core.model import RequestBuilder  # noqa: E402", ""]
    for model in builder_models(module_name):
        name = f"{model.__name__}Builder"
        lines += ["", f"class {name}(RequestBuilder[{model.__name__}]):", f"    _model = {model.__name__}"]
        for field_name in model.model_fields:
            annotation = _annotation(model, field_name)
            lines += [
                "",
                f"    def {field_name}(self, {field_name}: {annotation}) -> {name}:",
                f'        self._set("{field_name}", {field_name})',
                "        return self",
            ]
        lines.append("")
    lines += ["", END]
    return "\n".join(lines) + "\n"


def regenerate(module_name: str, check: bool) -> bool:
    """Rewrite the module's generated region; return True if it was already up to date."""
    module = importlib.import_module(module_name)
    path = Path(inspect.getfile(module))
    text = path.read_text(encoding="utf-8")
    start = text.index(START)
    end = text.index(END, start) + len(END) + 1
    new = text[:start] + render(module_name) + text[end:]
    if new == text:
        return True
    if not check:
        path.write_text(new, encoding="utf-8")
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if a builder is out of date")
    args = parser.parse_args(argv)
    stale = [m for m in MODULES if not regenerate(m, args.check)]
    if stale and args.check:
        print("out of date (run `make codegen`):", ", ".join(stale), file=sys.stderr)
        return 1
    for m in stale:
        print("regenerated", m)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
