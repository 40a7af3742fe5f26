"""Streaming: typed events, the text-only view, and the assembled result.

Run it with `python -m examples.streaming`.
"""

from __future__ import annotations

from fastgpt_oapi.api.chat.model import (
    AnswerEvent,
    ChatCompletionRequest,
    ChatMessage,
    ChatStreamEvent,
    ChatTitleEvent,
    DoneEvent,
    FastAnswerEvent,
    FlowNodeResponseEvent,
    FlowNodeStatusEvent,
    FlowResponsesEvent,
    InteractiveEvent,
    ToolCallEvent,
    ToolParamsEvent,
    ToolResponseEvent,
    UnknownEvent,
    UpdateVariablesEvent,
    WorkflowDurationEvent,
)

from ._connect import connect, heading


def describe(event: ChatStreamEvent) -> str | None:
    """One line per event worth showing. `isinstance` narrows `event.data` to the event's own type."""
    if isinstance(event, (AnswerEvent, FastAnswerEvent)):
        if event.reasoning:
            return f"[thinking] {event.reasoning!r}"
        if event.text:
            return f"[{event.event}] {event.text!r}"
        if event.finish_reason:
            return f"[{event.event}] finished: {event.finish_reason}"
        return None  # FastGPT's heartbeat: an empty delta every 10 s while the workflow runs
    if isinstance(event, FlowNodeStatusEvent):
        return f"[node] {event.data.name} is {event.data.status}"
    if isinstance(event, ToolCallEvent):
        return f"[tool] calling {event.data.tool.tool_name} as {event.data.tool.function_name}()"
    if isinstance(event, ToolParamsEvent):
        return f"[tool] arguments += {event.data.tool.params!r}"
    if isinstance(event, ToolResponseEvent):
        return f"[tool] returned {event.data.tool.response}"
    if isinstance(event, UpdateVariablesEvent):
        return f"[variables] {event.data}"
    if isinstance(event, WorkflowDurationEvent):
        return f"[duration] {event.data.duration_seconds}s"
    if isinstance(event, ChatTitleEvent):
        return f"[title] {event.data.title}"
    if isinstance(event, InteractiveEvent):
        return f"[interactive] the workflow waits for a {event.data.type}"
    if isinstance(event, FlowNodeResponseEvent):  # v2: one per node, as each finishes
        return f"[flowNodeResponse] {event.data.module_name} took {event.data.running_time}s"
    if isinstance(event, FlowResponsesEvent):  # v1: all nodes at the end
        return f"[flowResponses] {len(event.data)} node responses"
    if isinstance(event, DoneEvent):
        return "[done]"
    if isinstance(event, UnknownEvent):
        # A newer server's event, kept with its raw data instead of being dropped.
        return f"[unknown {event.event}] {event.data!r} {event.error or ''}"
    return f"[{event.event}]"


def main() -> None:
    with connect() as target:
        client = target.client
        print(f"streaming against {target.where}")

        heading("Every typed event of a detail-mode workflow run")
        request = ChatCompletionRequest(
            messages=[ChatMessage.user("Shanghai")], app_id=target.app("workflow"), detail=True
        )
        # The request is sent when the stream is entered; the ids are known before any event arrives.
        with client.chat.chat_stream(request) as stream:
            print(f"chat_id={stream.chat_id} data_id={stream.data_id}")
            for event in stream:
                line = describe(event)
                if line is not None:
                    print(line)

        heading("Only the text, as it arrives, then the assembled result")
        with client.chat.chat_stream(request) as stream:
            for text in stream.text_stream:
                print(text, end="", flush=True)
            print()
            result = stream.get_final_response()
        print(f"answer:    {result.answer}")
        for call in result.tool_calls:  # toolCall + toolParams fragments + toolResponse, joined
            print(f"tool call: {call.function_name}({call.params}) -> {call.response}")
        print(f"variables: {result.new_variables}")
        print(f"title:     {result.title!r}")
        print(f"duration:  {result.duration_seconds}s, finish_reason={result.finish_reason}")
        print(f"nodes:     {[node.module_type for node in result.response_data]}")

        heading("Plain mode (detail=false): answer deltas only")
        plain = ChatCompletionRequest(messages=[ChatMessage.user("Who directed Suzume?")])
        with client.chat.chat_stream(plain) as stream:
            result = stream.get_final_response()  # reads everything, no loop needed
        print(f"answer: {result.answer}")

        heading("Reasoning models: thinking and answer kept apart")
        thinking = ChatCompletionRequest(messages=[ChatMessage.user("1+1?")], app_id=target.app("reasoning"))
        with client.chat.chat_stream(thinking) as stream:
            result = stream.get_final_response()
        print(f"reasoning: {result.reasoning}")
        print(f"answer:    {result.answer}")

        heading("Leaving early")
        with client.chat.chat_stream(request) as stream:
            for event in stream:
                if isinstance(event, ToolCallEvent):
                    print(f"saw the tool call to {event.data.tool.tool_name}; not waiting for the rest")
                    break  # leaving the block closes the response and frees the connection


if __name__ == "__main__":
    main()
