"""The index series: per-source and fused measures per period, in one DuckDB query.

Input is the dyad's events (:func:`dyadwatch.analyse.index.scan.dyad_events`), registered as
the relation ``dy``. The query, step by step (every step is set-based SQL):

1. ``dd`` — deduplication: with ``dedupe`` on, one row per (series, ``dedupe_group``), the
   first to become public (:data:`REPRESENTATIVE`), carrying the group's size; off, every
   row with size 1.
2. ``agg`` — per series and period: counts by quad class, Goldstein sums.
3. ``spine`` — every period from the first to the last for every series, so an empty period
   is an explicit row (counts 0, measures null), never a missing one.
4. ``vol`` — the denominators: events per country and period from the ``volume`` dataset of
   the same source, as of the same cut-off.
5. ``per`` — the measures (see :data:`COLUMNS`).
6. ``fused`` — the weighted mean of each ratio measure over the series that have a value in
   the period, with each series' weight, value and contribution listed.
7. ``z`` — z-scores of ``net_coop``, ``goldstein_net`` and ``n`` against the preceding
   ``baseline`` periods of the same series (current period excluded).
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa

from dyadwatch.analyse.index import daily as day_agg
from dyadwatch.analyse.index.scan import (
    REPRESENTATIVE,
    Scope,
    event_sums,
    label_case,
    parquet,
    sql_str,
)
from dyadwatch.analyse.index.spec import FUSED
from dyadwatch.model import as_of_timestamp

COLUMNS: Mapping[str, str] = {
    "source": "series label: a source (or family) name, or 'fused'",
    "period": "period label: 2021-W03, 2021-01, 2021Q1 or 2021",
    "period_start": "first day of the period",
    "period_end": "last day of the period",
    "n": "events counted (after filters and deduplication)",
    "n_raw": "events before deduplication",
    "vc": "verbal cooperation events (quad class 1)",
    "mc": "material cooperation events (quad class 2)",
    "vk": "verbal conflict events (quad class 3)",
    "mk": "material conflict events (quad class 4)",
    "net_coop": "(vc + mc - vk - mk) / (vc + mc + vk + mk), in [-1, 1]",
    "goldstein_net": "mean Goldstein score (goldstein_pos + goldstein_neg) / events scored",
    "goldstein_pos": "sum of positive Goldstein scores (cooperative mass)",
    "goldstein_neg": "sum of negative Goldstein scores (conflictual mass, <= 0)",
    "vol_a": "all events of country A in the period, from the source's volume counts",
    "vol_b": "all events of country B in the period, from the source's volume counts",
    "share_a": "n / vol_a",
    "share_b": "n / vol_b",
    "net_share_a": "(vc + mc - vk - mk) / vol_a",
    "net_share_b": "(vc + mc - vk - mk) / vol_b",
    "z_net_coop": "z-score of net_coop against the rolling baseline",
    "z_goldstein_net": "z-score of goldstein_net against the rolling baseline",
    "z_n": "z-score of n against the rolling baseline",
    "baseline_periods": "periods with a net_coop value in the baseline window",
    "contributions": "fused rows: each series' weight, value and contribution",
}
"""Every column of an index frame, in order, with its meaning."""

_UNIT = {"week": "week", "month": "month", "quarter": "quarter", "year": "year"}
_STEP = {
    "week": "INTERVAL 7 DAY",
    "month": "INTERVAL 1 MONTH",
    "quarter": "INTERVAL 3 MONTH",
    "year": "INTERVAL 1 YEAR",
}
_LABEL = {
    "week": "strftime(period_start, '%G-W%V')",
    "month": "strftime(period_start, '%Y-%m')",
    "quarter": "strftime(period_start, '%Y') || 'Q' || CAST(quarter(period_start) AS VARCHAR)",
    "year": "strftime(period_start, '%Y')",
}

CONTRIBUTION_TYPE = pa.list_(
    pa.struct(
        [
            pa.field("source", pa.string()),
            pa.field("weight", pa.float64()),
            pa.field("weight_share", pa.float64()),
            pa.field("n", pa.int64()),
            pa.field("net_coop", pa.float64()),
            pa.field("contribution", pa.float64()),
            pa.field("goldstein_net", pa.float64()),
            pa.field("contribution_goldstein", pa.float64()),
        ]
    )
)

RATIOS = ("net_coop", "goldstein_net", "share_a", "share_b", "net_share_a", "net_share_b")


def _volume_sql(scope: Scope) -> tuple[str, dict[str, object]]:
    spec = scope.spec
    if not scope.volume_files:
        return (
            "SELECT NULL::VARCHAR AS src, NULL::DATE AS ps, NULL::BIGINT AS vol_a, "
            "NULL::BIGINT AS vol_b WHERE FALSE",
            {},
        )
    a, b = spec.countries
    where = ["country IN ($va, $vb)"]
    params: dict[str, object] = {"va": a, "vb": b}
    if scope.since:
        where.append("day >= $vlo")
        params["vlo"] = scope.since
    if scope.until:
        where.append("day <= $vhi")
        params["vhi"] = scope.until
    if spec.as_of is not None:
        where.append("known_at <= $vas_of")
        params["vas_of"] = as_of_timestamp(spec.as_of)
    sql = (
        f"SELECT {label_case(scope.labels)} AS src, "
        f"CAST(date_trunc('{_UNIT[spec.freq]}', day) AS DATE) AS ps, "
        "sum(events) FILTER (WHERE country = $va) AS vol_a, "
        "sum(events) FILTER (WHERE country = $vb) AS vol_b "
        f"FROM {parquet(scope.volume_files)} WHERE {' AND '.join(where)} GROUP BY ALL"
    )
    return sql, params


def _row_agg_sql(scope: Scope, unit: str) -> str:
    """``agg`` (per series and period) from the dyad's rows in ``dy``, deduplicating them."""
    dedupe = scope.spec.dedupe != "none"
    # One row per (series, dedupe_group): the member first public; among members public at
    # the same moment, the lowest quad class and Goldstein score — a deterministic choice
    # that needs no event_id, whose 32 random characters are the costliest column to read.
    # Rows without a group count alone. Evidence picks its representative the same way.
    dd = (
        "SELECT src, event_date, quad_class, goldstein, "
        "CASE WHEN dedupe_group IS NULL THEN 1 "
        "ELSE count(*) OVER (PARTITION BY src, dedupe_group) END AS dup_n FROM dy "
        f"QUALIFY dedupe_group IS NULL OR row_number() OVER (PARTITION BY src, dedupe_group "
        f"ORDER BY {REPRESENTATIVE}) = 1"
        if dedupe
        else "SELECT src, event_date, quad_class, goldstein, 1 AS dup_n FROM dy"
    )
    return f"""
  SELECT src, CAST(date_trunc('{unit}', event_date) AS DATE) AS ps,
    count(*) AS n, sum(dup_n) AS n_raw,
    {event_sums()}
  FROM ({dd}) dd GROUP BY ALL"""


