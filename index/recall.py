"""Recall of an approximate FAISS index against exact search.

``recall_at_k(index, queries)`` answers: of the ``k`` chunks exact (flat)
search returns for each query, what fraction does the approximate index
return too? Run it on sample queries when choosing ``faiss_index`` or tuning
``nprobe`` / ``efSearch``::

    python -m index.recall data/index --queries 200

It prints the measured recall beside the store's parameters from the
manifest; an IVF index's ``nprobe`` was chosen when it was built as the
fewest probes reaching ``recall_target`` (``recall_at_build``, see
``index.vectors.calibrate_nprobe``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from .vectors import VectorIndex


@dataclass
class RecallReport:
    """recall@k of one index against exact search over the same vectors."""

    index_type: str
    k: int
    queries: int
    recall: float  # mean over queries of |approx ∩ exact| / k
    min_recall: float  # the worst query
    # what exact search ran over: "given vectors" (the originals) or "decoded
    # vectors" (the index's own; for SQ8/PQ this leaves out the quantisation loss)
    reference: str = "given vectors"


def sample_queries(vectors: np.ndarray, n: int, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """``n`` query vectors near stored ones: a random stored vector plus
    Gaussian noise, re-normalised (queries land where the data is)."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(vectors.shape[0], size=min(n, vectors.shape[0]), replace=False)
    queries = vectors[picks] + noise * rng.standard_normal((picks.size, vectors.shape[1])).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    return np.ascontiguousarray(queries, dtype=np.float32)


def recall_at_k(
    index: VectorIndex | faiss.Index,
    queries: np.ndarray,
    k: int = 10,
    exact_vectors: np.ndarray | None = None,
) -> RecallReport:
    """recall@k of ``index`` (chunk ids) against exact inner-product search
    over ``exact_vectors`` (default: the index's own decoded vectors, which
    for the quantised types measures the ANN search only, not the loss from
    quantisation; pass the original vectors to measure both)."""
    faiss_index = index.index if isinstance(index, VectorIndex) else index
    index_type = index.index_type if isinstance(index, VectorIndex) else type(faiss_index).__name__
    reference = "given vectors"
    if exact_vectors is None:
        exact_vectors = faiss_index.reconstruct_n(0, faiss_index.ntotal)
        reference = "decoded vectors"
    exact = faiss.IndexFlatIP(exact_vectors.shape[1])
    exact.add(np.ascontiguousarray(exact_vectors, dtype=np.float32))
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    k = min(k, exact.ntotal)
    _, truth = exact.search(queries, k)
    _, found = faiss_index.search(queries, k)
    per_query = [
        len(set(found[i][found[i] >= 0].tolist()) & set(truth[i].tolist())) / k for i in range(len(queries))
    ]
    return RecallReport(
        index_type=index_type,
        k=k,
        queries=len(per_query),
        recall=float(np.mean(per_query)) if per_query else 1.0,
        min_recall=float(np.min(per_query)) if per_query else 1.0,
        reference=reference,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m index.recall INDEX_DIR``: recall@k of the index's FAISS vectors."""
    from .layout import resolve_index_dir
    from .manifest import Manifest

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("index_dir", type=Path)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("-k", type=int, default=10)
    args = parser.parse_args(argv)
    root = resolve_index_dir(args.index_dir)
    if root is None:
        print(f"no index at {args.index_dir}", file=sys.stderr)
        return 1
    manifest = Manifest.load(root)
    store = manifest.store
    if store.get("backend", "faiss") != "faiss":
        print(f"the index uses the {store.get('backend')} store; recall is measured for faiss", file=sys.stderr)
        return 1
    index = VectorIndex.load(
        root,
        n_clauses=manifest.counts["clauses"],
        index_type=store.get("index_type", "flat"),
        params=store.get("params", {}),
    )
    report = recall_at_k(index, sample_queries(index.matrix(), args.queries), k=args.k)
    # what the build chose and measured (IVF: nprobe from the recall target)
    print(json.dumps({**asdict(report), "params": store.get("params", {})}, ensure_ascii=False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
