"""Retrieval evaluation on a gold set, scored as ../shared/eval/README.md says.

A returned clause is a hit for a gold entry when its doc_id equals the entry's
doc and its text, with all whitespace removed, contains must_contain with all
whitespace removed. recall@k per gold entry (averaged per query), MRR@10 from
the first hit, nDCG@10 with binary gains over the gold entries.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_WS = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _WS.sub("", text)


@dataclass
class EvalQuery:
    qid: str
    qtype: str
    query: str
    filters: dict[str, Any]
    gold: list[dict[str, str]]
    answer: str | None = None


def load_queries(path: Path) -> list[EvalQuery]:
    """Read a JSONL gold file; a malformed line is a clear error naming its number."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                out.append(
                    EvalQuery(
                        qid=str(row.get("id", n)),
                        qtype=row.get("type", "unknown"),
                        query=row["query"],
                        filters=row.get("filters") or {},
                        gold=list(row.get("gold") or []),
                        answer=row.get("answer"),
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: not a valid eval line ({exc})") from exc
    return out


def gold_matches(hit: dict[str, Any], gold: list[dict[str, str]]) -> list[int]:
    """Indexes of the gold entries this hit satisfies."""
    text = _squash(hit["text"])
    return [i for i, g in enumerate(gold) if hit["doc_id"] == g["doc"] and _squash(g["must_contain"]) in text]


@dataclass
class QueryScore:
    qid: str
    qtype: str
    recall: dict[int, float]
    mrr: float
    ndcg: float
    first_hit_rank: int | None
    missing: list[dict[str, str]] = field(default_factory=list)


def score_query(q: EvalQuery, hits: list[dict[str, Any]], ks: Iterable[int] = (1, 5, 10)) -> QueryScore:
    """Score one ranked list of hits (dicts with doc_id and text) against gold."""
    matched_at: dict[int, int] = {}  # gold index -> first rank (1-based)
    first: int | None = None
    gains = []
    credited: set[int] = set()
    for rank, hit in enumerate(hits[:10], 1):
        idx = gold_matches(hit, q.gold)
        if idx and first is None:
            first = rank
        new = [i for i in idx if i not in credited]
        gains.append(1.0 if new else 0.0)
        credited.update(new)
        for i in idx:
            matched_at.setdefault(i, rank)
    for rank, hit in enumerate(hits[10:], 11):
        for i in gold_matches(hit, q.gold):
            matched_at.setdefault(i, rank)
    n_gold = len(q.gold)
    recall = {k: (sum(1 for r in matched_at.values() if r <= k) / n_gold if n_gold else 0.0) for k in ks}
    dcg = sum(g / math.log2(r + 1) for r, g in enumerate(gains, 1))
    idcg = sum(1.0 / math.log2(r + 1) for r in range(1, min(n_gold, 10) + 1))
    missing = [g for i, g in enumerate(q.gold) if matched_at.get(i, 99) > 10]
    return QueryScore(
        qid=q.qid,
        qtype=q.qtype,
        recall=recall,
        mrr=1.0 / first if first else 0.0,
        ndcg=dcg / idcg if idcg else 0.0,
        first_hit_rank=first,
        missing=missing,
    )


def aggregate(scores: list[QueryScore]) -> dict[str, float]:
    if not scores:
        return {"queries": 0}
    out: dict[str, float] = {"queries": len(scores)}
    for k in sorted(scores[0].recall):
        out[f"recall@{k}"] = sum(s.recall[k] for s in scores) / len(scores)
    out["mrr@10"] = sum(s.mrr for s in scores) / len(scores)
    out["ndcg@10"] = sum(s.ndcg for s in scores) / len(scores)
    return out


def evaluate(
    queries: list[EvalQuery],
    search: Callable[[EvalQuery], list[dict[str, Any]]],
    answer_found: Callable[[EvalQuery], bool] | None = None,
) -> dict[str, Any]:
    """Run every query; returns overall and per-type metrics and per-query detail.

    Queries without gold (unanswerable) are scored on whether ``answer_found``
    says the plans do not state it."""
    scored: list[QueryScore] = []
    unanswerable: list[dict[str, Any]] = []
    for q in queries:
        if not q.gold:
            if answer_found is not None:
                unanswerable.append({"id": q.qid, "not_stated": not answer_found(q)})
            continue
        scored.append(score_query(q, search(q)))
    by_type: dict[str, list[QueryScore]] = {}
    for s in scored:
        by_type.setdefault(s.qtype, []).append(s)
    result: dict[str, Any] = {
        "overall": aggregate(scored),
        "by_type": {t: aggregate(v) for t, v in sorted(by_type.items())},
        "queries": [
            {"id": s.qid, "type": s.qtype, "first_hit_rank": s.first_hit_rank, "recall@10": s.recall.get(10, 0.0), "missing": s.missing}
            for s in scored
        ],
    }
    if unanswerable:
        result["unanswerable"] = {
            "queries": len(unanswerable),
            "not_stated_rate": sum(1 for u in unanswerable if u["not_stated"]) / len(unanswerable),
            "detail": unanswerable,
        }
    return result


def run_eval(service: Any, path: Path, top_k: int = 10) -> dict[str, Any]:
    """Evaluate a SearchService on a gold file (search for ranked metrics,
    ask for the unanswerable ones when the service can answer)."""
    from .service import Filters

    queries = load_queries(path)

    def search(q: EvalQuery) -> list[dict[str, Any]]:
        result = service.search(q.query, top_k, Filters.from_dict(q.filters))
        return [h.to_dict() for h in result.hits]

    answer_found = None
    if hasattr(service, "ask"):
        def answer_found(q: EvalQuery) -> bool:
            return bool(service.ask(q.query, Filters.from_dict(q.filters)).found)

    return evaluate(queries, search, answer_found)
