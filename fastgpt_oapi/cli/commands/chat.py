"""`fastgpt-oapi chat`: one turn from an argument or stdin, or an interactive session on a terminal.

What goes where (docs/cli.md, "chat"):

- text (the default, on a terminal and piped alike): the answer streamed to stdout as it arrives, then a
  newline; reasoning, `--detail` notes (node status, tool calls, quotes) and hints on stderr, dimmed on
  a terminal. A chat's answer is text by nature, so `$(fastgpt-oapi chat hi)` gets the answer.
- `--events` (or `-o jsonl`): every stream event as a JSON line `{"event": ..., "data": ...}`.
- `-o json`: the stream's final result (`ChatStreamResult`) as one JSON object at the end.

The interactive session uses the SDK's streaming API: `chat_stream`, the typed events, the final
result's `interactive` question answered with its `reply(...)`, and `stop_chat` on Ctrl-C. The SDK's
models are imported inside the functions: `--help` loads none.
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..app import CliError, UsageError, state_of
from ..exit_codes import ExitCode
from ..output import Output, to_jsonable

if TYPE_CHECKING:
    from ...api.chat.model import ChatStreamEvent
    from ...api.shared.interactive import FormField, Interactive
    from ...api.shared.message import ChatMessage
    from ...client import Client
    from ..app import State

__all__ = ["chat", "parse_variables"]


def chat(
    ctx: typer.Context,
    message: Annotated[
        str | None,
        typer.Argument(
            help="The message; '-' reads it from stdin (as does no message when stdin is not a terminal)."
            " Left out on a terminal: an interactive session.",
            metavar="MESSAGE|-",
            show_default=False,
        ),
    ] = None,
    events: Annotated[
        bool,
        typer.Option("--events", help='Every stream event as a JSON line: {"event": ..., "data": ...}'),
    ] = False,
    chat_id: Annotated[
        str | None, typer.Option("--chat-id", metavar="ID", help="Continue this chat (default: a new one)")
    ] = None,
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var",
            metavar="KEY=VALUE",
            help="A workflow variable: key=value (a string) or key:=JSON (a number, true, a list...);"
            " repeatable",
            show_default=False,
        ),
    ] = None,
    detail: Annotated[
        bool,
        typer.Option(
            "--detail",
            help="FastGPT's detail mode: node status, tool calls, quotes and interactive questions"
            " (on stderr in text output; in the events and the JSON result)",
        ),
    ] = False,
) -> None:
    """Chat with an app: one turn (the answer streamed to stdout), or an interactive session.

    With no message on a terminal: a session on one chat id; Ctrl-C stops a running answer,
    Ctrl-D (or Ctrl-C at an empty prompt) ends it.
    """
    state = state_of(ctx)
    out = state.out
    variables = parse_variables(var or [])
    mode = _mode(out, events)
    interactive = message is None and sys.stdin.isatty()
    if interactive:
        if mode != "text":
            raise UsageError("--events and -o json/jsonl need a message (an argument, or '-' for stdin)")
        _session(state, chat_id=chat_id, variables=variables, detail=detail)
        return
    if message is None or message == "-":
        message = sys.stdin.read().rstrip("\r\n")
    if not message.strip():
        raise UsageError("the message is empty")
    _one_turn(state, message, mode=mode, chat_id=chat_id, variables=variables, detail=detail)


def parse_variables(pairs: list[str]) -> dict[str, Any]:
    """`--var` values: `key=value` is the string `value`; `key:=json` is that JSON value (httpie's
    convention), so `n:=3` is a number and `n=3` the string "3"."""
    variables: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"--var {pair!r}: expected key=value or key:=JSON")
        typed = key.endswith(":")
        key = key[:-1] if typed else key
        if not key:
            raise UsageError(f"--var {pair!r}: the key is empty")
        if typed:
            try:
                variables[key] = json.loads(value)
            except ValueError:
                raise UsageError(f"--var {key}: {value!r} is not JSON (use {key}=... for a string)") from None
        else:
            variables[key] = value
    return variables


def _mode(out: Output, events: bool) -> str:
    forced = out.forced
    if events:
        if forced in ("text", "json"):
            raise UsageError(f"--events writes JSON lines: it cannot go with -o {forced}")
        return "events"
    return {"jsonl": "events", "json": "json"}.get(forced or "text", "text")


def _request(message: ChatMessage, chat_id: str | None, variables: dict[str, Any], detail: bool) -> Any:
    from ...api.chat.model import ChatCompletionRequest

    return ChatCompletionRequest(
        messages=[message], chat_id=chat_id, variables=variables or None, detail=detail
    )


def event_json(event: ChatStreamEvent) -> dict[str, Any]:
    """One event as `--events` writes it: its name as FastGPT sends it (the SDK's name for `[DONE]`:
    "done"; an unknown event's own name) and its data with the SDK's snake_case field names."""
    return {"event": event.event, "data": to_jsonable(event.data)}


# ---- one turn ---------------------------------------------------------------------------------


def _one_turn(
    state: State, message: str, *, mode: str, chat_id: str | None, variables: dict[str, Any], detail: bool
) -> None:
    from ...api.chat.model import ChatMessage

    out = state.out
    client = state.client()
    request = _request(ChatMessage.user(message), chat_id, variables, detail)
    stream = client.chat.chat_stream(request)
    try:
        with stream:
            if mode == "events":
                for event in stream:
                    out.json_line(event_json(event))
                return
            if mode == "json":
                out.json_line(stream.get_final_response())
                return
            render = _Render(out, reasoning=detail or out.stderr_is_terminal, detail=detail)
            try:
                for event in stream:
                    render.event(event)
                result = stream.get_final_response()
            finally:
                render.finish()
    except KeyboardInterrupt:
        _stop(client, stream.chat_id, out)
        raise
    except Exception as error:
        _raise_stream_error(error)
        raise
    if result.interactive is not None:
        _show_question(out, result.interactive, stream.chat_id)
    elif out.stderr_is_terminal:
        out.hint(f"continue with --chat-id {stream.chat_id}")


def _raise_stream_error(error: Exception) -> None:
    """An `error` event after the stream started: the server gave up, exit 8 (a server error). A
    connection that broke (or a body cut short) stays an APIConnectionError: exit 7."""
    from ...core.errors import StreamError

    if isinstance(error, StreamError):
        raise CliError(f"the app failed: {error}", ExitCode.SERVER, kind="StreamError") from error


def _stop(client: Client, chat_id: str, out: Output) -> bool:
    """Ask FastGPT to stop the chat's run (`stop_chat`); a failure is reported, not raised."""
    from ...api.chat.model import StopChatRequest
    from ...core.errors import FastGPTError

    try:
        client.chat.stop_chat(StopChatRequest(chat_id=chat_id))
    except FastGPTError as error:
        out.hint(f"[could not stop the run: {error}]")
        return False
    out.hint("[stopped]")
    return True


def _show_question(out: Output, asked: Interactive, chat_id: str) -> None:
    """One turn paused on an interactive node: say what it asks and how to answer."""
    from ...api.shared.interactive import (
        AgentAskInteractive,
        PaymentPauseInteractive,
        UserInputInteractive,
        UserSelectInteractive,
    )

    answer = "VALUE"
    if isinstance(asked, UserSelectInteractive):
        out.hint(f"the app asks: {asked.params.description} options: {', '.join(asked.options)}")
        answer = repr(asked.options[0]) if asked.options else answer
    elif isinstance(asked, UserInputInteractive):
        names = ", ".join(f.key + ("" if f.required else " (optional)") for f in asked.params.input_form)
        out.hint(f"the app asks for a form: {asked.params.description} fields: {names}")
        answer = "'{\"field\": value, ...}'"
    elif isinstance(asked, AgentAskInteractive):
        out.hint("the app asks: " + " / ".join(q.question for q in asked.questions))
        answer = '\'{"answers": ["...", ...]}\''
    elif isinstance(asked, PaymentPauseInteractive):
        out.hint("the run paused: the team is out of AI points")
        answer = "Continue"
    else:
        out.hint(f"the app asks a question of type {asked.type!r}")
    out.hint(f"answer with: fastgpt-oapi chat --chat-id {chat_id} --detail {answer}")


# ---- text output of a turn --------------------------------------------------------------------


class _Render:
    """A turn as text: the answer on stdout as it arrives; reasoning and `--detail` notes on stderr,
    dimmed on a terminal. On a terminal, a note never lands in the middle of the answer's line."""

    def __init__(self, out: Output, *, reasoning: bool, detail: bool) -> None:
        self.out = out
        self.reasoning = reasoning
        self.detail = detail
        self.answer_tail = ""  # the last character of the answer written ("" before any)
        self.wrote_answer = False
        self.answer_open = False  # the answer's current line has text and no newline yet
        self.reasoning_open = False
        self.tools: dict[str, list[str]] = {}  # tool id -> [name, params]

    def event(self, event: ChatStreamEvent) -> None:
        from ...api.chat.model import ChunkEvent

        if isinstance(event, ChunkEvent):
            if event.reasoning and self.reasoning:
                self._reason(event.reasoning)
            if event.text:
                self._answer(event.text)
        elif self.detail:
            self._detail(event)

    def _answer(self, text: str) -> None:
        if self.reasoning_open:
            self._dim("\n")
            self.reasoning_open = False
        self.out.write(text)
        self.wrote_answer = True
        self.answer_tail = text[-1]
        self.answer_open = text[-1] != "\n"

    def _reason(self, text: str) -> None:
        self._break_answer()
        self._dim(text)
        self.reasoning_open = text[-1] != "\n"

    def note(self, text: str) -> None:
        self._break_answer()
        if self.reasoning_open:
            self._dim("\n")
            self.reasoning_open = False
        self._dim(text + "\n")

    def _break_answer(self) -> None:
        # Only where a person reads both streams on one screen; piped, the answer is left as sent.
        if self.answer_open and self.out.is_terminal:
            self.out.write("\n")
            self.answer_open = False
            self.answer_tail = "\n"

    def _dim(self, text: str) -> None:
        out = self.out
        if out.stderr_is_terminal:
            out.err_console.print(text, style="dim", end="", markup=False, highlight=False)
            out.stderr.flush()
        else:
            out.stderr.write(text)
            out.stderr.flush()

    def _detail(self, event: ChatStreamEvent) -> None:
        from ...api.chat.model import (
            FlowNodeResponseEvent,
            FlowNodeStatusEvent,
            FlowResponsesEvent,
            ToolCallEvent,
            ToolParamsEvent,
            ToolResponseEvent,
        )

        if isinstance(event, FlowNodeStatusEvent):
            self.note(f"· {event.data.name}")
        elif isinstance(event, ToolCallEvent):
            tool = event.data.tool
            self.tools[tool.id] = [tool.tool_name or tool.function_name or tool.id, tool.params or ""]
            self.note(f"· tool {self.tools[tool.id][0]}")
        elif isinstance(event, ToolParamsEvent):
            tool = event.data.tool
            self.tools.setdefault(tool.id, [tool.tool_name or tool.id, ""])[1] += tool.params or ""
        elif isinstance(event, ToolResponseEvent):
            tool = event.data.tool
            name, params = self.tools.get(tool.id, [tool.tool_name or tool.id, ""])
            self.note(f"· {name}({params}) -> {_short(tool.response or '')}")
        elif isinstance(event, FlowNodeResponseEvent):
            self._quotes([event.data])
        elif isinstance(event, FlowResponsesEvent):
            self._quotes(event.data)

    def _quotes(self, nodes: list[Any]) -> None:
        for node in nodes:
            for quote in node.quote_list or []:
                where = quote.source_name or quote.collection_id or quote.id
                index = "" if quote.chunk_index is None else f" #{quote.chunk_index}"
                self.note(f"· quote {where}{index}: {_short(quote.q or '', 80)}")
            self._quotes(node.children_responses or [])

    def finish(self) -> None:
        """The turn is over (or failed): close the reasoning line, end the answer with a newline."""
        if self.reasoning_open:
            self._dim("\n")
            self.reasoning_open = False
        if self.answer_tail and self.answer_tail != "\n":
            self.out.write("\n")
        self.answer_tail = ""
        self.answer_open = False


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- the interactive session ------------------------------------------------------------------


def _session(state: State, *, chat_id: str | None, variables: dict[str, Any], detail: bool) -> None:
    from ...api.chat.model import ChatMessage
    from ...api.chat.service import new_id
    from ...core.errors import APIStatusError, FastGPTError

    with contextlib.suppress(ImportError):  # line editing and history at the prompt (not on Windows)
        import readline  # noqa: F401

    out = state.out
    client = state.client()
    chat_id = chat_id or new_id()
    app_id = state.settings().app_id
    out.hint(
        f"chat {chat_id}" + (f" with app {app_id}" if app_id else "") + ": Ctrl-C stops an answer,"
        " Ctrl-D (or Ctrl-C at an empty prompt) ends the session"
    )
    pending: ChatMessage | None = None
    while True:
        if pending is None:
            text = _read("> ")
            if text is None:
                out.hint(f"continue with --chat-id {chat_id}")
                return
            if not text.strip():
                continue
            message = ChatMessage.user(text)
        else:
            message, pending = pending, None
        # Always in detail: interactive nodes are only sent in detail mode.
        request = _request(message, chat_id, variables, True)
        render = _Render(out, reasoning=True, detail=detail)
        try:
            with client.chat.chat_stream(request) as stream:
                for event in stream:
                    render.event(event)
                result = stream.get_final_response()
        except KeyboardInterrupt:
            render.finish()
            if out.is_terminal and not render.wrote_answer:
                out.write("\n")  # after the terminal's "^C"
            _stop(client, chat_id, out)
            continue
        except FastGPTError as error:
            render.finish()
            if isinstance(error, APIStatusError) and error.status_code in (401, 403, 404):
                raise  # nothing the next turn would change: exit with its code
            out.error(str(error), kind=type(error).__name__, code=1)
            continue
        render.finish()
        if result.interactive is not None:
            pending = _ask(out, result.interactive)


def _read(prompt: str) -> str | None:
    """A line typed at the prompt; None for Ctrl-D or Ctrl-C (the newline they leave out is added)."""
    try:
        return input(prompt)
    except (EOFError, KeyboardInterrupt):
        print(file=sys.stdout, flush=True)
        return None


def _say(out: Output, text: str) -> None:
    out.write(text + "\n")


def _ask(out: Output, asked: Interactive) -> ChatMessage | None:
    """Ask the app's question at the prompt; the reply to send, or None (the user skipped it: their
    next message goes to the chat as usual)."""
    from ...api.shared.interactive import (
        AgentAskInteractive,
        PaymentPauseInteractive,
        UserInputInteractive,
        UserSelectInteractive,
    )

    try:
        if isinstance(asked, UserSelectInteractive):
            return _ask_select(out, asked)
        if isinstance(asked, UserInputInteractive):
            return _ask_form(out, asked)
        if isinstance(asked, AgentAskInteractive):
            return _ask_agent(out, asked)
        if isinstance(asked, PaymentPauseInteractive):
            _say(out, "The run paused: the team is out of AI points.")
            answer = _read("continue after topping up? [y/N] ")
            return asked.reply() if answer and answer.strip().lower() in ("y", "yes") else None
    except _Skip:
        out.hint("[question skipped: your next message goes to the chat]")
        return None
    out.hint(f"[the app asks a question of type {asked.type!r}: answer it in your next message]")
    return None


class _Skip(Exception):
    """Ctrl-C or Ctrl-D at a question's prompt."""


def _answer(prompt: str) -> str:
    text = _read(prompt)
    if text is None:
        raise _Skip
    return text.strip()


def _pick(text: str, values: list[str], labels: list[str] | None = None) -> str | None:
    """An option chosen by its number, its value or its label (case-insensitive)."""
    if text.isdigit() and 1 <= int(text) <= len(values):
        return values[int(text) - 1]
    for i, value in enumerate(values):
        if text.casefold() in (value.casefold(), (labels[i] if labels else value).casefold()):
            return value
    return None


def _ask_select(out: Output, asked: Any) -> ChatMessage:
    if asked.params.description:
        _say(out, asked.params.description)
    options: list[str] = asked.options
    for number, value in enumerate(options, 1):
        _say(out, f"  {number}. {value}")
    while True:
        chosen = _pick(_answer(f"choose [1-{len(options)}]> "), options)
        if chosen is not None:
            reply: ChatMessage = asked.reply(chosen)
            return reply
        _say(out, "type an option's number or its text (Ctrl-D to skip)")


def _ask_form(out: Output, asked: Any) -> ChatMessage:
    if asked.params.description:
        _say(out, asked.params.description)
    values: dict[str, Any] = {}
    for field in asked.params.input_form:
        value = _ask_field(out, field)
        if value is not _MISSING:
            values[field.key] = value
    try:
        reply: ChatMessage = asked.reply(values)
    except ValueError as error:
        out.hint(f"[{error}]")
        raise _Skip from None
    return reply


_MISSING = object()
_TRUE, _FALSE = ("y", "yes", "true", "1", "on"), ("n", "no", "false", "0", "off")


def _ask_field(out: Output, field: FormField) -> Any:
    """One form field, asked until its value fits its type."""
    options = [o for o in field.options or [] if o.value is not None]
    values = [str(o.value) for o in options]
    labels = [str(o.label or o.value) for o in options]
    default = field.default_value if field.default_value not in (None, "") else None
    if default is None and field.value not in (None, "", []):
        default = field.value
    shown = [field.label or field.key]
    if options:
        shown.append("(" + ", ".join(f"{i}. {label}" for i, label in enumerate(labels, 1)) + ")")
    if field.type == "switch" or field.value_type == "boolean":
        shown.append("[y/n]")
    if default is not None:
        shown.append(f"[{default}]")
    elif not field.required:
        shown.append("(optional)")
    prompt = " ".join(shown) + ": "
    while True:
        text = _answer(prompt)
        if not text:
            if default is not None:
                return default
            if not field.required:
                return _MISSING
            _say(out, "required")
            continue
        try:
            return _convert(field, text, values, labels)
        except ValueError as error:
            _say(out, str(error))


def _convert(field: FormField, text: str, values: list[str], labels: list[str]) -> Any:
    kind, value_type = field.type, field.value_type
    if kind == "multipleSelect":
        picked = [_pick(part.strip(), values, labels) for part in text.split(",") if part.strip()]
        if None in picked:
            raise ValueError("type option numbers or texts, separated by commas")
        return picked
    if values:
        chosen = _pick(text, values, labels)
        if chosen is None:
            raise ValueError("type an option's number or its text")
        return chosen
    if kind == "switch" or value_type == "boolean":
        if text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        raise ValueError("y or n")
    if kind == "numberInput" or value_type == "number":
        try:
            number: int | float = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise ValueError("a number") from None
        if (field.min is not None and number < field.min) or (field.max is not None and number > field.max):
            raise ValueError(f"a number from {field.min} to {field.max}")
        return number
    if kind == "JSONEditor" or (value_type or "").startswith(("object", "array")):
        try:
            return json.loads(text)
        except ValueError:
            raise ValueError("JSON") from None
    return text


def _ask_agent(out: Output, asked: Any) -> ChatMessage:
    if asked.params.description:
        _say(out, asked.params.description)
    answers: list[str] = []
    for question in asked.questions:
        _say(out, question.question)
        values = [o.value for o in question.options]
        for number, option in enumerate(question.options, 1):
            _say(out, f"  {number}. {option.summary or option.value}")
        text = _answer("answer> ")
        answers.append((_pick(text, values) or text) if values else text)
    reply: ChatMessage = asked.reply(*answers)
    return reply
