"""Render a brief: HTML (Jinja2, inline CSS and SVG) or PDF (fpdf2), no network.

Both formats render one :class:`~dyadwatch.present.brief.content.BriefContent`, so they say
the same thing in the same order, and both draw their charts with the one chart module
(:mod:`dyadwatch.present.charts`): inline SVG in the HTML, the same scene as vector drawing in
the PDF. The only ``http(s)`` addresses in the HTML are the cited sources. The PDF is set in
DejaVu Sans, the TrueType font matplotlib ships (found with :func:`matplotlib.get_data_path`),
so accents, ñ, dashes and curly quotes print without any system font. Text is wrapped at
word boundaries, never cut.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import date
from importlib import resources
from pathlib import Path

import jinja2
import matplotlib
from fpdf import FPDF
from fpdf.enums import TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace
from markupsafe import Markup

from dyadwatch.errors import UsageError
from dyadwatch.present.brief.content import Block, BriefContent, Line, brief_content, version
from dyadwatch.present.brief.handling import overview_for
from dyadwatch.present.charts import to_pdf, to_svg
from dyadwatch.present.labels import labels
from dyadwatch.present.overview import Overview
from dyadwatch.store.store import Store

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


# --- HTML ------------------------------------------------------------------------------------


@functools.cache
def _template() -> jinja2.Template:
    text = (
        resources.files("dyadwatch.present.brief")
        .joinpath("template.html.j2")
        .read_text(encoding="utf-8")
    )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(text)


def render_html(ov: Overview, content: BriefContent | None = None) -> str:
    """The brief as one self-contained HTML page.

    Examples
    --------
    >>> html = render_html(overview(store, date(2021, 1, 19)))  # doctest: +SKIP
    """
    c = content or brief_content(ov)
    chart = Markup(to_svg(c.chart, cls="chart")) if c.chart else None
    sparks = [Markup(to_svg(s.scene, cls="spark")) for s in c.indicators]
    return str(
        _template().render(
            c=c,
            chart_svg=chart,
            sparks=sparks,
            bottom_heading=c.bottom_title,
            footer=c.footer,
            version=version(),
        )
    )


# --- PDF -------------------------------------------------------------------------------------

FONT = "DejaVu"
INK = (20, 20, 20)
MUTED = (95, 95, 95)
ACCENT = (31, 78, 121)
WARN = (138, 28, 28)
BAND = (238, 243, 248)
STALE = (251, 234, 234)
SIZE = 8.2
"""Body text size (pt): three A4 pages hold a dense month."""


def _font_files() -> dict[str, Path]:
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


def _refs(numbers: tuple[int, ...]) -> str:
    return "".join(f"[{n}]" for n in numbers)


class _Pdf:
    """A small layout helper over fpdf2: headings, paragraphs, lists, boxes, charts."""

    def __init__(self, c: BriefContent) -> None:
        self.c = c
        lab = labels(c.lang)
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(14, 12, 14)
        pdf.set_auto_page_break(True, margin=13)
        for style, path in _font_files().items():
            pdf.add_font(FONT, style, str(path))
        pdf.set_title(f"{c.title} — {c.as_of}")
        pdf.set_author("dyadwatch")
        pdf.set_creator("dyadwatch")
        pdf.set_lang(c.lang)
        footer_text = f"{c.title} · {lab.text('as_of', day=c.as_of)} · dyadwatch"

        def footer() -> None:
            pdf.set_y(-9)
            pdf.set_font(FONT, "", 6.5)
            pdf.set_text_color(*MUTED)
            page = lab.text("page", n=pdf.page_no(), total="{nb}")
            pdf.cell(0, 4, f"{footer_text} · {page}", align="C")

        pdf.footer = footer  # type: ignore[method-assign]
        pdf.alias_nb_pages()
        self.pdf = pdf
        self.width = pdf.w - pdf.l_margin - pdf.r_margin

    def para(
        self,
        s: str,
        size: float = SIZE,
        style: str = "",
        colour: tuple[int, int, int] = INK,
        indent: float = 0.0,
        link: str = "",
        gap: float = 0.6,
    ) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, style, size)
        pdf.set_text_color(*colour)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(
            self.width - indent,
            size * 0.44,
            s,
            align="L",
            link=link,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.ln(gap)

    def height(self, s: str, size: float, style: str = "", indent: float = 0.0) -> float:
        pdf = self.pdf
        pdf.set_font(FONT, style, size)
        lines = pdf.multi_cell(self.width - indent, size * 0.44, s, dry_run=True, output="LINES")
        assert isinstance(lines, list)
        return len(lines) * size * 0.44

    def heading(self, s: str, keep: float = 14.0) -> None:
        pdf = self.pdf
        if pdf.will_page_break(keep):
            pdf.add_page()
        pdf.ln(1.6)
        self.para(s, 10, "B", ACCENT, gap=0)
        y = pdf.get_y()
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(0.25)
        pdf.line(pdf.l_margin, y + 0.2, pdf.l_margin + self.width, y + 0.2)
        pdf.ln(1.4)

    def box(
        self,
        parts: list[tuple[str, float, str, tuple[int, int, int]]],
        fill: tuple[int, int, int],
        bar: tuple[int, int, int],
        pad: float = 2.2,
    ) -> None:
        """Paragraphs on a tinted box with a coloured bar at the left (measured first)."""
        pdf = self.pdf
        inner = 2 * pad
        total = sum(self.height(t, size, style, inner) + 0.9 for t, size, style, _ in parts)
        total += 2 * pad - 0.9
        if pdf.will_page_break(min(total, 120)):
            pdf.add_page()
        x, y = pdf.l_margin, pdf.get_y()
        pdf.set_fill_color(*fill)
        pdf.rect(x, y, self.width, total, style="F")
        pdf.set_fill_color(*bar)
        pdf.rect(x, y, 1.2, total, style="F")
        pdf.set_y(y + pad)
        for text, size, style, colour in parts:
            self.para(text, size, style, colour, indent=inner - 0.2, gap=0.9)
        pdf.set_y(y + total + 1.5)

    def item(self, line: Line, size: float = 7.8, date_w: float = 19.0) -> None:
        """A hanging-indent item: the date in bold on the left, the text wrapped beside it."""
        pdf = self.pdf
        h = size * 0.44
        pdf.set_font(FONT, "B", size)
        date_w = max(date_w, pdf.get_string_width(line.when) + 2.5)
        text = (
            line.text
            + (f" ({line.note})" if line.note else "")
            + (f" {_refs(line.sources)}" if line.sources else "")
        )
        need = self.height(text, size, indent=date_w + 1)
        if pdf.will_page_break(min(need, 30)):
            pdf.add_page()
        y = pdf.get_y()
        if line.when:
            pdf.set_font(FONT, "B", size)
            pdf.set_text_color(*INK)
            pdf.set_xy(pdf.l_margin, y)
            pdf.cell(date_w, h, line.when)
        pdf.set_font(FONT, "", size)
        pdf.set_xy(pdf.l_margin + date_w + 1, y)
        pdf.multi_cell(
            self.width - date_w - 1, h, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.ln(0.5)

    def block(self, f: Block) -> None:
        need = self.height(f.title, SIZE, "B") + self.height(f.why, 7.8) + 4
        if self.pdf.will_page_break(need):
            self.pdf.add_page()
        self.para(f"{f.title} — {f.status}", SIZE, "B", INK, gap=0.2)
        self.para(f.why, 7.8, indent=3, gap=0.2)
        if f.lever:
            self.para(f"{f.lever} {_refs(f.lever_sources)}".strip(), 7.8, indent=3, gap=0.2)
        for e in f.evidence:
            when = f"{e.when}: " if e.when else ""
            self.para(
                f"{when}{e.text} {_refs(e.sources)}".strip(), 7.2, "", MUTED, indent=3, gap=0.2
            )
        self.pdf.ln(0.9)


MAX_PAGES = 3
"""A principal reads the brief in two minutes: at most three A4 pages."""


def compact(c: BriefContent, level: int) -> BriefContent:
    """``c`` shortened to fit: each level drops the least needed detail first.

    1: one evidence line per lever; 2: at most six drivers and six new events, four
    indicators; 3: no evidence lines under levers, four drivers and four new events.
    Sources keep their numbers, so every reference left in the text still resolves.
    """
    if level <= 0:
        return c
    keep_evidence = 1 if level < 3 else 0
    levers = tuple(dataclasses.replace(b, evidence=b.evidence[:keep_evidence]) for b in c.levers)
    c = dataclasses.replace(c, levers=levers)
    if level >= 2:
        lines = 6 if level == 2 else 4
        c = dataclasses.replace(
            c,
            drivers=c.drivers[:lines],
            new_events=c.new_events[:lines],
            indicators=c.indicators[:4],
        )
    return c


def render_pdf(ov: Overview, content: BriefContent | None = None) -> bytes:
    """The brief as a PDF (A4, at most :data:`MAX_PAGES` pages: detail is dropped to fit).

    Examples
    --------
    >>> Path("brief.pdf").write_bytes(render_pdf(overview(store, date(2021, 1, 19))))
    ... # doctest: +SKIP
    """
    full = content or brief_content(ov)
    for level in range(4):
        data, pages = _render_pdf(compact(full, level))
        if pages <= MAX_PAGES:
            return data
    return data


def _render_pdf(c: BriefContent) -> tuple[bytes, int]:
    doc = _Pdf(c)
    for section in (
        _pdf_top,
        _pdf_findings,
        _pdf_events,
        _pdf_instruments,
        _pdf_indicators,
        _pdf_end,
    ):
        section(doc, c)
    return bytes(doc.pdf.output()), doc.pdf.page_no()


def _pdf_top(doc: _Pdf, c: BriefContent) -> None:
    """Title, as-of line, staleness, bottom line and the chart."""
    pdf = doc.pdf
    pdf.add_page()
    doc.para(c.title, 15, "B", ACCENT, gap=0.4)
    doc.para(c.as_of_line, 7.8, "", MUTED, gap=1.5)
    if c.stale:
        doc.box([(c.stale, 8, "B", WARN)], STALE, WARN)
    for note in c.notes:
        doc.para(note, 8, "B", WARN)
    parts: list[tuple[str, float, str, tuple[int, int, int]]] = [
        (c.bottom_title, 10.5, "B", ACCENT)
    ]
    for head, text in c.bottom:
        parts.append((head, SIZE, "B", ACCENT))
        parts.append((text, SIZE, "", INK))
    doc.box(parts, BAND, ACCENT)
    if c.chart is not None:
        doc.heading(c.chart_title, keep=70)
        h = doc.width * c.chart.height / c.chart.width
        y = pdf.get_y()
        to_pdf(c.chart, pdf, pdf.l_margin, y, doc.width, FONT)
        pdf.set_y(y + h + 0.5)
        doc.para(c.chart_caption, 6.8, "I", MUTED)


def _pdf_findings(doc: _Pdf, c: BriefContent) -> None:
    """Levers whose conditions are met, contradictions, repairs, the rest in one line each."""
    doc.heading(c.levers_title)
    if c.rules_note:
        doc.para(c.rules_note, 7.5, "I", MUTED)
    for f in c.levers:
        doc.block(f)
    if c.contradictions:
        doc.para(c.contradictions_title, SIZE, "B", ACCENT, gap=0.3)
        for t in c.contradictions:
            doc.para(f"• {t}", 7.8, indent=2, gap=0.4)
    if c.repairs:
        doc.para(c.repairs_title, SIZE, "B", ACCENT, gap=0.3)
        for f in c.repairs:
            refs = _refs(tuple(dict.fromkeys(n for e in f.evidence for n in e.sources)))
            doc.para(f"• {f.title} — {f.status}. {f.why} {refs}".strip(), 7.6, indent=2, gap=0.4)
    if c.others:
        doc.para(c.others_title, SIZE, "B", ACCENT, gap=0.3)
        for line in c.others:
            doc.para(f"• {line.text} — {line.note}.", 7.4, "", MUTED, indent=2, gap=0.3)


def _pdf_events(doc: _Pdf, c: BriefContent) -> None:
    """What drove the current reading and what is new since the previous brief."""
    if c.drivers:
        doc.heading(c.drivers_title)
        doc.para(c.drivers_intro, 7.8)
        for line in c.drivers:
            doc.item(line)
    doc.heading(c.new_title)
    if c.new_intro:
        doc.para(c.new_intro, 7.8)
    for line in c.new_events:
        doc.item(line)


def _pdf_instruments(doc: _Pdf, c: BriefContent) -> None:
    """The instruments table: state, since when, sources."""
    pdf = doc.pdf
    doc.heading(c.instruments_title, keep=30)
    pdf.set_font(FONT, "", 7.2)
    pdf.set_text_color(*INK)
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(200, 200, 200)
    pdf.set_line_width(0.15)
    with pdf.table(
        headings_style=FontFace(emphasis="", color=MUTED),
        cell_fill_mode=TableCellFillMode.NONE,
        col_widths=(62, 80, 22, 18),
        text_align=("LEFT", "LEFT", "LEFT", "LEFT"),
        line_height=3.2,
        padding=0.7,
        first_row_as_headings=True,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        top = table.row()
        for name in c.instrument_head:
            top.cell(name)
        for r in c.instruments:
            row = table.row()
            row.cell(r.name)
            row.cell(r.state + (f" ({c.changed_tag})" if r.changed else ""))
            row.cell(r.since)
            row.cell(_refs(r.sources))


def _pdf_indicators(doc: _Pdf, c: BriefContent) -> None:
    """One row per indicator: label, sparkline, latest value."""
    pdf = doc.pdf
    doc.heading(c.indicators_title, keep=22)
    if not c.indicators:
        doc.para(c.indicators_none, 7.8)
    for s in c.indicators:
        if pdf.will_page_break(11):
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_font(FONT, "B", 7.6)
        pdf.set_text_color(*INK)
        pdf.set_xy(pdf.l_margin, y)
        pdf.multi_cell(70, 3.3, f"{s.label} {_refs(s.sources)}", align="L")
        to_pdf(s.scene, pdf, pdf.l_margin + 72, y - 0.5, 50, FONT)
        pdf.set_font(FONT, "", 7.4)
        pdf.set_text_color(*INK)
        pdf.set_xy(pdf.l_margin + 126, y)
        pdf.multi_cell(doc.width - 126, 3.3, s.latest, align="L")
        pdf.set_y(max(pdf.get_y(), y + 10.5))


def _pdf_end(doc: _Pdf, c: BriefContent) -> None:
    """Turning points, numbered sources, method and footer."""
    if c.turning:
        doc.heading(c.turning_title)
        for line in c.turning:
            doc.item(line)

    doc.heading(c.sources_title)
    doc.para(c.sources_note, 7, "I", MUTED)
    for src in c.sources:
        title = f", {src.title}" if src.title else ""
        doc.para(f"[{src.number}] {src.outlet}{title}, {src.date}.", 6.8, link=src.url, gap=0.25)
    doc.heading(c.method_title, keep=16)
    doc.para(c.method, 7, "I", MUTED)
    doc.para(c.footer, 6.5, "", MUTED)


# --- entry points ----------------------------------------------------------------------------


def write_brief(ov: Overview, path: Path | str) -> Path:
    """Write the brief of ``ov`` to ``path`` (HTML or PDF from the extension); return it.

    Examples
    --------
    >>> write_brief(overview(store, date(2021, 1, 19)), "brief.pdf")  # doctest: +SKIP
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
    lang: str = "en",
    previous: date | None = None,
    stale_after_days: int | None = None,
) -> Path:
    """Compute the overview as of ``as_of`` and write its brief to ``path``.

    ``sensitive``: ``mark`` shows sensitive-handling events marked as such; ``omit``
    computes the brief without them (:mod:`dyadwatch.present.brief.handling`). ``lang``:
    ``en`` or ``es``. ``previous``: the date of the last brief (default 30 days before).

    Examples
    --------
    >>> brief(store, "brief.html", date(2021, 1, 19), lang="es")  # doctest: +SKIP
    """
    brief_format(path)  # a bad extension fails before any work
    labels(lang)  # and so does a language dyadwatch does not write
    ov = overview_for(
        store,
        as_of,
        dyad=dyad,
        freq=freq,
        sensitive=sensitive,
        lang=lang,
        previous=previous,
        stale_after_days=stale_after_days,
    )
    return write_brief(ov, path)


__all__ = [
    "FORMATS",
    "brief",
    "brief_format",
    "render_html",
    "render_pdf",
    "write_brief",
]
