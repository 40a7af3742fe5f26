"""FastGPT's newer chat operations, sync and async: history status, read marks, batch deletes, deleting
several records, records by cursor and the quote reads. What goes over the wire, and what comes back
parsed, field by field against fixtures written from FastGPT's schemas."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from conftest import APP_ID, envelope, fixture_json, make_client
from endpoint_cases import Case, Fixture, check, table
from http_support import Wire, body_of, drain, query_of, run

from fastgpt_oapi import NotFoundError, PermissionDeniedError
from fastgpt_oapi.api.chat_history.model import (
    BatchDeleteHistoriesRequest,
    CollectionQuoteItem,
    CollectionQuoteResponse,
    DatasetCiteItem,
    DeleteRecordsRequest,
    GetCollectionQuoteRequest,
    GetHistoryStatusRequest,
    GetQuoteRequest,
    ListRecordsV2Request,
    MarkReadRequest,
    QuoteResponse,
    ReasoningValue,
    TextValue,
)

OTHER_APP = "0123456789abcdef01234567"
CHAT = "kzYq3Xw1N2b8pQm4RtUv5aBc"
AI_RECORD = "x9KQWcK9MApGdDQH"
COLLECTION = "653279b16cd42ab509e766e8"
UTC = timezone.utc


def quotes(quotes: QuoteResponse) -> None:
    edited, current = quotes.list
    assert isinstance(edited, DatasetCiteItem)
    assert edited.id == "654f2e49b64caef1d9431e8b"
    assert (edited.q, edited.a) == ("铃芽之旅的导演？", "新海诚。")
    assert edited.update_time == datetime(2026, 6, 20, 2, 0, tzinfo=UTC)
    assert edited.index == 3
    assert edited.updated is True
    assert edited.image_preivew_url is None
    assert edited.history is not None
    (old,) = edited.history
    assert (old.q, old.a, old.update_time) == (
        "铃芽之旅的导演？",
        "新海诚。",
        datetime(2026, 6, 20, 2, 0, tzinfo=UTC),
    )
    assert current.id == "654f2e49b64caef1d9431e8c"
    assert (current.q, current.a) == ("电影《铃芽之旅》哪一年上映？", "2022 年。")
    assert current.image_preivew_url == "https://example.com/preview/still.png"
    assert current.update_time == datetime(2026, 7, 1, 8, 12, 44, 120000, tzinfo=UTC)
    assert current.index == 4
    assert current.updated is None
    assert current.history is None


def collection_quote(window: CollectionQuoteResponse) -> None:
    assert window.has_more_prev is True
    assert window.has_more_next is False
    assert [(c.id, c.index, c.anchor) for c in window.list] == [
        ("654f2e49b64caef1d9431e8a", 2, 2),
        ("654f2e49b64caef1d9431e8b", 3, 3),
        ("654f2e49b64caef1d9431e8c", 4, 4),
    ]
    first = window.list[0]
    assert isinstance(first, CollectionQuoteItem)
    assert (first.q, first.a) == ("新海诚还导演过哪些电影？", "《你的名字。》《天气之子》等。")
    assert first.update_time == datetime(2026, 7, 1, 8, 12, 44, 120000, tzinfo=UTC)


OK = Fixture("update_history_ok.json")
STATUS_IDS = ["usdAP1GbzSGu", "lC0uTAsyNBlZ", "gone"]
QUOTED = ["654f2e49b64caef1d9431e8b", "654f2e49b64caef1d9431e8c"]
CASES = [
    Case(
        "chat_history.get_history_status",
        GetHistoryStatusRequest(chat_ids=STATUS_IDS),
        "POST /api/core/chat/history/getHistoryStatus",
        body={"appId": APP_ID, "chatIds": STATUS_IDS},
        answer=Fixture("history_status.json"),
        expect={
            "list.#": 2,  # an unknown chat is simply not listed
            "list.0.chat_id": "usdAP1GbzSGu",
            "list.0.update_time": datetime(2026, 7, 30, 3, 29, 5, 779000, tzinfo=UTC),
            "list.0.chat_generate_status": 1,
            "list.0.has_been_read": True,
            "list.1.chat_id": "lC0uTAsyNBlZ",
            "list.1.update_time": datetime(2026, 7, 29, 3, 22, 19, 950000, tzinfo=UTC),
            "list.1.chat_generate_status": 0,
            "list.1.has_been_read": False,
        },
    ),
    Case(
        "chat_history.mark_read",
        MarkReadRequest.builder().chat_id("usdAP1GbzSGu").build(),
        "POST /api/core/chat/history/markRead",
        body={"appId": APP_ID, "chatId": "usdAP1GbzSGu"},
        answer=OK,
        expect={"request_id": "req-7"},
        headers={"x-request-id": "req-7"},
    ),
    Case(
        "chat_history.batch_delete_histories",
        BatchDeleteHistoriesRequest(app_id=OTHER_APP, chat_ids=["usdAP1GbzSGu", "lC0uTAsyNBlZ"]),
        "POST /api/core/chat/history/batchDelete",
        body={"appId": OTHER_APP, "chatIds": ["usdAP1GbzSGu", "lC0uTAsyNBlZ"]},
        answer=OK,
    ),
    # Several records go as `contentIds`, an array in the body.
    Case(
        "chat_history.delete_records",
        DeleteRecordsRequest(chat_id=CHAT, data_ids=["jzqdV4Ap1u004rhd2WW8yGLn", AI_RECORD]),
        "DELETE /api/core/chat/record/delete",
        body={"appId": APP_ID, "chatId": CHAT, "contentIds": ["jzqdV4Ap1u004rhd2WW8yGLn", AI_RECORD]},
        answer=OK,
    ),
    Case(
        "chat_history.get_quote",
        GetQuoteRequest(
            chat_id=CHAT,
            chat_item_data_id=AI_RECORD,
            dataset_data_id_list=QUOTED,
            collection_id_list=[COLLECTION],
        ),
        "POST /api/core/chat/record/getQuote",
        body={
            "appId": APP_ID,
            "chatId": CHAT,
            "chatItemDataId": AI_RECORD,
            "datasetDataIdList": QUOTED,
            "collectionIdList": [COLLECTION],
        },
        answer=Fixture("quote.json"),
        expect=quotes,
    ),
    Case(
        "chat_history.get_collection_quote",
        GetCollectionQuoteRequest.builder()
        .chat_id(CHAT)
        .chat_item_data_id(AI_RECORD)
        .collection_id(COLLECTION)
        .initial_id("654f2e49b64caef1d9431e8b")
        .anchor(3)
        .page_size(1)
        .build(),
        "POST /api/core/chat/record/getCollectionQuote",
        body={
            "appId": APP_ID,
            "chatId": CHAT,
            "chatItemDataId": AI_RECORD,
            "collectionId": COLLECTION,
            "anchor": 3,
            "initialId": "654f2e49b64caef1d9431e8b",
            "pageSize": 1,
        },
        answer=Fixture("collection_quote.json"),
        expect=collection_quote,
    ),
]


@table(CASES)
async def test_wire(case: Case, way: str) -> None:
    await check(case, way)


def serve(fixture: str, headers: dict[str, str] | None = None) -> Wire:
    payload = fixture_json(fixture)
    return Wire(lambda request: httpx.Response(200, json=payload, headers=headers))


# ---- histories --------------------------------------------------------------------------------


@pytest.mark.parametrize("chat_ids", [[], [""], [f"c{n}" for n in range(201)]], ids=["none", "empty", "201"])
def test_history_status_takes_1_to_200_ids(chat_ids: list[str]) -> None:
    with pytest.raises(ValueError, match="chat_ids"):
        GetHistoryStatusRequest(chat_ids=chat_ids)


@pytest.mark.parametrize("chat_ids", [[], ["c1", ""]], ids=["none", "empty-id"])
def test_batch_delete_needs_ids(chat_ids: list[str]) -> None:
    with pytest.raises(ValueError, match="chat_ids"):
        BatchDeleteHistoriesRequest(chat_ids=chat_ids)


# ---- several records ----------------------------------------------------------------------------


async def test_delete_records_has_no_fallback_to_item_delete(io_mode: str) -> None:
    # item/delete (FastGPT <= 4.14.10) took one contentId: a batch there would delete nothing.
    wire = Wire(lambda request: httpx.Response(404, text="<!DOCTYPE html><html>404</html>"))
    service = make_client(wire, max_retries=0).chat_history
    request = DeleteRecordsRequest(chat_id=CHAT, data_ids=[AI_RECORD])

    with pytest.raises(NotFoundError):
        await run(io_mode, lambda: service.delete_records(request), lambda: service.adelete_records(request))

    assert wire.paths == ["/api/core/chat/record/delete"]


def test_delete_records_fields() -> None:
    by_wire_name = DeleteRecordsRequest.model_validate({"chatId": "c1", "contentIds": ["d1"]})
    built = DeleteRecordsRequest.builder().chat_id("c1").data_ids(["d1"]).build()
    assert by_wire_name == built == DeleteRecordsRequest(chat_id="c1", data_ids=["d1"])
    with pytest.raises(ValueError, match="data_ids"):
        DeleteRecordsRequest(chat_id="c1", data_ids=[])
    with pytest.raises(ValueError, match="data_ids"):
        DeleteRecordsRequest(chat_id="c1", data_ids=["d1", ""])


# ---- records by cursor ----------------------------------------------------------------------------


async def test_list_records_v2(io_mode: str) -> None:
    wire = serve("records_v2.json")
    service = make_client(wire).chat_history
    request = ListRecordsV2Request(
        chat_id=CHAT, page_size=2, prev_id="c0dE4ySYsC3eOhYDvcNz", load_custom_feedbacks=True, type="normal"
    )

    page = await run(
        io_mode, lambda: service.list_records_v2(request), lambda: service.alist_records_v2(request)
    )

    sent = wire.last
    assert (sent.method, sent.url.path, query_of(sent)) == ("POST", "/api/core/chat/record/getRecords_v2", {})
    assert body_of(sent) == {
        "appId": APP_ID,
        "chatId": CHAT,
        "pageSize": 2,
        "prevId": "c0dE4ySYsC3eOhYDvcNz",
        "loadCustomFeedbacks": True,
        "type": "normal",
    }
    assert page.total == 6
    assert page.has_more_prev is True
    assert page.has_more_next is False
    human, ai = page.list
    assert human.id == "670b84e6796057dda04b0fd2"
    assert human.data_id == "jzqdV4Ap1u004rhd2WW8yGLn"
    assert human.obj == "Human"
    assert human.time == datetime(2026, 7, 30, 3, 29, 1, 101000, tzinfo=UTC)
    assert human.text == "导演是谁"
    assert [f.file.name for f in human.files] == ["poster.png"]
    # FastGPT adds `id` = dataId beside `_id`: the copy is dropped, so a dump keeps `id` the `_id`.
    assert human.model_extra == {}
    assert human.model_dump()["id"] == "670b84e6796057dda04b0fd2"
    assert ai.id == "670b84e6796057dda04b0fd3"
    assert ai.data_id == AI_RECORD
    assert ai.is_ai
    assert ai.duration_seconds == 2.42
    assert ai.user_good_feedback == "yes"
    assert ai.custom_feedbacks == []
    assert ai.use_agent_sandbox is False
    reasoning, answer = ai.value
    assert isinstance(reasoning, ReasoningValue)
    assert isinstance(answer, TextValue)
    assert ai.reasoning == "知识库中有答案。"
    assert ai.text == "电影《铃芽之旅》的导演是新海诚。[654f2e49b64caef1d9431e8b](CITE)"
    (quote,) = ai.total_quote_list
    assert (quote.id, quote.collection_id, quote.chunk_index) == ("654f2e49b64caef1d9431e8b", COLLECTION, 3)
    assert ai.model_extra is not None
    assert ai.model_extra["responseData"][0]["moduleType"] == "datasetSearchNode"


async def test_list_records_v2_defaults(io_mode: str) -> None:
    wire = serve("records_v2.json")
    service = make_client(wire).chat_history
    request = ListRecordsV2Request.builder().chat_id(CHAT).include_deleted(True).build()

    await run(io_mode, lambda: service.list_records_v2(request), lambda: service.alist_records_v2(request))

    assert body_of(wire.last) == {"appId": APP_ID, "chatId": CHAT, "pageSize": 10, "includeDeleted": True}


def record(n: int) -> dict[str, Any]:
    return {
        "_id": f"{n:024x}",
        "dataId": f"d{n}",
        "id": f"d{n}",
        "obj": "Human" if n % 2 == 0 else "AI",
        "value": [{"text": {"content": f"m{n}"}}],
    }


def chat_of(count: int) -> Callable[[httpx.Request], httpx.Response]:
    """getRecords_v2 over a chat of records d0..d{count-1}, oldest first, as FastGPT pages them."""

    def reply(request: httpx.Request) -> httpx.Response:
        body = body_of(request)
        size = body["pageSize"]
        if "prevId" in body:
            at = int(body["prevId"][1:])
            found, more_prev = range(max(at - size, 0), at), at > size
        else:
            found, more_prev = range(max(count - size, 0), count), count > size
        data = {"list": [record(n) for n in found], "total": count, "hasMorePrev": more_prev}
        return httpx.Response(200, json=envelope({**data, "hasMoreNext": False}))

    return reply


async def test_iter_records_v2_walks_to_the_oldest_record_newest_first(io_mode: str) -> None:
    wire = Wire(chat_of(7))
    service = make_client(wire).chat_history
    request = ListRecordsV2Request(chat_id=CHAT, page_size=3)

    records = await drain(
        io_mode, lambda: service.iter_records_v2(request), lambda: service.aiter_records_v2(request)
    )

    assert [r.data_id for r in records] == ["d6", "d5", "d4", "d3", "d2", "d1", "d0"]
    assert [body_of(r).get("prevId") for r in wire.requests] == [None, "d4", "d1"]
    assert all(body_of(r)["pageSize"] == 3 for r in wire.requests)
    assert request.prev_id is None  # the caller's request is not changed


async def test_iter_records_v2_starts_at_the_requests_cursor(io_mode: str) -> None:
    wire = Wire(chat_of(7))
    service = make_client(wire).chat_history
    request = ListRecordsV2Request(chat_id=CHAT, page_size=2, prev_id="d3")

    records = await drain(
        io_mode, lambda: service.iter_records_v2(request), lambda: service.aiter_records_v2(request)
    )

    assert [r.data_id for r in records] == ["d2", "d1", "d0"]
    assert [body_of(r)["prevId"] for r in wire.requests] == ["d3", "d1"]


async def test_iter_records_v2_from_initial_id_drops_the_other_cursors(io_mode: str) -> None:
    pages = [
        {"list": [record(3), record(4)], "total": 7, "hasMorePrev": True, "hasMoreNext": True},
        {"list": [record(1), record(2)], "total": 7, "hasMorePrev": False, "hasMoreNext": True},
    ]
    wire = Wire(lambda request: httpx.Response(200, json=envelope(pages[len(wire.requests) - 1])))
    service = make_client(wire).chat_history
    request = ListRecordsV2Request(chat_id=CHAT, page_size=2, initial_id="d4")

    records = await drain(
        io_mode, lambda: service.iter_records_v2(request), lambda: service.aiter_records_v2(request)
    )

    assert [r.data_id for r in records] == ["d4", "d3", "d2", "d1"]
    first, second = (body_of(r) for r in wire.requests)
    assert (first.get("initialId"), first.get("prevId")) == ("d4", None)
    assert (second.get("initialId"), second.get("prevId")) == (None, "d3")


async def test_iter_records_v2_stops_when_a_server_repeats_itself(io_mode: str) -> None:
    # A server that ignores the cursor would be asked for the same page forever.
    same = envelope({"list": [record(5), record(6)], "total": 7, "hasMorePrev": True, "hasMoreNext": False})
    wire = Wire(lambda request: httpx.Response(200, json=same))
    service = make_client(wire).chat_history
    request = ListRecordsV2Request(chat_id=CHAT, page_size=2)

    records = await drain(
        io_mode, lambda: service.iter_records_v2(request), lambda: service.aiter_records_v2(request)
    )

    assert [r.data_id for r in records] == ["d6", "d5"]
    assert len(wire.requests) == 2


# ---- quotes -----------------------------------------------------------------------------------


def test_collection_quote_request_rules() -> None:
    fields: dict[str, Any] = {"chat_id": "c1", "chat_item_data_id": "d1", "collection_id": COLLECTION}
    assert GetCollectionQuoteRequest(**fields, anchor=0).page_size == 15  # FastGPT's default, sent
    with pytest.raises(ValueError, match="anchor"):
        GetCollectionQuoteRequest(**fields)  # FastGPT refuses a call without one
    with pytest.raises(ValueError, match="collection_id"):
        GetCollectionQuoteRequest(**{**fields, "collection_id": "faq.csv"}, anchor=0)
    with pytest.raises(ValueError, match="page_size"):
        GetCollectionQuoteRequest(**fields, anchor=0, page_size=31)


def test_quote_lists_are_capped_at_200() -> None:
    with pytest.raises(ValueError, match="dataset_data_id_list"):
        GetQuoteRequest(
            chat_id="c1",
            chat_item_data_id="d1",
            dataset_data_id_list=[f"{n:024x}" for n in range(201)],
            collection_id_list=[COLLECTION],
        )


@pytest.mark.parametrize(
    ("method", "request_", "old_path"),
    [
        (
            "get_quote",
            GetQuoteRequest(
                chat_id=CHAT, chat_item_data_id=AI_RECORD, dataset_data_id_list=[], collection_id_list=[]
            ),
            "/api/core/chat/quote/getQuote",
        ),
        (
            "get_collection_quote",
            GetCollectionQuoteRequest(
                chat_id=CHAT, chat_item_data_id=AI_RECORD, collection_id=COLLECTION, anchor=3
            ),
            "/api/core/chat/quote/getCollectionQuote",
        ),
    ],
)
async def test_quote_reads_fall_back_to_their_path_before_4_14_11(
    io_mode: str, method: str, request_: Any, old_path: str
) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        if request.url.path == old_path:
            return httpx.Response(200, json=envelope([] if method == "get_quote" else {"list": []}))
        return httpx.Response(404, text="<!DOCTYPE html><html>404</html>")

    wire = Wire(reply)
    service = make_client(wire).chat_history

    for _ in range(2):
        await run(
            io_mode,
            lambda: getattr(service, method)(request_),
            lambda: getattr(service, "a" + method)(request_),
        )

    new_path = old_path.replace("/quote/", "/record/")
    assert wire.paths == [new_path, old_path, old_path]
    assert body_of(wire.requests[0]) == body_of(wire.requests[1])


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            {"code": 501007, "statusText": "unAuthDatasetFile", "message": "", "data": None},
            PermissionDeniedError,
        ),
        ({"code": 501003, "statusText": "unExistCollection", "message": "", "data": None}, NotFoundError),
    ],
    ids=["not-cited-in-the-chat", "collection-gone"],
)
async def test_quote_refusals_name_their_cause(
    io_mode: str, body: dict[str, Any], error: type[Exception]
) -> None:
    wire = Wire(lambda request: httpx.Response(500, json=body))
    service = make_client(wire, max_retries=0).chat_history
    request = GetCollectionQuoteRequest(
        chat_id=CHAT, chat_item_data_id=AI_RECORD, collection_id=COLLECTION, anchor=3
    )

    with pytest.raises(error):
        await run(
            io_mode,
            lambda: service.get_collection_quote(request),
            lambda: service.aget_collection_quote(request),
        )

    assert len(wire.requests) == 1
