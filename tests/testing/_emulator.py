"""The standalone emulator run as a user runs it: a subprocess, its JSON line read from a real pipe.

`EMULATOR` is the one place that says how it is started: the command line's `emulator` command, as a
user types it.
"""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from fastgpt_oapi import Client

EMULATOR = [sys.executable, "-m", "fastgpt_oapi", "emulator"]
# A fresh interpreter importing the emulator on a loaded 2-core machine: generous.
START_TIMEOUT = 60.0


@dataclass
class Emulator:
    """A running standalone emulator: what it printed, and its process."""

    base_url: str
    api_key: str
    apps: dict[str, str]
    process: subprocess.Popen[str]

    def admin(self, method: str, name: str, body: Any = None, *, key: str | None = None) -> httpx.Response:
        """A call to the admin API (`/__emulator/<name>`), with the emulator's key unless `key` is given."""
        token = self.api_key if key is None else key
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return httpx.request(
            method, f"{self.base_url}/__emulator/{name}", json=body, headers=headers, timeout=30
        )

    def client(self, **settings: Any) -> Client:
        """An SDK client for it, with the printed key and the default app."""
        builder = Client.builder().base_url(self.base_url).api_key(self.api_key).app_id(self.apps["echo"])
        for name, value in settings.items():
            builder = getattr(builder, name)(value)
        return builder.build()

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str, str]:
        """Send `signum` and wait: the exit code, and what was left on stdout and stderr."""
        self.process.send_signal(signum)
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, out, err


def launch(*args: str) -> subprocess.Popen[str]:
    """The emulator started with `args` (`--port 0` unless a port is given), pipes on all three."""
    port = [] if "--port" in args else ["--port", "0"]
    return subprocess.Popen(
        [*EMULATOR, *port, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def first_line(process: subprocess.Popen[str]) -> str:
    """The first line the emulator printed, or a failure with what it said instead."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
    if not ready:
        process.kill()
        _, err = process.communicate()
        raise AssertionError(f"the emulator printed nothing in {START_TIMEOUT} s; stderr: {err}")
    line = process.stdout.readline()
    if not line:
        _, err = process.communicate(timeout=30)
        raise AssertionError(f"the emulator exited {process.returncode} before printing; stderr: {err}")
    return line


@contextmanager
def running(*args: str) -> Iterator[Emulator]:
    """The emulator, started with `args`, parsed from its JSON line; killed afterwards if still running."""
    process = launch(*args)
    try:
        printed = json.loads(first_line(process))
        yield Emulator(printed["base_url"], printed["api_key"], printed["apps"], process)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
