"""The emulator's apps: what a workflow says for one user message, in FastGPT's own payload shapes.

An app is any callable `(RunContext) -> Turn`. A `Turn` lists the workflow's SSE events in order
(`answer`, `fastAnswer`, `flowNodeStatus`, tool events, `interactive`, ...), the node responses of the
run, and how it ended. The emulator turns a Turn into each wire form: a detail or plain stream, or a
blocking JSON body, and stores it as records. Payloads here are plain dicts, written from the wire
spec, never produced by the SDK's models.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "WEATHER_QUOTE",
    "App",
    "RunContext",
    "Turn",
    "WorkflowTool",
    "answer_chunk",
    "builtin_apps",
    "echo_app",
    "error_app",
    "form_app",
    "node",
    "reasoning_app",
    "select_app",
    "word_count_tool",
    "workflow_app",
]


@dataclass
class RunContext:
    question: str
    chat_id: str
    data_id: str
    variables: dict[str, Any]
    # The interaction this chat is waiting on (as stored), if the previous turn paused.
    pending: dict[str, Any] | None
    history_length: int


@dataclass
class Turn:
    events: list[tuple[str, Any]] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    variables: dict[str, Any] | None = None
    title: str | None = None
    duration_seconds: float = 0.5
    # An SSE error payload: the run fails after `events`, with no stop chunk and no [DONE].
    error: dict[str, Any] | None = None
    points: float = 0.0


App = Callable[[RunContext], Turn]


@dataclass(frozen=True)
class WorkflowTool:
    """An app of FastGPT's workflow-tool type (`AppTypeEnum.workflowTool`): its inputs are the
    request's `variables`, so it runs with no messages; FastGPT also forces `detail` on for it
    (`projects/app/src/pages/api/v1/chat/completions.ts`, 146ade2d). Wrap the app's function in it."""

    run: App

    def __call__(self, ctx: RunContext) -> Turn:
        return self.run(ctx)


def answer_chunk(
    content: str | None = None, *, reasoning: str | None = None, finish: bool = False
) -> dict[str, Any]:
    delta: dict[str, Any] = {"role": "assistant"}
    if reasoning is not None:
        delta["reasoning_content"] = reasoning  # reasoning chunks carry no `content` key
    else:
        delta["content"] = content
    return {
        "id": "",
        "object": "",
        "created": 0,
        "model": "",
        "choices": [{"delta": delta, "index": 0, "finish_reason": "stop" if finish else None}],
    }


