"""A response whose field changed shape: kept, not fatal (lenient), or refused (strict).

Each case is a recorded FastGPT response (tests/fixtures) with one field changed the way FastGPT has
changed fields between releases: a type changed, an object where a string was, a list where a scalar
was, null where a value is required. A lenient client returns the model with that field at its
default and the raw value in the owning model's `unparsed`; everything else parses as before. A strict
client raises `APIResponseValidationError` on each.
"""

from __future__ import annotations

import copy
import json
import logging
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from conftest import APP_ID, fixture_bytes, fixture_json, make_client

from fastgpt_oapi import APIResponseValidationError, Client, ResponseDriftWarning
from fastgpt_oapi.api.app_logs.model import GetChartDataRequest, ListLogsRequest, ListLogUsersRequest
from fastgpt_oapi.api.chat.model import (
    AnswerEvent,
    ChatCompletionRequest,
    ChatMessage,
    StopChatRequest,
    UnknownEvent,
    WorkflowDurationEvent,
)
from fastgpt_oapi.api.chat_history.model import (
    GetChatInitRequest,
    GetRecordDetailRequest,
    ListHistoriesRequest,
    ListRecordsRequest,
)
from fastgpt_oapi.api.dataset.model import (
    GetDatasetRequest,
    ListCollectionsRequest,
    ListDataRequest,
    SearchTestRequest,
)
from fastgpt_oapi.core.drift import forget_warnings

DATASET = "6593e137231a2be9c5603ba7"
COLLECTION = "65abd0ad9d1448617cba6031"
START, END = "2026-07-01T00:00:00Z", "2026-08-01T00:00:00Z"

# What each fixture answers, called as a user would.
CALLS: dict[str, Callable[[Client], Any]] = {
    "histories.json": lambda c: c.chat_history.list_histories(ListHistoriesRequest()),
    "records.json": lambda c: c.chat_history.list_records(ListRecordsRequest(chat_id="c1")),
    "res_data.json": lambda c: c.chat_history.get_record_detail(
        GetRecordDetailRequest(chat_id="c1", data_id="d1")
    ),
    "chat_init.json": lambda c: c.chat_history.get_chat_init(GetChatInitRequest(chat_id="c1")),
    "app_logs_list.json": lambda c: c.app_logs.list_logs(ListLogsRequest(date_start=START, date_end=END)),
    "log_users.json": lambda c: c.app_logs.list_log_users(
        ListLogUsersRequest(date_start=START, date_end=END)
    ),
    "chart_data.json": lambda c: c.app_logs.get_chart_data(
        GetChartDataRequest(date_start=START, date_end=END)
    ),
    "dataset_collection_list.json": lambda c: c.dataset.list_collections(
        ListCollectionsRequest(dataset_id=DATASET)
    ),
    "dataset_detail.json": lambda c: c.dataset.get_dataset(GetDatasetRequest(id=DATASET)),
    "dataset_search_test.json": lambda c: c.dataset.search_test(
        SearchTestRequest(dataset_id=DATASET, text="导演")
    ),
    "dataset_data_list.json": lambda c: c.dataset.list_data(ListDataRequest(collection_id=COLLECTION)),
    "completion_blocking_detail.json": lambda c: c.chat.chat(
        ChatCompletionRequest(messages=[ChatMessage.user("导演是谁")], detail=True)
    ),
    "stop_chat_4_16_3.json": lambda c: c.chat.stop_chat(StopChatRequest(chat_id="c1")),
}

Path = list[str | int]

