"""Ablation of the retrieval pipeline on a gold set: the full system, then each
component switched off in turn. Prints a markdown table for the README.

    .venv/bin/python scripts/ablation.py --index data/index
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from search.evaluate import evaluate, load_queries  # noqa: E402
from search.service import Filters, SearchService  # noqa: E402

VARIANTS: list[tuple[str, frozenset[str]]] = [
    ("full system", frozenset()),
    ("− dense (no embeddings)", frozenset({"dense"})),
    ("− lexical (no BM25)", frozenset({"lexical"})),
    ("− query vocabulary (synonyms)", frozenset({"synonyms"})),
    ("− reranker (RRF only)", frozenset({"rerank"})),
    ("− spread across plans", frozenset({"spread"})),
    ("− coverage feature", frozenset({"coverage"})),
    ("− kind/intent feature", frozenset({"kind"})),
    ("− indicator/number features", frozenset({"indicator", "number"})),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default="data/index")
    parser.add_argument("--dev", default=str(REPO / "tests" / "data" / "dev.jsonl"))
    args = parser.parse_args()
    service = SearchService.open(args.index)
    queries = load_queries(Path(args.dev))
    print("| variant | recall@5 | recall@10 | MRR@10 | nDCG@10 | worst type MRR@10 |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, disabled in VARIANTS:
        def search(q, disabled=disabled):
            hits = service.search(q.query, 10, Filters.from_dict(q.filters), disabled=disabled).hits
            return [h.to_dict() for h in hits]

        result = evaluate(queries, search)
        o = result["overall"]
        worst = min(result["by_type"].items(), key=lambda kv: kv[1]["mrr@10"])
        print(f"| {name} | {o['recall@5']:.3f} | {o['recall@10']:.3f} | {o['mrr@10']:.3f} | {o['ndcg@10']:.3f} | {worst[0]} {worst[1]['mrr@10']:.3f} |")


if __name__ == "__main__":
    main()
