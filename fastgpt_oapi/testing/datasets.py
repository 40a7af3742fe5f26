"""The emulator's knowledge bases: datasets, collections and data in memory, FastGPT's rules for them,
a text splitter, a lexical scorer and the search built on it.

Sources (FastGPT 4.16.0-beta1, commit f88b51b5c1e4987a2b917358339db1aa02bbc292):
item types `packages/global/core/dataset/type.ts`, constants `packages/global/core/dataset/constants.ts`,
chunk settings `packages/global/core/dataset/training/utils.ts` (`computedCollectionChunkSettings`),
splitting `packages/service/core/dataset/read.ts` (`rawText2Chunks`) and
`packages/service/common/string/textSplitter.ts`, training status
`packages/service/core/dataset/training/query.ts`, search
`packages/service/core/dataset/search/defaultRecall/*`.

Nothing here writes the wire: `routes/dataset/` turns these records into FastGPT's JSON. What the
emulator simplifies (no model, no overlap, characters instead of tokens) is said where it is done
and summed up in docs/testing.md.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import itertools
import math
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .ids import object_id

__all__ = [
    "DEFAULT_LLM_MODEL",
    "DEFAULT_VECTOR_MODEL",
    "READABLE_EXTENSIONS",
    "UPLOAD_EXTENSIONS",
    "Collection",
    "Data",
    "Dataset",
    "DatasetStore",
    "Hit",
    "ParseFailure",
    "chunk_settings",
    "count_tokens",
    "csv_to_markdown_table",
    "decode_text",
    "iter_chunks",
    "placeholder_page",
    "read_upload",
    "score",
    "split_text",
    "terms",
    "text_hash",
    "trainable",
]

DEFAULT_VECTOR_MODEL = "text-embedding-3-small"
DEFAULT_LLM_MODEL = "gpt-4o-mini"

# FastGPT's `documentFileType` (packages/global/common/file/constants.ts): what localFile accepts.
UPLOAD_EXTENSIONS = frozenset({"txt", "docx", "csv", "xlsx", "pdf", "md", "html", "pptx"})
# What the emulator can read; the rest are accepted, and their parse step fails.
READABLE_EXTENSIONS = frozenset({"txt", "md", "csv", "html"})

# The emulator's agent model: maxContext 128k, maxResponse 16k, as gpt-4o-mini in FastGPT's config.
_MAX_CONTEXT = 128_000
_LLM_MAX_CHUNK = max(_MAX_CONTEXT, 4000)  # getLLMMaxChunkSize
_LLM_DEFAULT_CHUNK = max(min(_MAX_CONTEXT - 16_000, 8000), 2000)  # getLLMDefaultChunkSize: QA
_AUTO_CHUNK_SIZE = 1000  # chunkAutoChunkSize
_AUTO_INDEX_SIZE = 512  # the embedding model's defaultToken
_MAX_INDEX_SIZE = 3000  # the embedding model's maxToken (text-embedding-3-small in FastGPT's config)

# Training modes, earliest stage first (`trainingModeRankMap`): a collection's slowest stage.
_MODE_RANK = {"parse": 0, "imageParse": 1, "qa": 2, "image": 3, "auto": 4, "chunk": 5}


# ---- records -------------------------------------------------------------------------------------


@dataclass
class Dataset:
    id: str
    parent_id: str | None
    name: str
    intro: str
    avatar: str
    type: str
    vector_model: str
    agent_model: str
    vlm_model: str | None
    api_server: dict[str, Any] | None
    updated: float
    seq: int
    created: float = 0.0  # listV2's createTime


@dataclass
class Collection:
    id: str
    dataset_id: str
    parent_id: str | None
    name: str
    type: str  # folder, virtual, file, link, apiFile, ...
    created: float
    updated: float
    seq: int
    # String tags as labels (FastGPT stores tag ids and answers labels); typed tags (4.17.1+) as
    # FastGPT stores them, `{"tagId", "value"}`.
    tags: list[str | dict[str, Any]] | None = None
    forbid: bool | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # chunk settings as stored, wire names
    file_id: str | None = None
    file_size: int | None = None
    raw_link: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    raw_text_length: int | None = None
    hash_raw_text: str | None = None
    # A source collection (text, file, link) is read and split by a "parse" training task first.
    parse_until: float | None = None
    parse_error: str | None = None
    inherit_permission: bool | None = None
    api_file_id: str | None = None
    # FastGPT >= 4.17.2 keeps precomputed counters, updated asynchronously: the last snapshot (wire
    # names), and whether it is to be recomputed after it is next read.
    stats: dict[str, Any] | None = None
    stats_stale: bool = True

    @property
    def mode(self) -> str:
        """The training mode of the data pushed into it (`getTrainingModeByCollection`, open source:
        no image or auto modes)."""
        return "qa" if self.settings.get("trainingType") == "qa" else "chunk"

    @property
    def source_id(self) -> str | None:
        return self.file_id or self.raw_link  # getCollectionSourceData


@dataclass(slots=True)
class Data:
    id: str
    dataset_id: str
    collection_id: str
    q: str
    a: str  # "" when none, as FastGPT's training items default it
    chunk_index: int
    mode: str  # the training mode it went through
    ready_at: float  # it exists, for every read, from this time on (the end of its training)
    updated: float
    seq: int
    metadata: dict[str, Any] | None = None
    image_id: str | None = None
    history: Sequence[dict[str, Any]] = ()
    # {type, dataId, text}, as FastGPT stores them; None: the default ones only, made when first read
    # (`indexes`), so a large import holds no index until one is asked for.
    stored_indexes: list[dict[str, Any]] | None = None
    # Per searchable text, for the scorer: made by the first search that reads the chunk (`_terms_of`),
    # so a large import costs no memory for them until it is searched.
    terms: list[frozenset[str]] | None = None

    @property
    def indexes(self) -> list[dict[str, Any]]:
        """The chunk's indexes: a `default` one for q (and one for a, if any), then the caller's."""
        if self.stored_indexes is None:
            defaults = [self.q] + ([self.a] if self.a else [])
            self.stored_indexes = [{"type": "default", "dataId": object_id(), "text": t} for t in defaults]
        return self.stored_indexes

    @indexes.setter
    def indexes(self, value: list[dict[str, Any]]) -> None:
        self.stored_indexes = value

    def index_count(self) -> int:
        """`len(self.indexes)`, without making the default indexes."""
        return len(self.stored_indexes) if self.stored_indexes is not None else 1 + (1 if self.a else 0)


@dataclass(frozen=True)
class Hit:
    """One search result: the chunk, its score in [0, 1], and its place in the ranking."""

    data: Data
    collection: Collection
    score: float
    rank: int


# ---- the store -----------------------------------------------------------------------------------


class DatasetStore:
    """Every dataset, collection and data item of one emulator, and the rules that bind them.

    Training: what is created or pushed exists from `clock() + training_delay` on; until then it
    shows only in its collection's training counters (`training_status`). A source collection's text
    is "parsed" during the same delay, as one `parse` task, and its chunks appear when it ends.
    """

    def __init__(self, clock: Callable[[], float] = time.time, training_delay: float = 0.0) -> None:
        self.clock = clock
        self.training_delay = training_delay
        # Typed tags (FastGPT >= 4.17.1), per dataset: tag name -> tag id, created when first used.
        self.tag_ids: dict[tuple[str, str], str] = {}
        self.datasets: dict[str, Dataset] = {}
        self._collections: dict[str, Collection] = {}
        self._data: dict[str, Data] = {}
        # What a link collection reads: url -> page text. Links not here read as `placeholder_page`.
        self.web_pages: dict[str, str] = {}
        self._by_collection: dict[str, list[Data]] = {}  # a list: 8 bytes a chunk
        # Source texts whose parse task has not run yet: collection id -> (collection, text, when the
        # parse ends, when its chunks are trained). `_settle` runs the tasks that are due.
        self._pending: dict[str, tuple[Collection, str, float, float]] = {}
        self._seq = itertools.count()

    @property
    def collections(self) -> dict[str, Collection]:
        """Every collection by id, with what the parse tasks that have ended wrote on them (the
        text's length and hash)."""
        self._settle()
        return self._collections

    @property
    def data(self) -> dict[str, Data]:
        """Every chunk by id, those of parse tasks that have ended included."""
        self._settle()
        return self._data

    def next_seq(self) -> int:
        return next(self._seq)

    # -- datasets --

    def add_dataset(self, **fields: Any) -> Dataset:
        now = self.clock()
        fields.setdefault("created", now)
        dataset = Dataset(id=object_id(), updated=now, seq=self.next_seq(), **fields)
        self.datasets[dataset.id] = dataset
        return dataset

    def dataset_tree(self, dataset_id: str) -> list[str]:
        """The dataset and its descendants (`findDatasetAndAllChildren`)."""
        return _tree(dataset_id, self.datasets)

    def delete_dataset(self, dataset_id: str) -> None:
        """Delete a dataset with its child datasets, their collections and data."""
        doomed = set(self.dataset_tree(dataset_id))
        self._drop_collections([c.id for c in self.collections.values() if c.dataset_id in doomed])
        for key in doomed:
            del self.datasets[key]

    # -- collections --

    def add_collection(self, **fields: Any) -> Collection:
        now = self.clock()
        fields.setdefault("created", now)
        fields.setdefault("updated", now)
        collection = Collection(id=object_id(), seq=self.next_seq(), **fields)
        self._collections[collection.id] = collection
        self._by_collection[collection.id] = []
        return collection

    def collection_tree(self, collection_id: str) -> list[str]:
        """The collection and its descendants (`findCollectionAndChild`)."""
        return _tree(collection_id, self._collections)

    def delete_collections(self, collection_ids: Iterable[str]) -> None:
        """Delete collections with their child collections and all their data."""
        doomed: list[str] = []
        for collection_id in collection_ids:
            doomed += [c for c in self.collection_tree(collection_id) if c not in doomed]
        self._drop_collections(doomed)

    def _drop_collections(self, collection_ids: list[str]) -> None:
        for collection_id in collection_ids:
            self._pending.pop(collection_id, None)
            for data in self._by_collection.pop(collection_id, []):
                del self._data[data.id]
            del self._collections[collection_id]

    def import_text(self, collection: Collection, text: str) -> None:
        """Queue the parse task of a source collection, as FastGPT's create handlers do
        (`pushDatasetToParseQueue`): nothing is split here, so the create call answers at once,
        whatever the size. When the task ends (the collection's `parse_until`, else now) the text is
        split by the collection's settings (`rawText2Chunks`), its chunks pushed as the parse queue
        pushes them (`trainable`), trained by the time the parse ends (or after the training delay
        when no parse time is set); the collection then remembers the text's length and hash
        (`datasetParseQueue`, step 5, `projects/app/src/service/core/dataset/queues/datasetParse.ts`
        @ 01ff56b4)."""
        now = self.clock()
        due = collection.parse_until if collection.parse_until is not None else now
        ready = collection.parse_until if collection.parse_until is not None else now + self.training_delay
        self._pending[collection.id] = (collection, text, due, ready)

    def _settle(self) -> None:
        """Run the parse tasks that are due (reads call it first, so they see what FastGPT would)."""
        if not self._pending:
            return
        now = self.clock()
        for collection_id in [key for key, task in self._pending.items() if now >= task[2]]:
            task = self._pending.pop(collection_id, None)
            if task is None:
                continue  # run by another reader meanwhile
            collection, text, _, ready = task
            del task  # the text is then held here only, and `_release_chunks` lets go of it
            collection.raw_text_length = len(text)
            collection.hash_raw_text = text_hash(text)
            mode = collection.mode
            batch = self.next_seq()  # one for the task's chunks: their chunkIndex orders them
            chunks = _release_chunks([text], collection.settings)
            del text
            for index, chunk in enumerate(chunks):
                if trainable(chunk, "", None, mode):
                    self.add_data(collection, q=chunk, a="", chunk_index=index, ready_at=ready, seq=batch)

    # -- data --

    def tag_id(self, dataset_id: str, name: str) -> str:
        """The id of the dataset's typed tag `name`, made when new (FastGPT resolves tags by name)."""
        return self.tag_ids.setdefault((dataset_id, name), object_id())

    def tag_label(self, dataset_id: str, tag_id: str) -> str | None:
        return next((n for (d, n), i in self.tag_ids.items() if d == dataset_id and i == tag_id), None)

    def add_data(
        self,
        collection: Collection,
        *,
        q: str,
        a: str,
        chunk_index: int,
        ready_at: float,
        custom_indexes: Iterable[tuple[str, str]] = (),
        metadata: dict[str, Any] | None = None,
        seq: int | None = None,
    ) -> Data:
        data = Data(
            id=object_id(),
            dataset_id=collection.dataset_id,
            collection_id=collection.id,
            q=q,
            a=a,
            chunk_index=chunk_index,
            mode=collection.mode,
            ready_at=ready_at,
            updated=ready_at,
            seq=self.next_seq() if seq is None else seq,
            metadata=metadata,
        )
        self.set_content(data, q, a, custom_indexes)
        self._data[data.id] = data
        self._by_collection[collection.id].append(data)
        return data

    def set_content(self, data: Data, q: str, a: str, custom_indexes: Iterable[tuple[str, str]]) -> None:
        """Write q / a and rebuild the indexes: a `default` index for q (and one for a, if any), then
        the caller's `(type, text)` ones (FastGPT embeds each index; the emulator scores each, see
        `search`)."""
        data.q, data.a = q, a
        customs = [(kind, text) for kind, text in custom_indexes if text]
        data.stored_indexes = None  # the default ones, made when first read
        if customs:
            data.indexes += [{"type": k, "dataId": object_id(), "text": t} for k, t in customs]
        data.terms = None  # made again by the next search that reads it

    def delete_data(self, data: Data) -> None:
        del self._data[data.id]
        self._by_collection[data.collection_id].remove(data)

    def is_ready(self, data: Data) -> bool:
        return self.clock() >= data.ready_at

    def rows(self, collection_id: str) -> Iterable[Data]:
        """The collection's data, trained or not (FastGPT >= 4.17.2 writes rows before indexing)."""
        self._settle()
        return self._by_collection.get(collection_id, [])

    def trained(self, collection_id: str) -> list[Data]:
        """The collection's data that finished training: what every read sees."""
        self._settle()
        now = self.clock()
        return [d for d in self._by_collection.get(collection_id, []) if now >= d.ready_at]

    def find_data(self, data_id: str) -> Data | None:
        data = self.data.get(data_id)  # settles first
        return data if data is not None and self.is_ready(data) else None

    # -- training --

    def tasks(self, collection: Collection) -> list[tuple[str, int]]:
        """The collection's training tasks still to run, as (mode, queue order): its source's parse
        while it is read (a failing one fails at the end), else each chunk not yet trained."""
        self._settle()
        now = self.clock()
        if collection.parse_until is not None and now < collection.parse_until:
            return [("parse", collection.seq)]
        if collection.parse_error is not None:
            return []
        return [(d.mode, d.seq) for d in self._by_collection.get(collection.id, []) if now < d.ready_at]

    def parse_failed(self, collection: Collection) -> bool:
        """Its source could not be read, once the parse task has ended."""
        return collection.parse_error is not None and not self.tasks(collection)

    def queued_ahead(self, collection: Collection) -> list[str]:
        """The modes of every other collection's tasks queued before this collection's first one
        (none when it has none), as `trainingDetail`'s global queue counts them."""
        first = min((seq for _, seq in self.tasks(collection)), default=None)
        if first is None:
            return []
        others = (c for c in self._collections.values() if c.id != collection.id)
        return [mode for other in others for mode, seq in self.tasks(other) if seq < first]

    def training_status(self, collection: Collection) -> dict[str, Any]:
        """The collection's remaining training, as FastGPT's collection detail and listV2 count it:
        `trainingAmount`, `activeTrainingAmount`, `finalErrorAmount`, `hasError`,
        `slowestTrainingMode` (omitted when nothing is left) and `slowestTrainingStatus`."""
        counts: dict[str, list[int]] = {}  # mode -> [active, final error]
        for mode, _ in self.tasks(collection):
            counts.setdefault(mode, [0, 0])[0] += 1
        if self.parse_failed(collection):
            counts["parse"] = [0, 1]
        active = sum(c[0] for c in counts.values())
        errors = sum(c[1] for c in counts.values())
        status: dict[str, Any] = {
            "trainingAmount": active + errors,
            "activeTrainingAmount": active,
            "finalErrorAmount": errors,
            "hasError": errors > 0,
        }
        if counts:
            slowest = min(counts, key=lambda mode: _MODE_RANK.get(mode, 999))
            status["slowestTrainingMode"] = slowest
            status["slowestTrainingStatus"] = "running" if counts[slowest][0] > 0 else "error"
        else:
            status["slowestTrainingStatus"] = "ready"
        return status

    # -- search --

    def search(
        self,
        dataset_ids: Iterable[str],
        text: str,
        *,
        limit: int = 5000,
        similarity: float = 0.0,
        filter_by_similarity: bool = True,
        max_candidates: int = 100,
    ) -> list[Hit]:
        """The trained chunks of the datasets' enabled collections that share terms with `text`, best
        first (ties: the older chunk first), at most `max_candidates` (FastGPT recalls 100), those
        under `similarity` left out when `filter_by_similarity`, then cut to the `limit` token
        budget the way `filterDatasetDataByMaxTokens` cuts: chunks are taken while the running total
        stays within it, the one that crosses it included, and never fewer than one.
        """
        query = terms(text)
        wanted = set(dataset_ids)
        scored: list[tuple[float, int, Data, Collection]] = []
        for collection in self.collections.values():
            if collection.dataset_id not in wanted or collection.forbid:
                continue
            for data in self.trained(collection.id):
                value = max((score(query, t) for t in _terms_of(data)), default=0.0)
                if value > 0:
                    scored.append((value, data.seq, data, collection))
        scored.sort(key=lambda item: (-item[0], item[1]))
        scored = scored[:max_candidates]
        if filter_by_similarity:
            scored = [item for item in scored if item[0] >= similarity]
        hits: list[Hit] = []
        total = 0
        for value, _, data, collection in scored:
            hits.append(Hit(data, collection, value, len(hits)))
            total += count_tokens(data.q + data.a)
            if total > limit:
                break
        return hits


def _terms_of(data: Data) -> list[frozenset[str]]:
    """The chunk's searchable texts as term sets: q (with a), then each index but the default ones
    (`set_content`), made once and kept until the chunk changes."""
    if data.terms is None:
        text = data.q + ("\n" + data.a if data.a else "")
        customs = [i["text"] for i in data.stored_indexes or () if i["type"] != "default"]
        data.terms = [terms(text), *(terms(custom) for custom in customs)]
    return data.terms


def trainable(q: str, a: str, image_id: str | None, mode: str) -> bool:
    """Whether `pushDataListToTrainingQueue` keeps an item (`packages/service/core/dataset/training/
    controller.ts` @ 0352c5d0): one with neither `q` nor `imageId` is dropped, and in the `qa` and
    `auto` modes one whose `q + a` is longer than the agent model's `getLLMMaxChunkSize` (128,000
    characters here); `chunk` mode has no length limit. Nothing is trimmed and nothing is
    deduplicated: a whitespace-only `q` and a repeated item are queued like any other."""
    if not q and not image_id:
        return False
    return not (mode in ("qa", "auto") and len(q) + len(a) > _LLM_MAX_CHUNK)


def _tree(root_id: str, nodes: Mapping[str, Dataset | Collection]) -> list[str]:
    """`root_id` and the ids of its descendants among `nodes`, by `parent_id`, parents first."""
    found = [root_id]
    for current in found:
        found += [node.id for node in nodes.values() if node.parent_id == current]
    return found


def text_hash(text: str) -> str:
    """What a collection keeps of its source text to tell a changed source (`hashRawText`)."""
    return hashlib.sha256(text.encode()).hexdigest()


# ---- chunk settings ------------------------------------------------------------------------------

_CHUNK_SETTING_KEYS = (
    "trainingType",
    "chunkTriggerType",
    "chunkTriggerMinSize",
    "dataEnhanceCollectionName",
    "imageIndex",
    "autoIndexes",
    "indexPrefixTitle",
    "chunkSettingMode",
    "chunkSplitMode",
    "paragraphChunkAIMode",
    "paragraphChunkDeep",
    "paragraphChunkMinSize",
    "chunkSize",
    "chunkSplitter",
    "indexSize",
    "qaPrompt",
)


def chunk_settings(body: dict[str, Any]) -> dict[str, Any]:
    """The chunk settings a source collection stores, from the request's (`ChunkSettingsSchema`), as
    `createCollectionAndInsertData` and `computedCollectionChunkSettings` compute them: `auto` mode
    (the default) fixes paragraph splitting, 5 heading levels and chunks of 1000 (8000 for QA);
    `custom` keeps the request's size, splitter and depth (0 unless `chunkSplitMode` is `paragraph`).
    """
    settings = {k: body[k] for k in _CHUNK_SETTING_KEYS if body.get(k) is not None}
    training_type = settings.get("trainingType", "chunk")
    if training_type == "auto":  # "Adapter 4.9.0"
        training_type, settings["autoIndexes"] = "chunk", True
    settings["trainingType"] = training_type
    qa = training_type == "qa"
    if settings.get("chunkSettingMode", "auto") == "auto":
        settings.update(
            chunkSplitMode="paragraph",
            paragraphChunkAIMode="forbid",
            paragraphChunkDeep=5,
            paragraphChunkMinSize=100,
            chunkSize=_LLM_DEFAULT_CHUNK if qa else _AUTO_CHUNK_SIZE,
            indexSize=_MAX_INDEX_SIZE if qa else _AUTO_INDEX_SIZE,
        )
        settings.pop("chunkSplitter", None)
    else:
        mode = settings.get("chunkSplitMode")
        settings["paragraphChunkDeep"] = settings.get("paragraphChunkDeep", 5) if mode == "paragraph" else 0
        if settings.get("chunkSize"):
            settings["chunkSize"] = min(settings["chunkSize"], _LLM_MAX_CHUNK)
        else:
            settings.pop("chunkSize", None)
        if qa:
            settings["indexSize"] = _MAX_INDEX_SIZE
    if not qa:
        settings.pop("qaPrompt", None)
    if training_type in ("qa", "backup", "template"):
        for key in ("chunkTriggerType", "chunkTriggerMinSize", "dataEnhanceCollectionName"):
            settings.pop(key, None)
        settings.pop("imageIndex", None)
        settings.pop("autoIndexes", None)
    return settings


# ---- the splitter --------------------------------------------------------------------------------
#
# A faithful simplification of FastGPT's `rawText2Chunks` + `splitText2Chunks`:
# - the trigger: with `chunkTriggerType` "minSize" (the default) a text shorter than
#   `chunkTriggerMinSize` (default 1000) characters is one chunk; "maxSize": shorter than 70% of the
#   agent model's context; "forceChunk": always split.
# - a Markdown table is split by rows, each chunk repeating the header and separator rows.
# - a `chunkSplitter` ("\n" written as `\n`, alternatives with `|`) cuts the text at each separator,
#   and each piece is a chunk, whatever its size (FastGPT splits pieces over 128k further).
# - otherwise Markdown headings up to `paragraphChunkDeep` levels open sections (never merged); each
#   section's chunks start with its heading lines (parents first), and its body is packed greedily
#   into chunks of at most `chunkSize` characters: whole paragraphs, else lines, else sentences,
#   else a hard cut.
# Lengths are characters; there is no overlap between chunks, no LLM paragraph mode, and code blocks
# get no special treatment. Chunks are stripped of surrounding whitespace; empty ones are dropped.

_HEADING = re.compile(r"^(#{1,8})\s+\S")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TABLE_SEPARATOR = re.compile(r"^(\|[\s:]*-+[\s:]*)+\|$")
_LEVELS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\n[ \t]*\n\s*"), "\n\n"),  # paragraphs
    (re.compile(r"\n"), "\n"),  # lines
    (re.compile(r"(?<=[。！？；])|(?<=[.!?;]\s)"), ""),  # sentences, the space kept with the first
)


