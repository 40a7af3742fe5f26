"""The presigned dataset upload over real HTTP: the emulator on loopback (`http://127.0.0.1:<port>`), its
storage another host on the same port (`http://localhost:<port>`), so what reaches storage is what the
SDK sends to a host that is not FastGPT's; then `create/fileId` makes the collection."""

from __future__ import annotations

from pathlib import Path

import pytest
from http_support import assert_storage_saw_no_credentials, run, served_client, small_upload

from fastgpt_oapi.api.dataset.model import (
    CreateDatasetRequest,
    CreateFileIdCollectionRequest,
    GetCollectionRequest,
    UploadDatasetFileRequest,
)

pytestmark = pytest.mark.system  # loopback servers


@pytest.mark.parametrize("multipart", [False, True], ids=["single", "multipart"])
async def test_over_http_the_key_never_reaches_the_storage_host(
    io_mode: str, multipart: bool, tmp_path: Path
) -> None:
    fake, path, data = small_upload(tmp_path, multipart=multipart)
    with fake.serve() as base_url:
        port = base_url.rsplit(":", 1)[1]
        client = served_client(base_url, fake.api_key)
        try:
            dataset_id = client.dataset.create_dataset(CreateDatasetRequest(name="Scans")).id
            request = UploadDatasetFileRequest(dataset_id=dataset_id, file=path)
            uploaded = await run(
                io_mode,
                lambda: client.dataset.upload_dataset_file(request),
                lambda: client.dataset.aupload_dataset_file(request),
            )
            created = client.dataset.create_file_id_collection(
                CreateFileIdCollectionRequest(dataset_id=dataset_id, file_id=uploaded.file_id)
            )
            detail = client.dataset.get_collection(GetCollectionRequest(id=created.collection_id))
        finally:
            await client.aclose()
        requests = list(fake.storage.requests)

    assert_storage_saw_no_credentials(requests, port, multipart=multipart)
    assert fake.storage.objects[uploaded.key].data == data
    assert (detail.name, detail.file_id) == ("scan.pdf", uploaded.key)
