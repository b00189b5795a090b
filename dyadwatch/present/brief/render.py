"""Render a brief: HTML (Jinja2, inline CSS, charts as data URIs) or PDF (fpdf2), no network.

Both formats render one :class:`~dyadwatch.present.brief.content.BriefContent`, so they say
the same thing in the same order. The HTML needs nothing but a browser: styles are inline,
the chart is a base64 SVG data URI and sparklines are inline SVG, so the only ``http(s)``
addresses in the file are the cited sources. The PDF is drawn with fpdf2 in DejaVu Sans, the
TrueType font matplotlib ships (found with :func:`matplotlib.get_data_path`), so accents,
ñ, dashes and curly quotes print without any system font or package.
"""

from __future__ import annotations

import base64
import functools
import logging
import tempfile
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from dyadwatch.errors import AnalysisError, UsageError
from dyadwatch.present.brief.content import BriefContent, Line, brief_content
from dyadwatch.present.brief.handling import overview_for
from dyadwatch.present.overview import Overview
from dyadwatch.store.store import Store

log = logging.getLogger(__name__)

FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf"}


def brief_format(path: Path | str) -> str:
    """``html`` or ``pdf`` from the file's extension; a :class:`UsageError` otherwise.

    >>> brief_format("brief.PDF"), brief_format("out/brief.html")
    ('pdf', 'html')
    """
    suffix = Path(path).suffix.lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise UsageError(
            f"cannot write a brief to {Path(path).name!r}: the file name must end in .html "
            "or .pdf (the format follows the extension)."
        )
    return fmt


# --- charts ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chart:
    svg: bytes | None
    png: bytes | None


def index_chart(ov: Overview, formats: tuple[str, ...] = ("svg", "png")) -> Chart | None:
    """The index chart of ``ov``: yearly net cooperation with the ``freq`` series faintly
    behind and the turning points marked; None when the index is empty.

    Drawn by :func:`dyadwatch.analyse.chart.draw` from the overview's own numbers.
    """
    import pyarrow as pa

    from dyadwatch.analyse.chart import draw

    if not ov.history or all(p.net_coop is None for p in ov.history):
        return None

    def table(points: Any) -> pa.Table:
        return pa.table(
            {
                "period_start": pa.array([p.period_start for p in points], pa.date32()),
                "period": pa.array([p.period for p in points], pa.string()),
                ov.measure: pa.array([p.net_coop for p in points], pa.float64()),
            }
        )

    turning = pa.table(
        {
            "period_start": pa.array([t.period_start for t in ov.turning_points], pa.date32()),
            "period": pa.array([t.period for t in ov.turning_points], pa.string()),
            "direction": pa.array([t.direction for t in ov.turning_points], pa.string()),
        }
    )
    title = f"{ov.dyad} net cooperation, as of {ov.as_of}"
    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="dyadwatch-brief-") as tmp:
        for fmt in formats:
            path = Path(tmp) / f"index.{fmt}"
            try:
                draw(
                    table(ov.history),
                    path,
                    measure=ov.measure,
                    turning=turning,
                    background={f"by {ov.freq}": table(ov.index)},
                    title=title,
                )
            except AnalysisError as exc:
                log.info("no index chart: %s", exc)
                return None
            out[fmt] = path.read_bytes()
    return Chart(svg=out.get("svg"), png=out.get("png"))


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def sparkline_svg(
    points: tuple[tuple[float, float], ...], width: int = 120, height: int = 24
) -> str:
    """An inline ``<svg>`` polyline of unit-square points (no namespace URL: HTML5 inline).

    >>> sparkline_svg(((0.0, 0.0), (1.0, 1.0)), 10, 4)[:40]
    '<svg class="spark" width="10" height="4"'
    """
    pad = 2.0
    coords = " ".join(
        f"{pad + x * (width - 2 * pad):.1f},{height - pad - y * (height - 2 * pad):.1f}"
        for x, y in points
    )
    last = points[-1] if points else (0.0, 0.0)
    cx = pad + last[0] * (width - 2 * pad)
    cy = height - pad - last[1] * (height - 2 * pad)
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="trend"><polyline fill="none" stroke="#1f4e79" '
        f'stroke-width="1.3" points="{coords}"/><circle cx="{cx:.1f}" cy="{cy:.1f}" r="2" '
        'fill="#1f4e79"/></svg>'
    )


