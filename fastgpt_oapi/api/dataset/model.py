"""Knowledge bases (datasets): the requests and responses of `client.dataset`.

FastGPT keeps knowledge in three levels: a dataset (knowledge base) holds collections (a file, a web
page, a text, a folder), and a collection holds data (chunks: `q`, optional `a`, and their indexes).
Every shape here was read from FastGPT's own source at f88b51b5c1e4987a2b917358339db1aa02bbc292
(4.16.0-beta1): the zod schemas under `packages/global/openapi/core/dataset/` (`api.ts`,
`collection/api.ts`, `collection/createApi.ts`, `data/api.ts`), the item types in
`packages/global/core/dataset/type.ts`, the enums in `packages/global/core/dataset/constants.ts`, and
the handlers under `projects/app/src/pages/api/core/dataset/`. Each model names the schema it follows.

Ids are FastGPT's Mongo ObjectIds (24 hexadecimal characters); the requests check them before sending.
`_id` on the wire is `.id` on every response model.
"""

from __future__ import annotations

import builtins
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)

from fastgpt_oapi.core.lazy import Builds, builders_on_demand
from fastgpt_oapi.core.model import (
    APIRequest,
    CheckedModel,
    FastGPTModel,
    ListData,
    OperationResponse,
    RequestFields,
    RequestPart,
    Route,
    ScalarResponse,
    TextOrEmpty,
    is_object_id,
)
from fastgpt_oapi.core.paging import OffsetWalk, Page
from fastgpt_oapi.core.progress import ProgressCallback
from fastgpt_oapi.core.upload import FileContent, PresignedUpload

from ..shared.model import QuoteItem, QuoteScore

if TYPE_CHECKING:
    from ._builders import (
        CreateApiCollectionRequestBuilder,
        CreateCollectionRequestBuilder,
        CreateDatasetRequestBuilder,
        CreateFileCollectionRequestBuilder,
        CreateLinkCollectionRequestBuilder,
        CreateTextCollectionRequestBuilder,
        DeleteCollectionRequestBuilder,
        DeleteDataRequestBuilder,
        DeleteDatasetRequestBuilder,
        GetCollectionRequestBuilder,
        GetCollectionTrainingDetailRequestBuilder,
        GetDataRequestBuilder,
        GetDatasetRequestBuilder,
        GetDatasetTrainingQueueRequestBuilder,
        GetQuoteDataRequestBuilder,
        GetTrainingDataDetailRequestBuilder,
        ListCollectionsRequestBuilder,
        ListDataRequestBuilder,
        ListDatasetsRequestBuilder,
        PushDataRequestBuilder,
        SearchTestRequestBuilder,
        SyncCollectionRequestBuilder,
        UpdateCollectionRequestBuilder,
        UpdateDataRequestBuilder,
        UpdateTrainingDataRequestBuilder,
    )

__all__ = [
    "MAX_PUSH_ITEMS",
    "AdvancedTraining",
    "ApiDatasetServer",
    "ApiFileServer",
    "ChunkSettingMode",
    "ChunkSettings",
    "ChunkSplitMode",
    "ChunkTriggerType",
    "CollectionDataset",
    "CollectionDetail",
    "CollectionFile",
    "CollectionListItem",
    "CollectionSettings",
    "CollectionTag",
    "CollectionTagFilter",
    "CollectionTagInput",
    "CollectionTrainingDetail",
    "CollectionTrainingStatus",
    "CreateApiCollectionRequest",
    "CreateApiCollectionRequestBuilder",
    "CreateApiCollectionResponse",
    "CreateCollectionRequest",
    "CreateCollectionRequestBuilder",
    "CreateCollectionResponse",
    "CreateCollectionWithResultResponse",
    "CreateDatasetRequest",
    "CreateDatasetRequestBuilder",
    "CreateDatasetResponse",
    "CreateFileCollectionRequest",
    "CreateFileCollectionRequestBuilder",
    "CreateLinkCollectionRequest",
    "CreateLinkCollectionRequestBuilder",
    "CreateTextCollectionRequest",
    "CreateTextCollectionRequestBuilder",
    "DataDetail",
    "DataIndex",
    "DataIndexInfo",
    "DataIndexType",
    "DataItem",
    "DataItemInput",
    "DataListItem",
    "DatasetChunkSettings",
    "DatasetDetail",
    "DatasetListItem",
    "DatasetSort",
    "DatasetTrainingQueue",
    "DatasetType",
    "DeleteCollectionRequest",
    "DeleteCollectionRequestBuilder",
    "DeleteDataRequest",
    "DeleteDataRequestBuilder",
    "DeleteDatasetRequest",
    "DeleteDatasetRequestBuilder",
    "DingtalkServer",
    "FeishuServer",
    "GetCollectionRequest",
    "GetCollectionRequestBuilder",
    "GetCollectionTrainingDetailRequest",
    "GetCollectionTrainingDetailRequestBuilder",
    "GetDataRequest",
    "GetDataRequestBuilder",
    "GetDatasetRequest",
    "GetDatasetRequestBuilder",
    "GetDatasetTrainingQueueRequest",
    "GetDatasetTrainingQueueRequestBuilder",
    "GetQuoteDataRequest",
    "GetQuoteDataRequestBuilder",
    "GetTrainingDataDetailRequest",
    "GetTrainingDataDetailRequestBuilder",
    "HttpLink",
    "IdResponse",
    "InsertResults",
    "ListCollectionsRequest",
    "ListCollectionsRequestBuilder",
    "ListCollectionsResponse",
    "ListDataRequest",
    "ListDataRequestBuilder",
    "ListDataResponse",
    "ListDatasetsRequest",
    "ListDatasetsRequestBuilder",
    "ListDatasetsResponse",
    "MirrorFailure",
    "MirrorProgress",
    "MirrorResult",
    "MirrorStage",
    "ModelInfo",
    "NonEmptyStr",
    "ObjectId",
    "OperationResponse",
    "ParagraphChunkAIMode",
    "ParentId",
    "Permission",
    "ProgressCallback",
    "PushAllResult",
    "PushDataRequest",
    "PushDataRequestBuilder",
    "PushDataResponse",
    "QuoteData",
    "QuoteScore",
    "SearchMode",
    "SearchResult",
    "SearchTestRequest",
    "SearchTestRequestBuilder",
    "SearchTestResponse",
    "SourceMember",
    "SyncCollectionRequest",
    "SyncCollectionRequestBuilder",
    "SyncCollectionResponse",
    "TagInput",
    "TagValue",
    "TrainingDataDetail",
    "TrainingProgress",
    "TrainingType",
    "UpdateCollectionRequest",
    "UpdateCollectionRequestBuilder",
    "UpdateDataIndex",
    "UpdateDataRequest",
    "UpdateDataRequestBuilder",
    "UpdateDataResponse",
    "UpdateTrainingDataRequest",
    "UpdateTrainingDataRequestBuilder",
    "WebsiteConfig",
    "YuqueServer",
]

# FastGPT's limit on one pushData call (`PushDataBodySchema`: `data: z.array(...).max(200)`).
MAX_PUSH_ITEMS = 200

# ---- ids and enums ------------------------------------------------------------------------------


def _check_object_id(value: str) -> str:
    if not is_object_id(value):
        raise ValueError(f"must be 24 hexadecimal characters (a FastGPT id), got {len(value)} characters")
    return value


def _check_parent_id(value: str) -> str:
    if value and not is_object_id(value):
        raise ValueError(
            f"must be 24 hexadecimal characters (a FastGPT id), or '' for the top level, got {len(value)} "
            "characters"
        )
    return value


# A dataset, collection or data id: FastGPT's `ObjectIdSchema` (`packages/global/common/type/mongo.ts`).
ObjectId = Annotated[str, AfterValidator(_check_object_id)]
# A parent folder: an id, or "" for the top level. FastGPT's `ParentIdSchema`
# (`packages/global/common/parentFolder/type.ts`, `^([0-9a-fA-F]{24})?$`). Leaving it out (None) means
# the top level too, except in `update_collection`, where only "" moves a collection to the top.
ParentId = Annotated[str, AfterValidator(_check_parent_id)]
# A non-empty string in a list (image keys).
NonEmptyStr = Annotated[str, Field(min_length=1)]


