"""Evidence: the events behind an index value, largest contributions first.

An event's contribution is what it adds to the value of its period:

- to ``net_coop`` of one series: ``+1/N`` for a cooperative event (quad class 1 or 2),
  ``-1/N`` for a conflictual one (3 or 4), with ``N`` the events with a quad class;
- to ``goldstein_net``: ``goldstein / N_scored``;
- to a fused value: the same times its series' weight share in that period, so the
  contributions of all events of a period add up to the fused value.

With deduplication on, the event shown for a group is the one counted (the first to become
public; :data:`~dyadwatch.analyse.index.scan.REPRESENTATIVE`); ``duplicates`` says how
many stored events the group holds and ``source_urls`` lists the URLs of all of them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from dyadwatch.analyse.index.core import (
    IndexSession,
    prepare_events,
    session_connection,
    snapshot_of,
    to_frame,
)
from dyadwatch.analyse.index.measures import weights_sql
from dyadwatch.analyse.index.scan import EVIDENCE_COLUMNS, REPRESENTATIVE, Scope, resolve
from dyadwatch.analyse.index.spec import (
    FUSED,
    MEASURES,
    IndexSpec,
    make_spec,
    parse_period,
    period_end,
    period_label,
)
from dyadwatch.errors import UsageError, did_you_mean
from dyadwatch.store.store import Store

_BY_GOLDSTEIN = ("goldstein_net", "share_a", "share_b")


def contribution_column(measure: str) -> str:
    """Which contribution orders the evidence for ``measure``."""
    return "contribution_goldstein" if measure in _BY_GOLDSTEIN else "contribution_net_coop"


def evidence_between(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    first: date,
    last: date,
    *,
    source: str = FUSED,
    measure: str = "net_coop",
    limit: int | None = 20,
) -> pa.Table:
    """Evidence for every period from the one starting ``first`` to the one starting ``last``.

    ``limit`` applies per period. Rows are ordered by period, then rank.
    """
    spec = scope.spec
    check_measure(measure)
    labels = [*scope.series, FUSED]
    if source not in labels:
        raise UsageError(
            f"no series {source!r} in this index.{did_you_mean(source, labels)} "
            f"Series: {', '.join(labels)}."
        )
    prepare_events(con, scope, extra=EVIDENCE_COLUMNS, since=first, until=last_day(last, spec.freq))
    grp = "coalesce(dedupe_group, event_id)" if spec.dedupe != "none" else "event_id"
    order = contribution_column(measure)
    only = "" if source == FUSED else "WHERE src = $source"
    params: dict[str, Any] = {} if source == FUSED else {"source": source}
    qualify = f"QUALIFY rank <= {int(limit)}" if limit is not None else ""
    sql = f"""
WITH weights AS ({weights_sql(scope, "src")}),
g AS (
  SELECT *, CAST(date_trunc('{spec.freq}', event_date) AS DATE) AS period_start,
    {grp} AS grp,
    count(*) OVER (PARTITION BY src, {grp}) AS duplicates,
    list_distinct(flatten(list(source_urls) OVER (PARTITION BY src, {grp}))) AS urls
  FROM dy {only}
  QUALIFY row_number() OVER (PARTITION BY src, {grp} ORDER BY {REPRESENTATIVE}, event_id) = 1
),
den AS (
  SELECT src, period_start, count(quad_class) AS nq, count(goldstein) AS ng
  FROM g GROUP BY ALL
),
sh AS (
  SELECT den.*,
    CASE WHEN nq > 0 THEN weight / sum(CASE WHEN nq > 0 THEN weight END)
      OVER (PARTITION BY period_start) END AS share_net,
    CASE WHEN ng > 0 THEN weight / sum(CASE WHEN ng > 0 THEN weight END)
      OVER (PARTITION BY period_start) END AS share_gold
  FROM den JOIN weights USING (src)
),
c AS (
  SELECT g.*,
    CASE WHEN quad_class IN (1, 2) THEN 1.0 WHEN quad_class IN (3, 4) THEN -1.0 END
      * sh.share_net / nullif(sh.nq, 0) AS contribution_net_coop,
    goldstein * sh.share_gold / nullif(sh.ng, 0) AS contribution_goldstein
  FROM g JOIN sh ON sh.src = g.src AND sh.period_start = g.period_start
),
r AS (
  SELECT *, row_number() OVER (
    PARTITION BY period_start
    ORDER BY abs({order}) DESC NULLS LAST, abs(goldstein) DESC NULLS LAST,
      num_mentions DESC NULLS LAST, event_date, event_id) AS rank
  FROM c {qualify}
)
SELECT period_start, rank, src AS series, source, event_id, event_date, known_at,
  actor1_code, actor1_name, actor1_country, actor2_code, actor2_name, actor2_country,
  cameo_code, quad_class, goldstein, num_mentions, confidence, duplicates,
  {order} AS contribution, contribution_net_coop, contribution_goldstein,
  summary, urls AS source_urls, grp AS dedupe_group
FROM r ORDER BY period_start, rank
"""
    table = con.sql(sql, params=params).to_arrow_table()
    labels_col = pa.array(
        [period_label(d, spec.freq) for d in table.column("period_start").to_pylist()],
        pa.string(),
    )
    return table.add_column(0, "period", labels_col)


def check_measure(measure: str) -> None:
    if measure not in MEASURES:
        raise UsageError(
            f"measure {measure!r} is not one of {', '.join(MEASURES)}."
            f"{did_you_mean(str(measure), MEASURES)}"
        )


def last_day(start: date, freq: str) -> date:
    return period_end(start, freq)


def evidence(
    store: Store,
    period: str | date,
    spec: IndexSpec | None = None,
    *,
    source: str = FUSED,
    measure: str = "net_coop",
    limit: int | None = 20,
    output: str = "arrow",
    session: IndexSession | None = None,
    **params: Any,
) -> Any:
    """The events behind one index value, largest contributions first, with their URLs.

    Parameters
    ----------
    period
        ``2021-01``, ``2021Q1``, ``2021-W03``, ``2021`` or a date in the period.
    source
        The series: ``fused`` (default) or a source label.
    measure
        Whose contributions order the list: ``net_coop`` (default) or ``goldstein_net``.
    limit
        At most this many events (None: all).

    Examples
    --------
    >>> evidence(store, "2020-12", sources=["curated"], source="curated").column_names[:6]
    ['period', 'period_start', 'rank', 'series', 'source', 'event_id']
    """
    checked = make_spec(spec, params)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise UsageError(f"limit must be a positive whole number or None, not {limit!r}.")
    start = parse_period(period, checked.freq)
    scope = resolve(store, checked, snapshot_of(store, session))
    with session_connection(session) as con:
        table = evidence_between(
            con, scope, start, start, source=source, measure=measure, limit=limit
        )
    return to_frame(table, output)
