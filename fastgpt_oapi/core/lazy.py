"""Builder classes exported from the modules of their models, loaded on first use.

Each package's builders are generated into its `_builders` module, which imports the models; the
model module names them in `__all__` and gets them through `__getattr__ = builders_on_demand(...)`, and
each model with a builder declares it in one line, `builder: ClassVar[Builds[XBuilder]] = Builds()`.
No imports here: the model modules of every service use it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

__all__ = ["Builds", "builders_on_demand"]

_BuilderT = TypeVar("_BuilderT")


class Builds(Generic[_BuilderT]):
    """`X.builder()`: a new `XBuilder`, the class `make codegen` writes into the sibling `_builders`
    module (which imports the models, so it is imported on the first call, not with them)."""

    __slots__ = ("_builder", "_module", "_name")

    def __set_name__(self, owner: type, name: str) -> None:
        self._module = owner.__module__.rpartition(".")[0] + "._builders"
        self._name = f"{owner.__name__}Builder"
        self._builder: Callable[[], _BuilderT] | None = None

    def __get__(self, instance: object, owner: type | None = None) -> Callable[[], _BuilderT]:
        if self._builder is None:
            found: Any = getattr(importlib.import_module(self._module), self._name)
            self._builder = found
        return self._builder


def builders_on_demand(module: str, exported: Sequence[str]) -> Callable[[str], object]:
    """A module `__getattr__` giving the `...Builder` names of `exported` from the sibling `_builders`."""

    def __getattr__(name: str) -> object:
        if name.endswith("Builder") and name in exported:
            builders = importlib.import_module(module.rpartition(".")[0] + "._builders")
            value = getattr(builders, name)
            setattr(sys.modules[module], name, value)  # found directly from now on
            return value
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
