"""A server for FastGPT's API file library ("API 文件库"): the four endpoints a dataset of type
`apiDataset` reads files from.

FastGPT's side of this contract is `packages/service/core/dataset/apiDataset/custom/api.ts` with the
types in `packages/global/core/dataset/apiDataset/type.ts` (labring/FastGPT@337cd100; neither changed
after 2026-04-10 `852448703`; line numbers below are at 337cd100):

- transport (L34-41, L76-93): `Authorization: Bearer <authorization>` (the literal `Bearer undefined`
  when the dataset has none), `content-type: application/json`, a 60 s timeout; keys whose value is
  `undefined` are dropped; GET data travels as the query, POST data as a JSON body;
- every answer is `{success, message, data}` (L16-20), and anything but `success === true` fails
  (`checkRes`, L46-53) with the envelope's `message`. An HTTP error status is read by axios first, so
  FastGPT then shows only "Request failed with status code N": that is why the kit answers every
  refusal with HTTP 200 and `success: false`, so FastGPT shows the kit's message instead;
- `POST /v1/file/list` `{searchKey?, parentId?}`, `parentId` falling back to the dataset's `basePath`
  (L136-150); `data` must be an array ("Invalid file list format") whose items have `id`, `name` and
  `type` ("Invalid file data format"); a missing `hasChild` means `type === "folder"` (L152-163);
- `GET /v1/file/content?id=`: `{title?, content}` or `{title?, previewUrl}`, exactly one; an empty
  `content` counts as missing ("Invalid content type: content or previewUrl is required", L168-239);
- `GET /v1/file/read?id=`: `{url}`, a non-empty string ("Invalid response url", L241-253);
- `GET /v1/file/detail?id=` (since about 4.9.10, `2d2d0fff`): the item itself (L255-281).
"""

from __future__ import annotations

import hmac
import os
import stat
from collections.abc import Awaitable, Sequence
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, Literal, Protocol
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from ._asgi import ASGIApp, KitApp, KitRequest, Refusal, call_user, logger

__all__ = [
    "ApiDatasetError",
    "ApiFile",
    "FileContent",
    "FileLibrary",
    "FolderLibrary",
    "api_dataset_app",
]


