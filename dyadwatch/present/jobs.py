"""The main job: what the first quick-start command runs.

It builds (or refreshes) the store from what the package ships — the curated knowledge base,
no download needed — and reports what the store holds. Re-running is cheap: unchanged
artifacts are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from dyadwatch import pipeline
from dyadwatch.settings import Settings
from dyadwatch.sources import get_source
from dyadwatch.store import Store
from dyadwatch.store.status import StatusReport, status_report

EMBEDDED_SOURCES = ("curated",)
"""Sources whose artifacts ship inside the package."""


@dataclass(slots=True)
class JobResult:
    store: Store
    summaries: dict[str, pipeline.IngestSummary]
    status: StatusReport
    text: str


def main_job(settings: Settings) -> JobResult:
    """Ingest the embedded sources into ``settings.store`` and report the store's status."""
    store = Store.open(settings.store, create=True)
    summaries: dict[str, pipeline.IngestSummary] = {}
    lines = []
    for name in EMBEDDED_SOURCES:
        source = get_source(name, settings)
        summary = pipeline.ingest(source, source.discover(), store, strictness=settings.strictness)
        summaries[name] = summary
        lines.append(f"{name}: {summary.describe()}")
    report = status_report(store)
    text = "\n".join(lines) + "\n\n" + report.text()
    return JobResult(store=store, summaries=summaries, status=report, text=text)