def node(node_id: str, name: str, module_type: str, response_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": response_id, "nodeId": node_id, "moduleName": name, "moduleType": module_type, **fields}


_START = node(
    "448745", "common:core.module.template.work_start", "workflowStart", "iSol79OFrBH1I9kC", runningTime=0
)


def _chat_node(
    question: str, answer: str, response_id: str = "t1T94WCy6Su3BK4V", **extra: Any
) -> dict[str, Any]:
    return node(
        "chatNode01",
        "AI 对话",
        "chatNode",
        response_id,
        runningTime=0.42,
        totalPoints=0.0042,
        model="gpt-4o-mini",
        tokens=len(question) + len(answer),
        inputTokens=len(question),
        outputTokens=len(answer),
        query=question,
        temperature=0,
        maxToken=4000,
        finishReason="stop",
        historyPreview=[{"obj": "Human", "value": question}, {"obj": "AI", "value": answer}],
        **extra,
    )


def _split(text: str, size: int = 4) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def echo_app(ctx: RunContext) -> Turn:
    """A plain answer that repeats the question."""
    answer = f"你说：{ctx.question}"
    events: list[tuple[str, Any]] = [("flowNodeStatus", {"status": "running", "name": "AI 对话"})]
    events += [("answer", answer_chunk(part)) for part in _split(answer)]
    return Turn(events=events, nodes=[_START, _chat_node(ctx.question, answer)], points=0.0042)


WEATHER_QUOTE = {  # a knowledge-base quote in the current shape: score as [{type, value, index}]
    "id": "654f2e49b64caef1d9431e8b",
    "datasetId": "646627f4f7b896cfd8910e38",
    "collectionId": "653279b16cd42ab509e766e8",
    "sourceName": "weather-faq.md",
    "sourceId": "64fd3b6423aa1307b65896f6",
    "chunkIndex": 3,
    "updateTime": "2026-07-01T08:12:44.120Z",
    "q": "上海的天气怎么查？",
    "a": "调用天气查询工具。",
    "score": [
        {"type": "embedding", "value": 0.8935, "index": 0},
        {"type": "reRank", "value": 0.9712, "index": 0},
    ],
}


def workflow_app(ctx: RunContext) -> Turn:
    """Dataset search, a tool call with streamed params, a variable update and a title."""
    city = ctx.question.strip() or "上海"
    args = json.dumps({"city": city}, ensure_ascii=False, separators=(",", ":"))
    result = json.dumps({"temp": 26, "weather": "多云"}, ensure_ascii=False, separators=(",", ":"))
    answer = f"{city}今天多云，气温 26℃。"
    tool_id = "call_9f2c"

    def tool(**kw: Any) -> dict[str, Any]:
        return {"tool": {"id": tool_id, "toolName": "", "toolAvatar": "", **kw}, "responseValueId": tool_id}

    events: list[tuple[str, Any]] = [
        ("flowNodeStatus", {"status": "running", "name": "知识库搜索"}),
        ("flowNodeStatus", {"status": "running", "name": "工具调用"}),
        (
            "toolCall",
            {
                "tool": {
                    "id": tool_id,
                    "toolName": "天气查询",
                    "toolAvatar": "core/app/type/plugin",
                    "functionName": "get_weather",
                    "params": "",
                },
                "responseValueId": tool_id,
            },
        ),
        *[("toolParams", tool(params=part)) for part in _split(args, 6)],
        ("toolResponse", tool(params="", response=result)),
        *[("answer", answer_chunk(part)) for part in _split(answer, 7)],
        ("updateVariables", {**ctx.variables, "city": city}),
    ]
    search = node(
        "datasetSearch01",
        "知识库搜索",
        "datasetSearchNode",
        "p2HcT7vLq9WmXa3B",
        runningTime=0.52,
        totalPoints=0.0021,
        query=ctx.question,
        embeddingModel="text-embedding-3-small",
        embeddingTokens=6,
        similarity=0.4,
        limit=3000,
        searchMode="embedding",
        searchUsingReRank=True,
        rerankModel="bge-reranker-v2-m3",
        reRankInputTokens=120,
        datasetQueries=[ctx.question],
        quoteList=[WEATHER_QUOTE],
    )
    tools = node(
        "toolCall01",
        "工具调用",
        "tools",
        "Vt7bN3mK1qW8eR2y",
        runningTime=2.91,
        totalPoints=0.031,
        model="gpt-4o-mini",
        toolCallInputTokens=412,
        toolCallOutputTokens=38,
        query=ctx.question,
        finishReason="stop",
        childrenResponses=[
            node(
                "weatherTool01",
                "天气查询",
                "tool",
                "Lp4xC9vB2nM7kJ1h",
                runningTime=0.83,
                totalPoints=0,
                toolInput={"city": city},
                toolRes={"temp": 26, "weather": "多云"},
                parentId="Vt7bN3mK1qW8eR2y",
            )
        ],
    )
    update = node(
        "varUpdate01", "变量更新", "variableUpdate", "Ow6eR1tY4uI7oP0a", runningTime=0, updateVarResult=[city]
    )
    return Turn(
        events=events,
        nodes=[_START, search, tools, update],
        variables={**ctx.variables, "city": city},
        title=f"{city}天气查询" if ctx.history_length == 0 else None,
        duration_seconds=3.62,
        points=0.0331,
    )


def reasoning_app(ctx: RunContext) -> Turn:
    thinking = f"用户问的是「{ctx.question}」，先想一想。"
    answer = f"关于「{ctx.question}」：这是思考后的回答。"
    events: list[tuple[str, Any]] = [("answer", answer_chunk(reasoning=part)) for part in _split(thinking, 6)]
    events += [("answer", answer_chunk(part)) for part in _split(answer, 6)]
    chat = _chat_node(ctx.question, answer, reasoningText=thinking)
    return Turn(events=events, nodes=[_START, chat], points=0.0042)


_SELECT = {
    "type": "userSelect",
    "params": {
        "description": "请确认是否提交订单",
        "userSelectOptions": [{"key": "option1", "value": "Confirm"}, {"key": "option2", "value": "Cancel"}],
    },
}


def _internal(interactive: dict[str, Any], entry: str) -> dict[str, Any]:
    # The stream payload carries FastGPT's internal resume fields too (wire spec 3.5).
    return {
        **interactive,
        "interactiveId": "mG1aR8cVtY2pLq0s",
        "skipNodeQueue": [],
        "entryNodeIds": [entry],
        "memoryEdges": [],
        "nodeOutputs": [],
        "usageId": "68ad85a7463006c963799a05",
    }


def select_app(ctx: RunContext) -> Turn:
    """Asks the user to confirm with a userSelect; the next message on the chat answers it."""
    if ctx.pending is not None and ctx.pending.get("type") == "userSelect":
        choice = ctx.question
        answer = "订单已提交。" if choice == "Confirm" else "已取消。"
        picked = node(
            "userSelect01",
            "用户选择",
            "userSelect",
            "Hm3kP8qR2sT6vW9x",
            runningTime=0,
            userSelectResult=choice,
        )
        return Turn(
            events=[("answer", answer_chunk(answer))],
            nodes=[picked, node("answer01", "指定回复", "answerNode", "Az7mQ2wE5rT8yU1i", runningTime=0)],
        )
    text = "好的，已为你生成订单草稿。"
    events: list[tuple[str, Any]] = [("flowNodeStatus", {"status": "running", "name": "AI 对话"})]
    events += [("answer", answer_chunk(part)) for part in _split(text, 3)]
    events.append(("interactive", {"interactive": _internal(_SELECT, "userSelect01")}))
    return Turn(
        events=events,
        nodes=[
            _START,
            _chat_node(ctx.question, text),
            node("userSelect01", "用户选择", "userSelect", "Hm3kP8qR2sT6vW9x"),
        ],
        duration_seconds=1.71,
    )


_FORM = {
    "type": "userInput",
    "params": {
        "description": "请填写收货信息",
        "inputForm": [
            {
                "type": "input",
                "key": "收件人",
                "label": "收件人",
                "value": "",
                "valueType": "string",
                "required": True,
            },
            {
                "type": "numberInput",
                "key": "数量",
                "label": "数量",
                "value": 1,
                "valueType": "number",
                "required": True,
                "min": 1,
                "max": 99,
            },
            {
                "type": "select",
                "key": "配送方式",
                "label": "配送方式",
                "value": "",
                "valueType": "string",
                "required": False,
                "list": [{"label": "快递", "value": "express"}, {"label": "自提", "value": "pickup"}],
            },
        ],
    },
}


def form_app(ctx: RunContext) -> Turn:
    """Asks for a form (userInput); the next message carries the values as a JSON string."""
    if ctx.pending is not None and ctx.pending.get("type") == "userInput":
        try:
            values = json.loads(ctx.question)
        except ValueError:
            values = {}
        who = values.get("收件人", "?") if isinstance(values, dict) else "?"
        count = values.get("数量", "?") if isinstance(values, dict) else "?"
        answer = f"已为 {who} 下单 {count} 件。"
        filled = node(
            "formInput01", "表单输入", "formInput", "Fq2wE4rT6yU8iO0p", runningTime=0, formInputResult=values
        )
        return Turn(events=[("answer", answer_chunk(answer))], nodes=[filled])
    events: list[tuple[str, Any]] = [("answer", answer_chunk("需要一些信息。"))]
    events.append(("interactive", {"interactive": _internal(_FORM, "formInput01")}))
    return Turn(
        events=events, nodes=[_START, node("formInput01", "表单输入", "formInput", "Fq2wE4rT6yU8iO0p")]
    )


def error_app(ctx: RunContext) -> Turn:
    """Starts answering, then fails the way FastGPT reports a network error: an `error` event."""
    return Turn(
        events=[
            ("flowNodeStatus", {"status": "running", "name": "AI 对话"}),
            ("answer", answer_chunk("正在")),
        ],
        error={"message": "网络连接异常"},
    )


def word_count_tool(ctx: RunContext) -> Turn:
    """A workflow tool: counts the words and characters of its `text` input."""
    text = str(ctx.variables.get("text", ""))
    result = {"words": len(text.split()), "characters": len(text)}
    inputs = node("pluginInput", "插件输入", "pluginInput", "Wc1nP7uT3xQ9sL2d", runningTime=0)
    outputs = node(
        "pluginOutput", "插件输出", "pluginOutput", "Wc2oR8vU4yS0tM3e", runningTime=0, pluginOutput=result
    )
    return Turn(
        events=[("flowNodeStatus", {"status": "running", "name": "插件输出"})],
        nodes=[inputs, outputs],
        duration_seconds=0.02,
    )


def builtin_apps() -> dict[str, tuple[str, App]]:
    """app id -> (name, app). The first is the default app of `FakeFastGPT`."""
    return {
        "66e29b870b24ce35330c0f08": ("echo", echo_app),
        "66e29b870b24ce35330c0f09": ("workflow", workflow_app),
        "66e29b870b24ce35330c0f0a": ("reasoning", reasoning_app),
        "66e29b870b24ce35330c0f0b": ("select", select_app),
        "66e29b870b24ce35330c0f0c": ("form", form_app),
        "66e29b870b24ce35330c0f0d": ("error", error_app),
        "66e29b870b24ce35330c0f0e": ("tool", WorkflowTool(word_count_tool)),
    }
