"""`custom_uid` with `auth_proxy`: FastGPT 4.18 refuses the pair (the 4.18 reference of
`v1-chat-completions`), so the SDK refuses it before sending (see test_chat_requests.py) and the
emulator, sent the raw JSON, refuses it as 4.18 does and takes it as 4.17 did."""

from __future__ import annotations

import httpx
import pytest

from fastgpt_oapi.testing import FakeFastGPT

BODY: dict[str, object] = {
    "messages": [{"role": "user", "content": "hi"}],
    "customUid": "user-42",
    "authProxy": {"tmbId": "66e29b870b24ce35330c0e01"},
}


def post(fake: FakeFastGPT, body: dict[str, object]) -> httpx.Response:
    with httpx.Client(transport=fake.transport(), base_url="http://fastgpt.fake") as http:
        return http.post(
            "/api/v2/chat/completions", json=body, headers={"Authorization": f"Bearer {fake.api_key}"}
        )


def test_fastgpt_4_18_refuses_custom_uid_with_auth_proxy() -> None:
    response = post(FakeFastGPT(), BODY)

    assert response.status_code == 400
    assert response.json()["message"] == "Data validation error"
    assert response.json()["zodError"][0]["path"] == ["customUid"]


@pytest.mark.parametrize("version", ["4.17.2"])
def test_fastgpt_before_4_18_took_the_pair(version: str) -> None:
    assert post(FakeFastGPT(version=version), BODY).status_code == 200


def test_either_alone_is_taken() -> None:
    fake = FakeFastGPT()
    assert post(fake, {k: v for k, v in BODY.items() if k != "authProxy"}).status_code == 200
    assert post(fake, {k: v for k, v in BODY.items() if k != "customUid"}).status_code == 200
