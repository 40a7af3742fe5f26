"""What FastGPT 4.15 and 4.16 added to the chat_history answers, read field by field, sync and async.

The fixtures were written from FastGPT's own schemas at f88b51b5 (4.16.0-beta1):
- records_agent.json: `AIChatItemValueSchema` / `UserChatItemValueItemSchema`
  (packages/global/core/chat/type.ts, 9bb6b82c) with the agent's value items as
  `createAgentLoopCoreAssistantEventCollector` and `appendAgentLoopCoreAssistantResponseFromEvent`
  write them (packages/service/core/workflow/dispatch/ai/agentLoopCore/adapter/assistantResponses/
  eventCollector.ts, 9bb6b82c; fromEvents.ts, 7da51869), the finished plan's `{"plan": null}`
  (.../application/output/assistantResponses.ts, 7da51869), the answered `agentAsk` interaction and the
  user's answer carrying its `askId` (`updateInteractiveChat` in packages/service/core/chat/saveChat.ts,
  34632ba4), `paymentPause` (`PaymentPauseInteractiveSchema`,
  packages/global/core/workflow/template/system/interactive/type.ts, 34632ba4), and each item's legacy
  `type` (`getChatItemValueType`, projects/app/src/service/core/chat/utils.ts, 9601a1a8).
- res_data_agent.json: `DispatchNodeResponseSchema` (packages/global/core/workflow/runtime/type.ts,
  e3717e53) as the agent loop (.../adapter/nodeResponse/eventCollector.ts, compress.ts), parallelRun
  (packages/service/core/workflow/dispatch/parallelRun/), loopRun (.../loopRun/runLoopRun.ts),
  readFiles and datasetConcat fill it; the `extension*` and `mergeSignId` fields are schema-only
  (deprecated) and `stepQuery` has no writer at f88b51b5.
- histories_agent_helper.json, chat_init_skill.json, chat_init_sandbox.json: the chat target of
  `ChatTargetResponseSchema` (packages/global/openapi/core/chat/api.ts, 4b7ed6c0), the skill branch of
  projects/app/src/pages/api/core/chat/init.ts (4b7ed6c0), and `InitChatResponseSchema`'s
  `app.useAgentSandbox` (packages/global/openapi/core/chat/controler/api.ts, a361a73d; no handler
  fills it at f88b51b5).
"""

from __future__ import annotations

import json

import httpx
from conftest import fixture_json, make_client
from http_support import Wire, run

from fastgpt_oapi.api.chat.model import AgentAskInteractive, PaymentPauseInteractive
from fastgpt_oapi.api.chat_history.model import (
    ChatRecord,
    FileValue,
    GetChatInitRequest,
    GetRecordDetailRequest,
    InteractiveValue,
    ListHistoriesRequest,
    ListRecordsRequest,
    NodeResponse,
    ReasoningValue,
    TextValue,
)
from fastgpt_oapi.api.shared.model import (
    AgentAskValue,
    AgentPlanUpdateValue,
    ContextCheckpointValue,
    PlanStatusValue,
    PlanValue,
    SkillsValue,
    ToolsValue,
)

CHAT = "kzYq3Xw1N2b8pQm4RtUv5aBc"


def serve(fixture: str) -> Wire:
    payload = fixture_json(fixture)
    return Wire(lambda request: httpx.Response(200, json=payload))


