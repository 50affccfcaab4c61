"""`make bench-load`: concurrent clients against a real server.

Starts `policy-search serve` (uvicorn) on a free loopback port in a separate
process over the index (default data/index; built from corpus/ if missing),
then runs N concurrent clients (httpx AsyncClient, default 32) for a fixed
time against POST /v1/search and POST /v1/ask with the dev-set queries and
seeded variations (so the query-embedding cache does not answer everything),
and reports errors, throughput and p50/p95/p99 latency per endpoint. A
/healthz probe every 0.5 s measures how responsive the server stays under load.

Bounded and self-stopping: the clients stop at the deadline, every request has
a timeout, and the server is terminated (then killed) at the end. Exits 1 if
any request failed. Writes bench/out/bench_load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from common import REPO, dev_queries, free_port, pct  # bench/ is on sys.path when run as a script

PREFIXES = ["", "", "请问", "我想了解", "规划里", "关于"]
SUFFIXES = ["", "", "？", "有哪些规定", "的要求", "怎么说的"]








def start_server(index: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "POLICY_SEARCH_RELOAD_SECONDS": os.environ.get("POLICY_SEARCH_RELOAD_SECONDS", "1"),
        # every load client shares the loopback address: measure the service, not the per-client limit
        "POLICY_SEARCH_RATE_LIMIT_EXEMPT": os.environ.get("POLICY_SEARCH_RATE_LIMIT_EXEMPT", "127.0.0.1,::1"),
    }
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "policy_search.cli", "--index", str(index), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


async def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with code {proc.returncode}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the server was not ready within {timeout:.0f}s")


async def run_load(base: str, seconds: float, clients: int, seed: int) -> dict[str, object]:
    import httpx

    queries = dev_queries()
    results: dict[str, list[float]] = {"search": [], "ask": [], "healthz": []}
    errors: list[str] = []
    stop_at = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)

    from tqdm import tqdm

    # seconds elapsed, with requests and errors so far (on a terminal only)
    bar = tqdm(total=round(seconds), desc="load", unit="s", leave=False, disable=not sys.stderr.isatty())
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        async def client_loop(n: int) -> None:
            rng = random.Random(seed * 1000 + n)
            i = 0
            while time.monotonic() < stop_at:
                q = rng.choice(PREFIXES) + rng.choice(queries) + rng.choice(SUFFIXES)
                endpoint = "search" if (n + i) % 2 == 0 else "ask"
                i += 1
                body = {"query": q, "top_k": 10} if endpoint == "search" else {"question": q}
                began = time.perf_counter()
                try:
                    r = await http.post(f"/v1/{endpoint}", json=body)
                    ok = r.status_code == 200
                    if not ok:
                        errors.append(f"{endpoint} {r.status_code} {r.text[:120]}")
                except httpx.HTTPError as exc:
                    ok = False
                    errors.append(f"{endpoint} {exc!r}")
                if ok:
                    results[endpoint].append((time.perf_counter() - began) * 1000)

        async def probe() -> None:
            while time.monotonic() < stop_at:
                began = time.perf_counter()
                try:
                    r = await http.get("/healthz")
                    if r.status_code == 200:
                        results["healthz"].append((time.perf_counter() - began) * 1000)
                    else:
                        errors.append(f"healthz {r.status_code}")
                except httpx.HTTPError as exc:
                    errors.append(f"healthz {exc!r}")
                bar.n = min(bar.total, round(seconds - (stop_at - time.monotonic())))
                bar.set_postfix(requests=len(results["search"]) + len(results["ask"]), errors=len(errors), refresh=True)
                await asyncio.sleep(0.5)

        began = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(*(client_loop(n) for n in range(clients)), probe()),
            timeout=seconds + 120,  # requests in flight at the deadline may finish
        )
        elapsed = time.perf_counter() - began
        bar.close()

    summary: dict[str, object] = {
        "seconds": round(elapsed, 1),
        "clients": clients,
        "requests": sum(len(results[e]) for e in ("search", "ask")) + len(errors),
        "errors": len(errors),
        "error_samples": errors[:5],
    }
    for endpoint, lat in results.items():
        summary[endpoint] = {
            "requests": len(lat),
            "rps": round(len(lat) / elapsed, 2),
            "p50_ms": round(pct(lat, 0.50), 1),
            "p95_ms": round(pct(lat, 0.95), 1),
            "p99_ms": round(pct(lat, 0.99), 1),
        }
    summary["rps"] = round(sum(len(results[e]) for e in ("search", "ask")) / elapsed, 2)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=Path(os.environ.get("POLICY_SEARCH_INDEX", REPO / "data" / "index")))
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ready-timeout", type=float, default=600.0, help="seconds to wait for the server (a first build takes minutes)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "bench_load.json")
    args = parser.parse_args(argv)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(args.index, port, args.out.with_suffix(".server.log"))
    try:
        asyncio.run(wait_ready(base, proc, args.ready_timeout))
        summary = asyncio.run(run_load(base, args.seconds, args.clients, args.seed))
    finally:
        stop_server(proc)
    summary["cpus"] = os.cpu_count()
    args.out.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")

    print(f"{args.clients} clients for {summary['seconds']}s on {os.cpu_count()} CPUs: "
          f"{summary['requests']} requests, {summary['errors']} errors, {summary['rps']} req/s")
    print(f"{'endpoint':<10} {'requests':>9} {'req/s':>8} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}")
    for endpoint in ("search", "ask", "healthz"):
        m = summary[endpoint]
        assert isinstance(m, dict)
        print(f"{endpoint:<10} {m['requests']:>9} {m['rps']:>8} {m['p50_ms']:>9} {m['p95_ms']:>9} {m['p99_ms']:>9}")
    for sample in summary["error_samples"]:  # type: ignore[attr-defined]
        print("error:", sample)
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