def _check_link(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value


# A web page for `create_link_collection`: FastGPT's `z.string().url()`, kept exactly as written.
HttpLink = Annotated[str, AfterValidator(_check_link)]

# `DatasetTypeEnum`.
DatasetType = Literal[
    "folder", "dataset", "websiteDataset", "externalFile", "apiDataset", "feishu", "yuque", "dingtalk"
]
# `DatasetCollectionDataProcessModeEnum`; FastGPT marks "auto" abandoned but its schemas still take it.
TrainingType = Literal["chunk", "qa", "imageParse", "backup", "template", "auto"]
# `ChunkTriggerConfigTypeEnum`, `ChunkSettingModeEnum`, `DataChunkSplitModeEnum`, `ParagraphChunkAIModeEnum`.
ChunkTriggerType = Literal["minSize", "forceChunk", "maxSize"]
ChunkSettingMode = Literal["auto", "custom"]
ChunkSplitMode = Literal["paragraph", "size", "char"]
ParagraphChunkAIMode = Literal["auto", "force", "forbid"]
# The orders `list_datasets` takes (FastGPT >= 4.17.0, `AppListSortEnum`; not read from its source, so
# any text is passed on).
DatasetSort = Annotated[str, Field(min_length=1)]
# `DatasetSearchModeEnum`.
SearchMode = Literal["embedding", "fullTextRecall", "mixedRecall"]
# `DatasetDataIndexTypeEnum` (`packages/global/core/dataset/data/constants.ts`).
DataIndexType = Literal["default", "imageEmbedding", "summary", "question", "image", "custom"]

_ID = AliasChoices("_id", "id")


# ---- responses ----------------------------------------------------------------------------------


class IdResponse(ScalarResponse):
    """An answer whose `data` is a bare id (the new dataset's, the new collection's): it is `.id`
    (`ObjectIdSchema`, `packages/global/common/type/mongo.ts` at f88b51b5)."""

    scalar_field = "id"
    id: str


class CreateDatasetResponse(IdResponse):
    """`dataset/create` answers the new dataset's id (`CreateDatasetResponseSchema`, `api.ts` at f88b51b5)."""


class CreateCollectionResponse(IdResponse):
    """`collection/create` answers the new collection's id (`CreateCollectionResponseSchema`, `createApi.ts` at f88b51b5)."""


class Permission(FastGPTModel):
    """What the API key's member may do with the resource (FastGPT's serialized `Permission`,
    `PermissionSchema` in `packages/global/support/permission/controller.ts` at f88b51b5). `role` is a bit mask."""

    role: int | None = None
    is_owner: bool = False
    has_manage_per: bool = False
    has_write_per: bool = False
    has_read_per: bool = False
    has_manage_role: bool = False
    has_write_role: bool = False
    has_read_role: bool = False


class SourceMember(FastGPTModel):
    """The team member who created a dataset (`SourceMemberSchema`, `packages/global/support/user/type.ts` at f88b51b5)."""

    name: str = ""
    avatar: str | None = None
    status: str | None = None  # "active", "leave", "forbidden"


class ModelInfo(FastGPTModel):
    """A model as the server configures it (`EmbeddingModelItemSchema` / `LLMModelItemSchema`,
    `packages/global/core/ai/model.schema.ts` at f88b51b5); the many other settings are kept as extras."""

    model: str = ""
    name: str = ""
    provider: str | None = None
    type: str | None = None  # "embedding", "llm"
    max_token: int | None = None  # embedding
    default_token: int | None = None  # embedding: its default index size
    max_context: int | None = None  # llm
    max_response: int | None = None  # llm
    vision: bool | None = None


class DatasetListItem(FastGPTModel):
    """One dataset of `list_datasets` (`DatasetListItemSchema`, `packages/global/core/dataset/type.ts` at f88b51b5)."""

    id: str = Field(default="", validation_alias=_ID, serialization_alias="_id")
    tmb_id: str | None = None
    avatar: str | None = None
    update_time: datetime | None = None
    name: str = ""
    intro: str = ""
    type: str | None = None  # a DatasetType
    permission: Permission | None = None
    vector_model: ModelInfo | None = None
    inherit_permission: bool | None = None
    private: bool | None = None
    source_member: SourceMember | None = None


class ListDatasetsResponse(ListData):
    """The datasets in one folder the key's member can read, most recently updated first
    (`GetDatasetListResponseSchema`, `api.ts` at f88b51b5: a bare array)."""

    list: builtins.list[DatasetListItem] = Field(default_factory=builtins.list)


class WebsiteConfig(FastGPTModel):
    """A website dataset's start page and selector (`DatasetSchema.websiteConfig`, `type.ts` at f88b51b5)."""

    url: str = ""
    selector: str = ""


class DatasetChunkSettings(FastGPTModel):
    """The chunk settings a dataset or collection keeps (`ChunkSettingsSchema`, `type.ts` at f88b51b5); see
    `ChunkSettings` for what each means."""

    training_type: str | None = None
    chunk_trigger_type: str | None = None
    chunk_trigger_min_size: int | None = None
    data_enhance_collection_name: bool | None = None
    image_index: bool | None = None
    auto_indexes: bool | None = None
    index_prefix_title: bool | None = None
    chunk_setting_mode: str | None = None
    chunk_split_mode: str | None = None
    paragraph_chunk_ai_mode: str | None = Field(default=None, alias="paragraphChunkAIMode")
    paragraph_chunk_deep: int | None = None
    paragraph_chunk_min_size: int | None = None
    chunk_size: int | None = None
    chunk_splitter: str | None = None
    index_size: int | None = None
    qa_prompt: str | None = None


class DatasetDetail(FastGPTModel):
    """`get_dataset`: one dataset (`DatasetItemSchema`, `type.ts`, as `dataset/detail.ts` fills it, at f88b51b5).

    The models are the server's model objects here (names only in `CollectionDataset`). `status` is
    "active", "syncing", "waiting" or "error" (`DatasetStatusEnum`); `api_dataset_server` has its
    secrets taken out by the server.
    """

    id: str = Field(default="", validation_alias=_ID, serialization_alias="_id")
    parent_id: str | None = None
    team_id: str | None = None
    tmb_id: str | None = None
    update_time: datetime | None = None
    inherit_permission: bool | None = None
    avatar: str | None = None
    name: str = ""
    intro: str = ""
    type: str | None = None  # a DatasetType
    status: str | None = None
    error_msg: str | None = None
    vector_model: ModelInfo | None = None
    agent_model: ModelInfo | None = None
    vlm_model: ModelInfo | None = None
    website_config: WebsiteConfig | None = None
    chunk_settings: DatasetChunkSettings | None = None
    api_dataset_server: dict[str, Any] | None = None
    auto_sync: bool | None = None
    permission: Permission | None = None


class SearchResult(QuoteItem):
    """One chunk `search_test` found (`SearchDataResponseItemSchema`, `type.ts` at f88b51b5): the same shape as a
    completion's quotes, so it is a `QuoteItem`, with `score` always FastGPT's list of
    `{type, value, index}` (`type`: "embedding", "fullText", "reRank" or "rrf")."""

    score: builtins.list[QuoteScore] = Field(default_factory=builtins.list)


class SearchTestResponse(FastGPTModel):
    """`search_test`'s answer (`SearchDatasetTestResponseSchema`, `api.ts` at f88b51b5).

    `duration` is FastGPT's text ("0.523s"; `duration_seconds` reads it); `limit`, `search_mode`,
    `using_re_rank` and `similarity` are what the search really used.
    """

    list: builtins.list[SearchResult] = Field(default_factory=builtins.list)
    duration: str | None = None
    limit: int | None = None
    search_mode: str | None = None  # a SearchMode
    using_re_rank: bool | None = None
    similarity: float | None = None
    query_extension_model: str | None = None

    @property
    def duration_seconds(self) -> float | None:
        try:
            return float((self.duration or "").removesuffix("s"))
        except ValueError:
            return None


class InsertResults(FastGPTModel):
    """How many chunks were queued (`results` of `CreateCollectionWithResultResponseSchema`, f88b51b5)."""

    insert_len: int = 0


class CreateCollectionWithResultResponse(FastGPTModel):
    """The new collection and how many chunks went into its training queue
    (`CreateCollectionWithResultResponseSchema`, `createApi.ts` at f88b51b5): text, link and file collections."""

    collection_id: str
    results: InsertResults = Field(default_factory=InsertResults)


class CreateApiCollectionResponse(OperationResponse):
    """`create_api_collection`'s answer. FastGPT 4.8.15 - 4.10 answered `{collectionId, results}`;
    since the V2 rewrite (`collection/create/apiCollectionV2.ts`, 4.10.1; read at f88b51b5) the V1 path answers `data: null` (a folder pulls
    in all its files, so there is no one collection to name), and both fields stay None."""

    collection_id: str | None = None
    results: InsertResults | None = None


class CollectionTag(FastGPTModel):
    """A typed tag on a collection (FastGPT >= 4.17.1): the tag's id, its value, and, in list
    answers, its `label` (the tag's name). `CollectionTagValueSchema` / `CollectionTagValueType` in
    `packages/global/core/dataset/type.ts` at 01c761fd: `value` is a string, or a number (a datetime
    tag stores UTC milliseconds). A collection's `tags` mix these with plain tag names (strings): the
    older string tags, and what older servers answer."""

    tag_id: str = ""
    value: str | float = ""
    label: str | None = None


class CollectionTrainingStatus(FastGPTModel):
    """Training progress of a collection (`CollectionTrainingStatusSchema`, `type.ts` at f88b51b5).

    `training_amount`: chunks still queued; `active_training_amount`: those still being processed;
    `final_error_amount` / `has_error`: those that failed for good. `slowest_training_status` is
    "running", "error" or "ready" (`CollectionTrainingStatusEnum`).
    """

    training_amount: int = 0
    active_training_amount: int = 0
    final_error_amount: int = 0
    has_error: bool = False
    slowest_training_mode: str | None = None  # "parse", "chunk", "qa", "image", "imageParse"
    slowest_training_status: str | None = None


class CollectionListItem(CollectionTrainingStatus):
    """One collection of `list_collections` (`DatasetCollectionsListItemSchema`, `collection/api.ts` at f88b51b5).

    `type` is "folder", "virtual", "file", "link", "externalFile", "apiFile" or "images"; `tags` are tag
    names, or `CollectionTag`s (with `label`) for FastGPT >= 4.17.1's typed tags. `data_amount` is 0
    when the list was asked with `simple=True`.
    """

    id: str = Field(default="", validation_alias=_ID, serialization_alias="_id")
    parent_id: str | None = None
    tmb_id: str | None = None
    name: str = ""
    type: str | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    forbid: bool | None = None
    training_type: str | None = None
    tags: builtins.list[str | CollectionTag] | None = None
    external_file_id: str | None = None
    file_id: str | None = None
    raw_link: str | None = None
    permission: Permission | None = None
    data_amount: int = 0
    # FastGPT >= 4.17.2 (`DatasetCollectionsListItemType`, `type.ts` at 01c761fd): chunks indexed and
    # not yet indexed, counted asynchronously (they may lag behind the data); None from older servers.
    processed_count: int | None = None
    remaining_count: int | None = None


class ListCollectionsResponse(Page[CollectionListItem]):
    """A page of collections, most recently updated first (`ListCollectionV2ResponseSchema`, `collection/api.ts` at f88b51b5)."""


class CollectionDataset(FastGPTModel):
    """The dataset a collection belongs to, as stored (`DatasetSchema`, `type.ts` at f88b51b5): model names only."""

    id: str = Field(default="", validation_alias=_ID, serialization_alias="_id")
    parent_id: str | None = None
    team_id: str | None = None
    tmb_id: str | None = None
    name: str = ""
    intro: str | None = None
    avatar: str | None = None
    type: str | None = None
    vector_model: str | None = None
    agent_model: str | None = None
    vlm_model: str | None = None
    chunk_settings: DatasetChunkSettings | None = None
    update_time: datetime | None = None


class CollectionFile(FastGPTModel):
    """The stored file of a file collection (`DatasetCollectionItemSchema.file`, `type.ts` at f88b51b5)."""

    filename: str | None = None
    content_length: int | None = None


class CollectionDetail(DatasetChunkSettings, CollectionTrainingStatus):
    """`get_collection`: one collection (`DatasetCollectionItemSchema`, `type.ts`, as
    `collection/detail.ts` fills it, at f88b51b5): the stored collection with its chunk settings, its `dataset`,
    where it came from (`source_name`, `source_id`, `file`), `index_amount` (vectors) and its training
    progress (`error_count` = `final_error_amount`)."""

    id: str = Field(default="", validation_alias=_ID, serialization_alias="_id")
    team_id: str | None = None
    tmb_id: str | None = None
    dataset_id: str | None = None
    parent_id: str | None = None
    name: str = ""
    type: str | None = None
    tags: builtins.list[str | CollectionTag] | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    forbid: bool | None = None
    file_id: str | None = None
    raw_link: str | None = None
    external_file_id: str | None = None
    api_file_id: str | None = None
    api_file_parent_id: str | None = None
    external_file_url: str | None = None
    raw_text_length: int | None = None
    hash_raw_text: str | None = None
    metadata: dict[str, Any] | None = None
    custom_pdf_parse: bool | None = None
    dataset: CollectionDataset | None = None
    source_name: str | None = None
    source_id: str | None = None
    file: CollectionFile | None = None
    permission: Permission | None = None
    index_amount: int = 0
    error_count: int | None = None
    inherit_permission: bool | None = None
    # FastGPT >= 4.17.2 (`DatasetCollectionSchema`, `type.ts` at 01c761fd): precomputed statistics,
    # "updated asynchronously by collectionUpdate worker", so they may lag behind the data. None from
    # older servers.
    data_amount: int | None = None
    processed_count: int | None = None
    remaining_count: int | None = None


class SyncCollectionResponse(ScalarResponse):
    """`sync_collection`'s answer, a bare string on the wire (`SyncCollectionResponseSchema`, `collection/api.ts` at f88b51b5):
    "sameRaw" (the source did not change), "success" (the collection was rebuilt) or "failed"."""

    scalar_field = "result"
    result: str


class PushDataResponse(FastGPTModel):
    """How many of the pushed items went into the training queue (`PushDataResponseSchema`, `data/api.ts` at f88b51b5). FastGPT
    drops duplicates, items over its token limit, and items with neither text nor image."""

    insert_len: int = 0


@dataclass(frozen=True)
class PushAllResult:
    """What `push_all` did: `inserted`, the items FastGPT took (the sum of the batches' `insert_len`;
    FastGPT drops duplicates and oversized items, so it may be less than `items`); `items`, how many
    were sent; `batches`, each batch's `PushDataResponse`, in batch order. A call that resumes a
    `PushAllError` reports only the batches it sent itself."""

    inserted: int
    items: int
    batches: builtins.list[PushDataResponse]


@dataclass(frozen=True)
class TrainingProgress:
    """What `wait_for_training([id, ...])` reports after each round of polls, for all its collections.

    `details`: the last detail of each collection polled so far, by id; `finished`: how many are done
    (trained, or failed for good) of `total`; `remaining`: chunks not trained yet across the
    unfinished ones (in training, or written but not indexed yet on FastGPT >= 4.17.2), what a bar
    counts down.
    """

    details: dict[str, CollectionDetail]
    finished: int
    total: int
    remaining: int


MirrorStage = Literal["plan", "unchanged", "upload", "uploaded", "deleted", "failed", "done"]


@dataclass(frozen=True)
class MirrorProgress:
    """One event of `mirror_folder`'s `on_progress`, in this order for a run:

    - `"plan"` once, after the folder was read and compared with the dataset: `files_total` actions
      to take, `bytes_total` bytes to upload (the files to create or replace);
    - per file, `"unchanged"` (skipped, nothing sent), or `"upload"` several times (`sent` of this
      file's `size`, as the bytes are written to the connection) then `"uploaded"` (its new
      `collection_id`), or `"failed"` (`error`);
    - `"deleted"` per collection removed (`prune=True`; `path` is its name);
    - `"done"` once, at the end.

    `bytes_done` (of `bytes_total`) and `files_done` (of `files_total`) count across the run: what a
    bytes bar and a files bar draw. A dry run sends `"plan"` and `"done"` only.
    """

    stage: MirrorStage
    path: str | None = None
    sent: int = 0
    size: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    files_done: int = 0
    files_total: int = 0
    collection_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class MirrorFailure:
    """A file `mirror_folder` could not mirror: its relative `path`, the exception's class name
    (`error`: `"BadRequestError"`, `"APIConnectionError"`, ...) and its `message`."""

    path: str
    error: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "error": self.error, "message": self.message}


