"""`client.dataset`: knowledge bases, their collections and data, sync and async.

Every endpoint method is one request to FastGPT, sent through the client's `Sender`: a write
(everything but the GETs) is sent again only when it provably never arrived (no connection could be
made) or the server declined it unread (429, 503), so `push_data` and the `create_*_collection` calls
never queue the same data twice. The file upload of `create_file_collection` is a streamed
`multipart/form-data` body (`core/multipart.py`) under the same rule; another try reads the file again
from its start.

Two helpers are built on them: `push_all` sends any number of items as `push_data` batches, a few at
a time, pulling the items only as batches are sent; `wait_for_training` polls `get_collection` until
the collection's training is over. Their bookkeeping (`_PushRun`, `_TrainingWatch`) is free of I/O
and shared by the sync and async shells.
"""

from __future__ import annotations

import asyncio
import itertools
import mimetypes
from collections.abc import AsyncIterable, AsyncIterator, Callable, Hashable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastgpt_oapi.core.errors import (
    APIResponseValidationError,
    APITimeoutError,
    BadRequestError,
    PushAllError,
    RequestValidationError,
    TrainingFailedError,
)
from fastgpt_oapi.core.model import OperationResponse
from fastgpt_oapi.core.multipart import FieldPart, FilePart, MultipartBody
from fastgpt_oapi.core.options import RequestOption
from fastgpt_oapi.core.paging import OffsetWalk, awalk, walk
from fastgpt_oapi.core.service import Service
from fastgpt_oapi.core.storage import atransfer, transfer
from fastgpt_oapi.core.upload import PresignedUpload, UploadSource, content_name, open_source

from ._raw import DatasetServiceWithRawResponse
from .model import (
    MAX_PUSH_ITEMS,
    CollectionDetail,
    CollectionListItem,
    CreateApiCollectionRequest,
    CreateApiCollectionResponse,
    CreateApiCollectionV2Request,
    CreateApiCollectionV2Response,
    CreateCollectionRequest,
    CreateCollectionResponse,
    CreateCollectionWithResultResponse,
    CreateDataIndexRequest,
    CreateDatasetRequest,
    CreateDatasetResponse,
    CreateFileCollectionRequest,
    CreateFileIdCollectionRequest,
    CreateLinkCollectionRequest,
    CreateTextCollectionRequest,
    DataDetail,
    DataIndexResponse,
    DataItemInput,
    DataListItem,
    DatasetDetail,
    DatasetListV2Item,
    DeleteCollectionRequest,
    DeleteDataIndexRequest,
    DeleteDataRequest,
    DeleteDatasetRequest,
    GetCollectionRequest,
    GetDataRequest,
    GetDatasetRequest,
    InsertDataRequest,
    InsertDataResponse,
    ListCollectionsRequest,
    ListCollectionsResponse,
    ListDataRequest,
    ListDataResponse,
    ListDatasetsRequest,
    ListDatasetsResponse,
    ListDatasetsV2Request,
    ListDatasetsV2Response,
    PushAllResult,
    PushDataRequest,
    PushDataResponse,
    SearchTestRequest,
    SearchTestResponse,
    SyncCollectionRequest,
    SyncCollectionResponse,
    TrainingType,
    UpdateCollectionRequest,
    UpdateDataIndexRequest,
    UpdateDataRequest,
    UpdateDataResponse,
    UploadDatasetFileRequest,
    UploadedDatasetFile,
    is_plain_item,
)

if TYPE_CHECKING:
    from fastgpt_oapi.core.http import PreparedCall

__all__ = ["DEFAULT_PUSH_CONCURRENCY", "DatasetService"]

# `push_all`'s batches in flight at once. A pushData call mostly waits (FastGPT stores the items in its
# training queue and answers), so a few at once hide the round trips: at 20 to 50 ms a call, 4 in
# flight pushed 3.6 to 3.8 times as many items a second as one (bench/RESULTS.md, bulk push). 4 holds
# at most 800 items, uses 4 of the pool's 100 connections, and asks a server for 4 inserts at once at
# most; FastGPT trains far slower than it takes data, so more would fill its queue sooner, not train it.
DEFAULT_PUSH_CONCURRENCY = 4

# encodeURIComponent's unreserved set: FastGPT's web app sends `encodeURIComponent(file.name)` as the
# part's filename and its handler reads `decodeURIComponent(originalname)` (multer hands the raw
# header value over as latin-1, so a UTF-8 name would arrive garbled, and a bare `%` would fail).
_URI_COMPONENT_SAFE = "!'()*-._~"


def _item_key(item: CollectionListItem | DataListItem) -> Hashable:
    return item.id or item.model_dump_json()


