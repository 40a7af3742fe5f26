"""Every SSE transcript, shipped and local, decoded through real httpx machinery and checked field by
field: in every chunking, with LF, CRLF and CR line endings, sync and async.

Two independent checks per fixture: hand-written expectations (event classes in order, text, tools,
nodes, variables, title, duration, interaction, error), and a round trip of every event's typed data
against the raw JSON of the same message, so a field dropped or renamed by the models shows up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

import pytest
from conftest import fixture_bytes, fixture_json
from pydantic import BaseModel
from typing_extensions import assert_type

from fastgpt_oapi import APIStatusError, AuthenticationError, StreamError
from fastgpt_oapi.api.chat.model import (
    AgentAskInteractive,
    AnswerEvent,
    ChatStreamEvent,
    ChatStreamResult,
    ChatTitleEvent,
    DoneEvent,
    FastAnswerEvent,
    FlowNodeResponseEvent,
    FlowNodeStatusEvent,
    FlowResponsesEvent,
    FormField,
    FormFieldType,
    FormValueType,
    InteractiveEvent,
    NodeResponse,
    PaymentPauseInteractive,
    PlanEvent,
    PlanStatusEvent,
    QuoteScore,
    SandboxStatusEvent,
    SkillCallEvent,
    ToolCallEvent,
    ToolParamsEvent,
    ToolResponseEvent,
    UnknownEvent,
    UnlistedValue,
    UpdateVariablesEvent,
    UserInputInteractive,
    UserSelectInteractive,
    WorkflowDurationEvent,
)

from ._support import (
    CHUNKINGS,
    LINE_ENDINGS,
    SSE_HEADERS,
    Outcome,
    RawMessage,
    Reply,
    Script,
    innermost_interactive,
    json_or_text,
    question,
    read_fixture_messages,
    run_stream,
)

# Written out here rather than taken from the SDK, so a wrong mapping there fails.
CLASS_BY_WIRE_NAME: dict[str, type[BaseModel]] = {
    "answer": AnswerEvent,
    "fastAnswer": FastAnswerEvent,
    "flowNodeStatus": FlowNodeStatusEvent,
    "flowNodeResponse": FlowNodeResponseEvent,
    "flowResponses": FlowResponsesEvent,
    "workflowDuration": WorkflowDurationEvent,
    "updateVariables": UpdateVariablesEvent,
    "toolCall": ToolCallEvent,
    "toolParams": ToolParamsEvent,
    "toolResponse": ToolResponseEvent,
    "interactive": InteractiveEvent,
    "chatTitle": ChatTitleEvent,
    "plan": PlanEvent,
    "planStatus": PlanStatusEvent,
    "sandboxStatus": SandboxStatusEvent,
    "skillCall": SkillCallEvent,
}

Tool = tuple[str, str, str, str | None, str, str | None]  # id, name, avatar, function, params, response


@dataclass(frozen=True)
class Expect:
    # Wire names in order; "[DONE]" for DoneEvent, "?name" for an UnknownEvent, "!name" for a known
    # event whose data did not validate (an UnknownEvent with `error`).
    events: tuple[str, ...]
    answer: str = ""
    text: tuple[str, ...] = ()  # the non-empty answer deltas
    reasoning: str | None = None
    tools: tuple[Tool, ...] = ()
    variables: dict[str, Any] | None = None
    title: str | None = None
    duration: float | None = None
    statuses: tuple[str, ...] = ()
    # Top-level node responses: (id, moduleType, ids of their children).
    nodes: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    check: Callable[[ChatStreamResult], None] | None = None
    error: Callable[[BaseException], None] | None = None
    headers: tuple[tuple[str, str], ...] = tuple(SSE_HEADERS.items())


# ---- fixture-specific field checks ----------------------------------------------------------------


def _node(result: ChatStreamResult, node_id: str) -> NodeResponse:
    stack = list(result.response_data)
    while stack:
        node = stack.pop()
        if node.id == node_id:
            return node
        stack.extend(node.children)
    raise AssertionError(f"no node {node_id}")


def _scores(node: NodeResponse) -> list[list[tuple[str, float, int | None]]]:
    out = []
    for quote in node.quote_list or []:
        assert isinstance(quote.score, list)
        out.append([(s.type, s.value, s.index) for s in quote.score if isinstance(s, QuoteScore)])
    return out


def check_detail_true(r: ChatStreamResult) -> None:
    search = _node(r, "p2HcT7vLq9WmXa3B")
    assert (search.node_id, search.module_name, search.module_type) == (
        "datasetSearch01",
        "知识库搜索",
        "datasetSearchNode",
    )
    assert (search.running_time, search.total_points, search.query) == (0.52, 0.0021, "上海今天天气怎么样")
    assert (search.embedding_model, search.embedding_tokens, search.similarity, search.limit) == (
        "text-embedding-3-small",
        6,
        0.4,
        3000,
    )
    assert (search.search_mode, search.search_using_re_rank, search.rerank_model) == (
        "embedding",
        True,
        "bge-reranker-v2-m3",
    )
    assert search.re_rank_input_tokens == 120
    assert search.dataset_queries == ["上海今天天气怎么样"]
    assert search.quote_list == []
    tools = _node(r, "Vt7bN3mK1qW8eR2y")
    assert (tools.model, tools.tool_call_input_tokens, tools.tool_call_output_tokens) == (
        "gpt-4o-mini",
        412,
        38,
    )
    assert [(h.obj, h.value) for h in tools.history_preview or []] == [
        ("Human", "上海今天天气怎么样"),
        ("AI", "上海今天多云，气温 26℃。"),
    ]
    assert tools.finish_reason == "stop"
    child = tools.children[0]
    assert child.children_responses is None
    assert (child.parent_id, child.module_type, child.running_time) == ("Vt7bN3mK1qW8eR2y", "tool", 0.83)
    assert child.tool_input == {"city": "上海"}
    assert child.tool_res == {"temp": 26, "weather": "多云"}
    assert _node(r, "Ow6eR1tY4uI7oP0a").update_var_result == ["上海"]


def check_legacy(r: ChatStreamResult) -> None:
    search = _node(r, "b3Nc7VwE5yU0iO2p")
    assert search.search_mode == "mixedRecall"
    assert _scores(search) == [[("embedding", 0.7712, 1), ("fullText", 0.6021, 0), ("rrf", 0.0325, 0)]]
    quote = (search.quote_list or [])[0]
    assert (quote.id, quote.source_name, quote.chunk_index, quote.q, quote.a) == (
        "66a0f1e2d3c4b5a697887766",
        "城市天气.md",
        12,
        "北京的气候特点",
        "",
    )
    tools = _node(r, "c9Jh4GfD1sA6zX3c")
    # <= 4.14.x nests a tool call's children under `toolDetail`.
    assert tools.children_responses is None
    assert [c.id for c in tools.tool_detail or []] == ["d2Kq8RtY6uI3oP5a"]
    assert tools.children[0].tool_res == {"temp": 18, "weather": "晴"}


def check_v2(r: ChatStreamResult) -> None:
    tools = _node(r, "h3Mn7BvC5xZ0lK9j")
    assert tools.child_response_count == 1
    child = tools.children[0]
    assert (child.parent_id, child.tool_input, child.tool_res) == (
        "h3Mn7BvC5xZ0lK9j",
        {"city": "广州"},
        {"temp": 31, "weather": "雷阵雨"},
    )


def check_object_form(r: ChatStreamResult) -> None:
    # Keys "0".."10": a lexical sort would put "10" after "1".
    assert [n.module_type for n in r.response_data] == [
        "workflowStart",
        "classifyQuestion",
        "contentExtract",
        "ifElseNode",
        "httpRequest468",
        "code",
        "variableUpdate",
        "datasetSearchNode",
        "textEditor",
        "chatNode",
        "answerNode",
    ]
    assert r.response_data[1].cq_result == "天气"
    assert r.response_data[2].extract_result == {"city": "深圳"}
    assert r.response_data[10].running_time == 1.0


def check_userselect(r: ChatStreamResult) -> None:
    assert isinstance(r.interactive, UserSelectInteractive)
    assert r.interactive.type == "userSelect"
    assert r.interactive.params.description == "请确认是否提交订单"
    assert [(o.key, o.value) for o in r.interactive.params.user_select_options] == [
        ("option1", "Confirm"),
        ("option2", "Cancel"),
    ]
    assert r.interactive.options == ["Confirm", "Cancel"]
    chat = _node(r, "Qe8sLw2XvN5tZr1c")
    assert (chat.tokens, chat.input_tokens, chat.output_tokens, chat.temperature, chat.max_token) == (
        40,
        12,
        28,
        0,
        4000,
    )
    assert (chat.reasoning_text, chat.context_total_len) == ("", 2)


def _check_form(r: ChatStreamResult) -> None:
    assert isinstance(r.interactive, UserInputInteractive)
    params = r.interactive.params
    assert params.description == "请填写收货信息"
    assert [(f.key, f.type, f.value_type, f.required) for f in params.input_form] == [
        ("收件人", "input", "string", True),
        ("数量", "numberInput", "number", True),
        ("配送方式", "select", "string", False),
        ("备注", "textarea", "string", False),
    ]
    fields = r.interactive.fields
    assert (fields["收件人"].max_length, fields["数量"].min, fields["数量"].max) == (20, 1, 10)
    # FastGPT's whole numbers stay ints, so a bound sent back in a reply reads as FastGPT wrote it.
    assert (type(fields["数量"].min), type(fields["数量"].max)) == (int, int)
    assert (
        r.interactive.reply({"收件人": "张三", "数量": fields["数量"].min}).content
        == '{"收件人":"张三","数量":1}'
    )
    assert {f.type for f in params.input_form} <= set(get_args(FormFieldType))
    assert {f.value_type for f in params.input_form} <= set(get_args(FormValueType))
    assert fields["数量"].default_value == 1
    assert [(o.label, o.value) for o in fields["配送方式"].options or []] == [
        ("快递", "express"),
        ("自提", "pickup"),
    ]
    # The answer to it is exactly the shipped continuation request's message.
    expected = fixture_json("request_continue_userinput.json")["messages"][0]
    reply = r.interactive.reply({"收件人": "张三", "数量": 2, "配送方式": "express"})
    assert reply.model_dump(exclude_none=True) == expected


def test_form_fields_keep_values_fastgpt_may_add() -> None:
    field = FormField.model_validate(
        {"key": "k", "type": "colorPicker", "valueType": "color", "min": 0.5, "max": 2.0, "required": False}
    )
    assert (field.type, field.value_type) == ("colorPicker", "color")
    assert isinstance(field.type, UnlistedValue)
    assert isinstance(field.value_type, UnlistedValue)
    assert (
        field.model_dump_json(include={"type", "value_type"}) == '{"type":"colorPicker","value_type":"color"}'
    )
    assert (field.min, field.max) == (0.5, 2.0)
    assert type(field.max) is float  # a float stays one
    known = FormField.model_validate({"key": "k", "type": "numberInput", "valueType": "number", "min": 1})
    # mypy checks this file (strict): the known values are literals to it, beside UnlistedValue.
    assert_type(known.type, FormFieldType | UnlistedValue | None)
    assert_type(known.value_type, FormValueType | UnlistedValue | None)
    assert known.type == "numberInput"
    assert_type(known.type, Literal["numberInput"] | UnlistedValue)
    assert not isinstance(known.type, UnlistedValue)  # a known value is the literal
    assert not isinstance(known.value_type, UnlistedValue)
    assert_type(known.min, int | float | None)
    assert known.min == 1
    assert type(known.min) is int


def check_userinput(r: ChatStreamResult) -> None:
    _check_form(r)
    assert r.interactive is not None
    assert r.interactive.model_extra is not None
    assert r.interactive.model_extra["entryNodeIds"] == ["formInput01"]


def check_children(r: ChatStreamResult) -> None:
    _check_form(r)
    assert r.interactive is not None
    assert r.interactive.model_extra is not None
    # The innermost interaction, not the wrapper.
    assert r.interactive.model_extra["entryNodeIds"] == ["subFormInput01"]
    assert [c.id for c in _node(r, "Ty5uI8oP2aS4dF7g").children] == ["Hj3kL6zX9cV1bN4m"]


def check_loop(r: ChatStreamResult) -> None:
    assert isinstance(r.interactive, UserSelectInteractive)
    assert r.interactive.params.description == "第 2 件商品是否保留？"
    assert r.interactive.options == ["保留", "移除"]
    assert r.interactive.reply("移除").content == "移除"
    assert _node(r, "Lp0oK9iJ8uH7yG6t").loop_input == ["键盘", "耳机", "显示器"]


def check_reasoning_node(r: ChatStreamResult) -> None:
    node = r.response_data[0]
    assert (node.model, node.tokens, node.input_tokens, node.output_tokens) == (
        "deepseek-reasoner",
        210,
        60,
        150,
    )
    assert node.reasoning_text == r.reasoning


def check_agent_events(r: ChatStreamResult) -> None:
    # The last plan, the last plan status, the sandbox's last phase, every skill call.
    assert r.plan is not None
    assert (r.plan.plan_id, r.plan.name, r.plan.description) == ("plan_01", "查询并总结", None)
    assert [(s.id, s.name, s.status, s.description, s.note) for s in r.plan.steps] == [
        ("s1", "查询资料", "in_progress", None, None),
        ("s2", "总结", "pending", None, None),
    ]
    assert r.plan_status is not None
    assert r.plan_status.status == "updating"
    assert r.sandbox_status is not None
    assert (r.sandbox_status.sandbox_id, r.sandbox_status.phase, r.sandbox_status.is_warm_start) == (
        "sbx_9a8b7c",
        "ready",
        None,
    )
    assert [(k.id, k.skill_name, k.skill_avatar, k.description, k.skill_md_path) for k in r.skill_calls] == [
        ("skill_pdf", "PDF 解析", "core/skill/pdf", "读取 PDF", "skills/pdf/SKILL.md")
    ]


def check_agent_ask(r: ChatStreamResult) -> None:
    """An agent run of FastGPT 4.16 (f88b51b5) that ends on its questions: the agent events of
    `createAgentLoopCoreEventStream` (.../agentLoopCore/adapter/eventStream/createEventStream.ts,
    7da51869; the plan's events carry `responseValueId` "agent-plan-stream") and `ensureWorkflowSandboxReadyForUse`
    (packages/service/core/workflow/dispatch/ai/sandbox.ts, 9bb6b82c), then the `agentAsk`
    interaction of `createAgentLoopCoreAskInteractive` (.../adapter/interactive/ask.ts, 34632ba4)."""
    assert r.plan is not None
    assert (r.plan.plan_id, r.plan.name, r.plan.description) == (
        "pl4nA1",
        "整理第二季度销售数据",
        "读取表格并按区域汇总",
    )
    assert [(s.id, s.name, s.description, s.status, s.note) for s in r.plan.steps] == [
        ("s1", "读取销售表", None, "done", "已读取 sales-q2.xlsx"),
        ("s2", "按区域汇总", "汇总各区域销售额", "blocked", "等待用户确认汇总维度"),
    ]
    assert r.plan_status is not None
    assert r.plan_status.status == "updating"
    assert r.sandbox_status is not None
    assert (r.sandbox_status.sandbox_id, r.sandbox_status.phase, r.sandbox_status.is_warm_start) == (
        "sbx_app_66e29b87",
        "ready",
        True,
    )
    assert (r.sandbox_status.skill_name, r.sandbox_status.message) == (None, None)
    assert [(k.id, k.skill_name, k.skill_md_path) for k in r.skill_calls] == [
        ("skill_xlsx", "表格分析", "skills/xlsx/SKILL.md")
    ]
    ask = r.interactive
    assert isinstance(ask, AgentAskInteractive)
    assert (ask.type, ask.ask_id, ask.response_mode, ask.params.submitted) == (
        "agentAsk",
        "call_ask_1",
        None,
        None,
    )
    assert ask.params.description == "需要确认汇总方式"
    assert [(q.question, q.answer, [(o.summary, o.value) for o in q.options]) for q in ask.questions] == [
        ("按什么维度汇总？", "", [("按区域", "region"), ("按月份", "month")]),
        ("需要图表吗？", "", [("需要", "yes"), ("不需要", "no")]),
    ]
    assert ask.model_extra is not None
    assert (ask.model_extra["entryNodeIds"], ask.model_extra["interactiveId"]) == (
        ["agent01"],
        "iA7sK2dL9fQ4",
    )
    # The answer is FastGPT's `{"answers": [...]}` (`parseAgentAskAnswers`, packages/global/core/ai/agent/utils.ts).
    assert ask.reply("month", "no").model_dump(exclude_none=True) == {
        "role": "user",
        "content": '{"answers":["month","no"]}',
    }
    agent = _node(r, "Ag3nT9kLm2Qx7Vb1")
    assert agent.module_logo == "core/app/type/agentFill"
    assert agent.llm_request_ids == ["req_9f1a2b", "req_9f1a2c"]
    assert agent.node_inputs == {"userChatInput": "帮我整理第二季度的销售数据"}
    plan_op = _node(r, "agent01-plan-call_plan_1")
    assert (plan_op.agent_plan_status, plan_op.agent_plan_result) == ("set_plan", "计划已创建，共 2 步")


def check_payment_pause(r: ChatStreamResult) -> None:
    """The team's AI points ran out before `chatNode02`: `checkTeamBlance` in
    packages/service/core/workflow/dispatch/index.ts (f88b51b5) pauses with `paymentPause`."""
    pause = r.interactive
    assert isinstance(pause, PaymentPauseInteractive)
    assert (pause.type, pause.params.description, pause.params.continue_) == (
        "paymentPause",
        "chat:balance_not_enough_pause",
        None,
    )
    assert pause.model_extra is not None
    assert pause.model_extra["entryNodeIds"] == ["chatNode02"]
    assert pause.reply().content == "Continue"


def stream_error(code: int | None, status_text: str | None, message: str) -> Callable[[BaseException], None]:
    def check(exc: BaseException) -> None:
        assert type(exc) is StreamError
        assert (exc.code, exc.status_text, exc.message) == (code, status_text, message)

    return check


def refused_auth(exc: BaseException) -> None:
    # An SSE error event without the SSE content type: refused before the stream began.
    assert type(exc) is AuthenticationError
    assert isinstance(exc, APIStatusError)
    assert (exc.http_status, exc.code, exc.status_text) == (200, 514, "unAuthApiKey")
    assert exc.message == "common:code_error.error_message.514"


_STOP = "answer"
_TOOL_9F2C: Tool = (
    "call_9f2c",
    "天气查询",
    "core/app/type/plugin",
    "get_weather",
    '{"city":"上海"}',
    '{"temp":26,"weather":"多云"}',
)

EXPECT: dict[str, Expect] = {
    "stream_detail_false.sse": Expect(
        events=("answer", "answer", "answer", _STOP, "[DONE]"),
        answer="电影《铃芽之旅》的导演是新海诚。",
        text=("电影", "《铃芽之旅》的导演是新海诚。"),
    ),
    "stream_reasoning_detail_false.sse": Expect(
        events=("answer", "answer", "answer", _STOP, "[DONE]"),
        answer="新海诚。",
        text=("新海诚。",),
        reasoning="用户问的是导演，知识库里有答案。",
    ),
    "stream_detail_true.sse": Expect(
        events=(
            "flowNodeStatus",
            "flowNodeStatus",
            "toolCall",
            "toolParams",
            "toolParams",
            "toolResponse",
            "answer",
            "answer",
            "updateVariables",
            "workflowDuration",
            "chatTitle",
            _STOP,
            "flowResponses",
            "[DONE]",
        ),
        answer="上海今天多云，气温 26℃。",
        text=("上海今天多云，", "气温 26℃。"),
        tools=(_TOOL_9F2C,),
        variables={"city": "上海"},
        title="上海天气查询",
        duration=3.62,
        statuses=("知识库搜索", "工具调用"),
        nodes=(
            ("iSol79OFrBH1I9kC", "workflowStart", ()),
            ("p2HcT7vLq9WmXa3B", "datasetSearchNode", ()),
            ("Vt7bN3mK1qW8eR2y", "tools", ("Lp4xC9vB2nM7kJ1h",)),
            ("Ow6eR1tY4uI7oP0a", "variableUpdate", ()),
        ),
        check=check_detail_true,
    ),
    "stream_detail_true_legacy.sse": Expect(
        events=(
            "flowNodeStatus",
            "flowNodeStatus",
            "toolCall",
            "toolParams",
            "toolParams",
            "toolResponse",
            "answer",
            "answer",
            "answer",
            "updateVariables",
            "workflowDuration",
            _STOP,
            "[DONE]",
            "flowResponses",
        ),
        answer="北京今天晴，气温 18℃。",
        text=("北京今天晴，", "气温 18℃。"),
        tools=(
            (
                "call_4b1e",
                "天气查询",
                "core/app/type/plugin",
                "get_weather",
                '{"city":"北京"}',
                '{"temp":18,"weather":"晴"}',
            ),
        ),
        variables={"city": "北京"},
        duration=2.87,
        statuses=("知识库搜索", "工具调用"),
        nodes=(
            ("a8Xk2LmQ9pR4sT1v", "workflowStart", ()),
            ("b3Nc7VwE5yU0iO2p", "datasetSearchNode", ()),
            ("c9Jh4GfD1sA6zX3c", "tools", ("d2Kq8RtY6uI3oP5a",)),
            ("e7Lw5ZxC2vB9nM4s", "variableUpdate", ()),
        ),
        check=check_legacy,
    ),
    "stream_v2_detail_true.sse": Expect(
        events=(
            "flowNodeResponse",
            "flowNodeStatus",
            "toolCall",
            "toolParams",
            "toolParams",
            "toolResponse",
            "flowNodeResponse",
            "answer",
            "answer",
            "flowNodeResponse",
            "workflowDuration",
            "chatTitle",
            _STOP,
            "[DONE]",
        ),
        answer="广州今天有雷阵雨，气温 31℃。",
        text=("广州今天有雷阵雨，", "气温 31℃。"),
        tools=(
            (
                "call_7d3a",
                "天气查询",
                "core/app/type/plugin",
                "get_weather",
                '{"city":"广州"}',
                '{"temp":31,"weather":"雷阵雨"}',
            ),
        ),
        title="广州天气",
        duration=2.9,
        statuses=("工具调用",),
        # Flat on the wire (the child arrives before its parent), a tree in the result.
        nodes=(
            ("f1Qa9WsE3dR7tY5u", "workflowStart", ()),
            ("h3Mn7BvC5xZ0lK9j", "tools", ("g6Hj2KlZ8xC4vB1n",)),
        ),
        check=check_v2,
    ),
    "stream_flowresponses_object.sse": Expect(
        events=("flowNodeStatus", "answer", "answer", "workflowDuration", _STOP, "[DONE]", "flowResponses"),
        answer="深圳今天晴转多云。",
        text=("深圳今天", "晴转多云。"),
        duration=4.05,
        statuses=("AI 对话",),
        check=check_object_form,
    ),
    "stream_interactive_userselect.sse": Expect(
        events=(
            "flowNodeStatus",
            "answer",
            "answer",
            "interactive",
            "workflowDuration",
            _STOP,
            "flowResponses",
            "[DONE]",
        ),
        answer="好的，已为你生成订单草稿。",
        text=("好的，", "已为你生成订单草稿。"),
        duration=1.71,
        statuses=("AI 对话",),
        nodes=(
            ("iSol79OFrBH1I9kC", "workflowStart", ()),
            ("Qe8sLw2XvN5tZr1c", "chatNode", ()),
            ("Hm3kP8qR2sT6vW9x", "userSelect", ()),
        ),
        check=check_userselect,
    ),
    "stream_interactive_userinput.sse": Expect(
        events=(
            "flowNodeStatus",
            "fastAnswer",
            "interactive",
            "workflowDuration",
            _STOP,
            "flowResponses",
            "[DONE]",
        ),
        answer="请填写以下信息：",
        text=("请填写以下信息：",),
        duration=0.42,
        statuses=("指定回复",),
        nodes=(("iSol79OFrBH1I9kC", "workflowStart", ()), ("Rk2mW8nB4vC6xZ1q", "formInput", ())),
        check=check_userinput,
    ),
    "stream_interactive_children.sse": Expect(
        events=(
            "flowNodeStatus",
            "fastAnswer",
            "interactive",
            "workflowDuration",
            _STOP,
            "flowResponses",
            "[DONE]",
        ),
        answer="子应用需要更多信息：",
        text=("子应用需要更多信息：",),
        duration=0.63,
        statuses=("指定回复",),
        nodes=(("iSol79OFrBH1I9kC", "workflowStart", ()), ("Ty5uI8oP2aS4dF7g", "app", ("Hj3kL6zX9cV1bN4m",))),
        check=check_children,
    ),
    "stream_interactive_loop.sse": Expect(
        events=(
            "flowNodeStatus",
            "fastAnswer",
            "interactive",
            "workflowDuration",
            _STOP,
            "flowResponses",
            "[DONE]",
        ),
        answer="正在逐件确认：",
        text=("正在逐件确认：",),
        duration=0.88,
        statuses=("指定回复",),
        nodes=(("iSol79OFrBH1I9kC", "workflowStart", ()), ("Lp0oK9iJ8uH7yG6t", "loop", ())),
        check=check_loop,
    ),
    "stream_reasoning_heartbeat.sse": Expect(
        events=(
            "flowNodeStatus",
            "answer",
            "answer",
            "answer",
            "answer",
            "answer",
            "answer",
            "answer",
            "fastAnswer",
            "workflowDuration",
            _STOP,
            "flowResponses",
            "[DONE]",
        ),
        answer="导演是新海诚。（以上内容来自知识库）",
        text=("导演是", "新海诚。", "（以上内容来自知识库）"),
        reasoning="先确认用户问的是哪部电影，知识库里有《铃芽之旅》的条目。",
        duration=21.5,
        statuses=("AI 对话",),
        nodes=(("t1T94WCy6Su3BK4V", "chatNode", ()),),
        check=check_reasoning_node,
    ),
    "stream_agent_events.sse": Expect(
        events=(
            "planStatus",
            "plan",
            "sandboxStatus",
            "sandboxStatus",
            "skillCall",
            "answer",
            "planStatus",
            _STOP,
            "[DONE]",
        ),
        answer="资料已整理完毕。",
        text=("资料已整理完毕。",),
        check=check_agent_events,
    ),
    "stream_agent_ask.sse": Expect(
        events=(
            "planStatus",
            "plan",
            "sandboxStatus",
            "sandboxStatus",
            "skillCall",
            "answer",
            "answer",
            "answer",
            "answer",
            "planStatus",
            "plan",
            "interactive",
            "workflowDuration",
            _STOP,
            "flowResponses",
            "[DONE]",
        ),
        answer="华东区第二季度销售额最高。",
        text=("华东区第二季度", "销售额最高。"),
        reasoning="需要先读取表格，再按区域汇总。",
        duration=12.6,
        nodes=(
            ("iSol79OFrBH1I9kC", "workflowStart", ()),
            ("Ag3nT9kLm2Qx7Vb1", "agent", ("agent01-plan-call_plan_1",)),
        ),
        check=check_agent_ask,
    ),
    "stream_interactive_payment_pause.sse": Expect(
        events=(
            "flowNodeStatus",
            "answer",
            "interactive",
            "workflowDuration",
            _STOP,
            "flowResponses",
            "[DONE]",
        ),
        answer="正在分析第一部分。",
        text=("正在分析第一部分。",),
        duration=1.3,
        statuses=("AI 对话",),
        nodes=(("iSol79OFrBH1I9kC", "workflowStart", ()), ("Qe8sLw2XvN5tZr1c", "chatNode", ())),
        check=check_payment_pause,
    ),
    "stream_unknown_event.sse": Expect(
        events=("?stepTitle", "answer", "?contextCheckpoint", "?futureNotice", _STOP, "[DONE]"),
        answer="你好",
        text=("你好",),
    ),
    "stream_invalid_known_event.sse": Expect(
        events=(
            "!workflowDuration",
            "answer",
            "!toolCall",
            "!answer",
            "answer",
            "chatTitle",
            _STOP,
            "[DONE]",
        ),
        answer="仍然可用。",
        text=("仍然", "可用。"),
        title="合法标题",
    ),
    "stream_error.sse": Expect(
        events=("flowNodeStatus", "answer"),
        text=("正在",),
        error=stream_error(None, None, "网络连接异常"),
    ),
    "stream_error_points.sse": Expect(
        events=(),
        error=stream_error(500004, "aiPointsNotEnough", "common:code_error.team_error.ai_points_not_enough"),
    ),
    "stream_error_auth.sse": Expect(events=(), error=refused_auth, headers=()),
}


def test_every_sse_fixture_is_covered() -> None:
    from conftest import FIXTURES

    names = {p.name for p in FIXTURES.glob("*.sse")}
    assert names == set(EXPECT)


# ---- the checks -------------------------------------------------------------------------------------


def describe(event: ChatStreamEvent) -> str:
    if isinstance(event, UnknownEvent):
        return ("!" if event.error else "?") + event.event
    if isinstance(event, DoneEvent):
        return "[DONE]"
    assert type(event) is CLASS_BY_WIRE_NAME[event.event], event
    return event.event


def dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, list):
        return [dump(v) for v in value]
    return value


def assert_round_trip(event: ChatStreamEvent, raw: RawMessage) -> None:
    """The typed event holds exactly what the message said (`responseValueId` included)."""
    if isinstance(event, DoneEvent):
        assert (raw.event, raw.data) == ("answer", "[DONE]")
        return
    assert event.event == raw.event
    if isinstance(event, UnknownEvent):
        assert event.data == json_or_text(raw.data)
        return
    payload = json.loads(raw.data)
    if isinstance(event, InteractiveEvent):
        payload = innermost_interactive(payload["interactive"])
    elif isinstance(event, FlowResponsesEvent) and isinstance(payload, dict):
        payload = [payload[key] for key in sorted(payload, key=int)]
    assert dump(event.data) == payload


def check_outcome(name: str, expect: Expect, outcome: Outcome) -> None:
    events = outcome.events
    assert [describe(e) for e in events] == list(expect.events)
    raw = read_fixture_messages(fixture_bytes(name))
    # An error message ends the raw transcript without becoming an event.
    assert len(raw) == len(events) + (expect.error is not None)
    for event, message in zip(events, raw[: len(events)], strict=True):
        assert_round_trip(event, message)
    deltas = [e.text for e in events if isinstance(e, (AnswerEvent, FastAnswerEvent)) and e.text]
    assert deltas == list(expect.text)

    if expect.error is not None:
        assert outcome.result is None
        assert outcome.error is not None
        expect.error(outcome.error)
        assert raw[-1].event == "error"
        return
    assert outcome.error is None, repr(outcome.error)
    result = outcome.result
    assert result is not None
    assert result.answer == expect.answer
    assert result.reasoning == expect.reasoning
    assert result.finish_reason == "stop"
    tools = [
        (t.id, t.tool_name, t.tool_avatar, t.function_name, t.params, t.response) for t in result.tool_calls
    ]
    assert tools == list(expect.tools)
    assert result.new_variables == expect.variables
    assert result.title == expect.title
    assert result.duration_seconds == expect.duration
    assert [(s.status, s.name) for s in result.node_statuses] == [("running", n) for n in expect.statuses]
    if expect.nodes:
        assert [(n.id, n.module_type, tuple(c.id for c in n.children)) for n in result.response_data] == list(
            expect.nodes
        )
    elif expect.check is None:
        assert result.response_data == []
    interactive_events = [e for e in events if isinstance(e, InteractiveEvent)]
    assert result.interactive == (interactive_events[-1].data if interactive_events else None)
    # The agent fields: the last plan, plan status and sandbox status sent, and every skill call.
    plans = [e.data.plan for e in events if isinstance(e, PlanEvent)]
    assert result.plan == (plans[-1] if plans else None)
    plan_statuses = [e.data.plan_status for e in events if isinstance(e, PlanStatusEvent)]
    assert result.plan_status == (plan_statuses[-1] if plan_statuses else None)
    sandboxes = [e.data for e in events if isinstance(e, SandboxStatusEvent)]
    assert result.sandbox_status == (sandboxes[-1] if sandboxes else None)
    assert result.skill_calls == [e.data.skill for e in events if isinstance(e, SkillCallEvent)]
    if expect.check is not None:
        expect.check(result)


@pytest.mark.parametrize("ending", sorted(LINE_ENDINGS))
@pytest.mark.parametrize("chunking", list(CHUNKINGS))
@pytest.mark.parametrize("name", sorted(EXPECT))
async def test_fixture_decodes_field_by_field(name: str, chunking: str, ending: str, io_mode: str) -> None:
    expect = EXPECT[name]
    body = LINE_ENDINGS[ending](fixture_bytes(name))
    chunks = CHUNKINGS[chunking](body)
    assert b"".join(chunks) == body
    script = Script(Reply(chunks, headers=dict(expect.headers)))
    outcome = await run_stream(script.client(), question(detail=True), io_mode)
    check_outcome(name, expect, outcome)
    assert len(script.requests) == 1
    assert script.streams[0].closed


@pytest.mark.system  # some two thousand streams through a client: the exhaustive cut, slow by design
async def test_any_single_cut_point(io_mode: str) -> None:
    """The richest transcript cut in two at every byte: inside lines, between CR and LF, inside every
    multi-byte character."""
    name = "stream_detail_true.sse"
    body = LINE_ENDINGS["crlf"](fixture_bytes(name))
    # One client for every cut (the script answers each request with the next cut): what is tested is
    # the stream, and a client per cut was most of this test's time.
    script = Script(*(Reply([body[:cut], body[cut:]]) for cut in range(1, len(body))))
    client = script.client()
    for _ in range(1, len(body)):
        outcome = await run_stream(client, question(detail=True), io_mode)
        check_outcome(name, EXPECT[name], outcome)
    assert [b"".join(s.chunks) for s in script.streams] == [body] * (len(body) - 1)
    assert [s.chunks[0] for s in script.streams] == [body[:cut] for cut in range(1, len(body))]


BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("chunking", list(CHUNKINGS))
@pytest.mark.parametrize("name", sorted(EXPECT))
async def test_fixture_behind_a_byte_order_mark_decodes_the_same(
    name: str, chunking: str, io_mode: str
) -> None:
    """A body opening with a UTF-8 BOM (a proxy or a gateway may add one) gives the same events: the
    first one is neither lost nor mis-typed. Bytewise chunking cuts the mark into three chunks."""
    expect = EXPECT[name]
    chunks = CHUNKINGS[chunking](BOM + fixture_bytes(name))
    script = Script(Reply(chunks, headers=dict(expect.headers)))
    outcome = await run_stream(script.client(), question(detail=True), io_mode)
    check_outcome(name, expect, outcome)


@pytest.mark.parametrize("cut", [1, 2, 3, 4])
async def test_a_byte_order_mark_cut_across_the_first_two_chunks(cut: int, io_mode: str) -> None:
    name = "stream_agent_events.sse"
    body = BOM + LINE_ENDINGS["crlf"](fixture_bytes(name))
    script = Script(Reply([body[:cut], body[cut:]]))
    outcome = await run_stream(script.client(), question(detail=True), io_mode)
    check_outcome(name, EXPECT[name], outcome)


async def test_v2_result_tree_leaves_the_delivered_events_as_sent(io_mode: str) -> None:
    script = Script(Reply([fixture_bytes("stream_v2_detail_true.sse")]))
    outcome = await run_stream(script.client(), question(detail=True), io_mode)
    assert outcome.result is not None
    delivered = [e.data for e in outcome.events if isinstance(e, FlowNodeResponseEvent)]
    assert [n.id for n in delivered] == ["f1Qa9WsE3dR7tY5u", "g6Hj2KlZ8xC4vB1n", "h3Mn7BvC5xZ0lK9j"]
    # Folding the flat responses into the result's tree did not graft children onto the events.
    assert delivered[2].children_responses is None
    assert [c.id for c in outcome.result.response_data[1].children] == ["g6Hj2KlZ8xC4vB1n"]
