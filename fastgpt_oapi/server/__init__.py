"""Servers that FastGPT calls, and checks that a server answers FastGPT as it expects.

- `fastgpt_oapi.server.api_dataset`: the API file library ("API 文件库"): `api_dataset_app`,
  `FileLibrary`, `FolderLibrary`, `ApiFile`, `FileContent`;
- `fastgpt_oapi.server.share_auth`: the share-link identity hook: `share_auth_app`, `ShareAuthRefused`,
  `FinishReport`;
- here: `check_api_dataset` / `acheck_api_dataset` and `check_share_auth` / `acheck_share_auth`, which
  check any such server, in any language, and return a `CheckReport`.

The kits are pure ASGI and need nothing beyond the SDK's own dependencies.
"""

from __future__ import annotations

from ._asgi import ASGIApp
from ._check import (
    API_DATASET_TIMEOUT,
    SHARE_AUTH_TIMEOUT,
    CheckedRequest,
    CheckReport,
    Problem,
    acheck_api_dataset,
    acheck_share_auth,
    check_api_dataset,
    check_share_auth,
)

__all__ = [
    "API_DATASET_TIMEOUT",
    "SHARE_AUTH_TIMEOUT",
    "ASGIApp",
    "CheckReport",
    "CheckedRequest",
    "Problem",
    "acheck_api_dataset",
    "acheck_share_auth",
    "check_api_dataset",
    "check_share_auth",
]