class DatasetService(Service[DatasetServiceWithRawResponse]):
    """Datasets, collections and data (chunks). Needs the API key's member to have access to them."""

    # ---- datasets -----------------------------------------------------------------------------

    def create_dataset(
        self, request: CreateDatasetRequest, request_option: RequestOption | None = None
    ) -> CreateDatasetResponse:
        """A new dataset; `.id` of the answer is its id."""
        return self._http.request(request, request_option)

    async def acreate_dataset(
        self, request: CreateDatasetRequest, request_option: RequestOption | None = None
    ) -> CreateDatasetResponse:
        return await self._http.arequest(request, request_option)

    def list_datasets(
        self, request: ListDatasetsRequest, request_option: RequestOption | None = None
    ) -> ListDatasetsResponse:
        """The datasets of one folder (all of them, unpaged), most recently updated first."""
        return self._http.request(request, request_option)

    async def alist_datasets(
        self, request: ListDatasetsRequest, request_option: RequestOption | None = None
    ) -> ListDatasetsResponse:
        return await self._http.arequest(request, request_option)

    def get_dataset(
        self, request: GetDatasetRequest, request_option: RequestOption | None = None
    ) -> DatasetDetail:
        return self._http.request(request, request_option)

    async def aget_dataset(
        self, request: GetDatasetRequest, request_option: RequestOption | None = None
    ) -> DatasetDetail:
        return await self._http.arequest(request, request_option)

    def delete_dataset(
        self, request: DeleteDatasetRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return self._http.request(request, request_option)

    async def adelete_dataset(
        self, request: DeleteDatasetRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return await self._http.arequest(request, request_option)

    def search_test(
        self, request: SearchTestRequest, request_option: RequestOption | None = None
    ) -> SearchTestResponse:
        """Search the dataset; costs AI points, so it is not sent again after a timeout."""
        return self._http.request(request, request_option)

    async def asearch_test(
        self, request: SearchTestRequest, request_option: RequestOption | None = None
    ) -> SearchTestResponse:
        return await self._http.arequest(request, request_option)

    # ---- collections --------------------------------------------------------------------------

    def create_collection(
        self, request: CreateCollectionRequest, request_option: RequestOption | None = None
    ) -> CreateCollectionResponse:
        """An empty ("virtual") collection or a folder; `.id` of the answer is its id."""
        return self._http.request(request, request_option)

    async def acreate_collection(
        self, request: CreateCollectionRequest, request_option: RequestOption | None = None
    ) -> CreateCollectionResponse:
        return await self._http.arequest(request, request_option)

    def create_text_collection(
        self, request: CreateTextCollectionRequest, request_option: RequestOption | None = None
    ) -> CreateCollectionWithResultResponse:
        return self._http.request(request, request_option)

    async def acreate_text_collection(
        self, request: CreateTextCollectionRequest, request_option: RequestOption | None = None
    ) -> CreateCollectionWithResultResponse:
        return await self._http.arequest(request, request_option)

    def create_link_collection(
        self, request: CreateLinkCollectionRequest, request_option: RequestOption | None = None
    ) -> CreateCollectionWithResultResponse:
        return self._http.request(request, request_option)

    async def acreate_link_collection(
        self, request: CreateLinkCollectionRequest, request_option: RequestOption | None = None
    ) -> CreateCollectionWithResultResponse:
        return await self._http.arequest(request, request_option)

    def create_file_collection(
        self, request: CreateFileCollectionRequest, request_option: RequestOption | None = None
    ) -> CreateCollectionWithResultResponse:
        """Upload a file into a new collection: one streamed multipart request to FastGPT (with the API
        key: it is FastGPT's own endpoint). A missing path or a directory raises
        `RequestValidationError` (field `file`) before anything is sent."""
        filename = _filename(request)
        source = open_source(request.file, field="file")
        try:
            call = self._file_call(request, source, filename, request_option)
            return self._http.send(call, CreateCollectionWithResultResponse)
        finally:
            source.close()

    async def acreate_file_collection(
        self, request: CreateFileCollectionRequest, request_option: RequestOption | None = None
    ) -> CreateCollectionWithResultResponse:
        """`create_file_collection`, async. File reads run in worker threads, a chunk at a time."""
        filename = _filename(request)
        # In a thread: opening a path is quick, but copying a stream that cannot seek may take a while.
        source = await asyncio.to_thread(open_source, request.file, field="file")
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

    def create_api_collection(
        self, request: CreateApiCollectionRequest, request_option: RequestOption | None = None
    ) -> CreateApiCollectionResponse:
        return self._http.request(request, request_option)

    async def acreate_api_collection(
        self, request: CreateApiCollectionRequest, request_option: RequestOption | None = None
    ) -> CreateApiCollectionResponse:
        return await self._http.arequest(request, request_option)

    def list_collections(
        self, request: ListCollectionsRequest, request_option: RequestOption | None = None
    ) -> ListCollectionsResponse:
        """One page of a folder's collections (`list`, `total`)."""
        return self._http.request(request, request_option)

    async def alist_collections(
        self, request: ListCollectionsRequest, request_option: RequestOption | None = None
    ) -> ListCollectionsResponse:
        return await self._http.arequest(request, request_option)

    def iter_collections(
        self, request: ListCollectionsRequest, request_option: RequestOption | None = None
    ) -> Iterator[CollectionListItem]:
        """Every collection from `request.offset` on, `request.page_size` a page, in list order.

        A collection that moves up while the walk runs (it was updated) is yielded once.
        """
        return walk(lambda page: self.list_collections(page, request_option), OffsetWalk(request, _item_key))

    def aiter_collections(
        self, request: ListCollectionsRequest, request_option: RequestOption | None = None
    ) -> AsyncIterator[CollectionListItem]:
        """Call without `await`: `async for item in client.dataset.aiter_collections(request)`."""
        return awalk(
            lambda page: self.alist_collections(page, request_option), OffsetWalk(request, _item_key)
        )

    def get_collection(
        self, request: GetCollectionRequest, request_option: RequestOption | None = None
    ) -> CollectionDetail:
        return self._http.request(request, request_option)

    async def aget_collection(
        self, request: GetCollectionRequest, request_option: RequestOption | None = None
    ) -> CollectionDetail:
        return await self._http.arequest(request, request_option)

    def update_collection(
        self, request: UpdateCollectionRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return self._http.request(request, request_option)

    async def aupdate_collection(
        self, request: UpdateCollectionRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return await self._http.arequest(request, request_option)

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

    def sync_collection(
        self, request: SyncCollectionRequest, request_option: RequestOption | None = None
    ) -> SyncCollectionResponse:
        return self._http.request(request, request_option)

    async def async_collection(
        self, request: SyncCollectionRequest, request_option: RequestOption | None = None
    ) -> SyncCollectionResponse:
        return await self._http.arequest(request, request_option)

    # ---- data ---------------------------------------------------------------------------------

    def push_data(
        self, request: PushDataRequest, request_option: RequestOption | None = None
    ) -> PushDataResponse:
        """Queue up to 200 chunks for training. Never sent twice once FastGPT may have received it."""
        return self._http.request(request, request_option)

    async def apush_data(
        self, request: PushDataRequest, request_option: RequestOption | None = None
    ) -> PushDataResponse:
        return await self._http.arequest(request, request_option)

    def list_data(
        self, request: ListDataRequest, request_option: RequestOption | None = None
    ) -> ListDataResponse:
        """One page of a collection's chunks (`list`, `total`)."""
        return self._http.request(request, request_option)

    async def alist_data(
        self, request: ListDataRequest, request_option: RequestOption | None = None
    ) -> ListDataResponse:
        return await self._http.arequest(request, request_option)

    def iter_data(
        self, request: ListDataRequest, request_option: RequestOption | None = None
    ) -> Iterator[DataListItem]:
        """Every chunk of the collection from `request.offset` on, `request.page_size` a page."""
        return walk(lambda page: self.list_data(page, request_option), OffsetWalk(request, _item_key))

    def aiter_data(
        self, request: ListDataRequest, request_option: RequestOption | None = None
    ) -> AsyncIterator[DataListItem]:
        """Call without `await`: `async for chunk in client.dataset.aiter_data(request)`."""
        return awalk(lambda page: self.alist_data(page, request_option), OffsetWalk(request, _item_key))

    def get_data(self, request: GetDataRequest, request_option: RequestOption | None = None) -> DataDetail:
        return self._http.request(request, request_option)

    async def aget_data(
        self, request: GetDataRequest, request_option: RequestOption | None = None
    ) -> DataDetail:
        return await self._http.arequest(request, request_option)

    def update_data(
        self, request: UpdateDataRequest, request_option: RequestOption | None = None
    ) -> UpdateDataResponse:
        return self._http.request(request, request_option)

    async def aupdate_data(
        self, request: UpdateDataRequest, request_option: RequestOption | None = None
    ) -> UpdateDataResponse:
        return await self._http.arequest(request, request_option)

    def delete_data(
        self, request: DeleteDataRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return self._http.request(request, request_option)

    async def adelete_data(
        self, request: DeleteDataRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return await self._http.arequest(request, request_option)

    # ---- helpers: bulk push, waiting for training ---------------------------------------------

    def push_all(
        self,
        collection_id: str,
        items: Iterable[DataItemInput],
        *,
        batch_size: int = MAX_PUSH_ITEMS,
        concurrency: int = DEFAULT_PUSH_CONCURRENCY,
        training_type: TrainingType | None = None,
        index_size: int | None = None,
        auto_indexes: bool | None = None,
        image_index: bool | None = None,
        prompt: str | None = None,
        bill_id: str | None = None,
        resume: PushAllError | None = None,
        request_option: RequestOption | None = None,
    ) -> PushAllResult:
        """Push any number of items (`DataItem`s or dicts) into a collection, `batch_size` (at most
        200) a `push_data` call, `concurrency` calls at a time (in worker threads over the client's
        connection pool).

        Items are pulled from `items` only as batches are sent: at most `batch_size * concurrency` of
        them are held at once, however long the input (a generator is never read ahead). The other
        arguments are `PushDataRequest`'s, the same for every batch. `batch_size`, `concurrency` and
        those fields are checked before anything is sent (`RequestValidationError`).

        A batch that fails (refused, a network error, an item that does not check, or an exception
        from `items` itself) stops the run: no new batch is started, those in flight finish, and
        `PushAllError` is raised from the first failure, saying which batches are in FastGPT. Call
        again with the same items, from their start, and `resume=` that error to send only the rest.
        """
        run = _PushRun(
            collection_id,
            batch_size=batch_size,
            concurrency=concurrency,
            resume=resume,
            fields={
                "training_type": training_type,
                "index_size": index_size,
                "auto_indexes": auto_indexes,
                "image_index": image_index,
                "prompt": prompt,
                "bill_id": bill_id,
            },
        )
        source = iter(items)
        if concurrency == 1:  # no thread needed to wait for one call at a time
            while not run.stopped:
                taken = run.take(source)
                if taken is None:
                    break
                index, request = taken
                try:
                    run.succeeded(index, self.push_data(request, request_option))
                except Exception as exc:
                    run.failed(index, exc)
            return run.outcome()
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="fastgpt-push-all") as pool:
            pending: dict[Future[PushDataResponse], int] = {}
            while True:
                while len(pending) < concurrency and not run.stopped:
                    taken = run.take(source)
                    if taken is None:
                        break
                    pending[pool.submit(self.push_data, taken[1], request_option)] = taken[0]
                if not pending:
                    break
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    run.settle(pending.pop(future), future)
        return run.outcome()

    async def apush_all(
        self,
        collection_id: str,
        items: Iterable[DataItemInput] | AsyncIterable[DataItemInput],
        *,
        batch_size: int = MAX_PUSH_ITEMS,
        concurrency: int = DEFAULT_PUSH_CONCURRENCY,
        training_type: TrainingType | None = None,
        index_size: int | None = None,
        auto_indexes: bool | None = None,
        image_index: bool | None = None,
        prompt: str | None = None,
        bill_id: str | None = None,
        resume: PushAllError | None = None,
        request_option: RequestOption | None = None,
    ) -> PushAllResult:
        """`push_all`, async: `items` may be an async iterable too, and the batches in flight are tasks
        of the running loop. Cancelled, it cancels the batches in flight (which may have arrived)."""
        run = _PushRun(
            collection_id,
            batch_size=batch_size,
            concurrency=concurrency,
            resume=resume,
            fields={
                "training_type": training_type,
                "index_size": index_size,
                "auto_indexes": auto_indexes,
                "image_index": image_index,
                "prompt": prompt,
                "bill_id": bill_id,
            },
        )
        asource: AsyncIterator[Any] | None = None
        source: Iterator[Any] = iter(())
        if isinstance(items, AsyncIterable):
            asource = aiter(items)
        else:
            source = iter(items)
        pending: dict[asyncio.Task[PushDataResponse], int] = {}
        try:
            while True:
                while len(pending) < concurrency and not run.stopped:
                    taken = run.take(source) if asource is None else await run.atake(asource)
                    if taken is None:
                        break
                    pending[asyncio.create_task(self.apush_data(taken[1], request_option))] = taken[0]
                if not pending:
                    break
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    run.settle(pending.pop(task), task)
        except BaseException:  # cancelled (or interrupted): the batches in flight go too
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            raise
        return run.outcome()

    def wait_for_training(
        self,
        collection_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float = 2.0,
        on_progress: Callable[[CollectionDetail], object] | None = None,
        request_option: RequestOption | None = None,
    ) -> CollectionDetail:
        """Poll `get_collection` every `poll_interval` seconds until nothing of the collection is left
        in FastGPT's training queue, and return its last detail. `on_progress` sees each poll's detail
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
        """
        watch = _TrainingWatch(collection_id, timeout, poll_interval, self._http.hooks.clock)
        while True:
            detail = self.get_collection(watch.request, request_option)
            if on_progress is not None:
                on_progress(detail)
            delay = watch.after(detail)
            if delay is None and watch.verifies(detail):
                items = self.iter_data(watch.data_request, request_option)
                delay = watch.after_check(sum(1 for item in items if not _indexed(item)))
            if delay is None:
                return detail
            self._http.hooks.sleep(delay)

    async def await_for_training(
        self,
        collection_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float = 2.0,
        on_progress: Callable[[CollectionDetail], object] | None = None,
        request_option: RequestOption | None = None,
    ) -> CollectionDetail:
        """`wait_for_training`, async (the `a` prefix of the rule makes it `await_for_training`)."""
        watch = _TrainingWatch(collection_id, timeout, poll_interval, self._http.hooks.clock)
        while True:
            detail = await self.aget_collection(watch.request, request_option)
            if on_progress is not None:
                on_progress(detail)
            delay = watch.after(detail)
            if delay is None and watch.verifies(detail):
                pending = 0
                async for item in self.aiter_data(watch.data_request, request_option):
                    pending += not _indexed(item)
                delay = watch.after_check(pending)
            if delay is None:
                return detail
            await self._http.hooks.asleep(delay)

    # ---- FastGPT 4.15 - 4.18 System OpenAPI operations ----------------------------------------
    # listV2, data indexes, insertData, apiCollectionV2, the presigned upload and create/fileId.

    def list_datasets_v2(
        self, request: ListDatasetsV2Request, request_option: RequestOption | None = None
    ) -> ListDatasetsV2Response:
        """One page of datasets (`list`, `total`); FastGPT >= 4.17.0 (older servers answer 404)."""
        return self._http.request(request, request_option)

    async def alist_datasets_v2(
        self, request: ListDatasetsV2Request, request_option: RequestOption | None = None
    ) -> ListDatasetsV2Response:
        return await self._http.arequest(request, request_option)

    def iter_datasets_v2(
        self, request: ListDatasetsV2Request, request_option: RequestOption | None = None
    ) -> Iterator[DatasetListV2Item]:
        """Every dataset from `request.offset` on, `request.page_size` a page, in list order; a dataset
        that moves up while the walk runs (it was updated) is yielded once."""
        return walk(
            lambda page: self.list_datasets_v2(page, request_option), OffsetWalk(request, _dataset_key)
        )

    def aiter_datasets_v2(
        self, request: ListDatasetsV2Request, request_option: RequestOption | None = None
    ) -> AsyncIterator[DatasetListV2Item]:
        """Call without `await`: `async for item in client.dataset.aiter_datasets_v2(request)`."""
        return awalk(
            lambda page: self.alist_datasets_v2(page, request_option), OffsetWalk(request, _dataset_key)
        )

    def create_data_index(
        self, request: CreateDataIndexRequest, request_option: RequestOption | None = None
    ) -> DataIndexResponse:
        """Add one index to a chunk (FastGPT >= 4.15.0); the answer's `index` is the stored one."""
        return self._http.request(request, request_option)

    async def acreate_data_index(
        self, request: CreateDataIndexRequest, request_option: RequestOption | None = None
    ) -> DataIndexResponse:
        return await self._http.arequest(request, request_option)

    def update_data_index(
        self, request: UpdateDataIndexRequest, request_option: RequestOption | None = None
    ) -> DataIndexResponse:
        """Replace one index of a chunk (FastGPT >= 4.15.0)."""
        return self._http.request(request, request_option)

    async def aupdate_data_index(
        self, request: UpdateDataIndexRequest, request_option: RequestOption | None = None
    ) -> DataIndexResponse:
        return await self._http.arequest(request, request_option)

    def delete_data_index(
        self, request: DeleteDataIndexRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        """Remove one index of a chunk (FastGPT >= 4.15.0)."""
        return self._http.request(request, request_option)

    async def adelete_data_index(
        self, request: DeleteDataIndexRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return await self._http.arequest(request, request_option)

    def insert_data(
        self, request: InsertDataRequest, request_option: RequestOption | None = None
    ) -> InsertDataResponse:
        """Write one chunk now, embedded during the call (no training queue); `.id` of the answer is
        its id. Never sent twice once FastGPT may have received it."""
        return self._http.request(request, request_option)

    async def ainsert_data(
        self, request: InsertDataRequest, request_option: RequestOption | None = None
    ) -> InsertDataResponse:
        return await self._http.arequest(request, request_option)

    def create_api_collection_v2(
        self, request: CreateApiCollectionV2Request, request_option: RequestOption | None = None
    ) -> CreateApiCollectionV2Response:
        """Collections from an API dataset's files and folders (FastGPT's replacement for V1)."""
        return self._http.request(request, request_option)

    async def acreate_api_collection_v2(
        self, request: CreateApiCollectionV2Request, request_option: RequestOption | None = None
    ) -> CreateApiCollectionV2Response:
        return await self._http.arequest(request, request_option)

    def upload_dataset_file(
        self, request: UploadDatasetFileRequest, request_option: RequestOption | None = None
    ) -> UploadedDatasetFile:
        """Put a file into the dataset's storage; pass `.file_id` to `create_file_id_collection`.

        Asks FastGPT for an upload URL (`presignDatasetFilePostUrl`, a write: sent again only if it
        never left), then sends the file there as `client.chat.upload_file` does (`core/storage.py`):
        streamed from disk, one PUT or (FastGPT >= 4.16, large files) parts and a completion, with no
        API key and none of the client's headers, nothing sent again once bytes may have arrived. A
        missing path or a directory raises `RequestValidationError` (field `file`) before anything is
        sent.
        """
        filename = _upload_filename(request)
        source = open_source(request.file, field="file")
        try:
            presigned = self._http.send(
                self._dataset_presign(request, source, filename, request_option), PresignedUpload
            )
            transfer(self._http, presigned, source, request_option)
        finally:
            source.close()
        return _uploaded_dataset_file(request, presigned, filename, source)

    async def aupload_dataset_file(
        self, request: UploadDatasetFileRequest, request_option: RequestOption | None = None
    ) -> UploadedDatasetFile:
        """`upload_dataset_file`, async. File reads run in worker threads, a chunk at a time."""
        filename = _upload_filename(request)
        source = await asyncio.to_thread(open_source, request.file, field="file")
        try:
            presigned = await self._http.asend(
                self._dataset_presign(request, source, filename, request_option), PresignedUpload
            )
            await atransfer(self._http, presigned, source, request_option)
        finally:
            source.close()
        return _uploaded_dataset_file(request, presigned, filename, source)

    def _dataset_presign(
        self,
        request: UploadDatasetFileRequest,
        source: UploadSource,
        filename: str,
        option: RequestOption | None,
    ) -> PreparedCall:
        # FastGPT's `size` is a positive int: an empty file goes without it (a single PUT).
        update: dict[str, Any] = {"filename": filename}
        if source.size > 0:
            update["size"] = source.size
        return self._http.prepare(request, option, body_update=update)

    def create_file_id_collection(
        self, request: CreateFileIdCollectionRequest, request_option: RequestOption | None = None
    ) -> CreateCollectionWithResultResponse:
        """A collection from a file `upload_dataset_file` put into the dataset's storage."""
        return self._http.request(request, request_option)

    async def acreate_file_id_collection(
        self, request: CreateFileIdCollectionRequest, request_option: RequestOption | None = None
    ) -> CreateCollectionWithResultResponse:
        return await self._http.arequest(request, request_option)


class _PushRun:
    """One `push_all`, without I/O: which batch comes next (skipping those a resumed run has done),
    what each batch request is, what succeeded and failed, and the outcome. Both shells drive it."""

    def __init__(
        self,
        collection_id: str,
        *,
        batch_size: int,
        concurrency: int,
        resume: PushAllError | None,
        fields: dict[str, Any],
    ) -> None:
        if not 1 <= batch_size <= MAX_PUSH_ITEMS:
            raise RequestValidationError(
                f"push_all: batch_size must be 1 to {MAX_PUSH_ITEMS} (FastGPT's limit per pushData), got "
                f"{batch_size}",
                field="batch_size",
            )
        if concurrency < 1:
            raise RequestValidationError(
                f"push_all: concurrency must be at least 1, got {concurrency}", field="concurrency"
            )
        self._fields = {"collection_id": collection_id, **{k: v for k, v in fields.items() if v is not None}}
        self._template = PushDataRequest(data=[], **self._fields)  # checks the id and the fields now
        self.collection_id = collection_id
        self.batch_size = batch_size
        self._done_before = 0  # batches before this one are in FastGPT already (a resume)
        self._done_later: frozenset[int] = frozenset()
        if resume is not None:
            if resume.collection_id != collection_id or resume.batch_size != batch_size:
                raise RequestValidationError(
                    f"push_all: resume= an error of the same collection and batch_size (it was "
                    f"{resume.collection_id}, batch_size={resume.batch_size})",
                    field="resume",
                )
            self._done_before = resume.failed_batch
            self._done_later = frozenset(resume.succeeded_later)
        self._next = 0  # the number of the next batch of the input
        self._exhausted = False
        self._sizes: dict[int, int] = {}
        self._responses: dict[int, PushDataResponse] = {}
        self._failures: dict[int, Exception] = {}

    @property
    def stopped(self) -> bool:
        """No batch is to be started: the input ended, or a batch failed."""
        return self._exhausted or bool(self._failures)

    def _skipping(self) -> bool:
        return self._next < self._done_before or self._next in self._done_later

    def take(self, items: Iterator[Any]) -> tuple[int, PushDataRequest] | None:
        """The next batch's number and request, or None: the items ran out, or reading or checking
        them failed (recorded as that batch's failure)."""
        size = self.batch_size
        try:
            while self._skipping():
                if sum(1 for _ in itertools.islice(items, size)) < size:
                    self._exhausted = True
                    return None
                self._next += 1
            batch = list(itertools.islice(items, size))
        except Exception as exc:
            self._failures[self._next] = exc
            return None
        return self._request(batch)

    async def atake(self, items: AsyncIterator[Any]) -> tuple[int, PushDataRequest] | None:
        """`take`, from an async iterator."""
        size = self.batch_size
        batch: list[Any] = []
        try:
            while True:
                batch.clear()
                while len(batch) < size:
                    try:
                        batch.append(await anext(items))
                    except StopAsyncIteration:
                        break
                if not self._skipping() or len(batch) < size:
                    break
                self._next += 1
        except Exception as exc:
            self._failures[self._next] = exc
            return None
        if self._skipping():  # the input ended inside a batch that was done already
            self._exhausted = True
            return None
        return self._request(batch)

    def _request(self, batch: list[Any]) -> tuple[int, PushDataRequest] | None:
        index = self._next
        if len(batch) < self.batch_size:
            self._exhausted = True  # the last batch: nothing more to read
            if not batch:
                return None
        self._next += 1
        try:
            if all(map(is_plain_item, batch)):
                # Each is what checking it would send: no model to build per item.
                request = self._template.model_copy(update={"data": batch})
            else:
                request = PushDataRequest(data=batch, **self._fields)
        except Exception as exc:
            self._failures[index] = exc
            return None
        self._sizes[index] = len(batch)
        return index, request

    def succeeded(self, index: int, response: PushDataResponse) -> None:
        self._responses[index] = response

    def failed(self, index: int, exc: Exception) -> None:
        self._failures[index] = exc

    def settle(self, index: int, future: Future[PushDataResponse] | asyncio.Future[PushDataResponse]) -> None:
        """Record a finished batch (a thread's future or a task)."""
        exc = future.exception()
        if exc is None:
            self.succeeded(index, future.result())
        elif isinstance(exc, Exception):
            self.failed(index, exc)
        else:
            raise exc

    def outcome(self) -> PushAllResult:
        """The result, or the `PushAllError` of the first failed batch, raised from its cause."""
        inserted = sum(response.insert_len for response in self._responses.values())
        if not self._failures:
            order = sorted(self._responses)
            return PushAllResult(
                inserted=inserted,
                items=sum(self._sizes[i] for i in order),
                batches=[self._responses[i] for i in order],
            )
        first = min(self._failures)
        cause = self._failures[first]
        later = sorted({i for i in self._responses if i > first} | {i for i in self._done_later if i > first})
        size = self.batch_size
        message = (
            f"push_all stopped at batch {first} (items {first * size} to {(first + 1) * size - 1}): "
            f"{type(cause).__name__}: {cause}. Batches 0 to {first - 1} are in FastGPT; resume from item "
            f"{first * size}"
            if first
            else f"push_all stopped at batch 0 (items 0 to {size - 1}): {type(cause).__name__}: {cause}. "
            "Resume from item 0"
        )
        if later:
            message += f", leaving out batches {later}, which are in FastGPT too"
        raise PushAllError(
            message + f" ({inserted} item(s) inserted by this call).",
            collection_id=self.collection_id,
            batch_size=size,
            failed_batch=first,
            failed_batches=self._failures,
            inserted=inserted,
            succeeded_later=later,
        ) from cause


class _TrainingWatch:
    """One `wait_for_training`, without I/O: what each poll's detail means, and how long to wait."""

    def __init__(
        self, collection_id: str, timeout: float, poll_interval: float, clock: Callable[[], float]
    ) -> None:
        self.request = GetCollectionRequest(id=collection_id)  # checks the id before the first poll
        if timeout < 0:
            raise RequestValidationError(
                f"wait_for_training: timeout cannot be negative, got {timeout}", field="timeout"
            )
        if poll_interval <= 0:
            raise RequestValidationError(
                f"wait_for_training: poll_interval must be positive, got {poll_interval}",
                field="poll_interval",
            )
        self._timeout = timeout
        self._interval = poll_interval
        self._clock = clock
        self._deadline = clock() + timeout
        self.data_request = ListDataRequest(collection_id=collection_id, page_size=30)

    @staticmethod
    def verifies(detail: CollectionDetail) -> bool:
        """Whether the counters' "done" is to be checked against the data: FastGPT >= 4.17.2, whose
        counters are updated asynchronously (it reports `processedCount` / `remainingCount`)."""
        return bool(detail.model_fields_set & {"processed_count", "remaining_count"})

    def after_check(self, pending: int) -> float | None:
        """After the counters said done: None when no chunk is left unindexed, else the wait."""
        if not pending:
            return None
        return self._wait_or_time_out(f"{pending} chunk(s) not indexed yet", None)

    def _wait_or_time_out(self, what: str, stage: str | None) -> float:
        left = self._deadline - self._clock()
        if left <= 0:
            raise APITimeoutError(
                f"Collection {self.request.id} was still training after {self._timeout:g} s: "
                f"{what} (stage: {stage or 'unknown'})."
            )
        return min(self._interval, left)

    def after(self, detail: CollectionDetail) -> float | None:
        """None when training is over (the detail is the answer), else the seconds to wait before the
        next poll; raises when it failed or the deadline has passed."""
        reported = detail.model_fields_set
        if not reported & {"training_amount", "active_training_amount"}:
            raise APIResponseValidationError(
                f"collection/detail of {self.request.id} carries no training counters (trainingAmount, "
                "activeTrainingAmount): this server does not report training progress, so it cannot be "
                "waited for",
                body=detail.model_dump(by_alias=True),
            )
        if "active_training_amount" in reported:
            active = detail.active_training_amount
        else:  # a server that counts only the whole queue: what has not failed is still running
            active = max(detail.training_amount - detail.final_error_amount, 0)
        if not active and detail.remaining_count:  # 4.17.2: rows written, not indexed yet
            return self._wait_or_time_out(f"{detail.remaining_count} chunk(s) not indexed yet", None)
        if not active:
            if detail.final_error_amount or detail.has_error:
                raise TrainingFailedError(
                    f"Training of collection {self.request.id} ended with {detail.final_error_amount} chunk(s) "
                    f"failed for good (stage: {detail.slowest_training_mode or 'unknown'}); the rest is "
                    "trained. FastGPT keeps the failed ones in its training queue, to retry or delete.",
                    collection_id=self.request.id,
                    training_amount=detail.training_amount,
                    final_error_amount=detail.final_error_amount,
                    slowest_training_mode=detail.slowest_training_mode,
                )
            return None
        return self._wait_or_time_out(f"{active} chunk(s) in training", detail.slowest_training_mode)


# FastGPT >= 4.17.2's index states of a chunk that is done: indexed, or failed for good (its
# `DatasetDataIndexStatusEnum`, as `assertDatasetDataWritable` in
# `packages/service/core/dataset/data/utils.ts` tells them apart). None: an older server.
_DONE_INDEX_STATES = frozenset({"indexed", "error", "rebuildIndexFailed", "rebuildSynonymFailed"})


def _indexed(item: DataListItem) -> bool:
    return item.index_status is None or item.index_status in _DONE_INDEX_STATES


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


def _filename(request: CreateFileCollectionRequest) -> str:
    filename = request.filename or content_name(request.file)
    if not filename:
        raise RequestValidationError(
            "CreateFileCollectionRequest.filename is required when file is bytes or a file object without "
            "a name",
            field="filename",
        )
    return filename


# ---- helpers of the FastGPT 4.15 - 4.18 operations ------------------------------------------------


def _dataset_key(item: DatasetListV2Item) -> Hashable:
    return item.id or item.model_dump_json()


def _upload_filename(request: UploadDatasetFileRequest) -> str:
    filename = request.filename or content_name(request.file)
    if not filename:
        raise RequestValidationError(
            "UploadDatasetFileRequest.filename is required when file is bytes or a file object without a name",
            field="filename",
        )
    return filename


def _uploaded_dataset_file(
    request: UploadDatasetFileRequest, presigned: PresignedUpload, filename: str, source: UploadSource
) -> UploadedDatasetFile:
    # The type storage was told (a signed header of the PUT), else a guess from the name.
    stored_type = next((v for k, v in presigned.headers.items() if k.lower() == "content-type"), None)
    return UploadedDatasetFile(
        key=presigned.key,
        dataset_id=request.dataset_id,
        filename=filename,
        size=source.size,
        content_type=stored_type or mimetypes.guess_type(filename, strict=False)[0],
    )
