"""Builder classes exported from the modules of their models, loaded on first use.

Each package's builders are generated into its `_builders` module, which imports the models; the
model module names them in `__all__` and gets them through `__getattr__ = builders_on_demand(...)`.
No imports here: the model modules of every service use it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

__all__ = ["builders_on_demand"]


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
