"""The built-in knowledge app: a chat that searches the emulator's datasets and answers with the best
chunk, citing it the way a FastGPT workflow's dataset-search node does (its node response's
`quoteList`, `SearchDataResponseItemSchema` items, packages/global/core/dataset/type.ts, f88b51b5).

It is `fake.apps["knowledge"]`, searching every dataset; `fake.knowledge_app(dataset_ids)` makes one
bound to some datasets, to register with `fake.register_app`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .apps import App, RunContext, Turn, answer_chunk, node
from .datasets import DEFAULT_VECTOR_MODEL, DatasetStore, count_tokens
from .routes.dataset.documents import search_item

__all__ = ["KNOWLEDGE_APP_ID", "NO_ANSWER", "knowledge_app"]

KNOWLEDGE_APP_ID = "66e29b870b24ce35330c0f0f"
NO_ANSWER = "No answer was found in the knowledge base."

_START = node("knowledgeStart", "Workflow start", "workflowStart", "kS1tA9rT4wQ7eY2u", runningTime=0)


def knowledge_app(
    store: DatasetStore,
    dataset_ids: Iterable[str] | None = None,
    *,
    similarity: float = 0.0,
    limit: int = 5000,
) -> App:
    """An app answering from `store`: each question is searched in `dataset_ids` (every dataset,
    as it is at the time of the question, when None) in embedding mode, with `similarity` and the
    `limit` token budget as in searchTest. The answer is the best chunk's text (`q`, then `a` on a
    new line if it has one), or `NO_ANSWER` when nothing matches; the dataset-search node response
    cites every result, best first, in its `quoteList`."""
    bound = None if dataset_ids is None else list(dataset_ids)

    def run(ctx: RunContext) -> Turn:
        searched = list(store.datasets) if bound is None else [d for d in bound if d in store.datasets]
        hits = store.search(searched, ctx.question, limit=limit, similarity=similarity)
        quotes = [search_item(hit) for hit in hits]
        if hits:
            best = hits[0].data
            answer = best.q + (f"\n{best.a}" if best.a else "")
        else:
            answer = NO_ANSWER
        models = {store.datasets[d].vector_model for d in searched}
        search = node(
            "datasetSearch01",
            "Dataset search",
            "datasetSearchNode",
            "kN4wL8dG2sX6vB0m",
            runningTime=0.12,
            totalPoints=0,
            query=ctx.question,
            embeddingModel=min(models) if models else DEFAULT_VECTOR_MODEL,
            embeddingTokens=count_tokens(ctx.question),
            similarity=similarity,
            limit=limit,
            searchMode="embedding",
            searchUsingReRank=False,
            datasetQueries=[ctx.question],
            quoteList=quotes,
        )
        reply = node("answer01", "Answer", "answerNode", "kA7nS3wE5rT9yU1i", runningTime=0, textOutput=answer)
        events: list[tuple[str, Any]] = [
            ("flowNodeStatus", {"status": "running", "name": "Dataset search"}),
            ("flowNodeStatus", {"status": "running", "name": "Answer"}),
            *[("answer", answer_chunk(answer[i : i + 16])) for i in range(0, len(answer), 16)],
        ]
        return Turn(events=events, nodes=[_START, search, reply], duration_seconds=0.15)

    return run
