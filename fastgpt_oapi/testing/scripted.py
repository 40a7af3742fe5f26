"""Scripted apps: apps written as JSON rules instead of Python, for front ends and other languages.

A file (`fastgpt-oapi emulator --apps FILE`, or `load_apps(path)`) lists apps; each app is a list of
rules, tried in order against the user's message, and a default reply. A reply is an answer, with
optional reasoning, quotes, an interactive question (userSelect or userInput) whose answer is matched
against the rule's `then` rules, an error, and a chat title. The format is documented in
docs/testing.md ("Scripted apps"); `parse_apps` checks a whole file and names the first wrong place by
its path in the JSON (`apps[0].rules[2].interactive.userSelect.options`).

A `ScriptedApp` is an ordinary app, `(RunContext) -> Turn`: it writes the same events and node
responses as the built-in apps (`apps.py`), so streams, blocking answers, records and replies to
interactive nodes work as for them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .apps import RunContext, Turn, answer_chunk, node
from .ids import is_object_id

__all__ = ["AppsFileError", "Reply", "Rule", "ScriptedApp", "load_apps", "parse_apps"]


class AppsFileError(ValueError):
    """An apps file that cannot be served: `where` is the path into the JSON (`apps[0].rules[1].match`),
    the message says what is wrong there."""

    def __init__(self, where: str, problem: str, *, source: str = "") -> None:
        self.where, self.problem, self.source = where, problem, source
        prefix = f"{source}: " if source else ""
        super().__init__(f"{prefix}{where}: {problem}" if where else f"{prefix}{problem}")


# Form field types a scripted userInput may ask with, and the value type FastGPT gives each
# (`FlowNodeInputTypeEnum` / `WorkflowIOValueTypeEnum`, packages/global/core/workflow/node/constant.ts
# and constants.ts, as the SDK's `FormFieldType` reads them at f88b51b5).
_FIELD_VALUE_TYPES = {
    "input": "string",
    "textarea": "string",
    "password": "string",
    "numberInput": "number",
    "switch": "boolean",
    "select": "string",
    "multipleSelect": "arrayString",
}
_REPLY_KEYS = ("answer", "reasoning", "quotes", "interactive", "then", "error", "title")
_RULE_KEYS = ("match", "regex", *_REPLY_KEYS)
_QUOTE_KEYS = ("q", "a", "sourceName", "score", "id", "datasetId", "collectionId", "sourceId", "chunkIndex")
# What an app without a `default` answers when no rule matches.
_NO_RULE = {"answer": 'No rule matched "{{question}}".'}
_TEMPLATE = re.compile(r"\{\{\s*(question|form\.[^}\s]+)\s*\}\}")


@dataclass(frozen=True)
class Reply:
    """What a rule answers. `interactive` is the wire form (`{"type": ..., "params": ...}`)."""

    answer: str = ""
    reasoning: str | None = None
    quotes: tuple[dict[str, Any], ...] = ()
    interactive: dict[str, Any] | None = None
    then: tuple[Rule, ...] = ()
    error: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Rule:
    """Matches a message containing `contains` (case-insensitively), or one `regex` finds; with
    neither, every message."""

    reply: Reply
    contains: str | None = None
    regex: re.Pattern[str] | None = None

    def matches(self, question: str) -> bool:
        if self.contains is not None:
            return self.contains.casefold() in question.casefold()
        if self.regex is not None:
            return self.regex.search(question) is not None
        return True


@dataclass(frozen=True)
class ScriptedApp:
    """An app from an apps file: `rules` in order, else `default`. `app_id` is the file's `id`, or
    None to have one made up when it is registered."""

    name: str
    rules: tuple[Rule, ...]
    default: Reply
    app_id: str | None = None
    # Every rule with an interactive question, by the node id its question carries: the next
    # message on the chat is matched against that rule's `then` first.
    asking: dict[str, Rule] = field(default_factory=dict, compare=False)

    def __call__(self, ctx: RunContext) -> Turn:
        rules = self.rules
        form: dict[str, Any] = {}
        if ctx.pending is not None:
            entry = (ctx.pending.get("entryNodeIds") or [""])[0]
            asked = self.asking.get(entry)
            if asked is not None:
                rules = asked.reply.then + rules
            if ctx.pending.get("type") == "userInput":
                try:
                    values = json.loads(ctx.question)
                except ValueError:
                    values = None
                form = values if isinstance(values, dict) else {}
        reply = next((rule.reply for rule in rules if rule.matches(ctx.question)), self.default)
        return _turn(self, reply, ctx, form)


def _fill(text: str, ctx: RunContext, form: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "question":
            return ctx.question
        got = form.get(name[len("form.") :], "")
        return got if isinstance(got, str) else json.dumps(got, ensure_ascii=False)

    return _TEMPLATE.sub(value, text)


def _split(text: str, size: int = 8) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _turn(app: ScriptedApp, reply: Reply, ctx: RunContext, form: dict[str, Any]) -> Turn:
    answer = _fill(reply.answer, ctx, form)
    reasoning = _fill(reply.reasoning, ctx, form) if reply.reasoning else None
    events: list[tuple[str, Any]] = []
    nodes: list[dict[str, Any]] = [
        node("scriptedStart", "Workflow start", "workflowStart", f"{app.name}-start"[:16], runningTime=0)
    ]
    if reply.quotes:
        events.append(("flowNodeStatus", {"status": "running", "name": "Dataset search"}))
        nodes.append(
            node(
                "datasetSearch01",
                "Dataset search",
                "datasetSearchNode",
                "sQ3uO5tE7sR9cH1a",
                runningTime=0.1,
                totalPoints=0,
                query=ctx.question,
                searchMode="embedding",
                datasetQueries=[ctx.question],
                quoteList=list(reply.quotes),
            )
        )
    events.append(("flowNodeStatus", {"status": "running", "name": "AI Chat"}))
    if reasoning:
        events += [("answer", answer_chunk(reasoning=part)) for part in _split(reasoning)]
    events += [("answer", answer_chunk(part)) for part in _split(answer)]
    chat = node(
        "chatNode01",
        "AI Chat",
        "chatNode",
        "aI5cH7aT9nO1dE3x",
        runningTime=0.2,
        totalPoints=0,
        query=ctx.question,
        tokens=len(ctx.question) + len(answer),
        finishReason="stop",
        historyPreview=[{"obj": "Human", "value": ctx.question}, {"obj": "AI", "value": answer}],
        **({"reasoningText": reasoning} if reasoning else {}),
    )
    nodes.append(chat)
    if reply.interactive is not None:
        entry = next(k for k, rule in app.asking.items() if rule.reply is reply)
        kind = reply.interactive["type"]
        events.append(
            (
                "interactive",
                {
                    "interactive": {
                        **reply.interactive,
                        # FastGPT's internal resume fields (wire spec 3.5); `entryNodeIds` tells
                        # this app which rule asked when the answer comes.
                        "entryNodeIds": [entry],
                        "skipNodeQueue": [],
                        "memoryEdges": [],
                        "nodeOutputs": [],
                    }
                },
            )
        )
        nodes.append(node(entry, kind, "userSelect" if kind == "userSelect" else "formInput", entry[:16]))
    error = {"message": _fill(reply.error, ctx, form)} if reply.error is not None else None
    title = _fill(reply.title, ctx, form) if reply.title else None
    return Turn(events=events, nodes=nodes, error=error, title=title, duration_seconds=0.2)


# ---- reading a file --------------------------------------------------------------------------------


def load_apps(path: str | Path, *, reserved: frozenset[str] = frozenset()) -> list[ScriptedApp]:
    """The apps of the JSON file at `path`; `AppsFileError` (naming the file) if it cannot be read,
    is not JSON, or is not a valid apps file. `reserved`: names no app may take."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AppsFileError(
            "", f"cannot read the file ({exc.__class__.__name__}: {exc})", source=source
        ) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise AppsFileError("", f"not JSON: {exc}", source=source) from None
    try:
        return parse_apps(data, reserved=reserved)
    except AppsFileError as exc:
        raise AppsFileError(exc.where, exc.problem, source=source) from None


