"""Retrieval from candidate lists (what a corpus above RANKING_FULL_MAX allowed
rows gets: FAISS's best rows, BM25 top-k with MaxScore, RRF over the two)
against whole rankings (every allowed row scored), on the real corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import search.retrieval as retrieval
from search.evaluate import run_eval
from search.service import Filters

pytestmark = pytest.mark.integration

DEV = Path(__file__).parent / "data" / "dev.jsonl"
TUNE = Path(__file__).parent / "data" / "eval" / "tune.jsonl"


def _queries(path: Path) -> list[tuple[str, dict]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["query"], r.get("filters") or {}) for r in rows]


def _top10(service, queries) -> list[list[str]]:
    return [[h.clause_id for h in service.search(q, 10, Filters.from_dict(f)).hits] for q, f in queries]


@pytest.mark.parametrize("which", ["plans", "mixed"])
def test_candidate_lists_find_what_whole_rankings_find(request, monkeypatch, which: str) -> None:
    service = request.getfixturevalue("service" if which == "plans" else "mixed_service")
    files = [DEV] if which == "plans" else [DEV, TUNE]
    for path in files:
        queries = _queries(path)
        whole = _top10(service, queries)
        metrics_whole = run_eval(service, path, answers=False)["overall"]
        monkeypatch.setattr(retrieval, "RANKING_FULL_MAX", 0)
        candidates = _top10(service, queries)
        metrics_candidates = run_eval(service, path, answers=False)["overall"]
        monkeypatch.setattr(retrieval, "RANKING_FULL_MAX", 20_000)
        overlap = sum(len(set(a) & set(b)) / max(1, len(a)) for a, b in zip(whole, candidates, strict=True)) / len(queries)
        # measured: 1.000 (plans, dev), 0.996 (mixed, dev), 0.979 (mixed, tune)
        assert overlap >= 0.95, (path.name, overlap)
        for metric in ("recall@10", "mrr@10", "ndcg@10"):
            assert abs(metrics_candidates[metric] - metrics_whole[metric]) <= 0.01, (path.name, metric)


def test_candidate_lists_keep_filters(monkeypatch, service) -> None:
    monkeypatch.setattr(retrieval, "RANKING_FULL_MAX", 0)
    doc_id = next(iter(service.documents))
    hits = service.search("儿童溺水", 10, Filters(doc_id=doc_id)).hits
    assert hits and all(h.doc_id == doc_id for h in hits)
    kinds = service.search("儿童溺水", 10, Filters(kind="target")).hits
    assert kinds and all(h.kind == "target" for h in kinds)
