"""`wait_for_training`: poll a collection until FastGPT's training of it is over.

`TrainingWatch` is one wait, free of I/O: what each poll's detail means and how long to wait before
the next, and the wait itself as a generator of steps (read the detail, count the chunks not indexed,
sleep). `TrainingWatches` waits for several collections, a `TrainingWatch` each, polled in rounds.
The two thin shells `_drive` and `_adrive` do the steps, sync and async: `poll` / `apoll`, for the
wait `watch_for` makes (one collection or several).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Generator, Iterable, Sequence
from contextlib import closing
from typing import TYPE_CHECKING, Any, TypeVar, cast

from fastgpt_oapi.core.errors import (
    APIResponseValidationError,
    APITimeoutError,
    RequestValidationError,
    TrainingFailedError,
)

from .model import CollectionDetail, DataListItem, GetCollectionRequest, ListDataRequest, TrainingProgress

if TYPE_CHECKING:
    from fastgpt_oapi.core.http import Hooks

_T = TypeVar("_T")

__all__ = ["TrainingWatch", "TrainingWatches", "apoll", "indexed", "poll", "watch_for"]


# What a wait asks its shell to do next: read a collection's detail (answered with it), count the
# chunks not indexed yet (answered with the count), or sleep that many seconds (answered with None).
Step = GetCollectionRequest | ListDataRequest | float
Steps = Generator[Step, Any, _T]


def watch_for(
    collection_id: str | Sequence[str],
    *,
    timeout: float,
    poll_interval: float,
    on_progress: Callable[[CollectionDetail], object] | Callable[[TrainingProgress], object] | None,
    hooks: Hooks,
) -> TrainingWatch | TrainingWatches:
    """`wait_for_training`'s wait: one collection's for an id (a `str`), several's for a sequence;
    `on_progress` hears a `CollectionDetail` or a `TrainingProgress` accordingly."""
    if isinstance(collection_id, str):
        one = cast("Callable[[CollectionDetail], object] | None", on_progress)
        return TrainingWatch(
            collection_id, timeout=timeout, poll_interval=poll_interval, on_progress=one, hooks=hooks
        )
    many = cast("Callable[[TrainingProgress], object] | None", on_progress)
    return TrainingWatches(
        collection_id, timeout=timeout, poll_interval=poll_interval, on_progress=many, hooks=hooks
    )


def poll(
    watch: TrainingWatch | TrainingWatches,
    get_collection: Callable[[GetCollectionRequest], CollectionDetail],
    iter_data: Callable[[ListDataRequest], Iterable[DataListItem]],
) -> CollectionDetail | list[CollectionDetail]:
    """Poll with `get_collection` (and read the chunks with `iter_data`) until `watch` says done: the
    last detail, or for several collections the details in the order given."""
    steps: Steps[CollectionDetail | list[CollectionDetail]] = watch.steps()
    return _drive(steps, get_collection, iter_data, watch.hooks.sleep)


async def apoll(
    watch: TrainingWatch | TrainingWatches,
    get_collection: Callable[[GetCollectionRequest], Awaitable[CollectionDetail]],
    iter_data: Callable[[ListDataRequest], AsyncIterable[DataListItem]],
) -> CollectionDetail | list[CollectionDetail]:
    """The async twin of `poll`."""
    steps: Steps[CollectionDetail | list[CollectionDetail]] = watch.steps()
    return await _adrive(steps, get_collection, iter_data, watch.hooks.asleep)


def _drive(
    steps: Steps[_T],
    get_collection: Callable[[GetCollectionRequest], CollectionDetail],
    iter_data: Callable[[ListDataRequest], Iterable[DataListItem]],
    sleep: Callable[[float], None],
) -> _T:
    """The sync shell: do each step of a wait, and hand its answer back, until the wait ends."""
    with closing(steps):
        step = next(steps)
        while True:
            if isinstance(step, GetCollectionRequest):
                answer: Any = get_collection(step)
            elif isinstance(step, ListDataRequest):
                answer = sum(1 for item in iter_data(step) if not indexed(item))
            else:
                sleep(step)
                answer = None
            try:
                step = steps.send(answer)
            except StopIteration as end:
                return cast("_T", end.value)


async def _adrive(
    steps: Steps[_T],
    get_collection: Callable[[GetCollectionRequest], Awaitable[CollectionDetail]],
    iter_data: Callable[[ListDataRequest], AsyncIterable[DataListItem]],
    sleep: Callable[[float], Awaitable[None]],
) -> _T:
    """The async twin of `_drive`."""
    with closing(steps):
        step = next(steps)
        while True:
            if isinstance(step, GetCollectionRequest):
                answer: Any = await get_collection(step)
            elif isinstance(step, ListDataRequest):
                answer = sum([not indexed(item) async for item in iter_data(step)])
            else:
                await sleep(step)
                answer = None
            try:
                step = steps.send(answer)
            except StopIteration as end:
                return cast("_T", end.value)


class TrainingWatches:
    """Several `wait_for_training`s under one deadline and one progress callback, without I/O.

    A round polls every unfinished collection once; after it, `on_progress` hears a
    `TrainingProgress` for all of them. A collection whose training failed for good is done (the
    others are still waited for); the first such failure is raised at the end.
    """

    def __init__(
        self,
        collection_ids: Sequence[str],
        *,
        timeout: float,
        poll_interval: float,
        on_progress: Callable[[TrainingProgress], object] | None,
        hooks: Hooks,
    ) -> None:
        if isinstance(collection_ids, str):  # pragma: no cover - the service sends a str to TrainingWatch
            collection_ids = [collection_ids]
        ids = list(dict.fromkeys(collection_ids))
        if not ids:
            raise RequestValidationError(
                "wait_for_training: give at least one collection id", field="collection_id"
            )
        self._order = list(collection_ids)
        self._watches = [
            TrainingWatch(i, timeout=timeout, poll_interval=poll_interval, on_progress=None, hooks=hooks)
            for i in ids
        ]
        self._on_progress = on_progress
        self.hooks = hooks
        self._details: dict[str, CollectionDetail] = {}
        self._delays: dict[str, float | None] = {}
        self._failures: list[TrainingFailedError] = []

    def steps(self) -> Steps[list[CollectionDetail]]:
        """The whole wait, as steps for a shell (`poll`, `apoll`): each round looks at every
        unfinished collection once, reports, and sleeps until the next."""
        while True:
            for watch in self.pending():
                try:
                    detail, delay = yield from watch.look()
                except TrainingFailedError as exc:
                    self.failed(watch, exc)
                else:
                    self.polled(watch, detail, delay)
            delay = self.round_over()
            if delay is None:
                return self.outcome()
            yield delay

    def pending(self) -> list[TrainingWatch]:
        return [w for w in self._watches if self._delays.get(w.request.id, 0.0) is not None]

    def polled(self, watch: TrainingWatch, detail: CollectionDetail, delay: float | None) -> None:
        self._details[watch.request.id] = detail
        self._delays[watch.request.id] = delay

    def failed(self, watch: TrainingWatch, exc: TrainingFailedError) -> None:
        self._delays[watch.request.id] = None
        self._failures.append(exc)

    def round_over(self) -> float | None:
        """Report the round; None when every collection is done, else the wait before the next round."""
        waits = [d for d in self._delays.values() if d is not None]
        if self._on_progress is not None:
            self._on_progress(
                TrainingProgress(
                    details=dict(self._details),
                    finished=len(self._watches) - len(waits),
                    total=len(self._watches),
                    remaining=sum(
                        remaining(self._details[i]) for i, d in self._delays.items() if d is not None
                    ),
                )
            )
        return min(waits) if waits else None

    def outcome(self) -> list[CollectionDetail]:
        if self._failures:
            raise self._failures[0]
        return [self._details[i] for i in self._order]


def remaining(detail: CollectionDetail) -> int:
    """The chunks of a collection not trained yet, as its detail counts them (failed ones left out)."""
    if "active_training_amount" in detail.model_fields_set:
        active = detail.active_training_amount
    else:
        active = max(detail.training_amount - detail.final_error_amount, 0)
    return active or (detail.remaining_count or 0)


class TrainingWatch:
    """One `wait_for_training`, without I/O: what each poll's detail means, and how long to wait."""

    def __init__(
        self,
        collection_id: str,
        *,
        timeout: float,
        poll_interval: float,
        on_progress: Callable[[CollectionDetail], object] | None,
        hooks: Hooks,
    ) -> None:
        self.request = GetCollectionRequest(id=collection_id)  # checks the id before the first poll
        if timeout < 0:
            raise RequestValidationError(
                f"wait_for_training: timeout cannot be negative, got {timeout}", field="timeout"
            )
        if poll_interval <= 0:
            raise RequestValidationError(
                f"wait_for_training: poll_interval must be positive, got {poll_interval}",
                field="poll_interval",
            )
        self._timeout = timeout
        self._interval = poll_interval
        self._on_progress = on_progress
        self.hooks = hooks
        self._clock = hooks.clock
        self._deadline = hooks.clock() + timeout
        self.data_request = ListDataRequest(collection_id=collection_id, page_size=30)

    def steps(self) -> Steps[CollectionDetail]:
        """The whole wait, as steps for a shell (`poll`, `apoll`): look, and sleep until done."""
        while True:
            detail, delay = yield from self.look()
            if delay is None:
                return detail
            yield delay

    def look(self) -> Steps[tuple[CollectionDetail, float | None]]:
        """One poll: the detail, and the wait before the next poll (None: done). The chunks are counted
        only when the counters say done on a server whose counters lag (`verifies`)."""
        detail: CollectionDetail = yield self.request
        delay = self.after(detail)
        if delay is None and self.verifies(detail):
            delay = self.after_check((yield self.data_request))
        return detail, delay

    @staticmethod
    def verifies(detail: CollectionDetail) -> bool:
        """Whether the counters' "done" is to be checked against the data: FastGPT >= 4.17.2, whose
        counters are updated asynchronously (it reports `processedCount` / `remainingCount`)."""
        return bool(detail.model_fields_set & {"processed_count", "remaining_count"})

    def after_check(self, pending: int) -> float | None:
        """After the counters said done: None when no chunk is left unindexed, else the wait."""
        if not pending:
            return None
        return self._wait_or_time_out(f"{pending} chunk(s) not indexed yet", None)

    def _wait_or_time_out(self, what: str, stage: str | None) -> float:
        left = self._deadline - self._clock()
        if left <= 0:
            raise APITimeoutError(
                f"Collection {self.request.id} was still training after {self._timeout:g} s: "
                f"{what} (stage: {stage or 'unknown'})."
            )
        return min(self._interval, left)

    def after(self, detail: CollectionDetail) -> float | None:
        """None when training is over (the detail is the answer), else the seconds to wait before the
        next poll; raises when it failed or the deadline has passed."""
        if self._on_progress is not None:
            self._on_progress(detail)
        reported = detail.model_fields_set
        if not reported & {"training_amount", "active_training_amount"}:
            raise APIResponseValidationError(
                f"collection/detail of {self.request.id} carries no training counters (trainingAmount, "
                "activeTrainingAmount): this server does not report training progress, so it cannot be "
                "waited for",
                body=detail.model_dump(by_alias=True),
            )
        if "active_training_amount" in reported:
            active = detail.active_training_amount
        else:  # a server that counts only the whole queue: what has not failed is still running
            active = max(detail.training_amount - detail.final_error_amount, 0)
        if not active and detail.remaining_count:  # 4.17.2: rows written, not indexed yet
            return self._wait_or_time_out(f"{detail.remaining_count} chunk(s) not indexed yet", None)
        if not active:
            if detail.final_error_amount or detail.has_error:
                raise TrainingFailedError(
                    f"Training of collection {self.request.id} ended with {detail.final_error_amount} chunk(s) "
                    f"failed for good (stage: {detail.slowest_training_mode or 'unknown'}); the rest is "
                    "trained. FastGPT keeps the failed ones in its training queue, to retry or delete.",
                    collection_id=self.request.id,
                    training_amount=detail.training_amount,
                    final_error_amount=detail.final_error_amount,
                    slowest_training_mode=detail.slowest_training_mode,
                )
            return None
        return self._wait_or_time_out(f"{active} chunk(s) in training", detail.slowest_training_mode)


# FastGPT >= 4.17.2's index states of a chunk that is done: indexed, or failed for good (its
# `DatasetDataIndexStatusEnum`, as `assertDatasetDataWritable` in
# `packages/service/core/dataset/data/utils.ts` tells them apart). None: an older server.
_DONE_INDEX_STATES = frozenset({"indexed", "error", "rebuildIndexFailed", "rebuildSynonymFailed"})


def indexed(item: DataListItem) -> bool:
    return item.index_status is None or item.index_status in _DONE_INDEX_STATES
