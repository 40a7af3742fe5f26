"""Importing into the emulator's datasets: text, uploaded files (multipart, encoded by hand and by
httpx) and links, split by the collection's chunk settings; link sync; and training progress on an
injected clock (`FakeFastGPT(training_delay=...)`)."""

from __future__ import annotations

import json

import httpx
import pytest
from dataset._support import BASE, Api, Clock

from fastgpt_oapi.testing import FakeFastGPT
from fastgpt_oapi.testing.datasets import (
    ParseFailure,
    chunk_settings,
    csv_to_markdown_table,
    read_upload,
    split_text,
)

# Training as FastGPT ran it before 4.17.2 (live counters, rows only once trained); 4.17.2's is in
# tests/dataset/test_dataset_417.py.
PRE_4172 = "4.17.1"

GUIDE = """Welcome to the guide.

# Returns

Items can be returned within 30 days.

## Damaged items

Damaged items are replaced for free.

# Shipping

We ship worldwide.
"""
FORCE = {"chunkTriggerType": "forceChunk"}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(clock: Clock) -> Api:
    return Api(FakeFastGPT(version=PRE_4172, clock=clock))


def chunks(api: Api, collection_id: str) -> list[str]:
    return [row["q"] for row in api.data(collection_id)]


# ---- the splitter --------------------------------------------------------------------------------


def test_a_short_text_is_one_chunk_unless_forced() -> None:
    # rawText2Chunks: with the default trigger, text under chunkTriggerMinSize (1000) is not split
    assert split_text(GUIDE, chunk_settings({})) == [GUIDE.strip()]
    assert split_text("   ", chunk_settings({})) == []
    assert split_text(GUIDE, chunk_settings({"chunkTriggerType": "minSize", "chunkTriggerMinSize": 10})) != [
        GUIDE.strip()
    ]
    assert len(split_text(GUIDE, chunk_settings({"chunkTriggerType": "maxSize"}))) == 1


def test_markdown_headings_open_sections_prefixed_with_their_titles() -> None:
    assert split_text(GUIDE, chunk_settings(FORCE)) == [
        "Welcome to the guide.",
        "# Returns\nItems can be returned within 30 days.",
        "# Returns\n## Damaged items\nDamaged items are replaced for free.",
        "# Shipping\nWe ship worldwide.",
    ]
    # only `paragraphChunkDeep` levels open sections; a heading with nothing under it is a chunk
    shallow = chunk_settings(
        {
            **FORCE,
            "chunkSettingMode": "custom",
            "chunkSplitMode": "paragraph",
            "paragraphChunkDeep": 1,
            "chunkSize": 1000,
        }
    )
    assert split_text(GUIDE + "\n# Empty\n", shallow) == [
        "Welcome to the guide.",
        "# Returns\nItems can be returned within 30 days.\n\n## Damaged items\n\nDamaged items are replaced for free.",
        "# Shipping\nWe ship worldwide.",
        "# Empty",
    ]
    # headings inside code fences are text
    assert split_text("```\n# code\n```\nafter", chunk_settings(FORCE)) == ["```\n# code\n```\nafter"]


def test_bodies_are_packed_by_paragraph_then_line_then_sentence_up_to_chunk_size() -> None:
    paragraphs = "\n\n".join(f"Paragraph {i} has some words in it." for i in range(6))  # 34 characters each
    settings = chunk_settings(
        {**FORCE, "chunkSettingMode": "custom", "chunkSplitMode": "size", "chunkSize": 80}
    )
    assert (settings["paragraphChunkDeep"], settings["chunkSize"]) == (0, 80)
    assert split_text(paragraphs, settings) == [
        f"Paragraph {i} has some words in it.\n\nParagraph {i + 1} has some words in it." for i in (0, 2, 4)
    ]
    sentences = "First one. Second one! Third one? Fourth one."
    small = chunk_settings({**FORCE, "chunkSettingMode": "custom", "chunkSize": 24})
    assert split_text(sentences, small) == ["First one. Second one!", "Third one? Fourth one."]
    chinese = "第一句话。第二句话。第三句话。"
    assert split_text(chinese, chunk_settings({**FORCE, "chunkSettingMode": "custom", "chunkSize": 10})) == [
        "第一句话。第二句话。",
        "第三句话。",
    ]
    # nothing to split at: a hard cut
    assert split_text("x" * 25, chunk_settings({**FORCE, "chunkSettingMode": "custom", "chunkSize": 10})) == [
        "x" * 10,
        "x" * 10,
        "x" * 5,
    ]