class _WireModel(BaseModel):
    """snake_case in Python, FastGPT's camelCase on the wire, built by either name."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
    )


class ApiFile(_WireModel):
    """One file or folder, as `/v1/file/list` lists it and `/v1/file/detail` describes it.

    `id`, `name` and `type` are what FastGPT requires (custom/api.ts L152-163 @337cd100); `parent_id` is
    the folder's id (`None` at the top); `has_child` left out means "a folder has children", as FastGPT
    reads it; `update_time` and `create_time` are shown in FastGPT's file picker.
    """

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    type: Literal["file", "folder"]
    parent_id: str | None = None
    update_time: datetime | None = None
    create_time: datetime | None = None
    has_child: bool | None = None

    def wire(self) -> dict[str, Any]:
        """The JSON FastGPT reads. `parentId` is always sent (`null` at the top); unset times and
        `hasChild` are left out rather than sent as `null`."""
        data = self.model_dump(mode="json", exclude_none=True)
        data["parentId"] = self.parent_id
        return data


class FileContent(_WireModel):
    """What `/v1/file/content` answers: a `title` and exactly one of `content` (the text FastGPT chunks)
    or `preview_url` (a URL FastGPT downloads, without your token, and parses: PDF, DOCX, ...).

    FastGPT reads an empty `content` as missing (custom/api.ts L168-239 @337cd100), so it is refused here.
    Without a title FastGPT falls back to `/v1/file/detail`'s name, then to the URL's file name.
    """

    title: str | None = None
    content: str | None = None
    preview_url: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> FileContent:
        given = [name for name in ("content", "preview_url") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError(
                "FileContent needs exactly one of content or preview_url, non-empty"
                f" (given: {', '.join(given) or 'neither'})"
            )
        return self


class ApiDatasetError(Refusal):
    """Raise from a library method to refuse a call with a message FastGPT shows its user (for example
    "File not found"). `FileNotFoundError` and `KeyError` become "File not found"; any other exception is
    logged on the `fastgpt_oapi.server` logger and answered "Internal server error", never with its text."""


class FileLibrary(Protocol):
    """What `api_dataset_app` serves. Each method may be a plain function (it runs in a worker thread) or
    a coroutine function (awaited in the server's event loop)."""

    def list_files(
        self, parent_id: str | None, search_key: str | None
    ) -> Sequence[ApiFile] | Awaitable[Sequence[ApiFile]]:
        """The children of `parent_id` (`None`: the top, when the dataset has no `basePath`); with a
        `search_key`, the files matching it (FastGPT's search box)."""
        ...

    def get_content(self, file_id: str) -> FileContent | Awaitable[FileContent]:
        """The file's text, or a URL FastGPT downloads it from."""
        ...

    def get_read_url(self, file_id: str) -> str | Awaitable[str]:
        """The link FastGPT's "open original" button opens in the user's browser."""
        ...

    def get_detail(self, file_id: str) -> ApiFile | Awaitable[ApiFile]:
        """The file or folder itself."""
        ...


def _optional(value: Any) -> str | None:
    """FastGPT sends `parentId || basePath` and drops undefined keys, so the top arrives as a missing
    key; `null` and `""` are read the same way."""
    if value is None or value == "":
        return None
    return str(value)


class _ApiDatasetApp(KitApp):
    # The paths FastGPT calls, each with its method.
    routes = {
        "/v1/file/list": "POST",
        "/v1/file/content": "GET",
        "/v1/file/read": "GET",
        "/v1/file/detail": "GET",
    }
    name, owner = "api dataset", "the library"

    def __init__(self, library: FileLibrary, token: str | None) -> None:
        self.library = library
        self.token = token

    async def answer(self, request: KitRequest) -> Any:
        if not self._authorized(request):
            logger.warning("api dataset: %s refused: wrong or missing bearer token", request.path)
            raise ApiDatasetError("Unauthorized: wrong or missing bearer token")
        try:
            return await self._dispatch(request)
        except (FileNotFoundError, KeyError):
            raise ApiDatasetError("File not found") from None

    def _authorized(self, request: KitRequest) -> bool:
        if self.token is None:
            return True
        given = request.header(b"authorization") or ""
        expected = f"Bearer {self.token}"
        return hmac.compare_digest(given.encode(), expected.encode())

    async def _dispatch(self, request: KitRequest) -> Any:
        if request.path == "/v1/file/list":
            body = await request.json_object()
            if body is None:
                raise ApiDatasetError("Invalid request body: a JSON object is expected")
            files = await call_user(
                self.library.list_files, _optional(body.get("parentId")), _optional(body.get("searchKey"))
            )
            return [_as_file(item, "list_files").wire() for item in files]
        file_id = request.query().get("id", "")
        if not file_id:
            raise ApiDatasetError("Missing query parameter: id")
        if request.path == "/v1/file/content":
            content = await call_user(self.library.get_content, file_id)
            if not isinstance(content, FileContent):
                raise TypeError(f"get_content returned {type(content).__name__}, not FileContent")
            return content.model_dump(mode="json", exclude_none=True)
        if request.path == "/v1/file/read":
            url = await call_user(self.library.get_read_url, file_id)
            if not isinstance(url, str) or not url:
                raise TypeError("get_read_url must return a non-empty string")
            return {"url": url}
        detail = await call_user(self.library.get_detail, file_id)
        return _as_file(detail, "get_detail").wire()


def _as_file(item: Any, method: str) -> ApiFile:
    if isinstance(item, ApiFile):
        return item
    raise TypeError(f"{method} returned {type(item).__name__}, not ApiFile")


def api_dataset_app(library: FileLibrary, *, token: str | None = None) -> ASGIApp:
    """An ASGI application serving `library` to FastGPT: `POST /v1/file/list`, `GET /v1/file/content`,
    `GET /v1/file/read` and `GET /v1/file/detail`, in FastGPT's `{success, message, data}` envelope.

    With `token`, a call without `Authorization: Bearer <token>` is refused (the dataset's
    `apiServer.authorization` in FastGPT). Every refusal is HTTP 200 with `success: false` and a message,
    so FastGPT shows the message (see the module's notes); no stack trace or exception text is ever sent.

    Mount it (`app.mount("/kb", api_dataset_app(lib))`, then give FastGPT `https://host/kb` as
    `baseUrl`) or serve it alone (`uvicorn module:app`).
    """
    return _ApiDatasetApp(library, token)


# ---- FolderLibrary ------------------------------------------------------------------------------------

TEXT_SUFFIXES = frozenset(
    {".txt", ".md", ".markdown", ".mdx", ".rst", ".csv", ".tsv", ".json", ".jsonl", ".yaml", ".yml",
     ".xml", ".html", ".htm", ".log", ".ini", ".toml", ".tex", ".adoc", ".org"}
)  # fmt: skip


class FolderLibrary:
    """A ready `FileLibrary` over a local folder tree (a NAS mount, a docs checkout).

    - **Ids** are the POSIX path relative to the root (`"guides/setup.md"`): stable across restarts and
      readable in FastGPT. A folder's children have it as `parent_id`; the root's children have `None`.
      FastGPT's `basePath` is such an id: set it to `"guides"` to offer only that subtree.
    - **Safety**: an id is refused ("File not found") when it is absolute, contains `..`, a backslash or
      a NUL, names a hidden entry (a part starting with `.`), or resolves (symlinks followed) outside the
      root. Symlinks that leave the root are neither listed nor read.
    - **Which files**: text files only, by suffix (`TEXT_SUFFIXES`, case-insensitive), decoded as UTF-8
      (a file that is not UTF-8 is refused with a message), and not empty (FastGPT reads empty content
      as missing). Other files (PDF, DOCX, images) are not listed: FastGPT needs a `preview_url` it can
      download without your token, which a folder alone cannot give. Subclass and override
      `get_content` to return one from your own file or object-storage server.
    - **Read URL** ("open original"): `read_url_base + "/" + quoted id` when `read_url_base` is given (for
      example the URL a static file server publishes the same folder at); without it the call is refused
      with a message saying so.
    - **Search** (`search_key`): files below `parent_id` whose name contains the key, case-insensitively.
    - **Size**: a file over `max_file_bytes` (50 MiB by default) is refused with a message rather than
      read into memory.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        read_url_base: str | None = None,
        max_file_bytes: int = 50 * 1024 * 1024,
    ) -> None:
        self.root = Path(path).resolve(strict=True)
        self.max_file_bytes = max_file_bytes
        if not self.root.is_dir():
            raise NotADirectoryError(f"FolderLibrary needs a folder: {path}")
        self.read_url_base = read_url_base.rstrip("/") if read_url_base else None

    # -- the id <-> path mapping, where every escape is refused

    def _resolve(self, file_id: str | None) -> Path:
        if file_id is None or file_id == "":
            return self.root
        pure = PurePosixPath(file_id)
        if (
            "\x00" in file_id
            or "\\" in file_id
            or pure.is_absolute()
            or any(part in ("..", ".", "") or part.startswith(".") for part in file_id.split("/"))
        ):
            raise FileNotFoundError(file_id)
        candidate = self.root.joinpath(*pure.parts)
        try:
            resolved = candidate.resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            raise FileNotFoundError(file_id) from exc
        if resolved != self.root and self.root not in resolved.parents:
            raise FileNotFoundError(file_id)
        return candidate

    def _id_of(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _visible(self, path: Path) -> bool:
        if path.name.startswith("."):
            return False
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return False
        if resolved != self.root and self.root not in resolved.parents:
            return False  # a symlink out of the root
        if resolved.is_dir():
            return True
        return resolved.is_file() and path.suffix.lower() in TEXT_SUFFIXES

    def _entries(self, folder: Path) -> list[Path]:
        try:
            children = list(folder.iterdir())
        except OSError:
            return []
        return sorted((child for child in children if self._visible(child)), key=lambda p: p.name)

    def _item(self, path: Path) -> ApiFile:
        info = path.stat()
        is_folder = stat.S_ISDIR(info.st_mode)
        parent = path.parent
        created = getattr(info, "st_birthtime", None) or info.st_ctime
        return ApiFile(
            id=self._id_of(path),
            name=path.name,
            type="folder" if is_folder else "file",
            parent_id=None if parent == self.root else self._id_of(parent),
            update_time=datetime.fromtimestamp(info.st_mtime, timezone.utc),
            create_time=datetime.fromtimestamp(created, timezone.utc),
            has_child=bool(self._entries(path)) if is_folder else False,
        )

    # -- FileLibrary

    def list_files(self, parent_id: str | None, search_key: str | None) -> list[ApiFile]:
        folder = self._resolve(parent_id)
        if not folder.is_dir():
            raise ApiDatasetError(f"Not a folder: {parent_id}")
        if not search_key:
            return [self._item(child) for child in self._entries(folder)]
        key = search_key.casefold()
        found: list[ApiFile] = []
        pending = [folder]
        seen: set[Path] = set()
        while pending:
            current = pending.pop()
            real = current.resolve()
            if real in seen:  # symlinked folders inside the root could loop
                continue
            seen.add(real)
            for child in self._entries(current):
                if child.is_dir():
                    pending.append(child)
                elif key in child.name.casefold():
                    found.append(self._item(child))
        return sorted(found, key=lambda item: item.id)

    def _file(self, file_id: str) -> Path:
        path = self._resolve(file_id)
        if path == self.root or not self._visible(path) or not path.is_file():
            raise FileNotFoundError(file_id)
        return path

    def get_content(self, file_id: str) -> FileContent:
        path = self._file(file_id)
        if path.stat().st_size > self.max_file_bytes:
            raise ApiDatasetError(f"File too large: {file_id} is over {self.max_file_bytes} bytes")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ApiDatasetError(f"Not UTF-8 text: {file_id}") from exc
        if not text.strip():
            raise ApiDatasetError(f"Empty file: {file_id}")
        return FileContent(title=path.name, content=text)

    def get_read_url(self, file_id: str) -> str:
        self._file(file_id)
        if self.read_url_base is None:
            raise ApiDatasetError("No read URL: FolderLibrary(read_url_base=...) is not set")
        return f"{self.read_url_base}/{quote(file_id)}"

    def get_detail(self, file_id: str) -> ApiFile:
        path = self._resolve(file_id)
        if path == self.root or not self._visible(path):
            raise FileNotFoundError(file_id)
        return self._item(path)

    def __repr__(self) -> str:
        return f"FolderLibrary({str(self.root)!r})"
