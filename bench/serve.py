"""Benchmark: the dashboard's overview page and ``/api/index`` under load, over loopback.

Not a test. Run from the repository root::

    .venv/bin/python bench/serve.py                      # build the embedded store in a tmp dir
    .venv/bin/python bench/serve.py --store ./.dyadwatch --requests 300 --duration 10

What it does:

1. **The embedded store.** Ingests the shipped knowledge base (source ``curated``) into a
   fresh store, as ``dyadwatch run`` does (or uses ``--store``).
2. **One server process.** Starts ``python -m dyadwatch serve`` on a free loopback port and
   waits for ``/api/status``.
3. **Load from this (second) process.** For each target — the overview page
   ``/?as_of=D`` and ``/api/index`` (default parameters: monthly, every series) — first one
   *cold* request (the server computes the answer: index, turning points, rules …), then, at
   1, 8 and 32 concurrent connections, at most ``--requests`` requests or ``--duration``
   seconds, whichever comes first. Each connection is an httpx keep-alive connection issuing
   requests back to back. Reported per target and concurrency: requests, p50 and p99 latency
   (ms) and requests per second. Answers are cached per store generation and as-of date, so
   the warm numbers measure serving a computed page; the cold number is the computation.
   A small static file is loaded the same way as a baseline (``--no-baseline`` skips it):
   the ceiling of uvicorn plus this Python load generator on the same cores. An answer
   that is not 200, or that lacks the security headers every response carries
   (``dyadwatch.present.api.app.SECURITY_HEADERS``), counts as an error.

The machine has two cores shared by the server, this load generator and anything else that
runs; the load average is printed with the results. Results are also written as JSON to
``bench/out/serve.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
CONCURRENCY = (1, 8, 32)


def build_store(path: Path) -> None:
    from dyadwatch import pipeline
    from dyadwatch.sources import get_source
    from dyadwatch.store import Store

    store = Store.open(path, create=True)
    source = get_source("curated")
    summary = pipeline.ingest(source, source.discover(), store)
    print(f"store {path}: {summary.describe()}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(store: Path, port: int) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "dyadwatch",
        "serve",
        "--store",
        str(store),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise SystemExit(f"server exited: {err}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("server did not start within 60 s")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of non-empty ``values``."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def security_headers() -> tuple[tuple[str, str], ...]:
    from dyadwatch.present.api.app import SECURITY_HEADERS

    return SECURITY_HEADERS


def secured(response: httpx.Response, expected: tuple[tuple[str, str], ...]) -> bool:
    """Whether the response carries every security header with its value."""
    return all(response.headers.get(name) == value for name, value in expected)


async def load(
    base: str, path: str, connections: int, requests: int, duration: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    issued = 0
    expected = security_headers()
    deadline = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:

        async def worker() -> None:
            nonlocal issued, errors
            while issued < requests and time.perf_counter() < deadline:
                issued += 1
                t0 = time.perf_counter()
                r = await client.get(path)
                await r.aread()
                latencies.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200 or not secured(r, expected):
                    errors += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - start
    return {
        "connections": connections,
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 3),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "rps": round(len(latencies) / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=None, help="Existing store to serve.")
    parser.add_argument("--as-of", default=None, help="As-of date of the overview [today].")
    parser.add_argument("--requests", type=int, default=400, help="Max requests per run.")
    parser.add_argument("--duration", type=float, default=10.0, help="Max seconds per run.")
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="Skip the static-file baseline run.",
    )
    args = parser.parse_args()

    tmp = None
    store = args.store
    if store is None:
        tmp = tempfile.TemporaryDirectory(prefix="dyadwatch-bench-serve-")
        store = Path(tmp.name) / "store"
        build_store(store)
    as_of = args.as_of or datetime.now(UTC).date().isoformat()
    targets = {"overview": f"/?as_of={as_of}", "api_index": "/api/index"}
    if args.baseline:
        # A small static file: what the server and this load generator manage with no
        # dyadwatch code in the path, to read the two targets against.
        targets["static_css"] = "/static/dashboard.css"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(store, port)
    results: dict[str, Any] = {"as_of": as_of, "targets": {}}
    try:
        for name, path in targets.items():
            t0 = time.perf_counter()
            r = httpx.get(base + path, timeout=300)
            cold = (time.perf_counter() - t0) * 1000
            if r.status_code != 200:
                raise SystemExit(f"{path}: HTTP {r.status_code}: {r.text[:300]}")
            if not secured(r, security_headers()):
                raise SystemExit(f"{path}: an answer without the security headers")
            runs = [
                asyncio.run(load(base, path, c, args.requests, args.duration)) for c in CONCURRENCY
            ]
            results["targets"][name] = {
                "path": path,
                "bytes": len(r.content),
                "cold_ms": round(cold, 1),
                "runs": runs,
            }
    finally:
        proc.terminate()
        proc.wait(10)
        if tmp is not None:
            tmp.cleanup()
    results["loadavg"] = os.getloadavg()
    results["cpus"] = os.cpu_count()

    print(f"\nas_of={as_of}  load average {results['loadavg']}  cpus {results['cpus']}")
    head = ("target", "conns", "reqs", "err", "p50 ms", "p99 ms", "req/s")
    print(
        f"{head[0]:<10} "
        + " ".join(f"{h:>{w}}" for h, w in zip(head[1:], (5, 5, 4, 8, 8, 8), strict=True))
    )
    for name, t in results["targets"].items():
        print(f"{name:<10} cold (first request computes it): {t['cold_ms']} ms, {t['bytes']} bytes")
        for run in t["runs"]:
            print(
                f"{name:<10} {run['connections']:>5} {run['requests']:>5} {run['errors']:>4} "
                f"{run['p50_ms']:>8} {run['p99_ms']:>8} {run['rps']:>8}"
            )
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "serve.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
