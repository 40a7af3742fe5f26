"""`push_all`: any number of items into a collection as `push_data` batches, a few at a time.

`PushRun` is one run's bookkeeping, free of I/O: which batch comes next (skipping those a resumed
run has done), what each batch request is, what succeeded and failed, and the outcome. `push` (worker
threads) and `apush` (tasks of the running loop) are the two thin shells that drive it; both pull the
items only as batches are started.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterable, AsyncIterator, Callable, Coroutine, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypedDict

from fastgpt_oapi.core.errors import PushAllError, RequestValidationError
from fastgpt_oapi.core.progress import ProgressCallback

from .model import (
    MAX_PUSH_ITEMS,
    DataItemInput,
    PushAllResult,
    PushDataRequest,
    PushDataResponse,
    TrainingType,
    is_plain_item,
)

__all__ = ["DEFAULT_PUSH_CONCURRENCY", "PushDataFields", "PushRun", "apush", "push"]

# `push_all`'s batches in flight at once. A pushData call mostly waits (FastGPT stores the items in its
# training queue and answers), so a few at once hide the round trips: at 20 to 50 ms a call, 4 in
# flight pushed 3.6 to 3.8 times as many items a second as one (bench/RESULTS.md, bulk push). 4 holds
# at most 800 items, uses 4 of the pool's 100 connections, and asks a server for 4 inserts at once at
# most; FastGPT trains far slower than it takes data, so more would fill its queue sooner, not train it.
DEFAULT_PUSH_CONCURRENCY = 4


class PushDataFields(TypedDict, total=False):
    """`PushDataRequest`'s fields that `push_all` sends with every batch (None: left out)."""

    training_type: TrainingType | None
    index_size: int | None
    auto_indexes: bool | None
    image_index: bool | None
    prompt: str | None
    bill_id: str | None


def push(
    run: PushRun, items: Iterable[DataItemInput], push_data: Callable[[PushDataRequest], PushDataResponse]
) -> PushAllResult:
    """Drive `run` over `items`, each batch sent by `push_data` in a worker thread."""
    source = iter(items)
    run.start()
    with ThreadPoolExecutor(max_workers=run.concurrency, thread_name_prefix="fastgpt-push-all") as pool:
        pending: dict[Future[PushDataResponse], int] = {}
        while True:
            while (taken := run.next_batch(len(pending), source)) is not None:
                pending[pool.submit(push_data, taken[1])] = taken[0]
            if not pending:
                break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                run.settle(pending.pop(future), future)
    return run.outcome()


async def apush(
    run: PushRun,
    items: Iterable[DataItemInput] | AsyncIterable[DataItemInput],
    push_data: Callable[[PushDataRequest], Coroutine[Any, Any, PushDataResponse]],
) -> PushAllResult:
    """Drive `run` over `items` (an async iterable too), each batch sent by `push_data` in a task;
    cancelled, it cancels the batches in flight."""
    source: Iterator[Any] | AsyncIterator[Any] = (
        aiter(items) if isinstance(items, AsyncIterable) else iter(items)
    )
    pending: dict[asyncio.Task[PushDataResponse], int] = {}
    run.start()
    try:
        while True:
            while (taken := await run.anext_batch(len(pending), source)) is not None:
                pending[asyncio.create_task(push_data(taken[1]))] = taken[0]
            if not pending:
                break
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                run.settle(pending.pop(task), task)
    except BaseException:  # cancelled (or interrupted): the batches in flight go too
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        raise
    return run.outcome()


