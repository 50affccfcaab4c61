"""Fit the query adapter (``search/adapter.py``) on question → gold clause pairs.

    .venv/bin/policy-search --index /tmp/idx-m ingest corpus tests/data/extra
    .venv/bin/python scripts/bulk_eval_index.py --index /tmp/idx-bulk
    .venv/bin/python scripts/fit_query_adapter.py --index /tmp/idx-m --bulk-index /tmp/idx-bulk

The pairs are the development sets' answerable questions (dev, tune, probe,
citizen, probe2–12 and probe14–20 on the index of plans and laws; bulk-train on the index of
its 19 laws), each with every clause of its gold. Never the test split, and
never bulk-held (its 11 laws are the check on documents nothing was fitted
for) or probe13 (questions written to check the fit). The matrix ``M`` minimises, over the questions, the softmax cross-entropy
of the gold clauses' chunks against every chunk of the index (temperature
``--tau``), plus ``--lam`` · ‖M − I‖²: full-batch Adam from the identity, a fixed
number of epochs, deterministic.

``--hold SET,SET`` leaves sets out of the fit and prints the dense ranking's
recall@10 / MRR@10 on them before and after (the check that the map carries to
questions it was not fitted on; probe13 and bulk-held are always printed). ``--out -``
writes nothing.

Needs torch (the ``[all]`` extra, ``make install``); the adapter it writes is
read with numpy alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.reader import IndexReader  # noqa: E402
from ingest.text import squash  # noqa: E402
from search.adapter import DATA_FILE, QueryAdapter, save_adapter  # noqa: E402

EVAL = REPO / "tests" / "data" / "eval"
CORPUS_SETS = ["dev", "tune", "probe", "citizen"] + [f"probe{i}" for i in (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20)]
BULK_SETS = ["bulk-train"]
# never fitted on: the test split; bulk-held (laws nothing was fitted for);
# probe13, written in the twelfth round to see how the map carries (printed
# with bulk-held after every fit, as the test split is not)
NEVER = {"test", "bulk-held", "probe13"}


def set_path(name: str) -> Path:
    return REPO / "tests" / "data" / "dev.jsonl" if name == "dev" else EVAL / f"{name}.jsonl"


class Pairs:
    """One index's chunk vectors and a set's question vectors with their gold rows."""

    def __init__(self, reader: IndexReader):
        self.reader = reader
        self.chunks = np.asarray(reader.vectors.matrix(), dtype=np.float32)
        self.chunk_rows = np.asarray(reader.vectors.chunk_rows, dtype=np.int64)
        self.n_clauses = int(reader.vectors.n_clauses)
        self._doc_texts: dict[str, list[tuple[int, str]]] = {}

    def gold_rows(self, gold: list[dict[str, str]]) -> list[int]:
        rows: set[int] = set()
        for g in gold:
            doc = g["doc"]
            if doc not in self._doc_texts:
                try:
                    doc_rows = list(self.reader.doc_rows[doc])
                except KeyError:
                    doc_rows = []
                self._doc_texts[doc] = [(int(r), squash(self.reader.clauses[r].text)) for r in doc_rows]
            want = squash(g["must_contain"])
            rows.update(r for r, text in self._doc_texts[doc] if want in text)
        return sorted(rows)

    def load(self, name: str) -> tuple[np.ndarray, list[list[int]]]:
        questions = [json.loads(line) for line in set_path(name).read_text(encoding="utf-8").splitlines() if line.strip()]
        kept = [(q["query"], self.gold_rows(q.get("gold") or [])) for q in questions]
        kept = [(text, rows) for text, rows in kept if rows]
        vectors = np.asarray(self.reader.embed_queries([t for t, _ in kept]), dtype=np.float32)
        return vectors, [rows for _, rows in kept]

    def ranking_scores(self, queries: np.ndarray, golds: list[list[int]]) -> tuple[float, float]:
        """The dense ranking's recall@10 and MRR@10 (clause = its best chunk)."""
        sims = queries @ self.chunks.T
        recall, mrr = [], []
        for i, gold in enumerate(golds):
            per_clause = np.full(self.n_clauses, -9.0, dtype=np.float32)
            np.maximum.at(per_clause, self.chunk_rows, sims[i])
            top = np.argsort(-per_clause, kind="stable")[:10]
            wanted = set(gold)
            hits = [k for k, row in enumerate(top) if row in wanted]
            recall.append(len(hits) / min(len(gold), 10))
            mrr.append(1.0 / (hits[0] + 1) if hits else 0.0)
        return float(np.mean(recall)), float(np.mean(mrr))


