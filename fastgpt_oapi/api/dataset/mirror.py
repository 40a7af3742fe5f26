"""`mirror_folder`: a local folder kept in a dataset, one file collection per file.

`MirrorRun` is one run without network I/O: it reads the folder (names and sha256 hashes), decides
from the dataset's collections what to do (`plan`), builds the requests, and keeps the result and
the progress events. The service's `mirror_folder` / `amirror_folder` are the two thin shells that
list, read, create and delete through the service's own methods.

What a collection of the mirror is. A file collection named by the file's path relative to the
folder (POSIX `/`), at the dataset's top level, whose `metadata` carries `MIRROR_KEY`:
`{"sha256": ..., "size": ...}` of the file's content. FastGPT keeps a create request's `metadata`
with the collection (`localFile.ts` spreads `collectionData.metadata` into the stored metadata, next
to its own `relatedImgId`; `DatasetCollectionStoreDataSchema.metadata` in `createApi.ts` @ 04b3226b)
and returns it in `collection/detail` (the whole stored collection); `collection/listV2` does not
select it (`listV2.ts` @ 01cd194b), so a candidate's detail is read, one GET each. Older, GridFS-era
handlers (`localFile.ts` @ 1efcc4e5) kept `collectionMetadata` instead and overwrote `metadata`, so
the hash is sent under both names: a server ignores the one it does not read (zod strips unknown
keys). A collection without the key, same name or not, is someone else's: never replaced, never
deleted.

Order, so that a run cut off anywhere leaves a state the next run finishes without sending anything
twice: a changed file's new collection is created first, its old one deleted after; a create whose
answer was lost is found on the next run by name and hash (the listing is the source of truth); two
mirror collections of one name (an interrupted replacement) are settled by keeping the one whose hash
matches the file and deleting the others.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fastgpt_oapi.core.errors import (
    AuthenticationError,
    FastGPTError,
    PermissionDeniedError,
    RequestValidationError,
)
from fastgpt_oapi.core.options import RequestOption

from .model import (
    CollectionDetail,
    CollectionListItem,
    CreateFileCollectionRequest,
    DeleteCollectionRequest,
    GetCollectionRequest,
    ListCollectionsRequest,
    MirrorFailure,
    MirrorProgress,
    MirrorResult,
    MirrorStage,
)

__all__ = ["MIRROR_KEY", "LocalFile", "MirrorAction", "MirrorRun"]

# The metadata key that marks a collection as the mirror's (and holds its content hash).
MIRROR_KEY = "fastgptOapiMirror"
_HASH_BLOCK = 1024 * 1024
_PAGE = 100


@dataclass(frozen=True)
class LocalFile:
    path: str  # relative, POSIX
    absolute: str
    size: int
    sha256: str


@dataclass
class MirrorAction:
    """One step of the plan: for a file, `"unchanged"`, `"create"` or `"replace"` (with `file`); or
    `"prune"` (a collection whose file is gone). `delete_ids`: the mirror's collections of that name
    to delete after it (the old versions, or the pruned one)."""

    kind: Literal["unchanged", "create", "replace", "prune"]
    path: str
    file: LocalFile | None = None
    delete_ids: list[str] = field(default_factory=list)


def _hidden(path: str) -> bool:
    return any(part.startswith(".") for part in path.split("/"))


class MirrorRun:
    """One `mirror_folder`, without network I/O. See the module docstring."""

    def __init__(
        self,
        dataset_id: str,
        folder: str | os.PathLike[str],
        *,
        pattern: str | None,
        prune: bool,
        dry_run: bool,
        on_progress: Callable[[MirrorProgress], object] | None,
        request_option: RequestOption | None,
    ) -> None:
        # Checks the id now, before anything is read or sent.
        self.list_request = ListCollectionsRequest(dataset_id=dataset_id, simple=True, page_size=_PAGE)
        self.dataset_id = dataset_id
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise RequestValidationError(
                f"mirror_folder: folder {os.fspath(folder)!r} is not a directory", field="folder"
            )
        if pattern is not None and not pattern:
            raise RequestValidationError("mirror_folder: pattern cannot be empty", field="pattern")
        self.pattern = pattern
        self.prune = prune
        self.dry_run = dry_run
        self.option = request_option
        self._on_progress = on_progress
        self.result = MirrorResult(dry_run=dry_run)
        self._local: dict[str, LocalFile] = {}
        self._seen: set[str] = set()  # every file the pattern takes, readable or not: never pruned
        self._remote: dict[str, list[tuple[str, str | None]]] = {}  # name -> (id, sha256 or None: not ours)
        self.actions: list[MirrorAction] = []
        self._bytes_total = 0
        self._bytes_done = 0
        self._files_done = 0

    # ---- the folder --------------------------------------------------------------------------

    def matches(self, path: str) -> bool:
        """Whether a relative path is the mirror's: not hidden, and taken by `pattern` (matched against
        the whole path when the pattern has a `/`, else against the file name; `*` crosses folders)."""
        if _hidden(path):
            return False
        if self.pattern is None:
            return True
        target = path if "/" in self.pattern else path.rpartition("/")[2]
        return fnmatch.fnmatchcase(target, self.pattern)

    def scan(self) -> None:
        """Read the folder: every file the pattern takes, hashed; one that cannot be read is failed."""
        for root, dirs, files in os.walk(self.folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                absolute = os.path.join(root, name)
                path = Path(absolute).relative_to(self.folder).as_posix()
                if not self.matches(path) or not os.path.isfile(absolute):
                    continue
                self._seen.add(path)
                try:
                    self._local[path] = _hashed(path, absolute)
                except OSError as exc:
                    self._fail(path, exc)

    # ---- the dataset -------------------------------------------------------------------------

    def to_inspect(self, listing: Iterable[CollectionListItem]) -> list[CollectionListItem]:
        """The collections whose metadata must be read: top-level file collections named as a file
        of the folder, and with `prune`, any the pattern takes."""
        wanted = []
        for item in listing:
            if item.type != "file" or item.parent_id or not item.id:
                continue
            if item.name in self._local or (self.prune and self.matches(item.name)):
                wanted.append(item)
        return wanted

    @staticmethod
    def detail_request(item: CollectionListItem) -> GetCollectionRequest:
        return GetCollectionRequest(id=item.id)

    def inspected(self, item: CollectionListItem, detail: CollectionDetail) -> None:
        mark = (detail.metadata or {}).get(MIRROR_KEY)
        sha = mark.get("sha256") if isinstance(mark, dict) else None
        self._remote.setdefault(item.name, []).append((item.id, sha if isinstance(sha, str) else None))

    def inspect_failed(self, item: CollectionListItem, exc: FastGPTError) -> None:
        """A candidate whose detail could not be read: its file is left alone this run (a refused key
        stops the run)."""
        if isinstance(exc, (AuthenticationError, PermissionDeniedError)):
            raise exc
        self._local.pop(item.name, None)
        self._seen.add(item.name)
        self._fail(item.name, exc)

    # ---- the plan ----------------------------------------------------------------------------

    def plan(self) -> list[MirrorAction]:
        actions = []
        for path, local in sorted(self._local.items()):
            ours = [(cid, sha) for cid, sha in self._remote.get(path, []) if sha is not None]
            keep = next((cid for cid, sha in ours if sha == local.sha256), None)
            stale = [cid for cid, _ in ours if cid != keep]
            if keep is not None:
                # An interrupted replacement leaves the old one too: finished now, nothing uploaded.
                actions.append(MirrorAction("replace" if stale else "unchanged", path, None, stale))
            else:
                actions.append(MirrorAction("replace" if ours else "create", path, local, stale))
        if self.prune:
            for name, found in sorted(self._remote.items()):
                mine = [cid for cid, sha in found if sha is not None]
                if mine and name not in self._seen:
                    actions.append(MirrorAction("prune", name, None, mine))
        self.actions = actions
        self._bytes_total = sum(a.file.size for a in actions if a.file is not None)
        self._emit("plan")
        if self.dry_run:
            for action in actions:
                self._record(action)
        return [] if self.dry_run else actions

    # ---- doing it ----------------------------------------------------------------------------

    def create_request(self, action: MirrorAction) -> CreateFileCollectionRequest:
        assert action.file is not None
        mark = {MIRROR_KEY: {"sha256": action.file.sha256, "size": action.file.size}}
        return CreateFileCollectionRequest(
            dataset_id=self.dataset_id,
            file=action.file.absolute,
            filename=action.path,
            metadata=mark,
        )

    def create_option(self, action: MirrorAction) -> RequestOption:
        """The caller's option, with the hash also under the GridFS-era name (see the module docstring)."""
        assert action.file is not None
        option = self.option or RequestOption()
        mark = {MIRROR_KEY: {"sha256": action.file.sha256, "size": action.file.size}}
        return option.model_copy(
            update={"extra_body": {"collectionMetadata": mark, **(option.extra_body or {})}}
        )

    def bytes_reporter(self, action: MirrorAction) -> Callable[[int, int | None], None]:
        size = action.file.size if action.file is not None else 0

        def report(sent: int, total: int | None) -> None:
            self._emit("upload", action.path, sent=sent, size=size, bytes_done=self._bytes_done + sent)

        return report

    @staticmethod
    def delete_request(collection_id: str) -> DeleteCollectionRequest:
        return DeleteCollectionRequest(id=collection_id)

    def created(self, action: MirrorAction, collection_id: str) -> None:
        assert action.file is not None
        self._bytes_done += action.file.size
        self.result.collection_ids.append(collection_id)
        self._emit("uploaded", action.path, size=action.file.size, collection_id=collection_id)

    def deleted(self, action: MirrorAction, collection_id: str) -> None:
        if action.kind == "prune":
            self._emit("deleted", action.path, collection_id=collection_id)

    def finished(self, action: MirrorAction) -> None:
        self._files_done += 1
        self._record(action)
        if action.kind == "unchanged":
            self._emit("unchanged", action.path)

    def failed(self, action: MirrorAction, exc: FastGPTError) -> None:
        """A step failed: the run goes on with the next file, unless the key was refused."""
        if isinstance(exc, (AuthenticationError, PermissionDeniedError)):
            raise exc
        self._files_done += 1
        if action.file is not None:
            self._bytes_done += action.file.size  # what a bar counts as handled
        self._fail(action.path, exc)

    def done(self) -> MirrorResult:
        self._emit("done")
        return self.result

    # ---- bookkeeping -------------------------------------------------------------------------

    def _record(self, action: MirrorAction) -> None:
        {
            "unchanged": self.result.unchanged,
            "create": self.result.created,
            "replace": self.result.updated,
            "prune": self.result.deleted,
        }[action.kind].append(action.path)

    def _fail(self, path: str, exc: Exception) -> None:
        message = str(exc) if not isinstance(exc, OSError) else f"{exc.strerror or exc}"
        self.result.failed.append(MirrorFailure(path, type(exc).__name__, message))
        self._emit("failed", path, error=f"{type(exc).__name__}: {message}")

    def _emit(self, stage: MirrorStage, path: str | None = None, **values: Any) -> None:
        if self._on_progress is None:
            return
        values.setdefault("bytes_done", self._bytes_done)
        self._on_progress(
            MirrorProgress(
                stage=stage,
                path=path,
                bytes_total=self._bytes_total,
                files_done=self._files_done,
                files_total=len(self.actions),
                **values,
            )
        )


def _hashed(path: str, absolute: str) -> LocalFile:
    digest = hashlib.sha256()
    size = 0
    with open(absolute, "rb") as file:
        while block := file.read(_HASH_BLOCK):
            digest.update(block)
            size += len(block)
    return LocalFile(path, absolute, size, digest.hexdigest())
