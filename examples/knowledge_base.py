"""A knowledge base from a folder of Markdown: import the files into a new dataset, watch FastGPT train
them, push a few FAQ pairs in bulk, run a search test, then ask an app that answers from the dataset,
and show the chunk its answer cites.

The files are in `examples/knowledge/`: four short pages about a made-up desk lamp. Against the
emulator, its training takes half a second here (`fake.datasets.training_delay`), so there is
progress to show.

Against your FastGPT server (FASTGPT_BASE_URL, FASTGPT_API_KEY and FASTGPT_APP_ID set), it creates a
dataset, imports into it and deletes it at the end; with FASTGPT_DATASET_ID it imports into that
dataset instead, and keeps what it imported. The question goes to FASTGPT_KNOWLEDGE_APP_ID (else
FASTGPT_APP_ID): point it at an app whose knowledge-base search covers that dataset.

Run it with `python -m examples.knowledge_base`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from fastgpt_oapi import Client, TrainingFailedError
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.api.dataset.model import (
    CollectionDetail,
    CreateCollectionRequest,
    CreateDatasetRequest,
    CreateFileCollectionRequest,
    DeleteDatasetRequest,
    SearchTestRequest,
)

from ._connect import connect, heading

FOLDER = Path(__file__).resolve().parent / "knowledge"

FAQ = [
    {"q": "Can I take the Lumen on a plane?", "a": "Yes: fold the arm flat and pack it in its felt pouch."},
    {"q": "Which colours does the light come in?", "a": "Any white from warm 2700 K to cool 6500 K."},
    {"q": "Is there a Lumen app?", "a": "No: every setting is on the lamp itself."},
    {"q": "Where is the serial number?", "a": "Under the base, next to the USB-C port."},
    {"q": "Can the Lumen charge my phone?", "a": "Yes, from the USB-C port in its base."},
]


def show_progress(name: str) -> Callable[[CollectionDetail], None]:
    """A progress display for one collection: a line per poll while it trains."""

    def show(detail: CollectionDetail) -> None:
        if detail.training_amount:
            print(
                f"  {name}: {detail.training_amount} in training, {detail.active_training_amount} active, "
                f"stage {detail.slowest_training_mode}"
            )

    return show


def wait_for(client: Client, name: str, collection_id: str, poll_interval: float) -> bool:
    """Wait for one collection's training; False if some of it failed."""
    try:
        detail = client.dataset.wait_for_training(
            collection_id, timeout=600, poll_interval=poll_interval, on_progress=show_progress(name)
        )
    except TrainingFailedError as exc:
        print(f"  {name}: {exc.final_error_amount} chunk(s) failed at stage {exc.slowest_training_mode}")
        return False
    print(f"  {name}: trained, {detail.index_amount} index(es)")
    return True


def main() -> None:
    with connect() as target:
        client = target.client
        print(f"knowledge base against {target.where}")
        if target.fake is not None:
            target.fake.datasets.training_delay = 0.5  # seconds: something to watch
        poll_interval = 0.2 if target.fake is not None else 2.0

        heading(f"1. Import {FOLDER.name}/ into a dataset")
        dataset_id = os.environ.get("FASTGPT_DATASET_ID") if target.fake is None else None
        created = dataset_id is None
        if dataset_id is None:
            dataset_id = client.dataset.create_dataset(
                CreateDatasetRequest(name="Lumen help", intro="The Lumen desk lamp: manual and FAQ")
            ).id
            print(f"created dataset {dataset_id}")
        collections: dict[str, str] = {}
        for path in sorted(FOLDER.glob("*.md")):
            upload = client.dataset.create_file_collection(
                CreateFileCollectionRequest(dataset_id=dataset_id, file=path)
            )
            collections[path.name] = upload.collection_id
            print(f"uploaded {path.name} ({path.stat().st_size} bytes) -> collection {upload.collection_id}")

        heading("2. Wait for training")
        for name, collection_id in collections.items():
            wait_for(client, name, collection_id, poll_interval)

        heading("3. FAQ pairs, pushed in bulk")
        faq = client.dataset.create_collection(
            CreateCollectionRequest(dataset_id=dataset_id, name="FAQ", type="virtual")
        )
        pushed = client.dataset.push_all(faq.id, FAQ, batch_size=2, concurrency=2)
        print(
            f"pushed {pushed.items} pair(s) in {len(pushed.batches)} batches; FastGPT took {pushed.inserted}"
        )
        wait_for(client, "FAQ", faq.id, poll_interval)

        heading("4. A search test")
        found = client.dataset.search_test(
            SearchTestRequest(dataset_id=dataset_id, text="How do I reset the lamp to its factory settings?")
        )
        print(f"{len(found.list)} chunk(s) found ({found.search_mode}); the best three:")
        for hit in found.list[:3]:
            score = ", ".join(f"{s.type} {s.value:.2f}" for s in hit.score)
            print(f"  {hit.source_name} #{hit.chunk_index} [{score}]: {(hit.q or '').splitlines()[0]}")

        heading("5. Ask the knowledge app")
        question = "How long does the battery last on one charge?"
        answer = client.chat.chat(
            ChatCompletionRequest(
                messages=[ChatMessage.user(question)], app_id=target.app("knowledge"), detail=True
            )
        )
        print(f"Q: {question}")
        first, *rest = answer.answer.splitlines() or [""]
        print(f"A: {first}")
        for line in rest:
            print(f"   {line}" if line else "")
        quotes = [quote for node in answer.response_data for quote in node.quote_list or []]
        if quotes:
            cited = quotes[0]
            print(f"cited: {cited.source_name} #{cited.chunk_index}: {(cited.q or '').splitlines()[0]}")
        else:
            print("(the app cited no chunk: is its knowledge-base search on this dataset?)")

        if created:
            client.dataset.delete_dataset(DeleteDatasetRequest(id=dataset_id))
            print(f"\ndeleted dataset {dataset_id}")


if __name__ == "__main__":
    main()
