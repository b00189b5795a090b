"""Benchmark of ``dyadwatch.analyse.network`` (not a test; prints timings, never asserts).

1. The full strategy comparison with recovery on every real network in
   ``../shared/data/networks`` (default strategies, budget 10%, second-neighbour recovery,
   20 runs), then ``essay_claim`` over the same networks (what ``dyadwatch network
   essay-claim`` runs; it should take under two minutes).
2. The same on a synthetic hierarchical network of 1,000,000 actors (boss → 8 regional
   bosses → … → 32,768 cell leaders, each running a cell of ~29 soldiers with ties inside the
   cell, sibling ties among managers and a few cross-cell ties). Betweenness and efficiency
   are estimated from sampled actors at this size (``--samples``).
3. igraph against NetworkX doing the same computation (same strategies — the percentile-band
   sweep in place of the middle-layer one — same recovery, same random streams, exact measures)
   on synthetic hierarchies of doubling size, up to the largest size NetworkX finishes within
   ``--nx-bound`` seconds. The last line printed is the ratio NetworkX time / igraph time at
   that size.

Run::

    .venv/bin/python bench/network.py                 # everything (~5 minutes on 2 cores)
    .venv/bin/python bench/network.py --nodes 100000  # a smaller synthetic network
"""

from __future__ import annotations

import argparse
import math
import os
import time
import zlib
from pathlib import Path
from typing import Any

import igraph
import networkx as nx
import numpy as np

from dyadwatch.analyse.network import (
    ClaimParams,
    EssayParams,
    Strategy,
    essay_claim,
    load,
    shared_networks,
    simulate,
)
from dyadwatch.analyse.network.strategies import percentiles, top

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DYADWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
STRATEGIES = ("hvt-degree", "hvt-betweenness", "sweep", "random")
PEER_STRATEGIES = ("hvt-degree", "hvt-betweenness", "sweep-betweenness", "random")
"""The NetworkX peer repeats the percentile-band sweep; the middle-layer sweep (``sweep``) has
no NetworkX counterpart to compare."""


