"""What FastGPT 4.15 and 4.16 added to the chat_history answers, read field by field, sync and async.

The fixtures were written from FastGPT's own schemas at f88b51b5 (4.16.0-beta1):
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

import httpx
from conftest import fixture_json, make_client
from http_support import Wire, run

from fastgpt_oapi.api.chat_history.model import (
    GetChatInitRequest,
    GetRecordDetailRequest,
    ListHistoriesRequest,
    NodeResponse,
)

CHAT = "kzYq3Xw1N2b8pQm4RtUv5aBc"


def serve(fixture: str) -> Wire:
    payload = fixture_json(fixture)
    return Wire(lambda request: httpx.Response(200, json=payload))


def _children(node: NodeResponse) -> list[NodeResponse]:
    return node.children


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
    plan_op, compress, asked = _children(agent)
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
    done, failed = _children(parallel)
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
    assert [(c.module_name_args, c.loop_input_value, c.loop_output_value) for c in _children(loop_run)] == [
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
