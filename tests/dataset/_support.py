"""Shared by the dataset tests: the multipart upload through the sync or the async shell."""

from __future__ import annotations

from fastgpt_oapi import Client, RequestOption
from fastgpt_oapi.api.dataset.model import CreateCollectionWithResultResponse, CreateFileCollectionRequest


async def upload(
    client: Client, mode: str, request: CreateFileCollectionRequest, option: RequestOption | None = None
) -> CreateCollectionWithResultResponse:
    """`create_file_collection` or `acreate_file_collection`, as `mode` says."""
    if mode == "sync":
        return client.dataset.create_file_collection(request, option)
    return await client.dataset.acreate_file_collection(request, option)
