"""The emulator's search: the lexical score, `searchTest` (shape, ordering, limit, similarity, modes),
and the built-in knowledge app answering from the best chunk and citing it, through raw
completions JSON."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from dataset._support import Api, Clock

from fastgpt_oapi.testing import FakeFastGPT
from fastgpt_oapi.testing.datasets import count_tokens, score, terms
from fastgpt_oapi.testing.knowledge import KNOWLEDGE_APP_ID, NO_ANSWER


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(clock: Clock) -> Api:
    return Api(FakeFastGPT(clock=clock))


# ---- the score -----------------------------------------------------------------------------------


def test_terms_are_words_and_cjk_bigrams() -> None:
    assert terms("Hello, WORLD! hello x2") == {"hello", "world", "x2"}
    assert terms("退货政策") == {"退货", "货政", "政策"}
    assert terms("买 a 书") == {"买", "a", "书"}  # a lone CJK character is a term
    assert terms("ｆｕｌｌｗｉｄｔｈ café_au_lait") == {"fullwidth", "café", "au", "lait"}  # NFKC, `_` splits
    assert terms("") == frozenset()


def test_the_score_is_the_cosine_of_the_term_sets() -> None:
    query, chunk = terms("refund policy"), terms("our refund policy is simple")
    assert score(query, chunk) == round(2 / math.sqrt(2 * 5), 4) == 0.6325
    assert score(query, terms("refund policy")) == 1.0
    assert score(query, terms("shipping")) == 0.0
    assert score(frozenset(), chunk) == 0.0
    assert score(terms("退货政策"), terms("我们的退货政策")) == round(3 / math.sqrt(3 * 6), 4)


def test_tokens_are_words_plus_cjk_characters() -> None:
    assert count_tokens("Hello, world! 你好") == 4
    assert count_tokens("") == 0


# ---- searchTest ----------------------------------------------------------------------------------


def seeded(api: Api) -> tuple[str, str, dict[str, str]]:
    dataset = api.dataset()
    collection = api.virtual(dataset, "faq")
    api.push(
        collection,
        {"q": "How do I get a refund?", "a": "Refunds are paid within 30 days.", "chunkIndex": 0},
        {"q": "Shipping takes five days.", "chunkIndex": 1},
        {"q": "Refund requests need the order number.", "chunkIndex": 2, "metadata": {"topic": "refunds"}},
        {"q": "Nothing related here.", "chunkIndex": 3, "indexes": [{"text": "warranty repair"}]},
    )
    ids = {row["q"]: row["_id"] for row in api.data(collection)}
    return dataset, collection, ids


def test_search_test_answers_fastgpts_shape_best_first(api: Api) -> None:
    dataset, collection, ids = seeded(api)
    answer = api.post("searchTest", {"datasetId": dataset, "text": "refund"}).data
    assert list(answer) == ["list", "duration", "limit", "searchMode", "usingReRank", "similarity"]
    assert answer["duration"] == "0.000s"  # the clock did not move
    assert (answer["limit"], answer["searchMode"], answer["usingReRank"], answer["similarity"]) == (
        5000,
        "embedding",
        False,
        0,
    )
    assert [item["q"] for item in answer["list"]] == [
        "Refund requests need the order number.",
        "How do I get a refund?",
    ]
    first, second = answer["list"]
    assert first == {
        "q": "Refund requests need the order number.",
        "a": "",
        "id": ids["Refund requests need the order number."],
        "datasetId": dataset,
        "collectionId": collection,
        "updateTime": "2026-08-01T00:00:00.000Z",
        "sourceName": "faq",
        "chunkIndex": 2,
        "score": [{"type": "embedding", "value": round(1 / math.sqrt(6), 4), "index": 0}],
        "metadata": {"topic": "refunds"},
    }
    assert second["a"] == "Refunds are paid within 30 days."  # q and a are scored together
    assert second["score"] == [{"type": "embedding", "value": round(1 / math.sqrt(12), 4), "index": 1}]
    # a custom index is searched too, and a hit on it finds its data
    repair = api.post("searchTest", {"datasetId": dataset, "text": "warranty repair"}).data["list"]
    assert [(item["q"], item["score"][0]["value"]) for item in repair] == [("Nothing related here.", 1.0)]


def test_ties_go_to_the_older_chunk_and_sources_are_named(api: Api) -> None:
    dataset = api.dataset()
    first = api.text_collection(dataset, "apples and pears", name="one")
    second = api.text_collection(dataset, "pears and apples", name="two")
    found = api.post("searchTest", {"datasetId": dataset, "text": "apples pears"}).data["list"]
    assert [item["collectionId"] for item in found] == [first, second]
    assert [item["sourceName"] for item in found] == ["one.txt", "two.txt"]
    assert found[0]["sourceId"] == api.collection(first)["fileId"]


def test_limit_is_a_token_budget_that_keeps_the_crossing_chunk(api: Api) -> None:
    dataset = api.dataset()
    collection = api.virtual(dataset)
    api.push(
        collection, *({"q": f"alpha {'word ' * 9}{n}", "chunkIndex": n} for n in range(5))
    )  # 11 tokens each

    def found(limit: int) -> int:
        answer = api.post("searchTest", {"datasetId": dataset, "text": "alpha", "limit": limit}).data
        return len(answer["list"])

    assert found(21) == 2  # 11, then 22: over the budget, so the search stops after that chunk
    assert found(22) == 3  # 22 is not over 22: one more is taken (and it crosses the budget)
    assert found(1) == 1  # never fewer than one
    assert (
        api.post("searchTest", {"datasetId": dataset, "text": "alpha", "limit": 99999}).data["limit"] == 20000
    )


def test_similarity_filters_in_embedding_mode_only(api: Api) -> None:
    dataset, _, _ = seeded(api)
    body = {"datasetId": dataset, "text": "refund", "similarity": 0.35}
    strict = api.post("searchTest", body).data
    assert [item["chunkIndex"] for item in strict["list"]] == [2]  # 0.4082 kept, 0.2887 dropped
    assert strict["similarity"] == 0.35
    full_text = api.post("searchTest", {**body, "searchMode": "fullTextRecall"}).data
    assert [item["chunkIndex"] for item in full_text["list"]] == [2, 0]
    assert full_text["searchMode"] == "fullTextRecall"
    assert full_text["list"][1]["score"] == [{"type": "fullText", "value": 0.2887, "index": 1}]
    mixed = api.post("searchTest", {**body, "searchMode": "mixedRecall"}).data
    assert [item["chunkIndex"] for item in mixed["list"]] == [2, 0]
    assert mixed["list"][1]["score"] == [
        {"type": "embedding", "value": 0.2887, "index": 1},
        {"type": "fullText", "value": 0.2887, "index": 1},
        {"type": "rrf", "value": 1 / 62, "index": 1},
    ]


def test_forbidden_collections_and_other_datasets_are_not_searched(api: Api) -> None:
    dataset, collection, _ = seeded(api)
    elsewhere = api.virtual(api.dataset("other"))
    api.push(elsewhere, {"q": "refund elsewhere"})
    assert all(
        item["datasetId"] == dataset
        for item in api.post("searchTest", {"datasetId": dataset, "text": "refund"}).data["list"]
    )
    api.post("collection/update", {"id": collection, "forbid": True})
    assert api.post("searchTest", {"datasetId": dataset, "text": "refund"}).data["list"] == []


def test_search_test_refusals(api: Api) -> None:
    dataset, _, _ = seeded(api)
    blank = api.post("searchTest", {"datasetId": dataset, "text": "  "})
    assert blank.status == 400
    assert blank.body["zodError"] == [
        {"code": "custom", "path": [], "message": "text or queryImageUrls is required"}
    ]
    assert api.post("searchTest", {"datasetId": dataset, "text": "x", "searchMode": "vector"}).status == 400
    assert api.post("searchTest", {"datasetId": "nope", "text": "x"}).status == 400
    assert api.refusal(api.post("searchTest", {"datasetId": "0" * 24, "text": "x"})) == (
        500,
        501002,
        "unExistDataset",
    )
    foreign = api.post("searchTest", {"datasetId": dataset, "queryImageUrls": ["dataset/abc/cat.png"]})
    assert (foreign.status, foreign.body["message"]) == (500, "Invalid query image key")
    own = api.post(
        "searchTest", {"datasetId": dataset, "queryImageUrls": ["temp/66e29b870b24ce35330c0e00/cat.png"]}
    )
    assert own.data["list"] == []  # image queries add nothing to a lexical search
    assert api.post("searchTest", {"datasetId": dataset, "queryImageUrls": ["temp/x"] * 11}).status == 400


# ---- the knowledge app ---------------------------------------------------------------------------


def ask(api: Api, question: str, app_id: str = KNOWLEDGE_APP_ID, **fields: Any) -> Any:
    body = {"appId": app_id, "messages": [{"role": "user", "content": question}], "detail": True, **fields}
    answer = api.call("POST", "/api/v2/chat/completions", body)
    assert answer.status == 200, answer.body
    return answer.body


def test_the_knowledge_app_is_built_in() -> None:
    fake = FakeFastGPT()
    assert fake.apps["knowledge"] == KNOWLEDGE_APP_ID
    assert fake.app_id != KNOWLEDGE_APP_ID  # echo stays the default app


def test_the_knowledge_app_answers_with_the_best_chunk_and_cites_it(api: Api) -> None:
    dataset, collection, ids = seeded(api)
    reply = ask(api, "How can I get a refund?", chatId="kb-1")
    best = "How do I get a refund?"
    assert reply["choices"][0]["message"]["content"] == f"{best}\nRefunds are paid within 30 days."
    start, search, answer = reply["responseData"]
    assert (start["moduleType"], search["moduleType"], answer["moduleType"]) == (
        "workflowStart",
        "datasetSearchNode",
        "answerNode",
    )
    assert {k: search[k] for k in ("query", "searchMode", "limit", "similarity", "searchUsingReRank")} == {
        "query": "How can I get a refund?",
        "searchMode": "embedding",
        "limit": 5000,
        "similarity": 0.0,
        "searchUsingReRank": False,
    }
    assert search["datasetQueries"] == ["How can I get a refund?"]
    assert search["embeddingModel"] == "text-embedding-3-small"
    cited = search["quoteList"][0]
    assert (
        cited
        == api.post("searchTest", {"datasetId": dataset, "text": "How can I get a refund?"}).data["list"][0]
    )
    assert (cited["id"], cited["collectionId"], cited["datasetId"], cited["sourceName"]) == (
        ids[best],
        collection,
        dataset,
        "faq",
    )
    assert cited["score"][0]["type"] == "embedding"
    # the chat's record keeps the citation: FastGPT's quote read serves the chunk
    record = api.post(
        "/api/core/chat/getPaginationRecords", {"appId": KNOWLEDGE_APP_ID, "chatId": "kb-1"}
    ).data["list"][-1]
    quotes = api.post(
        "/api/core/chat/record/getQuote",
        {
            "appId": KNOWLEDGE_APP_ID,
            "chatId": "kb-1",
            "chatItemDataId": record["dataId"],
            "datasetDataIdList": [ids[best]],
            "collectionIdList": [collection],
        },
    ).data
    assert [(q["_id"], q["q"], q["a"]) for q in quotes] == [
        (ids[best], best, "Refunds are paid within 30 days.")
    ]


def test_the_knowledge_app_says_so_when_nothing_matches(api: Api) -> None:
    seeded(api)
    reply = ask(api, "quantum chromodynamics")
    assert (
        reply["choices"][0]["message"]["content"] == NO_ANSWER == "No answer was found in the knowledge base."
    )
    assert reply["responseData"][1]["quoteList"] == []
    empty = Api(FakeFastGPT())
    assert ask(empty, "anything")["choices"][0]["message"]["content"] == NO_ANSWER


def test_the_knowledge_app_streams_its_answer(api: Api) -> None:
    seeded(api)
    body = {"appId": KNOWLEDGE_APP_ID, "messages": [{"role": "user", "content": "shipping"}], "stream": True}
    response = api.fake.handle(
        "POST",
        "/api/v1/chat/completions",
        {},
        {**api.auth, "content-type": "application/json"},
        json.dumps(body).encode(),
    )
    text = ""
    for line in response.body.decode().splitlines():
        if line.startswith("data: {") and '"choices"' in line:
            delta = json.loads(line[6:])["choices"][0]["delta"]
            text += delta.get("content") or ""
    assert text == "Shipping takes five days."


def test_a_knowledge_app_can_be_bound_to_some_datasets(api: Api) -> None:
    seeded(api)
    other = api.dataset("other")
    api.push(api.virtual(other, "elsewhere"), {"q": "Refund elsewhere is slow."})
    app_id = "0123456789abcdef01234567"
    api.fake.register_app(app_id, api.fake.knowledge_app([other]), name="other-kb")
    assert api.fake.apps["other-kb"] == app_id
    reply = ask(api, "refund", app_id=app_id)
    assert reply["choices"][0]["message"]["content"] == "Refund elsewhere is slow."
    assert {q["datasetId"] for q in reply["responseData"][1]["quoteList"]} == {other}
    picky = "0123456789abcdef01234568"
    api.fake.register_app(picky, api.fake.knowledge_app(similarity=0.99))
    assert ask(api, "refund", app_id=picky)["choices"][0]["message"]["content"] == NO_ANSWER


def test_the_knowledge_app_sees_only_trained_chunks(clock: Clock) -> None:
    api = Api(FakeFastGPT(clock=clock, training_delay=60))
    api.push(api.virtual(api.dataset()), {"q": "The office opens at nine."})
    assert ask(api, "when does the office open")["choices"][0]["message"]["content"] == NO_ANSWER
    clock.now += 60
    assert (
        ask(api, "when does the office open")["choices"][0]["message"]["content"]
        == "The office opens at nine."
    )
