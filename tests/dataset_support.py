"""Helpers for the emulator's dataset tests: raw JSON (and raw multipart) through `FakeFastGPT.handle`,
as a client that writes its own requests would send them; no SDK dataset models are involved."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from fastgpt_oapi.testing import FakeFastGPT

BASE = "/api/core/dataset"
OBJECT_ID = r"[0-9a-f]{24}"


class Clock:
    """An injectable clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 8, 1, tzinfo=timezone.utc).timestamp()

    def __call__(self) -> float:
        return self.now


@dataclass
class Answer:
    status: int
    body: Any  # the parsed JSON envelope

    @property
    def data(self) -> Any:
        assert self.status == 200, (self.status, self.body)
        assert self.body["code"] == 200, self.body
        return self.body["data"]


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[str, bytes]:
    """A `multipart/form-data` body, encoded by hand: (content type, body)."""
    boundary = "----fake-dataset-boundary-7MA4YWxkTrZu0gW"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, (filename, content, content_type) in files.items():
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    return f"multipart/form-data; boundary={boundary}", b"".join(parts) + f"--{boundary}--\r\n".encode()


class Api:
    """The dataset area of one emulator, called with raw JSON."""

    def __init__(self, fake: FakeFastGPT) -> None:
        self.fake = fake
        self.auth = {"authorization": f"Bearer {fake.api_key}"}

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Answer:
        full = path if path.startswith("/api/") else f"{BASE}/{path}"
        content = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        sent = {**self.auth, "content-type": "application/json", **(headers or {})}
        response = self.fake.handle(method, full, query or {}, sent, content)
        try:
            return Answer(response.status, json.loads(response.body))
        except ValueError:  # a bare 404 is text
            return Answer(response.status, response.body.decode())

    def post(self, path: str, body: Any = None, **query: str) -> Answer:
        return self.call("POST", path, body, query=query)

    def get(self, path: str, **query: str) -> Answer:
        return self.call("GET", path, query=query)

    def delete(self, path: str, body: Any = None, **query: str) -> Answer:
        return self.call("DELETE", path, body, query=query)

    def put(self, path: str, body: Any = None) -> Answer:
        return self.call("PUT", path, body)

    def upload(self, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> Answer:
        content_type, body = multipart(fields, files)
        return self.call(
            "POST", "collection/create/localFile", raw=body, headers={"content-type": content_type}
        )

    # -- shortcuts --

    def dataset(self, name: str = "kb", **fields: Any) -> str:
        body = {"name": name, "intro": "", "avatar": "/icon/logo.svg", "type": "dataset", **fields}
        dataset_id: str = self.post("create", body).data
        return dataset_id

    def text_collection(self, dataset_id: str, text: str, name: str = "notes", **fields: Any) -> str:
        body = {"datasetId": dataset_id, "name": name, "text": text, **fields}
        collection_id: str = self.post("collection/create/text", body).data["collectionId"]
        return collection_id

    def virtual(self, dataset_id: str, name: str = "manual", **fields: Any) -> str:
        body = {"datasetId": dataset_id, "name": name, "type": "virtual", **fields}
        collection_id: str = self.post("collection/create", body).data
        return collection_id

    def push(self, collection_id: str, *items: dict[str, Any]) -> int:
        inserted: int = self.post("data/pushData", {"collectionId": collection_id, "data": list(items)}).data[
            "insertLen"
        ]
        return inserted

    def data(self, collection_id: str, **paging: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.post(
            "data/v2/list", {"collectionId": collection_id, "pageSize": 30, **paging}
        ).data["list"]
        return found

    def collection(self, collection_id: str) -> dict[str, Any]:
        detail: dict[str, Any] = self.get("collection/detail", id=collection_id).data
        return detail

    def refusal(self, answer: Answer) -> tuple[int, int, str]:
        """(HTTP status, code, statusText) of a refusal."""
        assert answer.status != 200 or answer.body["code"] != 200, answer.body
        return answer.status, answer.body["code"], answer.body["statusText"]