# --- HTML ------------------------------------------------------------------------------------


@functools.cache
def _environment() -> Any:
    import jinja2

    text = (
        resources.files("dyadwatch.present.brief")
        .joinpath("template.html.j2")
        .read_text(encoding="utf-8")
    )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.globals["sparkline_svg"] = sparkline_svg
    return env.from_string(text)


def render_html(ov: Overview, chart: Chart | None = None) -> str:
    """The brief as one self-contained HTML page.

    Examples
    --------
    >>> html = render_html(overview(store, date(2021, 1, 31)))  # doctest: +SKIP
    """
    from markupsafe import Markup

    content = brief_content(ov)
    chart = chart if chart is not None else index_chart(ov, ("svg",))
    chart_uri = data_uri(chart.svg, "image/svg+xml") if chart and chart.svg else None
    sparks = [Markup(sparkline_svg(s.points)) for s in content.sparklines]
    return str(
        _environment().render(c=content, chart_uri=chart_uri, sparks=sparks, version=_version())
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dyadwatch")
    except PackageNotFoundError:
        return "dev"


# --- PDF -------------------------------------------------------------------------------------

FONT = "DejaVu"
INK = (20, 20, 20)
MUTED = (95, 95, 95)
ACCENT = (31, 78, 121)
MET = (150, 30, 30)


def _font_files() -> dict[str, Path]:
    import matplotlib

    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    files = {
        "": ttf / "DejaVuSans.ttf",
        "B": ttf / "DejaVuSans-Bold.ttf",
        "I": ttf / "DejaVuSans-Oblique.ttf",
        "BI": ttf / "DejaVuSans-BoldOblique.ttf",
    }
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise UsageError(
            f"the PDF font is missing ({', '.join(missing)}): reinstall matplotlib "
            "(pip install --force-reinstall matplotlib), or write HTML instead (-o brief.html)."
        )
    return files


def evidence_phrase(line: Line) -> str:
    """One evidence item as a phrase: ``15 Jan 2021 (above) [9][10]``."""
    return " ".join(x for x in (line.when, line.text, _refs(line.sources)) if x)


def _fit(pdf: Any, text: str, width: float) -> str:
    """``text`` shortened with an ellipsis to fit ``width`` mm in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _refs(numbers: tuple[int, ...]) -> str:
    return "".join(f"[{n}]" for n in numbers)


class _Pdf:
    """A small layout helper over fpdf2: headings, paragraphs, bullet lists, sparklines."""

    def __init__(self, content: BriefContent) -> None:
        from fpdf import FPDF

        self.c = content
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(15, 14, 15)
        pdf.set_auto_page_break(True, margin=14)
        for style, path in _font_files().items():
            pdf.add_font(FONT, style, str(path))
        pdf.set_title(f"{content.title} — as of {content.as_of}")
        pdf.set_author("dyadwatch")
        pdf.set_creator("dyadwatch")
        footer_text = f"{content.title} · as of {content.as_of} · dyadwatch"

        def footer() -> None:
            pdf.set_y(-10)
            pdf.set_font(FONT, "", 7)
            pdf.set_text_color(*MUTED)
            pdf.cell(0, 4, f"{footer_text} · page {pdf.page_no()}/{{nb}}", align="C")

        pdf.footer = footer  # type: ignore[method-assign]
        pdf.alias_nb_pages()
        self.pdf = pdf
        self.width = pdf.w - pdf.l_margin - pdf.r_margin

    def text(
        self,
        s: str,
        size: float = 8.5,
        style: str = "",
        colour: tuple[int, int, int] = INK,
        h: float | None = None,
    ) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, style, size)
        pdf.set_text_color(*colour)
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(self.width, h or size * 0.46, s, align="L", new_x="LMARGIN", new_y="NEXT")

    def heading(self, s: str) -> None:
        pdf = self.pdf
        if pdf.will_page_break(16):
            pdf.add_page()
        pdf.ln(2.2)
        self.text(s, 10.5, "B", ACCENT)
        y = pdf.get_y()
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(0.25)
        pdf.line(pdf.l_margin, y + 0.3, pdf.l_margin + self.width, y + 0.3)
        pdf.ln(1.4)

    def item(self, line: Line, indent: float = 2.0, size: float = 8.0) -> None:
        """A hanging-indent list item: the date in bold on the left, the text beside it."""
        pdf = self.pdf
        h = size * 0.45
        if pdf.will_page_break(2 * h):
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_font(FONT, "B", size)
        date_w = (max(pdf.get_string_width(line.when) + 2.5, 20.0)) if line.when else 0.0
        if line.when:
            pdf.set_text_color(*INK)
            pdf.set_xy(pdf.l_margin + indent, y)
            pdf.cell(date_w, h, line.when)
        tag = f" ({line.tag})" if line.tag and line.tag not in ("up", "down", "instrument") else ""
        pdf.set_font(FONT, "", size)
        pdf.set_text_color(*INK)
        pdf.set_xy(pdf.l_margin + indent + date_w, y)
        pdf.multi_cell(
            self.width - indent - date_w,
            h,
            f"{line.text}{tag} {_refs(line.sources)}".strip(),
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(0.6)

    def sparkline(
        self, x: float, y: float, w: float, h: float, pts: tuple[tuple[float, float], ...]
    ) -> None:
        pdf = self.pdf
        if len(pts) < 2:
            return
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(0.35)
        coords = [(x + px * w, y + h - py * h) for px, py in pts]
        pdf.polyline(coords)
        lx, ly = coords[-1]
        pdf.set_fill_color(*ACCENT)
        pdf.circle(lx, ly, 0.7, style="F")


def render_pdf(ov: Overview, chart: Chart | None = None) -> bytes:
    """The brief as a PDF (A4, one to three pages for a typical month).

    Examples
    --------
    >>> Path("brief.pdf").write_bytes(render_pdf(overview(store, date(2021, 1, 31))))
    ... # doctest: +SKIP
    """
    import io

    c = brief_content(ov)
    chart = chart if chart is not None else index_chart(ov, ("png",))
    doc = _Pdf(c)
    pdf = doc.pdf
    pdf.add_page()
    doc.text(c.title, 16, "B", ACCENT, h=7.5)
    doc.text(f"Brief as of {c.as_of} — only what was public by the end of that day", 9, "", MUTED)
    pdf.ln(2)
    pdf.set_fill_color(238, 243, 248)
    pdf.set_font(FONT, "B", 10)
    pdf.set_text_color(*INK)
    pdf.multi_cell(
        doc.width, 5, c.headline, fill=True, padding=2, align="L", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(1)
    doc.text(c.measure_note, 7.5, "I", MUTED)
    for note in c.notes:
        doc.text(note, 8.5, "B", MET)
    if chart is not None and chart.png:
        pdf.ln(1.5)
        img_h = doc.width * 0.4
        if pdf.will_page_break(img_h + 8):
            pdf.add_page()
        pdf.image(io.BytesIO(chart.png), x=pdf.l_margin, w=doc.width, h=img_h)
        doc.text(c.chart_caption, 7, "I", MUTED)

    doc.heading("What changed in the last month")
    if c.move:
        doc.text(c.move, 8.5)
    doc.text(c.changes_intro or "No events became public in the month.", 8.5)
    for line in c.events:
        doc.item(line)
    if c.state_changes:
        doc.text("Instrument states that changed:", 8.5, "B")
        for line in c.state_changes:
            doc.item(line)

    doc.heading("Rules whose conditions are met")
    if c.rules_note:
        doc.text(c.rules_note, 8.5, "I", MUTED)
    elif not c.findings_met:
        doc.text("None of the default rules is met as of this date.", 8.5)
    for f in c.findings_met:
        if pdf.will_page_break(8):
            pdf.add_page()
        doc.text(f.title + (f" — lever: {f.lever}" if f.lever else ""), 8.5, "B", MET, h=4)
        if f.evidence:
            pdf.set_x(pdf.l_margin + 3)
            pdf.set_font(FONT, "", 7.5)
            pdf.set_text_color(*INK)
            pdf.multi_cell(
                doc.width - 3,
                3.4,
                "Evidence: " + "; ".join(evidence_phrase(e) for e in f.evidence) + ".",
                align="L",
                new_x="LMARGIN",
                new_y="NEXT",
            )
        pdf.ln(0.8)
    if c.findings_other:
        doc.text("Not met or undecided: " + "; ".join(c.findings_other) + ".", 7.5, "", MUTED)

    doc.heading("Instruments")
    if c.instruments:
        pdf.set_font(FONT, "", 7.5)
        pdf.set_text_color(*INK)
        with pdf.table(
            col_widths=(58, 72, 24, 26),
            text_align=("LEFT", "LEFT", "LEFT", "LEFT"),
            line_height=3.6,
            padding=0.8,
            first_row_as_headings=True,
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            head = table.row()
            for h in ("instrument", "state", "since", "sources"):
                head.cell(h)
            for r in c.instruments:
                row = table.row()
                row.cell(r.name)
                row.cell(r.state + (" (changed)" if r.changed else ""))
                row.cell(r.since)
                row.cell(_refs(r.sources))
    else:
        doc.text("No instrument states were public by this date.", 8.5)

    doc.heading("Indicators")
    if not c.sparklines:
        doc.text("No indicator series with three or more periods was public by this date.", 8.5)
    for s in c.sparklines:
        if pdf.will_page_break(9):
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_font(FONT, "B", 8)
        pdf.set_text_color(*INK)
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(62, 4, _fit(pdf, s.label, 61))
        pdf.set_font(FONT, "", 7.5)
        pdf.set_xy(pdf.l_margin, y + 3.8)
        pdf.set_text_color(*MUTED)
        pdf.cell(62, 3.5, f"{s.span} {_refs(s.sources)}")
        doc.sparkline(pdf.l_margin + 64, y + 0.8, 42, 6.5, s.points)
        pdf.set_xy(pdf.l_margin + 110, y)
        pdf.set_text_color(*INK)
        pdf.multi_cell(
            doc.width - 110, 3.8, f"latest: {s.latest}", align="L", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_y(max(pdf.get_y(), y + 8.5))

    if c.turning_points:
        doc.heading("Turning points")
        for line in c.turning_points:
            doc.item(line)

    doc.heading("Sources")
    doc.text(
        f"Analysis: {c.essay}. Figures computed by dyadwatch from the sources below.",
        7.5,
        "I",
        MUTED,
    )
    from fpdf.enums import WrapMode

    pdf.set_font(FONT, "", 6.8)
    for src in c.sources:
        pdf.set_text_color(*INK)
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(
            doc.width,
            3.1,
            f"[{src.number}] {src.url}",
            link=src.url,
            wrapmode=WrapMode.CHAR,
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())


# --- entry points ----------------------------------------------------------------------------


def write_brief(ov: Overview, path: Path | str) -> Path:
    """Write the brief of ``ov`` to ``path`` (HTML or PDF from the extension); return it.

    Examples
    --------
    >>> write_brief(overview(store, date(2021, 1, 31)), "brief.pdf")  # doctest: +SKIP
    PosixPath('brief.pdf')
    """
    path = Path(path)
    fmt = brief_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        path.write_text(render_html(ov), encoding="utf-8")
    else:
        path.write_bytes(render_pdf(ov))
    return path


def brief(
    store: Store,
    path: Path | str,
    as_of: date,
    *,
    dyad: str = "USA-MEX",
    freq: str = "month",
    sensitive: str = "mark",
) -> Path:
    """Compute the overview as of ``as_of`` and write its brief to ``path``.

    ``sensitive``: ``mark`` shows sensitive-handling events marked as such; ``omit``
    computes the brief without them (:mod:`dyadwatch.present.brief.handling`).

    Examples
    --------
    >>> brief(store, "brief.html", date(2021, 1, 31), sensitive="omit")  # doctest: +SKIP
    """
    brief_format(path)  # a bad extension fails before any work
    ov = overview_for(store, as_of, dyad=dyad, freq=freq, sensitive=sensitive)
    return write_brief(ov, path)


__all__ = [
    "FORMATS",
    "Chart",
    "brief",
    "brief_format",
    "index_chart",
    "render_html",
    "render_pdf",
    "write_brief",
]
