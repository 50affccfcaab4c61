"""Precedent wording: char diffs, similar clauses, the shared-wording report.

Clauses and embeddings come from the session's real index (tests/conftest.py);
the report does not use vectors, so its engine gets random ones.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from ingest.model import Clause, Document, Jurisdiction
from search.diff import DiffSpan, char_diff, char_similarity, diff_html, fold
from search.shared_wording import shared_wording_report
from search.similar import (
    GROUPS,
    SimilarityEngine,
    best_per_document,
    group_matches,
    minhash_signatures,
)

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

def _path(c: Clause) -> str:
    return " ".join(c.section_path)


def _random_vectors(n: int, dim: int = 16) -> np.ndarray:
    v = np.random.default_rng(0).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture(scope="session")
def corpus(service) -> tuple[dict[str, Document], list[Clause]]:
    """The real corpus as parsed into the session's index."""
    return service.documents, service.clauses


@pytest.fixture(scope="session")
def semantic_engine(service) -> SimilarityEngine:
    """The service's engine: every clause, with the index's real embeddings."""
    return service.similarity


@pytest.fixture(scope="session")
def full_engine(corpus) -> SimilarityEngine:
    documents, clauses = corpus
    return SimilarityEngine(documents, clauses, _random_vectors(len(clauses)))


@pytest.fixture(scope="session")
def report(corpus, full_engine):
    documents, clauses = corpus
    return shared_wording_report(documents, clauses, full_engine)


def _tiles(spans: list[DiffSpan], a: str, b: str) -> bool:
    return "".join(s.a_text for s in spans) == a and "".join(s.b_text for s in spans) == b


def _ops(spans: list[DiffSpan]) -> list[tuple[str, str, str]]:
    return [(s.op, s.a_text, s.b_text) for s in spans]


# ---------------------------------------------------------------------------
# char_diff


def test_char_diff_replaced_number():
    a, b = "新生儿死亡率降至3.0‰以下", "新生儿死亡率降至2.5‰以下"
    spans = char_diff(a, b)
    assert _ops(spans) == [
        ("equal", "新生儿死亡率降至", "新生儿死亡率降至"),
        ("replace", "3.0", "2.5"),
        ("equal", "‰以下", "‰以下"),
    ]
    assert (spans[1].a_start, spans[1].a_end, spans[1].b_start, spans[1].b_end) == (8, 11, 8, 11)
    assert _tiles(spans, a, b)


def test_char_diff_inserted_phrase():
    a, b = "加强看护，保证儿童远离危险水体。", "加强看护，切实保证儿童远离危险水体。"
    spans = char_diff(a, b)
    assert _ops(spans) == [
        ("equal", "加强看护，", "加强看护，"),
        ("insert", "", "切实"),
        ("equal", "保证儿童远离危险水体。", "保证儿童远离危险水体。"),
    ]
    assert spans[1].a_start == spans[1].a_end == 5
    assert (spans[1].b_start, spans[1].b_end) == (5, 7)


def test_char_diff_deleted_phrase_and_names():
    a = "贯彻落实党中央、省委和市委关于儿童事业发展的决策部署"
    b = "贯彻落实党中央关于儿童事业发展的决策部署"
    spans = char_diff(a, b)
    assert _ops(spans) == [
        ("equal", "贯彻落实党中央", "贯彻落实党中央"),
        ("delete", "、省委和市委", ""),
        ("equal", "关于儿童事业发展的决策部署", "关于儿童事业发展的决策部署"),
    ]


def test_char_diff_folding_full_width_and_traditional():
    a = "５岁以下儿童贫血率控制在10％以下（２０３０年）"
    b = "5岁以下兒童貧血率控制在 10% 以下(2030年)"
    spans = char_diff(a, b)
    # equal in the folded comparison, returned as printed on each side
    assert [s.op for s in spans] == ["equal"]
    assert spans[0].a_text == a and spans[0].b_text == b
    assert char_similarity(a, b) == 1.0
    assert fold(a) == fold(b)


def test_char_diff_spans_keep_original_characters_around_changes():
    a = "儿童贫血率控制在１０％以下"
    b = "儿童贫血率控制在8%以下"
    spans = char_diff(a, b)
    assert ("replace", "１０", "8") in _ops(spans)
    assert _tiles(spans, a, b)
    assert all(s.to_dict()["op"] == s.op for s in spans)


def test_char_diff_edge_cases():
    assert char_diff("", "") == []
    assert _ops(char_diff("", "新增")) == [("insert", "", "新增")]
    assert _ops(char_diff("删去", "")) == [("delete", "删去", "")]
    assert char_similarity("", "") == 1.0
    assert char_similarity("abc", "") == 0.0


def test_diff_html_escapes_and_marks():
    spans = char_diff("<a>加强&看护", "<a>切实加强&看护")
    html = diff_html(spans)
    assert "&lt;a&gt;" in html and "&amp;" in html
    assert "<ins>切实</ins>" in html
    assert "<del>" in diff_html(char_diff("省委和市委", "市委"))


