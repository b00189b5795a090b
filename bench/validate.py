"""Benchmark: the index against dated expert judgments, beside the CAMEO baseline.

Not a test. Run from the repository root::

    .venv/bin/python bench/validate.py                 # builds ./bench/out/validate-store once
    .venv/bin/python bench/validate.py --judgments my.csv --store /tmp/s

Scores the shipped judgments (``dyadwatch/knowledge/data/judgments.csv``) against the default
series (``relationship``: state-to-state events by their relational effect) and, in the same
run, against the ``cameo`` baseline (every event by its CAMEO Goldstein score: the tone of
the coding). Prints agreement per direction for both, the ratio, the time taken, and as its
last line ``agreement=X n=N`` for the default series (N: judgments decided, agree + disagree).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, default=HERE / "out" / "validate-store")
    ap.add_argument(
        "--judgments",
        type=Path,
        default=ROOT / "dyadwatch" / "knowledge" / "data" / "judgments.csv",
    )
    args = ap.parse_args()

    from dyadwatch.analyse.index import validate_judgments
    from dyadwatch.present.jobs import main_job
    from dyadwatch.settings import Settings
    from dyadwatch.store import Store

    if not (args.store / "catalog.duckdb").exists():
        main_job(Settings(store=args.store))
    store = Store.open(args.store)
    results = {}
    for name in ("relationship", "cameo"):
        t = time.perf_counter()
        results[name] = validate_judgments(store, args.judgments, name=name)
        seconds = time.perf_counter() - t
        v = results[name]
        print(
            f"{name:13s} agreement {v.agreement if v.agreement is not None else float('nan'):.2f}"
            f" ({v.n_agree} agree, {v.n_disagree} disagree, {v.n_insufficient} insufficient)"
            f" in {seconds:.2f} s"
        )
        by: dict[str, Counter[str]] = {}
        for r in v.rows:
            by.setdefault(r.direction, Counter())[r.verdict] += 1
        for direction, c in sorted(by.items()):
            decided = c["agree"] + c["disagree"]
            share = f"{c['agree'] / decided:.2f}" if decided else " n/a"
            print(
                f"    {direction:13s} {share}  agree {c['agree']:2d}  disagree {c['disagree']:2d}"
                f"  insufficient {c['insufficient']:2d}"
            )
    main, base = results["relationship"], results["cameo"]
    if main.agreement is not None and base.agreement:
        print(f"relationship / cameo agreement ratio: {main.agreement / base.agreement:.2f}")
    decided = main.n_agree + main.n_disagree
    print(f"agreement={main.agreement if main.agreement is not None else 0:.3f} n={decided}")


if __name__ == "__main__":
    main()
