"""Enumerations FastGPT validates requests against, shared by more than one service."""

from __future__ import annotations

from typing import Literal

__all__ = ["ChatSource"]

# Where a chat came from: FastGPT's `ChatSourceEnum` (`packages/global/core/chat/constants.ts`, last
# changed by 4b7ed6c0, as of upstream f88b51b5). Request filters are validated with
# `z.enum(ChatSourceEnum)` / `z.nativeEnum(ChatSourceEnum)`, so any other value (such as `"team"`,
# which older docs show) is a 400. Response fields stay plain strings, for sources added later.
ChatSource = Literal[
    "test",
    "online",
    "share",
    "api",
    "cronJob",
    "feishu",
    "official_account",
    "wecom",
    "wechat",
    "mcp",
]
