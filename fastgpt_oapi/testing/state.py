"""The emulator's memory, shared by every area: apps, chats and their records, the clock, the lock.

A chat made by the completions area is what the history and logs areas list, so all of them read and
write this one `State`; none keeps data of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .apps import App, Language
from .callbacks import Outbound
from .datasets import DatasetStore
from .storage import FakeStorage

__all__ = ["NEW_CHAT_TITLE", "Chat", "Record", "ShareLink", "State", "iso"]

# A chat's title before anything names it (FastGPT's i18n `chat:new_chat`).
NEW_CHAT_TITLE: dict[Language, str] = {"en": "New chat", "zh": "新对话"}


def iso(ts: float) -> str:
    """A timestamp as FastGPT's dates serialise: UTC, milliseconds, `Z`."""
    return (
        datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{int(ts * 1000) % 1000:03d}Z"
    )


@dataclass
class Record:
    id: str
    data_id: str
    obj: str
    value: list[dict[str, Any]]
    time: float
    nodes: list[dict[str, Any]] = field(default_factory=list)
    duration: float | None = None
    good: str | None = None
    bad: str | None = None
    error: str | None = None
    points: float = 0.0


@dataclass
class Chat:
    app_id: str
    chat_id: str
    title: str
    created: float
    updated: float
    source: str = "api"
    custom_title: str = ""
    top: bool = False
    uid: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    pending: dict[str, Any] | None = None
    # Deleted chats stay in the store so a later completion with the same id starts a fresh one.
    deleted: bool = False
    # FastGPT >= 4.14.11: a finished answer leaves the chat unread until chat init or markRead.
    has_been_read: bool = False
    # 0 generating, 1 done, 2 error. The emulator's runs finish before they are answered (a stopped
    # stream's record is cut to what was sent afterwards, still done).
    generate_status: int = 1
    # A chat made through a share link: the link, and the uid its hook gave (`outLinkUid` in FastGPT).
    share_id: str | None = None


@dataclass
class ShareLink:
    """A share link (`FakeFastGPT.create_share_link`): the app it runs and its identity hook's root URL."""

    share_id: str
    app_id: str
    name: str
    hook_url: str | None = None


@dataclass
class State:
    apps: dict[str, tuple[str, App]]  # app id -> (name, app)
    default_app_id: str  # what a completion without `appId` runs, as an app-bound API key would
    clock: Callable[[], float]
    version: tuple[int, ...]  # the FastGPT version played: which paths exist
    chats: dict[tuple[str, str], Chat] = field(default_factory=dict)
    # Where uploaded chat files go (presign answers point there).
    storage: FakeStorage = field(default_factory=FakeStorage)
    # Knowledge bases: datasets, collections, data (the dataset area and the knowledge app).
    datasets: DatasetStore = field(default_factory=DatasetStore)
    # One lock for the store and the request log: the loopback server handles requests on threads.
    lock: threading.RLock = field(default_factory=threading.RLock)
    # What the built-in apps and the emulator's own texts are written in.
    language: Language = "en"
    # Calls out to users' servers (API file libraries, share-link hooks), and the apps mounted in process.
    callbacks: Outbound = field(default_factory=Outbound)
    share_links: dict[str, ShareLink] = field(default_factory=dict)
    # The stop flag of each (app id, chat id) whose v2 stream is being sent, as FastGPT keeps one in
    # Redis (`agent_runtime_stopping:...`): the stop route sets it, the stream's sender checks it.
    stops: dict[tuple[str, str], threading.Event] = field(default_factory=dict)

    def live(self, app_id: str) -> list[Chat]:
        return [c for c in self.chats.values() if c.app_id == app_id and not c.deleted]