def parse_apps(data: Any, *, reserved: frozenset[str] = frozenset()) -> list[ScriptedApp]:
    """The apps of a parsed apps file. `reserved`: names that cannot be used (the built-in apps')."""
    top = _object(data, "", ("apps",))
    apps_list = _list(top.get("apps"), "apps", least=1)
    apps: list[ScriptedApp] = []
    names: set[str] = set()
    ids: set[str] = set()
    for i, raw in enumerate(apps_list):
        where = f"apps[{i}]"
        item = _object(raw, where, ("name", "id", "rules", "default"))
        name = _text(item.get("name"), f"{where}.name", least=1)
        if name in reserved:
            raise AppsFileError(f"{where}.name", f"{name!r} is a built-in app's name; choose another")
        if name in names:
            raise AppsFileError(f"{where}.name", f"{name!r} is already the name of another app")
        names.add(name)
        app_id = item.get("id")
        if app_id is not None:
            if not isinstance(app_id, str) or not is_object_id(app_id):
                raise AppsFileError(f"{where}.id", "must be 24 hexadecimal characters, as FastGPT's ids")
            if app_id in ids:
                raise AppsFileError(f"{where}.id", f"{app_id!r} is already the id of another app")
            ids.add(app_id)
        asking: dict[str, Rule] = {}
        rules = tuple(
            _rule(r, f"{where}.rules[{j}]", asking)
            for j, r in enumerate(_list(item.get("rules", []), f"{where}.rules"))
        )
        default_raw = item.get("default", _NO_RULE)
        default = _reply(_object(default_raw, f"{where}.default", _REPLY_KEYS), f"{where}.default", asking)
        if default.interactive is not None:
            asking[f"scripted{len(asking):02d}"] = Rule(default)
        apps.append(ScriptedApp(name, rules, default, app_id, asking))
    return apps