# (case, fixture, where in the body, the new raw value, the owning model from the result, its field)
CASES: list[tuple[str, str, Path, Any, Path, str]] = [
    (
        "object where a string was",
        "histories.json",
        ["data", "list", 0, "title"],
        {"zh": "你好", "en": "Hello"},
        ["list", 0],
        "title",
    ),
    ("string where a bool was", "histories.json", ["data", "list", 0, "top"], "pinned", ["list", 0], "top"),
    (
        "object where a count was",
        "histories.json",
        ["data", "total"],
        {"value": 2, "relation": "eq"},
        [],
        "total",
    ),
    (
        "Mongo extended date",
        "histories.json",
        ["data", "list", 1, "updateTime"],
        {"$date": "2026-07-29T03:22:19.950Z"},
        ["list", 1],
        "update_time",
    ),
    ("null where required", "records.json", ["data", "list", 0, "obj"], None, ["list", 0], "obj"),
    (
        "object where a list was",
        "records.json",
        ["data", "list", 0, "value"],
        {"text": {"content": "导演是谁"}},
        ["list", 0],
        "value",
    ),
    (
        "string where an object was, in a tagged union",
        "records.json",
        ["data", "list", 0, "value", 0, "text"],
        "导演是谁",
        ["list", 0, "value", 0],
        "text",
    ),
    (
        "string where a list was",
        "records.json",
        ["data", "list", 0, "customFeedbacks"],
        "好",
        ["list", 0],
        "custom_feedbacks",
    ),
    (
        "object where a number was",
        "app_logs_list.json",
        ["data", "list", 0, "averageResponseTime"],
        {"p50": 2.4, "p95": 3.1},
        ["list", 0],
        "average_response_time",
    ),
    ("list where a scalar was", "log_users.json", ["data", "list", 0, "count"], [12], ["list", 0], "count"),
    (
        "map where a tag list was",
        "dataset_collection_list.json",
        ["data", "list", 0, "tags"],
        {"电影": True},
        ["list", 0],
        "tags",
    ),
    (
        "object where a counter was",
        "dataset_collection_list.json",
        ["data", "list", 0, "trainingAmount"],
        {"pending": 1},
        ["list", 0],
        "training_amount",
    ),
    (
        "id string where a model object was",
        "dataset_detail.json",
        ["data", "vectorModel"],
        "text-embedding-3-small",
        [],
        "vector_model",
    ),
    (
        "string where settings were",
        "dataset_detail.json",
        ["data", "chunkSettings"],
        "default",
        [],
        "chunk_settings",
    ),
    (
        "scalar where a list of scores was",
        "dataset_search_test.json",
        ["data", "list", 0, "score"],
        0.8713,
        ["list", 0],
        "score",
    ),
    (
        "null where a required number was",
        "dataset_search_test.json",
        ["data", "list", 0, "score", 0, "value"],
        None,
        ["list", 0, "score", 0],
        "value",
    ),
    ("unit in a number", "res_data.json", ["data", 1, "runningTime"], "0.52s", ["list", 1], "running_time"),
    (
        "object where a list of quotes was",
        "res_data.json",
        ["data", 1, "quoteList"],
        {"0": {"id": "x"}},
        ["list", 1],
        "quote_list",
    ),
    (
        "name where a status code was",
        "chat_init.json",
        ["data", "chatGenerateStatus"],
        "generating",
        [],
        "chat_generate_status",
    ),
    (
        "list where a map was",
        "chat_init.json",
        ["data", "variables"],
        [{"key": "uid", "value": "a"}],
        [],
        "variables",
    ),
    (
        "object where points were, bare JSON",
        "completion_blocking_detail.json",
        ["responseData", 1, "totalPoints"],
        {"points": 0.0021},
        ["response_data", 1],
        "total_points",
    ),
    (
        "list where a map was, deep",
        "chart_data.json",
        ["data", "userData", 0, "summary", "sourceCountMap"],
        ["api"],
        ["user_data", 0, "summary"],
        "source_count_map",
    ),
    (
        "object where an index number was",
        "dataset_data_list.json",
        ["data", "list", 0, "chunkIndex"],
        {"n": 0},
        ["list", 0],
        "chunk_index",
    ),
    ("null where a required flag was", "stop_chat_4_16_3.json", ["data", "success"], None, [], "success"),
]


@pytest.fixture(autouse=True)
def _fresh_warnings() -> None:
    forget_warnings()  # each case warns as in a new process


def changed(fixture: str, where: Path, value: Any) -> Any:
    body = copy.deepcopy(fixture_json(fixture))
    target = body
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    return body


def client_answering(body: Any, *, strict: bool) -> Client:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    return make_client(handler, strict_responses=strict)


def at(result: Any, path: Path) -> Any:
    for step in path:
        result = result[step] if isinstance(step, int) else getattr(result, step)
    return result


@pytest.mark.parametrize(
    ("case", "fixture", "where", "value", "owner", "field"), CASES, ids=[c[0] for c in CASES]
)
def test_a_lenient_client_keeps_the_changed_field_in_unparsed(
    case: str, fixture: str, where: Path, value: Any, owner: Path, field: str
) -> None:
    original = CALLS[fixture](client_answering(fixture_json(fixture), strict=True))
    with pytest.warns(ResponseDriftWarning, match=rf"\.{field} in a shape") as warned:
        result = CALLS[fixture](client_answering(changed(fixture, where, value), strict=False))
    assert len(warned) == 1
    model = at(result, owner)
    assert model.unparsed == {field: value}
    reset = getattr(model, field)
    info = type(model).model_fields[field]
    assert reset == (info.get_default(call_default_factory=True) if not info.is_required() else type(reset)())
    # Everything else is as it was: the field alone differs, and only in the owning model (the ids
    # a completion makes up are new each call).
    skip = {str(owner[0]) if owner else field, "chat_id", "data_id"}
    assert result.model_dump(exclude=skip) == original.model_dump(exclude=skip)
    if owner:
        rest = at(original, owner).model_dump(exclude={field})
        assert model.model_dump(exclude={field}) == rest
    assert result.unparsed == ({} if owner else {field: value})


@pytest.mark.parametrize(
    ("case", "fixture", "where", "value", "owner", "field"), CASES, ids=[c[0] for c in CASES]
)
def test_a_strict_client_raises_on_the_same_change(
    case: str, fixture: str, where: Path, value: Any, owner: Path, field: str
) -> None:
    with pytest.raises(APIResponseValidationError, match="Unexpected response shape"):
        CALLS[fixture](client_answering(changed(fixture, where, value), strict=True))