@dataclass
class MirrorResult:
    """What `mirror_folder` did (with `dry_run=True`: would do), by relative path (POSIX `/`):
    `created` (new collections), `updated` (replaced: a new collection, the old one deleted),
    `unchanged` (same content hash: nothing sent), `deleted` (collections removed by `prune=True`,
    by name), `failed` (`MirrorFailure`s: the other files went on). `collection_ids`: the collections
    this run created (created and updated files), the ones to `wait_for_training`.

    `summary()` is the short form a command line prints: counts, and the failures in full.
    """

    created: builtins.list[str] = field(default_factory=builtins.list)
    updated: builtins.list[str] = field(default_factory=builtins.list)
    unchanged: builtins.list[str] = field(default_factory=builtins.list)
    deleted: builtins.list[str] = field(default_factory=builtins.list)
    failed: builtins.list[MirrorFailure] = field(default_factory=builtins.list)
    collection_ids: builtins.list[str] = field(default_factory=builtins.list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """No file failed."""
        return not self.failed

    def summary(self) -> dict[str, Any]:
        """`{"created": n, "updated": n, "unchanged": n, "deleted": n, "failed": [{"path", "error",
        "message"}, ...]}`."""
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "deleted": len(self.deleted),
            "failed": [failure.as_dict() for failure in self.failed],
        }


class DataListItem(FastGPTModel):
    """One chunk of `list_data` (`GetDataListItemSchema`, `data/api.ts` at f88b51b5), in collection order.

    `q` and `a` have stored images replaced by signed preview URLs (valid about an hour).
    """

    id: str = Field(default="", validation_alias=_ID, serialization_alias="_id")
    dataset_id: str | None = None
    collection_id: str | None = None
    q: TextOrEmpty = ""  # a string in `GetDataListItemSchema`; a null reads as ""
    a: str | None = None
    image_id: str | None = None
    image_size: int | None = None  # bytes
    image_preview_url: str | None = None
    chunk_index: int | None = None
    updated: bool | None = None
    # FastGPT >= 4.17.2: "parsed", "indexing", "indexed", "error", ... (the chunk exists before its
    # index does; `trainingStatus` is FastGPT's older summary of the same). None from older servers.
    index_status: str | None = None
    training_status: str | None = None


class ListDataResponse(Page[DataListItem]):
    """A page of a collection's chunks (`GetDatasetDataListResponseSchema`, `data/api.ts` at f88b51b5)."""


class DataIndexInfo(FastGPTModel):
    """One index of a chunk: its `type`, `text`, and `data_id` (the vector's id in the vector store);
    `DatasetDataIndexItemSchema`, `type.ts` at f88b51b5."""

    type: str | None = None  # a DataIndexType
    data_id: str | None = None
    text: str = ""


class DataDetail(FastGPTModel):
    """`get_data`: one chunk with its indexes (`DatasetDataItemSchema`, `type.ts` at f88b51b5; FastGPT sends `id`)."""

    id: str = Field(default="", validation_alias=_ID, serialization_alias="id")
    team_id: str | None = None
    dataset_id: str | None = None
    collection_id: str | None = None
    q: str = ""
    a: str | None = None
    image_id: str | None = None
    image_preivew_url: str | None = None  # sic: FastGPT's spelling
    update_time: datetime | None = None
    source_name: str | None = None
    source_id: str | None = None
    chunk_index: int | None = None
    indexes: builtins.list[DataIndexInfo] = Field(default_factory=builtins.list)
    image_desc_map: dict[str, str] | None = None
    is_owner: bool | None = None
    metadata: dict[str, Any] | None = None
    # FastGPT >= 4.17.2, as on `DataListItem`.
    index_status: str | None = None
    training_status: str | None = None


class UpdateDataResponse(FastGPTModel):
    """The chunk's text after the update, stored images replaced by signed URLs
    (`UpdateDatasetDataResponseSchema`, `data/api.ts` at f88b51b5)."""

    q: str | None = None
    a: str | None = None


# ---- requests: datasets -------------------------------------------------------------------------


class ApiFileServer(RequestPart):
    """An API file library ("API 文件库"): the server FastGPT reads an `apiDataset`'s files from
    (`POST {base_url}/v1/file/list`, `GET .../v1/file/content`, `/read`, `/detail`; see
    `fastgpt_oapi.server.api_dataset` for a ready one). `authorization` is sent as
    `Authorization: Bearer <authorization>`; `base_path` is the folder id FastGPT lists first.
    Source: `APIFileServerSchema`, `packages/global/core/dataset/apiDataset/type.ts` @ 04b3226b."""

    base_url: str = Field(min_length=1)
    authorization: str | None = None
    base_path: str | None = None


class FeishuServer(RequestPart):
    """A Feishu folder (`FeishuServerSchema`, `apiDataset/type.ts` @ 04b3226b)."""

    app_id: str
    app_secret: str | None = None
    folder_token: str


class YuqueServer(RequestPart):
    """A Yuque knowledge base (`YuqueServerSchema`, `apiDataset/type.ts` @ 04b3226b)."""

    user_id: str
    token: str | None = None
    base_path: str | None = None


class DingtalkServer(RequestPart):
    """A DingTalk knowledge base (`DingtalkServerSchema`, `apiDataset/type.ts` @ 04b3226b)."""

    app_key: str
    app_secret: str | None = None
    user_id: str
    operator_id: str | None = None
    workspace_id: str | None = None
    root_node_id: str | None = None
    workspace_name: str | None = None


class ApiDatasetServer(RequestPart):
    """Where a dataset of type `apiDataset` (or a Feishu, Yuque, DingTalk one) reads its files: one of
    the servers (`ApiDatasetServerSchema`, `packages/global/core/dataset/apiDataset/type.ts` @ 04b3226b;
    the key-by-key form of the wire, `{"apiServer": {"baseUrl": ...}}`, is accepted as a dict too)."""

    api_server: ApiFileServer | None = None
    feishu_server: FeishuServer | None = None
    yuque_server: YuqueServer | None = None
    dingtalk_server: DingtalkServer | None = None


class CreateDatasetRequest(APIRequest[CreateDatasetResponse]):
    """`POST /api/core/dataset/create`: a new dataset (or a dataset folder, `type="folder"`); `.id` of the
    answer is its id.

    Without `parent_id` it is created at the top level, which needs the team's create-dataset
    permission; inside a folder, write access to it. Models not given are the server's defaults; a
    model the server does not have is refused. FastGPT >= 4.17.0 takes models by id (`*_model_id`);
    the name fields (`vector_model`, ...) serve older servers. `intro` and `avatar` are required by FastGPT's schema;
    they default to "" here. Source (FastGPT f88b51b5): `CreateDatasetBodySchema` in `api.ts` and `dataset/create.ts`.
    """

    route = Route("POST", "/api/core/dataset/create", call="create_dataset")

    name: str = Field(min_length=1)
    type: DatasetType = "dataset"
    parent_id: ParentId | None = None
    intro: str = ""
    avatar: str = ""
    vector_model: str | None = Field(default=None, min_length=1)
    agent_model: str | None = Field(default=None, min_length=1)
    vlm_model: str | None = Field(default=None, min_length=1)
    # FastGPT >= 4.17.0 names models by their stable id (`CreateDatasetBodySchema` in
    # `packages/global/openapi/core/dataset/api.ts` at 037de007; the name fields are `deprecated`
    # there but still read). Older servers ignore these: give the names for them.
    vector_model_id: str | None = Field(default=None, min_length=1)
    agent_model_id: str | None = Field(default=None, min_length=1)
    vlm_model_id: str | None = Field(default=None, min_length=1)
    # With `type="apiDataset"`: `ApiDatasetServer(api_server=ApiFileServer(base_url=...))`.
    api_dataset_server: ApiDatasetServer | dict[str, Any] | None = None

    builder: ClassVar[Builds[CreateDatasetRequestBuilder]] = Builds()