def split_text(text: str, settings: dict[str, Any]) -> list[str]:
    """`text` as chunks, by a collection's stored chunk settings (see the rules above)."""
    return list(iter_chunks(text, settings))


def iter_chunks(text: str, settings: dict[str, Any]) -> Iterator[str]:
    """`split_text`, a chunk at a time: a Markdown text is read a section at a time, so splitting a
    large text holds little beside the text and the chunks made."""
    plan = _plan(text, settings)
    chunks = _markdown_chunks(_lines(text), *plan) if isinstance(plan, tuple) else plan
    for chunk in chunks:
        stripped = chunk.strip()
        if stripped:
            yield stripped


def _plan(text: str, settings: dict[str, Any]) -> Iterable[str] | tuple[int, int]:
    """How `iter_chunks` splits `text`: its pieces (to be stripped, the empty ones dropped), or
    `(chunk size, heading depth)` when it is split by its Markdown sections."""
    length = _stripped_length(text)
    if not length:
        return []
    trigger = settings.get("chunkTriggerType", "minSize")
    if trigger == "maxSize" and length < _LLM_MAX_CHUNK * 0.7:
        return [text]
    if trigger != "forceChunk" and length < int(settings.get("chunkTriggerMinSize", 1000)):
        return [text]
    size = max(int(settings.get("chunkSize") or 512), 1)
    if _is_markdown_table(text):
        return _table_chunks(text, size)
    if settings.get("chunkSplitter"):
        separators = [s for s in str(settings["chunkSplitter"]).replace("\\n", "\n").split("|") if s]
        pattern = "|".join(re.escape(s) for s in separators)
        return re.split(pattern, text) if pattern else [text]
    return size, int(settings.get("paragraphChunkDeep", 5))