# ---------------------------------------------------------------------------
# similar()


def _find(clauses, doc_id, needle, section=None):
    hits = [
        c for c in clauses
        if c.doc_id == doc_id and needle in c.text[:30] and (section is None or section in _path(c))
    ]
    assert hits, f"no clause in {doc_id} with {needle!r}"
    return hits[0]


def test_similar_drowning_clause_finds_counterparts(semantic_engine):
    e = semantic_engine
    q = _find(e.clauses, "zigong-children", "预防和控制儿童溺水", "策略措施")
    matches = e.similar(clause_id=q.clause_id, top_k=10)
    assert matches and all(m.clause_id != q.clause_id for m in matches)
    assert all(m.doc_id != "zigong-children" for m in matches)  # same plan excluded
    top = {m.doc_id for m in matches[:5]}
    assert {"xiangning-children", "xiqu-children", "shiguai-children"} <= top
    for m in best_per_document(matches):
        if m.doc_id in {"xiangning-children", "xiqu-children", "shiguai-children"}:
            assert "溺水" in m.clause.text
            assert m.diff and _tiles(m.diff, q.text, m.clause.text)
            assert m.group in ("near-identical", "reworded")
            assert m.cosine is not None and m.cosine > 0.9
    xiqu = next(m for m in matches if m.doc_id == "xiqu-children")
    assert xiqu.group == "near-identical"
    # deterministic order: each plan's best match first, then the rest, each by score
    n_plans = len(best_per_document(matches))
    assert [m.doc_id for m in matches[:n_plans]] == [m.doc_id for m in best_per_document(matches)]
    for part in (matches[:n_plans], matches[n_plans:]):
        keys = [(-m.score, m.clause_id) for m in part]
        assert keys == sorted(keys)
    assert matches == e.similar(clause_id=q.clause_id, top_k=10)
    json.dumps([m.to_dict() for m in matches], ensure_ascii=False)


def test_similar_party_leadership_in_every_plan_that_has_one(semantic_engine):
    e = semantic_engine
    party = [c for c in e.clauses if "坚持党的全面领导" in c.text[:20] and "组织实施" in _path(c)]
    plans = {c.doc_id for c in party}
    assert len(plans) >= 4
    for c in party:
        matches = e.similar(clause_id=c.clause_id, top_k=10)
        found = {m.doc_id for m in matches if "坚持党的全面领导" in m.clause.text}
        assert plans - {c.doc_id} <= found, (c.clause_id, plans - {c.doc_id} - found)


def test_similar_text_query_and_filters(semantic_engine):
    e = semantic_engine
    q = _find(e.clauses, "zigong-children", "预防和控制儿童溺水", "策略措施")
    # text with its embedding: the clause itself comes first
    matches = e.similar(text=q.text, query_vector=e.vectors[e.index_of(q.clause_id)], top_k=5)
    assert matches[0].clause_id == q.clause_id and matches[0].char_similarity == 1.0
    # text without a vector: lexical near-duplicates only
    lexical = e.similar(text=q.text, top_k=5)
    assert lexical and all(m.cosine is None for m in lexical)
    assert lexical[0].clause_id == q.clause_id
    only = e.similar(clause_id=q.clause_id, doc_ids={"shiguai-children"}, top_k=3)
    assert only and {m.doc_id for m in only} == {"shiguai-children"}
    same = e.similar(clause_id=q.clause_id, exclude_same_doc=False, top_k=60)
    assert any(m.doc_id == "zigong-children" for m in same)
    assert all(m.clause_id != q.clause_id for m in same)
    grouped = group_matches(same)
    assert list(grouped) == list(GROUPS)
    assert sum(len(v) for v in grouped.values()) == len(same)
    with pytest.raises(ValueError):
        e.similar()
    with pytest.raises(ValueError):
        e.similar(clause_id=q.clause_id, text="x")
    with pytest.raises(KeyError):
        e.similar(clause_id="no-such-clause")


def test_engine_rejects_misaligned_vectors(corpus):
    documents, clauses = corpus
    with pytest.raises(ValueError):
        SimilarityEngine(documents, clauses[:10], _random_vectors(9))


def test_lsh_buckets_match_lsh_candidates(full_engine):
    e = full_engine
    buckets = e.lsh_buckets()
    assert buckets
    for bucket in buckets[:200]:
        i = int(bucket[0])
        cands = set(e.lexical_candidates(i))
        assert {int(j) for j in bucket[1:]} <= cands


