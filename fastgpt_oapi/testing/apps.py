"""The emulator's apps: what a workflow says for one user message, in FastGPT's own payload shapes.

An app is any callable `(RunContext) -> Turn`. A `Turn` lists the workflow's SSE events in order
(`answer`, `fastAnswer`, `flowNodeStatus`, tool events, `interactive`, ...), the node responses of the
run, and how it ended. The emulator turns a Turn into each wire form: a detail or plain stream, or a
blocking JSON body, and stores it as records. Payloads here are plain dicts, written from the wire
spec, never produced by the SDK's models.

The built-in apps speak the emulator's language (`RunContext.language`): English by default, or the
Chinese of FastGPT's own transcripts with `FakeFastGPT(language="zh")`. Only the texts differ.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "WEATHER_QUOTE",
    "WEATHER_QUOTES",
    "App",
    "Language",
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


# What the built-in apps and the emulator's own texts (titles, question guides, errors) are written in.
Language = Literal["en", "zh"]


@dataclass
class RunContext:
    question: str
    chat_id: str
    data_id: str
    variables: dict[str, Any]
    # The interaction this chat is waiting on (as stored), if the previous turn paused.
    pending: dict[str, Any] | None
    history_length: int
    # The emulator's language (`FakeFastGPT(language=...)`), for an app that answers in it.
    language: Language = "en"


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


@dataclass(frozen=True)
class _Words:
    """What the built-in apps say, in one language. Templates take `{}` (or named) fields."""

    chat: str  # the AI chat node
    you_said: str
    city: str  # when the question names none
    cloudy: str
    weather_answer: str
    weather_title: str
    search: str
    tool_call: str
    weather_tool: str
    variable_update: str
    thinking: str
    considered: str
    confirm_order: str
    ordered: str
    cancelled: str
    user_select: str
    reply: str
    drafted: str
    delivery_details: str
    recipient: str
    quantity: str
    delivery: str
    express: str
    pickup: str
    placed: str  # {who}, {count}
    form_input: str
    need_details: str
    working: str
    network_error: str
    plugin_input: str
    plugin_output: str


_WORDS: dict[Language, _Words] = {
    "en": _Words(
        chat="AI Chat",
        you_said="You said: {}",
        city="Shanghai",
        cloudy="cloudy",
        weather_answer="Cloudy in {} today, 26℃.",
        weather_title="Weather in {}",
        search="Dataset Search",
        tool_call="Tool Call",
        weather_tool="Weather",
        variable_update="Variable Update",
        thinking='The user asked "{}"; let me think first.',
        considered='About "{}": this is the considered answer.',
        confirm_order="Please confirm the order.",
        ordered="Order submitted.",
        cancelled="Cancelled.",
        user_select="User Select",
        reply="Reply",
        drafted="OK, I have drafted your order.",
        delivery_details="Please fill in the delivery details.",
        recipient="Recipient",
        quantity="Quantity",
        delivery="Delivery",
        express="Express",
        pickup="Pickup",
        placed="Ordered {count} for {who}.",
        form_input="Form Input",
        need_details="I need a few details.",
        working="Working on it",
        network_error="Network connection error",
        plugin_input="Plugin Input",
        plugin_output="Plugin Output",
    ),
    "zh": _Words(
        chat="AI 对话",
        you_said="你说：{}",
        city="上海",
        cloudy="多云",
        weather_answer="{}今天多云，气温 26℃。",
        weather_title="{}天气查询",
        search="知识库搜索",
        tool_call="工具调用",
        weather_tool="天气查询",
        variable_update="变量更新",
        thinking="用户问的是「{}」，先想一想。",
        considered="关于「{}」：这是思考后的回答。",
        confirm_order="请确认是否提交订单",
        ordered="订单已提交。",
        cancelled="已取消。",
        user_select="用户选择",
        reply="指定回复",
        drafted="好的，已为你生成订单草稿。",
        delivery_details="请填写收货信息",
        recipient="收件人",
        quantity="数量",
        delivery="配送方式",
        express="快递",
        pickup="自提",
        placed="已为 {who} 下单 {count} 件。",
        form_input="表单输入",
        need_details="需要一些信息。",
        working="正在",
        network_error="网络连接异常",
        plugin_input="插件输入",
        plugin_output="插件输出",
    ),
}


_START = node(
    "448745", "common:core.module.template.work_start", "workflowStart", "iSol79OFrBH1I9kC", runningTime=0
)


def _chat_node(
    words: _Words, question: str, answer: str, response_id: str = "t1T94WCy6Su3BK4V", **extra: Any
) -> dict[str, Any]:
    return node(
        "chatNode01",
        words.chat,
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
    words = _WORDS[ctx.language]
    answer = words.you_said.format(ctx.question)
    events: list[tuple[str, Any]] = [("flowNodeStatus", {"status": "running", "name": words.chat})]
    events += [("answer", answer_chunk(part)) for part in _split(answer)]
    return Turn(events=events, nodes=[_START, _chat_node(words, ctx.question, answer)], points=0.0042)


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
# The quote the workflow app cites, by language (WEATHER_QUOTE is the Chinese one).
WEATHER_QUOTES: dict[Language, dict[str, Any]] = {
    "en": {**WEATHER_QUOTE, "q": "How do I check the weather in Shanghai?", "a": "Call the weather tool."},
    "zh": WEATHER_QUOTE,
}


def workflow_app(ctx: RunContext) -> Turn:
    """Dataset search, a tool call with streamed params, a variable update and a title."""
    words = _WORDS[ctx.language]
    city = ctx.question.strip() or words.city
    args = json.dumps({"city": city}, ensure_ascii=False, separators=(",", ":"))
    result = json.dumps({"temp": 26, "weather": words.cloudy}, ensure_ascii=False, separators=(",", ":"))
    answer = words.weather_answer.format(city)
    tool_id = "call_9f2c"

    def tool(**kw: Any) -> dict[str, Any]:
        return {"tool": {"id": tool_id, "toolName": "", "toolAvatar": "", **kw}, "responseValueId": tool_id}

    events: list[tuple[str, Any]] = [
        ("flowNodeStatus", {"status": "running", "name": words.search}),
        ("flowNodeStatus", {"status": "running", "name": words.tool_call}),
        (
            "toolCall",
            {
                "tool": {
                    "id": tool_id,
                    "toolName": words.weather_tool,
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
        words.search,
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
        quoteList=[WEATHER_QUOTES[ctx.language]],
    )
    tools = node(
        "toolCall01",
        words.tool_call,
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
                words.weather_tool,
                "tool",
                "Lp4xC9vB2nM7kJ1h",
                runningTime=0.83,
                totalPoints=0,
                toolInput={"city": city},
                toolRes={"temp": 26, "weather": words.cloudy},
                parentId="Vt7bN3mK1qW8eR2y",
            )
        ],
    )
    update = node(
        "varUpdate01",
        words.variable_update,
        "variableUpdate",
        "Ow6eR1tY4uI7oP0a",
        runningTime=0,
        updateVarResult=[city],
    )
    return Turn(
        events=events,
        nodes=[_START, search, tools, update],
        variables={**ctx.variables, "city": city},
        title=words.weather_title.format(city) if ctx.history_length == 0 else None,
        duration_seconds=3.62,
        points=0.0331,
    )


def reasoning_app(ctx: RunContext) -> Turn:
    words = _WORDS[ctx.language]
    thinking = words.thinking.format(ctx.question)
    answer = words.considered.format(ctx.question)
    events: list[tuple[str, Any]] = [("answer", answer_chunk(reasoning=part)) for part in _split(thinking, 6)]
    events += [("answer", answer_chunk(part)) for part in _split(answer, 6)]
    chat = _chat_node(words, ctx.question, answer, reasoningText=thinking)
    return Turn(events=events, nodes=[_START, chat], points=0.0042)


def _select(words: _Words) -> dict[str, Any]:
    return {
        "type": "userSelect",
        "params": {
            "description": words.confirm_order,
            "userSelectOptions": [
                {"key": "option1", "value": "Confirm"},
                {"key": "option2", "value": "Cancel"},
            ],
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
    words = _WORDS[ctx.language]
    if ctx.pending is not None and ctx.pending.get("type") == "userSelect":
        choice = ctx.question
        answer = words.ordered if choice == "Confirm" else words.cancelled
        picked = node(
            "userSelect01",
            words.user_select,
            "userSelect",
            "Hm3kP8qR2sT6vW9x",
            runningTime=0,
            userSelectResult=choice,
        )
        return Turn(
            events=[("answer", answer_chunk(answer))],
            nodes=[picked, node("answer01", words.reply, "answerNode", "Az7mQ2wE5rT8yU1i", runningTime=0)],
        )
    text = words.drafted
    events: list[tuple[str, Any]] = [("flowNodeStatus", {"status": "running", "name": words.chat})]
    events += [("answer", answer_chunk(part)) for part in _split(text, 3)]
    events.append(("interactive", {"interactive": _internal(_select(words), "userSelect01")}))
    return Turn(
        events=events,
        nodes=[
            _START,
            _chat_node(words, ctx.question, text),
            node("userSelect01", words.user_select, "userSelect", "Hm3kP8qR2sT6vW9x"),
        ],
        duration_seconds=1.71,
    )


def _form(words: _Words) -> dict[str, Any]:
    return {
        "type": "userInput",
        "params": {
            "description": words.delivery_details,
            "inputForm": [
                {
                    "type": "input",
                    "key": words.recipient,
                    "label": words.recipient,
                    "value": "",
                    "valueType": "string",
                    "required": True,
                },
                {
                    "type": "numberInput",
                    "key": words.quantity,
                    "label": words.quantity,
                    "value": 1,
                    "valueType": "number",
                    "required": True,
                    "min": 1,
                    "max": 99,
                },
                {
                    "type": "select",
                    "key": words.delivery,
                    "label": words.delivery,
                    "value": "",
                    "valueType": "string",
                    "required": False,
                    "list": [
                        {"label": words.express, "value": "express"},
                        {"label": words.pickup, "value": "pickup"},
                    ],
                },
            ],
        },
    }


def form_app(ctx: RunContext) -> Turn:
    """Asks for a form (userInput); the next message carries the values as a JSON string."""
    words = _WORDS[ctx.language]
    if ctx.pending is not None and ctx.pending.get("type") == "userInput":
        try:
            values = json.loads(ctx.question)
        except ValueError:
            values = {}
        who = values.get(words.recipient, "?") if isinstance(values, dict) else "?"
        count = values.get(words.quantity, "?") if isinstance(values, dict) else "?"
        answer = words.placed.format(who=who, count=count)
        filled = node(
            "formInput01",
            words.form_input,
            "formInput",
            "Fq2wE4rT6yU8iO0p",
            runningTime=0,
            formInputResult=values,
        )
        return Turn(events=[("answer", answer_chunk(answer))], nodes=[filled])
    events: list[tuple[str, Any]] = [("answer", answer_chunk(words.need_details))]
    events.append(("interactive", {"interactive": _internal(_form(words), "formInput01")}))
    return Turn(
        events=events, nodes=[_START, node("formInput01", words.form_input, "formInput", "Fq2wE4rT6yU8iO0p")]
    )


def error_app(ctx: RunContext) -> Turn:
    """Starts answering, then fails the way FastGPT reports a network error: an `error` event."""
    words = _WORDS[ctx.language]
    return Turn(
        events=[
            ("flowNodeStatus", {"status": "running", "name": words.chat}),
            ("answer", answer_chunk(words.working)),
        ],
        error={"message": words.network_error},
    )


def word_count_tool(ctx: RunContext) -> Turn:
    """A workflow tool: counts the words and characters of its `text` input."""
    words = _WORDS[ctx.language]
    text = str(ctx.variables.get("text", ""))
    result = {"words": len(text.split()), "characters": len(text)}
    inputs = node("pluginInput", words.plugin_input, "pluginInput", "Wc1nP7uT3xQ9sL2d", runningTime=0)
    outputs = node(
        "pluginOutput",
        words.plugin_output,
        "pluginOutput",
        "Wc2oR8vU4yS0tM3e",
        runningTime=0,
        pluginOutput=result,
    )
    return Turn(
        events=[("flowNodeStatus", {"status": "running", "name": words.plugin_output})],
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