class ListDatasetsRequest(APIRequest[ListDatasetsResponse]):
    """`POST /api/core/dataset/list`: the datasets of one folder (the top level without `parent_id`), all
    of them (unpaged), most recently updated first.

    FastGPT reads these from the body only (its docs' `?parentId=` query is ignored). `search_key`
    matches names and intros across all folders. Since FastGPT 4.17.0 `type` may be a list of types,
    and `sort` and `tmb_ids` (the creators' team member ids) are read (schema-audit-4.18 §3; older
    servers read one `type` and ignore the others). Source (FastGPT f88b51b5): `GetDatasetListBodySchema` in `api.ts` and
    `dataset/list.ts`.
    """

    route = Route("POST", "/api/core/dataset/list", call="list_datasets")

    parent_id: ParentId | None = None
    # One type, or (FastGPT >= 4.17.0) several.
    type: DatasetType | builtins.list[DatasetType] | None = None
    search_key: str | None = None
    # FastGPT >= 4.17.0: the order (`AppListSortEnum`), and the creators (team member ids) to keep.
    sort: DatasetSort | None = None
    tmb_ids: builtins.list[ObjectId] | None = None

    builder: ClassVar[Builds[ListDatasetsRequestBuilder]] = Builds()


class GetDatasetRequest(APIRequest[DatasetDetail]):
    """`GET /api/core/dataset/detail?id=`: one dataset. Source (FastGPT f88b51b5): `GetDatasetDetailQuerySchema` (`api.ts` at f88b51b5)."""

    route = Route("GET", "/api/core/dataset/detail", call="get_dataset")

    id: ObjectId

    builder: ClassVar[Builds[GetDatasetRequestBuilder]] = Builds()


class DeleteDatasetRequest(APIRequest[OperationResponse]):
    """`DELETE /api/core/dataset/delete?id=`: delete a dataset (or a folder) with everything in it.

    Needs owner rights. Source (FastGPT f88b51b5): `DeleteDatasetQuerySchema` (`api.ts` at f88b51b5) and `dataset/delete.ts`.
    """

    route = Route("DELETE", "/api/core/dataset/delete", query=frozenset({"id"}), call="delete_dataset")

    id: ObjectId

    builder: ClassVar[Builds[DeleteDatasetRequestBuilder]] = Builds()