def hierarchical(
    n: int,
    *,
    branching: int = 8,
    levels: int = 6,
    cell_ties: int = 2,
    peer_p: float = 0.3,
    cross: float = 0.005,
    seed: int = 0,
) -> igraph.Graph:
    """A synthetic criminal hierarchy of ``n`` actors with a declared ``rank`` (level).

    Managers form a ``branching``-ary tree of ``levels`` levels (siblings tied with
    probability ``peer_p``); the remaining actors are soldiers spread evenly over the lowest
    managers' cells, each with ``cell_ties`` random ties inside its cell; ``cross``·n random
    ties join actors anywhere.
    """
    while levels > 1 and sum(branching**lv for lv in range(levels)) >= n // 4:
        levels -= 1
    rng = np.random.default_rng(seed)
    sizes = [branching**lv for lv in range(levels)]
    starts = np.cumsum([0, *sizes])
    managers = int(starts[-1])
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []
    rank = np.full(n, math.nan)
    rank[0] = levels
    for lv in range(1, levels):
        ids = np.arange(starts[lv], starts[lv + 1])
        rank[ids] = levels - lv
        src.append(ids)
        dst.append(starts[lv - 1] + (ids - starts[lv]) // branching)
        sib = ids[(ids - starts[lv]) % branching != branching - 1]
        keep = sib[rng.random(sib.size) < peer_p]
        src.append(keep)
        dst.append(keep + 1)
    cells = np.arange(starts[levels - 1], starts[levels])
    soldiers = np.arange(managers, n)
    cell_of = cells[(soldiers - managers) % cells.size]
    src.append(soldiers)
    dst.append(cell_of)
    order = np.argsort(cell_of, kind="stable")
    s_sorted, c_idx = soldiers[order], cell_of[order] - cells[0]
    counts = np.bincount(c_idx, minlength=cells.size)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    for _ in range(cell_ties):
        pick = offsets[c_idx] + (rng.random(s_sorted.size) * counts[c_idx]).astype(np.int64)
        src.append(s_sorted)
        dst.append(s_sorted[pick])
    k = max(1, int(cross * n))
    src.append(rng.integers(0, n, k))
    dst.append(rng.integers(0, n, k))
    edges = np.column_stack([np.concatenate(src), np.concatenate(dst)])
    edges = edges[edges[:, 0] != edges[:, 1]]
    graph = igraph.Graph(n=n, edges=edges, directed=False)
    graph.simplify()
    graph.vs["name"] = [str(i) for i in range(n)]
    graph.vs["rank"] = rank.tolist()
    return graph


def stream(seed: int, name: str, run: int) -> np.random.Generator:
    """The library's per-(strategy, run) random stream, reproduced for the NetworkX peer."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode()), run]))


def nx_simulate(
    g0: nx.Graph,
    strategies: tuple[str, ...],
    *,
    budget: int,
    step_size: int,
    band: tuple[float, float] = (0.5, 0.9),
    seed: int = 0,
    min_group_size: int = 4,
) -> list[dict[str, Any]]:
    """The library's simulation (exact measures, second-neighbour recovery) in NetworkX."""
    n0 = g0.number_of_nodes()
    b0 = nx.betweenness_centrality(g0, normalized=False)
    ref = (n0, b0, sum(b0.values()), sum(nx.harmonic_centrality(g0).values()) / (n0 * (n0 - 1)))
    rows: list[dict[str, Any]] = []
    for name in strategies:
        rng = stream(seed, name, 0)
        g = g0.copy()
        rows.append(nx_record(g, ref, name, 0, "removal", 0, min_group_size))
        removed, step = 0, 0
        while removed < budget:
            step += 1
            if name == "sweep-betweenness" and step > 1:
                break
            k = (
                budget - removed
                if name == "sweep-betweenness"
                else min(step_size, budget - removed)
            )
            targets = nx_targets(g, name, k, band, rng)
            if not targets:
                break
            gone = set(targets)
            orphans = [sorted(u for u in g.neighbors(v) if u not in gone) for v in targets]
            g.remove_nodes_from(targets)
            removed += len(targets)
            rows.append(nx_record(g, ref, name, step, "removal", removed, min_group_size))
            g.add_edges_from(nx_rewire(g, orphans, rng))
            rows.append(nx_record(g, ref, name, step, "recovery", removed, min_group_size))
    return rows


def nx_record(
    g: nx.Graph,
    ref: tuple[int, dict[Any, float], float, float],
    name: str,
    step: int,
    stage: str,
    removed: int,
    min_group_size: int,
) -> dict[str, Any]:
    """The library's outcome measures of ``g``, computed with NetworkX."""
    n0, b0, total_b, e0 = ref
    sizes = [len(c) for c in nx.connected_components(g)]
    eff = sum(nx.harmonic_centrality(g).values()) / (n0 * (n0 - 1))
    return {
        "strategy": name,
        "step": step,
        "stage": stage,
        "removed": removed,
        "lcc_share": max(sizes, default=0) / n0,
        "components": len(sizes),
        "successor_groups": sum(1 for s in sizes if s >= min_group_size),
        "efficiency_share": eff / e0,
        "brokerage_share": sum(b0[v] for v in g) / total_b,
    }


def nx_targets(
    g: nx.Graph, name: str, k: int, band: tuple[float, float], rng: np.random.Generator
) -> list[Any]:
    """The actors a strategy removes next (igraph keeps survivors in original order)."""
    nodes = sorted(g.nodes())
    order = np.asarray(nodes)
    if name == "random":
        picked = rng.choice(len(nodes), size=min(k, len(nodes)), replace=False)
    else:
        if name == "hvt-degree":
            values = np.asarray([g.degree(v) for v in nodes], dtype=float)
        else:
            bc = nx.betweenness_centrality(g, normalized=False)
            values = np.round(np.asarray([bc[v] for v in nodes], dtype=float), 9)
        if name == "sweep-betweenness":
            pct = percentiles(values)
            values = np.where((pct >= band[0]) & (pct <= band[1]), values, math.nan)
        picked = top(values, k, order)
    return [nodes[int(i)] for i in picked]


def nx_rewire(
    g: nx.Graph, orphans: list[list[Any]], rng: np.random.Generator
) -> set[tuple[int, int]]:
    """Second-neighbour recovery at rate 1, drawing from the same stream as the library."""
    new: set[tuple[int, int]] = set()
    for group in orphans:
        if len(group) < 2:
            continue
        members = np.asarray(group)
        for u in members:
            if rng.random() >= 1.0:
                continue
            others = members[members != u]
            w = int(others[rng.integers(others.size)])
            key = (int(u), w) if u < w else (w, int(u))
            if not g.has_edge(int(u), w) and key not in new:
                new.add(key)
    return new


def to_networkx(graph: igraph.Graph) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(range(graph.vcount()))
    g.add_edges_from(graph.get_edgelist())
    return g


def bench_real(runs: int) -> None:
    paths = shared_networks(SHARED / "networks")
    print(f"real networks: {', '.join(STRATEGIES)}; budget 10%; second-neighbour; {runs} runs")
    total = 0.0
    for path in paths:
        net = load(path)
        t = time.perf_counter()
        res = simulate(net, STRATEGIES, budget=0.1, recovery="second-neighbour", runs=runs, seed=1)
        dt = time.perf_counter() - t
        total += dt
        rec = {
            r["strategy"]: r["lcc_share"]
            for r in res.summary.to_pylist()
            if r["stage"] == "recovery"
        }
        lcc = " ".join(f"{k}={v:.2f}" for k, v in rec.items())
        print(
            f"  {path.name:32s} n={res.network['nodes']:4d} m={res.network['edges']:5d} "
            f"{dt:6.2f}s  LCC after recovery: {lcc}"
        )
    print(f"  all real networks: {total:.1f}s")


def bench_essay(runs: int) -> None:
    """``dyadwatch network essay-claim`` over every shared network, as the command runs it."""
    t = time.perf_counter()
    report = essay_claim(SHARED / "networks", EssayParams(ClaimParams(runs=runs)))
    dt = time.perf_counter() - t
    print(
        f"essay-claim: {len(report['networks'])} networks + the fragmentation model, "
        f"{runs} runs each: {dt:.1f}s"
    )
    for line in report["summary"]["text"]:
        print(f"  {line}")


def bench_synthetic(n: int, samples: int, budget: float, steps: int) -> None:
    t = time.perf_counter()
    graph = hierarchical(n)
    print(
        f"synthetic hierarchy: n={graph.vcount():,} m={graph.ecount():,} "
        f"built in {time.perf_counter() - t:.1f}s"
    )
    k = max(1, round(budget * n))
    step_size = max(1, math.ceil(k / steps))
    # The synthetic network declares ranks (levels) for managers only, so ``sweep`` takes the
    # declared middle layer: every manager below the top boss, its best brokers first.
    strategies: tuple[str | Strategy, ...] = (*STRATEGIES, "hvt-rank")
    t = time.perf_counter()
    res = simulate(
        graph,
        strategies,
        budget=k,
        step_size=step_size,
        recovery="second-neighbour",
        runs=1,
        seed=1,
        samples=samples,
    )
    dt = time.perf_counter() - t
    print(
        f"  {', '.join(s if isinstance(s, str) else s.name for s in strategies)}; "
        f"budget {k:,} ({budget:.0%}) in steps of {step_size:,}; "
        f"second-neighbour; sampled estimates ({samples} actors): {dt:.1f}s"
    )
    for r in res.summary.to_pylist():
        print(
            f"    {r['strategy']:16s} {r['stage']:8s} lcc={r['lcc_share']:.3f} "
            f"fragments={r['components']:.0f} groups={r['successor_groups']:.0f} "
            f"eff={r['efficiency_share']:.3f} brokerage={r['brokerage_share']:.3f}"
        )


def bench_peer(bound: float, start: int, budget: float, steps: int) -> str:
    print(f"igraph vs NetworkX (exact measures; {', '.join(PEER_STRATEGIES)}; second-neighbour):")
    n = start
    best: tuple[int, float, float, bool] | None = None
    while True:
        graph = hierarchical(n, seed=n)
        k = max(1, round(budget * n))
        step_size = max(1, math.ceil(k / steps))
        t = time.perf_counter()
        res = simulate(
            graph, PEER_STRATEGIES, budget=k, step_size=step_size, recovery="second-neighbour",
            runs=1, seed=1, exact_limit=10**9,
        )  # fmt: skip
        t_ig = time.perf_counter() - t
        g = to_networkx(graph)
        t = time.perf_counter()
        rows = nx_simulate(g, PEER_STRATEGIES, budget=k, step_size=step_size, seed=1)
        t_nx = time.perf_counter() - t
        ours = [
            (r["strategy"], r["step"], r["stage"], r["removed"], round(r["lcc_share"], 9),
             r["components"], round(r["efficiency_share"], 6))
            for r in res.steps.to_pylist()
        ]  # fmt: skip
        theirs = [
            (r["strategy"], r["step"], r["stage"], r["removed"], round(r["lcc_share"], 9),
             r["components"], round(r["efficiency_share"], 6))
            for r in rows
        ]  # fmt: skip
        same = ours == theirs
        finished = t_nx <= bound
        print(
            f"  n={n:6,d} m={graph.ecount():7,d}  igraph {t_ig:7.2f}s  NetworkX {t_nx:7.2f}s  "
            f"ratio {t_nx / t_ig:6.1f}x  identical results: {'yes' if same else 'NO'}"
            f"{'' if finished else '  (over the bound)'}"
        )
        if finished:
            best = (n, t_ig, t_nx, same)
        # NetworkX's cost grows about quadratically here; do not start a size that cannot end
        # within the bound (the machine is shared).
        if not finished or t_nx * 4.2 > bound:
            break
        n *= 2
    if best is None:
        return f"ratio: none (NetworkX did not finish within {bound:.0f}s even at n={start})"
    n, t_ig, t_nx, _ = best
    return (
        f"ratio NetworkX/igraph at n={n:,} (largest NetworkX finishes within {bound:.0f}s): "
        f"{t_nx / t_ig:.1f}x ({t_nx:.2f}s vs {t_ig:.2f}s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1_000_000, help="synthetic network size")
    parser.add_argument("--samples", type=int, default=16, help="sampled actors at large n")
    parser.add_argument("--budget", type=float, default=0.01, help="share removed (synthetic)")
    parser.add_argument("--steps", type=int, default=4, help="removal steps (synthetic)")
    parser.add_argument("--runs", type=int, default=20, help="runs on the real networks")
    parser.add_argument("--skip-synthetic", action="store_true", help="leave out the 1M network")
    parser.add_argument("--nx-bound", type=float, default=90.0, help="NetworkX bound, seconds")
    parser.add_argument("--nx-start", type=int, default=250, help="first NetworkX size")
    args = parser.parse_args()
    t = time.perf_counter()
    bench_real(args.runs)
    bench_essay(args.runs)
    if not args.skip_synthetic:
        bench_synthetic(args.nodes, args.samples, args.budget, args.steps)
    ratio = bench_peer(args.nx_bound, args.nx_start, budget=0.05, steps=5)
    print(f"total {time.perf_counter() - t:.0f}s")
    print(ratio)


if __name__ == "__main__":
    main()
