"""`ProgressCallback`: the one shape of every `on_progress=` that counts (bytes or items).

`on_progress(done, total)`: `done` so far, of `total` when it is known (None when it is not: items
pulled from a generator). Bytes are counted as the body is written to the connection, one chunk at
a time, so a bar moves while the upload runs; items once FastGPT has acknowledged their batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

__all__ = ["ProgressCallback"]

ProgressCallback: TypeAlias = Callable[[int, int | None], object]
