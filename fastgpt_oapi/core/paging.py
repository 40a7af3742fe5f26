"""Pagination, written once: the `{list, total}` page shape and the walk over any paged list.

FastGPT pages with `offset` + `pageSize` and answers `{list, total}`; a few newer lists page by
cursor. Every `iter_*` / `aiter_*` service method is `walk` / `awalk` (the two thin I/O shells) over a
plan: an I/O-free `PagePlan` that says which request to send next and what of each page is new.
`OffsetWalk` is the plan of the `{list, total}` lists, deciding by `OffsetPager`'s rules below.

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
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Hashable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from .model import FastGPTModel

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "KeySet",
    "OffsetPager",
    "OffsetWalk",
    "Page",
    "PagePlan",
    "PagedRequest",
    "at_offset",
    "awalk",
    "walk",
]

ItemT = TypeVar("ItemT")
RequestT = TypeVar("RequestT")
PageT = TypeVar("PageT")
_Request_co = TypeVar("_Request_co", covariant=True)
_Page_contra = TypeVar("_Page_contra", contravariant=True)
_Item_co = TypeVar("_Item_co", covariant=True)


class Page(FastGPTModel, Generic[ItemT]):
    """`{list, total}`: one page of a paginated FastGPT endpoint."""

    list: builtins.list[ItemT] = []
    total: int = 0

    @property
    def reported_total(self) -> int | None:
        """`total` as the server sent it; None when the server left it out."""
        return self.total if "total" in self.model_fields_set else None


class PagePlan(Protocol[_Request_co, _Page_contra, _Item_co]):
    """One walk over a paged list, without I/O: `walk` / `awalk` send what it asks for and feed it
    the answers."""

    def next_request(self) -> _Request_co | None:
        """The request of the page to fetch next, or None when the walk is over."""
        ...

    def accept(self, page: _Page_contra) -> Sequence[_Item_co]:
        """Take the page fetched for the last `next_request`; return its items to hand out."""
        ...


def walk(fetch: Callable[[RequestT], PageT], plan: PagePlan[RequestT, PageT, ItemT]) -> Iterator[ItemT]:
    """Yield the items of the pages `fetch` answers to `plan`'s requests, as long as it asks."""
    while (request := plan.next_request()) is not None:
        yield from plan.accept(fetch(request))


async def awalk(
    fetch: Callable[[RequestT], Awaitable[PageT]], plan: PagePlan[RequestT, PageT, ItemT]
) -> AsyncIterator[ItemT]:
    """The async twin of `walk`."""
    while (request := plan.next_request()) is not None:
        for item in plan.accept(await fetch(request)):
            yield item


class KeySet(Generic[ItemT]):
    """The keys of the items a walk has handed out, to hand none out twice."""

    def __init__(self, key: Callable[[ItemT], Hashable]) -> None:
        self._key = key
        self._seen: set[Hashable] = set()

    def __len__(self) -> int:
        return len(self._seen)

    def fresh(self, items: Iterable[ItemT]) -> builtins.list[ItemT]:
        """The items not handed out before (now counted as handed out), in their order."""
        fresh: builtins.list[ItemT] = []
        for item in items:
            key = self._key(item)
            if key not in self._seen:
                self._seen.add(key)
                fresh.append(item)
        return fresh


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
        self._newest_first = newest_first
        self._seen = KeySet(key)
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
        fresh = self._seen.fresh(items)
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


class PagedRequest(Protocol):
    """A request for one `{list, total}` page: `offset` and `page_size`, and a copy with others."""

    @property
    def offset(self) -> int: ...

    @property
    def page_size(self) -> int: ...

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self: ...


PagedRequestT = TypeVar("PagedRequestT", bound=PagedRequest)


def at_offset(request: PagedRequestT, offset: int) -> PagedRequestT:
    """A copy of a paged request that asks for the page at `offset` (the caller's request is untouched)."""
    return request.model_copy(update={"offset": offset})


class OffsetWalk(Generic[PagedRequestT, ItemT]):
    """The plan of an offset-paged list: `request`'s pages from its `offset` on, by `OffsetPager`'s rules."""

    def __init__(
        self, request: PagedRequestT, key: Callable[[ItemT], Hashable], *, newest_first: bool = False
    ) -> None:
        self._request = request
        self.pager: OffsetPager[ItemT] = OffsetPager(
            offset=request.offset, page_size=request.page_size, key=key, newest_first=newest_first
        )

    def next_request(self) -> PagedRequestT | None:
        offset = self.pager.next_offset
        return None if offset is None else at_offset(self._request, offset)

    def accept(self, page: Page[ItemT]) -> builtins.list[ItemT]:
        return self.pager.accept(page.list, page.reported_total)