def fit(groups: list[tuple[Pairs, np.ndarray, list[list[int]]]], lam: float, tau: float, epochs: int, lr: float) -> np.ndarray:
    try:
        import torch
    except ImportError:  # pragma: no cover - the [all] extra has it
        sys.exit("fit_query_adapter needs torch: `make install` (the [all] extra)")
    torch.manual_seed(0)
    dim = groups[0][1].shape[1]
    eye = torch.eye(dim)
    matrix = torch.nn.Parameter(eye.clone())
    opt = torch.optim.Adam([matrix], lr=lr)
    batches = []
    for pairs, queries, golds in groups:
        chunk_rows = torch.from_numpy(pairs.chunk_rows)
        positive = torch.zeros(len(golds), pairs.chunks.shape[0], dtype=torch.bool)
        for i, gold in enumerate(golds):
            positive[i] = torch.isin(chunk_rows, torch.tensor(gold, dtype=torch.int64))
        batches.append((torch.from_numpy(queries), torch.from_numpy(pairs.chunks.copy()), positive))
    total = sum(b[0].shape[0] for b in batches)
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.zeros(())
        for queries, chunks, positive in batches:
            mapped = queries @ matrix
            mapped = mapped / mapped.norm(dim=1, keepdim=True)
            logits = mapped @ chunks.T / tau
            loss = loss + (torch.logsumexp(logits, 1) - torch.logsumexp(logits.masked_fill(~positive, -1e9), 1)).sum()
        loss = loss / total + lam * ((matrix - eye) ** 2).sum()
        loss.backward()
        opt.step()
    return matrix.detach().numpy().astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="index of the plans and tests/data/extra's laws")
    parser.add_argument("--bulk-index", type=Path, required=True, help="index of bulk-docs.txt (scripts/bulk_eval_index.py)")
    parser.add_argument("--hold", default="", help="sets left out of the fit and scored (comma-separated)")
    parser.add_argument("--lam", type=float, default=0.0005)
    parser.add_argument("--tau", type=float, default=0.02)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--alpha", type=float, default=0.5, help="share of the mapped vector in the searched one")
    parser.add_argument("--out", default=str(REPO / "search" / "data" / DATA_FILE), help="where to write it; - for nowhere")
    args = parser.parse_args()
    held = {s for s in args.hold.split(",") if s}
    if held & NEVER:
        sys.exit(f"{sorted(held & NEVER)} are never fitted on; nothing to hold")
    corpus = Pairs(IndexReader.open(args.index))
    bulk = Pairs(IndexReader.open(args.bulk_index))
    if corpus.reader.manifest.embedder != bulk.reader.manifest.embedder:
        sys.exit("the two indexes were built with different embedders")
    model = corpus.reader.manifest.embedder
    loaded = {name: (corpus, *corpus.load(name)) for name in CORPUS_SETS}
    loaded.update({name: (bulk, *bulk.load(name)) for name in BULK_SETS})
    loaded["bulk-held"] = (bulk, *bulk.load("bulk-held"))
    loaded["probe13"] = (corpus, *corpus.load("probe13"))
    fitted_on = [name for name in CORPUS_SETS + BULK_SETS if name not in held]
    groups = [loaded[name] for name in fitted_on]
    pairs = sum(len(g[2]) for g in groups)
    print(f"fitting on {pairs} questions of {', '.join(fitted_on)} ({model})", flush=True)
    matrix = fit(groups, args.lam, args.tau, args.epochs, args.lr)
    adapter = QueryAdapter(matrix=matrix, alpha=args.alpha, models=(model,))
    for name in sorted(held) + ["probe13", "bulk-held"]:
        pairs_of, queries, golds = loaded[name]
        before = pairs_of.ranking_scores(queries, golds)
        after = pairs_of.ranking_scores(np.stack([adapter.apply(q) for q in queries]), golds)
        print(f"{name:10s} dense recall@10 / MRR@10 {before[0]:.3f} / {before[1]:.3f} -> {after[0]:.3f} / {after[1]:.3f}")
    if args.out != "-":
        save_adapter(
            args.out, matrix, args.alpha, [model],
            fitted_on=fitted_on, questions=pairs, lam=args.lam, tau=args.tau, epochs=args.epochs, lr=args.lr,
        )
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
