"""The main job: what the first quick-start command runs.

It builds (or refreshes) the store from what the package ships — the curated knowledge base,
no download needed — reports what the store holds, and ends with the brief as of today,
written as HTML and PDF (``out/brief-YYYY-MM-DD.html`` and ``.pdf``) whose paths it reports.
Re-running is cheap: unchanged artifacts are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from dyadwatch import pipeline
from dyadwatch.settings import Settings
from dyadwatch.sources import get_source
from dyadwatch.store import Store
from dyadwatch.store.status import StatusReport, status_report

EMBEDDED_SOURCES = ("curated",)
"""Sources whose artifacts ship inside the package."""

OUT_DIR = Path("out")
"""Where the main job writes the brief, relative to the working directory."""


@dataclass(slots=True)
class JobResult:
    store: Store
    summaries: dict[str, pipeline.IngestSummary]
    status: StatusReport
    text: str
    briefs: tuple[Path, ...] = ()
    """The brief files written (HTML, then PDF)."""


def write_briefs(
    store: Store, as_of: date, out_dir: Path, dyad: str = "USA-MEX"
) -> tuple[Path, ...]:
    """Write the brief as of ``as_of`` to ``out_dir`` as HTML and PDF; return both paths.

    One overview and one chart drawing serve both files, so they say the same thing.
    """
    from dyadwatch.present.brief.content import brief_content
    from dyadwatch.present.brief.render import render_html, render_pdf
    from dyadwatch.present.overview import overview

    ov = overview(store, as_of, dyad=dyad)
    content = brief_content(ov)
    out_dir.mkdir(parents=True, exist_ok=True)
    html = out_dir / f"brief-{as_of.isoformat()}.html"
    pdf = out_dir / f"brief-{as_of.isoformat()}.pdf"
    html.write_text(render_html(ov, content), encoding="utf-8")
    pdf.write_bytes(render_pdf(ov, content))
    return html, pdf


def main_job(
    settings: Settings, *, out_dir: Path = OUT_DIR, as_of: date | None = None
) -> JobResult:
    """Ingest the embedded sources into ``settings.store``, report its status, write the brief.

    Parameters
    ----------
    settings
        Resolved settings (``settings.store`` is built or refreshed).
    out_dir
        Directory for ``brief-YYYY-MM-DD.html`` and ``.pdf`` (default ``./out``).
    as_of
        Date of the brief (default: today, UTC).

    Examples
    --------
    >>> print(main_job(settings.load()).text)  # doctest: +SKIP
    """
    store = Store.open(settings.store, create=True)
    summaries: dict[str, pipeline.IngestSummary] = {}
    lines = []
    for name in EMBEDDED_SOURCES:
        source = get_source(name, settings)
        summary = pipeline.ingest(source, source.discover(), store, strictness=settings.strictness)
        summaries[name] = summary
        lines.append(f"{name}: {summary.describe()}")
    report = status_report(store)
    day = as_of or datetime.now(UTC).date()
    dyad = settings.dyads[0] if settings.dyads else "USA-MEX"
    briefs = write_briefs(store, day, out_dir, dyad)
    text = (
        "\n".join(lines)
        + "\n\n"
        + report.text()
        + f"\nbrief as of {day}:\n"
        + "".join(f"  {p}\n" for p in briefs)
    )
    return JobResult(store=store, summaries=summaries, status=report, text=text, briefs=briefs)