class SearchTestRequest(APIRequest[SearchTestResponse]):
    """`POST /api/core/dataset/searchTest`: search a dataset as an app's knowledge-base node would.

    Give `text`, or `query_image_urls` (up to 10 `temp/<teamId>/...` keys from FastGPT's
    `presignSearchTestImage`; URLs are refused), or both. `limit` is the most tokens of chunks to
    return (FastGPT's default 5000, capped at 20000); `similarity` the lowest score kept. The search
    costs AI points, so it is not sent again after a timeout, and FastGPT allows 15 a second per IP.
    Source (FastGPT f88b51b5): `SearchDatasetTestBodySchema` in
    `api.ts` and `dataset/searchTest.ts`.
    """

    route = Route("POST", "/api/core/dataset/searchTest", call="search_test")

    dataset_id: ObjectId
    # Declared before `text`, whose check reads it.
    query_image_urls: builtins.list[NonEmptyStr] | None = Field(default=None, max_length=10)
    text: str | None = Field(default=None, validate_default=True)
    similarity: float | None = None
    limit: int | None = Field(default=None, ge=1)
    search_mode: SearchMode | None = None
    embedding_weight: float | None = None
    using_re_rank: bool | None = None
    rerank_model: str | None = None
    rerank_weight: float | None = None
    dataset_search_using_extension_query: bool | None = None
    dataset_search_extension_model: str | None = None
    dataset_search_extension_bg: str | None = None
    dataset_deep_search: bool | None = None
    dataset_deep_search_model: str | None = None
    # FastGPT >= 4.17.0: the models by id (`SearchDatasetTestBodySchema`, `api.ts` at 037de007); the
    # name fields above serve older servers.
    rerank_model_id: str | None = Field(default=None, min_length=1)
    dataset_search_extension_model_id: str | None = Field(default=None, min_length=1)
    dataset_deep_search_model_id: str | None = Field(default=None, min_length=1)
    dataset_deep_search_max_times: int | None = Field(default=None, ge=1)
    dataset_deep_search_bg: str | None = None

    @field_validator("text")
    @classmethod
    def _text_or_images(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "query_image_urls" not in info.data:
            return value  # the images failed their own check
        if not (value or "").strip() and not info.data["query_image_urls"]:
            raise ValueError("give the text to search for, or query_image_urls (FastGPT needs one)")
        return value

    builder: ClassVar[Builds[SearchTestRequestBuilder]] = Builds()


class DatasetTrainingQueue(FastGPTModel):
    """`get_dataset_training_queue`'s answer: `rebuilding_count`, the dataset's chunks whose vectors are
    being rebuilt (after a change of its embedding model); `training_count`, its training tasks still
    queued, failed ones included. Source: `GetDatasetTrainingQueueResponseSchema` in
    `packages/global/openapi/core/dataset/training/api.ts` @ 6398f9d4."""

    rebuilding_count: int = 0
    training_count: int = 0


class GetDatasetTrainingQueueRequest(APIRequest[DatasetTrainingQueue]):
    """`GET /api/core/dataset/training/getDatasetTrainingQueue?datasetId=`: how much of a dataset is
    still in the training queue (read permission on the dataset). Source:
    `GetDatasetTrainingQueueQuerySchema` in `packages/global/openapi/core/dataset/training/api.ts`
    @ 6398f9d4 and the handler `projects/app/src/pages/api/core/dataset/training/getDatasetTrainingQueue.ts`
    @ 0c991a91 (`authDataset` with `authApiKey: true`)."""

    route = Route(
        "GET",
        "/api/core/dataset/training/getDatasetTrainingQueue",
        call="get_dataset_training_queue",
    )

    dataset_id: ObjectId

    builder: ClassVar[Builds[GetDatasetTrainingQueueRequestBuilder]] = Builds()


# ---- requests: collections ----------------------------------------------------------------------


# A typed tag's value: text, or a number (a datetime tag takes UTC milliseconds).
TagValue = str | int | float


class CollectionTagInput(RequestPart):
    """A typed tag to set on a collection (FastGPT >= 4.17.1): the tag's name and its value. FastGPT
    resolves the tag by name (`CollectionTagsInputSchema` in
    `packages/global/openapi/core/dataset/collection/createApi.ts` at 04b3226b: "an object element is
    `{ tag: tag name, value: tag value }`, resolved by tag name")."""

    tag: str = Field(min_length=1)
    value: TagValue


# An element of a collection's `tags` input: a plain tag name (merged into FastGPT's default tag), or a
# typed `CollectionTagInput` (a dict with `tag` and `value` is taken as one).
TagInput = str | CollectionTagInput


class CollectionTagFilter(RequestPart):
    """One condition of `list_collections`' `tag_filters` (FastGPT >= 4.17.1, `collection/listV2`'s
    `tagFilters[]`; 4.18 reference page `dataset-collection/list-v2`): collections carrying the tag
    `tag_id`, and, with `values`, one of these values. FastGPT's full condition object was not read
    from its source: further keys are passed on as given (wire names)."""

    model_config = ConfigDict(extra="allow")

    tag_id: str = Field(min_length=1)
    values: builtins.list[TagValue] | None = None


class _CollectionTarget(RequestFields):
    dataset_id: ObjectId
    parent_id: ParentId | None = None
    tags: builtins.list[TagInput] | None = None
    metadata: dict[str, Any] | None = None
    custom_pdf_parse: bool | None = None


# Chunk settings FastGPT reads only with `chunkSettingMode: "custom"`.
_CUSTOM_ONLY = (
    "chunk_split_mode",
    "paragraph_chunk_ai_mode",
    "paragraph_chunk_deep",
    "paragraph_chunk_min_size",
    "chunk_size",
    "chunk_splitter",
    "index_size",
)


class ChunkSettings(RequestFields):
    """How FastGPT splits a source into chunks and indexes them: FastGPT's `ChunkSettingsSchema`
    (`packages/global/core/dataset/type.ts` at f88b51b5), shared by every `create_*_collection` request.

    All optional; FastGPT fills in its defaults. `chunk_setting_mode` is "auto" unless said otherwise,
    and in "auto" FastGPT ignores `chunk_split_mode`, `chunk_size`, `index_size`, `chunk_splitter` and
    the paragraph settings, using its own (`computedCollectionChunkSettings` in
    `packages/global/core/dataset/training/utils.ts` at f88b51b5): set `chunk_setting_mode="custom"` to use yours.
    Any of them given without `chunk_setting_mode="custom"` raises `RequestValidationError` naming it.
    The enums are FastGPT's (the `Literal`s here). FastGPT's schema takes any number; the bounds here
    are FastGPT's own: `chunk_size` and `index_size` at least `minChunkSize` (64, `training/utils.ts` at f88b51b5),
    `paragraph_chunk_deep` 1 to 8 and `chunk_trigger_min_size` 100 to 100000 as its import form allows
    (`CollectionChunkForm.tsx`). FastGPT lowers a `chunk_size` above its model's limit itself.
    `qa_prompt` is used with `training_type="qa"` only.
    """

    training_type: TrainingType | None = None
    chunk_trigger_type: ChunkTriggerType | None = None
    chunk_trigger_min_size: int | None = Field(default=None, ge=100, le=100_000)
    data_enhance_collection_name: bool | None = None
    image_index: bool | None = None
    auto_indexes: bool | None = None
    index_prefix_title: bool | None = None
    chunk_setting_mode: ChunkSettingMode | None = None
    chunk_split_mode: ChunkSplitMode | None = None
    paragraph_chunk_ai_mode: ParagraphChunkAIMode | None = Field(default=None, alias="paragraphChunkAIMode")
    paragraph_chunk_deep: int | None = Field(default=None, ge=1, le=8)
    paragraph_chunk_min_size: int | None = Field(default=None, ge=1)
    chunk_size: int | None = Field(default=None, ge=64)
    chunk_splitter: str | None = None
    index_size: int | None = Field(default=None, ge=64)
    qa_prompt: str | None = None

    # In "auto" (or unset) mode FastGPT replaces these with its own values (`computedCollectionChunkSettings`,
    # training/utils.ts at f88b51b5): given there, they would be dropped without a word. `chunk_setting_mode`
    # is declared before them, so each check sees it, at construction and on assignment alike.
    @field_validator(*_CUSTOM_ONLY)
    @classmethod
    def _custom_only(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("chunk_setting_mode") != "custom":
            raise ValueError(
                'FastGPT ignores it unless chunk_setting_mode="custom" (in "auto" it uses its own '
                'splitting): set chunk_setting_mode="custom" to use it'
            )
        return value


class CollectionSettings(ChunkSettings, _CollectionTarget):
    """What every `create_*_collection` request takes: the target, and the chunk settings (FastGPT's
    `ApiCreateCollectionBaseSchema`, `createApi.ts` at f88b51b5). `parent_id`: a folder collection of the dataset;
    `tags`: tag names (created when new) or, FastGPT >= 4.17.1, typed `CollectionTagInput`s; `metadata`: kept with the collection; `custom_pdf_parse`:
    FastGPT's enhanced PDF parsing (when the server has it)."""


class CreateCollectionRequest(APIRequest[CreateCollectionResponse]):
    """`POST /api/core/dataset/collection/create`: an empty collection, `type` "virtual" (data is then
    pushed with `push_data`), or a folder ("folder") to put other collections in; `.id` of the answer is
    its id. `tags`: names, or
    typed `CollectionTagInput`s (FastGPT >= 4.17.1); `inherit_permission` (FastGPT >= 4.17.3).
    Source (FastGPT f88b51b5): `CreateCollectionBodySchema` in `createApi.ts` and `collection/create.ts`;
    typed tags: `createApi.ts` at 04b3226b.
    """

    route = Route("POST", "/api/core/dataset/collection/create", call="create_collection")

    dataset_id: ObjectId
    name: str
    type: Literal["folder", "virtual"]
    parent_id: ParentId | None = None
    tags: builtins.list[TagInput] | None = None
    # FastGPT >= 4.17.3 (folders): whether it takes its permissions from its parent; False needs
    # collection-level permissions (`4173.mdx` at 20659c2b). Older servers ignore it.
    inherit_permission: bool | None = None

    builder: ClassVar[Builds[CreateCollectionRequestBuilder]] = Builds()


class CreateTextCollectionRequest(APIRequest[CreateCollectionWithResultResponse], CollectionSettings):
    """`POST /api/core/dataset/collection/create/text`: a collection from a text, split and trained.

    FastGPT stores the text as the file `<name>.txt` (the collection's name; its type is "file").
    FastGPT takes request bodies up to 10 MB here. Source (FastGPT f88b51b5): `CreateTextCollectionBodySchema` in
    `createApi.ts` and `collection/create/text.ts`.
    """

    route = Route("POST", "/api/core/dataset/collection/create/text", call="create_text_collection")

    name: str
    text: str

    builder: ClassVar[Builds[CreateTextCollectionRequestBuilder]] = Builds()


class CreateLinkCollectionRequest(APIRequest[CreateCollectionWithResultResponse], CollectionSettings):
    """`POST /api/core/dataset/collection/create/link`: a collection from a web page, fetched by the server.

    The link is the collection's name. `metadata["webPageSelector"]` (a CSS selector) picks the part
    of the page to read; FastGPT keeps no other metadata here. `link` is an http(s) URL (FastGPT's
    `z.string().url()`), sent exactly as given. Source (FastGPT f88b51b5): `CreateLinkCollectionBodySchema` in
    `createApi.ts` and `collection/create/link.ts`.
    """

    route = Route("POST", "/api/core/dataset/collection/create/link", call="create_link_collection")

    link: HttpLink

    builder: ClassVar[Builds[CreateLinkCollectionRequestBuilder]] = Builds()


class CreateFileCollectionRequest(APIRequest[CreateCollectionWithResultResponse], CollectionSettings):
    """`POST /api/core/dataset/collection/create/localFile`: a collection from a file, uploaded with
    the call as `multipart/form-data` (a `file` part, then a `data` part holding the other fields as
    JSON, as FastGPT's handler reads them) and streamed from disk, never read whole.

    `file` is bytes, a path, or a binary file object (read from its current position, left open).
    `filename` (the collection's name) defaults to the path's or the open file's name, and must be
    given for bytes; it is sent percent-encoded, as FastGPT's web app does and its handler expects.
    `content_type` is guessed from the name when not given. FastGPT takes .txt, .docx, .csv, .xlsx,
    .pdf, .md, .html and .pptx here (4.16; `documentFileType`), up to its `uploadFileMaxSize`.
    Source (FastGPT f88b51b5): `CreateCollectionByLocalFileBodySchema` in `createApi.ts`, `collection/create/localFile.ts`
    and `packages/service/common/file/multer.ts`.
    """

    route = Route("POST", "/api/core/dataset/collection/create/localFile")

    file: FileContent = Field(exclude=True, repr=False)
    filename: str | None = Field(default=None, min_length=1, exclude=True)
    content_type: str | None = Field(default=None, pattern=r"^[^\r\n]+$", exclude=True)

    builder: ClassVar[Builds[CreateFileCollectionRequestBuilder]] = Builds()


class CreateApiCollectionRequest(APIRequest[CreateApiCollectionResponse], CollectionSettings):
    """`POST /api/core/dataset/collection/create/apiCollection`: a collection from a file of an API
    dataset (one whose files live on an API server, Feishu, Yuque or DingTalk), by its `api_file_id`.

    Files already in the dataset are skipped; a folder brings its files along. See
    `CreateApiCollectionResponse` for the answer. Source (FastGPT f88b51b5): `CreateApiCollectionBodySchema` in
    `createApi.ts`, `collection/create/apiCollection.ts` and `apiCollectionV2.ts`.
    """

    route = Route("POST", "/api/core/dataset/collection/create/apiCollection", call="create_api_collection")

    name: str
    api_file_id: str = Field(min_length=1)

    builder: ClassVar[Builds[CreateApiCollectionRequestBuilder]] = Builds()


class ListCollectionsRequest(APIRequest[ListCollectionsResponse]):
    """`POST /api/core/dataset/collection/listV2`: a page of one folder's collections (the dataset's
    top level without `parent_id`), most recently updated first.

    `search_text` (at most 100 characters) searches names across all folders; `select_folder` lists
    folders only; `filter_tags` keeps collections with one of these tag ids; `tag_filters` (FastGPT >=
    4.17.1) keeps those matching typed-tag conditions (`CollectionTagFilter`); `simple` skips counting
    data and training (`data_amount` 0). `page_size` is at most 100 (FastGPT lowers larger values, which
    would end a walk early). Source (FastGPT f88b51b5): `ListCollectionV2BodySchema` in `collection/api.ts` and
    `collection/listV2.ts`.
    """

    route = Route(
        "POST", "/api/core/dataset/collection/listV2", call="list_collections", walk="iter_collections"
    )

    dataset_id: ObjectId
    parent_id: ParentId | None = None
    search_text: str | None = Field(default=None, max_length=100)
    select_folder: bool | None = None
    filter_tags: builtins.list[str] | None = None
    tag_filters: builtins.list[CollectionTagFilter] | None = None
    simple: bool | None = None
    offset: int = Field(default=0, ge=0)
    page_size: int = Field(default=10, ge=1, le=100)

    builder: ClassVar[Builds[ListCollectionsRequestBuilder]] = Builds()

    def walk_plan(self) -> OffsetWalk[ListCollectionsRequest, CollectionListItem]:
        """Every collection from `request.offset` on, `request.page_size` a page, in list order.

        A collection that moves up while the walk runs (it was updated) is yielded once.
        """
        return OffsetWalk(self, _item_key)


def _item_key(item: CollectionListItem | DataListItem | DatasetListV2Item) -> Hashable:
    return item.id or item.model_dump_json()


class GetCollectionRequest(APIRequest[CollectionDetail]):
    """`GET /api/core/dataset/collection/detail?id=`: one collection. Source (FastGPT f88b51b5):
    `GetCollectionDetailQuerySchema` in `collection/api.ts` and `collection/detail.ts`."""

    route = Route("GET", "/api/core/dataset/collection/detail", call="get_collection")

    id: ObjectId

    builder: ClassVar[Builds[GetCollectionRequestBuilder]] = Builds()


class AdvancedTraining(FastGPTModel):
    """The collection's extra training steps, each on or off."""

    custom_pdf_parse: bool = False
    image_index: bool = False
    auto_indexes: bool = False
    small2big_indexes: bool = False
    hype_indexes: bool = False


class CollectionTrainingDetail(FastGPTModel):
    """`get_collection_training_detail`'s answer, each count by training mode (`"parse"`, `"chunk"`,
    `"qa"`, ...): `queued_counts`, other collections' tasks queued ahead of this one's first;
    `training_counts`, this one's tasks still to run; `error_counts`, its tasks that failed; and
    `trained_count`, its chunks stored. Source: `GetCollectionTrainingDetailResponseSchema` in
    `packages/global/openapi/core/dataset/collection/api.ts` @ 054c3f18."""

    training_type: str | None = None
    advanced_training: AdvancedTraining = Field(default_factory=AdvancedTraining)
    queued_counts: dict[str, int] = Field(default_factory=dict)
    training_counts: dict[str, int] = Field(default_factory=dict)
    error_counts: dict[str, int] = Field(default_factory=dict)
    trained_count: int = 0


class GetCollectionTrainingDetailRequest(APIRequest[CollectionTrainingDetail]):
    """`GET /api/core/dataset/collection/trainingDetail?collectionId=`: where a collection's training
    stands, task by task. Source: `GetCollectionTrainingDetailQuerySchema` in `collection/api.ts` and
    `projects/app/src/pages/api/core/dataset/collection/trainingDetail.ts`, both @ 054c3f18."""

    route = Route("GET", "/api/core/dataset/collection/trainingDetail", call="get_collection_training_detail")

    collection_id: ObjectId

    builder: ClassVar[Builds[GetCollectionTrainingDetailRequestBuilder]] = Builds()


class TrainingDataDetail(OperationResponse):
    """`get_training_data_detail`'s answer: one item of the training queue, with its training `mode`
    (`"chunk"`, `"qa"`, `"image"`, ...), its text, and for an image a signed `image_preview_url` (valid
    30 minutes). FastGPT answers `data: null` for an item it does not find (trained, deleted, or
    another collection's): every field then keeps its default, `id` is `""`. Source:
    `GetTrainingDataDetailResponseSchema` in `packages/global/openapi/core/dataset/training/api.ts`
    @ 09bba826 (a newer stored version, without its commit, reads the same)."""

    id: str = Field(default="", validation_alias=_ID, serialization_alias="_id")
    dataset_id: str | None = None
    collection_id: str | None = None  # older servers leave it out (the schema @ 6398f9d4)
    mode: str | None = None
    q: str | None = None
    a: str | None = None
    image_preview_url: str | None = None


class GetTrainingDataDetailRequest(APIRequest[TrainingDataDetail]):
    """`POST /api/core/dataset/training/getTrainingDataDetail`: one item of a collection's training
    queue (a failed chunk, as the web client shows it before it is edited and queued again), by the
    collection and the item's id (read permission on the collection). `dataset_id` is for older
    servers, which read it from the body and look the item up by it (`GetTrainingDataDetailBodySchema`
    @ 6398f9d4); newer ones take the collection's own and drop it. Source: `GetTrainingDataDetailBodySchema`
    in `packages/global/openapi/core/dataset/training/api.ts` @ 09bba826 and the handler
    `projects/app/src/pages/api/core/dataset/training/getTrainingDataDetail.ts` @ 1351e509
    (`authDatasetCollection` with `authApiKey: true`; a newer stored version reads the same)."""

    route = Route("POST", "/api/core/dataset/training/getTrainingDataDetail", call="get_training_data_detail")

    collection_id: ObjectId
    data_id: ObjectId
    dataset_id: ObjectId | None = None

    builder: ClassVar[Builds[GetTrainingDataDetailRequestBuilder]] = Builds()


class UpdateTrainingDataRequest(APIRequest[OperationResponse]):
    """`PUT /api/core/dataset/training/updateTrainingData`: queue a failed training item again, its
    text (`q`, `a`) and `chunk_index` first replaced when given (write permission on its collection).
    Without `data_id`, every failed item of `collection_id`, or of `dataset_id`, is queued again
    (one of the two, not both), unedited. Older servers need `collection_id` and `dataset_id` beside
    `data_id` (`UpdateTrainingDataBodySchema` @ 6398f9d4 requires both); newer ones take the item's own
    collection. Source: `UpdateTrainingDataBodySchema` in
    `packages/global/openapi/core/dataset/training/api.ts` @ 09bba826 (a newer stored version, without
    its commit, reads the same) and the handler
    `projects/app/src/pages/api/core/dataset/training/updateTrainingData.ts` @ 11976515
    (`authDatasetCollection` / `authDataset` with `authApiKey: true`)."""

    route = Route("PUT", "/api/core/dataset/training/updateTrainingData", call="update_training_data")

    collection_id: ObjectId | None = None
    dataset_id: ObjectId | None = None
    q: str | None = None
    a: str | None = None
    chunk_index: int | None = Field(default=None, ge=0)
    # Declared last: its check reads the others.
    data_id: ObjectId | None = Field(default=None, validate_default=True)

    @field_validator("data_id")
    @classmethod
    def _one_item_or_a_scope(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None or not {"collection_id", "dataset_id", "chunk_index"} <= info.data.keys():
            return value  # one item, or another field failed its own check
        if (info.data["collection_id"] is None) == (info.data["dataset_id"] is None):
            raise ValueError("name the item by data_id, or retry a collection_id or a dataset_id (one)")
        if any(info.data.get(key) is not None for key in ("q", "a", "chunk_index")):
            raise ValueError("q, a and chunk_index edit one item: they need data_id")
        return value

    builder: ClassVar[Builds[UpdateTrainingDataRequestBuilder]] = Builds()


class UpdateCollectionRequest(APIRequest[OperationResponse]):
    """`POST /api/core/dataset/collection/update`: rename, move, tag, enable or disable a collection.

    Name the collection by `id`, or by `dataset_id` with `external_file_id`. Fields left out are left
    as they are; `parent_id=""` moves it to the top level; `tags` replaces its tags (names, created when
    new); `forbid=True` disables it (a folder: with everything in it). Source (FastGPT f88b51b5):
    `UpdateDatasetCollectionBodySchema` in `collection/api.ts` and `collection/update.ts`.
    """

    route = Route("POST", "/api/core/dataset/collection/update", call="update_collection")

    id: ObjectId | None = None
    dataset_id: ObjectId | None = None
    # Declared after `id` and `dataset_id`, whose combination its check reads.
    external_file_id: str | None = Field(default=None, min_length=1, validate_default=True)
    parent_id: ParentId | None = None
    name: str | None = Field(default=None, min_length=1)
    tags: builtins.list[TagInput] | None = None
    forbid: bool | None = None
    create_time: AwareDatetime | str | None = None

    @field_validator("external_file_id")
    @classmethod
    def _one_way_to_name_it(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "id" not in info.data or "dataset_id" not in info.data:
            return value  # one of them failed its own check
        by_id, dataset_id = info.data["id"] is not None, info.data["dataset_id"] is not None
        by_file = value is not None
        if by_id and (by_file or dataset_id):
            raise ValueError("name the collection by id, or by dataset_id with external_file_id, not both")
        if not by_id and not (by_file and dataset_id):
            raise ValueError("name the collection by id, or by dataset_id with external_file_id")
        return value

    builder: ClassVar[Builds[UpdateCollectionRequestBuilder]] = Builds()


class DeleteCollectionRequest(APIRequest[OperationResponse]):
    """`POST /api/core/dataset/collection/delete`: delete collections, folders with everything in them,
    their data and files. Name them one way: `id` (one collection), `collection_ids` (several), or
    `dataset_id` with `api_file_ids` (an API dataset's collections by their files, FastGPT >= 4.18;
    none matching is `unExistCollection`). FastGPT asks for owner rights here, not write rights.

    Wire (4.18 reference page `dataset-collection/delete`; `collection/index.ts` at 037de007 declares
    `post`, at 337cd100 it was `delete`): a JSON body; FastGPT before 4.18 reads no body `id`, and
    before 4.17 the documented form was `DELETE ?id=`. A server that does not take the body `id`
    (it refuses with `missingParams`, nothing deleted) or has no such route (a bare 404) is asked
    again in the old form, `DELETE ?id=`, and the client remembers that for this server. The old
    form cannot name API files: `api_file_ids` on such a server raises `BadRequestError`, nothing
    deleted. `collection_ids` went in a body on every version. Source: `DeleteCollectionQuerySchema`
    / `DeleteCollectionBodySchema` in `collection/api.ts` and `collection/delete.ts` (f88b51b5).
    """

    route = Route(
        "POST",
        "/api/core/dataset/collection/delete",
        fallbacks=(("DELETE", "/api/core/dataset/collection/delete", frozenset({"id"})),),
        fallback_on=frozenset({"missingParams"}),
    )

    id: ObjectId | None = None
    dataset_id: ObjectId | None = None
    # Declared after `dataset_id`, which its check reads.
    api_file_ids: builtins.list[NonEmptyStr] | None = Field(default=None, min_length=1, validate_default=True)
    # Declared last: its check reads the other ways.
    collection_ids: builtins.list[ObjectId] | None = Field(default=None, min_length=1, validate_default=True)

    @field_validator("api_file_ids")
    @classmethod
    def _files_of_a_dataset(
        cls, value: builtins.list[str] | None, info: ValidationInfo
    ) -> builtins.list[str] | None:
        if "dataset_id" in info.data and (value is None) != (info.data["dataset_id"] is None):
            raise ValueError("api_file_ids go with dataset_id (the API dataset they belong to), and back")
        return value

    @field_validator("collection_ids")
    @classmethod
    def _one_way_to_name_them(
        cls, value: builtins.list[str] | None, info: ValidationInfo
    ) -> builtins.list[str] | None:
        if not {"id", "dataset_id", "api_file_ids"} <= info.data.keys():
            return value  # one of them failed its own check
        ways = [
            name
            for name, given in (
                ("id", info.data["id"] is not None),
                ("collection_ids", value is not None),
                ("dataset_id with api_file_ids", info.data["api_file_ids"] is not None),
            )
            if given
        ]
        if len(ways) != 1:
            raise ValueError(
                "name the collections one way: id (one), collection_ids (several), or dataset_id with "
                "api_file_ids" + (f", not {' and '.join(ways)}" if ways else "")
            )
        return value

    builder: ClassVar[Builds[DeleteCollectionRequestBuilder]] = Builds()


class SyncCollectionRequest(APIRequest[SyncCollectionResponse]):
    """`POST /api/core/dataset/collection/sync`: read a link or API-file collection's source again and
    rebuild the collection if it changed (others are refused: `notSupportSync`).

    Source (FastGPT f88b51b5): `SyncCollectionBodySchema` in `collection/api.ts` and `collection/sync.ts`.
    """

    route = Route("POST", "/api/core/dataset/collection/sync", call="sync_collection")

    collection_id: ObjectId

    builder: ClassVar[Builds[SyncCollectionRequestBuilder]] = Builds()


# ---- requests: data -----------------------------------------------------------------------------


class DataIndex(RequestPart):
    """An index of a pushed chunk: `text` to embed (FastGPT makes the default ones itself). `type`
    defaults to "custom" on the server; the other kinds are the ones FastGPT generates.
    (`DatasetDataIndexItemSchema` without `dataId`, as `PushDataChunkSchema` takes it, at f88b51b5.)"""

    type: DataIndexType | None = None
    text: str


class UpdateDataIndex(DataIndex):
    """An index in `update_data`: `data_id` (the vector's id, from `get_data`) keeps an unchanged index's
    vector instead of embedding it again (`DatasetDataIndexOptionalSchema`, `type.ts` at f88b51b5)."""

    data_id: str | None = Field(default=None, min_length=1)


class DataItem(RequestPart, CheckedModel):
    """One chunk for `push_data` (FastGPT's `PushDataChunkSchema`, `data/api.ts` at f88b51b5): `q` (the text) and
    an optional `a`, or an image (`image_id`, a dataset image key) for image collections, plus extra
    `indexes`, its position `chunk_index` and your `metadata` (FastGPT >= 4.16.0).

    An item needs a non-empty `q` or an `image_id`: FastGPT silently drops one with neither, so the
    SDK refuses it. `push_data` takes these or plain dicts with the same fields (snake_case or
    FastGPT's camelCase), checked alike. A bad one raises `RequestValidationError`, as a request does.
    """

    # Declared before `q`, whose check reads it.
    image_id: str | None = Field(default=None, min_length=1)
    q: str | None = Field(default=None, validate_default=True)
    a: str | None = None
    chunk_index: int | None = Field(default=None, ge=0)
    indexes: builtins.list[DataIndex] | None = None
    metadata: dict[str, Any] | None = None

    @field_validator("q")
    @classmethod
    def _text_or_image(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "image_id" in info.data and not value and info.data["image_id"] is None:
            raise ValueError("an item needs q (its text) or image_id; FastGPT drops one with neither")
        return value


def _data_item(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    if isinstance(value, DataItem):
        # Checked again: a DataItem's fields can be changed after it was made (no check on assignment),
        # and the request must not carry an item FastGPT would drop.
        value = value.model_dump(exclude_unset=True)
    if isinstance(value, dict):
        # Checked as DataItem's constructor checks it, each refusal reported where it is (`data.3.q`).
        item = DataItem.__new__(DataItem)
        DataItem.__pydantic_validator__.validate_python(value, self_instance=item)
        return item
    raise ValueError(f"an item is a DataItem or a dict, not {type(value).__name__}")


# An item of `push_data`: a DataItem, or a plain dict checked as one.
DataItemInput = Annotated[DataItem | dict[str, Any], WrapValidator(_data_item)]


def is_plain_item(value: object) -> bool:
    """A dict that checking as a `DataItem` would send unchanged: only `q` (non-empty) and `a`, both
    strings. `push_all` sends these as they are, without building a model for each (the check and the
    dump are most of its CPU per item; bench/RESULTS.md, the bulk-push row)."""
    if type(value) is not dict or not 0 < len(value) <= 2:
        return False
    q = value.get("q")
    if type(q) is not str or not q:
        return False
    return len(value) == 1 or type(value.get("a")) is str


class PushDataRequest(APIRequest[PushDataResponse]):
    """`POST /api/core/dataset/data/pushData`: queue up to 200 chunks into a collection for training. Never
    sent twice once FastGPT may have received it.

    `data` holds `DataItem`s or dicts (more than 200 is refused before sending). The collection's own
    training mode decides how they are trained; `training_type`, `index_size`, `auto_indexes`,
    `image_index` and `prompt` are passed on as FastGPT reads them. `bill_id` charges the training to an
    existing usage record (`createTrainingUsage`); without it each call opens one. FastGPT takes
    request bodies up to 10 MB here. Source (FastGPT f88b51b5): `PushDataBodySchema` in `data/api.ts` and
    `data/pushData.ts`.
    """

    route = Route("POST", "/api/core/dataset/data/pushData", call="push_data")

    collection_id: ObjectId
    data: builtins.list[DataItemInput] = Field(max_length=MAX_PUSH_ITEMS)
    training_type: TrainingType | None = None
    index_size: int | None = Field(default=None, ge=64)
    auto_indexes: bool | None = None
    image_index: bool | None = None
    prompt: str | None = None
    bill_id: str | None = Field(default=None, min_length=1)

    builder: ClassVar[Builds[PushDataRequestBuilder]] = Builds()


class ListDataRequest(APIRequest[ListDataResponse]):
    """`POST /api/core/dataset/data/v2/list`: a page of a collection's chunks, in chunk order.

    `search_text` matches `q` and `a`. `page_size` is at most 30 (FastGPT lowers larger values, which
    would end a walk early). Source (FastGPT f88b51b5): `GetDatasetDataListBodySchema` in `data/api.ts` and
    `data/v2/list.ts`.
    """

    route = Route("POST", "/api/core/dataset/data/v2/list", call="list_data", walk="iter_data")

    collection_id: ObjectId
    search_text: str | None = None
    offset: int = Field(default=0, ge=0)
    page_size: int = Field(default=10, ge=1, le=30)

    builder: ClassVar[Builds[ListDataRequestBuilder]] = Builds()

    def walk_plan(self) -> OffsetWalk[ListDataRequest, DataListItem]:
        """Every chunk of the collection from `request.offset` on, `request.page_size` a page."""
        return OffsetWalk(self, _item_key)


class GetDataRequest(APIRequest[DataDetail]):
    """`GET /api/core/dataset/data/detail?id=`: one chunk with its indexes. Source (FastGPT f88b51b5):
    `GetDatasetDataDetailQuerySchema` in `data/api.ts` and `data/detail.ts`."""

    route = Route("GET", "/api/core/dataset/data/detail", call="get_data")

    id: ObjectId

    builder: ClassVar[Builds[GetDataRequestBuilder]] = Builds()


class UpdateDataRequest(APIRequest[UpdateDataResponse]):
    """`PUT /api/core/dataset/data/update`: change a chunk's text and, optionally, its indexes.

    `q` is required. With `indexes` given they replace the chunk's custom indexes (keep one's vector
    with its `data_id`); without, FastGPT rebuilds the default indexes from the new text. FastGPT reads
    no `metadata` here (`UpdateDatasetDataBodySchema` omits it). Source (FastGPT f88b51b5): `UpdateDatasetDataBodySchema`
    in `data/api.ts` (`UpdateDatasetDataPropsSchema`, `type.ts` at f88b51b5) and `data/update.ts`.
    """

    route = Route("PUT", "/api/core/dataset/data/update", call="update_data")

    data_id: ObjectId
    q: str
    a: str | None = None
    indexes: builtins.list[UpdateDataIndex] | None = None
    image_id: str | None = Field(default=None, min_length=1)
    index_prefix: str | None = None

    builder: ClassVar[Builds[UpdateDataRequestBuilder]] = Builds()


class DeleteDataRequest(APIRequest[OperationResponse]):
    """`DELETE /api/core/dataset/data/delete?id=`: delete one chunk. Source (FastGPT f88b51b5):
    `DeleteDatasetDataQuerySchema` in `data/api.ts` and `data/delete.ts`."""

    route = Route("DELETE", "/api/core/dataset/data/delete", query=frozenset({"id"}), call="delete_data")

    id: ObjectId

    builder: ClassVar[Builds[DeleteDataRequestBuilder]] = Builds()


class QuoteData(FastGPTModel):
    """`get_quote_data`'s answer: a chunk's text and the collection it belongs to, as a quote shows it
    (`GetQuoteDataResponseSchema`, `packages/global/openapi/core/dataset/data/api.ts` @ 054c3f18).

    `q` is the text as `formatDatasetDataValue` gives it: for an image chunk, a Markdown image of its
    preview URL with the description as its alt text. `collection` is the collection as stored
    (`DatasetCollectionSchema`), not as `get_collection` fills it: its `dataset`, `permission`,
    `file`, `source_name` and training counters stay at their defaults."""

    q: str = ""
    a: str | None = None
    collection: CollectionDetail | None = None


class GetQuoteDataRequest(APIRequest[QuoteData]):
    """`POST /api/core/dataset/data/getQuoteData`: one chunk's text with its collection, by the chunk's
    id, as the chat's quote reader asks for it (read permission on the dataset). FastGPT's other form,
    by a chat (`appId`, `chatId`, `chatItemDataId`, share-link fields), is for chat users and not sent
    here. Source: `GetQuoteDataBodySchema` in `packages/global/openapi/core/dataset/data/api.ts` @ 054c3f18
    and the handler `projects/app/src/pages/api/core/dataset/data/getQuoteData.ts` @ 0230117a
    (`authDatasetData` with `authApiKey: true`).
    """

    route = Route("POST", "/api/core/dataset/data/getQuoteData", call="get_quote_data")

    id: ObjectId

    builder: ClassVar[Builds[GetQuoteDataRequestBuilder]] = Builds()


if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any name imported from here
    __getattr__ = builders_on_demand(__name__, __all__)


# ==================================================================================================
# ---- FastGPT 4.15 - 4.18 System OpenAPI operations: listV2, data indexes, insertData,
# ---- apiCollectionV2, and the presigned dataset upload with create/fileId.
# Kept together at the end of the module (their own `__all__` and builder imports) so that changes
# to the operations above merge without touching them.
# ==================================================================================================

if TYPE_CHECKING:
    from ._builders import (
        CreateApiCollectionV2RequestBuilder,
        CreateDataIndexRequestBuilder,
        CreateFileIdCollectionRequestBuilder,
        DeleteDataIndexRequestBuilder,
        InsertDataRequestBuilder,
        ListDatasetsV2RequestBuilder,
        UpdateDataIndexRequestBuilder,
        UploadDatasetFileRequestBuilder,
    )

__all__ += [
    "ApiFileItem",
    "CreateApiCollectionV2Request",
    "CreateApiCollectionV2RequestBuilder",
    "CreateApiCollectionV2Response",
    "CreateDataIndexRequest",
    "CreateDataIndexRequestBuilder",
    "CreateFileIdCollectionRequest",
    "CreateFileIdCollectionRequestBuilder",
    "CustomDataIndexType",
    "DataIndexResponse",
    "DatasetListSort",
    "DatasetListV2Item",
    "DeleteDataIndexRequest",
    "DeleteDataIndexRequestBuilder",
    "IndexText",
    "InsertDataRequest",
    "InsertDataRequestBuilder",
    "InsertDataResponse",
    "ListDatasetsV2Request",
    "ListDatasetsV2RequestBuilder",
    "ListDatasetsV2Response",
    "UpdateDataIndexRequest",
    "UpdateDataIndexRequestBuilder",
    "UploadDatasetFileRequest",
    "UploadDatasetFileRequestBuilder",
    "UploadedDatasetFile",
]

# `AppListSortEnum` (`packages/global/core/app/constants.ts`), which `dataset/listV2` sorts by.
DatasetListSort = Literal["updateTimeDesc", "createTimeDesc", "createTimeAsc"]
# The index types a caller may write one by one: FastGPT refuses the system ones ("default",
# "imageEmbedding", rebuilt from the data's own text and image) with "System indexes cannot be saved
# separately" (`DatasetDataIndexOperation.writeDatasetDataIndex`,
# `projects/app/src/service/core/dataset/data/dataIndex.ts` at 09bba826).
CustomDataIndexType = Literal["custom", "summary", "question", "image"]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only whitespace (FastGPT trims it and refuses an empty text)")
    return value


# An index text: FastGPT trims it and refuses one that is then empty.
IndexText = Annotated[str, AfterValidator(_not_blank)]


# ---- dataset/listV2 (4.17.0) -----------------------------------------------------------------------


class DatasetListV2Item(DatasetListItem):
    """One dataset of `list_datasets_v2`: `DatasetListItemSchema` as `dataset/listV2.ts` fills it
    (FastGPT @ 037de007, 4.17): `create_time` (the id's time for datasets made before it was stored),
    and `app_count`, the apps using it, when asked with `with_app_count` and the key's member owns it."""

    create_time: datetime | None = None
    app_count: int | None = None


class ListDatasetsV2Response(Page[DatasetListV2Item]):
    """A page of datasets and the `total` matching (`GetDatasetListV2ResponseSchema`:
    `PaginationResponseSchema(DatasetListItemSchema)`, `packages/global/openapi/core/dataset/api.ts` at 037de007)."""


class ListDatasetsV2Request(APIRequest[ListDatasetsV2Response]):
    """`POST /api/core/dataset/listV2` (FastGPT >= 4.17.0; older servers answer 404): a page of the datasets
    the key's member can read.

    Without `search_key`: the datasets of one folder (`parent_id`; the top level without it). With
    `search_key`: names and intros matching it (case-insensitive) in that folder and every folder
    below it (the whole team at the top level). `type` keeps one type or any of a list; `tmb_ids` the
    datasets these members created (an empty list answers an empty page); `sort` is "updateTimeDesc"
    (the default), "createTimeDesc" or "createTimeAsc". Pages are `offset` / `page_size` (FastGPT's
    default page is 50). `with_app_count` adds `app_count` to the datasets the member owns.
    Source: `GetDatasetListV2BodySchema` (`GetDatasetListBodySchema` + `PaginationSchema`) in
    `packages/global/openapi/core/dataset/api.ts` @ 037de007 and `packages/global/openapi/api.ts`, and the
    handler `projects/app/src/pages/api/core/dataset/listV2.ts` (4.17). `iter_datasets_v2` walks the pages.
    """

    route = Route("POST", "/api/core/dataset/listV2", call="list_datasets_v2", walk="iter_datasets_v2")

    parent_id: ParentId | None = None
    type: DatasetType | builtins.list[DatasetType] | None = None
    search_key: str | None = None
    sort: DatasetListSort | None = None
    tmb_ids: builtins.list[ObjectId] | None = None
    with_app_count: bool | None = None
    offset: int = Field(default=0, ge=0)
    page_size: int = Field(default=50, ge=1)

    builder: ClassVar[Builds[ListDatasetsV2RequestBuilder]] = Builds()

    def walk_plan(self) -> OffsetWalk[ListDatasetsV2Request, DatasetListV2Item]:
        """Every dataset from `request.offset` on, `request.page_size` a page, in list order; a dataset
        that moves up while the walk runs (it was updated) is yielded once."""
        return OffsetWalk(self, _item_key)


# ---- data/index/create|update|delete (4.15.0) -------------------------------------------------------


class DataIndexResponse(FastGPTModel):
    """The index as stored after `create_data_index` / `update_data_index` (`DatasetDataIndexResponseSchema`,
    `{index: DatasetDataIndexItemSchema}`): its `data_id` is the new vector's id (the old one when nothing
    changed)."""

    index: DataIndexInfo | None = None


class CreateDataIndexRequest(APIRequest[DataIndexResponse]):
    """`POST /api/core/dataset/data/index/create` (FastGPT >= 4.15.0): add one index to a chunk, before its
    other indexes, without rebuilding the rest. The text is embedded at once (it costs AI points) and may
    be at most the embedding model's token limit ("Dataset data index text is too long"). The answer's
    `index` is the stored one.

    Source: `CreateDatasetDataIndexBodySchema` (`dataId`, `type`, `text`) registered in
    `packages/global/openapi/core/dataset/data/index.ts`; handler `projects/app/src/pages/api/core/dataset/data/index/create.ts`
    and `DatasetDataIndexOperation.writeDatasetDataIndex` (`projects/app/src/service/core/dataset/data/dataIndex.ts`
    at 09bba826), which trims `text` and refuses an empty one or a system type.
    """

    route = Route("POST", "/api/core/dataset/data/index/create", call="create_data_index")

    data_id: ObjectId
    type: CustomDataIndexType = "custom"
    text: IndexText

    builder: ClassVar[Builds[CreateDataIndexRequestBuilder]] = Builds()


class UpdateDataIndexRequest(APIRequest[DataIndexResponse]):
    """`POST /api/core/dataset/data/index/update` (FastGPT >= 4.15.0): replace one index of a chunk, named by
    `index_data_id` (its `data_id` in `get_data`'s `indexes`), in place. The same text and type change
    nothing (no new embedding); an unknown `index_data_id` is refused ("Dataset data index not found").

    Source: `UpdateDatasetDataIndexBodySchema` (`dataId`, `indexDataId`, `type`, `text`); handler
    `data/index/update.ts` and `writeDatasetDataIndex` (`dataIndex.ts` at 09bba826).
    """

    route = Route("POST", "/api/core/dataset/data/index/update", call="update_data_index")

    data_id: ObjectId
    index_data_id: str = Field(min_length=1)
    type: CustomDataIndexType = "custom"
    text: IndexText

    builder: ClassVar[Builds[UpdateDataIndexRequestBuilder]] = Builds()


class DeleteDataIndexRequest(APIRequest[OperationResponse]):
    """`POST /api/core/dataset/data/index/delete` (FastGPT >= 4.15.0): remove one index of a chunk and its
    vector. FastGPT refuses the system ones ("System indexes cannot be deleted separately") and an unknown
    `index_data_id` ("Dataset data index not found"). Answers `data: null`.

    Source: `DeleteDatasetDataIndexBodySchema` (`dataId`, `indexDataId`); handler `data/index/delete.ts` (@ 5995b3b4)
    and `deleteDatasetDataIndex` (`dataIndex.ts` at 09bba826).
    """

    route = Route("POST", "/api/core/dataset/data/index/delete", call="delete_data_index")

    data_id: ObjectId
    index_data_id: str = Field(min_length=1)

    builder: ClassVar[Builds[DeleteDataIndexRequestBuilder]] = Builds()


# ---- data/insertData ---------------------------------------------------------------------------------


class InsertDataResponse(IdResponse):
    """`insert_data`'s answer: the new chunk's id, `.id` (`InsertDataResponseSchema`, an `ObjectIdSchema`)."""

    id: str = ""


class InsertDataRequest(APIRequest[InsertDataResponse]):
    """`POST /api/core/dataset/data/insertData`: write one chunk into a collection now, embedded during the
    call: no training queue, so it is searchable when the call returns (and costs AI points then), unlike
    `push_data`.

    `q` must not be empty; `a` and extra `indexes` are optional (system index types among them are
    rebuilt by FastGPT, not kept). FastGPT refuses a chunk whose `q` and `a` are already in the
    collection ("已经存在完全一致的数据", same data exists), one longer than its model's chunk limit
    ("Content over max chunk size: N"), and more indexes than the team's plan allows. It is never sent
    twice once it may have arrived. Source: `InsertDataBodySchema` (`PushDataChunkSchema` with a non-empty
    `q`, plus `collectionId`) in `packages/global/openapi/core/dataset/data/api.ts` @ 054c3f18; handler
    `projects/app/src/pages/api/core/dataset/data/insertData.ts` @ d44befef and `hasSameValue`
    (`projects/app/src/service/core/dataset/data/utils.ts` @ 84008449).
    """

    route = Route("POST", "/api/core/dataset/data/insertData", call="insert_data")

    collection_id: ObjectId
    q: str = Field(min_length=1)
    a: str | None = None
    indexes: builtins.list[DataIndex] | None = None
    image_id: str | None = Field(default=None, min_length=1)
    chunk_index: int | None = Field(default=None, ge=0)
    metadata: dict[str, Any] | None = None

    builder: ClassVar[Builds[InsertDataRequestBuilder]] = Builds()


# ---- collection/create/apiCollectionV2 --------------------------------------------------------------


class ApiFileItem(RequestPart, CheckedModel):
    """A file or folder of an API dataset's file server, as `apiDataset/list` lists it and
    `create_api_collection_v2` takes it (`APIFileItemSchema`, `packages/global/core/dataset/apiDataset/type.ts`):
    `id` (the server's file id), `raw_id`, `parent_id` (None at the top), `name`, `type` ("file" or "folder"),
    `update_time` and `create_time` (FastGPT coerces them to dates: a datetime or an ISO string), and
    `has_child` (a folder to import with everything under it)."""

    id: str = Field(min_length=1)
    raw_id: str
    parent_id: str | None = None
    name: str
    type: Literal["file", "folder"]
    update_time: AwareDatetime | str
    create_time: AwareDatetime | str
    has_child: bool | None = None


class CreateApiCollectionV2Response(OperationResponse):
    """`create_api_collection_v2` answers `data: null`: a folder brings in any number of collections
    (`apiCollectionV2.ts` returns nothing)."""


class CreateApiCollectionV2Request(APIRequest[CreateApiCollectionV2Response], CollectionSettings):
    """`POST /api/core/dataset/collection/create/apiCollectionV2`: collections from files of an API dataset
    (its files on an API server, Feishu, Yuque or DingTalk), several at once: each file a collection, each
    folder with `has_child` a folder collection with its files (read from the server recursively). Files
    already in the dataset (by file id) are skipped. This replaces `create_api_collection`, which
    FastGPT marks deprecated.

    Source: `CreateApiCollectionV2BodySchema` (`ApiCreateCollectionBaseSchema` + `apiFiles`) in
    `packages/global/openapi/core/dataset/collection/createApi.ts` @ 1e8bb154 and the handler
    `projects/app/src/pages/api/core/dataset/collection/create/apiCollectionV2.ts` @ f1268f1e.
    """

    route = Route(
        "POST", "/api/core/dataset/collection/create/apiCollectionV2", call="create_api_collection_v2"
    )

    api_files: builtins.list[ApiFileItem]

    builder: ClassVar[Builds[CreateApiCollectionV2RequestBuilder]] = Builds()


# ---- the presigned dataset upload (4.14.11; multipart 4.16.0) and collection/create/fileId ----------


class UploadDatasetFileRequest(APIRequest[PresignedUpload]):
    """`client.dataset.upload_dataset_file`: put a file into a dataset's storage, to make a collection of it
    with `create_file_id_collection`.

    Sent as `POST /api/core/dataset/file/presignDatasetFilePostUrl` (FastGPT >= 4.14.11; multipart for
    large files from 4.16.0), then the file goes to the storage URL of the answer, exactly as
    `client.chat.upload_file` sends chat files (`core/storage.py`: no API key there). `file` is bytes, a path,
    or a binary file object (read from its current position, left open); `filename` defaults to the
    path's or the open file's name. The SDK adds the file's `size` (FastGPT chooses single or multipart
    by it; an empty file is sent without one, which FastGPT's schema would refuse as not positive).
    Source: `PresignDatasetFilePostUrlBodySchema` (`filename`, `datasetId`, `size`) in
    `packages/global/openapi/core/dataset/file/api.ts` @ 04b3226b.
    """

    route = Route("POST", "/api/core/dataset/file/presignDatasetFilePostUrl")

    dataset_id: ObjectId
    file: FileContent = Field(exclude=True, repr=False)
    filename: str | None = Field(default=None, min_length=1)

    builder: ClassVar[Builds[UploadDatasetFileRequestBuilder]] = Builds()


class UploadedDatasetFile(BaseModel):
    """A file in a dataset's storage (`upload_dataset_file`'s result). `key` is the storage key, which
    `create_file_id_collection` takes as its `file_id` (also `.file_id` here)."""

    model_config = ConfigDict(frozen=True)

    key: str
    dataset_id: str
    filename: str
    size: int
    content_type: str | None = None

    @property
    def file_id(self) -> str:
        return self.key


class CreateFileIdCollectionRequest(APIRequest[CreateCollectionWithResultResponse], CollectionSettings):
    """`POST /api/core/dataset/collection/create/fileId`: a collection from a file already in the dataset's
    storage, by its key (`file_id`: the `key` of `upload_dataset_file`, which must be a file of this
    dataset). The collection is named after the stored file; FastGPT parses it in its training queue.

    Source: `CreateCollectionByFileIdBodySchema` (`ApiCreateCollectionBaseSchema` + `fileId`, "S3 文件对象键
    （必须是 dataset 路径下的文件）", an S3 key under the dataset's path) in
    `packages/global/openapi/core/dataset/collection/createApi.ts` @ 1e8bb154; the answer is
    `CreateCollectionWithResultResponseSchema`, as for the other file collections.
    """

    route = Route("POST", "/api/core/dataset/collection/create/fileId", call="create_file_id_collection")

    file_id: str = Field(min_length=1)

    builder: ClassVar[Builds[CreateFileIdCollectionRequestBuilder]] = Builds()
