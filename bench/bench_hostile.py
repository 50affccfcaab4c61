"""`bench/bench_hostile.py`: hostile files and hostile load cannot stall the service.

Two measurements against a real server (`policy-search serve` in its own
process, over an index of the corpus built first into a scratch folder):

1. **Search while the hostile suite ingests.** 8 clients search (POST
   /v1/search, dev-set queries) for ``--idle-seconds`` with the server idle, then
   for ``--ingest-seconds`` while POST /v1/ingest runs over the hostile files
   (``tests/hostile_files.py``: zip bomb, 1 MB dot line, 10 MB single line,
   rowspan bomb, numbering at 10^12, a 2,000-page PDF …, written into the corpus
   folder), ingest after ingest with ``force`` so the parsing never stops. The
   check: p95 during the ingests stays under 3× the idle p95.
2. **A 64-client mix.** 64 clients send search, ask and similar-by-text (a
   passage of a plan, up to 500 characters) for ``--mix-seconds`` to a server
   whose per-client rate limit applies to loopback too (all 64 share one
   address, as clients behind one NAT would); a client that gets 429 waits
   its Retry-After. The check: no answer other than 200 and 429 (no 503 from
   a full queue or a deadline, no 5xx, no dropped connection).

Writes bench/out/bench_hostile.json; exits 1 if a check fails. Bounded: every
phase stops at its deadline, every request has a timeout, the server is
terminated at the end (an ingest still running goes with it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_load import (  # bench/ is on sys.path when run as a script
    start_server,
    stop_server,
    wait_ready,
)
from common import REPO, dev_queries, free_port, pct

API_KEY = "bench-hostile"
HOSTILE_DIR = "hostile"
SIMILAR_MAX_CHARS = 500


def write_hostile(folder: Path, outside: Path) -> list[str]:
    """The hostile suite of tests/hostile_files.py, full size."""
    sys.path.insert(0, str(REPO))
    from tests.hostile_files import write_all

    return sorted(write_all(folder, outside))


def plan_passages(corpus: Path, count: int, seed: int) -> list[str]:
    """Passages of the plans (what a drafter pastes into similar-by-text): a
    run of lines from a random place in a random plan, 20 to 500 characters."""
    rng = random.Random(seed)
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))]
    out = []
    while len(out) < count:
        lines = [ln.strip() for ln in rng.choice(texts).splitlines() if len(ln.strip()) > 10]
        start = rng.randrange(len(lines))
        passage = "".join(lines[start : start + rng.randint(1, 4)])[: rng.randint(20, SIMILAR_MAX_CHARS)]
        if len(passage) >= 10:
            out.append(passage)
    return out


async def search_clients(base: str, seconds: float, clients: int, seed: int, stop: asyncio.Event | None = None) -> dict[str, Any]:
    """``clients`` clients searching for ``seconds`` (or until ``stop``)."""
    import httpx

    queries = dev_queries()
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:

        async def loop(n: int) -> None:
            rng = random.Random(seed * 1000 + n)
            while time.monotonic() < stop_at and not (stop is not None and stop.is_set()):
                began = time.perf_counter()
                try:
                    r = await http.post("/v1/search", json={"query": rng.choice(queries), "top_k": 10})
                    if r.status_code == 200:
                        latencies.append((time.perf_counter() - began) * 1000)
                    else:
                        errors.append(f"{r.status_code} {r.text[:120]}")
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))

        await asyncio.gather(*(loop(n) for n in range(clients)))
    return {
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        "error_samples": errors[:5],
        "p50_ms": round(pct(latencies, 0.5), 1),
        "p95_ms": round(pct(latencies, 0.95), 1),
        "p99_ms": round(pct(latencies, 0.99), 1),
    }


async def search_during_ingests(base: str, seconds: float, clients: int, seed: int) -> dict[str, Any]:
    """Search while POST /v1/ingest runs over the hostile folder, again and
    again (``force``), for ``seconds``."""
    import httpx

    ingests: list[dict[str, Any]] = []
    stop_at = time.monotonic() + seconds

    async def ingest_loop() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=seconds + 60) as http:
            first = True
            while time.monotonic() < stop_at:
                began = time.perf_counter()
                try:
                    r = await asyncio.wait_for(
                        http.post(
                            "/v1/ingest", json={"path": HOSTILE_DIR, "force": not first},
                            headers={"X-API-Key": API_KEY},
                        ),
                        timeout=max(1.0, stop_at - time.monotonic()),
                    )
                except TimeoutError:
                    ingests.append({"status": "still running at the end of the window",
                                    "seconds": round(time.perf_counter() - began, 1)})
                    return
                body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
                ingests.append({
                    "status": r.status_code,
                    "seconds": round(time.perf_counter() - began, 1),
                    "files": len(body.get("files", [])),
                    "failed": len(body.get("failed", [])),
                    "documents": len(body.get("documents", [])),
                    "error": (body.get("error") or {}).get("message"),
                })
                first = False

    search, _ = await asyncio.gather(search_clients(base, seconds, clients, seed), ingest_loop())
    search["ingests"] = ingests
    return search


async def mix_clients(base: str, seconds: float, clients: int, seed: int, passages: list[str]) -> dict[str, Any]:
    """``clients`` clients sending search, ask and similar-by-text in turn;
    a 429 makes the client wait its Retry-After."""
    import httpx

    queries = dev_queries()
    latencies: dict[str, list[float]] = {"search": [], "ask": [], "similar": []}
    statuses: dict[str, dict[int, int]] = {k: {} for k in latencies}
    errors: list[str] = []
    stop_at = time.monotonic() + seconds
    # idle connections are let go (2 s) before uvicorn closes them (5 s): a
    # request sent on a connection the server is closing would fail on the
    # client's side, which no server can prevent
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:

        async def loop(n: int) -> None:
            rng = random.Random(seed * 1000 + n)
            i = n
            while time.monotonic() < stop_at:
                kind = ("search", "ask", "similar")[i % 3]
                i += 1
                if kind == "search":
                    path, body = "/v1/search", {"query": rng.choice(queries), "top_k": 10}
                elif kind == "ask":
                    path, body = "/v1/ask", {"question": rng.choice(queries)}
                else:
                    path, body = "/v1/similar", {"text": rng.choice(passages), "top_k": 10}
                began = time.perf_counter()
                try:
                    r = await http.post(path, json=body)
                except httpx.HTTPError as exc:
                    errors.append(f"{kind} {exc!r}")
                    continue
                statuses[kind][r.status_code] = statuses[kind].get(r.status_code, 0) + 1
                if r.status_code == 200:
                    latencies[kind].append((time.perf_counter() - began) * 1000)
                elif r.status_code == 429:
                    await asyncio.sleep(min(float(r.headers.get("retry-after", "1")), max(0.0, stop_at - time.monotonic())))
                else:
                    errors.append(f"{kind} {r.status_code} {r.text[:160]}")

        began = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(loop(n) for n in range(clients))), timeout=seconds + 120)
        elapsed = time.perf_counter() - began
    out: dict[str, Any] = {"seconds": round(elapsed, 1), "clients": clients}
    for kind, lat in latencies.items():
        out[kind] = {
            "ok": len(lat),
            "rps": round(len(lat) / elapsed, 2),
            "p50_ms": round(pct(lat, 0.5), 1),
            "p95_ms": round(pct(lat, 0.95), 1),
            "statuses": {str(k): v for k, v in sorted(statuses[kind].items())},
        }
    out["answered_429"] = sum(s.get(429, 0) for s in statuses.values())
    out["errors"] = len(errors)  # anything but 200 and 429
    out["error_samples"] = errors[:5]
    return out


def serve(index: Path, port: int, log: Path, env: dict[str, str]) -> Any:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return start_server(index, port, log)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--ingest-seconds", type=float, default=60.0)
    parser.add_argument("--mix-seconds", type=float, default=60.0)
    parser.add_argument("--search-clients", type=int, default=8)
    parser.add_argument("--mix-clients", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: a temporary one, removed)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "bench_hostile.json")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    summary: dict[str, Any] = {"cpus": os.cpu_count()}
    try:
        corpus = work / "corpus"
        if corpus.exists():
            shutil.rmtree(corpus)
        shutil.copytree(REPO / "corpus", corpus)
        began = time.perf_counter()
        summary["hostile_files"] = write_hostile(corpus / HOSTILE_DIR, work / "outside")
        summary["hostile_write_seconds"] = round(time.perf_counter() - began, 1)
        index = work / "index"
        shutil.rmtree(index, ignore_errors=True)
        sys.path.insert(0, str(REPO))
        from policy_search.pipeline import ingest_paths

        plans = [p for p in corpus.iterdir() if p.is_file()]
        ingest_paths(plans, index, progress=False)  # the plans only; the hostile folder comes later
        env = {
            "POLICY_SEARCH_API_KEY": API_KEY,
            "POLICY_SEARCH_CORPUS": str(corpus),
            "POLICY_SEARCH_RELOAD_SECONDS": "1",
            # the latency phases measure search, not the per-client limit: every
            # bench client shares the loopback address
            "POLICY_SEARCH_RATE_LIMIT_EXEMPT": "127.0.0.1,::1",
        }

        # 1. search, idle and while the hostile suite ingests
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = serve(index, port, args.out.with_suffix(".server.log"), env)
        try:
            asyncio.run(wait_ready(base, proc, 600))
            asyncio.run(search_clients(base, 5, args.search_clients, args.seed))  # warm up
            idle = asyncio.run(search_clients(base, args.idle_seconds, args.search_clients, args.seed))
            during = asyncio.run(search_during_ingests(base, args.ingest_seconds, args.search_clients, args.seed + 1))
        finally:
            stop_server(proc)
        ratio = during["p95_ms"] / idle["p95_ms"] if idle["p95_ms"] else float("inf")
        summary["search_idle"] = idle
        summary["search_during_hostile_ingest"] = during
        summary["p95_ratio"] = round(ratio, 2)

        # 2. the 64-client mix, rate limits applying to loopback
        passages = plan_passages(corpus, 200, args.seed)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = serve(index, port, args.out.with_suffix(".mix.server.log"), {**env, "POLICY_SEARCH_RATE_LIMIT_EXEMPT": ""})
        try:
            asyncio.run(wait_ready(base, proc, 600))
            mix = asyncio.run(mix_clients(base, args.mix_seconds, args.mix_clients, args.seed, passages))
        finally:
            stop_server(proc)
        summary["mix"] = mix
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)

    checks = {
        "search p95 during the hostile ingest < 3x idle": summary["p95_ratio"] < 3.0
        and summary["search_during_hostile_ingest"]["errors"] == 0,
        "64-client mix: no answer but 200 and 429": summary["mix"]["errors"] == 0,
    }
    summary["checks"] = checks
    args.out.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")

    idle, during, mix = summary["search_idle"], summary["search_during_hostile_ingest"], summary["mix"]
    print(f"{len(summary['hostile_files'])} hostile files; {os.cpu_count()} CPUs")
    print(f"search, {args.search_clients} clients   idle: p50 {idle['p50_ms']} ms, p95 {idle['p95_ms']} ms ({idle['requests']} requests)")
    print(f"  during hostile ingests: p50 {during['p50_ms']} ms, p95 {during['p95_ms']} ms ({during['requests']} requests, "
          f"{during['errors']} errors); p95 x{summary['p95_ratio']}")
    for ingest in during["ingests"]:
        print(f"  ingest: {ingest}")
    print(f"mix, {mix['clients']} clients for {mix['seconds']} s: {mix['answered_429']} answered 429, {mix['errors']} other errors")
    for kind in ("search", "ask", "similar"):
        m = mix[kind]
        print(f"  {kind:<8} ok {m['ok']:>6}  {m['rps']:>6} req/s  p50 {m['p50_ms']:>8} ms  p95 {m['p95_ms']:>8} ms  statuses {m['statuses']}")
    for sample in mix["error_samples"] + during["error_samples"]:
        print("error:", sample)
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