# What `_release_chunks` cuts a large text into: pieces of about this many characters.
_PIECE = 1 << 20


def _release_chunks(box: list[str], settings: dict[str, Any]) -> Iterator[str]:
    """`iter_chunks(box[0], settings)`, taking the text out of `box` and letting go of it as it is
    read. A large text split by its Markdown sections (the usual case) is cut at line ends into
    pieces of about `_PIECE` characters, each dropped once its lines are read: a large import never
    holds its whole text and all its chunks at once."""
    text = box.pop()
    plan = _plan(text, settings)
    if not isinstance(plan, tuple):
        chunks: Iterable[str] = plan
    elif len(text) <= _PIECE:
        chunks = _markdown_chunks(_lines(text), *plan)
    else:
        pieces: list[str] = []
        start = 0
        while start < len(text):
            end = text.find("\n", start + _PIECE)
            end = len(text) if end < 0 else end + 1  # after the newline: "\r\n" is never cut
            pieces.append(text[start:end])
            start = end
        pieces.reverse()
        chunks = _markdown_chunks(_piece_lines(pieces), *plan)
    del text
    for chunk in chunks:
        stripped = chunk.strip()
        if stripped:
            yield stripped


def _piece_lines(pieces: list[str]) -> Iterator[str]:
    """The lines of the text `pieces` (last first, each ending at a line end) make, as `_lines`
    gives them, each piece dropped once read."""
    while pieces:
        yield from _lines(pieces.pop())


