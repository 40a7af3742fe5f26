"""Boolean query parameters as FastGPT reads them: it coerces query flags with `z.coerce.boolean()`,
where the string "false" is true, so a false flag is left out (absent is false) and a true one is
sent as "true". Body booleans are JSON and stay as they are."""

from __future__ import annotations

import httpx
import pytest
from conftest import APP_ID, envelope, make_client
from http_support import Wire, body_of, query_of, run

from fastgpt_oapi.api.chat_history.model import GetChatInitRequest
from fastgpt_oapi.core.model import APIRequest, OperationResponse, Route


class FlaggedRequest(APIRequest[OperationResponse]):
    """A POST with a flag in the query and one in the body, so the rule is shown apart from chat/init."""

    route = Route("POST", "/api/test/flagged", query=frozenset({"app_id", "dry_run"}))

    app_id: str | None = None
    dry_run: bool | None = None
    notify: bool | None = None


def wire() -> Wire:
    return Wire(lambda request: httpx.Response(200, json=envelope({"chatId": "c1", "app": {}})))


@pytest.mark.parametrize(
    ("flag", "expected"),
    [(True, {"loadCustomFeedbacks": "true"}), (False, {}), (None, {})],
    ids=["true-sent", "false-left-out", "unset-left-out"],
)
async def test_chat_init_sends_load_custom_feedbacks_only_when_true(
    io_mode: str, flag: bool | None, expected: dict[str, str]
) -> None:
    recorder = wire()
    service = make_client(recorder).chat_history
    request = GetChatInitRequest(chat_id="c1", load_custom_feedbacks=flag)

    await run(io_mode, lambda: service.get_chat_init(request), lambda: service.aget_chat_init(request))

    assert query_of(recorder.last) == {"appId": APP_ID, "chatId": "c1", **expected}
    assert b"false" not in recorder.last.url.query


@pytest.mark.parametrize("flag", [True, False])
async def test_every_query_flag_follows_the_rule_and_body_flags_keep_false(io_mode: str, flag: bool) -> None:
    recorder = Wire(lambda request: httpx.Response(200, json=envelope()))
    client = make_client(recorder)
    request = FlaggedRequest(dry_run=flag, notify=flag)

    await run(
        io_mode, lambda: client._http.request(request, None), lambda: client._http.arequest(request, None)
    )

    sent = recorder.last
    assert query_of(sent) == ({"appId": APP_ID, "dryRun": "true"} if flag else {"appId": APP_ID})
    assert body_of(sent) == {"notify": flag}
