"""What every example starts with: a client for your FastGPT server, or for the embedded emulator.

With FASTGPT_BASE_URL and FASTGPT_API_KEY set (and FASTGPT_APP_ID, the app to chat with: the examples
pick apps by id, so set it even with an app key, to the key's app), the examples
talk to that server. Otherwise they start a `FakeFastGPT` in process, so they run anywhere, offline.

The emulator has one app per behaviour ("echo", "workflow", "reasoning", "select", "form", "error",
"knowledge").
Against a real server, `Target.app("select")` reads FASTGPT_SELECT_APP_ID and so on, falling back to
FASTGPT_APP_ID: point them at apps of yours that behave that way to see the same output.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastgpt_oapi import Client

if TYPE_CHECKING:
    from fastgpt_oapi.testing import FakeFastGPT

__all__ = ["Target", "connect", "heading", "real_server"]


def real_server() -> bool:
    """True when the environment names a FastGPT server to use instead of the emulator."""
    return bool(os.environ.get("FASTGPT_BASE_URL") and os.environ.get("FASTGPT_API_KEY"))


@dataclass
class Target:
    client: Client
    where: str
    fake: FakeFastGPT | None  # None against a real server

    def app(self, name: str) -> str:
        """The app id for one of the emulator's built-in behaviours ("workflow", "select", ...)."""
        if self.fake is not None:
            return self.fake.apps[name]
        app_id = os.environ.get(f"FASTGPT_{name.upper()}_APP_ID") or self.client.app_id
        assert app_id is not None  # connect() checked FASTGPT_APP_ID
        return app_id


@contextmanager
def connect(**settings: Any) -> Iterator[Target]:
    """A client, closed on exit. `settings` are `Client.builder()` setters, e.g. `max_retries=0`."""
    if real_server():
        builder = Client.builder()  # reads FASTGPT_BASE_URL, FASTGPT_API_KEY and FASTGPT_APP_ID
        for name, value in settings.items():
            builder = getattr(builder, name)(value)
        with builder.build() as client:
            if client.app_id is None:
                sys.exit("Set FASTGPT_APP_ID to the 24-hex id of the app to chat with.")
            yield Target(client, client.base_url, None)
        return

    from fastgpt_oapi.testing import FakeFastGPT

    fake = FakeFastGPT()
    with fake.client(**settings) as client:
        yield Target(client, "the embedded FakeFastGPT", fake)


def heading(text: str) -> None:
    print(f"\n=== {text} ===")
