"""Benchmark and record: do the default rules discriminate, and what did the levers do?

Not a test. Run from the repository root::

    .venv/bin/python bench/rules.py                       # builds ./bench/out/rules-store once
    .venv/bin/python bench/rules.py --store /tmp/s --from 2007-01 --to 2026-11

The store is the embedded one: the curated knowledge base ingested by the main job
(``dyadwatch run``). It prints:

1. the time to evaluate the default rule set as of ``--as-of`` (median of ``--repeat``);
2. the discrimination report (:func:`dyadwatch.policy.rules.report.report`) over the range:
   share of decided months met, changes of finding, months unknown and not yet asked for,
   and the flag of every rule met in more than 90 % or fewer than 2 % of decided months,
   with its file's explanation when the condition is structural;
3. the outcomes of the backtest (:mod:`dyadwatch.policy.rules.outcomes`): per rule with a
   lever, agreement of condition and lever use (all, in sample, out of sample; with Cohen's
   kappa), the best lead/lag, and the event-study effect on the default index 3, 6 and 12
   months after each distinct change of the lever's state, with its 90 % interval.

Last line: ``rules_eval_ms=… flagged=… unexplained=… levers_with_effects=… backtest_s=…``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date, datetime
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


def month(text: str) -> date:
    return datetime.strptime(text, "%Y-%m").date()


def fmt_share(a: dict[str, Any] | None) -> str:
    if not a or a["agreement"] is None:
        return "-"
    k = "" if a.get("kappa") is None else f" k{a['kappa']:+.2f}"
    return f"{a['agreement']:.0%}/{a['months']}{k}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, default=HERE / "out" / "rules-store")
    ap.add_argument("--as-of", default="2021-01-31")
    ap.add_argument("--from", dest="start", default="2007-01")
    ap.add_argument("--to", dest="end", default="2026-11")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from dyadwatch.policy.rules import backtest, evaluate, load_rules
    from dyadwatch.policy.rules.backtest import outcome_rows
    from dyadwatch.policy.rules.report import report
    from dyadwatch.present.jobs import main_job
    from dyadwatch.settings import Settings
    from dyadwatch.store import Store

    if not args.store.exists():
        main_job(Settings(store=args.store))
    store = Store.open(args.store)
    rules = load_rules()
    as_of = date.fromisoformat(args.as_of)
    start, end = month(args.start), month(args.end)

    eval_s, findings = timed(lambda: evaluate(store, rules, as_of), args.repeat)
    met = sum(f.status == "met" for f in findings)
    print(f"evaluate {len(findings)} rules as of {as_of}: {eval_s * 1000:.0f} ms ({met} met)")

    t = time.perf_counter()
    rep = report(store, rules, start, end)
    report_s = time.perf_counter() - t
    print(f"\nreport {rep.start:%Y-%m} .. {rep.end:%Y-%m} ({report_s:.1f} s)")
    print(f"{'rule':32} {'met%':>5} {'met':>4} {'not':>4} {'unk':>4} {'n/a':>4} {'chg':>4}  flag")
    for r in rep.rows:
        share = "-" if r.share_met is None else f"{r.share_met:.0%}"
        flag = (r.flag or "") + (" [structural]" if r.structural else "")
        print(
            f"{r.id:32} {share:>5} {r.met:>4} {r.not_met:>4} {r.unknown:>4} "
            f"{r.not_applicable:>4} {r.changes:>4}  {flag}"
        )

    t = time.perf_counter()
    bt = backtest(store, rules, start, end, outcomes=True)
    bt_s = time.perf_counter() - t
    rows = outcome_rows(bt.summary())
    print(f"\noutcomes ({bt_s:.1f} s); agreement all / in / out of sample (months, kappa)")
    with_effects: set[str] = set()
    for o in rows:
        a = o["agreement"] or {}
        lag = o["lead_lag"]
        print(
            f"{o['rule_id']:32} {o['lever']:22} "
            f"{fmt_share(a.get('all'))} | {fmt_share(a.get('in_sample'))} | "
            f"{fmt_share(a.get('out_of_sample'))}" + (f" | lag {lag['months']:+d}" if lag else "")
        )
        if o["status"] != "ok":
            print(f"    {o['reason']}")
            continue
        for st in o["studies"]:
            parts = []
            for e in st["effects"]:
                if e["status"] == "ok":
                    with_effects.add(o["lever"])
                    parts.append(
                        f"{e['horizon_months']}m {e['effect']:+.2f} "
                        f"[{e['lo']:+.2f}, {e['hi']:+.2f}]"
                    )
                else:
                    parts.append(f"{e['horizon_months']}m n/a")
            print(f"    {st['measure']}: " + "; ".join(parts))

    flagged = sum(1 for r in rep.rows if r.flag)
    print(
        f"rules_eval_ms={eval_s * 1000:.0f} flagged={flagged} unexplained={len(rep.unexplained)} "
        f"levers_with_effects={len(with_effects)} backtest_s={bt_s:.1f}"
    )


if __name__ == "__main__":
    main()