def _stripped_length(text: str) -> int:
    """`len(text.strip())`, without copying the text."""
    start, end = _stripped_bounds(text)
    return end - start


def _stripped_bounds(text: str) -> tuple[int, int]:
    """Where `text.strip()` starts and ends in `text`."""
    start, end = 0, len(text)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# What `str.splitlines` splits at.
_LINE_BREAK = re.compile("\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def _lines(text: str) -> Iterator[str]:
    """`text.splitlines()`, a line at a time."""
    start = 0
    for found in _LINE_BREAK.finditer(text):
        yield text[start : found.start()]
        start = found.end()
    if start < len(text):
        yield text[start:]


def _sections(lines: Iterable[str], depth: int) -> Iterator[tuple[list[str], list[str]]]:
    """The text's sections, in order, from its lines: (heading lines, parents first; body lines)."""
    chain: list[tuple[int, str]] = []
    body: list[str] = []
    fenced = False
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading is not None and len(heading.group(1)) <= depth:
            yield [h for _, h in chain], body
            level = len(heading.group(1))
            chain = [(lv, h) for lv, h in chain if lv < level] + [(level, line.strip())]
            body = []
        else:
            body.append(line)
    yield [h for _, h in chain], body


def _markdown_chunks(lines: Iterable[str], size: int, depth: int) -> Iterator[str]:
    previous: tuple[list[str], list[str]] | None = None
    for section in _sections(lines, depth):
        if previous is not None:
            yield from _section_chunks(*previous, section[0], size)
        previous = section
    if previous is not None:
        yield from _section_chunks(*previous, [], size)


def _section_chunks(titles: list[str], lines: list[str], following: list[str], size: int) -> list[str]:
    """One section's chunks; `following` is the next section's heading lines."""
    content = "\n".join(lines).strip()
    title = "\n".join(titles)
    if not content:
        if title and following[: len(titles)] != titles:  # a heading with no text and no children
            return [title]
        return []
    room = max(size - len(title) - 1, 64) if title else size  # 64: FastGPT's minChunkSize
    return [f"{title}\n{piece}" if title else piece for piece in _pack(content, room)]


def _pack(text: str, size: int, level: int = 0) -> list[str]:
    if len(text) <= size:
        return [text]
    if level == len(_LEVELS):
        return [text[i : i + size] for i in range(0, len(text), size)]
    pattern, joiner = _LEVELS[level]
    units = [unit for unit in pattern.split(text) if unit.strip()]
    if len(units) <= 1:
        return _pack(text, size, level + 1)
    chunks: list[str] = []
    current = ""
    for unit in units:
        if len(unit) > size:
            if current:
                chunks.append(current)
                current = ""
            chunks += _pack(unit, size, level + 1)
            continue
        candidate = f"{current}{joiner}{unit}" if current else unit
        if len(candidate) <= size:
            current = candidate
        else:
            chunks.append(current)
            current = unit
    if current:
        chunks.append(current)
    return chunks


def _is_markdown_table(text: str) -> bool:
    """FastGPT's `strIsMdTable`, a line at a time: a text that is no table costs no copy of it."""
    if "|" not in text:
        return False
    lines = _stripped_lines(text)
    header, separator = next(lines).strip(), next(lines, None)
    if separator is None:
        return False
    if not (header.startswith("|") and header.endswith("|")) or not _TABLE_SEPARATOR.match(separator.strip()):
        return False
    return all(not ln.strip() or (ln.strip().startswith("|") and ln.strip().endswith("|")) for ln in lines)


def _stripped_lines(text: str) -> Iterator[str]:
    """`text.strip().split("\\n")`, a line at a time."""
    start, end = _stripped_bounds(text)
    while (found := text.find("\n", start, end)) >= 0:
        yield text[start:found]
        start = found + 1
    yield text[start:end]


def _table_chunks(text: str, size: int) -> list[str]:
    lines = [line for line in text.split("\n") if line.strip()]
    head = f"{lines[0]}\n{lines[1]}"
    chunks: list[str] = []
    rows: list[str] = []
    for row in lines[2:]:
        if rows and len(head) + sum(len(r) + 1 for r in rows) + len(row) + 1 > size:
            chunks.append("\n".join([head, *rows]))
            rows = []
        rows.append(row)
    if rows or not chunks:
        chunks.append("\n".join([head, *rows]))
    return chunks


# ---- reading uploads -----------------------------------------------------------------------------


def csv_to_markdown_table(text: str) -> str:
    """A CSV as FastGPT's file reader turns it into text for a dataset (`readCsvRawText`): a Markdown
    table, with empty rows and columns dropped and `|` and newlines escaped in cells."""
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    keep = [i for i in range(width) if any(i < len(row) and row[i].strip() for row in rows)]

    def line(row: list[str]) -> str:
        cells = [(row[i] if i < len(row) else "") for i in keep]
        escaped = [re.sub(r"\r\n|\r|\n", "\\\\n", c).replace("|", "\\|") for c in cells]
        return "| " + " | ".join(escaped) + " |"

    separator = "| " + " | ".join("---" for _ in keep) + " |"
    return "\n".join([line(rows[0]), separator, *(line(row) for row in rows[1:])])


@dataclass(frozen=True)
class ParseFailure:
    """Why a source's parse task fails: the collection ends with one failed `parse` task."""

    reason: str


# Byte order marks, longest first: FastGPT's detector (jschardet) reports these encodings for them.
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
# What a text may hold besides printable characters: tab, newlines, form feed and vertical tab.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Han ideographs, CJK punctuation, kana, Hangul and full-width forms: what GBK text is made of.
_CJK_TEXT = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def decode_text(data: bytes) -> str | None:
    """A text file's bytes as text, the encoding detected as FastGPT detects it, or None when no
    encoding gives text (the parse then fails rather than store replacement characters).

    FastGPT (`getDatasetFileRawText`, `packages/service/common/s3/sources/dataset/index.ts`
    @ 013a0dfd) asks `detectFileEncoding` (`packages/global/common/file/tools.ts` @ 1082f3fd:
    jschardet over the first 200 bytes, lower-cased) and decodes with it (`readFileRawText`,
    `packages/service/worker/readFile/extension/rawText.ts` @ 167c83c0: Node's decoder for utf-8,
    utf-16le, latin1 and the like, iconv-lite for the rest, such as gb2312, utf-16be and
    windows-1252). The emulator, with the standard library only, reads the whole file:
    1. a byte order mark names the encoding (UTF-8, UTF-16 LE or BE), and the mark is dropped (JS's
       `trim`, which the splitter applies to every chunk, drops U+FEFF too);
    2. else strict UTF-8;
    3. else GB18030 (a superset of GBK and GB2312), when it decodes cleanly and most of its
       non-ASCII characters are CJK;
    4. else Windows-1252 (what jschardet names Latin-1 text), strictly.
    Text that still holds control characters (NUL and the like: a binary file, or UTF-16 without
    a mark) is refused, as is a mark followed by bytes its encoding cannot read.
    """
    text: str | None = None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                return None
            break
    else:
        text = _decode_unmarked(data)
    if text is None or _CONTROL.search(text):
        return None
    return text


def _decode_unmarked(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        chinese = data.decode("gb18030")
    except UnicodeDecodeError:
        chinese = None
    if chinese is not None:
        wide = [ch for ch in chinese if ord(ch) > 0x7F]
        if wide and sum(1 for ch in wide if _CJK_TEXT.match(ch)) >= 0.9 * len(wide):
            return chinese
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8d, 0x8f, 0x90, 0x9d: no character in Windows-1252
        return None


def read_upload(filename: str, data: bytes) -> str | ParseFailure:
    """An uploaded file's text as the dataset reads it (its encoding detected: `decode_text`), or
    why its parse fails: a type the emulator cannot read (.docx, .pdf, .xlsx, .pptx: FastGPT parses
    them, the emulator fails their parse step), or bytes that no encoding reads as text."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in READABLE_EXTENSIONS:
        return ParseFailure("The emulator cannot read this file type")
    text = decode_text(data)
    if text is None:
        return ParseFailure("The emulator cannot detect the text encoding of this file")
    if extension == "csv":
        return csv_to_markdown_table(text)
    if extension == "html":
        text = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", text)
        text = re.sub(r"(?i)<br\s*/?>|</(p|div|h[1-6]|li|tr)>", "\n", text)
        return html.unescape(re.sub(r"<[^>]+>", "", text))
    return text


def placeholder_page(url: str) -> str:
    """What a link the emulator has no page for (`DatasetStore.web_pages`) reads as: it never goes
    to the network."""
    return f"# {url}\n\nThis is the emulator's placeholder text for {url}: it does not fetch links."


# ---- the scorer ----------------------------------------------------------------------------------
#
# Terms: the text is NFKC-normalised and lower-cased; runs of CJK characters (Han, kana, Hangul)
# give their overlapping character bigrams (a lone character is a term itself), and runs of other
# letters and digits are words. A chunk's score for a query is the cosine similarity of their term
# sets: |Q & C| / sqrt(|Q| * |C|), in [0, 1], rounded to 4 places. Token counts (the `limit` budget)
# are the number of words plus the number of CJK characters.

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TERM = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")


def _term_iter(text: str) -> Iterator[str]:
    for cjk, word in _TERM.findall(unicodedata.normalize("NFKC", text).lower()):
        if word:
            yield word
        elif len(cjk) == 1:
            yield cjk
        else:
            yield from (cjk[i : i + 2] for i in range(len(cjk) - 1))


def terms(text: str) -> frozenset[str]:
    return frozenset(_term_iter(text))


def score(query: frozenset[str], chunk: frozenset[str]) -> float:
    if not query or not chunk:
        return 0.0
    return round(len(query & chunk) / math.sqrt(len(query) * len(chunk)), 4)


def count_tokens(text: str) -> int:
    count = 0
    for cjk, word in _TERM.findall(unicodedata.normalize("NFKC", text)):
        count += 1 if word else len(cjk)
    return count