async def test_agent_records_type_every_value_item(io_mode: str) -> None:
    service = make_client(serve("records_agent.json")).chat_history
    request = ListRecordsRequest(chat_id=CHAT, page_size=30)
    page = await run(io_mode, lambda: service.list_records(request), lambda: service.alist_records(request))
    assert page.total == 6
    question, turn, answer, after, again, paused = page.list

    # The user's message: text and an uploaded file (with its storage key).
    assert [type(v) for v in question.value] == [TextValue, FileValue]
    upload = question.value[1]
    assert isinstance(upload, FileValue)
    assert (upload.file.type, upload.file.name, upload.file.key, upload.file.url) == (
        "file",
        "sales-q2.xlsx",
        "chat/66e29b870b24ce35330c0f08/sales-q2.xlsx",
        "https://example.com/chat/sales-q2.xlsx",
    )

    # The agent's turn, item by item; v1's legacy `type` says "text" for the agent kinds.
    assert [type(v) for v in turn.value] == [
        PlanValue,
        AgentPlanUpdateValue,
        ReasoningValue,
        ToolsValue,
        SkillsValue,
        TextValue,
        ContextCheckpointValue,
        AgentAskValue,
        InteractiveValue,
    ]
    assert [v.type for v in turn.value] == [
        "text",
        "text",
        "reasoning",
        "tool",
        "text",
        "text",
        "text",
        "text",
        "interactive",
    ]
    plan, update, thought, tools, skills, text, checkpoint, ask, interactive = turn.value
    assert isinstance(plan, PlanValue)
    assert plan.plan is not None
    assert (plan.plan.plan_id, plan.plan.name, plan.plan.description, plan.id) == (
        "pl4nA1",
        "整理第二季度销售数据",
        "读取表格并按区域汇总",
        None,
    )
    assert [(s.id, s.name, s.description, s.status, s.note) for s in plan.plan.steps] == [
        ("s1", "读取销售表", None, "done", "已读取 sales-q2.xlsx"),
        ("s2", "按区域汇总", "汇总各区域销售额", "blocked", "等待用户确认汇总维度"),
    ]
    assert isinstance(update, AgentPlanUpdateValue)
    call = update.agent_plan_update
    assert (update.id, call.id, call.function_name, call.response) == (
        "call_plan_1",
        "call_plan_1",
        "set_plan",
        "计划已创建，共 2 步",
    )
    assert json.loads(call.params) == {
        "name": "整理第二季度销售数据",
        "steps": [{"name": "读取销售表"}, {"name": "按区域汇总"}],
    }
    assert isinstance(thought, ReasoningValue)
    assert (thought.reasoning.content, thought.hide_reason) == ("需要先读取用户上传的表格。", None)
    assert isinstance(tools, ToolsValue)
    assert (tools.id, tools.reasoning) == ("call_read_1", None)
    assert [(t.id, t.tool_name, t.tool_avatar, t.function_name, t.params) for t in tools.tools] == [
        (
            "call_read_1",
            "chat:read_file",
            "core/workflow/template/readFiles",
            "read_file",
            '{"file":"sales-q2.xlsx"}',
        )
    ]
    assert isinstance(skills, SkillsValue)
    assert skills.id == "skill_xlsx"
    assert [(k.id, k.skill_name, k.skill_avatar, k.description, k.skill_md_path) for k in skills.skills] == [
        ("skill_xlsx", "表格分析", "core/skill/xlsx", "读取并汇总表格", "skills/xlsx/SKILL.md")
    ]
    assert isinstance(text, TextValue)
    assert text.reasoning is not None
    assert (text.text.content, text.reasoning.content) == (
        "华东区第二季度销售额最高。",
        "华东最高，先给结论。",
    )
    assert isinstance(checkpoint, ContextCheckpointValue)
    assert checkpoint.context_checkpoint == "用户要求整理第二季度销售数据；已读取 sales-q2.xlsx；华东最高。"
    assert checkpoint.hide_in_ui is True
    assert isinstance(ask, AgentAskValue)
    assert (ask.id, ask.agent_ask.ask_id, ask.agent_ask.function_name) == (
        "call_ask_1",
        "call_ask_1",
        "ask_user",
    )
    assert [q["question"] for q in json.loads(ask.agent_ask.params)["questions"]] == [
        "按什么维度汇总？",
        "需要图表吗？",
    ]
    assert isinstance(interactive, InteractiveValue)
    for item in turn.value:
        assert item.model_extra == {}, item  # every key the wire sent is a typed field

    # The helpers: all the text, all the reasoning in order, the interaction (answered since).
    assert turn.text == "华东区第二季度销售额最高。"
    assert turn.reasoning == "需要先读取用户上传的表格。\n华东最高，先给结论。"
    questions = turn.interactive
    assert isinstance(questions, AgentAskInteractive)
    assert (questions.ask_id, questions.params.description, questions.params.submitted) == (
        "call_ask_1",
        "需要确认汇总方式",
        True,
    )
    assert [(q.question, q.answer) for q in questions.questions] == [
        ("按什么维度汇总？", "region"),
        ("需要图表吗？", ""),
    ]
    assert questions.model_extra is not None
    assert questions.model_extra["entryNodeIds"] == ["agent01"]
    assert turn.use_agent_sandbox is True
    assert turn.duration_seconds == 12.6

    # The user's answer: hidden in FastGPT's UI, tied to the ask, the JSON `reply(...)` builds.
    assert answer.is_human
    assert answer.hide_in_ui is True
    (answered,) = answer.value
    assert isinstance(answered, TextValue)
    assert answered.ask_id == "call_ask_1"
    assert answered.text.content == questions.reply("region").content

    # The next turn: reasoning inside a tool item and a text item (hidden from users by the app),
    # and the finished plan's null marker.
    assert [type(v) for v in after.value] == [ToolsValue, TextValue, PlanValue]
    sum_tool, summary, finished = after.value
    assert isinstance(sum_tool, ToolsValue)
    assert sum_tool.reasoning is not None
    assert (sum_tool.reasoning.content, sum_tool.hide_reason) == ("按区域汇总。", True)
    assert isinstance(summary, TextValue)
    assert summary.hide_reason is True
    assert isinstance(finished, PlanValue)
    assert finished.plan is None
    assert after.text == "已按区域汇总：华东 1200，华南 980。"
    assert after.reasoning == "按区域汇总。\n数据齐了。"
    assert after.interactive is None

    # A turn paused because the team ran out of AI points.
    assert again.text == "再画个图"
    pause = paused.interactive
    assert isinstance(pause, PaymentPauseInteractive)
    assert (pause.params.description, pause.params.continue_) == ("chat:balance_not_enough_pause", None)
    assert (paused.text, paused.reasoning) == ("", None)