class PushRun:
    """One `push_all`, without I/O: which batch comes next (skipping those a resumed run has done),
    what each batch request is, what succeeded and failed, and the outcome. Both shells drive it."""

    def __init__(
        self,
        collection_id: str,
        *,
        batch_size: int,
        concurrency: int,
        resume: PushAllError | None,
        fields: Mapping[str, Any],
        on_progress: ProgressCallback | None = None,
        total: int | None = None,
    ) -> None:
        unknown = sorted(set(fields) - set(PushDataFields.__annotations__))
        if unknown:  # what an explicit keyword parameter would say
            raise TypeError(f"push_all() got an unexpected keyword argument {unknown[0]!r}")
        if not 1 <= batch_size <= MAX_PUSH_ITEMS:
            raise RequestValidationError(
                f"push_all: batch_size must be 1 to {MAX_PUSH_ITEMS} (FastGPT's limit per pushData), got "
                f"{batch_size}",
                field="batch_size",
            )
        if concurrency < 1:
            raise RequestValidationError(
                f"push_all: concurrency must be at least 1, got {concurrency}", field="concurrency"
            )
        self._fields = {"collection_id": collection_id, **{k: v for k, v in fields.items() if v is not None}}
        self._template = PushDataRequest(data=[], **self._fields)  # checks the id and the fields now
        self.collection_id = collection_id
        self.batch_size = batch_size
        self.concurrency = concurrency
        self._done_before = 0  # batches before this one are in FastGPT already (a resume)
        self._done_later: frozenset[int] = frozenset()
        if resume is not None:
            if resume.collection_id != collection_id or resume.batch_size != batch_size:
                raise RequestValidationError(
                    f"push_all: resume= an error of the same collection and batch_size (it was "
                    f"{resume.collection_id}, batch_size={resume.batch_size})",
                    field="resume",
                )
            self._done_before = resume.failed_batch
            self._done_later = frozenset(resume.succeeded_later)
        self._next = 0  # the number of the next batch of the input
        self._exhausted = False
        self._sizes: dict[int, int] = {}
        self._responses: dict[int, PushDataResponse] = {}
        self._failures: dict[int, Exception] = {}
        self._on_progress = on_progress
        self._total = total
        self._in_fastgpt = 0  # items of the input known to be in FastGPT: acknowledged, or skipped

    def start(self) -> None:
        """The first report, (0, total), before anything is sent."""
        self._report()

    def _report(self) -> None:
        if self._on_progress is None:
            return
        try:
            self._on_progress(self._in_fastgpt, self._total)
        except Exception as exc:
            # Stops the run as a failed batch would, at the first batch not started: those in flight
            # finish, and the PushAllError (from this exception) says where to resume.
            self._failures.setdefault(self._next, exc)

    @property
    def stopped(self) -> bool:
        """No batch is to be started: the input ended, or a batch failed."""
        return self._exhausted or bool(self._failures)

    def _skipping(self) -> bool:
        return self._next < self._done_before or self._next in self._done_later

    def next_batch(self, in_flight: int, items: Iterator[Any]) -> tuple[int, PushDataRequest] | None:
        """The next batch to start while `in_flight` are running, or None: no room, or `stopped`,
        or nothing more to take."""
        if in_flight >= self.concurrency or self.stopped:
            return None
        return self.take(items)

    async def anext_batch(
        self, in_flight: int, items: Iterator[Any] | AsyncIterator[Any]
    ) -> tuple[int, PushDataRequest] | None:
        """`next_batch`, from an async iterator too."""
        if not isinstance(items, AsyncIterator):
            return self.next_batch(in_flight, items)
        if in_flight >= self.concurrency or self.stopped:
            return None
        return await self.atake(items)

    def take(self, items: Iterator[Any]) -> tuple[int, PushDataRequest] | None:
        """The next batch's number and request, or None: the items ran out, or reading or checking
        them failed (recorded as that batch's failure)."""
        size = self.batch_size
        try:
            while self._skipping():
                skipped = sum(1 for _ in itertools.islice(items, size))
                if skipped < size:
                    self._exhausted = True
                    return None
                self._in_fastgpt += skipped
                self._next += 1
            batch = list(itertools.islice(items, size))
        except Exception as exc:
            self._failures[self._next] = exc
            return None
        return self._request(batch)

    async def atake(self, items: AsyncIterator[Any]) -> tuple[int, PushDataRequest] | None:
        """`take`, from an async iterator."""
        size = self.batch_size
        batch: list[Any] = []
        try:
            while True:
                batch.clear()
                while len(batch) < size:
                    try:
                        batch.append(await anext(items))
                    except StopAsyncIteration:
                        break
                if not self._skipping() or len(batch) < size:
                    break
                self._in_fastgpt += size
                self._next += 1
        except Exception as exc:
            self._failures[self._next] = exc
            return None
        if self._skipping():  # the input ended inside a batch that was done already
            self._exhausted = True
            return None
        return self._request(batch)

    def _request(self, batch: list[Any]) -> tuple[int, PushDataRequest] | None:
        index = self._next
        if len(batch) < self.batch_size:
            self._exhausted = True  # the last batch: nothing more to read
            if not batch:
                return None
        self._next += 1
        try:
            if all(map(is_plain_item, batch)):
                # Each is what checking it would send: no model to build per item.
                request = self._template.model_copy(update={"data": batch})
            else:
                request = PushDataRequest(data=batch, **self._fields)
        except Exception as exc:
            self._failures[index] = exc
            return None
        self._sizes[index] = len(batch)
        return index, request

    def succeeded(self, index: int, response: PushDataResponse) -> None:
        self._responses[index] = response
        self._in_fastgpt += self._sizes[index]
        self._report()

    def failed(self, index: int, exc: Exception) -> None:
        self._failures[index] = exc

    def settle(self, index: int, future: Future[PushDataResponse] | asyncio.Future[PushDataResponse]) -> None:
        """Record a finished batch (a thread's future or a task)."""
        exc = future.exception()
        if exc is None:
            self.succeeded(index, future.result())
        elif isinstance(exc, Exception):
            self.failed(index, exc)
        else:
            raise exc

    def outcome(self) -> PushAllResult:
        """The result, or the `PushAllError` of the first failed batch, raised from its cause."""
        inserted = sum(response.insert_len for response in self._responses.values())
        if not self._failures:
            order = sorted(self._responses)
            return PushAllResult(
                inserted=inserted,
                items=sum(self._sizes[i] for i in order),
                batches=[self._responses[i] for i in order],
            )
        first = min(self._failures)
        cause = self._failures[first]
        later = sorted({i for i in self._responses if i > first} | {i for i in self._done_later if i > first})
        size = self.batch_size
        message = (
            f"push_all stopped at batch {first} (items {first * size} to {(first + 1) * size - 1}): "
            f"{type(cause).__name__}: {cause}. Batches 0 to {first - 1} are in FastGPT; resume from item "
            f"{first * size}"
            if first
            else f"push_all stopped at batch 0 (items 0 to {size - 1}): {type(cause).__name__}: {cause}. "
            "Resume from item 0"
        )
        if later:
            message += f", leaving out batches {later}, which are in FastGPT too"
        raise PushAllError(
            message + f" ({inserted} item(s) inserted by this call).",
            collection_id=self.collection_id,
            batch_size=size,
            failed_batch=first,
            failed_batches=self._failures,
            inserted=inserted,
            succeeded_later=later,
        ) from cause
