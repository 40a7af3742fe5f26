"""Every chat_history endpoint, sync and async: what goes over the wire, and what comes back parsed."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from conftest import APP_ID, fixture_json, make_client
from endpoint_cases import Case, Fixture, check, table
from http_support import Wire, run

from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.api.chat_history.model import (
    ChatRecord,
    ClearHistoriesRequest,
    CreateQuestionGuideRequest,
    DeleteHistoryRequest,
    DeleteRecordRequest,
    FileValue,
    GetChatInitRequest,
    GetFeedbackRecordIdsRequest,
    GetRecordDetailRequest,
    ListHistoriesRequest,
    ListRecordsRequest,
    ListRecordsResponse,
    QuestionGuideConfig,
    ReasoningValue,
    RecordDetailResponse,
    TextValue,
    UpdateFeedbackRequest,
    UpdateHistoryRequest,
)
from fastgpt_oapi.core.options import RequestOption
from fastgpt_oapi.testing import FakeFastGPT

OTHER_APP = "0123456789abcdef01234567"
UTC = timezone.utc
CHAT = "kzYq3Xw1N2b8pQm4RtUv5aBc"
AI_RECORD = "x9KQWcK9MApGdDQH"
FEEDBACK = "/api/core/chat/feedback/updateUserFeedback"
C1D1 = {"appId": APP_ID, "chatId": "c1", "dataId": "d1"}


def records(page: ListRecordsResponse) -> None:
    assert page.total == 2
    human, ai = page.list
    assert human.id == "670b84e6796057dda04b0fd2"
    assert human.data_id == "jzqdV4Ap1u004rhd2WW8yGLn"
    assert human.obj == "Human"
    assert (human.is_human, human.is_ai, human.is_system) == (True, False, False)
    assert human.time == datetime(2026, 7, 30, 3, 29, 1, 101000, tzinfo=UTC)
    assert human.custom_feedbacks == []
    assert human.text == "导演是谁"
    assert human.reasoning is None
    assert human.interactive is None
    text, file = human.value
    assert isinstance(text, TextValue)
    assert text.text.content == "导演是谁"
    assert text.type == "text"
    assert isinstance(file, FileValue)
    assert (file.file.type, file.file.name, file.file.url) == (
        "image",
        "poster.png",
        "https://example.com/poster.png",
    )
    assert human.files == [file]
    assert human.user_good_feedback is None
    assert human.user_bad_feedback is None
    assert human.total_quote_list == []

    assert ai.id == "670b84e6796057dda04b0fd3"
    assert ai.data_id == "x9KQWcK9MApGdDQH"
    assert ai.obj == "AI"
    assert (ai.is_human, ai.is_ai, ai.is_system) == (False, True, False)
    assert ai.time == datetime(2026, 7, 30, 3, 29, 5, 779000, tzinfo=UTC)
    assert ai.duration_seconds == 2.42
    assert ai.user_good_feedback == "yes"
    assert ai.user_bad_feedback is None
    assert ai.admin_feedback is None
    assert ai.custom_feedbacks == []
    assert ai.use_agent_sandbox is False
    assert ai.error_msg is None
    assert ai.llm_module_account == 1
    assert ai.history_preview_length == 2
    reasoning, answer = ai.value
    assert isinstance(reasoning, ReasoningValue)
    assert reasoning.reasoning.content == "知识库中有答案。"
    assert isinstance(answer, TextValue)
    assert ai.text == "电影《铃芽之旅》的导演是新海诚。[654f2e49b64caef1d9431e8b](CITE)"
    assert ai.reasoning == "知识库中有答案。"
    assert ai.files == []
    (quote,) = ai.total_quote_list
    assert quote.id == "654f2e49b64caef1d9431e8b"
    assert quote.dataset_id == "646627f4f7b896cfd8910e38"
    assert quote.collection_id == "653279b16cd42ab509e766e8"
    assert quote.source_name == "faq.csv"
    assert quote.source_id == "64fd3b6423aa1307b65896f6"
    assert quote.chunk_index == 3
    assert quote.q == "电影《铃芽之旅》的导演是谁？"
    assert quote.a == "电影《铃芽之旅》的导演是新海诚。"
    assert isinstance(quote.score, list)
    assert [(s.type, s.value, s.index) for s in quote.score] == [
        ("embedding", 0.8935, 0),
        ("reRank", 0.9712, 0),
    ]


def record_detail(detail: RecordDetailResponse) -> None:
    start, search, chat = detail.list
    assert (start.id, start.node_id, start.module_type, start.running_time) == (
        "iSol79OFrBH1I9kC",
        "448745",
        "workflowStart",
        0,
    )
    assert start.module_name == "common:core.module.template.work_start"
    assert search.module_type == "datasetSearchNode"
    assert search.module_name == "知识库搜索"
    assert search.running_time == 0.52
    assert search.total_points == 0.0021
    assert search.embedding_model == "text-embedding-3-small"
    assert search.embedding_tokens == 6
    assert search.similarity == 0.4
    assert search.limit == 3000
    assert search.search_mode == "embedding"
    assert search.search_using_re_rank is True
    assert search.rerank_model == "bge-reranker-v2-m3"
    assert search.re_rank_input_tokens == 120
    assert search.dataset_queries == ["导演是谁"]
    assert search.quote_list is not None
    assert search.quote_list[0].source_name == "faq.csv"
    assert chat.module_type == "chatNode"
    assert chat.model == "gpt-4o-mini"
    assert (chat.tokens, chat.input_tokens, chat.output_tokens) == (64, 10, 54)
    assert chat.max_token == 4000
    assert chat.finish_reason == "stop"
    assert chat.reasoning_text == ""
    assert chat.context_total_len == 2
    assert chat.history_preview is not None
    assert [(h.obj, h.value) for h in chat.history_preview] == [
        ("Human", "导演是谁"),
        ("AI", "电影《铃芽之旅》的导演是新海诚。"),
    ]


def feedback(name: str, request: UpdateFeedbackRequest, body: dict[str, Any]) -> Case:
    # Whatever is left out is cleared by FastGPT: a like goes out without userBadFeedback on purpose.
    return Case("chat_history.update_feedback", request, f"POST {FEEDBACK}", body=body, name=name)


HISTORIES = {
    "appId": APP_ID,
    "offset": 20,
    "pageSize": 5,
    "source": "api",
    "startCreateTime": "2026-07-01T00:00:00Z",
    "endUpdateTime": "2026-07-31T00:00:00.000Z",
}
CASES = [
    Case(
        "chat_history.list_histories",
        ListHistoriesRequest(
            offset=20,
            page_size=5,
            source="api",
            start_create_time=datetime(2026, 7, 1, tzinfo=UTC),
            end_update_time="2026-07-31T00:00:00.000Z",
        ),
        "POST /api/core/chat/history/getHistories",
        body=HISTORIES,
        answer=Fixture("histories.json"),
        expect={
            "total": 2,
            "list.#": 2,
            "list.0.chat_id": "usdAP1GbzSGu",
            "list.0.update_time": datetime(2026, 7, 30, 3, 29, 5, 779000, tzinfo=UTC),
            "list.0.app_id": APP_ID,
            "list.0.custom_title": "",
            "list.0.title": "你好",
            "list.0.top": True,
            "list.0.chat_generate_status": 1,
            "list.0.has_been_read": True,
            "list.0.display_title": "你好",
            "list.1.chat_id": "lC0uTAsyNBlZ",
            "list.1.update_time": datetime(2026, 7, 29, 3, 22, 19, 950000, tzinfo=UTC),
            "list.1.custom_title": "退款流程",
            "list.1.title": "我想退货",
            "list.1.top": False,
            "list.1.chat_generate_status": 0,
            "list.1.has_been_read": False,
            "list.1.display_title": "退款流程",
        },
    ),
    # FastGPT reads `offset` only when `pageSize` is in the body too, so both always go out.
    Case(
        "chat_history.list_histories",
        ListHistoriesRequest.builder().app_id(OTHER_APP).build(),
        "POST /api/core/chat/history/getHistories",
        body={"appId": OTHER_APP, "offset": 0, "pageSize": 10},
        answer=Fixture("histories.json"),
        expect={"total": 2},
        name="list_histories-defaults-send-the-page",
    ),
    Case(
        "chat_history.update_history",
        UpdateHistoryRequest.builder().chat_id("usdAP1GbzSGu").custom_title("新标题").top(True).build(),
        "PUT /api/core/chat/history/updateHistory",
        body={"appId": APP_ID, "chatId": "usdAP1GbzSGu", "customTitle": "新标题", "top": True},
        answer=Fixture("update_history_ok.json"),
        expect={"request_id": "req-42"},
        headers={"x-request-id": "req-42"},
    ),
    Case(
        "chat_history.delete_history",
        DeleteHistoryRequest(chat_id="usdAP1GbzSGu"),
        "DELETE /api/core/chat/history/delHistory",
        query={"appId": APP_ID, "chatId": "usdAP1GbzSGu"},
        answer=Fixture("update_history_ok.json"),
        expect={"request_id": None},
    ),
    Case(
        "chat_history.clear_histories",
        ClearHistoriesRequest(app_id=OTHER_APP),
        "DELETE /api/core/chat/history/clearHistories",
        query={"appId": OTHER_APP},
        answer=Fixture("update_history_ok.json"),
    ),
    Case(
        "chat_history.get_chat_init",
        GetChatInitRequest(chat_id=CHAT, load_custom_feedbacks=True),
        "GET /api/core/chat/init",
        query={"appId": APP_ID, "chatId": CHAT, "loadCustomFeedbacks": "true"},
        answer=Fixture("chat_init.json"),
        expect={
            "chat_id": CHAT,
            "app_id": APP_ID,
            "title": "导演是谁",
            "variables": {"uid": "asdfadsfasfd2323"},
            "chat_generate_status": 1,
            "has_been_read": True,
            "app.name": "测试应用",
            "app.avatar": "/imgs/app/avatar/workflow.svg",
            "app.intro": "",
            "app.type": "advanced",
            "app.chat_models": ["gpt-4o-mini"],
            "app.plugin_inputs": [],
            "app.chat_config.question_guide": {"open": True},
            "app.chat_config.tts_config": {"type": "web"},
            "app.chat_config.whisper_config": {"open": False, "autoSend": False, "autoTTSResponse": False},
            "app.chat_config.chat_input_guide": {"open": False, "textList": [], "customUrl": ""},
            "app.chat_config.instruction": "",
            "app.chat_config.variables": [],
            "app.chat_config.file_select_config": {
                "canSelectFile": True,
                "canSelectImg": True,
                "maxFiles": 10,
            },
            "app.chat_config.welcome_text": "",
        },
    ),
    Case(
        "chat_history.list_records",
        ListRecordsRequest(chat_id=CHAT, offset=0, page_size=30, load_custom_feedbacks=True),
        "POST /api/core/chat/record/getPaginationRecords",
        body={"appId": APP_ID, "chatId": CHAT, "offset": 0, "pageSize": 30, "loadCustomFeedbacks": True},
        answer=Fixture("records.json"),
        expect=records,
    ),
    Case(
        "chat_history.get_record_detail",
        GetRecordDetailRequest(chat_id=CHAT, data_id=AI_RECORD),
        "GET /api/core/chat/record/getResData",
        query={"appId": APP_ID, "chatId": CHAT, "dataId": AI_RECORD},
        answer=Fixture("res_data.json"),
        expect=record_detail,
    ),
    Case(
        "chat_history.delete_record",
        DeleteRecordRequest(chat_id=CHAT, data_id=AI_RECORD),
        "DELETE /api/core/chat/record/delete",
        query={"appId": APP_ID, "chatId": CHAT, "contentId": AI_RECORD},
        answer=Fixture("update_history_ok.json"),
    ),
    feedback(
        "update_feedback-like", UpdateFeedbackRequest.like("c1", "d1"), {**C1D1, "userGoodFeedback": "yes"}
    ),
    feedback(
        "update_feedback-dislike",
        UpdateFeedbackRequest.dislike("c1", "d1", "答非所问", app_id=OTHER_APP),
        {**C1D1, "appId": OTHER_APP, "userBadFeedback": "答非所问"},
    ),
    feedback("update_feedback-clear", UpdateFeedbackRequest.clear("c1", "d1"), C1D1),
    feedback(
        "update_feedback-builder",
        UpdateFeedbackRequest.builder()
        .chat_id("c1")
        .data_id("d1")
        .user_good_feedback("great")
        .user_bad_feedback(None)
        .build(),
        {**C1D1, "userGoodFeedback": "great"},
    ),
    feedback(
        "update_feedback-one-field",
        UpdateFeedbackRequest(chat_id="c1", data_id="d1", user_good_feedback="yes"),
        {**C1D1, "userGoodFeedback": "yes"},
    ),
    feedback(
        "update_feedback-builder-one-field",
        UpdateFeedbackRequest.builder().chat_id("c1").data_id("d1").user_bad_feedback("meh").build(),
        {**C1D1, "userBadFeedback": "meh"},
    ),
    feedback("update_feedback-no-field", UpdateFeedbackRequest(chat_id="c1", data_id="d1"), C1D1),
    Case(
        "chat_history.get_feedback_record_ids",
        GetFeedbackRecordIdsRequest(chat_id="c1", feedback_type="bad", unread_only=True),
        "POST /api/core/chat/feedback/getFeedbackRecordIds",
        body={"appId": APP_ID, "chatId": "c1", "feedbackType": "bad", "unreadOnly": True},
        answer={"total": 2, "dataIds": ["d1", "d3"]},
    ),
    Case(
        "chat_history.create_question_guide",
        CreateQuestionGuideRequest(
            chat_id=CHAT, question_guide=QuestionGuideConfig(model="gpt-4o-mini", custom_prompt="用中文")
        ),
        "POST /api/core/ai/agent/v2/createQuestionGuide",
        body={
            "appId": APP_ID,
            "chatId": CHAT,
            "questionGuide": {"open": True, "model": "gpt-4o-mini", "customPrompt": "用中文"},
        },
        answer=Fixture("question_guide.json"),
        expect={"list": ["你对AI有什么看法？", "想了解AI的应用吗？", "你希望AI能做什么？"]},
    ),
]


@table(CASES)
async def test_wire(case: Case, way: str) -> None:
    await check(case, way)


def test_record_fields_are_the_wire_names() -> None:
    raw = {
        "_id": "r1",
        "dataId": "d1",
        "obj": "AI",
        "value": [],
        "hideInUI": True,
        "errorMsg": "boom",
        "userBadFeedback": "wrong",
        "adminFeedback": {"feedbackDataId": "f1", "datasetId": "ds", "collectionId": "c", "q": "Q", "a": "A"},
        "toolCiteLinks": [{"name": "doc", "url": "https://example.com"}],
        "errorText": {"moduleName": "AI 对话", "errorText": "timeout"},
        "somethingNew": 1,
    }
    record = ChatRecord.model_validate(raw)
    assert record.hide_in_ui is True
    assert record.error_msg == "boom"
    assert record.user_bad_feedback == "wrong"
    assert record.admin_feedback is not None
    assert (record.admin_feedback.feedback_data_id, record.admin_feedback.q) == ("f1", "Q")
    assert record.tool_cite_links is not None
    assert record.tool_cite_links[0].url == "https://example.com"
    assert record.error_text is not None
    assert record.error_text.error_text == "timeout"
    assert record.model_extra == {"somethingNew": 1}
    assert record.text == ""
    wire = record.model_dump(mode="json", exclude_none=True, by_alias=True)
    assert wire == {**raw, "totalQuoteList": []}  # the wire names, as read
    dumped = record.model_dump(mode="json", exclude_none=True)
    assert (dumped["id"], dumped["data_id"], dumped["hide_in_ui"]) == ("r1", "d1", True)
    assert dumped["admin_feedback"]["feedback_data_id"] == "f1"
    assert dumped["somethingNew"] == 1  # an unknown field keeps its wire name


def test_update_feedback_fields_default_to_none_and_refuse_empty_text() -> None:
    # A field left out is None, which goes out as no key at all: what makes FastGPT clear it.
    request = UpdateFeedbackRequest(chat_id="c1", data_id="d1", user_good_feedback="yes")
    assert (request.user_good_feedback, request.user_bad_feedback) == ("yes", None)
    assert request == UpdateFeedbackRequest.like("c1", "d1")
    assert UpdateFeedbackRequest(chat_id="c1", data_id="d1") == UpdateFeedbackRequest.clear("c1", "d1")
    with pytest.raises(ValueError, match="user_good_feedback"):
        UpdateFeedbackRequest(chat_id="c1", data_id="d1", user_good_feedback="")


async def test_the_emulator_lists_the_records_with_feedback(io_mode: str) -> None:
    async with FakeFastGPT().client() as client:
        for n in range(3):
            ask = [ChatMessage.user(f"q{n}")]
            client.chat.chat(ChatCompletionRequest(messages=ask, chat_id="c1", response_chat_item_id=f"a{n}"))
        client.chat_history.update_feedback(UpdateFeedbackRequest.like("c1", "a0"))
        client.chat_history.update_feedback(UpdateFeedbackRequest.dislike("c1", "a2"))
        get, aget = client.chat_history.get_feedback_record_ids, client.chat_history.aget_feedback_record_ids

        async def ids(kind: Any) -> list[str]:
            request = GetFeedbackRecordIdsRequest(chat_id="c1", feedback_type=kind)
            return (await run(io_mode, lambda: get(request), lambda: aget(request))).data_ids

        assert [await ids(kind) for kind in ("has_feedback", "good", "bad")] == [["a0", "a2"], ["a0"], ["a2"]]


async def test_request_option_reaches_the_wire(io_mode: str) -> None:
    payload = fixture_json("update_history_ok.json")
    wire = Wire(lambda request: httpx.Response(200, json=payload))
    service = make_client(wire).chat_history
    request = ClearHistoriesRequest()
    option = RequestOption.builder().api_key("fastgpt-other").headers({"X-Trace": "7"}).build()

    await run(
        io_mode,
        lambda: service.clear_histories(request, option),
        lambda: service.aclear_histories(request, option),
    )

    assert wire.last.headers["authorization"] == "Bearer fastgpt-other"
    assert wire.last.headers["x-trace"] == "7"


def test_builders_match_constructors() -> None:
    built = (
        ListRecordsRequest.builder()
        .app_id(OTHER_APP)
        .chat_id("c1")
        .offset(10)
        .page_size(5)
        .load_custom_feedbacks(False)
        .type("outLink")
        .build()
    )
    assert built == ListRecordsRequest(
        app_id=OTHER_APP, chat_id="c1", offset=10, page_size=5, load_custom_feedbacks=False, type="outLink"
    )
    assert GetRecordDetailRequest.builder().chat_id("c").data_id("d").build() == GetRecordDetailRequest(
        chat_id="c", data_id="d"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("offset", -1), ("page_size", 0)],
)
def test_page_fields_are_range_checked(field: str, value: int) -> None:
    with pytest.raises(ValueError, match=field):
        ListHistoriesRequest.model_validate({field: value})
    with pytest.raises(ValueError, match=field):
        ListRecordsRequest.model_validate({"chat_id": "c1", field: value})