def test_a_custom_splitter_cuts_at_each_separator() -> None:
    settings = chunk_settings(
        {**FORCE, "chunkSettingMode": "custom", "chunkSplitMode": "char", "chunkSplitter": "\\n|---"}
    )
    assert split_text("one\ntwo---three\n\n", settings) == ["one", "two", "three"]
    # auto mode ignores a splitter, as computedCollectionChunkSettings drops it
    assert "chunkSplitter" not in chunk_settings({**FORCE, "chunkSplitter": "---"})


def test_chunk_settings_are_computed_as_fastgpt_computes_them() -> None:
    assert chunk_settings({}) == {
        "trainingType": "chunk",
        "chunkSplitMode": "paragraph",
        "paragraphChunkAIMode": "forbid",
        "paragraphChunkDeep": 5,
        "paragraphChunkMinSize": 100,
        "chunkSize": 1000,
        "indexSize": 512,
    }
    assert chunk_settings({"trainingType": "qa", "qaPrompt": "p"})["chunkSize"] == 8000
    assert chunk_settings({"trainingType": "qa", "qaPrompt": "p"})["qaPrompt"] == "p"
    assert "qaPrompt" not in chunk_settings({"qaPrompt": "p"})
    assert chunk_settings({"trainingType": "auto"})["autoIndexes"] is True  # "Adapter 4.9.0"
    custom = chunk_settings(
        {"chunkSettingMode": "custom", "chunkSplitMode": "paragraph", "chunkSize": 999_999}
    )
    assert (custom["chunkSize"], custom["paragraphChunkDeep"]) == (128_000, 5)
    assert "chunkSize" not in chunk_settings({"chunkSettingMode": "custom"})


def test_a_markdown_table_is_split_by_rows_under_its_header() -> None:
    table = csv_to_markdown_table('q,a,,\nWhat is x?,"It is\nx",,\n,,,\nWhy|y?,because,,\n')
    assert table == "| q | a |\n| --- | --- |\n| What is x? | It is\\nx |\n| Why\\|y? | because |"
    assert split_text(table, chunk_settings({**FORCE, "chunkSettingMode": "custom", "chunkSize": 60})) == [
        "| q | a |\n| --- | --- |\n| What is x? | It is\\nx |",
        "| q | a |\n| --- | --- |\n| Why\\|y? | because |",
    ]


def test_uploads_are_read_by_type() -> None:
    assert read_upload("a.md", "\ufeff# Title".encode()) == "# Title"
    assert read_upload("a.TXT", b"plain") == "plain"
    assert read_upload("a.csv", b"h1,h2\n1,2\n") == "| h1 | h2 |\n| --- | --- |\n| 1 | 2 |"
    html = b"<html><style>p{}</style><h1>Title</h1><p>One &amp; two</p></html>"
    assert read_upload("a.html", html) == "Title\nOne & two\n"
    assert read_upload("a.pdf", b"%PDF") == ParseFailure("The emulator cannot read this file type")


# ---- text collections ----------------------------------------------------------------------------


def test_a_text_collection_is_a_txt_file_split_into_chunks(api: Api) -> None:
    dataset = api.dataset()
    created = api.post(
        "collection/create/text", {"datasetId": dataset, "name": "guide", "text": GUIDE, **FORCE}
    ).data
    # FastGPT queues a parse task and inserts nothing itself
    assert created["results"] == {"insertLen": 0}
    collection = created["collectionId"]
    detail = api.collection(collection)
    assert (detail["name"], detail["type"], detail["chunkTriggerType"]) == ("guide.txt", "file", "forceChunk")
    assert chunks(api, collection) == split_text(GUIDE, chunk_settings(FORCE))
    assert [row["chunkIndex"] for row in api.data(collection)] == [0, 1, 2, 3]
    assert detail["indexAmount"] == 4
    assert api.post("collection/create/text", {"datasetId": dataset, "name": "x"}).status == 400
    assert (
        api.post(
            "collection/create/text", {"datasetId": dataset, "name": "x", "text": "", "chunkSize": "big"}
        ).status
        == 400
    )


