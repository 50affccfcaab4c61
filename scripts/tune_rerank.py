"""Reproduce the reranker weights in search/data/rerank_weights.json.

Computes each dev query's candidate features once, then runs a seeded random
search over the feature weights, scoring each setting by the mean of MRR@10,
nDCG@10 and recall@10 with the same spreading the service applies. To keep
the weights general, it reports 5-fold cross-validated scores (tune on four
folds, score the fifth) next to the fit on the whole set, and an ablation
table with each component switched off.

    .venv/bin/python scripts/tune_rerank.py --index data/index [--write]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from search.evaluate import EvalQuery, aggregate, load_queries, score_query  # noqa: E402
from search.fusion import spread_across_groups  # noqa: E402
from search.retrieval import RerankWeights  # noqa: E402
from search.service import Filters, SearchService  # noqa: E402

FEATURES = [f.name for f in fields(RerankWeights)]


def collect(service: SearchService, queries: list[EvalQuery]) -> list[dict]:
    """Per query: candidate rows, their feature matrix, and whether results spread."""
    out = []
    for q in queries:
        if not q.gold:
            continue
        filters = Filters.from_dict(q.filters)
        analysis = service.analyzer.analyze(q.query)
        rows, _, _ = service.resolve_filters(filters, analysis)
        spread = service.should_spread(analysis, filters)
        cands = service.retriever.retrieve(analysis, rows, 10, spread=False)
        matrix = np.array([[c.features.get(f, 0.0) for f in FEATURES] for c in cands], dtype=np.float64)
        out.append({"q": q, "rows": [c.row for c in cands], "X": matrix, "spread": spread})
    return out


def evaluate(service: SearchService, data: list[dict], w: np.ndarray) -> dict[str, float]:
    scores = []
    for item in data:
        s = item["X"] @ w
        order = sorted(range(len(s)), key=lambda i: (-s[i], item["rows"][i]))
        ranked = [(item["rows"][i], float(s[i])) for i in order]
        if item["spread"]:
            ranked = spread_across_groups(
                ranked, lambda r: service.clauses[r].doc_id, top_k=10, min_relative=0.6, per_group_cap=3
            )
        hits = [{"doc_id": service.clauses[r].doc_id, "text": service.clauses[r].text} for r, _ in ranked[:10]]
        scores.append(score_query(item["q"], hits))
    return aggregate(scores)


def objective(m: dict[str, float]) -> float:
    return (m["mrr@10"] + m["ndcg@10"] + m["recall@10"]) / 3


def search(service: SearchService, data: list[dict], base: np.ndarray, trials: int, seed: int) -> np.ndarray:
    rng = random.Random(seed)
    best_w, best = base.copy(), objective(evaluate(service, data, base))
    for _ in range(trials):
        w = best_w * np.array([rng.choice([0.5, 0.75, 1.0, 1.0, 1.33, 2.0]) for _ in FEATURES])
        if rng.random() < 0.2:
            w[rng.randrange(len(w))] = 0.0
        value = objective(evaluate(service, data, w))
        # prefer the smaller change on ties, so weights move only for a reason
        if value > best + 1e-9:
            best_w, best = w, value
    return best_w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default="data/index")
    parser.add_argument("--dev", default=str(REPO / "tests" / "data" / "dev.jsonl"))
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="write search/data/rerank_weights.json")
    args = parser.parse_args()

    service = SearchService.open(args.index)
    queries = load_queries(Path(args.dev))
    data = collect(service, queries)
    base = np.array([getattr(RerankWeights(), f) for f in FEATURES])

    def fmt(m: dict[str, float]) -> str:
        return f"recall@10 {m['recall@10']:.3f}  MRR@10 {m['mrr@10']:.3f}  nDCG@10 {m['ndcg@10']:.3f}"

    print("defaults        ", fmt(evaluate(service, data, base)))
    # 5-fold cross-validation: how the tuned weights do on queries they did not see
    rng = random.Random(args.seed)
    order = list(range(len(data)))
    rng.shuffle(order)
    folds = [order[i::5] for i in range(5)]
    held_out = []
    for k, fold in enumerate(folds):
        train = [data[i] for i in order if i not in fold]
        w = search(service, train, base, args.trials // 2, args.seed + k)
        held_out.extend(data[i] | {"w": w} for i in fold)
    cv_scores = []
    for item in held_out:
        cv_scores.append(evaluate(service, [item], item["w"]))
    cv = {k: sum(s[k] for s in cv_scores) / len(cv_scores) for k in ("recall@10", "mrr@10", "ndcg@10")}
    print("tuned, 5-fold CV", fmt(cv))
    tuned = search(service, data, base, args.trials, args.seed)
    print("tuned, all      ", fmt(evaluate(service, data, tuned)))
    print("weights:", {f: round(float(v), 3) for f, v in zip(FEATURES, tuned, strict=True)})
    print("\nablation (tuned weights, one feature off):")
    for i, f in enumerate(FEATURES):
        w = tuned.copy()
        w[i] = 0.0
        print(f"  -{f:<10}", fmt(evaluate(service, data, w)))
    if args.write:
        path = REPO / "search" / "data" / "rerank_weights.json"
        path.write_text(
            json.dumps(
                {
                    "about": "Written by scripts/tune_rerank.py on the dev set; see README for the ablation.",
                    "weights": {f: round(float(v), 4) for f, v in zip(FEATURES, tuned, strict=True)},
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
