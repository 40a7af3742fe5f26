"""`kb search` as a user runs it: the dataset's search test, results as JSON lines when piped."""

from __future__ import annotations

import pytest

from fastgpt_oapi.api.dataset.model import (
    CreateCollectionRequest,
    CreateDatasetRequest,
    PushDataRequest,
    SearchTestRequest,
)
from fastgpt_oapi.testing import FakeFastGPT

from .conftest import Cli


@pytest.fixture
def dataset_id(fake: FakeFastGPT) -> str:
    with fake.client() as client:
        dataset = client.dataset.create_dataset(CreateDatasetRequest(name="Help")).id
        faq = client.dataset.create_collection(
            CreateCollectionRequest(dataset_id=dataset, name="FAQ", type="virtual")
        )
        client.dataset.push_data(
            PushDataRequest(
                collection_id=faq.id,
                data=[
                    {"q": "How long is the warranty?", "a": "Two years from the date of purchase."},
                    {"q": "Where is the serial number?", "a": "Under the battery."},
                    {"q": "How do refunds work?", "a": "Refunds go back to the card within 5 days."},
                ],
            )
        )
        client.dataset.wait_for_training(faq.id)
        return dataset


def test_json_lines_are_the_search_results(connected: Cli, fake: FakeFastGPT, dataset_id: str) -> None:
    run = connected("kb", "search", "--dataset", dataset_id, "warranty years")
    assert run.code == 0, run.stderr
    lines = run.lines()
    with fake.client() as client:
        expected = client.dataset.search_test(SearchTestRequest(dataset_id=dataset_id, text="warranty years"))
    assert lines == [r.model_dump(mode="json") for r in expected.list]
    assert lines[0]["q"] == "How long is the warranty?"
    assert lines[0]["source_name"] == "FAQ"
    assert {"score", "collection_id", "dataset_id"} <= set(lines[0])


def test_options_reach_the_request(connected: Cli, fake: FakeFastGPT, dataset_id: str) -> None:
    run = connected(
        "kb", "search", "--dataset", dataset_id, "refunds", "--limit", "100", "--similarity", "0.2",
        "--mode", "fullTextRecall",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    [sent] = [r.body for r in fake.requests if r.path == "/api/core/dataset/searchTest"]
    assert sent == {
        "datasetId": dataset_id, "text": "refunds", "limit": 100, "similarity": 0.2, "searchMode": "fullTextRecall",
    }  # fmt: skip


def test_a_table_on_a_terminal_and_errors_by_class(connected: Cli, dataset_id: str) -> None:
    text = connected("kb", "search", "--dataset", dataset_id, "serial number", "-o", "text")
    assert text.code == 0, text.stderr
    header = [cell for cell in text.stdout.splitlines()[0].split() if cell.isalpha()]
    assert header == ["score", "source", "q"]
    assert "Where is the serial number?" in text.stdout
    assert connected("kb", "search", "--dataset", "not-an-id", "x").code == 5  # refused before sending
    assert connected("kb", "search", "--dataset", dataset_id, "x", "--mode", "fuzzy").code == 2
    assert connected("kb", "search", "--dataset", "0" * 24, "x").code == 4