async def test_agent_node_responses_type_the_fields_fastgpt_added(io_mode: str) -> None:
    service = make_client(serve("res_data_agent.json")).chat_history
    request = GetRecordDetailRequest(chat_id=CHAT, data_id="aQ1wE2rT3yU4iO5pA6sD7fG8")
    detail = await run(
        io_mode, lambda: service.get_record_detail(request), lambda: service.aget_record_detail(request)
    )
    start, extension, concat, read, agent, parallel, loop_run = detail.list
    assert start.module_type == "workflowStart"

    assert extension.module_type == "cfr"
    assert (extension.extension_model, extension.extension_tokens) == ("gpt-4o-mini", 86)
    assert extension.extension_result == '["2026 年第二季度销售额","各区域销售对比"]'
    assert extension.merge_sign_id == "mSg7Kd2Lq9Xw"

    assert (concat.module_type, concat.concat_length) == ("datasetConcatNode", 6)

    assert read.read_files_result == "## sales-q2.xlsx\n区域,销售额\n华东,1200\n华南,980"
    assert read.read_files is not None
    assert [(f.name, f.url) for f in read.read_files] == [
        ("sales-q2.xlsx", "https://example.com/chat/sales-q2.xlsx")
    ]

    assert (agent.module_type, agent.module_logo, agent.model) == (
        "agent",
        "core/app/type/agentFill",
        "gpt-4.1",
    )
    assert (agent.running_time, agent.total_points, agent.child_total_points) == (12.4, 0.21, 0.05)
    assert (agent.input_tokens, agent.output_tokens) == (5210, 842)
    assert agent.llm_request_ids == ["req_9f1a2b", "req_9f1a2c"]
    assert agent.step_query == "整理各区域销售额"
    assert agent.node_inputs == {"userChatInput": "帮我整理第二季度的销售数据", "aiChatReasoning": True}
    assert agent.node_outputs == {"answerText": "第二季度华东销售额最高。"}
    assert agent.child_response_count == 3
    plan_op, compress, asked = agent.children
    assert (plan_op.parent_id, plan_op.module_name, plan_op.module_logo) == (
        "Ag3nT9kLm2Qx7Vb1",
        "chat:plan_update",
        "core/app/agent/child/plan",
    )
    assert (plan_op.agent_plan_status, plan_op.agent_plan_result) == ("set_plan", "计划已创建，共 2 步")
    assert compress.compress_text_agent is not None
    usage = compress.compress_text_agent
    assert (usage.input_tokens, usage.output_tokens, usage.total_points) == (12000, 640, 0.012)
    assert compress.llm_request_ids == ["req_9f1a2d"]
    assert compress.text_output == "用户要求整理第二季度销售数据；已读取 sales-q2.xlsx。"
    assert asked.text_output == "按什么维度汇总？\n需要图表吗？"

    assert parallel.module_type == "parallelRun"
    assert parallel.parallel_input == ["华东", "华南"]
    assert parallel.parallel_result == [{"region": "华东", "total": 1200}]
    assert parallel.parallel_run_detail == [
        {"success": True, "index": 0, "data": {"region": "华东", "total": 1200}},
        {"success": False, "index": 1, "error": "timeout"},
    ]
    done, failed = parallel.children
    assert (done.module_name_args, done.loop_input_value, done.loop_output_value) == (
        {"index": 1},
        "华东",
        {"region": "华东", "total": 1200},
    )
    assert (failed.module_name_args, failed.loop_output_value, failed.error) == (
        {"index": 2},
        None,
        "timeout",
    )

    assert loop_run.loop_run_input == ["一月", "二月"]
    assert loop_run.loop_run_iterations == 2
    assert loop_run.loop_run_history == [
        {"iteration": 0, "customOutputs": {"sum": 400}, "success": True},
        {"iteration": 1, "customOutputs": {"sum": 380}, "success": True},
    ]
    assert [(c.module_name_args, c.loop_input_value, c.loop_output_value) for c in loop_run.children] == [
        ({"index": 0}, "一月", {"sum": 400}),
        ({"index": 1}, "二月", {"sum": 380}),
    ]

    def every(nodes: list[NodeResponse]) -> list[NodeResponse]:
        return [n for node in nodes for n in (node, *every(node.children))]

    for node in every(detail.list):
        assert node.model_extra == {}, node.id  # every field the wire sent is typed


