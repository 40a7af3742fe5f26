"""Test FastGPT apps offline: `FakeFastGPT`, an in-memory FastGPT that speaks the real wire format.

```python
fake = FakeFastGPT()
with fake.client() as client:             # in-process httpx transports
    ...
with fake.serve() as base_url:            # or real HTTP on 127.0.0.1
    ...
```
"""

from __future__ import annotations

from .apps import App, Language, RunContext, Turn, WorkflowTool, answer_chunk, node
from .fake import FakeFastGPT, FakeResponse, RecordedRequest
from .storage import FakeStorage, StorageRequest, StoredObject

__all__ = [
    "App",
    "FakeFastGPT",
    "FakeResponse",
    "FakeStorage",
    "Language",
    "RecordedRequest",
    "RunContext",
    "StorageRequest",
    "StoredObject",
    "Turn",
    "WorkflowTool",
    "answer_chunk",
    "node",
]