def _inputs(
    scope: Scope, daily: day_agg.Daily | None, unit: str
) -> tuple[str, str, dict[str, object]]:
    """The ``agg`` and ``vol`` relations and their parameters: from ``dy`` or the aggregate."""
    params: dict[str, object]
    if daily is None:
        agg_sql = _row_agg_sql(scope, unit)
        vol_sql, params = _volume_sql(scope)
    else:
        agg_sql, params = day_agg.agg_sql(daily, scope, unit)
        if daily.volume is None:
            vol_sql, more = _volume_sql(scope)
        else:
            vol_sql, more = day_agg.vol_sql(daily, scope, unit)
        params.update(more)
    return agg_sql, vol_sql, params


_PER = """per AS (
  SELECT spine.src AS source, spine.ps AS period_start,
    coalesce(agg.n, 0) AS n, coalesce(agg.n_raw, 0)::BIGINT AS n_raw,
    coalesce(vc, 0) AS vc, coalesce(mc, 0) AS mc, coalesce(vk, 0) AS vk, coalesce(mk, 0) AS mk,
    (vc + mc - vk - mk)::DOUBLE / nullif(vc + mc + vk + mk, 0) AS net_coop,
    gsum::DOUBLE / nullif(ng, 0) AS goldstein_net,
    gpos::DOUBLE AS goldstein_pos,
    gneg::DOUBLE AS goldstein_neg,
    vol.vol_a::BIGINT AS vol_a, vol.vol_b::BIGINT AS vol_b,
    coalesce(agg.n, 0)::DOUBLE / nullif(vol.vol_a, 0) AS share_a,
    coalesce(agg.n, 0)::DOUBLE / nullif(vol.vol_b, 0) AS share_b,
    coalesce(vc + mc - vk - mk, 0)::DOUBLE / nullif(vol.vol_a, 0) AS net_share_a,
    coalesce(vc + mc - vk - mk, 0)::DOUBLE / nullif(vol.vol_b, 0) AS net_share_b
  FROM spine
  LEFT JOIN agg ON agg.src = spine.src AND agg.ps = spine.ps
  LEFT JOIN vol ON vol.src = spine.src AND vol.ps = spine.ps
)"""
"""Step 5: the measures of each series and period (counts, ratios, shares of volume)."""


