"""Quality floors on the dev set (../shared/eval/dev.jsonl, copied to tests/data).

A regression in retrieval or answers below these floors fails CI. The floors
sit a little under what the system measures (see README) so that harmless
changes in floating point do not flip them."""

from __future__ import annotations

import pytest

from search.evaluate import run_eval

from .conftest import DEV_SET

pytestmark = [pytest.mark.integration, pytest.mark.eval]


@pytest.fixture(scope="module")
def dev_result(service):
    return run_eval(service, DEV_SET, top_k=10)


def test_retrieval_floors(dev_result):
    overall = dev_result["overall"]
    assert overall["recall@10"] >= 0.95, overall
    assert overall["mrr@10"] >= 0.90, overall
    assert overall["ndcg@10"] >= 0.90, overall


def test_no_query_type_below_floor(dev_result):
    for qtype, metrics in dev_result["by_type"].items():
        assert metrics["mrr@10"] >= 0.80, (qtype, metrics)


def test_answer_floors(dev_result):
    answers = dev_result["answers"]
    assert answers["target_exact"] >= 0.90, answers
    assert answers["compare_complete"] >= 0.70, answers
    assert answers["answerable_found"] >= 0.95, answers
    assert answers["unanswerable_not_found"] >= 0.90, answers
