"""The transcripts every contender reads, written by the emulator (`fastgpt_oapi.testing`).

The apps are plain `Turn`s in FastGPT's own payload shapes, so the bytes are the ones a FastGPT server
writes: in detail mode one `event:` write and one `data:` write per event, in plain mode a `data:` line
per answer chunk. `ReplayTransport` hands the same prepared chunks to any httpx client, so a decode
benchmark measures the client's CPU only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, Final

import httpx

from fastgpt_oapi.testing import FakeFastGPT, RunContext, Turn, answer_chunk, node
from fastgpt_oapi.testing.apps import WEATHER_QUOTE

__all__ = [
    "APP_IDS",
    "CHAT_PATH",
    "CHAT_VERSION",
    "ReplayTransport",
    "Wire",
    "chunked",
    "message_count",
    "render",
    "small_app",
    "transcript",
]

# Every contender posts to the same path. v1, the path of the runs recorded in RESULTS.md, so that
# rounds stay comparable: the SDK is pinned to it (its default is v2, with the same body).
CHAT_VERSION: Final = "v1"
CHAT_PATH = f"/api/{CHAT_VERSION}/chat/completions"
# Apps the benchmark server registers (24 hex characters, as FastGPT app ids are).
APP_IDS = {"small": "be0c00000000000000000001", "concurrency": "be0c00000000000000000002"}

# Answer deltas as an LLM streams them: a few characters each, English and Chinese.
_TOKENS = (
    "The",
    " weather",
    " in",
    " Shanghai",
    " today",
    ":",
    " cloudy",
    ",",
    " 26",
    "℃",
    ".\n",
    "上海",
    "今天",
    "多云",
    "，",
    "气温",
    " 26℃",
    "。\n",
)


def transcript(answers: int, *, statuses_every: int = 2000) -> Turn:
    """A dataset search, a tool call, then `answers` answer chunks (a node status every
    `statuses_every`), a variable update; the emulator adds duration, title, stop chunk,
    `flowResponses` and `[DONE]`."""
    tool_id = "call_9f2c"
    args = json.dumps({"city": "上海"}, ensure_ascii=False)

    def tool(**fields: Any) -> dict[str, Any]:
        return {
            "tool": {"id": tool_id, "toolName": "", "toolAvatar": "", **fields},
            "responseValueId": tool_id,
        }

    events: list[tuple[str, Any]] = [
        ("flowNodeStatus", {"status": "running", "name": "知识库搜索"}),
        ("flowNodeStatus", {"status": "running", "name": "工具调用"}),
        (
            "toolCall",
            tool(
                toolName="天气查询", toolAvatar="core/app/type/plugin", functionName="get_weather", params=""
            ),
        ),
        *[("toolParams", tool(params=args[i : i + 6])) for i in range(0, len(args), 6)],
        ("toolResponse", tool(params="", response='{"temp":26,"weather":"多云"}')),
        ("flowNodeStatus", {"status": "running", "name": "AI 对话"}),
    ]
    for i in range(answers):
        events.append(("answer", answer_chunk(_TOKENS[i % len(_TOKENS)])))
        if statuses_every and i % statuses_every == statuses_every - 1 and i + 1 < answers:
            events.append(("flowNodeStatus", {"status": "running", "name": f"AI 对话 {i // statuses_every}"}))
    events.append(("updateVariables", {"city": "上海"}))
    nodes = [
        node("448745", "流程开始", "workflowStart", "iSol79OFrBH1I9kC", runningTime=0),
        node(
            "datasetSearch01",
            "知识库搜索",
            "datasetSearchNode",
            "p2HcT7vLq9WmXa3B",
            runningTime=0.52,
            totalPoints=0.0021,
            query="上海天气",
            embeddingModel="text-embedding-3-small",
            embeddingTokens=6,
            similarity=0.4,
            limit=3000,
            searchMode="embedding",
            quoteList=[WEATHER_QUOTE, {**WEATHER_QUOTE, "id": "654f2e49b64caef1d9431e8c", "chunkIndex": 4}],
        ),
        node(
            "toolCall01",
            "工具调用",
            "tools",
            "Vt7bN3mK1qW8eR2y",
            runningTime=2.91,
            totalPoints=0.031,
            model="gpt-4o-mini",
            toolCallInputTokens=412,
            toolCallOutputTokens=38,
            childrenResponses=[
                node(
                    "weatherTool01",
                    "天气查询",
                    "tool",
                    "Lp4xC9vB2nM7kJ1h",
                    runningTime=0.83,
                    toolInput={"city": "上海"},
                    toolRes={"temp": 26, "weather": "多云"},
                )
            ],
        ),
        node(
            "chatNode01",
            "AI 对话",
            "chatNode",
            "t1T94WCy6Su3BK4V",
            runningTime=41.2,
            totalPoints=0.42,
            model="gpt-4o-mini",
            tokens=answers + 20,
            inputTokens=20,
            outputTokens=answers,
            finishReason="stop",
            historyPreview=[{"obj": "Human", "value": "上海天气"}, {"obj": "AI", "value": "..."}],
        ),
        node("varUpdate01", "变量更新", "variableUpdate", "Ow6eR1tY4uI7oP0a", updateVarResult=["上海"]),
    ]
    return Turn(
        events=events, nodes=nodes, variables={"city": "上海"}, title="上海天气", duration_seconds=45.3
    )


def small_app(ctx: RunContext) -> Turn:
    """The least a completion can say: one short answer, no nodes (keeps the server's share small)."""
    return Turn(events=[("answer", answer_chunk("ok"))], duration_seconds=0.1)


class Wire:
    """One completion's response as the emulator writes it: headers and the chunks of its body."""

    def __init__(self, headers: dict[str, str], chunks: list[bytes]) -> None:
        self.headers = headers
        self.chunks = chunks

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


def render(turn: Turn, *, detail: bool) -> Wire:
    """The stream the emulator writes for `turn` (in `detail` mode or plain)."""
    fake = FakeFastGPT()
    app_id = "be0c0000000000000000000f"
    fake.register_app(app_id, lambda ctx: turn)
    body = json.dumps(
        {
            "appId": app_id,
            "stream": True,
            "detail": detail,
            "messages": [{"role": "user", "content": "上海天气"}],
        }
    ).encode()
    response = fake.handle("POST", CHAT_PATH, {}, {"authorization": f"Bearer {fake.api_key}"}, body)
    assert response.status == 200, response.body[:200]
    return Wire(response.headers, response.chunks)


def chunked(body: bytes, size: int) -> list[bytes]:
    """The same bytes cut into reads of `size` (what a socket gives when the writes pile up)."""
    return [body[i : i + size] for i in range(0, len(body), size)]


def message_count(body: bytes) -> int:
    """SSE messages in a body (FastGPT ends each with a blank line, LF only)."""
    return body.count(b"\n\n")


class _Replay(httpx.SyncByteStream):
    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._chunks)


class ReplayTransport(httpx.BaseTransport):
    """Answers every request with the same 200 response, chunk by chunk, from memory."""

    def __init__(self, headers: dict[str, str], chunks: Iterable[bytes]) -> None:
        self.headers = headers
        self.chunks = chunks

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return httpx.Response(200, headers=self.headers, stream=_Replay(self.chunks), request=request)