# ---- uploads -------------------------------------------------------------------------------------


def test_an_uploaded_markdown_file_is_split(api: Api) -> None:
    dataset = api.dataset()
    answer = api.upload(
        {
            "data": json.dumps(
                {"datasetId": dataset, "chunkTriggerType": "forceChunk", "metadata": {"k": "v"}}
            )
        },
        {"file": ("guide%20v2.md", GUIDE.encode(), "text/markdown")},
    )
    collection = answer.data["collectionId"]
    assert answer.data["results"] == {"insertLen": 0}
    detail = api.collection(collection)
    assert detail["name"] == "guide v2.md"  # FastGPT decodes the percent-encoded name
    assert detail["type"] == "file"
    assert detail["metadata"] == {"k": "v", "relatedImgId": detail["fileId"]}
    assert detail["file"] == {"filename": "guide v2.md", "contentLength": len(GUIDE.encode())}
    assert len(chunks(api, collection)) == 4
    [recorded] = [r for r in api.fake.requests if r.path.endswith("/localFile")]
    assert recorded.body["file"].filename == "guide%20v2.md"  # the parsed multipart body


def test_an_uploaded_csv_becomes_a_markdown_table(api: Api) -> None:
    dataset = api.dataset()
    rows = "".join(f"Question {n},Answer {n}\n" for n in range(3))
    answer = api.upload(
        {"datasetId": dataset, "data": json.dumps({"chunkTriggerType": "forceChunk"})},
        {"file": ("faq.csv", f"q,a\n{rows}".encode(), "text/csv")},
    )
    collection = answer.data["collectionId"]  # plain form fields count too, `data` wins
    assert chunks(api, collection) == [
        "| q | a |\n| --- | --- |\n| Question 0 | Answer 0 |\n| Question 1 | Answer 1 |\n| Question 2 | Answer 2 |"
    ]


def test_uploads_are_refused_as_fastgpt_refuses_them(api: Api) -> None:
    dataset = api.dataset()
    no_file = api.upload({"data": json.dumps({"datasetId": dataset})}, {})
    assert (no_file.status, no_file.body["message"]) == (500, "File not found")
    exe = api.upload({"data": json.dumps({"datasetId": dataset})}, {"file": ("tool.exe", b"MZ", "x/y")})
    assert api.refusal(exe) == (500, 510000, "InvalidUploadFileType")
    no_dataset = api.upload({"data": "not json"}, {"file": ("a.md", b"# a", "text/markdown")})
    assert api.refusal(no_dataset) == (500, 501002, "unExistDataset")
    # `data` is parsed inside the handler: a schema failure there is an internal error, not a 400
    bad = api.upload(
        {"data": json.dumps({"datasetId": dataset, "chunkSize": "big"})},
        {"file": ("a.md", b"# a", "text/markdown")},
    )
    assert (bad.status, bad.body["code"]) == (500, 500)
    assert bad.body["zodError"][0]["path"] == ["chunkSize"]
    assert json.loads(bad.body["message"]) == bad.body["zodError"]


def test_a_file_the_emulator_cannot_read_fails_its_parse_task(api: Api) -> None:
    dataset = api.dataset()
    answer = api.upload(
        {"data": json.dumps({"datasetId": dataset})}, {"file": ("report.pdf", b"%PDF-1.7", "application/pdf")}
    )
    detail = api.collection(answer.data["collectionId"])
    assert {
        k: detail[k] for k in ("trainingAmount", "activeTrainingAmount", "finalErrorAmount", "hasError")
    } == {
        "trainingAmount": 1,
        "activeTrainingAmount": 0,
        "finalErrorAmount": 1,
        "hasError": True,
    }
    assert (detail["slowestTrainingMode"], detail["slowestTrainingStatus"], detail["errorCount"]) == (
        "parse",
        "error",
        1,
    )
    assert chunks(api, answer.data["collectionId"]) == []


