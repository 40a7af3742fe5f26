"""What the dataset area's handlers share: finding what a request names (refused as FastGPT's
`authDataset`, `authDatasetCollection` and `authDatasetData` refuse it), the version played, the
request parts several paths take (types, chunk settings, tags), and a link's page.
"""

from __future__ import annotations

from typing import Any, TypeVar

from ...datasets import Collection, Dataset, placeholder_page
from ...ids import is_object_id
from ...state import State
from ...wire import Params, SchemaRefusal, cast_error, dataset_error
from .. import schema as z
from ..route import parse_version
from ..schema import Spec

__all__ = [
    "BY_OBJECT_ID",
    "CHUNK_SETTINGS",
    "CREATE_BASE",
    "DATASET_TYPES",
    "TAG_INPUT",
    "TRAINING_TYPES",
    "find_collection",
    "find_dataset",
    "page_title",
    "parent_of",
    "read_link",
    "since",
    "tags_in",
]

T = TypeVar("T")

DATASET_TYPES = (
    "folder",
    "dataset",
    "websiteDataset",
    "externalFile",
    "apiDataset",
    "feishu",
    "yuque",
    "dingtalk",
)
TRAINING_TYPES = ("chunk", "qa", "imageParse", "backup", "template", "auto")
BY_OBJECT_ID: Spec = {"id": ("required", z.object_id)}


def since(state: State, version: str) -> bool:
    """The emulated FastGPT is `version` or newer."""
    return state.version >= parse_version(version)


# A collection tag as the create and update schemas take it: a name, or (4.17.1, `CollectionTagsInputSchema`
# in collection/createApi.ts at 04b3226b) `{tag, value}`; the handler refuses objects before 4.17.1.
TAG_INPUT = z.typed(
    "string | {tag, value}",
    lambda v: (
        isinstance(v, str)
        or (
            isinstance(v, dict)
            and isinstance(v.get("tag"), str)
            and (isinstance(v.get("value"), str) or z.is_number(v.get("value")))
        )
    ),
)


def tags_in(state: State, dataset_id: str, tags: Any) -> list[str | dict[str, Any]] | None:
    """Tags as stored: names as they are, typed ones as `{tagId, value}` (the tag found or made by
    name). Before 4.17.1 only names: an object is the old schema's refusal."""
    if tags is None:
        return None
    typed = [i for i, tag in enumerate(tags) if not isinstance(tag, str)]
    if typed and not since(state, "4.17.1"):
        raise SchemaRefusal([z.issue(["tags", typed[0]], "Invalid input: expected string, received object")])
    return [
        tag
        if isinstance(tag, str)
        else {"tagId": state.datasets.tag_id(dataset_id, tag["tag"]), "value": tag["value"]}
        for tag in tags
    ]


# `ChunkSettingsSchema` (packages/global/core/dataset/type.ts)
CHUNK_SETTINGS: Spec = {
    "trainingType": ("optional", z.one_of(*TRAINING_TYPES)),
    "chunkTriggerType": ("optional", z.one_of("minSize", "forceChunk", "maxSize")),
    "chunkTriggerMinSize": ("optional", z.number),
    "dataEnhanceCollectionName": ("optional", z.boolean),
    "imageIndex": ("optional", z.boolean),
    "autoIndexes": ("optional", z.boolean),
    "indexPrefixTitle": ("optional", z.boolean),
    "chunkSettingMode": ("optional", z.one_of("auto", "custom")),
    "chunkSplitMode": ("optional", z.one_of("paragraph", "size", "char")),
    "paragraphChunkAIMode": ("optional", z.one_of("auto", "force", "forbid")),
    "paragraphChunkDeep": ("optional", z.number),
    "paragraphChunkMinSize": ("optional", z.number),
    "chunkSize": ("optional", z.number),
    "chunkSplitter": ("optional", z.string),
    "indexSize": ("optional", z.number),
    "qaPrompt": ("optional", z.string),
}


# `ApiCreateCollectionBaseSchema` (collection/createApi.ts)
CREATE_BASE: Spec = {
    **CHUNK_SETTINGS,
    "parentId": ("nullish", z.parent_id),
    "metadata": ("optional", z.record),
    "customPdfParse": ("optional", z.boolean),
    "datasetId": ("required", z.string),
    "tags": ("optional", z.array(TAG_INPUT)),
}


def _find(table: dict[str, T], value: Any, missing: str, model: str) -> T:
    """No id or an unknown one is the registered `missing` error; a malformed one Mongoose's cast error."""
    if not value:
        raise dataset_error(missing)
    if not is_object_id(value):
        raise cast_error(str(value), model)
    found = table.get(value.lower())
    if found is None:
        raise dataset_error(missing)
    return found


def find_dataset(state: State, dataset_id: Any) -> Dataset:
    """`authDataset`."""
    return _find(state.datasets.datasets, dataset_id, "unExistDataset", "datasets")


def find_collection(state: State, collection_id: Any) -> Collection:
    """`authDatasetCollection`."""
    return _find(state.datasets.collections, collection_id, "unExistCollection", "dataset_collections")


def parent_of(params: Params) -> str | None:
    value = params.get("parentId")
    return value.lower() if isinstance(value, str) and value else None


def page_title(text: str) -> str | None:
    first = text.lstrip().split("\n", 1)[0]
    return first[2:].strip() or None if first.startswith("# ") else None


def read_link(state: State, link: str) -> str:
    """A link's page: `web_pages[link]`, or the placeholder text (the emulator never fetches)."""
    pages = state.datasets.web_pages
    return pages[link] if link in pages else placeholder_page(link)
