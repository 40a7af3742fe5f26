"""Reading an API dataset's files from its user's server, as FastGPT does.

FastGPT's client is `useApiDatasetRequest` in `packages/service/core/dataset/apiDataset/custom/api.ts`
(labring/FastGPT@337cd100, unchanged after 852448703; the schema-audit-4.18 section 6.1 has the lines),
chosen by `getApiDatasetRequest` (`apiDataset/index.ts`), which refuses a dataset with no server
("Can not find api dataset server"). The settings are `apiDatasetServer.apiServer = {baseUrl,
authorization?, basePath?}` (`APIFileServerSchema`, `packages/global/core/dataset/apiDataset/type.ts`).

- Every call carries `content-type: application/json` and `Authorization: Bearer <authorization>` (the
  literal `Bearer undefined` without one) and waits at most 60 s; keys whose value is undefined are
  dropped; GET data goes in the query, POST data in a JSON body.
- The answer must be `{success: true, data}` (`checkRes`, strict at 337cd100); otherwise FastGPT fails
  with the envelope's `message` (`responseError`). An HTTP status outside 2xx is axios's "Request failed
  with status code N"; a body that is not JSON is shown as it is.
- `POST /v1/file/list {searchKey?, parentId?}` (`parentId || basePath`): "Invalid file list format"
  unless `data` is an array, "Invalid file data format" unless each item has `id`, `name` and `type`.
- `GET /v1/file/content?id=`: `content` (the text) or `previewUrl` (downloaded without the token and
  parsed), else "Invalid content type: content or previewUrl is required". Without a `title`, the name
  from `GET /v1/file/detail?id=` is used, then the URL's file name (at 337cd100).
- `GET /v1/file/detail?id=`: the item; an empty `data` is "File not found".

The emulator's own choices: a refusal without a message is answered with the answer's JSON (FastGPT
would show its generic error), and a `previewUrl` is read as the emulator reads uploads (text,
Markdown, CSV, HTML; other types fail their parse). Only `apiServer` is reached: a Feishu, Yuque or
DingTalk dataset is refused as unreachable ("网络连接异常").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from ...datasets import Dataset, ParseFailure, read_upload
from ...state import State
from ...wire import Refusal, failed

__all__ = ["API_DATASET_TIMEOUT", "FileServer", "file_server"]

# custom/api.ts @337cd100: the axios instance's `timeout: 60000`.
API_DATASET_TIMEOUT = 60.0

_OTHER_SERVERS = ("feishuServer", "yuqueServer", "dingtalkServer")


def file_server(state: State, dataset: Dataset) -> FileServer:
    """The dataset's file server, or FastGPT's refusal for a dataset without a usable one."""
    servers = dataset.api_server or {}
    api_server = servers.get("apiServer")
    if isinstance(api_server, dict) and api_server.get("baseUrl"):
        return FileServer(
            state,
            base_url=str(api_server["baseUrl"]),
            authorization=api_server.get("authorization"),
            base_path=api_server.get("basePath") or None,
        )
    if any(servers.get(kind) for kind in _OTHER_SERVERS):
        raise failed("网络连接异常")  # the emulator reaches no Feishu, Yuque or DingTalk
    raise failed("Can not find api dataset server")


@dataclass
class FileServer:
    state: State
    base_url: str
    authorization: str | None
    base_path: str | None

    def _call(self, method: str, path: str, data: dict[str, Any]) -> Any:
        """One call, through `checkRes`: the envelope's `data`, or FastGPT's refusal."""
        data = {k: v for k, v in data.items() if v is not None}
        headers = {
            "content-type": "application/json",
            "authorization": f"Bearer {self.authorization if self.authorization is not None else 'undefined'}",
        }
        # axios's combineURLs: one slash between the base and the path.
        url = self.base_url.rstrip("/") + path
        reply = self.state.callbacks.send(
            method,
            url,
            headers=headers,
            params=data if method == "GET" else None,
            json=data if method == "POST" else None,
            timeout=API_DATASET_TIMEOUT,
        )
        if reply.error is not None:
            raise failed(reply.error)
        if not 200 <= reply.status < 300:
            raise failed(f"Request failed with status code {reply.status}")
        try:
            body = json.loads(reply.text)
        except ValueError:
            raise failed(reply.text or "服务器异常") from None
        if isinstance(body, dict) and body.get("success") is True:
            return body.get("data")
        message = body.get("message") or body.get("msg") if isinstance(body, dict) else None
        raise failed(message if isinstance(message, str) and message else reply.text)

    def list_files(self, parent_id: str | None = None, search_key: str | None = None) -> list[dict[str, Any]]:
        files = self._call(
            "POST", "/v1/file/list", {"searchKey": search_key, "parentId": parent_id or self.base_path}
        )
        if not isinstance(files, list):
            raise failed("Invalid file list format")
        if any(
            not isinstance(f, dict) or not f.get("id") or not f.get("name") or "type" not in f for f in files
        ):
            raise failed("Invalid file data format")
        return [
            {**f, "rawId": f["id"], "hasChild": f["hasChild"] if "hasChild" in f else f["type"] == "folder"}
            for f in files
        ]

    def detail(self, file_id: str) -> dict[str, Any]:
        item = self._call("GET", "/v1/file/detail", {"id": file_id})
        if not item or not isinstance(item, dict):
            raise failed("File not found")
        return {
            **item,
            "rawId": file_id,
            "parentId": "" if item.get("parentId") is None else item["parentId"],
        }

    def content(self, file_id: str) -> tuple[str | None, str | ParseFailure | None]:
        """`(title, text)`: the text is `None` when a `previewUrl` names a file the emulator cannot read."""
        data = self._call("GET", "/v1/file/content", {"id": file_id})
        data = data if isinstance(data, dict) else {}
        title = data.get("title") if isinstance(data.get("title"), str) else None
        content, preview_url = data.get("content"), data.get("previewUrl")
        if content:
            return title or self._title(file_id, None), str(content)
        if preview_url and isinstance(preview_url, str):
            filename = unquote(urlsplit(preview_url).path.rsplit("/", 1)[-1])
            return title or self._title(file_id, filename), self._download(preview_url, filename)
        raise failed("Invalid content type: content or previewUrl is required")

    def _title(self, file_id: str, fallback: str | None) -> str | None:
        try:
            name = self.detail(file_id).get("name")
        except Refusal:
            return fallback
        return str(name) if name else fallback

    def _download(self, url: str, filename: str) -> str | ParseFailure:
        # FastGPT's `readFileRawTextByUrl`: a plain GET, without the library's token.
        reply = self.state.callbacks.send("GET", url, timeout=API_DATASET_TIMEOUT)
        if reply.error is not None:
            raise failed(reply.error)
        if not 200 <= reply.status < 300:
            raise failed(f"Request failed with status code {reply.status}")
        return read_upload(filename, reply.content)