def _object(value: Any, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AppsFileError(where, f"must be a JSON object, got {_kind(value)}")
    for key in value:
        if key not in keys:
            raise AppsFileError(_join(where, key), f"unknown key; expected one of {', '.join(keys)}")
    return value


def _list(value: Any, where: str, *, least: int = 0) -> list[Any]:
    if not isinstance(value, list):
        raise AppsFileError(where, f"must be a JSON array, got {_kind(value)}")
    if len(value) < least:
        raise AppsFileError(where, f"must have at least {least} item(s)")
    return value


def _text(value: Any, where: str, *, least: int = 0) -> str:
    if not isinstance(value, str):
        raise AppsFileError(where, f"must be a string, got {_kind(value)}")
    if len(value) < least:
        raise AppsFileError(where, "must not be empty")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}.get(
        type(value), "an object"
    )


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _rule(raw: Any, where: str, asking: dict[str, Rule]) -> Rule:
    item = _object(raw, where, _RULE_KEYS)
    if "match" in item and "regex" in item:
        raise AppsFileError(where, "give `match` or `regex`, not both")
    contains = _text(item["match"], f"{where}.match", least=1) if "match" in item else None
    regex = None
    if "regex" in item:
        pattern = _text(item["regex"], f"{where}.regex", least=1)
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise AppsFileError(f"{where}.regex", f"not a valid regular expression: {exc}") from None
    reply_fields = {k: v for k, v in item.items() if k in _REPLY_KEYS}
    rule = Rule(_reply(reply_fields, where, asking), contains, regex)
    if rule.reply.interactive is not None:
        asking[f"scripted{len(asking):02d}"] = rule
    return rule


def _reply(item: dict[str, Any], where: str, asking: dict[str, Rule]) -> Reply:
    answer = _text(item.get("answer", ""), f"{where}.answer")
    reasoning = _text(item["reasoning"], f"{where}.reasoning") if "reasoning" in item else None
    error = _text(item["error"], f"{where}.error") if "error" in item else None
    title = _text(item["title"], f"{where}.title") if "title" in item else None
    quotes = tuple(
        _quote(q, f"{where}.quotes[{k}]", k)
        for k, q in enumerate(_list(item.get("quotes", []), f"{where}.quotes"))
    )
    interactive = _interactive(item["interactive"], f"{where}.interactive") if "interactive" in item else None
    if "then" in item and interactive is None:
        raise AppsFileError(f"{where}.then", "only a reply with `interactive` has `then` rules")
    then = tuple(
        _rule(r, f"{where}.then[{k}]", asking)
        for k, r in enumerate(_list(item.get("then", []), f"{where}.then"))
    )
    if not (answer or reasoning or interactive or error is not None):
        raise AppsFileError(where, "says nothing: give at least one of answer, reasoning, interactive, error")
    return Reply(answer, reasoning, quotes, interactive, then, error, title)