def test_the_table_has_twenty_cases_or_more_over_every_fixture_called() -> None:
    assert len(CASES) >= 20
    assert {c[1] for c in CASES} == set(CALLS)


def test_the_warning_comes_once_per_model_and_field_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    body = changed("histories.json", ["data", "list", 0, "title"], {"zh": "你好"})
    both = changed("histories.json", ["data", "list", 1, "title"], 7)
    both["data"]["list"][0]["title"] = {"zh": "你好"}
    client = client_answering(body, strict=False)
    caplog.set_level(logging.WARNING, logger="fastgpt_oapi")
    other = client_answering(both, strict=False)
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        client.chat_history.list_histories(ListHistoriesRequest())
        client.chat_history.list_histories(ListHistoriesRequest())
        result = other.chat_history.list_histories(ListHistoriesRequest())
    assert [w.category for w in warned] == [
        ResponseDriftWarning
    ]  # ChatHistoryItem.title, whichever item and however often
    assert [r.getMessage() for r in caplog.records if r.name == "fastgpt_oapi"] == [str(warned[0].message)]
    assert [item.unparsed for item in result.list] == [{"title": {"zh": "你好"}}, {"title": 7}]


def test_a_clean_response_has_empty_unparsed_everywhere() -> None:
    result = CALLS["records.json"](client_answering(fixture_json("records.json"), strict=False))
    assert result.unparsed == {}
    assert all(record.unparsed == {} for record in result.list)
    assert result.list[0].unparsed is not result.list[1].unparsed  # no shared dict to write into


def test_new_fields_stay_in_model_extra_and_are_not_drift() -> None:
    body = changed("histories.json", ["data", "list", 0, "pinnedAt"], "2026-07-30T03:29:05.779Z")
    result = CALLS["histories.json"](client_answering(body, strict=True))
    assert result.list[0].model_extra == {"pinnedAt": "2026-07-30T03:29:05.779Z"}
    assert result.list[0].unparsed == {}


def test_a_response_no_reset_can_save_still_raises() -> None:
    # The whole `data` is a string: no field of any model holds the misfit, so nothing is returned.
    body = {"code": 200, "statusText": "", "message": "", "data": "gone"}
    with pytest.raises(APIResponseValidationError):
        CALLS["records.json"](client_answering(body, strict=False))


def test_strictness_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    body = changed("histories.json", ["data", "total"], {"value": 2})
    monkeypatch.setenv("FASTGPT_STRICT_RESPONSES", "0")
    with pytest.warns(ResponseDriftWarning):
        CALLS["histories.json"](client_answering(body, strict=False))
    monkeypatch.setenv("FASTGPT_STRICT_RESPONSES", "true")
    client = (
        Client.builder()
        .base_url("http://fastgpt.test")
        .api_key("fastgpt-k")
        .app_id(APP_ID)
        .transport(httpx.MockTransport(lambda request: httpx.Response(200, json=body)))
        .build()
    )
    with pytest.raises(APIResponseValidationError):
        client.chat_history.list_histories(ListHistoriesRequest())
    assert json.dumps(body)  # the body itself is plain JSON: raw JSON would have served


def stream_events(strict: bool) -> list[Any]:
    body = fixture_bytes("stream_invalid_known_event.sse")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    client = make_client(handler, strict_responses=strict)
    request = ChatCompletionRequest(messages=[ChatMessage.user("导演是谁")], detail=True)
    with client.chat.chat_stream(request) as stream:
        return list(stream)


def test_a_stream_event_that_changed_shape_arrives_typed_with_the_field_in_unparsed() -> None:
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        events = stream_events(strict=False)
    duration, broken_answer = events[0], events[3]
    assert isinstance(duration, WorkflowDurationEvent)
    assert duration.data.duration_seconds == 0.0
    assert duration.data.unparsed == {"duration_seconds": "soon"}
    assert isinstance(broken_answer, AnswerEvent)
    assert broken_answer.data.choices == []
    assert broken_answer.data.unparsed == {"choices": "broken"}
    # A toolCall without its `tool` is not a changed shape but a different thing: kept as unknown.
    assert isinstance(events[2], UnknownEvent)
    assert events[2].data == {"id": "call_x"}
    assert {str(w.message).split(" in a shape")[0] for w in warned} == {
        "FastGPT sent WorkflowDuration.duration_seconds",
        "FastGPT sent ChatCompletionChunk.choices",
    }


def test_a_strict_stream_keeps_every_misfit_event_unknown_as_before() -> None:
    events = stream_events(strict=True)
    assert [type(e).__name__ for e in events[:4]] == [
        "UnknownEvent",
        "AnswerEvent",
        "UnknownEvent",
        "UnknownEvent",
    ]
