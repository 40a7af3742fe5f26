"""Offset pagination, written once: the `{list, total}` page shape and the walk over its pages.

FastGPT pages with `offset` + `pageSize` and answers `{list, total}`. `OffsetPager` is the pure
decision of what to fetch next; `iterate_pages` / `aiterate_pages` are the two thin I/O shells that
every `iter_*` / `aiter_*` service method uses.

FastGPT's lists (histories, records, logs) change at their front: a new or newly updated chat, a new
message, goes to offset 0. During a walk that pushes the items still ahead back, so a page can start
with items already handed out. Those are skipped (items are told apart by a key: chat id, record id),
and `total` grows while no new item appears ahead. Hence the rules; the walk ends on the first of:

1. an empty page, or a page shorter than the page size asked for;
2. the next offset reaching the latest `total`;
3. as many distinct items handed out as the first `total` reported said were there from the start
   offset on: growth at the front adds nothing ahead, so a server whose `total` keeps running away
   cannot keep the walk going;
4. two pages in a row that bring nothing new: the server ignores `offset` and repeats itself. (One
   such page can be honest: a burst of new items at the front shifts a whole page back.)

With a `total` on the first page the walk is bounded: at most `total` pages bring something new, and
at most one empty-handed page sits between two of them. A server that sends no `total` is walked until
rule 1 or 4. One key per item handed out is kept.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator, Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel

from .model import FastGPTModel

__all__ = ["OffsetPager", "Page", "aiterate_pages", "at_offset", "iterate_pages"]

ItemT = TypeVar("ItemT")
RequestT = TypeVar("RequestT", bound=BaseModel)


class Page(FastGPTModel, Generic[ItemT]):
    """`{list, total}`: one page of a paginated FastGPT endpoint."""

    list: builtins.list[ItemT] = []
    total: int = 0

    @property
    def reported_total(self) -> int | None:
        """`total` as the server sent it; None when the server left it out."""
        return self.total if "total" in self.model_fields_set else None


class OffsetPager(Generic[ItemT]):
    """What to fetch next while walking offset pages. No I/O: feed it pages, ask it for offsets.

    `newest_first`: the endpoint pages from the newest end but orders each page oldest first
    (FastGPT's chat records); each page's items are then handed out newest first, so the whole walk
    runs from the newest item to the oldest.
    """

    STALE_PAGES = 2

    def __init__(
        self,
        *,
        offset: int,
        page_size: int,
        key: Callable[[ItemT], Hashable],
        newest_first: bool = False,
    ) -> None:
        if offset < 0 or page_size < 1:
            raise ValueError(f"offset must be >= 0 and page_size >= 1, got {offset} and {page_size}")
        self._start = offset
        self._offset = offset
        self._page_size = page_size
        self._key = key
        self._newest_first = newest_first
        self._seen: set[Hashable] = set()
        self._cap: int | None = None
        self._stale = 0
        self._done = False

    @property
    def next_offset(self) -> int | None:
        """The offset of the page to fetch next, or None when the walk is over."""
        return None if self._done else self._offset

    def accept(self, items: Sequence[ItemT], total: int | None) -> builtins.list[ItemT]:
        """Take the page fetched at `next_offset`; return its items not handed out before."""
        if self._done:
            raise RuntimeError("the walk is over; no page was asked for")
        fresh: builtins.list[ItemT] = []
        for item in items:
            key = self._key(item)
            if key not in self._seen:
                self._seen.add(key)
                fresh.append(item)
        self._offset += len(items)
        if self._cap is None and total is not None:
            self._cap = max(total - self._start, 0)
        self._stale = 0 if fresh else self._stale + 1
        self._done = (
            len(items) < self._page_size
            or (total is not None and self._offset >= total)
            or (self._cap is not None and len(self._seen) >= self._cap)
            or self._stale >= self.STALE_PAGES
        )
        if self._newest_first:
            fresh.reverse()
        return fresh


def at_offset(request: RequestT, offset: int) -> RequestT:
    """A copy of a paged request that asks for the page at `offset` (the caller's request is untouched)."""
    return request.model_copy(update={"offset": offset})


def iterate_pages(fetch: Callable[[int], Page[ItemT]], pager: OffsetPager[ItemT]) -> Iterator[ItemT]:
    """Yield the items of the pages `fetch(offset)` returns, as long as `pager` asks for more."""
    while (offset := pager.next_offset) is not None:
        page = fetch(offset)
        yield from pager.accept(page.list, page.reported_total)


async def aiterate_pages(
    fetch: Callable[[int], Awaitable[Page[ItemT]]], pager: OffsetPager[ItemT]
) -> AsyncIterator[ItemT]:
    """The async twin of `iterate_pages`."""
    while (offset := pager.next_offset) is not None:
        page = await fetch(offset)
        for item in pager.accept(page.list, page.reported_total):
            yield item
