"""Benchmark: the default rule set as of one date, and a monthly backtest 2018–today.

Not a test. Run from the repository root::

    .venv/bin/python bench/rules.py                       # builds ./bench/out/rules-store once
    .venv/bin/python bench/rules.py --store /tmp/s --repeat 20

The store is the embedded one: the curated knowledge base ingested by the main job
(``dyadwatch run``). Timings, each the median of ``--repeat`` runs after one warm-up:

- ``load``: :meth:`RuleData.load` (one DuckDB connection: dyad events, instrument states,
  indicators);
- ``evaluate``: :func:`evaluate` of the whole default rule set as of ``--as-of`` from the
  store (load included) — the number the issue asks to keep well under a second;
- ``evaluate_loaded``: the same over already-loaded data;
- ``backtest``: :func:`backtest` every month from ``--from`` to today (load included).

The first call in a process also pays one-time costs (imports, and the instrument catalogue
that :mod:`dyadwatch.policy.instruments` reads from the knowledge base); ``cold`` reports it.

Last line: ``rules_eval_ms=… backtest_s=… months=…``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    fn()
    runs = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, default=HERE / "out" / "rules-store")
    ap.add_argument("--as-of", default="2021-01-31")
    ap.add_argument("--from", dest="start", default="2018-01-01")
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()

    t0 = time.perf_counter()
    from dyadwatch.policy.rules import RuleData, backtest, evaluate, load_rules
    from dyadwatch.present.jobs import main_job
    from dyadwatch.settings import Settings
    from dyadwatch.store import Store

    t_import = time.perf_counter() - t0
    if not (args.store / "catalog.duckdb").exists() and not args.store.exists():
        main_job(Settings(store=args.store))
    store = Store.open(args.store)
    as_of = date.fromisoformat(args.as_of)
    start = date.fromisoformat(args.start)
    today = datetime.now(UTC).date()

    t = time.perf_counter()
    rules = load_rules()
    t_rules = time.perf_counter() - t
    t = time.perf_counter()
    findings = evaluate(store, rules, as_of)
    cold = time.perf_counter() - t

    load_s, data = timed(lambda: RuleData.load(store), args.repeat)
    eval_s, findings = timed(lambda: evaluate(store, rules, as_of), args.repeat)
    loaded_s, _ = timed(lambda: evaluate(data, rules, as_of), args.repeat)
    bt_s, bt = timed(lambda: backtest(store, rules, start, today), max(1, args.repeat // 3))
    months = len(bt.histories[0].months)

    print(f"store: {store.root} ({data.n} dyad events)")
    print(f"imports: {t_import * 1000:.0f} ms; load_rules: {t_rules * 1000:.1f} ms "
          f"({len(rules)} rules)")  # fmt: skip
    print(f"cold first evaluate (one-time catalogue and imports): {cold * 1000:.0f} ms")
    print(f"load (median of {args.repeat}): {load_s * 1000:.1f} ms")
    print(f"evaluate {len(findings)} rules as of {as_of} from the store: {eval_s * 1000:.1f} ms")
    print(f"evaluate over loaded data: {loaded_s * 1000:.1f} ms")
    print(f"backtest {start} .. {today}: {months} months x {len(rules)} rules: {bt_s:.2f} s "
          f"({bt_s / months * 1000:.1f} ms per month)")  # fmt: skip
    met = sum(f.status == "met" for f in findings)
    print(f"findings as of {as_of}: {met} met of {len(findings)}")
    print(f"rules_eval_ms={eval_s * 1000:.1f} backtest_s={bt_s:.2f} months={months}")


if __name__ == "__main__":
    main()
