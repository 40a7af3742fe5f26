"""The dataset (knowledge base) area: datasets, collections, data, files and the search test, under
`/api/core/dataset/`, answered as FastGPT 4.16 - 4.18 answer an API key.

One module per kind of path, named after it: `datasets.py` (`create`, `list`, `listV2`, `detail`,
`delete`, `searchTest`), `collections.py` (`collection/*`), `collection_create.py`
(`collection/create*`), `data.py` (`data/*`), `files.py` (`file/*`). What they share: `lookups.py`
(finding what a request names, shared request parts), `documents.py` (the JSON they answer with),
`table.py` (`route()`). The store, the splitter and the scorer are in `testing/datasets.py`.

The API key owns everything here (FastGPT's `authDataset` gives the key owner the owner's
permission), so the `unAuth*` errors never arise; missing things are refused as FastGPT refuses them:
registered errors (`unExistDataset` 501002, `unExistCollection` 501003, ...) with HTTP 500, a
malformed id where the schema takes any string with Mongoose's cast error, and schema failures with
the 400 `Data validation error` envelope and its `zodError` issues.
"""

from __future__ import annotations

from . import collection_create, collections, data, datasets, files

__all__ = ["ROUTES"]

ROUTES = (*datasets.ROUTES, *collections.ROUTES, *collection_create.ROUTES, *data.ROUTES, *files.ROUTES)
