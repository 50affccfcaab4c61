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

from ingest.text import squash


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


def set_on_index(spec: str, default_index: str) -> tuple[Path, str]:
    """An eval set and the index its questions are asked on: ``PATH`` (on
    ``default_index``) or ``PATH@INDEX`` (a set about other documents, such as
    the bulk laws of ``tests/data/eval/bulk-*.jsonl``)."""
    path, _, index = spec.partition("@")
    return Path(path), index or default_index


def gold_matches(hit: dict[str, Any], gold: list[dict[str, str]]) -> list[int]:
    """Indexes of the gold entries this hit satisfies."""
    text = squash(hit["text"])
    return [i for i, g in enumerate(gold) if hit["doc_id"] == g["doc"] and squash(g["must_contain"]) in text]


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


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．", "0123456789.")


def _numbers(value: object) -> list[str]:
    """The numbers a value states (full-width digits folded); a qualitative value is itself.
    A number (a target-table row's ``value``) is written as ``format(v, "g")``."""
    if value is None:
        return []
    text = value if isinstance(value, str) else format(value, "g") if isinstance(value, (int, float)) else str(value)
    found = re.findall(r"\d+(?:\.\d+)?", text.translate(_FULLWIDTH_DIGITS))
    return found or [squash(text)]


def _printed_value(row: dict[str, Any]) -> object:
    """The value of an answer row as printed: a compare row's ``value`` string,
    or a target-table row's ``value_text`` (its ``value`` is a float)."""
    value = row.get("value")
    if isinstance(value, str):
        return value
    return row.get("value_text") or value


def _parse_compare_answer(answer: str) -> dict[str, list[str]]:
    """'doc: v1/v2; doc: v' -> {doc: [v1, v2]}."""
    out: dict[str, list[str]] = {}
    for part in answer.split(";"):
        if ":" not in part:
            continue
        doc, value = part.split(":", 1)
        out[doc.strip()] = [squash(v) for v in re.split(r"[/、]", value) if squash(v)]
    return out


def score_answers(queries: list[EvalQuery], ask: Callable[[EvalQuery], Any]) -> dict[str, Any]:
    """Answer quality: target values exact, compare values per gold plan,
    found for answerable questions, not-found for unanswerable ones."""
    target_total = target_exact = 0
    compare_total = compare_complete = 0
    answerable = answerable_found = 0
    unanswerable = unanswerable_not_found = 0
    detail = []
    for q in queries:
        answer = ask(q)
        row: dict[str, Any] = {"id": q.qid, "type": q.qtype, "found": answer.found, "answer": answer.answer}
        if q.gold:
            answerable += 1
            answerable_found += bool(answer.found)
        else:
            unanswerable += 1
            unanswerable_not_found += not answer.found
        if q.qtype == "target" and q.answer:
            target_total += 1
            ok = bool(answer.found) and squash(answer.answer or "") == squash(q.answer)
            target_exact += ok
            row["ok"] = ok
        if q.qtype == "compare" and q.answer:
            compare_total += 1
            gold = _parse_compare_answer(q.answer)
            got = {v["doc_id"]: _numbers(_printed_value(v)) for v in getattr(answer, "values", [])}
            ok = all(doc in got and all(n in got[doc] for part in parts for n in _numbers(part)) for doc, parts in gold.items())
            compare_complete += ok
            row["ok"] = ok
        detail.append(row)
    return {
        "target_exact": target_exact / target_total if target_total else 0.0,
        "compare_complete": compare_complete / compare_total if compare_total else 0.0,
        "answerable_found": answerable_found / answerable if answerable else 0.0,
        "unanswerable_not_found": unanswerable_not_found / unanswerable if unanswerable else 0.0,
        "detail": detail,
    }


def run_eval(service: Any, path: Path, top_k: int = 10, answers: bool = True) -> dict[str, Any]:
    """Evaluate a SearchService on a gold file: ranked retrieval metrics from
    search, and answer quality from ask."""
    from .service import Filters

    queries = load_queries(path)

    def search(q: EvalQuery) -> list[dict[str, Any]]:
        result = service.search(q.query, top_k, Filters.from_dict(q.filters))
        return [h.to_dict() for h in result.hits]

    def ask(q: EvalQuery) -> Any:
        return service.ask(q.query, Filters.from_dict(q.filters))

    result = evaluate(queries, search, (lambda q: bool(ask(q).found)) if answers else None)
    if answers:
        result["answers"] = score_answers(queries, ask)
    return result
