"""`client.dataset`: knowledge bases, their collections and data, sync and async.

Every endpoint method is one request to FastGPT, sent through the client's `Sender`: a write
(everything but the GETs) is sent again only when it provably never arrived (no connection could be
made) or the server declined it unread (429, 503), so `push_data` and the `create_*_collection` calls
never queue the same data twice. The file upload of `create_file_collection` is a streamed
`multipart/form-data` body (`core/multipart.py`) under the same rule; another try reads the file again
from its start.

Two helpers are built on them: `push_all` sends any number of items as `push_data` batches, a few at
a time, pulling the items only as batches are sent (`bulk.py`); `wait_for_training` polls
`get_collection` until the collection's training is over (`training.py`).
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import sys
from collections.abc import (
    AsyncIterable,
    Callable,
    Iterable,
    Sequence,
    Sized,
)
from typing import TYPE_CHECKING, Any, overload
from urllib.parse import quote

from fastgpt_oapi.core.errors import BadRequestError, FastGPTError, PushAllError
from fastgpt_oapi.core.model import OperationResponse
from fastgpt_oapi.core.multipart import FieldPart, FilePart, MultipartBody
from fastgpt_oapi.core.options import RequestOption
from fastgpt_oapi.core.progress import ProgressCallback
from fastgpt_oapi.core.storage import aupload, upload
from fastgpt_oapi.core.upload import PresignedUpload, UploadSource, filename_of, open_source

from ._calls import DatasetCalls
from .bulk import DEFAULT_PUSH_CONCURRENCY, PushDataFields, PushRun, apush, push
from .mirror import MirrorRun
from .model import (
    MAX_PUSH_ITEMS,
    CollectionDetail,
    CreateCollectionWithResultResponse,
    CreateFileCollectionRequest,
    DataItemInput,
    DeleteCollectionRequest,
    MirrorProgress,
    MirrorResult,
    PushAllResult,
    TrainingProgress,
    UploadDatasetFileRequest,
    UploadedDatasetFile,
)
from .training import apoll, poll, watch_for

if sys.version_info >= (3, 11):
    from typing import Unpack
else:  # pragma: no cover
    from typing_extensions import Unpack

if TYPE_CHECKING:
    from fastgpt_oapi.core.http import PreparedCall

__all__ = ["DEFAULT_PUSH_CONCURRENCY", "DatasetService", "PushDataFields"]

# encodeURIComponent's unreserved set: FastGPT's web app sends `encodeURIComponent(file.name)` as the
# part's filename and its handler reads `decodeURIComponent(originalname)` (multer hands the raw
# header value over as latin-1, so a UTF-8 name would arrive garbled, and a bare `%` would fail).
_URI_COMPONENT_SAFE = "!'()*-._~"


class DatasetService(DatasetCalls):
    """Datasets, collections and data (chunks). Needs the API key's member to have access to them."""

    # ---- collections --------------------------------------------------------------------------

    def create_file_collection(
        self,
        request: CreateFileCollectionRequest,
        request_option: RequestOption | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> CreateCollectionWithResultResponse:
        """Upload a file into a new collection: one streamed multipart request to FastGPT (with the API
        key: it is FastGPT's own endpoint). A missing path or a directory raises
        `RequestValidationError` (field `file`) before anything is sent.

        `on_progress(bytes_sent, size)` hears the file's bytes (not the form's framing) as they are
        written to the connection (`fastgpt_oapi.ProgressCallback`): 0 first, then after each chunk.
        An exception it raises cuts the request off mid-body and comes out of this call as it is:
        FastGPT never gets a whole form, so it makes no collection, and nothing is retried."""
        filename = filename_of(request, "file")
        source = open_source(request.file, field="file")
        source.progress = on_progress
        try:
            call = self._file_call(request, source, filename, request_option)
            return self._http.send(call, CreateCollectionWithResultResponse)
        finally:
            source.close()

    async def acreate_file_collection(
        self,
        request: CreateFileCollectionRequest,
        request_option: RequestOption | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> CreateCollectionWithResultResponse:
        """`create_file_collection`, async. File reads run in worker threads, a chunk at a time;
        `on_progress` is called on the event loop."""
        filename = filename_of(request, "file")
        # In a thread: opening a path is quick, but copying a stream that cannot seek may take a while.
        source = await asyncio.to_thread(open_source, request.file, field="file")
        source.progress = on_progress
        try:
            call = self._file_call(request, source, filename, request_option)
            return await self._http.asend(call, CreateCollectionWithResultResponse)
        finally:
            source.close()

    def _file_call(
        self,
        request: CreateFileCollectionRequest,
        source: UploadSource,
        filename: str,
        option: RequestOption | None,
    ) -> PreparedCall:
        # The request's other fields, as JSON, are the `data` part; the file goes first, as FastGPT's
        # web app and documented curl call send them (`formData.append('file', ...)`, then `data`).
        call = self._http.prepare(request, option)
        content_type = request.content_type or mimetypes.guess_type(filename, strict=False)[0]
        body = MultipartBody(
            [
                FilePart(
                    "file",
                    source,
                    filename=quote(filename, safe=_URI_COMPONENT_SAFE),
                    content_type=content_type or "application/octet-stream",
                ),
                FieldPart("data", call.content or b"{}"),
            ]
        )
        return call.with_body(body)

    def delete_collection(
        self, request: DeleteCollectionRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        """`POST collection/delete` with a JSON body; on a server without that form (FastGPT before
        4.18), `DELETE ?id=`, remembered for this client's server. `api_file_ids` on such a server
        raises `BadRequestError` (nothing is deleted)."""
        try:
            return self._http.request(request, request_option)
        except BadRequestError as exc:
            raise _old_delete_error(request, exc) from exc

    async def adelete_collection(
        self, request: DeleteCollectionRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        try:
            return await self._http.arequest(request, request_option)
        except BadRequestError as exc:
            raise _old_delete_error(request, exc) from exc

    # ---- helpers: bulk push, waiting for training ---------------------------------------------

    def push_all(
        self,
        collection_id: str,
        items: Iterable[DataItemInput],
        *,
        batch_size: int = MAX_PUSH_ITEMS,
        concurrency: int = DEFAULT_PUSH_CONCURRENCY,
        resume: PushAllError | None = None,
        on_progress: ProgressCallback | None = None,
        request_option: RequestOption | None = None,
        **fields: Unpack[PushDataFields],
    ) -> PushAllResult:
        """Push any number of items (`DataItem`s or dicts) into a collection, `batch_size` (at most
        200) a `push_data` call, `concurrency` calls at a time (in worker threads over the client's
        connection pool).

        Items are pulled from `items` only as batches are sent: at most `batch_size * concurrency` of
        them are held at once, however long the input (a generator is never read ahead). The other
        keyword arguments (`PushDataFields`) are `PushDataRequest`'s, the same for every batch. `batch_size`, `concurrency` and
        those fields are checked before anything is sent (`RequestValidationError`).

        A batch that fails (refused, a network error, an item that does not check, or an exception
        from `items` itself) stops the run: no new batch is started, those in flight finish, and
        `PushAllError` is raised from the first failure, saying which batches are in FastGPT. Call
        again with the same items, from their start, and `resume=` that error to send only the rest.

        `on_progress(items, total)` (`fastgpt_oapi.ProgressCallback`) hears how many of the items are
        in FastGPT: `(0, total)` first, then after each batch FastGPT acknowledged (a resumed run
        counts the batches it skips as done). `total` is `len(items)` for a sized input (a list, a
        tuple), else None. It runs in the calling thread, never in a worker. An exception it raises
        stops the run as a failed batch does: no batch is started after it, those in flight finish,
        and `PushAllError` (raised from that exception) says where to resume; no batch is sent twice.
        """
        run = PushRun(
            collection_id,
            batch_size=batch_size,
            concurrency=concurrency,
            resume=resume,
            fields=fields,
            on_progress=on_progress,
            total=len(items) if isinstance(items, Sized) else None,
        )
        return push(run, items, lambda request: self.push_data(request, request_option))

    async def apush_all(
        self,
        collection_id: str,
        items: Iterable[DataItemInput] | AsyncIterable[DataItemInput],
        *,
        batch_size: int = MAX_PUSH_ITEMS,
        concurrency: int = DEFAULT_PUSH_CONCURRENCY,
        resume: PushAllError | None = None,
        on_progress: ProgressCallback | None = None,
        request_option: RequestOption | None = None,
        **fields: Unpack[PushDataFields],
    ) -> PushAllResult:
        """`push_all`, async: `items` may be an async iterable too, and the batches in flight are tasks
        of the running loop. Cancelled, it cancels the batches in flight (which may have arrived).
        `on_progress` is called on the event loop."""
        run = PushRun(
            collection_id,
            batch_size=batch_size,
            concurrency=concurrency,
            resume=resume,
            fields=fields,
            on_progress=on_progress,
            total=len(items) if isinstance(items, Sized) else None,
        )
        return await apush(run, items, lambda request: self.apush_data(request, request_option))

    @overload
    def wait_for_training(  # type: ignore[overload-overlap]  # a str is a sequence of str: it comes first
        self,
        collection_id: str,
        *,
        timeout: float = ...,
        poll_interval: float = ...,
        on_progress: Callable[[CollectionDetail], object] | None = ...,
        request_option: RequestOption | None = ...,
    ) -> CollectionDetail: ...

    @overload
    def wait_for_training(
        self,
        collection_id: Sequence[str],
        *,
        timeout: float = ...,
        poll_interval: float = ...,
        on_progress: Callable[[TrainingProgress], object] | None = ...,
        request_option: RequestOption | None = ...,
    ) -> list[CollectionDetail]: ...

    def wait_for_training(
        self,
        collection_id: str | Sequence[str],
        *,
        timeout: float = 600.0,
        poll_interval: float = 2.0,
        on_progress: Callable[[CollectionDetail], object]
        | Callable[[TrainingProgress], object]
        | None = None,
        request_option: RequestOption | None = None,
    ) -> CollectionDetail | list[CollectionDetail]:
        """Poll `get_collection` every `poll_interval` seconds until nothing of the collection (or of
        several) is left in FastGPT's training queue, and return its last detail (several: a list). `on_progress` sees each poll's detail
        (`training_amount`, `active_training_amount`, `final_error_amount`, `slowest_training_mode`,
        ...), the last one included.

        FastGPT >= 4.17.2 writes chunks before it indexes them and updates the collection's counters
        asynchronously, so a poll may read counters from before the data arrived. On such a server
        (its detail carries `remaining_count` / `processed_count`) the wait also needs
        `remaining_count` at 0, and then reads the collection's chunks (`list_data`, 30 a page) and
        goes on polling while any is not indexed yet (`index_status` other than "indexed" or a
        failure): it returns only when the data is searchable.

        Raises `TrainingFailedError` when nothing is running any more but chunks failed for good
        (it waits for the rest first), `APITimeoutError` when training is still running `timeout`
        seconds after the call (a poll is made at the deadline first), and
        `APIResponseValidationError` if the server reports no training counters at all.

        Several collections: pass a sequence of ids (`wait_for_training([a, b])`). Each round polls
        every collection not done yet, under one deadline; `on_progress` then hears one
        `TrainingProgress` for all of them (`remaining` chunks across all, `finished` of `total`,
        the last `details` by id), and the answer is the list of final details, in the order given.
        A collection that failed for good does not stop the wait for the others; its
        `TrainingFailedError` is raised once all are done. A single id (a `str`) keeps the behaviour
        above: one `CollectionDetail`, `on_progress` hearing each poll's detail.
        """
        wait = watch_for(
            collection_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            hooks=self._http.hooks,
        )
        return poll(
            wait,
            lambda request: self.get_collection(request, request_option),
            lambda request: self.iter_data(request, request_option),
        )

    @overload
    async def await_for_training(  # type: ignore[overload-overlap]  # as wait_for_training's
        self,
        collection_id: str,
        *,
        timeout: float = ...,
        poll_interval: float = ...,
        on_progress: Callable[[CollectionDetail], object] | None = ...,
        request_option: RequestOption | None = ...,
    ) -> CollectionDetail: ...

    @overload
    async def await_for_training(
        self,
        collection_id: Sequence[str],
        *,
        timeout: float = ...,
        poll_interval: float = ...,
        on_progress: Callable[[TrainingProgress], object] | None = ...,
        request_option: RequestOption | None = ...,
    ) -> list[CollectionDetail]: ...

    async def await_for_training(
        self,
        collection_id: str | Sequence[str],
        *,
        timeout: float = 600.0,
        poll_interval: float = 2.0,
        on_progress: Callable[[CollectionDetail], object]
        | Callable[[TrainingProgress], object]
        | None = None,
        request_option: RequestOption | None = None,
    ) -> CollectionDetail | list[CollectionDetail]:
        """`wait_for_training`, async (the `a` prefix of the rule makes it `await_for_training`)."""
        wait = watch_for(
            collection_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            hooks=self._http.hooks,
        )
        return await apoll(
            wait,
            lambda request: self.aget_collection(request, request_option),
            lambda request: self.aiter_data(request, request_option),
        )

    # ---- helper: mirroring a folder -----------------------------------------------------------

    def mirror_folder(
        self,
        dataset_id: str,
        folder: str | os.PathLike[str],
        *,
        pattern: str | None = None,
        prune: bool = False,
        dry_run: bool = False,
        on_progress: Callable[[MirrorProgress], object] | None = None,
        request_option: RequestOption | None = None,
    ) -> MirrorResult:
        """Keep `folder` in the dataset: one file collection per file, named by its path relative to
        the folder (POSIX `/`), at the dataset's top level, its content's sha256 in the collection's
        `metadata` (under `"fastgptOapiMirror"`).

        A file whose collection has the same hash is skipped (nothing uploaded); a changed one gets a
        new collection, and the old one is deleted after it was made; a new one is created.
        `prune=True` also deletes the mirror's collections whose file is gone (only those: a
        collection without the mirror's metadata is never replaced or deleted, whatever its name).
        `dry_run=True` reads the folder and the dataset and sends no write: the result says what would
        happen. `pattern`: a glob over relative paths (with a `/`: the whole path, else the file
        name; `*` crosses folders); files and folders whose name starts with `.` are left out.

        A file that fails (unreadable, refused, a network error) is in the result's `failed`; the others
        go on. A refused key (`AuthenticationError`, `PermissionDeniedError`) stops the run and is
        raised. Run again after a failure, it does only what is left: what landed is found in the
        dataset by name and hash (even a create whose answer was lost) and not sent again.
        `on_progress` hears `MirrorProgress` events (stages, bytes as they are sent); an exception it
        raises stops the run and comes out of this call (the file being uploaded is cut off, so
        FastGPT makes no collection of it). Training is not waited for: pass the result's
        `collection_ids` to `wait_for_training`.
        """
        run = MirrorRun(
            dataset_id,
            folder,
            pattern=pattern,
            prune=prune,
            dry_run=dry_run,
            on_progress=on_progress,
            request_option=request_option,
        )
        run.scan()
        for item in run.to_inspect(list(self.iter_collections(run.list_request, request_option))):
            try:
                run.inspected(item, self.get_collection(run.detail_request(item), request_option))
            except FastGPTError as exc:
                run.inspect_failed(item, exc)
        for action in run.plan():
            try:
                if action.file is not None:
                    created = self.create_file_collection(
                        run.create_request(action),
                        run.create_option(action),
                        on_progress=run.bytes_reporter(action),
                    )
                    run.created(action, created.collection_id)
                for collection_id in action.delete_ids:
                    self.delete_collection(run.delete_request(collection_id), request_option)
                    run.deleted(action, collection_id)
            except FastGPTError as exc:
                run.failed(action, exc)
            else:
                run.finished(action)
        return run.done()

    async def amirror_folder(
        self,
        dataset_id: str,
        folder: str | os.PathLike[str],
        *,
        pattern: str | None = None,
        prune: bool = False,
        dry_run: bool = False,
        on_progress: Callable[[MirrorProgress], object] | None = None,
        request_option: RequestOption | None = None,
    ) -> MirrorResult:
        """`mirror_folder`, async: the folder is read and hashed in a worker thread, `on_progress`
        called on the event loop."""
        run = MirrorRun(
            dataset_id,
            folder,
            pattern=pattern,
            prune=prune,
            dry_run=dry_run,
            on_progress=on_progress,
            request_option=request_option,
        )
        await asyncio.to_thread(run.scan)
        listing = [item async for item in self.aiter_collections(run.list_request, request_option)]
        for item in run.to_inspect(listing):
            try:
                run.inspected(item, await self.aget_collection(run.detail_request(item), request_option))
            except FastGPTError as exc:
                run.inspect_failed(item, exc)
        for action in run.plan():
            try:
                if action.file is not None:
                    created = await self.acreate_file_collection(
                        run.create_request(action),
                        run.create_option(action),
                        on_progress=run.bytes_reporter(action),
                    )
                    run.created(action, created.collection_id)
                for collection_id in action.delete_ids:
                    await self.adelete_collection(run.delete_request(collection_id), request_option)
                    run.deleted(action, collection_id)
            except FastGPTError as exc:
                run.failed(action, exc)
            else:
                run.finished(action)
        return run.done()

    # ---- FastGPT 4.15 - 4.18 System OpenAPI operations ----------------------------------------
    # The presigned upload whose key create/fileId takes (the walk of listV2 is generated).

    def upload_dataset_file(
        self,
        request: UploadDatasetFileRequest,
        request_option: RequestOption | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> UploadedDatasetFile:
        """Put a file into the dataset's storage; pass `.file_id` to `create_file_id_collection`.

        Asks FastGPT for an upload URL (`presignDatasetFilePostUrl`, a write: sent again only if it
        never left), then sends the file there as `client.chat.upload_file` does (`core/storage.py`):
        streamed from disk, one PUT or (FastGPT >= 4.16, large files) parts and a completion, with no
        API key and none of the client's headers, nothing sent again once bytes may have arrived. A
        missing path or a directory raises `RequestValidationError` (field `file`) before anything is
        sent. `on_progress(bytes_sent, size)`: as `client.chat.upload_file`'s.
        """
        filename = filename_of(request, "file")
        source = open_source(request.file, field="file")
        source.progress = on_progress
        presigned = upload(self._http, request, source, request_option, _presign_fields(filename, source))
        return _uploaded_dataset_file(request, presigned, filename, source)

    async def aupload_dataset_file(
        self,
        request: UploadDatasetFileRequest,
        request_option: RequestOption | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> UploadedDatasetFile:
        """`upload_dataset_file`, async. File reads run in worker threads, a chunk at a time."""
        filename = filename_of(request, "file")
        source = await asyncio.to_thread(open_source, request.file, field="file")
        source.progress = on_progress
        presigned = await aupload(
            self._http, request, source, request_option, _presign_fields(filename, source)
        )
        return _uploaded_dataset_file(request, presigned, filename, source)


def _old_delete_error(request: DeleteCollectionRequest, exc: BadRequestError) -> BadRequestError:
    """`api_file_ids` refused for lack of a form that carries them: said plainly."""
    if request.api_file_ids is None or exc.status_text != "missingParams":
        return exc
    return type(exc)(
        "This FastGPT server cannot delete collections by dataset_id + api_file_ids (FastGPT 4.18 added "
        "that form; older ones take id or collection_ids only). Nothing was deleted.",
        response=exc.response,
        body=exc.body,
        code=exc.code,
        status_text=exc.status_text,
    )


# ---- helpers of the FastGPT 4.15 - 4.18 operations ------------------------------------------------


def _presign_fields(filename: str, source: UploadSource) -> dict[str, Any]:
    # FastGPT's `size` is a positive int: an empty file goes without it (a single PUT).
    return {"filename": filename, "size": source.size} if source.size > 0 else {"filename": filename}


def _uploaded_dataset_file(
    request: UploadDatasetFileRequest, presigned: PresignedUpload, filename: str, source: UploadSource
) -> UploadedDatasetFile:
    # The type storage was told, else a guess from the name.
    return UploadedDatasetFile(
        key=presigned.key,
        dataset_id=request.dataset_id,
        filename=filename,
        size=source.size,
        content_type=presigned.stored_content_type or mimetypes.guess_type(filename, strict=False)[0],
    )
