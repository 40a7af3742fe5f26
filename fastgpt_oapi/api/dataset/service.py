"""`client.dataset`: knowledge bases, their collections and data, sync and async.

Every call is one request to FastGPT, sent through the client's `Sender`: a write (everything but the
GETs) is sent again only when it provably never arrived (no connection could be made) or the server
declined it unread (429, 503), so `push_data` and the `create_*_collection` calls never queue the same
data twice. The file upload of `create_file_collection` is a streamed `multipart/form-data` body
(`core/multipart.py`) under the same rule; another try reads the file again from its start.
"""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import AsyncIterator, Hashable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastgpt_oapi.core.errors import RequestValidationError
from fastgpt_oapi.core.model import OperationResponse
from fastgpt_oapi.core.multipart import FieldPart, FilePart, MultipartBody
from fastgpt_oapi.core.options import RequestOption
from fastgpt_oapi.core.paging import OffsetPager, aiterate_pages, at_offset, iterate_pages
from fastgpt_oapi.core.upload import UploadSource, content_name, open_source

from .model import (
    CollectionDetail,
    CollectionListItem,
    CreateApiCollectionRequest,
    CreateApiCollectionResponse,
    CreateCollectionRequest,
    CreateCollectionResponse,
    CreateCollectionWithResultResponse,
    CreateDatasetRequest,
    CreateDatasetResponse,
    CreateFileCollectionRequest,
    CreateLinkCollectionRequest,
    CreateTextCollectionRequest,
    DataDetail,
    DataListItem,
    DatasetDetail,
    DeleteCollectionRequest,
    DeleteDataRequest,
    DeleteDatasetRequest,
    GetCollectionRequest,
    GetDataRequest,
    GetDatasetRequest,
    ListCollectionsRequest,
    ListCollectionsResponse,
    ListDataRequest,
    ListDataResponse,
    ListDatasetsRequest,
    ListDatasetsResponse,
    PushDataRequest,
    PushDataResponse,
    SearchTestRequest,
    SearchTestResponse,
    SyncCollectionRequest,
    SyncCollectionResponse,
    UpdateCollectionRequest,
    UpdateDataRequest,
    UpdateDataResponse,
)

if TYPE_CHECKING:
    from fastgpt_oapi.core.http import PreparedCall, Sender

__all__ = ["DatasetService"]

# encodeURIComponent's unreserved set: FastGPT's web app sends `encodeURIComponent(file.name)` as the
# part's filename and its handler reads `decodeURIComponent(originalname)` (multer hands the raw
# header value over as latin-1, so a UTF-8 name would arrive garbled, and a bare `%` would fail).
_URI_COMPONENT_SAFE = "!'()*-._~"


def _item_key(item: CollectionListItem | DataListItem) -> Hashable:
    return item.id or item.model_dump_json()


class DatasetService:
    """Datasets, collections and data (chunks). Needs the API key's member to have access to them."""

    def __init__(self, http: Sender) -> None:
        self._http = http

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
        return iterate_pages(
            lambda offset: self.list_collections(at_offset(request, offset), request_option),
            OffsetPager(offset=request.offset, page_size=request.page_size, key=_item_key),
        )

    def aiter_collections(
        self, request: ListCollectionsRequest, request_option: RequestOption | None = None
    ) -> AsyncIterator[CollectionListItem]:
        """Call without `await`: `async for item in client.dataset.aiter_collections(request)`."""
        return aiterate_pages(
            lambda offset: self.alist_collections(at_offset(request, offset), request_option),
            OffsetPager(offset=request.offset, page_size=request.page_size, key=_item_key),
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
        return self._http.request(request, request_option)

    async def adelete_collection(
        self, request: DeleteCollectionRequest, request_option: RequestOption | None = None
    ) -> OperationResponse:
        return await self._http.arequest(request, request_option)

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
        return iterate_pages(
            lambda offset: self.list_data(at_offset(request, offset), request_option),
            OffsetPager(offset=request.offset, page_size=request.page_size, key=_item_key),
        )

    def aiter_data(
        self, request: ListDataRequest, request_option: RequestOption | None = None
    ) -> AsyncIterator[DataListItem]:
        """Call without `await`: `async for chunk in client.dataset.aiter_data(request)`."""
        return aiterate_pages(
            lambda offset: self.alist_data(at_offset(request, offset), request_option),
            OffsetPager(offset=request.offset, page_size=request.page_size, key=_item_key),
        )

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


def _filename(request: CreateFileCollectionRequest) -> str:
    filename = request.filename or content_name(request.file)
    if not filename:
        raise RequestValidationError(
            "CreateFileCollectionRequest.filename is required when file is bytes or a file object without "
            "a name",
            field="filename",
        )
    return filename