def test_httpx_multipart_uploads_are_read() -> None:
    fake = FakeFastGPT()
    with httpx.Client(
        transport=fake.transport(),
        base_url="http://fastgpt.fake",
        headers={"authorization": f"Bearer {fake.api_key}"},
    ) as http:
        created = http.post(
            f"{BASE}/create", json={"name": "kb", "intro": "", "avatar": "", "type": "dataset"}
        ).json()["data"]
        upload = http.post(
            f"{BASE}/collection/create/localFile",
            files={"file": ("notes.txt", "Zürich notes, 第一段。".encode(), "text/plain")},
            data={"data": json.dumps({"datasetId": created})},
        )
        assert upload.status_code == 200, upload.text
        collection = upload.json()["data"]["collectionId"]
        rows = http.post(f"{BASE}/data/v2/list", json={"collectionId": collection}).json()["data"]["list"]
    assert [row["q"] for row in rows] == ["Zürich notes, 第一段。"]


# ---- links ---------------------------------------------------------------------------------------


def test_a_link_reads_its_page_from_web_pages_or_a_placeholder(api: Api) -> None:
    dataset = api.dataset()
    api.fake.datasets.web_pages["https://docs.example/returns"] = (
        "# Returns policy\n\nReturns within 30 days."
    )
    known = api.post(
        "collection/create/link",
        {
            "datasetId": dataset,
            "link": "https://docs.example/returns",
            "metadata": {"webPageSelector": "main"},
        },
    ).data
    detail = api.collection(known["collectionId"])
    assert (detail["type"], detail["name"], detail["rawLink"]) == (
        "link",
        "Returns policy",
        "https://docs.example/returns",
    )
    assert detail["sourceId"] == "https://docs.example/returns"
    assert detail["metadata"] == {"relatedImgId": "https://docs.example/returns", "webPageSelector": "main"}
    assert chunks(api, known["collectionId"]) == ["# Returns policy\n\nReturns within 30 days."]
    unknown = api.post(
        "collection/create/link", {"datasetId": dataset, "link": "https://elsewhere.example/"}
    ).data
    assert api.collection(unknown["collectionId"])["name"] == "https://elsewhere.example/"
    assert chunks(api, unknown["collectionId"]) == [
        "# https://elsewhere.example/\n\nThis is the emulator's placeholder text for https://elsewhere.example/: "
        "it does not fetch links."
    ]
    assert api.post("collection/create/link", {"datasetId": dataset, "link": "not a url"}).status == 400


def test_sync_compares_the_page_with_what_was_imported(api: Api) -> None:
    dataset = api.dataset()
    url = "https://docs.example/faq"
    pages = api.fake.datasets.web_pages
    pages[url] = "# FAQ\n\nOld answer."
    collection = api.post("collection/create/link", {"datasetId": dataset, "link": url}).data["collectionId"]
    assert api.post("collection/sync", {"collectionId": collection}).data == "sameRaw"
    pages[url] = "# FAQ\n\nNew answer."
    assert api.post("collection/sync", {"collectionId": collection}).data == "success"
    # FastGPT deletes the collection and creates it again: a new id, the new text
    assert api.refusal(api.get("collection/detail", id=collection)) == (500, 501003, "unExistCollection")
    [fresh] = api.post("collection/listV2", {"datasetId": dataset}).data["list"]
    assert (fresh["name"], fresh["rawLink"]) == ("FAQ", url)
    assert chunks(api, fresh["_id"]) == ["# FAQ\n\nNew answer."]
    pages[url] = "New answer."  # same content and no title: nothing to do
    pages[url] = "# FAQ\n\nNew answer."
    assert api.post("collection/sync", {"collectionId": fresh["_id"]}).data == "sameRaw"
    api.post("collection/update", {"id": fresh["_id"], "name": "renamed by hand"})
    assert api.post("collection/sync", {"collectionId": fresh["_id"]}).data == "success"  # the title differs
    assert api.collection(fresh["_id"])["name"] == "FAQ"
    pages[url] = ""
    empty = api.post("collection/sync", {"collectionId": fresh["_id"]})
    assert (empty.status, empty.body["message"]) == (500, "Can not fetch content from link")
    text = api.text_collection(dataset, "text")
    assert api.refusal(api.post("collection/sync", {"collectionId": text})) == (500, 501001, "notSupportSync")
    assert api.post("collection/sync", {"collectionId": "x"}).status == 400


