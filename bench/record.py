"""The record vs the index: the moments the record agrees on, as the index read them then.

Not a test. Run from the repository root::

    .venv/bin/python bench/record.py                   # builds ./bench/out/validate-store once
    .venv/bin/python bench/record.py --store /tmp/s --markdown

For each moment (the 1985 Camarena crisis, the 1989–91 thaw, the 1997 certification fight,
the 2007–08 Mérida start, the 2013 single window, 2019–20, the essay's January 2021, the
October 2021 reset, 2024's strain, 2025), the default series (``relationship``, fused) **as
known at the moment's date**: its window, value, interval, n, and where the value ranks
among every earlier value with enough evidence (0 % = lowest so far). Beside it, the same
for the ``cameo`` baseline. docs/index.md shows the table this prints.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent

MOMENTS: tuple[tuple[str, str, date], ...] = (
    ("1985 Camarena crisis", "1985-04", date(1985, 4, 30)),
    ("1989–91 thaw", "1990-12", date(1990, 12, 31)),
    ("1997 certification fight", "1997-03", date(1997, 3, 31)),
    ("2007–08 Mérida start", "2008-06", date(2008, 6, 30)),
    ("2013 single window for US agencies", "2013-06", date(2013, 6, 30)),
    ("2019–20", "2020-06", date(2020, 6, 30)),
    ("January 2021 (the essay)", "2021-01", date(2021, 1, 19)),
    ("October 2021 reset", "2021-12", date(2021, 12, 31)),
    ("2024 strain", "2024-09", date(2024, 9, 30)),
    ("2025", "2025-09", date(2025, 9, 30)),
)


def reading(store: object, name: str, period: str, as_of: date) -> dict[str, object]:
    import polars as pl

    from dyadwatch.analyse.index import make_query, run_series

    run = run_series(store, make_query(name, {"as_of": as_of}))  # type: ignore[arg-type]
    frame = pl.from_arrow(run.source_rows())
    assert isinstance(frame, pl.DataFrame)
    here = frame.filter(pl.col("period") == period)
    if not here.height:
        return {"value": None, "reason": "outside the series"}
    row = here.row(0, named=True)
    earlier = frame.filter((pl.col("period") < period) & pl.col("value").is_not_null())
    rank = None
    if row["value"] is not None and earlier.height:
        rank = sum(v < row["value"] for v in earlier["value"].to_list()) / earlier.height
    return {**row, "rank": rank, "earlier": earlier.height}


def fmt(r: dict[str, object]) -> tuple[str, str, str, str]:
    if r.get("value") is None:
        return ("—", "—", str(r.get("n", 0)), str(r.get("reason") or ""))
    rank = r["rank"]
    return (
        f"{r['value']:+.2f}",
        f"{r['lo']:+.2f} … {r['hi']:+.2f}",
        str(r["n"]),
        "" if rank is None else f"{rank:.0%} of {r['earlier']}",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, default=HERE / "out" / "validate-store")
    args = ap.parse_args()

    from dyadwatch.present.jobs import main_job
    from dyadwatch.settings import Settings
    from dyadwatch.store import Store

    if not (args.store / "catalog.duckdb").exists():
        main_job(Settings(store=args.store))
    store = Store.open(args.store)
    t = time.perf_counter()
    print(
        "| moment | as of | period (window) | relationship | 90 % interval | n | rank so far "
        "| cameo baseline | its rank |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, period, as_of in MOMENTS:
        rel = reading(store, "relationship", period, as_of)
        base = reading(store, "cameo", period, as_of)
        value, interval, n, rank = fmt(rel)
        b_value, _, _, b_rank = fmt(base)
        window = rel.get("window")
        print(
            f"| {label} | {as_of} | {period} ({window} mo) | {value} | {interval} | {n} | {rank} "
            f"| {b_value} | {b_rank} |"
        )
    print(f"\n{len(MOMENTS)} moments in {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
