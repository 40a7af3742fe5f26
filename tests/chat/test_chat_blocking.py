"""Blocking completions (`chat` / `achat`): every completion_*.json transcript read field by field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import fixture_bytes, fixture_json

from fastgpt_oapi import APIResponseValidationError, AuthenticationError, InternalServerError
from fastgpt_oapi.api.chat.model import (
    AgentAskInteractive,
    ChatCompletionRequest,
    ChatCompletionResponse,
    ChatMessage,
    PaymentPauseInteractive,
    QuoteScore,
    UnknownInteractive,
    UserInputInteractive,
    UserSelectInteractive,
)
from fastgpt_oapi.api.shared.model import (
    AgentAskValue,
    AgentPlanUpdateValue,
    InteractiveValue,
    PlanValue,
    ReasoningValue,
    TextValue,
    ToolsValue,
)

from ._support import CHUNKINGS, LINE_ENDINGS, Reply, Script, question

JSON_HEADERS = {"content-type": "application/json; charset=utf-8"}
ID24 = re.compile(r"^[A-Za-z0-9]{24}$")

# The body arrives in pieces too (the SDK must read all of it), with CR or CRLF as JSON whitespace;
# io_mode runs each way through both shells.
FED_EVERY_WAY = pytest.mark.parametrize(
    ("chunking", "ending"),
    [
        (chunking, ending)
        for chunking in ("whole", "bytewise", "inside_utf8", "random7")
        for ending in sorted(LINE_ENDINGS)
    ],
)


def json_script(name: str, chunking: str, ending: str) -> Script:
    body = LINE_ENDINGS[ending](fixture_bytes(name))
    return Script(Reply(CHUNKINGS[chunking](body), headers=JSON_HEADERS))


async def complete(
    script: Script, mode: str, request: ChatCompletionRequest | None = None
) -> ChatCompletionResponse:
    client = script.client()
    request = request or question()
    if mode == "sync":
        return client.chat.chat(request)
    return await client.chat.achat(request)


def sent(script: Script) -> dict[str, Any]:
    assert len(script.requests) == 1
    body: dict[str, Any] = json.loads(script.requests[0].content)
    return body


def check_common(response: ChatCompletionResponse, script: Script, fixture: str) -> None:
    raw = fixture_json(fixture)
    body = sent(script)
    assert body["stream"] is False
    assert response.id == raw["id"] == response.chat_id
    assert response.data_id is not None
    assert response.data_id == body["responseChatItemId"]
    assert ID24.match(response.data_id)
    assert response.model == ""
    assert response.usage is not None
    assert (response.usage.prompt_tokens, response.usage.completion_tokens, response.usage.total_tokens) == (
        1,
        1,
        1,
    )
    assert len(response.choices) == 1
    assert (response.choices[0].finish_reason, response.choices[0].index) == ("stop", 0)
    assert response.choices[0].message.role == "assistant"


@FED_EVERY_WAY
async def test_blocking_plain(io_mode: str, chunking: str, ending: str) -> None:
    script = json_script("completion_blocking.json", chunking, ending)
    response = await complete(script, io_mode)
    check_common(response, script, "completion_blocking.json")
    assert response.answer == "电影《铃芽之旅》的导演是新海诚。"
    assert response.reasoning is None
    assert response.response_data == []
    assert (response.new_variables, response.title, response.error, response.interactive) == (
        None,
        None,
        None,
        None,
    )


@FED_EVERY_WAY
async def test_blocking_reasoning(io_mode: str, chunking: str, ending: str) -> None:
    script = json_script("completion_blocking_reasoning.json", chunking, ending)
    response = await complete(script, io_mode)
    check_common(response, script, "completion_blocking_reasoning.json")
    assert response.answer == "新海诚。"
    assert response.reasoning == "用户问的是《铃芽之旅》的导演，知识库里有答案。"


@FED_EVERY_WAY
async def test_blocking_detail(io_mode: str, chunking: str, ending: str) -> None:
    script = json_script("completion_blocking_detail.json", chunking, ending)
    response = await complete(script, io_mode, question(detail=True))
    check_common(response, script, "completion_blocking_detail.json")
    assert sent(script)["detail"] is True
    assert response.answer == "电影《铃芽之旅》的导演是新海诚。"
    assert response.title == "铃芽之旅导演"
    assert response.new_variables == {"uid": "asdfadsfasfd2323", "name": "张三"}
    assert response.error is None
    assert [(n.id, n.node_id, n.module_type, n.running_time) for n in response.response_data] == [
        ("iSol79OFrBH1I9kC", "448745", "workflowStart", 0),
        ("p2HcT7vLq9WmXa3B", "datasetSearch01", "datasetSearchNode", 0.52),
        ("t1T94WCy6Su3BK4V", "chatNode01", "chatNode", 1.46),
    ]
    start, search, chat = response.response_data
    assert start.module_name == "common:core.module.template.work_start"
    assert (search.total_points, search.embedding_tokens, search.similarity, search.limit) == (
        0.0021,
        6,
        0.4,
        3000,
    )
    assert (search.search_using_re_rank, search.rerank_model, search.re_rank_input_tokens) == (
        True,
        "bge-reranker-v2-m3",
        120,
    )
    quote = (search.quote_list or [])[0]
    assert (quote.id, quote.dataset_id, quote.collection_id, quote.source_id) == (
        "654f2e49b64caef1d9431e8b",
        "646627f4f7b896cfd8910e38",
        "653279b16cd42ab509e766e8",
        "64fd3b6423aa1307b65896f6",
    )
    assert (quote.source_name, quote.chunk_index, quote.update_time) == (
        "faq.csv",
        3,
        "2026-07-01T08:12:44.120Z",
    )
    assert (quote.q, quote.a) == ("电影《铃芽之旅》的导演是谁？", "电影《铃芽之旅》的导演是新海诚。")
    assert isinstance(quote.score, list)
    assert [(s.type, s.value, s.index) for s in quote.score if isinstance(s, QuoteScore)] == [
        ("embedding", 0.8935, 0),
        ("reRank", 0.9712, 0),
    ]
    assert (chat.model, chat.tokens, chat.input_tokens, chat.output_tokens) == ("gpt-4o-mini", 64, 10, 54)
    assert (chat.temperature, chat.max_token, chat.reasoning_text, chat.finish_reason) == (
        0,
        4000,
        "",
        "stop",
    )
    assert [(h.obj, h.value) for h in chat.history_preview or []] == [
        ("Human", "导演是谁"),
        ("AI", "电影《铃芽之旅》的导演是新海诚。"),
    ]
    assert chat.context_total_len == 2
    # Nothing the server said was dropped on the way into the models.
    raw = fixture_json("completion_blocking_detail.json")
    assert [
        n.model_dump(mode="json", by_alias=True, exclude_unset=True) for n in response.response_data
    ] == raw["responseData"]


@FED_EVERY_WAY
async def test_blocking_interactive_from_a_content_array(io_mode: str, chunking: str, ending: str) -> None:
    script = json_script("completion_blocking_interactive.json", chunking, ending)
    response = await complete(script, io_mode, question(detail=True))
    check_common(response, script, "completion_blocking_interactive.json")
    message = response.message
    assert message is not None
    assert isinstance(message.content, list)
    assert [item.type for item in message.content] == ["text", "interactive"]  # v1's legacy `type`
    assert response.answer == "好的，已为你生成订单草稿。"
    interactive = response.interactive
    assert isinstance(interactive, UserSelectInteractive)
    assert interactive.params.description == "请确认是否提交订单"
    assert [(o.key, o.value) for o in interactive.params.user_select_options] == [
        ("option1", "Confirm"),
        ("option2", "Cancel"),
    ]
    expected = fixture_json("request_continue_userselect.json")["messages"][0]
    assert interactive.reply("Confirm").model_dump(exclude_none=True) == expected
    assert [n.module_type for n in response.response_data] == ["workflowStart", "chatNode", "userSelect"]
    assert response.new_variables == {"uid": "asdfadsfasfd2323"}


@FED_EVERY_WAY
async def test_blocking_v2_content_array_without_type(io_mode: str, chunking: str, ending: str) -> None:
    script = json_script("completion_blocking_v2_content.json", chunking, ending)
    response = await complete(script, io_mode, question(detail=True))
    check_common(response, script, "completion_blocking_v2_content.json")
    message = response.message
    assert message is not None
    assert isinstance(message.content, list)
    assert [item.type for item in message.content] == [None, None, None, None]
    # Items are told apart by their keys; text items join with a newline as FastGPT joins them.
    assert response.answer == "上海今天多云，\n气温 26℃。"
    assert response.reasoning == "需要先查天气。"
    assert response.interactive is None
    tools = message.content[1]
    assert [(t.id, t.function_name, t.params, t.response) for t in getattr(tools, "tools", [])] == [
        ("call_9f2c", "get_weather", '{"city":"上海"}', '{"temp":26,"weather":"多云"}')
    ]
    assert response.title == "上海天气查询"


@FED_EVERY_WAY
async def test_blocking_agent_turn_with_reasoning_inside_items_and_questions(
    io_mode: str, chunking: str, ending: str
) -> None:
    """An agent's turn (FastGPT >= 4.15): reasoning stored inside the text and tool items it led to
    (`pushStore` in packages/service/core/workflow/dispatch/index.ts and `GPTMessages2Chats` in
    packages/global/core/chat/adapt.ts, f88b51b5), plan / agentPlanUpdate / agentAsk items
    (`AIChatItemValueSchema`, packages/global/core/chat/type.ts), v1's legacy `type` chosen text first
    (`getChatItemValueType`, projects/app/src/service/core/chat/utils.ts, 9601a1a8), and the agent's
    questions reduced to `{type, params}` (`formatPublicCompletionInteractive`, same file)."""
    name = "completion_blocking_agent_ask.json"
    script = json_script("completion_blocking_agent_ask.json", chunking, ending)
    response = await complete(script, io_mode, question(detail=True))
    check_common(response, script, name)
    message = response.message
    assert message is not None
    assert isinstance(message.content, list)
    assert message.reasoning_content is None
    kinds = [type(item) for item in message.content]
    assert kinds == [
        PlanValue,
        AgentPlanUpdateValue,
        ToolsValue,
        TextValue,
        ReasoningValue,
        AgentAskValue,
        InteractiveValue,
    ]
    assert [item.type for item in message.content] == [
        "text",
        "text",
        "tool",
        "text",
        "reasoning",
        "text",
        "interactive",
    ]
    # Every reasoning, in order: inside the tool item, inside the text item, then on its own.
    assert response.reasoning == "需要先读取表格。\n华东最高，先给结论。\n还需确认汇总维度。"
    assert response.answer == "华东区第二季度销售额最高。"
    plan, update, tools, text, thought, ask, _ = message.content
    assert isinstance(plan, PlanValue)
    assert plan.plan is not None
    assert (plan.plan.plan_id, plan.plan.name, plan.plan.description) == (
        "pl4nA1",
        "整理第二季度销售数据",
        "读取表格并按区域汇总",
    )
    assert [(s.id, s.name, s.description, s.status, s.note) for s in plan.plan.steps] == [
        ("s1", "读取销售表", None, "done", "已读取 sales-q2.xlsx"),
        ("s2", "按区域汇总", "汇总各区域销售额", "blocked", "等待用户确认汇总维度"),
    ]
    assert isinstance(update, AgentPlanUpdateValue)
    assert update.id == "call_plan_1"
    assert (update.agent_plan_update.id, update.agent_plan_update.function_name) == (
        "call_plan_1",
        "set_plan",
    )
    assert update.agent_plan_update.response == "计划已创建，共 2 步"
    assert json.loads(update.agent_plan_update.params)["name"] == "整理第二季度销售数据"
    assert isinstance(tools, ToolsValue)
    assert (tools.id, tools.reasoning is not None and tools.reasoning.content) == (
        "call_read_1",
        "需要先读取表格。",
    )
    assert [(t.id, t.function_name, t.params) for t in tools.tools] == [
        ("call_read_1", "read_file", '{"file":"sales-q2.xlsx"}')
    ]
    assert isinstance(text, TextValue)
    assert text.text.content == "华东区第二季度销售额最高。"
    assert text.reasoning is not None
    assert text.reasoning.content == "华东最高，先给结论。"
    assert isinstance(thought, ReasoningValue)
    assert (thought.reasoning.content, thought.hide_reason) == ("还需确认汇总维度。", None)
    assert isinstance(ask, AgentAskValue)
    call = ask.agent_ask
    assert (ask.id, call.id, call.ask_id, call.function_name) == (
        "call_ask_1",
        "call_ask_1",
        "call_ask_1",
        "ask_user",
    )
    assert [q["question"] for q in json.loads(call.params)["questions"]] == [
        "按什么维度汇总？",
        "需要图表吗？",
    ]

    interactive = response.interactive
    assert isinstance(interactive, AgentAskInteractive)
    assert (interactive.type, interactive.ask_id, interactive.response_mode) == ("agentAsk", None, None)
    assert interactive.params.description == "需要确认汇总方式"
    assert interactive.params.submitted is None
    assert [
        (q.question, q.answer, [(o.summary, o.value) for o in q.options]) for q in interactive.questions
    ] == [
        ("按什么维度汇总？", "", [("按区域", "region"), ("按月份", "month")]),
        ("需要图表吗？", "", [("需要", "yes"), ("不需要", "no")]),
    ]
    # The answer FastGPT's web UI sends: `{"answers": [...]}`, one per question, "" for a skipped one.
    assert interactive.reply("region", "yes").content == '{"answers":["region","yes"]}'
    assert interactive.reply("region").content == '{"answers":["region",""]}'
    assert interactive.reply("按季度，不要图").content == '{"answers":["按季度，不要图",""]}'
    assert interactive.reply().model_dump(exclude_none=True) == {
        "role": "user",
        "content": '{"answers":["",""]}',
    }
    (node,) = response.response_data
    assert (node.agent_plan_status, node.agent_plan_result) == ("set_plan", "计划已创建，共 2 步")
    assert node.node_inputs == {"userChatInput": "帮我整理第二季度的销售数据"}
    assert response.title == "第二季度销售数据"


def test_agent_ask_reply_refuses_what_fastgpt_would_not_read() -> None:
    ask = AgentAskInteractive.model_validate(
        {"type": "agentAsk", "askId": "a1", "params": {"questions": [{"question": "哪天？", "options": []}]}}
    )
    with pytest.raises(ValueError, match="2 answers for 1 question"):
        ask.reply("today", "tomorrow")
    with pytest.raises(TypeError, match=r"reply\(\*answers\)"):
        ask.reply(["today"])  # type: ignore[arg-type]


@FED_EVERY_WAY
async def test_blocking_payment_pause(io_mode: str, chunking: str, ending: str) -> None:
    """The team ran out of AI points: `checkTeamBlance` in packages/service/core/workflow/dispatch/index.ts
    (f88b51b5) pauses with `{type: "paymentPause", params: {description}}` (`PaymentPauseInteractiveSchema`,
    .../interactive/type.ts); a single item carrying an interaction is sent as a list."""
    name = "completion_blocking_payment_pause.json"
    script = json_script("completion_blocking_payment_pause.json", chunking, ending)
    response = await complete(script, io_mode, question(detail=True))
    check_common(response, script, name)
    assert (response.answer, response.reasoning) == ("", None)
    interactive = response.interactive
    assert isinstance(interactive, PaymentPauseInteractive)
    assert interactive.type == "paymentPause"
    assert (interactive.params.description, interactive.params.continue_) == (
        "chat:balance_not_enough_pause",
        None,
    )
    assert interactive.model_extra == {}
    # What FastGPT's continue button sends (RenderPaymentPauseInteractive.tsx, 82852fad).
    assert interactive.reply().model_dump(exclude_none=True) == {"role": "user", "content": "Continue"}
    stored = PaymentPauseInteractive.model_validate({"type": "paymentPause", "params": {"continue": True}})
    assert stored.params.continue_ is True
    assert stored.model_dump(exclude_none=True, by_alias=True) == {
        "type": "paymentPause",
        "params": {"continue": True},
    }
    assert stored.model_dump(exclude_none=True) == {"type": "paymentPause", "params": {"continue_": True}}


@FED_EVERY_WAY
async def test_blocking_node_error_is_a_result_not_an_exception(
    io_mode: str, chunking: str, ending: str
) -> None:
    script = json_script("completion_blocking_node_error.json", chunking, ending)
    response = await complete(script, io_mode, question(detail=True))
    check_common(response, script, "completion_blocking_node_error.json")
    assert response.error == {"message": "timeout of 10000ms exceeded"}
    assert response.answer == ""
    failed = response.response_data[1]
    assert (failed.module_type, failed.error_text) == ("httpRequest468", "timeout of 10000ms exceeded")
    assert failed.error == {"message": "timeout of 10000ms exceeded"}
    assert failed.http_result == {"error": "timeout of 10000ms exceeded"}
    assert response.new_variables == {}


async def test_blocking_ids_given_are_used_and_echoed(io_mode: str) -> None:
    script = Script(Reply([fixture_bytes("completion_blocking.json")], headers=JSON_HEADERS))
    request = question(chat_id="kzYq3Xw1N2b8pQm4RtUv5aBc", response_chat_item_id="my-data-id")
    response = await complete(script, io_mode, request)
    body = sent(script)
    assert (body["chatId"], body["responseChatItemId"]) == ("kzYq3Xw1N2b8pQm4RtUv5aBc", "my-data-id")
    assert (response.chat_id, response.data_id) == ("kzYq3Xw1N2b8pQm4RtUv5aBc", "my-data-id")


async def test_blocking_without_id_in_the_answer_falls_back_to_the_sent_chat_id(io_mode: str) -> None:
    raw = fixture_json("completion_blocking.json")
    del raw["id"]
    script = Script(Reply([json.dumps(raw).encode()], headers=JSON_HEADERS))
    response = await complete(script, io_mode)
    assert response.chat_id == sent(script)["chatId"]


async def test_blocking_error_envelopes(io_mode: str) -> None:
    script = Script(
        Reply([fixture_bytes("error_envelope_plain_v4_11.json")], status=500, headers=JSON_HEADERS)
    )
    with pytest.raises(AuthenticationError) as info:
        await complete(script, io_mode)
    assert info.value.http_status == 500
    # A 500 is not retried for a completion: the workflow may have run.
    assert len(script.requests) == 1
    script = Script(Reply([b'{"code":500,"statusText":"","message":"boom","data":null}'], status=500))
    with pytest.raises(InternalServerError):
        await complete(script, io_mode)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        # an error envelope with HTTP 200 also validates as a response (every field has a default)
        (b'{"code":500,"statusText":"","message":"boom","data":null}', InternalServerError),
        (b'{"code":403,"statusText":"unAuthApiKey","message":"no key"}', AuthenticationError),
        (b"<html>gateway</html>", APIResponseValidationError),
        (b"[1, 2]", APIResponseValidationError),
        (b'{"choices": "none"}', APIResponseValidationError),
        (b"", APIResponseValidationError),
    ],
)
async def test_blocking_200_that_is_not_an_answer(io_mode: str, body: bytes, error: type[Exception]) -> None:
    script = Script(Reply([body], headers=JSON_HEADERS))
    with pytest.raises(error):
        await complete(script, io_mode)
    assert len(script.requests) == 1


async def test_blocking_keeps_a_code_field_that_reports_success(io_mode: str) -> None:
    raw = fixture_json("completion_blocking.json")
    raw["code"] = 200  # not an error envelope: the answer is kept, and the unknown field with it
    script = Script(Reply([json.dumps(raw, ensure_ascii=False).encode()], headers=JSON_HEADERS))
    response = await complete(script, io_mode)
    assert response.answer
    assert response.model_extra == {"code": 200}


def test_request_message_helpers() -> None:
    assert ChatMessage.user("hi").model_dump(exclude_none=True) == {"role": "user", "content": "hi"}
    assert ChatMessage.system("s").role == "system"
    assert ChatMessage.assistant("a").role == "assistant"


async def test_blocking_wrapped_interactive_is_unwrapped(io_mode: str) -> None:
    # <= 4.14.x returned the stored value: a wrapper kind around the sub-app's form.
    raw = fixture_json("completion_blocking_interactive.json")
    form = fixture_bytes("stream_interactive_children.sse").decode()
    line = next(x for x in form.split("\n") if x.startswith('data: {"interactive"'))
    wrapper = json.loads(line[len("data: ") :])["interactive"]
    assert wrapper["type"] == "childrenInteractive"
    raw["choices"][0]["message"]["content"][1]["interactive"] = wrapper
    script = Script(Reply([json.dumps(raw, ensure_ascii=False).encode()], headers=JSON_HEADERS))
    response = await complete(script, io_mode, question(detail=True))
    interactive = response.interactive
    assert isinstance(interactive, UserInputInteractive)
    assert list(interactive.fields) == ["收件人", "数量", "配送方式", "备注"]


async def test_blocking_unknown_interactive_kind_keeps_its_params(io_mode: str) -> None:
    raw = fixture_json("completion_blocking_interactive.json")
    # The deprecated single-question ask (`AgentPlanAskQueryInteractiveSchema`, still in FastGPT's
    # interactive/type.ts at f88b51b5), which the SDK leaves untyped.
    ask = {
        "type": "agentPlanAskQuery",
        "askId": "ask_01",
        "params": {"content": "发货时间？", "reason": "需要确认", "options": ["今天", "明天"]},
    }
    raw["choices"][0]["message"]["content"][1]["interactive"] = ask
    script = Script(Reply([json.dumps(raw, ensure_ascii=False).encode()], headers=JSON_HEADERS))
    response = await complete(script, io_mode, question(detail=True))
    interactive = response.interactive
    assert isinstance(interactive, UnknownInteractive)
    assert interactive.type == "agentPlanAskQuery"
    assert interactive.params == ask["params"]
    assert interactive.model_extra == {"askId": "ask_01"}


def test_every_blocking_fixture_is_covered() -> None:
    from conftest import FIXTURES

    names = {p.name for p in FIXTURES.glob("completion_*.json")}
    source = Path(__file__).read_text(encoding="utf-8")
    assert names
    assert all(f'json_script("{name}"' in source for name in names), sorted(names)