def test_minhash_signature_estimates_jaccard():
    a = fold("预防和控制儿童溺水。加强看护，保证儿童远离危险水体。制定实施地方预防儿童溺水行动计划。")
    b = fold("预防和控制儿童溺水。加强看护，保证儿童远离危险水体。落实溺水防控措施。")
    sa, sb = minhash_signatures([a, b, "", "ab"])[:2]
    sh = lambda t: {t[i : i + 3] for i in range(len(t) - 2)}  # noqa: E731
    true = len(sh(a) & sh(b)) / len(sh(a) | sh(b))
    assert abs(float((sa == sb).mean()) - true) < 0.2


# ---------------------------------------------------------------------------
# shared wording report


def test_report_has_organisation_and_principle_clusters(report):
    assert report.clusters
    for cluster in report.clusters:
        assert cluster.plan_count >= 2 == report.min_plans
        assert cluster.plan_count == len({m.doc_id for m in cluster.members})
        reps = [m for m in cluster.members if m.is_representative]
        assert len(reps) == 1 and reps[0].text == cluster.representative_text
    org = [
        c for c in report.clusters
        if c.plan_count >= 3
        and any("组织实施" in " ".join(m.section_path) or "监测评估" in " ".join(m.section_path)
                for m in c.members)
    ]
    assert org, "no 组织实施/监测评估 cluster"
    party = [
        c for c in report.clusters
        if c.plan_count >= 3 and "坚持党的全面领导" in c.representative_text
        and any("基本原则" in " ".join(m.section_path) for m in c.members)
    ]
    assert party, "no 基本原则 坚持党的全面领导 cluster"
    # variants carry diffs against the representative
    cluster = party[0]
    for m in cluster.members:
        if not m.is_representative:
            assert _tiles(m.diff, cluster.representative_text, m.text)
            assert m.similarity >= 0.5


def test_report_plan_specific_clause_in_no_cluster(corpus, report):
    _documents, clauses = corpus
    yidu = [c for c in clauses if c.doc_id == "dadukou-children" and "义渡公园" in c.text]
    assert yidu
    for c in yidu:
        assert report.cluster_of(c.clause_id) is None
    plans = {p.doc_id: p for p in report.plans}
    assert set(plans) >= {"zigong-children", "dadukou-children", "xiqu-women"}
    for p in plans.values():
        assert p.shared + p.own == p.total and 0.0 <= p.share <= 1.0
    assert plans["dadukou-children"].own > 0
    assert plans["zigong-children"].shared > 0


def test_report_renders(report):
    data = json.loads(report.to_json())
    assert data["clusters"] and data["plans"]
    member = data["clusters"][0]["members"][0]
    assert {"doc_id", "clause_id", "section_path", "text", "diff", "similarity"} <= set(member)
    rows = list(csv.reader(io.StringIO(report.to_csv())))
    assert rows[0][0] == "cluster_id"
    assert len(rows) - 1 == sum(c.size for c in report.clusters)  # one row per member
    page = report.to_html()
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    assert "共享措辞" in page and "<ins>" in page and "<del>" in page


def test_report_is_deterministic_and_respects_min_plans(corpus, full_engine, report):
    documents, clauses = corpus
    again = shared_wording_report(documents, clauses, full_engine)
    assert again.to_json() == report.to_json()
    wide = shared_wording_report(documents, clauses, full_engine, min_plans=4)
    assert wide.clusters and all(c.plan_count >= 4 for c in wide.clusters)
    assert len(wide.clusters) < len(report.clusters)


def test_report_scales_without_all_pairs(corpus):
    """Three perturbed copies of every plan: pairs checked stay near-linear."""
    documents, clauses = corpus
    docs = dict(documents)
    big = list(clauses)
    for k in (1, 2, 3):
        for d in documents.values():
            docs[f"{d.doc_id}~{k}"] = Document(
                doc_id=f"{d.doc_id}~{k}", title=d.title, subject=d.subject,
                jurisdiction=Jurisdiction(f"复制区{k}"), period=d.period, status=None,
                issued=None, doc_number=None, source_file=d.source_file, source_hash="",
            )
        for c in clauses:
            text = re.sub(r"\d+", lambda m, k=k: str(int(m.group()) + k), c.text)
            big.append(Clause(
                clause_id=f"{c.clause_id}~{k}", doc_id=f"{c.doc_id}~{k}",
                section_path=c.section_path, number=c.number, kind=c.kind, text=text,
                line_start=c.line_start, line_end=c.line_end, order=c.order,
                source_file=c.source_file,
            ))
    engine = SimilarityEngine(docs, big, _random_vectors(len(big)))
    rep = shared_wording_report(docs, big, engine)
    n = len(big)
    assert rep.stats["pairs_checked"] < 3 * n  # all pairs would be n*(n-1)/2
    # a copied clause lands in a cluster with its copies
    q = next(c for c in clauses if c.doc_id == "zigong-children" and "预防和控制儿童溺水" in c.text[:20])
    cluster = rep.cluster_of(q.clause_id)
    assert cluster is not None
    assert {f"{q.clause_id}~{k}" for k in (1, 2, 3)} <= {m.clause_id for m in cluster.members}
