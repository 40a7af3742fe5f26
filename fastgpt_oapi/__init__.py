"""fastgpt-oapi: the typed Python SDK for FastGPT's OpenAPI.

`import fastgpt_oapi` stays cheap: the client, services and models load on first use. The names most
programs need are here; everything else is imported from where it lives (`fastgpt_oapi.api.<service>.model`,
`fastgpt_oapi.api.chat.stream`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

# Every name of __all__ is imported here too: without it, module __getattr__ makes it Any to mypy.
if TYPE_CHECKING:
    from .api.ai_model.model import GetModelCatalogRequest, GetModelSummaryRequest
    from .api.app_logs.model import (
        GetChartDataRequest,
        GetTotalDataRequest,
        ListLogsRequest,
        ListLogUsersRequest,
        SearchLogsRequest,
    )
    from .api.chat.model import (
        AnswerEvent,
        ChatCompletionRequest,
        ChatMessage,
        ChatStreamEvent,
        StopChatRequest,
        UploadFileRequest,
    )
    from .api.chat.stream import AsyncChatStream, ChatStream
    from .api.chat_history.model import (
        BatchDeleteHistoriesRequest,
        ClearHistoriesRequest,
        CreateQuestionGuideRequest,
        DeleteHistoryRequest,
        DeleteRecordRequest,
        DeleteRecordsRequest,
        GetChatInitRequest,
        GetCollectionQuoteRequest,
        GetFeedbackRecordIdsRequest,
        GetHistoryStatusRequest,
        GetQuoteRequest,
        GetRecordDetailRequest,
        ListHistoriesRequest,
        ListRecordsRequest,
        ListRecordsV2Request,
        MarkReadRequest,
        UpdateFeedbackRequest,
        UpdateHistoryRequest,
    )
    from .api.dataset.model import (
        CollectionTag,
        CreateApiCollectionRequest,
        CreateApiCollectionV2Request,
        CreateCollectionRequest,
        CreateDataIndexRequest,
        CreateDatasetRequest,
        CreateFileCollectionRequest,
        CreateFileIdCollectionRequest,
        CreateLinkCollectionRequest,
        CreateTextCollectionRequest,
        DeleteCollectionRequest,
        DeleteDataIndexRequest,
        DeleteDataRequest,
        DeleteDatasetRequest,
        GetCollectionRequest,
        GetDataRequest,
        GetDatasetRequest,
        InsertDataRequest,
        ListCollectionsRequest,
        ListDataRequest,
        ListDatasetsRequest,
        ListDatasetsV2Request,
        PushDataRequest,
        SearchTestRequest,
        SyncCollectionRequest,
        UpdateCollectionRequest,
        UpdateDataIndexRequest,
        UpdateDataRequest,
        UploadDatasetFileRequest,
    )
    from .client import Client, ClientBuilder
    from .core.drift import ResponseDriftWarning
    from .core.errors import (
        APIConnectionError,
        APIError,
        APIResponseValidationError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConflictError,
        DataNotIndexedError,
        FastGPTError,
        FieldProblem,
        InternalServerError,
        NotFoundError,
        PermissionDeniedError,
        PushAllError,
        RateLimitError,
        RequestValidationError,
        StreamClosedError,
        StreamError,
        StreamEventTooLargeError,
        TrainingFailedError,
        UnprocessableEntityError,
    )
    from .core.http import RawResponse
    from .core.options import RequestOption

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AnswerEvent",
    "AsyncChatStream",
    "AuthenticationError",
    "BadRequestError",
    "BatchDeleteHistoriesRequest",
    "ChatCompletionRequest",
    "ChatMessage",
    "ChatStream",
    "ChatStreamEvent",
    "ClearHistoriesRequest",
    "Client",
    "ClientBuilder",
    "CollectionTag",
    "ConflictError",
    "CreateApiCollectionRequest",
    "CreateApiCollectionV2Request",
    "CreateCollectionRequest",
    "CreateDataIndexRequest",
    "CreateDatasetRequest",
    "CreateFileCollectionRequest",
    "CreateFileIdCollectionRequest",
    "CreateLinkCollectionRequest",
    "CreateQuestionGuideRequest",
    "CreateTextCollectionRequest",
    "DataNotIndexedError",
    "DeleteCollectionRequest",
    "DeleteDataIndexRequest",
    "DeleteDataRequest",
    "DeleteDatasetRequest",
    "DeleteHistoryRequest",
    "DeleteRecordRequest",
    "DeleteRecordsRequest",
    "FastGPTError",
    "FieldProblem",
    "GetChartDataRequest",
    "GetChatInitRequest",
    "GetCollectionQuoteRequest",
    "GetCollectionRequest",
    "GetDataRequest",
    "GetDatasetRequest",
    "GetFeedbackRecordIdsRequest",
    "GetHistoryStatusRequest",
    "GetModelCatalogRequest",
    "GetModelSummaryRequest",
    "GetQuoteRequest",
    "GetRecordDetailRequest",
    "GetTotalDataRequest",
    "InsertDataRequest",
    "InternalServerError",
    "ListCollectionsRequest",
    "ListDataRequest",
    "ListDatasetsRequest",
    "ListDatasetsV2Request",
    "ListHistoriesRequest",
    "ListLogUsersRequest",
    "ListLogsRequest",
    "ListRecordsRequest",
    "ListRecordsV2Request",
    "MarkReadRequest",
    "NotFoundError",
    "PermissionDeniedError",
    "PushAllError",
    "PushDataRequest",
    "RateLimitError",
    "RawResponse",
    "RequestOption",
    "RequestValidationError",
    "ResponseDriftWarning",
    "SearchLogsRequest",
    "SearchTestRequest",
    "StopChatRequest",
    "StreamClosedError",
    "StreamError",
    "StreamEventTooLargeError",
    "SyncCollectionRequest",
    "TrainingFailedError",
    "UnprocessableEntityError",
    "UpdateCollectionRequest",
    "UpdateDataIndexRequest",
    "UpdateDataRequest",
    "UpdateFeedbackRequest",
    "UpdateHistoryRequest",
    "UploadDatasetFileRequest",
    "UploadFileRequest",
    "__version__",
]


# Where each public name lives; everything not listed is an exception from core.errors.
_HOMES = {
    "Client": "client",
    "ClientBuilder": "client",
    "RequestOption": "core.options",
    "ResponseDriftWarning": "core.drift",
    "RawResponse": "core.http",
    **dict.fromkeys(
        ("AnswerEvent", "ChatCompletionRequest", "ChatMessage", "ChatStreamEvent"), "api.chat.model"
    ),
    **dict.fromkeys(("AsyncChatStream", "ChatStream"), "api.chat.stream"),
    **dict.fromkeys(("StopChatRequest", "UploadFileRequest"), "api.chat.model"),
    **dict.fromkeys(("GetModelCatalogRequest", "GetModelSummaryRequest"), "api.ai_model.model"),
    **dict.fromkeys(
        (
            "CollectionTag",
            "CreateApiCollectionRequest",
            "CreateApiCollectionV2Request",
            "CreateCollectionRequest",
            "CreateDataIndexRequest",
            "CreateDatasetRequest",
            "CreateFileCollectionRequest",
            "CreateFileIdCollectionRequest",
            "CreateLinkCollectionRequest",
            "CreateTextCollectionRequest",
            "DeleteCollectionRequest",
            "DeleteDataIndexRequest",
            "DeleteDataRequest",
            "DeleteDatasetRequest",
            "GetCollectionRequest",
            "GetDataRequest",
            "GetDatasetRequest",
            "InsertDataRequest",
            "ListCollectionsRequest",
            "ListDataRequest",
            "ListDatasetsRequest",
            "ListDatasetsV2Request",
            "PushDataRequest",
            "SearchTestRequest",
            "SyncCollectionRequest",
            "UpdateCollectionRequest",
            "UpdateDataIndexRequest",
            "UpdateDataRequest",
            "UploadDatasetFileRequest",
        ),
        "api.dataset.model",
    ),
    **dict.fromkeys(
        (
            "BatchDeleteHistoriesRequest",
            "ClearHistoriesRequest",
            "CreateQuestionGuideRequest",
            "DeleteHistoryRequest",
            "DeleteRecordRequest",
            "DeleteRecordsRequest",
            "GetChatInitRequest",
            "GetCollectionQuoteRequest",
            "GetFeedbackRecordIdsRequest",
            "GetHistoryStatusRequest",
            "GetQuoteRequest",
            "GetRecordDetailRequest",
            "ListHistoriesRequest",
            "ListRecordsRequest",
            "ListRecordsV2Request",
            "MarkReadRequest",
            "UpdateFeedbackRequest",
            "UpdateHistoryRequest",
        ),
        "api.chat_history.model",
    ),
    **dict.fromkeys(
        (
            "GetChartDataRequest",
            "GetTotalDataRequest",
            "ListLogUsersRequest",
            "ListLogsRequest",
            "SearchLogsRequest",
            "SearchLogsRequest",
        ),
        "api.app_logs.model",
    ),
}


def __getattr__(name: str) -> Any:
    if name not in __all__ or name == "__version__":
        raise AttributeError(f"module 'fastgpt_oapi' has no attribute {name!r}")
    module = _HOMES.get(name, "core.errors")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
