"""Reproduce the reranker weights in search/data/rerank_weights.json.

Computes each query's candidate features once, then runs coordinate ascent
over the feature weights, scoring each setting by the mean of MRR@10,
nDCG@10 and recall@10 with the same spreading the service applies. The
queries are the tuning sets only — the dev set and the tune split of the
held-out questions (tests/data/eval/tune.jsonl), never the test split — on an
index of the plans and the laws together. To keep the weights general it
reports 5-fold cross-validated scores (tune on four folds, score the fifth)
next to the fit on all tuning queries, and an ablation with each feature off.

    .venv/bin/python scripts/tune_rerank.py --index /tmp/mixed-idx [--write]
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

from search.evaluate import EvalQuery, aggregate, load_queries, score_query, set_on_index  # noqa: E402
from search.fusion import spread_across_groups  # noqa: E402
from search.retrieval import RerankWeights  # noqa: E402
from search.service import Filters, SearchService  # noqa: E402

FEATURES = [f.name for f in fields(RerankWeights)]
TUNING_SETS = [
    REPO / "tests" / "data" / "dev.jsonl",
    REPO / "tests" / "data" / "eval" / "tune.jsonl",
    REPO / "tests" / "data" / "eval" / "probe.jsonl",
]


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
        # both dense readings, as answers read: one set of weights serves them
        # and the search's one reading (README Quality, fifth round)
        cands = service.retriever.retrieve(analysis, rows, 10, spread=False, readings=2)
        matrix = np.array([[c.features.get(f, 0.0) for f in FEATURES] for c in cands], dtype=np.float64)
        first = [int(r) for r in service._named_articles(analysis, rows)]
        out.append({"q": q, "rows": [c.row for c in cands], "X": matrix, "spread": spread, "first": first, "service": service})
    return out


def evaluate(data: list[dict], w: np.ndarray) -> dict[str, float]:
    scores = []
    for item in data:
        service = item["service"]
        s = item["X"] @ w if len(item["rows"]) else np.zeros(0)
        order = sorted(range(len(s)), key=lambda i: (-s[i], item["rows"][i]))
        ranked = [(item["rows"][i], float(s[i])) for i in order]
        if item["spread"]:
            ranked = spread_across_groups(
                ranked, lambda r, clauses=service.clauses: clauses[r].doc_id, top_k=10, min_relative=0.6, per_group_cap=3
            )
        rows = item["first"] + [r for r, _ in ranked if r not in item["first"]]
        hits = [{"doc_id": service.clauses[r].doc_id, "text": service.clauses[r].text} for r in rows[:10]]
        scores.append(score_query(item["q"], hits))
    return aggregate(scores)


def listwise(data: list[dict], l2: float = 0.001) -> np.ndarray:
    """A convex start for the search: weights that maximise the softmax
    probability of the gold clauses among each query's candidates (ListNet
    with one relevant set), with an L2 penalty."""
    from scipy.optimize import minimize

    from search.evaluate import gold_matches

    items = []
    for item in data:
        service = item["service"]
        gold = np.array([
            bool(gold_matches({"doc_id": service.clauses[r].doc_id, "text": service.clauses[r].text}, item["q"].gold))
            for r in item["rows"]
        ])
        if gold.any():
            items.append((item["X"], gold))

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(w)
        for x, gold in items:
            s = x @ w
            e = np.exp(s - s.max())
            p = e / e.sum()
            eg = e * gold
            total += -np.log(eg.sum()) + np.log(e.sum())
            grad += x.T @ (p - eg / eg.sum())
        n = max(len(items), 1)
        return total / n + l2 * float(w @ w), grad / n + 2 * l2 * w

    return np.asarray(minimize(loss, np.zeros(len(FEATURES)), jac=True, method="L-BFGS-B").x)


def objective(m: dict[str, float]) -> float:
    return (m["mrr@10"] + m["ndcg@10"] + m["recall@10"]) / 3


def search(data: list[dict], base: np.ndarray, rounds: int, seed: int) -> np.ndarray:
    """Coordinate ascent: in turn, each weight is tried at a few multiples of
    its value (and a few small absolute values, so a feature at 0 can enter);
    a change is kept only when it scores strictly better, so weights move only
    for a reason. Features are visited in a seeded random order each round."""
    rng = random.Random(seed)
    best_w, best = base.copy(), objective(evaluate(data, base))
    for _ in range(rounds):
        improved = False
        for i in rng.sample(range(len(FEATURES)), len(FEATURES)):
            current = best_w[i]
            options = {0.0, 0.05, 0.2, 0.5, 1.0} | {current * f for f in (0.5, 0.75, 1.33, 2.0)}
            for value in sorted(options - {current}):
                w = best_w.copy()
                w[i] = value
                score = objective(evaluate(data, w))
                if score > best + 1e-9:
                    best_w, best, improved = w, score, True
        if not improved:
            break
    return best_w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default="data/index", help="an index of corpus/ and tests/data/extra")
    parser.add_argument("--set", action="append", dest="sets",
                        help="a tuning set, PATH or PATH@INDEX for questions on another index (repeatable; default dev + tune + probe)")
    parser.add_argument("--report", action="append", dest="reports",
                        help="a set scored with the current and the tuned weights but not tuned on, PATH or PATH@INDEX (repeatable)")
    parser.add_argument("--rounds", type=int, default=4, help="coordinate-ascent rounds")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", choices=["current", "listwise"], default="listwise",
                        help="start the search from the stored weights or from a listwise fit")
    parser.add_argument("--write", action="store_true", help="write search/data/rerank_weights.json")
    args = parser.parse_args()
    specs = [set_on_index(p, args.index) for p in (args.sets or [str(p) for p in TUNING_SETS])]
    reports = [set_on_index(p, args.index) for p in args.reports or []]
    paths = [path for path, _ in specs]
    if any("test" in p.stem for p in paths):
        parser.error("the test split is for reporting only; tune on dev and tune")

    services: dict[str, SearchService] = {}

    def load(specs: list[tuple[Path, str]]) -> list[dict]:
        out: list[dict] = []
        for path, index in specs:
            if index not in services:
                services[index] = SearchService.open(index)
            out.extend(collect(services[index], load_queries(path)))
        return out

    data = load(specs)
    reported = {f"{path.name}@{index}": load([(path, index)]) for path, index in reports}
    base = np.array([getattr(RerankWeights.load(), f) for f in FEATURES])

    def fmt(m: dict[str, float]) -> str:
        return f"recall@10 {m['recall@10']:.3f}  MRR@10 {m['mrr@10']:.3f}  nDCG@10 {m['ndcg@10']:.3f}"

    print(f"{len(data)} queries from {', '.join(p.name for p in paths)}")
    print("current weights ", fmt(evaluate(data, base)))
    # 5-fold cross-validation: how tuned weights do on queries they did not see
    rng = random.Random(args.seed)
    order = list(range(len(data)))
    rng.shuffle(order)
    folds = [order[i::5] for i in range(5)]
    held_out = []
    for k, fold in enumerate(folds):
        train = [data[i] for i in order if i not in fold]
        start = listwise(train) if args.start == "listwise" else base
        w = search(train, start, args.rounds, args.seed + k)
        held_out.extend(data[i] | {"w": w} for i in fold)
    cv_scores = [evaluate([item], item["w"]) for item in held_out]
    cv = {k: sum(s[k] for s in cv_scores) / len(cv_scores) for k in ("recall@10", "mrr@10", "ndcg@10")}
    print("tuned, 5-fold CV", fmt(cv))
    start = listwise(data) if args.start == "listwise" else base
    tuned = search(data, start, args.rounds, args.seed)
    print("tuned, all      ", fmt(evaluate(data, tuned)))
    for name, items in reported.items():
        print(f"{name}: current {fmt(evaluate(items, base))}")
        print(f"{' ' * len(name)}  tuned   {fmt(evaluate(items, tuned))}")
    print("weights:", {f: round(float(v), 3) for f, v in zip(FEATURES, tuned, strict=True)})
    print("\nablation (tuned weights, one feature off):")
    for i, f in enumerate(FEATURES):
        w = tuned.copy()
        w[i] = 0.0
        print(f"  -{f:<10}", fmt(evaluate(data, w)))
    if args.write:
        path = REPO / "search" / "data" / "rerank_weights.json"
        path.write_text(
            json.dumps(
                {
                    "about": (
                        "Written by scripts/tune_rerank.py (a listwise fit, then coordinate ascent, mean of MRR@10, nDCG@10 and "
                        f"recall@10) on {' + '.join(p.name for p in paths)}, each over its own index (the plans and "
                        "the laws; other laws for questions on them); never the test split. See README Quality for the cross-validation and ablation."
                    ),
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
