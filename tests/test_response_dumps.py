"""Responses dump as the docs promise: `model_dump()` under the Python (snake_case) names the attributes
have, `model_dump(by_alias=True)` under FastGPT's wire names, and either dump reads back into an equal
model. Checked on every recorded response and stream of tests/fixtures, nested models included."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import FIXTURES, fixture_bytes, fixture_json
from pydantic import BaseModel

from fastgpt_oapi import ChatCompletionRequest, ChatMessage, FastGPTError, UpdateFeedbackRequest
from fastgpt_oapi.api.app_logs.model import (
    AppLogItem,
    ChartDataResponse,
    ListLogsResponse,
    ListLogUsersResponse,
    TotalDataResponse,
)
from fastgpt_oapi.api.chat.model import AuthProxy, ChatCompletionResponse, StopChatResponse
from fastgpt_oapi.api.chat.stream import ChatStreamDecoder
from fastgpt_oapi.api.chat_history.model import (
    ChatInitResponse,
    ChatRecord,
    CollectionQuoteResponse,
    DatasetCiteItem,
    HistoryStatusResponse,
    ListHistoriesResponse,
    ListRecordsResponse,
    ListRecordsV2Response,
    QuestionGuideResponse,
    QuoteResponse,
    RecordDetailResponse,
)
from fastgpt_oapi.api.dataset.model import (
    CollectionDetail,
    CreateCollectionResponse,
    CreateCollectionWithResultResponse,
    CreateDatasetResponse,
    DataDetail,
    DatasetDetail,
    ListCollectionsResponse,
    ListDataResponse,
    ListDatasetsResponse,
    PushDataResponse,
    SearchTestResponse,
    SyncCollectionResponse,
    UpdateDataResponse,
)
from fastgpt_oapi.api.shared.model import (
    AgentAskValue,
    AgentPlanUpdateValue,
    ContextCheckpointValue,
    PlanStatusValue,
)
from fastgpt_oapi.core.model import FastGPTModel, OperationResponse

# Each recorded response, with the model it is read into.
RESPONSES: dict[str, type[BaseModel]] = {
    "app_logs_list.json": ListLogsResponse,
    "chart_data.json": ChartDataResponse,
    "chat_init.json": ChatInitResponse,
    "chat_init_sandbox.json": ChatInitResponse,
    "chat_init_skill.json": ChatInitResponse,
    "collection_quote.json": CollectionQuoteResponse,
    "completion_blocking.json": ChatCompletionResponse,
    "dataset_collection_create.json": CreateCollectionResponse,
    "dataset_collection_create_result.json": CreateCollectionWithResultResponse,
    "dataset_collection_detail.json": CollectionDetail,
    "dataset_collection_list.json": ListCollectionsResponse,
    "dataset_collection_sync.json": SyncCollectionResponse,
    "dataset_create.json": CreateDatasetResponse,
    "dataset_data_detail.json": DataDetail,
    "dataset_data_list.json": ListDataResponse,
    "dataset_data_push.json": PushDataResponse,
    "dataset_data_update.json": UpdateDataResponse,
    "dataset_detail.json": DatasetDetail,
    "dataset_list.json": ListDatasetsResponse,
    "dataset_search_test.json": SearchTestResponse,
    "completion_blocking_agent_ask.json": ChatCompletionResponse,
    "completion_blocking_detail.json": ChatCompletionResponse,
    "completion_blocking_interactive.json": ChatCompletionResponse,
    "completion_blocking_node_error.json": ChatCompletionResponse,
    "completion_blocking_payment_pause.json": ChatCompletionResponse,
    "completion_blocking_reasoning.json": ChatCompletionResponse,
    "completion_blocking_v2_content.json": ChatCompletionResponse,
    "histories.json": ListHistoriesResponse,
    "histories_agent_helper.json": ListHistoriesResponse,
    "history_status.json": HistoryStatusResponse,
    "log_users.json": ListLogUsersResponse,
    "question_guide.json": QuestionGuideResponse,
    "quote.json": QuoteResponse,
    "records.json": ListRecordsResponse,
    "records_agent.json": ListRecordsResponse,
    "records_v2.json": ListRecordsV2Response,
    "res_data.json": RecordDetailResponse,
    "res_data_agent.json": RecordDetailResponse,
    "stop_chat.json": StopChatResponse,
    "stop_chat_4_16_3.json": StopChatResponse,
    "total_data.json": TotalDataResponse,
    "update_history_ok.json": OperationResponse,
}
STREAMS = sorted(path.name for path in FIXTURES.glob("*.sse"))


def read(name: str) -> BaseModel:
    body = fixture_json(name)
    data = body["data"] if "code" in body and "statusText" in body else body
    if data is None:  # `data: null`: the SDK makes an OperationResponse with the request id
        data = {"request_id": "req-1"}
    return RESPONSES[name].model_validate(data)


def streamed(name: str) -> list[BaseModel]:
    """Every event a recorded stream gives, then the assembled result (unless the stream failed)."""
    decoder = ChatStreamDecoder("chat-1", "data-1", strict=True)
    models: list[BaseModel] = []
    try:
        models.extend(decoder.feed(fixture_bytes(name)))
        models.extend(decoder.finish())
    except FastGPTError:
        return models
    return [*models, decoder.result()]


def models_in(value: Any) -> Iterator[BaseModel]:
    """`value` and every model nested in it."""
    if isinstance(value, BaseModel):
        yield value
        for name in type(value).model_fields:
            yield from models_in(getattr(value, name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from models_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from models_in(item)


def assert_dump_names(model: BaseModel) -> None:
    fields = type(model).model_fields
    extra = set(model.model_extra or {})  # unknown fields keep the names they came with
    assert set(model.model_dump()) == set(fields) | extra, type(model)
    wire = {field.serialization_alias or field.alias or name for name, field in fields.items()}
    assert set(model.model_dump(by_alias=True)) == wire | extra, type(model)


def assert_round_trips(model: BaseModel) -> None:
    cls = type(model)
    assert cls.model_validate(model.model_dump(by_alias=True)) == model
    assert cls.model_validate(model.model_dump()) == model
    assert cls.model_validate_json(model.model_dump_json(by_alias=True)) == model
    assert cls.model_validate_json(model.model_dump_json()) == model


def test_every_recorded_response_is_covered() -> None:
    recorded = {path.name for path in FIXTURES.glob("*.json")}
    requests_and_errors = {name for name in recorded if name.startswith(("request_", "error_"))}
    # The emulator's own recorded output (raw wire bodies by scenario), not a response of one endpoint.
    emulator = {"emulator_transcripts_zh.json"}
    assert set(RESPONSES) == recorded - requests_and_errors - emulator


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_a_response_dumps_python_names_and_wire_names_on_request(name: str) -> None:
    response = read(name)
    assert_round_trips(response)
    nested = [m for m in models_in(response) if isinstance(m, FastGPTModel)]
    assert nested
    for model in nested:
        assert_dump_names(model)
        assert_round_trips(model)


@pytest.mark.parametrize("name", STREAMS)
def test_stream_events_and_results_round_trip(name: str) -> None:
    models = streamed(name)
    assert models or name.startswith("stream_error"), name  # an error may come first
    for model in models:
        assert_round_trips(model)
        for nested in models_in(model):
            if isinstance(nested, FastGPTModel):
                assert_dump_names(nested)


def test_a_record_dumps_snake_case_and_its_wire_names() -> None:
    record = read("records.json")
    assert isinstance(record, ListRecordsResponse)
    ai = next(r for r in record.list if r.is_ai)
    dumped = ai.model_dump()
    assert {
        "id",
        "data_id",
        "hide_in_ui",
        "duration_seconds",
        "user_good_feedback",
        "total_quote_list",
    } <= set(dumped)
    assert not {"_id", "dataId", "hideInUI"} & set(dumped)
    wire = ai.model_dump(by_alias=True)
    assert {"_id", "dataId", "hideInUI", "durationSeconds", "userGoodFeedback", "totalQuoteList"} <= set(wire)
    assert not {"id", "data_id", "hide_in_ui"} & set(wire)


def test_agent_value_items_read_back_from_either_dump() -> None:
    # The kind of a value item is told by its key: read back from a dump, `plan_status` marks it as
    # well as `planStatus` does.
    page = read("records_agent.json")
    assert isinstance(page, ListRecordsResponse)
    kinds = {type(item) for record in page.list for item in record.value}
    assert {AgentPlanUpdateValue, AgentAskValue, ContextCheckpointValue} <= kinds  # keys that differ
    status = ChatRecord.model_validate({"obj": "AI", "value": [{"plan_status": {"status": "updating"}}]})
    assert isinstance(status.value[0], PlanStatusValue)
    for record in page.list:
        for dump in (record.model_dump(), record.model_dump(by_alias=True)):
            again = ChatRecord.model_validate(dump)
            assert [type(item) for item in again.value] == [type(item) for item in record.value]


@pytest.mark.parametrize(
    ("cls", "data"),
    [
        (ChatRecord, {"obj": "AI", "dataId": "d1"}),
        (AppLogItem, {"chatId": "c1"}),
        (DatasetCiteItem, {"q": "Q"}),
    ],
)
def test_an_absent_id_dumps_none(cls: type[FastGPTModel], data: dict[str, Any]) -> None:
    model = cls.model_validate(data)
    assert model.model_dump()["id"] is None
    assert model.model_dump(by_alias=True)["_id"] is None
    assert "_id" not in model.model_dump(by_alias=True, exclude_none=True)
    assert cls.model_validate({**data, "_id": "x1"}).model_dump()["id"] == "x1"


def test_requests_still_dump_their_wire_names() -> None:
    # Requests exist to be sent: their dumps (and what goes out) keep FastGPT's names.
    request = ChatCompletionRequest(
        messages=[ChatMessage.user("hi")],
        chat_id="c1",
        response_chat_item_id="d1",
        auth_proxy=AuthProxy(tmb_id="0123456789abcdef01234567"),
    )
    dumped = request.model_dump(exclude_none=True)
    assert {"chatId", "responseChatItemId", "authProxy"} <= set(dumped)
    assert dumped["authProxy"] == {"tmbId": "0123456789abcdef01234567"}
    _, body = request.to_wire()
    assert body is not None
    assert {"chatId", "responseChatItemId", "authProxy"} <= set(body)
    assert UpdateFeedbackRequest.like("c1", "d1").model_dump(exclude_none=True) == {
        "chatId": "c1",
        "dataId": "d1",
        "userGoodFeedback": "yes",
    }
