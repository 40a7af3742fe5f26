"""The emulator's shared helpers: the paging parser, the id helper, the schema checks and `Route`'s
version bounds. The areas' own tests check them through `handle()`; these pin each style and edge."""

from __future__ import annotations

from typing import Any

import pytest

from fastgpt_oapi.testing.ids import is_object_id, nanoid, object_id
from fastgpt_oapi.testing.routes import Route, enveloped
from fastgpt_oapi.testing.routes.paging import Page, cursor_after, cursor_offset, paging
from fastgpt_oapi.testing.routes.schema import array, integer, non_empty, one_or_many, string, validate
from fastgpt_oapi.testing.wire import Refusal, SchemaRefusal

ITEMS = list(range(100))


def _refusal(call: Any) -> tuple[int, int, str, str]:
    with pytest.raises(Refusal) as caught:
        call()
    refusal = caught.value
    return refusal.status, refusal.code, refusal.status_text, refusal.message


# ---- paging ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, Page(0, 10)),
        ({"pageSize": "5", "pageNum": 3}, Page(10, 5)),
        ({"pageSize": 5, "offset": 7, "pageNum": 3}, Page(7, 5)),  # offset wins
    ],
)
def test_schema_paging(params: dict[str, Any], expected: Page) -> None:
    assert paging(params) == expected


@pytest.mark.parametrize("params", [{"pageSize": 0}, {"pageSize": "x"}, {"pageNum": 0}, {"offset": -1}])
def test_schema_paging_refuses_as_the_schema(params: dict[str, Any]) -> None:
    assert _refusal(lambda: paging(params)) == (400, 400, "error", "Data validation error")


def test_mongo_paging_caps_the_size_and_takes_zero_as_no_limit() -> None:
    assert paging({"pageSize": 500, "pageNum": 2}, max_size=100, style="mongo") == Page(100, 100)
    assert paging({"pageSize": 0, "offset": 3}, style="mongo").cut(ITEMS) == ITEMS[3:]
    assert paging({"pageSize": "2.9", "pageNum": 0}, style="mongo") == Page(0, 2)
    assert _refusal(lambda: paging({"pageSize": "x"}, style="mongo"))[:3] == (500, 500, "error")


def test_request_paging_reads_paging_only_with_a_page_size() -> None:
    assert paging({"offset": 40, "pageNum": 3}, style="request") == Page(0, 10)
    # The offset counts the size asked for; the cap applies to the page only.
    assert paging({"pageSize": 50, "pageNum": 2}, max_size=30, style="request") == Page(50, 30)
    assert paging({"pageSize": 5, "offset": 0, "pageNum": 2}, style="request") == Page(5, 5)
    assert _refusal(lambda: paging({"pageSize": 0}, style="request"))[2] == "missingParams"


def test_cursors_round_trip_and_refuse_a_foreign_one() -> None:
    assert cursor_offset(None) == 0
    assert cursor_offset(cursor_after(50, 51)) == 50
    assert cursor_after(50, 50) is None
    assert _refusal(lambda: cursor_offset("bm9wZQ=="))[:4] == (400, 400, "error", "Invalid cursor")


# ---- ids ------------------------------------------------------------------------------------------


def test_ids() -> None:
    made = object_id()
    assert is_object_id(made)
    assert is_object_id(made.upper())
    assert not is_object_id(made[:-1])
    assert not is_object_id(made + "\n")
    assert not is_object_id(None)
    assert not is_object_id("g" * 24)
    assert len(nanoid()) == 24
    assert nanoid(6).isalnum()


# ---- schema checks --------------------------------------------------------------------------------


def test_new_checks_refuse_as_zod() -> None:
    assert non_empty("", ["k"])[0]["code"] == "too_small"
    assert non_empty(1, ["k"])[0]["code"] == "invalid_type"
    assert [i["code"] for i in (integer(least=1)(0, []) + integer(most=3)(4, []))] == ["too_small", "too_big"]
    assert integer()(2.0, [])
    assert integer()(True, [])
    assert not integer()(2, [])
    assert array(string, least=1)([], ["ids"])[0]["path"] == ["ids"]
    assert one_or_many(string)(["a", 1], ["t"])[0]["path"] == ["t", 1]
    assert not one_or_many(string)("a", ["t"])


def test_validate_raises_the_schema_refusal_with_the_issues() -> None:
    with pytest.raises(SchemaRefusal) as caught:
        validate({"chatIds": []}, {"chatIds": ("required", array(non_empty, least=1))})
    assert caught.value.envelope()["zodError"] == caught.value.issues != []
    validate({"chatIds": ["c"]}, {"chatIds": ("required", array(non_empty, least=1))})


# ---- Route ----------------------------------------------------------------------------------------


def test_a_route_parses_its_bounds_once_and_refuses_a_bad_one_when_declared() -> None:
    route = Route("/p", enveloped(lambda state, params: None), since="4.8", until="4.14.10")
    assert [route.served(v) for v in ((4, 7, 9), (4, 8), (4, 14, 10), (4, 14, 11))] == [
        False,
        True,
        True,
        False,
    ]
    assert Route("/p", route.handler).served((0,))
    with pytest.raises(ValueError, match="not a FastGPT version"):
        Route("/p", route.handler, since="latest")
