from __future__ import annotations

import pytest

from .support import WAYS


@pytest.fixture(params=WAYS)
def way(request: pytest.FixtureRequest) -> str:
    """How a check reaches the server: the async check in process, or either check over loopback HTTP."""
    value: str = request.param
    return value
