"""Every chat_history endpoint, sync and async: what goes over the wire, and what comes back parsed."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from conftest import APP_ID, envelope, fixture_json, make_client
from http_support import Wire, body_of, query_of, run

from fastgpt_oapi import NotFoundError
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
    QuestionGuideConfig,
    ReasoningValue,
    TextValue,
    UpdateFeedbackRequest,
    UpdateHistoryRequest,
)
from fastgpt_oapi.core.options import RequestOption
from fastgpt_oapi.testing import FakeFastGPT

OTHER_APP = "0123456789abcdef01234567"
UTC = timezone.utc


def serve(fixture: str, headers: dict[str, str] | None = None) -> Wire:
    payload = fixture_json(fixture)
    return Wire(lambda request: httpx.Response(200, json=payload, headers=headers))


async def test_list_histories(io_mode: str) -> None:
    wire = serve("histories.json")
    service = make_client(wire).chat_history
    request = ListHistoriesRequest(
        offset=20,
        page_size=5,
        source="api",
        start_create_time=datetime(2026, 7, 1, tzinfo=UTC),
        end_update_time="2026-07-31T00:00:00.000Z",
    )

    page = await run(
        io_mode, lambda: service.list_histories(request), lambda: service.alist_histories(request)
    )

    sent = wire.last
    assert sent.method == "POST"
    assert sent.url.path == "/api/core/chat/history/getHistories"
    assert query_of(sent) == {}
    assert body_of(sent) == {
        "appId": APP_ID,
        "offset": 20,
        "pageSize": 5,
        "source": "api",
        "startCreateTime": "2026-07-01T00:00:00Z",
        "endUpdateTime": "2026-07-31T00:00:00.000Z",
    }
    assert page.total == 2
    first, second = page.list
    assert first.chat_id == "usdAP1GbzSGu"
    assert first.update_time == datetime(2026, 7, 30, 3, 29, 5, 779000, tzinfo=UTC)
    assert first.app_id == APP_ID
    assert first.custom_title == ""
    assert first.title == "你好"
    assert first.top is True
    assert first.chat_generate_status == 1
    assert first.has_been_read is True
    assert first.display_title == "你好"
    assert second.chat_id == "lC0uTAsyNBlZ"
    assert second.update_time == datetime(2026, 7, 29, 3, 22, 19, 950000, tzinfo=UTC)
    assert second.custom_title == "退款流程"
    assert second.title == "我想退货"
    assert second.top is False
    assert second.chat_generate_status == 0
    assert second.has_been_read is False
    assert second.display_title == "退款流程"


async def test_list_histories_defaults_send_the_page_explicitly(io_mode: str) -> None:
    # FastGPT reads `offset` only when `pageSize` is in the body too, so both always go out.
    wire = serve("histories.json")
    service = make_client(wire).chat_history
    request = ListHistoriesRequest.builder().app_id(OTHER_APP).build()

    await run(io_mode, lambda: service.list_histories(request), lambda: service.alist_histories(request))

    assert body_of(wire.last) == {"appId": OTHER_APP, "offset": 0, "pageSize": 10}


async def test_update_history(io_mode: str) -> None:
    wire = serve("update_history_ok.json", headers={"x-request-id": "req-42"})
    service = make_client(wire).chat_history
    request = UpdateHistoryRequest.builder().chat_id("usdAP1GbzSGu").custom_title("新标题").top(True).build()

    result = await run(
        io_mode, lambda: service.update_history(request), lambda: service.aupdate_history(request)
    )

    sent = wire.last
    assert (sent.method, sent.url.path, query_of(sent)) == ("PUT", "/api/core/chat/history/updateHistory", {})
    assert body_of(sent) == {"appId": APP_ID, "chatId": "usdAP1GbzSGu", "customTitle": "新标题", "top": True}
    assert result.request_id == "req-42"


async def test_delete_history(io_mode: str) -> None:
    wire = serve("update_history_ok.json")
    service = make_client(wire).chat_history
    request = DeleteHistoryRequest(chat_id="usdAP1GbzSGu")

    result = await run(
        io_mode, lambda: service.delete_history(request), lambda: service.adelete_history(request)
    )

    sent = wire.last
    assert (sent.method, sent.url.path) == ("DELETE", "/api/core/chat/history/delHistory")
    assert query_of(sent) == {"appId": APP_ID, "chatId": "usdAP1GbzSGu"}
    assert body_of(sent) is None
    assert result.request_id is None


async def test_clear_histories(io_mode: str) -> None:
    wire = serve("update_history_ok.json")
    service = make_client(wire).chat_history
    request = ClearHistoriesRequest(app_id=OTHER_APP)

    await run(io_mode, lambda: service.clear_histories(request), lambda: service.aclear_histories(request))

    sent = wire.last
    assert (sent.method, sent.url.path) == ("DELETE", "/api/core/chat/history/clearHistories")
    assert query_of(sent) == {"appId": OTHER_APP}
    assert body_of(sent) is None


async def test_get_chat_init(io_mode: str) -> None:
    wire = serve("chat_init.json")
    service = make_client(wire).chat_history
    request = GetChatInitRequest(chat_id="kzYq3Xw1N2b8pQm4RtUv5aBc", load_custom_feedbacks=True)

    init = await run(io_mode, lambda: service.get_chat_init(request), lambda: service.aget_chat_init(request))

    sent = wire.last
    assert (sent.method, sent.url.path) == ("GET", "/api/core/chat/init")
    assert query_of(sent) == {
        "appId": APP_ID,
        "chatId": "kzYq3Xw1N2b8pQm4RtUv5aBc",
        "loadCustomFeedbacks": "true",
    }
    assert body_of(sent) is None
    assert init.chat_id == "kzYq3Xw1N2b8pQm4RtUv5aBc"
    assert init.app_id == APP_ID
    assert init.title == "导演是谁"
    assert init.variables == {"uid": "asdfadsfasfd2323"}
    assert init.chat_generate_status == 1
    assert init.has_been_read is True
    app = init.app
    assert app.name == "测试应用"
    assert app.avatar == "/imgs/app/avatar/workflow.svg"
    assert app.intro == ""
    assert app.type == "advanced"
    assert app.chat_models == ["gpt-4o-mini"]
    assert app.plugin_inputs == []
    config = app.chat_config
    assert config.question_guide == {"open": True}
    assert config.tts_config == {"type": "web"}
    assert config.whisper_config == {"open": False, "autoSend": False, "autoTTSResponse": False}
    assert config.chat_input_guide == {"open": False, "textList": [], "customUrl": ""}
    assert config.instruction == ""
    assert config.variables == []
    assert config.file_select_config == {"canSelectFile": True, "canSelectImg": True, "maxFiles": 10}
    assert config.welcome_text == ""


async def test_list_records(io_mode: str) -> None:
    wire = serve("records.json")
    service = make_client(wire).chat_history
    request = ListRecordsRequest(
        chat_id="kzYq3Xw1N2b8pQm4RtUv5aBc", offset=0, page_size=30, load_custom_feedbacks=True
    )

    page = await run(io_mode, lambda: service.list_records(request), lambda: service.alist_records(request))

    sent = wire.last
    assert (sent.method, sent.url.path, query_of(sent)) == (
        "POST",
        "/api/core/chat/record/getPaginationRecords",
        {},
    )
    assert body_of(sent) == {
        "appId": APP_ID,
        "chatId": "kzYq3Xw1N2b8pQm4RtUv5aBc",
        "offset": 0,
        "pageSize": 30,
        "loadCustomFeedbacks": True,
    }
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


async def test_get_record_detail(io_mode: str) -> None:
    wire = serve("res_data.json")
    service = make_client(wire).chat_history
    request = GetRecordDetailRequest(chat_id="kzYq3Xw1N2b8pQm4RtUv5aBc", data_id="x9KQWcK9MApGdDQH")

    detail = await run(
        io_mode, lambda: service.get_record_detail(request), lambda: service.aget_record_detail(request)
    )

    sent = wire.last
    assert (sent.method, sent.url.path) == ("GET", "/api/core/chat/record/getResData")
    assert query_of(sent) == {
        "appId": APP_ID,
        "chatId": "kzYq3Xw1N2b8pQm4RtUv5aBc",
        "dataId": "x9KQWcK9MApGdDQH",
    }
    assert body_of(sent) is None
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


async def test_delete_record(io_mode: str) -> None:
    wire = serve("update_history_ok.json")
    service = make_client(wire).chat_history
    request = DeleteRecordRequest(chat_id="kzYq3Xw1N2b8pQm4RtUv5aBc", data_id="x9KQWcK9MApGdDQH")

    await run(io_mode, lambda: service.delete_record(request), lambda: service.adelete_record(request))

    sent = wire.last
    assert (sent.method, sent.url.path) == ("DELETE", "/api/core/chat/record/delete")
    assert query_of(sent) == {
        "appId": APP_ID,
        "chatId": "kzYq3Xw1N2b8pQm4RtUv5aBc",
        "contentId": "x9KQWcK9MApGdDQH",
    }
    assert body_of(sent) is None
    assert len(wire.requests) == 1


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (
            UpdateFeedbackRequest.like("c1", "d1"),
            {"appId": APP_ID, "chatId": "c1", "dataId": "d1", "userGoodFeedback": "yes"},
        ),
        (
            UpdateFeedbackRequest.dislike("c1", "d1", "答非所问", app_id=OTHER_APP),
            {"appId": OTHER_APP, "chatId": "c1", "dataId": "d1", "userBadFeedback": "答非所问"},
        ),
        (UpdateFeedbackRequest.clear("c1", "d1"), {"appId": APP_ID, "chatId": "c1", "dataId": "d1"}),
        (
            UpdateFeedbackRequest.builder()
            .chat_id("c1")
            .data_id("d1")
            .user_good_feedback("great")
            .user_bad_feedback(None)
            .build(),
            {"appId": APP_ID, "chatId": "c1", "dataId": "d1", "userGoodFeedback": "great"},
        ),
        (
            UpdateFeedbackRequest(chat_id="c1", data_id="d1", user_good_feedback="yes"),
            {"appId": APP_ID, "chatId": "c1", "dataId": "d1", "userGoodFeedback": "yes"},
        ),
        (
            UpdateFeedbackRequest.builder().chat_id("c1").data_id("d1").user_bad_feedback("meh").build(),
            {"appId": APP_ID, "chatId": "c1", "dataId": "d1", "userBadFeedback": "meh"},
        ),
        (
            UpdateFeedbackRequest(chat_id="c1", data_id="d1"),
            {"appId": APP_ID, "chatId": "c1", "dataId": "d1"},
        ),
    ],
    ids=["like", "dislike", "clear", "builder", "one-field", "builder-one-field", "no-field"],
)
async def test_update_feedback(
    io_mode: str, request_: UpdateFeedbackRequest, expected: dict[str, Any]
) -> None:
    # Whatever is left out is cleared by FastGPT: a like goes out without userBadFeedback on purpose.
    wire = serve("update_history_ok.json")
    service = make_client(wire).chat_history

    await run(io_mode, lambda: service.update_feedback(request_), lambda: service.aupdate_feedback(request_))

    sent = wire.last
    assert (sent.method, sent.url.path, query_of(sent)) == (
        "POST",
        "/api/core/chat/feedback/updateUserFeedback",
        {},
    )
    assert body_of(sent) == expected


def test_update_feedback_fields_default_to_none_and_refuse_empty_text() -> None:
    # A field left out is None, which goes out as no key at all: what makes FastGPT clear it.
    request = UpdateFeedbackRequest(chat_id="c1", data_id="d1", user_good_feedback="yes")
    assert (request.user_good_feedback, request.user_bad_feedback) == ("yes", None)
    assert request == UpdateFeedbackRequest.like("c1", "d1")
    assert UpdateFeedbackRequest(chat_id="c1", data_id="d1") == UpdateFeedbackRequest.clear("c1", "d1")
    with pytest.raises(ValueError, match="user_good_feedback"):
        UpdateFeedbackRequest(chat_id="c1", data_id="d1", user_good_feedback="")


async def test_get_feedback_record_ids(io_mode: str) -> None:
    wire = Wire(lambda request: httpx.Response(200, json=envelope({"total": 2, "dataIds": ["d1", "d3"]})))
    service = make_client(wire).chat_history
    request = GetFeedbackRecordIdsRequest(chat_id="c1", feedback_type="bad", unread_only=True)
    get, aget = service.get_feedback_record_ids, service.aget_feedback_record_ids
    found = await run(io_mode, lambda: get(request), lambda: aget(request))
    sent, path = wire.last, "/api/core/chat/feedback/getFeedbackRecordIds"
    assert (sent.method, sent.url.path, query_of(sent)) == ("POST", path, {})
    assert body_of(sent) == {"appId": APP_ID, "chatId": "c1", "feedbackType": "bad", "unreadOnly": True}
    assert (found.total, found.data_ids) == (2, ["d1", "d3"])


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
    async with FakeFastGPT(version="4.14.3").client() as old:  # before getFeedbackRecordIds
        request, service = GetFeedbackRecordIdsRequest(chat_id="c1"), old.chat_history
        with pytest.raises(NotFoundError):
            await run(
                io_mode,
                lambda: service.get_feedback_record_ids(request),
                lambda: service.aget_feedback_record_ids(request),
            )


async def test_create_question_guide(io_mode: str) -> None:
    wire = serve("question_guide.json")
    service = make_client(wire).chat_history
    request = CreateQuestionGuideRequest(
        chat_id="kzYq3Xw1N2b8pQm4RtUv5aBc",
        question_guide=QuestionGuideConfig(model="gpt-4o-mini", custom_prompt="用中文"),
    )

    guide = await run(
        io_mode,
        lambda: service.create_question_guide(request),
        lambda: service.acreate_question_guide(request),
    )

    sent = wire.last
    assert (sent.method, sent.url.path, query_of(sent)) == (
        "POST",
        "/api/core/ai/agent/v2/createQuestionGuide",
        {},
    )
    assert body_of(sent) == {
        "appId": APP_ID,
        "chatId": "kzYq3Xw1N2b8pQm4RtUv5aBc",
        "questionGuide": {"open": True, "model": "gpt-4o-mini", "customPrompt": "用中文"},
    }
    assert guide.list == ["你对AI有什么看法？", "想了解AI的应用吗？", "你希望AI能做什么？"]


async def test_request_option_reaches_the_wire(io_mode: str) -> None:
    wire = serve("update_history_ok.json")
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
