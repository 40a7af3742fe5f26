"""FakeFastGPT: the wire it speaks, the state it keeps, and both ways of plugging it in."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from conftest import sleep_hooks

from fastgpt_oapi import (
    AuthenticationError,
    Client,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    StreamError,
)
from fastgpt_oapi.api.app_logs.model import GetChartDataRequest, GetTotalDataRequest, ListLogsRequest
from fastgpt_oapi.api.chat.model import (
    AnswerEvent,
    ChatCompletionRequest,
    ChatMessage,
    DoneEvent,
    FlowNodeStatusEvent,
    FlowResponsesEvent,
    InteractiveEvent,
    ToolCallEvent,
    ToolParamsEvent,
    ToolResponseEvent,
    UserInputInteractive,
    UserSelectInteractive,
)
from fastgpt_oapi.api.chat_history.model import (
    ClearHistoriesRequest,
    CreateQuestionGuideRequest,
    DeleteHistoryRequest,
    DeleteRecordRequest,
    GetChatInitRequest,
    GetRecordDetailRequest,
    ListHistoriesRequest,
    ListRecordsRequest,
    UpdateFeedbackRequest,
    UpdateHistoryRequest,
)
from fastgpt_oapi.testing import FakeFastGPT, FakeResponse, RunContext, Turn, answer_chunk, node

COMPLETIONS = "/api/v2/chat/completions"


def ask(text: str, **fields: Any) -> ChatCompletionRequest:
    return ChatCompletionRequest(messages=[ChatMessage.user(text)], **fields)


def test_a_chat_shows_up_in_histories_and_records_with_the_ids_the_client_sent() -> None:
    fake = FakeFastGPT()
    with fake.client() as client:
        response = client.chat.chat(ask("你好", chat_id="c-1", response_chat_item_id="d-1"))
        assert response.answer == "You said: 你好"
        assert (response.chat_id, response.data_id) == ("c-1", "d-1")

        histories = client.chat_history.list_histories(ListHistoriesRequest())
        assert histories.total == 1
        assert [h.chat_id for h in histories.list] == ["c-1"]
        assert histories.list[0].title == "你好"

        records = client.chat_history.list_records(ListRecordsRequest(chat_id="c-1"))
        assert [(r.obj, r.text) for r in records.list] == [("Human", "你好"), ("AI", "You said: 你好")]
        assert records.list[1].data_id == "d-1"

        nodes = client.chat_history.get_record_detail(GetRecordDetailRequest(chat_id="c-1", data_id="d-1"))
        assert [n.module_type for n in nodes.list] == ["workflowStart", "chatNode"]
        assert nodes.list[1].query == "你好"


def test_the_request_body_is_what_the_sdk_sent() -> None:
    fake = FakeFastGPT()
    with fake.client() as client:
        client.chat.chat(ask("hi", chat_id="c-9", variables={"uid": "u1"}, detail=True))
    sent = fake.requests[-1]
    assert sent.method == "POST"
    assert sent.path == COMPLETIONS
    assert sent.body["chatId"] == "c-9"
    assert sent.body["variables"] == {"uid": "u1"}
    assert sent.body["stream"] is False
    assert sent.body["appId"] == fake.app_id
    assert len(sent.body["responseChatItemId"]) == 24


async def test_async_stream_of_the_workflow_app_has_status_tool_and_flow_events() -> None:
    fake = FakeFastGPT()
    async with fake.client(completions_version="v1") as client:  # v1: one flowResponses at the end
        events = [
            e async for e in client.chat.achat_stream(ask("北京", app_id=fake.apps["workflow"], detail=True))
        ]
    kinds = [type(e) for e in events]
    assert kinds[:3] == [FlowNodeStatusEvent, FlowNodeStatusEvent, ToolCallEvent]
    assert ToolParamsEvent in kinds
    assert ToolResponseEvent in kinds
    assert kinds[-2:] == [FlowResponsesEvent, DoneEvent]
    params = "".join(e.data.tool.params for e in events if isinstance(e, ToolParamsEvent))
    assert json.loads(params) == {"city": "北京"}
    flow = next(e for e in events if isinstance(e, FlowResponsesEvent))
    assert flow.data[1].quote_list is not None
    scores = flow.data[1].quote_list[0].score
    assert isinstance(scores, list)
    assert [(q.type, q.value, q.index) for q in scores] == [("embedding", 0.8935, 0), ("reRank", 0.9712, 0)]
    assert flow.data[2].children[0].tool_res == {"temp": 26, "weather": "cloudy"}


def test_detail_false_stream_is_plain_data_lines() -> None:
    fake = FakeFastGPT()
    with fake.client() as client, client.chat.chat_stream(ask("abc", app_id=fake.apps["workflow"])) as stream:
        events = list(stream)
    assert all(isinstance(e, (AnswerEvent, DoneEvent)) for e in events)
    assert "".join(e.text for e in events if isinstance(e, AnswerEvent)) == "Cloudy in abc today, 26℃."


def test_reasoning_app_streams_reasoning_without_content() -> None:
    fake = FakeFastGPT()
    with fake.client() as client:
        result = client.chat.chat_stream(ask("why", app_id=fake.apps["reasoning"])).get_final_response()
        blocking = client.chat.chat(ask("why", app_id=fake.apps["reasoning"]))
    assert result.reasoning == 'The user asked "why"; let me think first.'
    assert result.answer == 'About "why": this is the considered answer.'
    assert blocking.reasoning == result.reasoning
    assert blocking.answer == result.answer


def test_user_select_continues_on_the_same_chat(io_mode: str) -> None:
    fake = FakeFastGPT()
    app = fake.apps["select"]

    def sync_run() -> tuple[str, str]:
        with fake.client() as client:
            first = client.chat.chat_stream(ask("下单", app_id=app, detail=True)).get_final_response()
            assert isinstance(first.interactive, UserSelectInteractive)
            reply = first.interactive.reply("Confirm")
            second = client.chat.chat(
                ChatCompletionRequest(messages=[reply], chat_id=first.chat_id, app_id=app)
            )
            return first.chat_id, second.answer

    async def async_run() -> tuple[str, str]:
        async with fake.client() as client:
            interactive = None
            stream = client.chat.achat_stream(ask("下单", app_id=app, detail=True))
            async for event in stream:
                if isinstance(event, InteractiveEvent):
                    interactive = event.data
            assert isinstance(interactive, UserSelectInteractive)
            second = await client.chat.achat(
                ChatCompletionRequest(
                    messages=[interactive.reply("Cancel")], chat_id=stream.chat_id, app_id=app
                )
            )
            return stream.chat_id, second.answer

    chat_id, answer = sync_run() if io_mode == "sync" else asyncio.run(async_run())
    assert answer == ("Order submitted." if io_mode == "sync" else "Cancelled.")
    with fake.client() as client:
        records = client.chat_history.list_records(ListRecordsRequest(chat_id=chat_id, app_id=app))
    assert [r.obj for r in records.list] == ["Human", "AI", "Human", "AI"]
    assert records.list[1].interactive is not None


def test_user_input_form_continues_with_json_values() -> None:
    fake = FakeFastGPT()
    app = fake.apps["form"]
    with fake.client() as client:
        first = client.chat.chat(ask("下单", app_id=app, detail=True))
        form = first.interactive
        assert isinstance(form, UserInputInteractive)
        assert [f.key for f in form.params.input_form] == ["Recipient", "Quantity", "Delivery"]
        with pytest.raises(ValueError, match="Quantity"):
            form.reply({"Recipient": "张三"})
        second = client.chat.chat(
            ChatCompletionRequest(
                messages=[form.reply({"Recipient": "张三", "Quantity": 2})], chat_id=first.chat_id, app_id=app
            )
        )
    assert second.answer == "Ordered 2 for 张三."
    assert json.loads(fake.requests[-1].body["messages"][0]["content"]) == {
        "Recipient": "张三",
        "Quantity": 2,
    }


def test_error_app_stream_raises_after_the_first_events_and_blocking_is_a_500() -> None:
    fake = FakeFastGPT()
    seen: list[str] = []
    with fake.client() as client:
        stream = client.chat.chat_stream(ask("hi", app_id=fake.apps["error"], detail=True))
        with pytest.raises(StreamError) as info:
            seen.extend(event.event for event in stream)
        assert info.value.message == "Network connection error"
        assert seen == ["flowNodeStatus", "answer"]
        with pytest.raises(InternalServerError, match="Network connection error"):
            client.chat.chat(ask("hi", app_id=fake.apps["error"]))


def test_bad_key_and_bad_app_id_are_refused_in_fastgpt_envelopes() -> None:
    fake = FakeFastGPT()
    with fake.client(api_key="fastgpt-wrong") as client:
        with pytest.raises(AuthenticationError) as blocking:
            client.chat.chat(ask("hi"))
        assert (blocking.value.code, blocking.value.status_text) == (514, "unAuthApiKey")
        with pytest.raises(AuthenticationError) as streamed:
            client.chat.chat_stream(ask("hi")).until_done()
        assert streamed.value.http_status == 200  # refused before the SSE headers
        with pytest.raises(AuthenticationError):
            client.chat_history.list_histories(ListHistoriesRequest())
    with fake.client() as client:
        with pytest.raises(NotFoundError) as missing:
            client.chat.chat(ask("hi", app_id="0123456789abcdef01234567"))
        assert missing.value.status_text == "appUnExist"


def test_the_app_id_suffix_form_of_the_key_is_accepted() -> None:
    fake = FakeFastGPT()
    with fake.client(api_key=f"{fake.api_key}-{fake.app_id}") as client:
        assert client.chat.chat(ask("ok")).answer == "You said: ok"


def test_feedback_rename_pin_and_deletes_change_later_answers() -> None:
    fake = FakeFastGPT()
    with fake.client() as client:
        client.chat.chat(ask("first", chat_id="a", response_chat_item_id="a1"))
        client.chat.chat(ask("second", chat_id="b", response_chat_item_id="b1"))
        client.chat.chat(ask("more", chat_id="a", response_chat_item_id="a2"))

        client.chat_history.update_feedback(UpdateFeedbackRequest.like("a", "a1"))
        client.chat_history.update_feedback(UpdateFeedbackRequest.dislike("a", "a2", "wrong"))
        records = client.chat_history.list_records(ListRecordsRequest(chat_id="a")).list
        ai = {r.data_id: r for r in records if r.obj == "AI"}
        assert (ai["a1"].user_good_feedback, ai["a1"].user_bad_feedback) == ("yes", None)
        assert (ai["a2"].user_good_feedback, ai["a2"].user_bad_feedback) == (None, "wrong")
        client.chat_history.update_feedback(
            UpdateFeedbackRequest.like("a", "a2")
        )  # a like clears the dislike
        ai2 = next(
            r
            for r in client.chat_history.list_records(ListRecordsRequest(chat_id="a")).list
            if r.data_id == "a2"
        )
        assert (ai2.user_good_feedback, ai2.user_bad_feedback) == ("yes", None)

        client.chat_history.update_history(
            UpdateHistoryRequest(chat_id="b", custom_title="Renamed", top=True)
        )
        listed = client.chat_history.list_histories(ListHistoriesRequest()).list
        assert [(h.chat_id, h.custom_title, h.top) for h in listed] == [
            ("b", "Renamed", True),
            ("a", "", False),
        ]
        assert client.chat_history.get_chat_init(GetChatInitRequest(chat_id="b")).title == "Renamed"

        client.chat_history.delete_record(DeleteRecordRequest(chat_id="a", data_id="a2"))
        assert "a2" not in [
            r.data_id for r in client.chat_history.list_records(ListRecordsRequest(chat_id="a")).list
        ]

        client.chat_history.delete_history(DeleteHistoryRequest(chat_id="b"))
        assert [h.chat_id for h in client.chat_history.list_histories(ListHistoriesRequest()).list] == ["a"]
        client.chat_history.clear_histories(ClearHistoriesRequest())
        assert client.chat_history.list_histories(ListHistoriesRequest()).total == 0


def test_paging_walks_every_history_once() -> None:
    fake = FakeFastGPT()
    with fake.client() as client:
        for i in range(23):
            client.chat.chat(ask(f"q{i}", chat_id=f"c{i:02d}"))
        seen = [h.chat_id for h in client.chat_history.iter_histories(ListHistoriesRequest(page_size=5))]
    assert sorted(seen) == [f"c{i:02d}" for i in range(23)]
    assert fake.count("/api/core/chat/history/getHistories") == 5


def test_legacy_server_makes_delete_record_fall_back_once() -> None:
    fake = FakeFastGPT(legacy_record_delete=True)
    with fake.client() as client:
        client.chat.chat(ask("x", chat_id="c", response_chat_item_id="d1"))
        client.chat.chat(ask("y", chat_id="c", response_chat_item_id="d2"))
        client.chat_history.delete_record(DeleteRecordRequest(chat_id="c", data_id="d1"))
        client.chat_history.delete_record(DeleteRecordRequest(chat_id="c", data_id="d2"))
        assert client.chat_history.list_records(ListRecordsRequest(chat_id="c")).total == 2  # the humans
    assert fake.count("/api/core/chat/record/delete") == 1
    assert fake.count("/api/core/chat/item/delete") == 2


def test_question_guide_totals_chart_and_logs_follow_the_chats() -> None:
    now = datetime.now(timezone.utc)
    fake = FakeFastGPT()
    with fake.client() as client:
        client.chat.chat(ask("天气", chat_id="a", custom_uid="u1", response_chat_item_id="a1"))
        client.chat.chat(ask("天气", chat_id="b", custom_uid="u2", response_chat_item_id="b1"))
        client.chat_history.update_feedback(UpdateFeedbackRequest.like("a", "a1"))
        guide = client.chat_history.create_question_guide(CreateQuestionGuideRequest(chat_id="a"))
        assert len(guide.list) == 3
        assert all("天气" in q for q in guide.list)

        totals = client.app_logs.get_total_data(GetTotalDataRequest())
        assert (totals.total_users, totals.total_chats) == (2, 2)
        assert totals.total_points == pytest.approx(2 * 0.0042)

        start, end = now - timedelta(days=1), now + timedelta(days=1)
        chart = client.app_logs.get_chart_data(GetChartDataRequest(date_start=start, date_end=end))
        assert chart.user_data[0].summary.user_count == 2
        assert chart.chat_data[0].summary.chat_count == 2
        assert chart.chat_data[0].summary.chat_item_count == 4
        assert chart.app_data[0].summary.good_feed_back_count == 1

        logs = client.app_logs.list_logs(ListLogsRequest(date_start=start, date_end=end))
        assert logs.total == 2
        assert {item.chat_id for item in logs.list} == {"a", "b"}
        assert next(i for i in logs.list if i.chat_id == "a").user_good_feedback_count == 1
        earlier = ListLogsRequest(date_start=now - timedelta(days=3), date_end=now - timedelta(days=2))
        assert client.app_logs.list_logs(earlier).total == 0


def test_a_registered_app_answers_with_its_own_turn() -> None:
    def shout(ctx: RunContext) -> Turn:
        return Turn(
            events=[("fastAnswer", answer_chunk(ctx.question.upper()))],
            nodes=[node("n1", "Shout", "answerNode", "r1", runningTime=0.01)],
            variables={"shouted": True},
        )

    fake = FakeFastGPT()
    app_id = "aaaaaaaaaaaaaaaaaaaaaaaa"
    fake.register_app(app_id, shout, name="shout")
    with fake.client() as client:
        result = client.chat.chat_stream(
            ask("hey", app_id=fake.apps["shout"], detail=True)
        ).get_final_response()
    assert result.answer == "HEY"
    assert result.new_variables is None  # no updateVariables event: the app did not emit one
    assert result.response_data[0].module_name == "Shout"
    with pytest.raises(ValueError, match="24 hexadecimal"):
        fake.register_app("nope", shout)


def test_scripted_failures_are_served_then_normal_service_resumes() -> None:
    fake = FakeFastGPT()
    fake.fail_next(503, "upstream busy", path=COMPLETIONS)
    fake.fail_next(
        429, {"code": 429, "statusText": "error", "message": "Rate limit exceeded.", "data": None}, times=3
    )
    builder = Client.builder().base_url("http://fastgpt.fake").api_key(fake.api_key).app_id(fake.app_id)
    with builder.transport(fake.transport()).build(_hooks=sleep_hooks()) as client:
        with pytest.raises(RateLimitError):  # 503 retried, then three 429s exhaust max_retries=2
            client.chat.chat(ask("x"))
        assert fake.count(COMPLETIONS) == 3
        assert client.chat.chat(ask("y")).answer == "You said: y"
    assert fake.count(COMPLETIONS) == 5


def test_a_scripted_failure_can_let_some_requests_through_first() -> None:
    fake = FakeFastGPT()
    fake.fail_next(500, "third time unlucky", path=COMPLETIONS, after=2)
    with fake.client(max_retries=0) as client:
        assert (
            client.chat_history.list_histories(ListHistoriesRequest()).total == 0
        )  # another path: not counted
        assert client.chat.chat(ask("1")).answer == "You said: 1"
        assert client.chat.chat(ask("2")).answer == "You said: 2"
        with pytest.raises(InternalServerError, match="third time unlucky"):
            client.chat.chat(ask("3"))
        assert client.chat.chat(ask("4")).answer == "You said: 4"
    with pytest.raises(ValueError, match="negative"):
        fake.fail_next(500, after=-1)


def test_unknown_path_is_404_and_bad_paging_is_a_validation_error() -> None:
    fake = FakeFastGPT()
    response = fake.handle("GET", "/api/nope", {}, {"authorization": f"Bearer {fake.api_key}"}, b"")
    assert response.status == 404
    bad = fake.handle(
        "POST",
        "/api/core/chat/history/getHistories",
        {},
        {"authorization": f"Bearer {fake.api_key}"},
        json.dumps({"appId": fake.app_id, "pageSize": 0}).encode(),
    )
    assert bad.status == 400
    assert json.loads(bad.body)["message"] == "Data validation error"
    with fake.client() as client, pytest.raises(NotFoundError, match=r"^Application Does Not Exist"):
        client.chat_history.list_histories(ListHistoriesRequest(app_id="abcdefabcdefabcdefabcdef"))


def test_stream_wire_bytes_write_event_and_data_lines_separately() -> None:
    fake = FakeFastGPT()

    def stream(path: str) -> FakeResponse:
        return fake.handle(
            "POST",
            path,
            {},
            {"authorization": f"Bearer {fake.api_key}"},
            json.dumps(
                {"messages": [{"role": "user", "content": "hi"}], "stream": True, "detail": True}
            ).encode(),
        )

    for response in (stream("/api/v1/chat/completions"), stream(COMPLETIONS)):
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.chunks[0] == b"event: flowNodeStatus\n"
        assert response.chunks[1].startswith(b"data: {")
        assert response.chunks[-2:] == [b"event: answer\n", b"data: [DONE]\n\n"]
    v1, v2 = (r.body.decode() for r in (stream("/api/v1/chat/completions"), stream(COMPLETIONS)))
    assert v1.index("event: flowResponses") < v1.index("data: [DONE]")  # >= 4.14.11 order
    assert "event: flowNodeResponse" not in v1
    # v2: one flat flowNodeResponse per node, before the end, and no flowResponses (wire-spec 3.6)
    assert "event: flowResponses" not in v2
    assert 0 < v2.index("event: flowNodeResponse") < v2.index("data: [DONE]")


# ---- real sockets ------------------------------------------------------------------------------


@pytest.mark.system  # the emulator on loopback HTTP
def test_serve_speaks_http_over_loopback_sync_and_async() -> None:
    fake = FakeFastGPT()
    with fake.serve() as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        with Client.builder().base_url(base_url).api_key(fake.api_key).app_id(fake.app_id).build() as client:
            assert client.chat.chat(ask("loop", chat_id="L")).answer == "You said: loop"
            result = client.chat.chat_stream(
                ask("上海", app_id=fake.apps["workflow"], detail=True)
            ).get_final_response()
            assert result.tool_calls[0].params == '{"city":"上海"}'
            assert client.chat_history.list_histories(ListHistoriesRequest()).list[0].chat_id == "L"

        async def run() -> str:
            async with (
                Client.builder()
                .base_url(base_url)
                .api_key(fake.api_key)
                .app_id(fake.app_id)
                .build() as client
            ):
                texts = [t async for t in client.chat.achat_stream(ask("异步")).text_stream]
                return "".join(texts)

        assert asyncio.run(run()) == "You said: 异步"


@pytest.mark.system  # the emulator on loopback HTTP
def test_serve_streams_chunk_by_chunk() -> None:
    """With a delay between chunks, the first event arrives long before the body ends."""
    fake = FakeFastGPT()
    with (
        fake.serve(chunk_delay=0.02) as base_url,
        Client.builder().base_url(base_url).api_key(fake.api_key).app_id(fake.app_id).build() as client,
    ):
        started = time.perf_counter()
        stream = client.chat.chat_stream(ask("a fairly long question to answer", detail=True))
        arrivals = [time.perf_counter() - started for _ in stream]
    assert len(arrivals) > 5
    assert arrivals[-1] - arrivals[0] > 0.1


@pytest.mark.system  # the emulator on loopback HTTP
def test_serve_stops_cleanly_and_frees_the_port() -> None:
    fake = FakeFastGPT()
    with fake.serve() as base_url:
        pass
    with pytest.raises(httpx.ConnectError):
        httpx.get(base_url + "/api/core/chat/init", timeout=1)
    assert not [t for t in threading.enumerate() if t.name == "FakeFastGPT"]
