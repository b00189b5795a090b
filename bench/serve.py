"""Benchmark: the dashboard's overview and Indicators pages and ``/api/index`` under load.

Not a test. Run from the repository root::

    .venv/bin/python bench/serve.py                      # build the embedded store in a tmp dir
    .venv/bin/python bench/serve.py --store ./.dyadwatch --requests 300 --duration 10

What it does:

1. **The embedded store.** Ingests the shipped knowledge base (source ``curated``) into a
   fresh store, as ``dyadwatch run`` does (or uses ``--store``), then indicator series up to
   ``--series`` (default 1,000): the real CDC VSRR file of ``../shared/data`` (``ingest
   cdc_vsrr``: 520 state series) when it is there, and generated series in the same format
   (one jurisdiction, 47 months each, reported and predicted) for the rest.
2. **One server process.** Starts ``python -m dyadwatch serve`` on a free loopback port and
   waits for ``/api/status``.
3. **Load from this (second) process.** For each target — the overview page
   ``/?as_of=D``, ``/api/index`` (default parameters: the relationship series, monthly) and
   the Indicators page ``/indicators?as_of=D`` over all the series — first one
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

The Indicators page is also timed on its own, once the overview and the index have been
served (and the server's start-up warm-up is done): the first request (the catalogue of every
series read once for the date, then a page of 50 rendered), the second page (rendered from
that catalogue), a search, and the first page again (cached), each printed as
``indicators …`` with the number of series and the page's size.

The machine has two cores shared by the server, this load generator and anything else that
runs; the load average is printed with the results. Results are also written as JSON to
``bench/out/serve.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
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


CDC_FILE = (
    REPO.parent / "shared" / "data" / "statistics" / "us_cdc"
    / "VSRR_Provisional_Drug_Overdose_Death_Counts_2019snapshot.csv"
)  # fmt: skip
CDC_HEADER = (
    "State", "Year", "Month", "Period", "Indicator", "Data Value", "Percent Complete",
    "Percent Pending Investigation", "State Name", "Footnote", "Footnote Symbol",
    "Predicted Value",
)  # fmt: skip
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def build_store(path: Path) -> None:
    from dyadwatch import pipeline
    from dyadwatch.sources import get_source
    from dyadwatch.store import Store

    store = Store.open(path, create=True)
    source = get_source("curated")
    summary = pipeline.ingest(source, source.discover(), store)
    print(f"store {path}: {summary.describe()}", flush=True)


def series_count(store_path: Path) -> int:
    from dyadwatch.policy.indicators import indicator_names
    from dyadwatch.store import Store

    return indicator_names(Store.open(store_path)).num_rows


def generated_cdc(path: Path, series: int) -> Path:
    """A file in the CDC VSRR format holding ``series`` series (two per indicator: reported
    and predicted), 47 months each like the real file, all for one jurisdiction."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(CDC_HEADER)
        for k in range((series + 1) // 2):
            for m in range(47):
                year, month = 2015 + m // 12, MONTHS[m % 12]
                value = 1000 + 7 * k + 3 * m
                out.writerow(
                    ["US", year, month, "12 month-ending", f"Bench series {k:04d}", value,
                     "100", "0", "United States", "", "", value + 11]
                )  # fmt: skip
    return path


def add_series(store_path: Path, wanted: int, scratch: Path) -> int:
    """Indicator series up to ``wanted``: the real CDC file, then generated ones."""
    from dyadwatch import pipeline
    from dyadwatch.sources import get_source
    from dyadwatch.store import Store

    store = Store.open(store_path)
    source = get_source("cdc_vsrr")
    files = [CDC_FILE] if CDC_FILE.is_file() else []
    for f in files:
        print(f"ingest cdc_vsrr {f.name}: ", end="", flush=True)
        print(pipeline.ingest(source, list(source.artifacts_for_paths([f])), store).describe())
    missing = wanted - series_count(store_path)
    if missing > 0:
        made = generated_cdc(scratch / "bench_series.csv", missing)
        summary = pipeline.ingest(source, list(source.artifacts_for_paths([made])), store)
        print(f"generated {missing} series: {summary.describe()}", flush=True)
    return series_count(store_path)


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


def time_indicators(base: str, path: str, series: int) -> list[dict[str, Any]]:
    """The Indicators page over ``series`` series, each step once: the first page cold (the
    catalogue read for the date), the second page and a search (from that catalogue)."""
    steps = [
        ("page 1, cold", path),
        ("page 2", f"{path}&page=2"),
        ("search 'heroin'", f"{path}&q=heroin"),
        ("page 1 again (cached)", path),
    ]
    out = []
    for what, url in steps:
        t0 = time.perf_counter()
        r = httpx.get(base + url, timeout=300)
        ms = (time.perf_counter() - t0) * 1000
        if r.status_code != 200:
            raise SystemExit(f"{url}: HTTP {r.status_code}: {r.text[:300]}")
        rows = r.text.count('<td class="series-name">')
        out.append({"what": what, "path": url, "ms": round(ms, 1), "bytes": len(r.content),
                    "rows": rows})  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=None, help="Existing store to serve.")
    parser.add_argument("--as-of", default=None, help="As-of date of the pages [today].")
    parser.add_argument(
        "--series",
        type=int,
        default=1000,
        help="Indicator series in the built store (real CDC file first, then generated).",
    )
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
        add_series(store, args.series, Path(tmp.name))
    series = series_count(store)
    as_of = args.as_of or datetime.now(UTC).date().isoformat()
    indicators = f"/indicators?as_of={as_of}"
    targets = {
        "overview": f"/?as_of={as_of}",
        "api_index": "/api/index",
        "indicators": indicators,
    }
    if args.baseline:
        # A small static file: what the server and this load generator manage with no
        # dyadwatch code in the path, to read the two targets against.
        targets["static_css"] = "/static/dashboard.css"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(store, port)
    results: dict[str, Any] = {"as_of": as_of, "series": series, "targets": {}}
    try:
        for name, path in targets.items():
            if name == "indicators":
                # Timed step by step first, on a server done with the overview and the index
                # (the first visitor after a commit pays for the catalogue, once per date).
                results["indicators"] = time_indicators(base, indicators, series)
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
        first = (
            "first request (catalogue already read by the timing below)"
            if name == "indicators"
            else "cold (first request computes it)"
        )
        print(f"{name:<10} {first}: {t['cold_ms']} ms, {t['bytes']} bytes")
        for run in t["runs"]:
            print(
                f"{name:<10} {run['connections']:>5} {run['requests']:>5} {run['errors']:>4} "
                f"{run['p50_ms']:>8} {run['p99_ms']:>8} {run['rps']:>8}"
            )
    for step in results["indicators"]:
        print(
            f"indicators {step['what']} with {series} series: {step['ms']} ms, "
            f"{step['bytes']} bytes, {step['rows']} series shown"
        )
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "serve.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