def test_an_empty_page_fails_the_link_parse(api: Api) -> None:
    api.fake.datasets.web_pages["https://empty.example/"] = ""
    created = api.post(
        "collection/create/link", {"datasetId": api.dataset(), "link": "https://empty.example/"}
    ).data
    assert api.collection(created["collectionId"])["slowestTrainingStatus"] == "error"


# ---- training ------------------------------------------------------------------------------------


def test_pushed_data_trains_for_the_delay(clock: Clock) -> None:
    api = Api(FakeFastGPT(version=PRE_4172, clock=clock, training_delay=10))
    dataset = api.dataset()
    collection = api.virtual(dataset)
    assert api.push(collection, {"q": "alpha"}, {"q": "beta"}) == 2
    detail = api.collection(collection)
    assert {
        k: detail[k] for k in ("trainingAmount", "activeTrainingAmount", "finalErrorAmount", "hasError")
    } == {
        "trainingAmount": 2,
        "activeTrainingAmount": 2,
        "finalErrorAmount": 0,
        "hasError": False,
    }
    assert (detail["slowestTrainingMode"], detail["slowestTrainingStatus"], detail["indexAmount"]) == (
        "chunk",
        "running",
        0,
    )
    listed = api.post("collection/listV2", {"datasetId": dataset}).data["list"][0]
    assert (listed["dataAmount"], listed["trainingAmount"], listed["slowestTrainingStatus"]) == (
        0,
        2,
        "running",
    )
    assert api.data(collection) == []
    assert api.post("searchTest", {"datasetId": dataset, "text": "alpha"}).data["list"] == []
    clock.now += 9.9
    assert api.collection(collection)["trainingAmount"] == 2
    clock.now += 0.1
    done = api.collection(collection)
    assert (done["trainingAmount"], done["slowestTrainingStatus"], done["indexAmount"]) == (0, "ready", 2)
    assert "slowestTrainingMode" not in done
    rows = api.data(collection)
    assert [r["q"] for r in rows] == ["beta", "alpha"]  # both chunkIndex 0: the newer first (_id: -1)
    # data comes into being when its training ends
    assert api.get("data/detail", id=rows[0]["_id"]).data["updateTime"] == "2026-08-01T00:00:10.000Z"


def test_imports_parse_first_and_qa_collections_train_in_qa_mode(clock: Clock) -> None:
    fake = FakeFastGPT(version=PRE_4172, clock=clock, training_delay=5)
    api = Api(fake)
    dataset = api.dataset()
    text = api.text_collection(dataset, GUIDE, **FORCE)
    parsing = api.collection(text)
    assert (parsing["trainingAmount"], parsing["slowestTrainingMode"], parsing["slowestTrainingStatus"]) == (
        1,
        "parse",
        "running",
    )
    qa = api.virtual(dataset)
    fake.datasets.collections[qa].settings["trainingType"] = "qa"
    api.push(qa, {"q": "question", "a": "answer"})
    assert api.collection(qa)["slowestTrainingMode"] == "qa"
    fake.datasets.training_delay = 0  # settable: later imports train at once
    assert api.data(api.text_collection(dataset, "instant")) != []
    clock.now += 5
    assert api.collection(text)["slowestTrainingStatus"] == "ready"
    assert len(api.data(text)) == 4


def test_a_failed_parse_runs_for_the_delay_then_fails(clock: Clock) -> None:
    api = Api(FakeFastGPT(version=PRE_4172, clock=clock, training_delay=3))
    answer = api.upload(
        {"data": json.dumps({"datasetId": api.dataset()})}, {"file": ("a.docx", b"PK", "x/y")}
    )
    assert api.collection(answer.data["collectionId"])["slowestTrainingStatus"] == "running"
    clock.now += 3
    assert api.collection(answer.data["collectionId"])["slowestTrainingStatus"] == "error"
