"""The library API (`from policy_search import Library`) and the LangChain
retriever adapter, over the session's real index."""

from __future__ import annotations

import pytest

from policy_search import Library, SimilarClause
from search.answer import Answer
from search.errors import BadRequest, NotFound
from search.hits import Hit
from search.targets_table import Comparison
from tests.conftest import CORPUS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def library(service) -> Library:
    return Library(service)  # the session's service: the model is loaded once


def test_search_returns_whole_clauses_with_citations(library):
    hits = library.search("防止儿童溺水", top_k=3, jurisdiction="自贡")
    assert len(hits) == 3 and all(isinstance(h, Hit) for h in hits)
    assert all(h.jurisdiction == "自贡市" and h.citation.startswith("《自贡市儿童发展纲要") for h in hits)
    assert "溺水" in hits[0].text
    assert len({h.clause_id for h in hits}) == 3
    assert hits[0].to_dict()["clause_id"] == hits[0].clause_id


def test_filters_are_those_of_the_api(library):
    measures = library.search("儿童近视防控", top_k=5, kind="measure", doc_id="shiguai-children")
    assert measures and all(h.kind == "measure" and h.doc_id == "shiguai-children" for h in measures)
    with pytest.raises(BadRequest):
        library.search("溺水", kind="poem")
    with pytest.raises(NotFound):
        library.search("溺水", doc_id="no-such-plan")


def test_ask_compare_similar(library):
    answer = library.ask("大渡口区婴儿死亡率的目标是多少？")
    assert isinstance(answer, Answer) and answer.found
    assert "2.3" in (answer.answer or "") and answer.citations[0].doc_id == "dadukou-children"

    comparison = library.compare("婴儿死亡率")
    assert isinstance(comparison, Comparison)
    assert {r.doc_id for r in comparison.rows} >= {"dadukou-children", "zigong-children"}
    only = library.compare("婴儿死亡率", jurisdiction="自贡")
    assert [r.doc_id for r in only.rows] == ["zigong-children"]

    matches = library.similar(text="鼓励社区图书馆设立亲子阅读区", top_k=3)
    assert matches and all(isinstance(m, SimilarClause) for m in matches)
    assert matches[0].group in ("near-identical", "reworded", "related")
    assert matches[0].hit.citation.startswith("《") and matches[0].diff
    assert matches[0].to_dict()["clause"]["clause_id"] == matches[0].hit.clause_id


def test_documents_and_clauses(library):
    docs = library.documents()
    assert len(docs) == 6
    doc = library.document("zigong-children")
    assert doc["clause_count"] == len(doc["clauses"]) > 100
    first = doc["clauses"][0]["clause_id"]
    assert library.hit(first).clause_id == first
    context = library.clause(first, context=2)
    assert len(context["after"]) == 2 and context["before"] == []
    assert "documents" in repr(library)


def test_open_builds_from_the_bundled_corpus_when_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_CACHE", str(tmp_path / "cache.sqlite"))  # empty: the shipped vectors serve
    with pytest.raises(Exception, match="ingest|index"):
        Library.open(tmp_path / "idx")
    lib = Library.open(tmp_path / "idx", build=True, corpus=CORPUS)
    assert len(lib.documents()) == 6
    assert lib.search("防止儿童溺水", top_k=1)[0].citation.startswith("《")


# ---- LangChain ---------------------------------------------------------------------------------


def test_langchain_retriever_returns_documents_with_citations(library):
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever

    from policy_search.langchain import PolicySearchRetriever

    retriever = library.retriever(top_k=3, jurisdiction="自贡")
    assert isinstance(retriever, BaseRetriever) and isinstance(retriever, PolicySearchRetriever)
    docs = retriever.invoke("防止儿童溺水")
    hits = library.search("防止儿童溺水", top_k=3, jurisdiction="自贡")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    for doc, hit in zip(docs, hits, strict=True):
        assert doc.page_content == hit.text
        assert doc.id == hit.clause_id
        meta = doc.metadata
        assert meta["citation"] == hit.citation and meta["clause_id"] == hit.clause_id
        assert meta["doc_id"] == "zigong-children" and meta["jurisdiction"] == "自贡市"
        assert meta["source"]["file"] == hit.source["file"] and isinstance(meta["section_path"], list)

    # the Runnable interface: batch, and filters set on the retriever
    batched = PolicySearchRetriever(library=library, top_k=2, doc_type="plan").batch(["婴儿死亡率", "家庭教育"])
    assert [len(b) for b in batched] == [2, 2]
    assert all(d.metadata["doc_type"] == "plan" for b in batched for d in b)
