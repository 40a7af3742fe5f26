"""The paging rules (fastgpt_oapi.core.paging) shared by every iter_* method."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from pydantic import BaseModel

from fastgpt_oapi.core.paging import KeySet, OffsetPager, OffsetWalk, Page, awalk
from fastgpt_oapi.core.paging import walk as walk_pages


def walk(
    pages: list[tuple[list[str], int | None]], *, size: int, offset: int = 0
) -> tuple[list[str], list[int]]:
    """Feed `pages` in order while the pager asks; return what it handed out and the offsets it asked."""
    pager: OffsetPager[str] = OffsetPager(offset=offset, page_size=size, key=lambda item: item)
    got: list[str] = []
    asked: list[int] = []
    for items, total in pages:
        at = pager.next_offset
        if at is None:
            break
        asked.append(at)
        got += pager.accept(items, total)
    assert pager.next_offset is None, "the walk should be over once the pages run out"
    return got, asked


@pytest.mark.parametrize(
    ("pages", "size", "expected", "asked"),
    [
        pytest.param([(["a", "b"], 3), (["c"], 3)], 2, ["a", "b", "c"], [0, 2], id="short-page"),
        pytest.param([(["a", "b"], 4), (["c", "d"], 4)], 2, list("abcd"), [0, 2], id="total-reached"),
        pytest.param([([], 0)], 2, [], [0], id="empty"),
        pytest.param([(["a", "b"], None), ([], None)], 2, ["a", "b"], [0, 2], id="no-total-empty-end"),
        pytest.param(
            [(["a", "b"], 99), (["a", "b"], 99), (["a", "b"], 99)], 2, ["a", "b"], [0, 2, 4], id="repeats"
        ),
        pytest.param(
            [(["a", "b"], 3), (["b", "c"], 4)], 2, ["a", "b", "c"], [0, 2], id="front-growth-overlap-then-cap"
        ),
        pytest.param(
            [(["a", "b"], 5), (["a", "b"], 7), (["c", "d"], 7), (["e"], 7)],
            2,
            list("abcde"),
            [0, 2, 4, 6],
            id="one-stale-page-is-tolerated",
        ),
        pytest.param([(["x", "y", "z"], 1)], 3, ["x", "y", "z"], [0], id="total-too-small"),
        pytest.param(
            [(["a", "b", "c", "d"], 100), (["a", "b", "c", "d"], 100), (["a"], 100)],
            2,
            list("abcd"),
            [0, 4, 8],
            id="page-size-ignored",
        ),
    ],
)
def test_rules(
    pages: list[tuple[list[str], int | None]], size: int, expected: list[str], asked: list[int]
) -> None:
    got, offsets = walk(pages, size=size)
    assert got == expected
    assert offsets == asked


def test_the_cap_counts_from_the_start_offset() -> None:
    pager: OffsetPager[str] = OffsetPager(offset=8, page_size=2, key=lambda item: item)
    assert pager.accept(["i", "j"], 10) == ["i", "j"]
    assert pager.next_offset is None


def test_newest_first_reverses_each_page() -> None:
    pager: OffsetPager[int] = OffsetPager(offset=0, page_size=3, key=lambda item: item, newest_first=True)
    assert pager.accept([7, 8, 9], 5) == [9, 8, 7]
    assert pager.next_offset == 3
    assert pager.accept([5, 6], 5) == [6, 5]
    assert pager.next_offset is None


def test_a_finished_walk_takes_no_more_pages() -> None:
    pager: OffsetPager[str] = OffsetPager(offset=0, page_size=2, key=lambda item: item)
    pager.accept([], 0)
    with pytest.raises(RuntimeError):
        pager.accept(["a"], 1)


@pytest.mark.parametrize(("offset", "size"), [(-1, 10), (0, 0)])
def test_bad_arguments(offset: int, size: int) -> None:
    with pytest.raises(ValueError, match="offset"):
        OffsetPager(offset=offset, page_size=size, key=lambda item: item)


@pytest.mark.parametrize("seed", range(200))
def test_any_server_that_reports_a_total_is_walked_in_bounded_steps(seed: int) -> None:
    # Whatever a server answers, once its first page states a total T the walk asks for at most
    # 2 * T + 2 pages: at most T bring something new, and never two empty-handed ones in a row.
    rng = random.Random(seed)
    size = rng.randint(1, 5)
    universe = [f"k{n}" for n in range(rng.choice([3, 20, 10_000]))]
    first_total = rng.randint(0, 40)
    pager: OffsetPager[str] = OffsetPager(offset=0, page_size=size, key=lambda item: item)
    requests = 0
    while pager.next_offset is not None:
        requests += 1
        assert requests <= 2 * first_total + 2
        count = size if rng.random() < 0.9 else rng.randint(0, size + 3)
        items = [rng.choice(universe) for _ in range(count)]
        total = first_total if requests == 1 else rng.choice([None, 0, 10**9, rng.randint(0, 100)])
        pager.accept(items, total)


class _Req(BaseModel):
    offset: int = 0
    page_size: int = 2


def _server(items: list[str]) -> Callable[[_Req], Page[str]]:
    def fetch(request: _Req) -> Page[str]:
        return Page[str](list=items[request.offset : request.offset + request.page_size], total=len(items))

    return fetch


def test_offset_walk_asks_from_the_request_offset_and_leaves_the_request_untouched() -> None:
    request = _Req(offset=1)
    asked: list[int] = []
    fetch = _server(["a", "b", "c", "d", "e"])

    def recording(page: _Req) -> Page[str]:
        asked.append(page.offset)
        return fetch(page)

    plan: OffsetWalk[_Req, str] = OffsetWalk(request, lambda item: item)
    assert list(walk_pages(recording, plan)) == ["b", "c", "d", "e"]
    assert asked == [1, 3]
    assert request.offset == 1


async def test_awalk_hands_out_what_walk_does() -> None:
    fetch = _server(["a", "b", "c"])

    async def afetch(page: _Req) -> Page[str]:
        return fetch(page)

    plan: OffsetWalk[_Req, str] = OffsetWalk(_Req(), lambda item: item, newest_first=True)
    assert [item async for item in awalk(afetch, plan)] == ["b", "a", "c"]
    assert plan.next_request() is None


def test_key_set_hands_each_key_out_once() -> None:
    seen: KeySet[str] = KeySet(str.lower)
    assert seen.fresh(["a", "B", "A"]) == ["a", "B"]
    assert seen.fresh(["b", "c"]) == ["c"]
    assert len(seen) == 3
