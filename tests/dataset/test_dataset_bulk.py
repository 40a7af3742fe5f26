"""`push_all`'s batch fields, declared once (`PushDataFields`) for both twins."""

from __future__ import annotations

from typing import Any

import pytest

from fastgpt_oapi.api.dataset.bulk import PushDataFields, PushRun
from fastgpt_oapi.api.dataset.model import PushDataRequest

COLLECTION = "65f0c0ffee0000000000c0de"


def run(**fields: Any) -> PushRun:
    return PushRun(COLLECTION, batch_size=2, concurrency=1, resume=None, fields=fields)


def test_the_batch_fields_are_push_data_requests_own() -> None:
    assert set(PushDataFields.__annotations__) == set(PushDataRequest.model_fields) - {
        "collection_id",
        "data",
    }


def test_an_unknown_field_is_refused_as_a_keyword_argument_would_be() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'training_typ'"):
        run(training_typ="chunk")


def test_each_batch_carries_the_fields_given_and_leaves_out_the_none_ones() -> None:
    taken = run(training_type="qa", prompt=None).take(iter([{"q": "a"}, {"q": "b"}, {"q": "c"}]))
    assert taken is not None
    index, request = taken
    assert index == 0
    assert request.training_type == "qa"
    assert request.model_fields_set >= {"collection_id", "data", "training_type"}
    assert "prompt" not in request.model_fields_set
