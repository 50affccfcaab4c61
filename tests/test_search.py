"""Search on the real corpus with the real model."""

from __future__ import annotations

import pytest

from search.errors import BadRequest, NotFound
from search.service import Filters

pytestmark = pytest.mark.integration


def test_drowning_query_finds_measures_in_several_plans(service):
    result = service.search("预防儿童溺水", top_k=10)
    assert result.hits, "no hits"
    texts = [h.text for h in result.hits]
    assert any("溺水" in t for t in texts[:3])
    assert len({h.doc_id for h in result.hits}) >= 4, "results should span the plans"


def test_no_clause_repeats(service):
    for query in ["儿童近视", "家庭教育指导服务", "妇女就业"]:
        ids = [h.clause_id for h in service.search(query, top_k=30).hits]
        assert len(ids) == len(set(ids))


def test_hit_contract(service):
    hit = service.search("婴儿死亡率", top_k=1).hits[0].to_dict()
    for key in ("clause_id", "doc_id", "title", "jurisdiction", "section_path", "number", "kind", "text",
                "highlights", "score", "source", "citation"):
        assert key in hit
    assert set(hit["source"]) == {"file", "line_start", "line_end"}
    assert hit["citation"].startswith("《")
    for span in hit["highlights"]:
        assert hit["text"][span["start"]:span["end"]] == span["text"]


def test_jurisdiction_filter_is_exact_and_partial_names_work(service):
    for name, expected in [("大渡口区", "大渡口区"), ("大渡口", "大渡口区"), ("西区", "攀枝花市西区"), ("攀枝花市西区", "攀枝花市西区")]:
        hits = service.search("儿童安全", top_k=20, filters=Filters(jurisdiction=name)).hits
        assert hits and {h.jurisdiction for h in hits} == {expected}


def test_jurisdiction_named_in_query_is_honoured(service):
    hits = service.search("石拐区儿童友好公园建设", top_k=10).hits
    assert hits and {h.jurisdiction for h in hits} == {"石拐区"}


def test_unknown_jurisdiction_returns_nothing_and_lists_known(service):
    result = service.search("儿童溺水", filters=Filters(jurisdiction="成都市"))
    assert result.hits == []
    assert result.message and "大渡口区" in result.message


def test_kind_and_subject_filters(service):
    hits = service.search("死亡率", top_k=20, filters=Filters(kind="indicator")).hits
    assert hits and {h.kind for h in hits} == {"indicator"}
    hits = service.search("就业", top_k=20, filters=Filters(subject="妇女")).hits
    assert hits and {h.doc_id for h in hits} == {"xiqu-women"}


def test_bad_input_is_a_clear_error(service):
    with pytest.raises(BadRequest):
        service.search("   ")
    with pytest.raises(BadRequest):
        service.search("溺水", top_k=0)
    with pytest.raises(BadRequest):
        service.search("溺水", filters=Filters(kind="poem"))
    with pytest.raises(NotFound):
        service.search("溺水", filters=Filters(doc_id="no-such-doc"))


def test_text_is_as_printed(service):
    # Zigong prints a full-width digit; the hit must keep it.
    hits = service.search("自贡 每个街道和乡镇配备儿童督导员", top_k=5).hits
    assert any("配备１名儿童督导员" in h.text for h in hits)


def test_documents_and_clause_context(service):
    docs = {d["doc_id"]: d for d in service.list_documents()}
    assert set(docs) == {"zigong-children", "xiangning-children", "xiqu-women", "xiqu-children", "shiguai-children", "dadukou-children"}
    assert all(d["clause_count"] > 50 for d in docs.values())
    full = service.get_document("dadukou-children")
    assert len(full["clauses"]) == docs["dadukou-children"]["clause_count"]
    some = full["clauses"][40]
    ctx = service.get_clause(some["clause_id"])
    assert ctx["clause"]["clause_id"] == some["clause_id"]
    assert ctx["before"] and ctx["section"]