def _quote(raw: Any, where: str, index: int) -> dict[str, Any]:
    """A quote as a dataset-search node cites it (`SearchDataResponseItemSchema`,
    packages/global/core/dataset/type.ts at f88b51b5), the file's fields over made-up defaults."""
    item = _object(raw, where, _QUOTE_KEYS)
    q = _text(item.get("q"), f"{where}.q", least=1)
    a = _text(item.get("a", ""), f"{where}.a")
    score = item.get("score", 0.9)
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
        raise AppsFileError(f"{where}.score", "must be a number from 0 to 1")
    ids = {}
    for key, default in (
        ("id", f"65a0000000000000000000{index:02x}"),
        ("datasetId", "65a000000000000000000d00"),
        ("collectionId", "65a000000000000000000c00"),
    ):
        value = item.get(key, default)
        if not isinstance(value, str) or not is_object_id(value):
            raise AppsFileError(f"{where}.{key}", "must be 24 hexadecimal characters, as FastGPT's ids")
        ids[key] = value
    chunk_index = item.get("chunkIndex", index)
    if isinstance(chunk_index, bool) or not isinstance(chunk_index, int) or chunk_index < 0:
        raise AppsFileError(f"{where}.chunkIndex", "must be a whole number, 0 or more")
    quote: dict[str, Any] = {
        "q": q,
        "a": a,
        **ids,
        "updateTime": "2026-01-01T00:00:00.000Z",
        "sourceName": _text(item.get("sourceName", "scripted.md"), f"{where}.sourceName"),
    }
    if "sourceId" in item:
        quote["sourceId"] = _text(item["sourceId"], f"{where}.sourceId")
    quote["chunkIndex"] = chunk_index
    quote["score"] = [{"type": "embedding", "value": float(score), "index": index}]
    return quote


def _interactive(raw: Any, where: str) -> dict[str, Any]:
    item = _object(raw, where, ("userSelect", "userInput"))
    if len(item) != 1:
        raise AppsFileError(where, "must have exactly one of userSelect, userInput")
    if "userSelect" in item:
        at = f"{where}.userSelect"
        select = _object(item["userSelect"], at, ("description", "options"))
        options = []
        for k, option in enumerate(_list(select.get("options"), f"{at}.options", least=1)):
            options.append({"key": f"option{k + 1}", "value": _text(option, f"{at}.options[{k}]", least=1)})
        params = {"description": _text(select.get("description", ""), f"{at}.description")}
        return {"type": "userSelect", "params": {**params, "userSelectOptions": options}}
    at = f"{where}.userInput"
    form = _object(item["userInput"], at, ("description", "fields"))
    fields = []
    keys: set[str] = set()
    for k, raw_field in enumerate(_list(form.get("fields"), f"{at}.fields", least=1)):
        fields.append(_form_field(raw_field, f"{at}.fields[{k}]", keys))
    description = _text(form.get("description", ""), f"{at}.description")
    return {"type": "userInput", "params": {"description": description, "inputForm": fields}}


def _form_field(raw: Any, where: str, keys: set[str]) -> dict[str, Any]:
    item = _object(raw, where, ("key", "label", "type", "required", "value", "options", "min", "max"))
    key = _text(item.get("key"), f"{where}.key", least=1)
    if key in keys:
        raise AppsFileError(f"{where}.key", f"{key!r} is already the key of another field")
    keys.add(key)
    kind = item.get("type", "input")
    if kind not in _FIELD_VALUE_TYPES:
        raise AppsFileError(f"{where}.type", f"must be one of {', '.join(_FIELD_VALUE_TYPES)}, got {kind!r}")
    required = item.get("required", False)
    if not isinstance(required, bool):
        raise AppsFileError(f"{where}.required", f"must be true or false, got {_kind(required)}")
    result: dict[str, Any] = {
        "type": kind,
        "key": key,
        "label": _text(item.get("label", key), f"{where}.label"),
        "value": item.get("value", ""),
        "valueType": _FIELD_VALUE_TYPES[kind],
        "required": required,
    }
    if kind in ("select", "multipleSelect"):
        options = _list(item.get("options"), f"{where}.options", least=1)
        result["list"] = [
            {"label": o, "value": o}
            for o in (_text(o, f"{where}.options[{n}]", least=1) for n, o in enumerate(options))
        ]
    elif "options" in item:
        raise AppsFileError(f"{where}.options", "only a select or multipleSelect field has options")
    for bound in ("min", "max"):
        if bound in item:
            value = item[bound]
            if kind != "numberInput":
                raise AppsFileError(f"{where}.{bound}", "only a numberInput field has min and max")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise AppsFileError(f"{where}.{bound}", f"must be a number, got {_kind(value)}")
            result[bound] = value
    return result
