"""The issue's story over real HTTP (`fake.serve()`): create a dataset, import a folder of Markdown,
wait for training, search, and ask the knowledge app a question whose answer cites the chunk."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from dataset._support import BASE, Clock

from fastgpt_oapi.testing import FakeFastGPT

DOCS = {
    "returns.md": "# Returns\n\nItems can be returned within 30 days of delivery.\n",
    "shipping.md": "# Shipping\n\nParcels are shipped worldwide within five working days.\n",
    "warranty.md": "# Warranty\n\nEvery device has a two year warranty.\n",
}


@pytest.mark.system  # the emulator on loopback HTTP
def test_import_a_folder_wait_search_and_ask(tmp_path: Path) -> None:
    for name, text in DOCS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    clock = Clock()
    fake = FakeFastGPT(version="4.17.1", clock=clock, training_delay=30)  # live counters (before 4.17.2)
    with (
        fake.serve() as base_url,
        httpx.Client(base_url=base_url, headers={"authorization": f"Bearer {fake.api_key}"}) as http,
    ):
        dataset = http.post(
            f"{BASE}/create", json={"name": "Help", "intro": "", "avatar": "", "type": "dataset"}
        ).json()["data"]
        collections = []
        for path in sorted(tmp_path.glob("*.md")):
            upload = http.post(
                f"{BASE}/collection/create/localFile",
                files={"file": (path.name, path.read_bytes(), "text/markdown")},
                data={"data": json.dumps({"datasetId": dataset})},
            )
            assert upload.status_code == 200, upload.text
            collections.append(upload.json()["data"]["collectionId"])

        def pending() -> int:
            page = http.post(f"{BASE}/collection/listV2", json={"datasetId": dataset}).json()["data"]
            return sum(item["trainingAmount"] for item in page["list"])

        assert pending() == 3  # one parse task each
        clock.now += 30
        assert pending() == 0

        found = http.post(
            f"{BASE}/searchTest", json={"datasetId": dataset, "text": "how long is the warranty"}
        )
        best = found.json()["data"]["list"][0]
        assert best["sourceName"] == "warranty.md"

        reply = http.post(
            "/api/v2/chat/completions",
            json={
                "appId": fake.apps["knowledge"],
                "messages": [{"role": "user", "content": "How long is the warranty?"}],
                "detail": True,
            },
        ).json()
        assert (
            reply["choices"][0]["message"]["content"] == "# Warranty\n\nEvery device has a two year warranty."
        )
        assert reply["responseData"][1]["quoteList"][0]["id"] == best["id"]