async def test_histories_of_agent_helper_chats_carry_their_source_type(io_mode: str) -> None:
    service = make_client(serve("histories_agent_helper.json")).chat_history
    request = ListHistoriesRequest()
    page = await run(
        io_mode, lambda: service.list_histories(request), lambda: service.alist_histories(request)
    )
    (item,) = page.list
    assert (item.chat_id, item.app_id, item.skill_id, item.source_type) == (
        "hLpR2aG5eN8tB1cK",
        "66e29b870b24ce35330c0f08",
        None,
        "chatAgentHelper",
    )
    assert (item.chat_generate_status, item.has_been_read, item.top) == (2, False, False)
    assert item.model_extra == {}


async def test_chat_init_of_a_skill_debug_chat(io_mode: str) -> None:
    service = make_client(serve("chat_init_skill.json")).chat_history
    request = GetChatInitRequest(chat_id="sKdB9gX2mQ7wE4rT")
    init = await run(io_mode, lambda: service.get_chat_init(request), lambda: service.aget_chat_init(request))
    assert (init.chat_id, init.app_id, init.skill_id, init.source_type) == (
        "sKdB9gX2mQ7wE4rT",
        None,
        "68ad85a7463006c963799a06",
        None,
    )
    assert (init.title, init.variables, init.chat_generate_status, init.has_been_read) == (
        "调试 xlsx 技能",
        {},
        1,
        True,
    )
    app = init.app
    assert (app.name, app.avatar, app.intro, app.type, app.chat_models) == (
        "表格分析",
        "core/skill/xlsx",
        "读取并汇总表格",
        "simple",
        [],
    )
    assert app.use_agent_sandbox is None
    assert app.chat_config.file_select_config is not None
    assert app.chat_config.file_select_config["canSelectFile"] is False
    assert init.model_extra == {}


async def test_chat_init_says_whether_the_app_uses_an_agent_sandbox(io_mode: str) -> None:
    service = make_client(serve("chat_init_sandbox.json")).chat_history
    request = GetChatInitRequest(chat_id=CHAT)
    init = await run(io_mode, lambda: service.get_chat_init(request), lambda: service.aget_chat_init(request))
    assert (init.app.name, init.app.type, init.app.use_agent_sandbox) == ("销售助理", "chatAgent", True)
    assert init.app.model_extra == {}


def test_a_plan_stored_by_fastgpt_4_14_reads_as_a_current_one() -> None:
    # 4.14.7 - 4.15.0-1 stored `{planId, task, description, background, steps: [{id, title, description,
    # depends_on, ...}]}` (packages/global/core/ai/agent/type.ts at 76d6234d); FastGPT reads it today
    # through `AgentPlanReadSchema` (task -> name, title -> name), and so does the SDK.
    raw = {
        "obj": "AI",
        "value": [
            {
                "plan": {
                    "planId": "old01",
                    "task": "写周报",
                    "description": "汇总本周工作",
                    "background": "每周五提交",
                    "steps": [{"id": "a", "title": "收集", "description": "收集提交记录", "depends_on": []}],
                },
                "type": "text",
            },
            {"planStatus": {"status": "generating"}, "id": "agent-plan-stream"},
        ],
    }
    record = ChatRecord.model_validate(raw)
    plan, status = record.value
    assert isinstance(plan, PlanValue)
    assert plan.plan is not None
    assert (plan.plan.plan_id, plan.plan.name, plan.plan.description) == ("old01", "写周报", "汇总本周工作")
    assert plan.plan.model_extra == {"background": "每周五提交"}
    (step,) = plan.plan.steps
    assert (step.id, step.name, step.description, step.status) == ("a", "收集", "收集提交记录", None)
    assert step.model_extra == {"depends_on": []}
    assert isinstance(status, PlanStatusValue)
    assert (status.plan_status.status, status.id) == ("generating", "agent-plan-stream")
