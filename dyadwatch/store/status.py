"""What a store holds, for ``dyadwatch status`` and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dyadwatch.store.store import Store


@dataclass(slots=True)
class StatusReport:
    root: str
    generation: int
    datasets: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    ingest: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "store": self.root,
            "generation": self.generation,
            "datasets": self.datasets,
            "events_by_source": self.sources,
            "ingest_log": self.ingest,
            "quarantine": self.quarantine,
        }

    def text(self) -> str:
        lines = [f"store {self.root} (generation {self.generation})", ""]
        lines.append("datasets:")
        if not self.datasets:
            lines.append("  (empty: ingest something, e.g. `dyadwatch run`)")
        for d in self.datasets:
            lines.append(
                f"  {d['dataset']:<18} {d['source']:<10} {d['rows']:>10,} rows"
                f" in {d['files']} file(s)"
            )
        if self.sources:
            lines += ["", "events by source:"]
            for s in self.sources:
                lines.append(
                    f"  {s['source']:<10} {s['events']:>10,} events, "
                    f"dated {s['first']} … {s['last']}, known by {s['known_by']}"
                )
        lines += ["", "ingest log:"]
        if not self.ingest:
            lines.append("  (nothing ingested yet)")
        for i in self.ingest:
            lines.append(
                f"  {i['source']:<10} {i['status']:<12} {i['artifacts']:>6} artifact(s), "
                f"{i['rows_kept'] or 0:>10,} rows kept, last {i['last']}"
            )
        lines += ["", "quarantine:"]
        if not self.quarantine:
            lines.append("  (empty)")
        for q in self.quarantine:
            lines.append(f"  {q['source']:<10} {q['rows']:>8,}  {q['reason']}")
        return "\n".join(lines) + "\n"


def status_report(store: Store) -> StatusReport:
    """Datasets by source, events by source, ingest-log and quarantine summaries."""
    snap = store.snapshot()
    report = StatusReport(root=str(store.root), generation=snap.generation)
    agg: dict[tuple[str, str], dict[str, Any]] = {}
    for p in snap.parts:
        entry = agg.setdefault(
            (p.dataset, p.source), {"dataset": p.dataset, "source": p.source, "rows": 0, "files": 0}
        )
        entry["rows"] += p.rows
        entry["files"] += 1
    report.datasets = [agg[k] for k in sorted(agg)]
    con = store.connect(snap)
    try:
        rows = con.execute(
            "SELECT source, count(*), min(event_date), max(event_date), max(known_at) "
            "FROM events GROUP BY source ORDER BY source"
        ).fetchall()
    finally:
        con.close()
    report.sources = [
        {
            "source": r[0],
            "events": r[1],
            "first": str(r[2]),
            "last": str(r[3]),
            "known_by": r[4].strftime("%Y-%m-%d") if r[4] else None,
        }
        for r in rows
    ]
    report.ingest = store.catalog_query(
        "SELECT source, status, count(*) AS artifacts, sum(rows_kept) AS rows_kept, "
        "strftime(max(coalesce(finished_at, started_at)), '%Y-%m-%d %H:%M') AS last "
        "FROM ingest_log GROUP BY source, status ORDER BY source, status"
    ).to_pylist()
    report.quarantine = store.catalog_query(
        "SELECT source, reason, count(*) AS rows FROM ("
        "  SELECT source, regexp_replace(reason, '''.*''', '…') AS reason FROM quarantine"
        "  WHERE resolved_at IS NULL"
        ") GROUP BY source, reason ORDER BY rows DESC LIMIT 20"
    ).to_pylist()
    return report