def _fused_sql(scope: Scope) -> str:
    """Step 6: ``weights``, ``pw``, ``tot`` and ``fused`` (weighted means, contributions)."""
    fused_ratios = ",\n".join(
        f"sum(weight * {r}) / nullif(sum(weight) FILTER (WHERE {r} IS NOT NULL), 0) AS {r}"
        for r in RATIOS
    )
    return f"""weights AS ({weights_sql(scope)}),
pw AS (
  SELECT per.*, weights.weight FROM per JOIN weights ON weights.source = per.source
),
tot AS (
  SELECT period_start,
    sum(weight) FILTER (WHERE net_coop IS NOT NULL) AS w_net,
    sum(weight) FILTER (WHERE goldstein_net IS NOT NULL) AS w_gold
  FROM pw GROUP BY period_start
),
fused AS (
  SELECT '{FUSED}' AS source, pw.period_start,
    sum(n)::BIGINT AS n, sum(n_raw)::BIGINT AS n_raw,
    sum(vc)::BIGINT AS vc, sum(mc)::BIGINT AS mc, sum(vk)::BIGINT AS vk, sum(mk)::BIGINT AS mk,
    {fused_ratios},
    sum(goldstein_pos) AS goldstein_pos, sum(goldstein_neg) AS goldstein_neg,
    NULL::BIGINT AS vol_a, NULL::BIGINT AS vol_b,
    list({{
      'source': pw.source, 'weight': weight,
      'weight_share': CASE WHEN net_coop IS NOT NULL THEN weight / nullif(tot.w_net, 0) END,
      'n': n::BIGINT, 'net_coop': net_coop,
      'contribution': weight * net_coop / nullif(tot.w_net, 0),
      'goldstein_net': goldstein_net,
      'contribution_goldstein': weight * goldstein_net / nullif(tot.w_gold, 0)
    }} ORDER BY pw.source) AS contributions
  FROM pw JOIN tot ON tot.period_start = pw.period_start
  GROUP BY pw.period_start
)"""


def _z_sql(scope: Scope) -> str:
    """Step 7: ``z``, each series' z-scores against its preceding ``baseline`` periods."""
    b = scope.spec.baseline_periods
    minp = max(2, b // 2)
    window = (
        f"(PARTITION BY source ORDER BY period_start ROWS BETWEEN {b} PRECEDING AND 1 PRECEDING)"
    )

    def z(col: str) -> str:
        return (
            f"CASE WHEN count({col}) OVER {window} >= {minp} "
            f"AND stddev_samp({col}) OVER {window} > 0 "
            f"THEN ({col} - avg({col}) OVER {window}) / stddev_samp({col}) OVER {window} END"
        )

    return f"""z AS (
  SELECT *,
    {z("net_coop")} AS z_net_coop,
    {z("goldstein_net")} AS z_goldstein_net,
    {z("n")} AS z_n,
    count(net_coop) OVER {window} AS baseline_periods
  FROM allrows
)"""


def series_sql(
    scope: Scope, start: object, end: object, daily: day_agg.Daily | None = None
) -> tuple[str, dict[str, object]]:
    """The SQL for the whole index frame (the steps of this module's docstring).

    It reads the dyad's rows in the relation ``dy`` or, given ``daily``, the dyad-day
    aggregate (:mod:`~dyadwatch.analyse.index.daily`), which gives the same ``agg`` and
    ``vol`` relations from far fewer rows.
    """
    spec = scope.spec
    agg_sql, vol_sql, params = _inputs(scope, daily, _UNIT[spec.freq])
    params.update({"labels": scope.series, "start": start, "end": end})
    sql = f"""
WITH agg AS ({agg_sql}),
spine AS (
  SELECT s.src, CAST(p.ps AS DATE) AS ps
  FROM (SELECT unnest($labels::VARCHAR[]) AS src) s,
       generate_series($start::DATE, $end::DATE, {_STEP[spec.freq]}) p(ps)
),
vol AS ({vol_sql}),
{_PER},
{_fused_sql(scope)},
allrows AS (
  SELECT source, period_start, n, n_raw, vc, mc, vk, mk, net_coop, goldstein_net,
    goldstein_pos, goldstein_neg, vol_a, vol_b, share_a, share_b, net_share_a, net_share_b,
    NULL AS contributions
  FROM per
  UNION ALL BY NAME
  SELECT * FROM fused
),
{_z_sql(scope)}
SELECT source, {_LABEL[spec.freq]} AS period, period_start,
  CAST(period_start + {_STEP[spec.freq]} - INTERVAL 1 DAY AS DATE) AS period_end,
  n::BIGINT AS n, n_raw, vc::BIGINT AS vc, mc::BIGINT AS mc, vk::BIGINT AS vk, mk::BIGINT AS mk,
  net_coop, goldstein_net, goldstein_pos, goldstein_neg, vol_a, vol_b,
  share_a, share_b, net_share_a, net_share_b, z_net_coop, z_goldstein_net, z_n,
  baseline_periods::BIGINT AS baseline_periods, contributions
FROM z
ORDER BY source = '{FUSED}', source, period_start
"""
    return sql, params


def weights_sql(scope: Scope, key: str = "source") -> str:
    """The series' fused-index weights as a ``VALUES`` relation."""
    rows = ", ".join(f"({sql_str(s)}, {scope.weight(s)!r}::DOUBLE)" for s in scope.series)
    return f"SELECT * FROM (VALUES {rows}) AS w({key}, weight)"


def compute_series(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    start: object,
    end: object,
    daily: day_agg.Daily | None = None,
) -> pa.Table:
    """Run :func:`series_sql` over ``dy`` (or ``daily``); return the index frame."""
    sql, params = series_sql(scope, start, end, daily)
    table = con.sql(sql, params=params).to_arrow_table()
    idx = table.schema.get_field_index("contributions")
    return table.set_column(
        idx, "contributions", table.column("contributions").cast(CONTRIBUTION_TYPE)
    )
