"""Every chart dyadwatch draws, in one place: the brief (HTML and PDF), the dashboard and
``dyadwatch index chart``.

A chart is first a :class:`Scene` — lines, filled shapes, dots and text in pixel
coordinates — built by one function per kind of chart (:func:`series_scene`: a named series
with its 90 % interval band, its ``n`` per step and its turning points; :func:`spark_scene`: a
small indicator chart with its first and last values and unit; :func:`strip_scene`: a backtest's
monthly status strip). Three small renderers draw the same scene: :func:`to_svg` (inline SVG for
HTML; no script, no font or file from the network, so the brief and the dashboard work
offline), :func:`to_pdf` (vector drawing in an fpdf2 document, in the document's font) and
:func:`to_png` (matplotlib's Agg backend, for ``index chart -o x.png``). Periods without enough
evidence are gaps in the line, never zeros, and their ``n`` is drawn in grey.

Examples
--------
>>> pts = [{"period": "2020", "period_start": date(2020, 1, 1), "period_end": date(2020, 12, 31),
...         "value": 1.0, "lo": 0.2, "hi": 1.8, "n": 7}]
>>> to_svg(series_scene(pts)).startswith("<svg")
True
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

from dyadwatch.analyse.index import (
    FUSED,
    NAMED,
    IndexSpec,
    SeriesQuery,
    run_index,
    run_series,
    series_turning_points,
    turning_points,
)
from dyadwatch.errors import AnalysisError, UsageError
from dyadwatch.present.labels import labels
from dyadwatch.store.store import Store

INK = "#333333"
MUTED = "#6b6b6b"
ACCENT = "#1f4e79"
GRID = "#e4e4e4"
ZERO = "#8a8a8a"
N_OK = "#9fb6cc"
N_LOW = "#d6d6d6"
UP = "#2e7d32"
DOWN = "#b71c1c"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"

FORMATS = {".svg": "svg", ".png": "png"}
"""Files :func:`write_chart` writes, by extension."""


# --- the scene -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shape:
    """A polyline (``closed=False``) or a filled polygon, in pixels."""

    points: tuple[tuple[float, float], ...]
    stroke: str | None = None
    width: float = 1.0
    fill: str | None = None
    opacity: float = 1.0
    dash: bool = False
    closed: bool = False
    cls: str = ""
    segment: bool = False
    """A straight rule (axis, grid, turning point): SVG ``<line>`` rather than a path."""


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    r: float
    fill: str
    tip: str = ""
    href: str | None = None
    cls: str = "pt"


@dataclass(frozen=True, slots=True)
class Label:
    x: float
    y: float
    text: str
    size: float = 11.0
    anchor: str = "start"
    """``start``, ``middle`` or ``end``: where ``x`` is on the text."""
    fill: str = INK
    bold: bool = False


@dataclass(slots=True)
class Scene:
    """What a chart shows, in pixel coordinates (x right, y down)."""

    width: int
    height: int
    title: str = ""
    shapes: list[Shape | Dot | Label] = field(default_factory=list)

    def add(self, item: Shape | Dot | Label) -> None:
        self.shapes.append(item)

    def line(self, x1: float, y1: float, x2: float, y2: float, **kw: Any) -> None:
        self.add(Shape(((x1, y1), (x2, y2)), segment=True, **kw))

    def rect(self, x: float, y: float, w: float, h: float, fill: str, cls: str = "") -> None:
        pts = ((x, y), (x + w, y), (x + w, y + h), (x, y + h))
        self.add(Shape(pts, fill=fill, closed=True, cls=cls))


# --- scales and ticks --------------------------------------------------------------------------


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k).

    >>> nice_ticks(-2.7, 4.1)
    [-4.0, -2.0, 0.0, 2.0, 4.0, 6.0]
    """
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0]
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    raw = (hi - lo) / max(1, count - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    last = math.ceil(hi / step) * step
    n = round((last - first) / step)
    return [float(round(first + i * step, 10)) for i in range(n + 1)]


def tick_text(x: float) -> str:
    """A tick label with a true minus sign: ``-2.0`` → ``−2``, ``0.5`` → ``0.5``.

    >>> tick_text(-2.0), tick_text(0.5), tick_text(25000.0)
    ('−2', '0.5', '25,000')
    """
    text = f"{x:,.0f}" if abs(x - round(x)) < 1e-9 else f"{x:,.2f}".rstrip("0")
    return text.replace("-", "−")


def _day(value: Any) -> float:
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return float(d.toordinal())


def _get(row: Any, key: str, default: Any = None) -> Any:
    if isinstance(row, Mapping):
        return row.get(key, default)
    return getattr(row, key, default)


# --- the series chart --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeriesText:
    """The words a series chart shows (in the reader's language)."""

    title: str = ""
    y_label: str = ""
    n_label: str = "events (n)"
    band_label: str = "90 % interval"
    value_label: str = "value"
    low_label: str = "too few events"
    empty_label: str = "–"


def series_text(name: str = "relationship", lang: str = "en", title: str = "") -> SeriesText:
    """The labels of a chart of the named series ``name`` (or a CAMEO measure) in ``lang``."""
    lab = labels(lang)
    y = lab.text("chart_y_effect") if name in NAMED else lab.measure(name)
    return SeriesText(
        title=title,
        y_label=y,
        n_label=lab.text("chart_n"),
        band_label=lab.text("chart_band"),
        value_label=lab.series(name) if name in NAMED else lab.measure(name),
        low_label=lab.text("chart_too_few"),
    )


def series_scene(
    points: Sequence[Any],
    turning: Sequence[Any] = (),
    *,
    text: SeriesText | None = None,
    value: str = "value",
    width: int = 960,
    height: int = 330,
    links: Sequence[str | None] = (),
    band: bool = True,
    fixed: tuple[float, float] | None = None,
    dots: bool = False,
    marker: tuple[date, str] | None = None,
) -> Scene:
    """A series over time: the value line, its interval band, the zero line, turning points,
    and beneath it the number of events behind each value.

    ``points`` are rows (mappings or objects) with ``period``, ``period_start``, ``value``
    (or the column ``value`` names), ``lo``, ``hi`` and ``n``; a row whose value is None is a
    gap. ``turning`` rows have ``period``, ``period_start`` and ``direction``. ``links``, one
    per point, make the dots links (SVG only); ``dots`` marks every value with a dot (with a
    tooltip in SVG). ``fixed`` pins the y range. ``marker`` (a date and a label) draws a grey
    dotted rule, e.g. at the newest event of a record that has fallen silent.
    """
    text = text or SeriesText()
    scene = Scene(width, height, text.title or text.value_label)
    if not points:
        scene.add(Label(width / 2, height / 2, text.empty_label, 12, "middle", MUTED))
        return scene
    xs = [_day(_get(p, "period_start")) for p in points]
    vals = [_get(p, value) for p in points]
    los = [_get(p, "lo") if band else None for p in points]
    his = [_get(p, "hi") if band else None for p in points]
    ns = [int(_get(p, "n") or 0) for p in points]
    known = [v for v in (*vals, *los, *his) if v is not None]
    lo, hi = fixed or (min([*known, 0.0]), max([*known, 0.0]))
    ticks = nice_ticks(lo, hi)
    top = 42 if text.title else 24
    plot = _Plot(
        width,
        height,
        top=top,
        ph=height - top - _N_H - _GAP - _BOTTOM,
        x0=xs[0],
        x1=xs[-1] if xs[-1] > xs[0] else xs[0] + 1,
        lo=ticks[0],
        hi=ticks[-1],
    )
    if text.title:
        scene.add(Label(plot.left, 14, text.title, 12, bold=True))
    _legend(scene, plot, text, band)
    _axes(scene, plot, ticks, text.y_label)
    _line_and_band(scene, plot, list(zip(xs, vals, los, his, strict=True)), band)
    if marker is not None and plot.x0 <= _day(marker[0]) <= plot.x1:
        xx = plot.sx(_day(marker[0]))
        scene.line(xx, top, xx, top + plot.ph, stroke=ZERO, width=1.0, dash=True, cls="marker")
        scene.add(Label(xx - 3, top + plot.ph - 4, marker[1], 10, "end", MUTED))
    _turning(scene, plot, turning)
    # Links and tooltips: one dot per point with a value (SVG only uses them).
    for i, (x, v) in enumerate(zip(xs, vals, strict=True)):
        if v is None or not (links or dots):
            continue
        tip = f"{_get(points[i], 'period')}: {v:+.2f}, n = {ns[i]}"
        href = links[i] if i < len(links) else None
        scene.add(Dot(plot.sx(x), plot.sy(v), 2.6, ACCENT, tip, href))
    _counts(scene, plot, list(zip(xs, ns, vals, strict=True)), text.low_label)
    return scene


_N_H, _GAP, _BOTTOM = 46, 14, 24  # height of the event-count strip, the gap above it, the axis


@dataclass(frozen=True, slots=True)
class _Plot:
    """Where a series chart draws: the value panel (``top``, ``ph`` high, ``left`` to
    ``width - right``), its x range in day ordinals and its y range."""

    width: int
    height: int
    top: float
    ph: float
    x0: float
    x1: float
    lo: float
    hi: float
    left: float = 56
    right: float = 14

    @property
    def pw(self) -> float:
        return self.width - self.left - self.right

    def sx(self, x: float) -> float:
        return self.left + (x - self.x0) / (self.x1 - self.x0) * self.pw

    def sy(self, y: float) -> float:
        return self.top + (self.hi - y) / (self.hi - self.lo) * self.ph


def _legend(scene: Scene, plot: _Plot, text: SeriesText, band: bool) -> None:
    """Top right, from the right: the event bars, the band, the line."""
    lx = float(plot.width - plot.right)
    top = plot.top
    for label, swatch in (
        (text.n_label, N_OK),
        (text.band_label, ACCENT) if band else ("", ""),
        (text.value_label, ""),
    ):
        if not label:
            continue
        size = 10.0
        w = len(label) * size * 0.6
        scene.add(Label(lx, top - 8, label, size, "end", MUTED))
        if swatch:
            op = 0.2 if swatch == ACCENT else 1.0
            scene.add(
                Shape(_box(lx - w - 16, top - 16, 11, 9), fill=swatch, opacity=op, closed=True)
            )
        else:
            scene.line(lx - w - 18, top - 12, lx - w - 5, top - 12, stroke=ACCENT, width=2.0)
        lx -= w + 30


def _axes(scene: Scene, plot: _Plot, ticks: Sequence[float], y_label: str) -> None:
    """Grid lines with their values (the zero line darker), and years along the bottom."""
    width, right, left = plot.width, plot.right, plot.left
    for t in ticks:
        y = plot.sy(t)
        scene.line(
            left, y, width - right, y, stroke=ZERO if t == 0 else GRID, width=1.0 if t == 0 else 0.8
        )
        scene.add(Label(left - 6, y + 4, tick_text(t), 10, "end", MUTED))
    if y_label:
        scene.add(Label(4, plot.top - 8, y_label, 10, "start", MUTED))
    first_year = date.fromordinal(int(plot.x0)).year
    last_year = date.fromordinal(int(plot.x1)).year
    span = last_year - first_year + 1
    step = next(s for s in (1, 2, 5, 10, 20, 50) if span / s <= 12)
    base = plot.height - _BOTTOM
    for year in range(first_year + (-first_year % step), last_year + 1, step):
        xx = plot.sx(float(date(year, 1, 1).toordinal()))
        if left <= xx <= width - right:
            scene.line(xx, base, xx, base + 4, stroke=ZERO, width=0.8)
            scene.add(Label(xx, base + 16, str(year), 10, "middle", MUTED))


def _line_and_band(
    scene: Scene, plot: _Plot, rows: list[tuple[float, Any, Any, Any]], band: bool
) -> None:
    """The band, then the line, in runs of consecutive values (x, value, lo, hi)."""
    sx, sy = plot.sx, plot.sy
    for run in _runs(rows):
        if band and all(r[2] is not None and r[3] is not None for r in run):
            upper = [(sx(x), sy(b)) for x, _, _, b in run]
            lower = [(sx(x), sy(a)) for x, _, a, _ in reversed(run)]
            if len(run) == 1:
                (ux, uy), (_, ly) = upper[0], lower[0]
                scene.add(
                    Shape(_box(ux - 2, uy, 4, ly - uy), fill=ACCENT, opacity=0.2, closed=True)
                )
            else:
                scene.add(
                    Shape((*upper, *lower), fill=ACCENT, opacity=0.2, closed=True, cls="band")
                )
        line = tuple((sx(x), sy(v)) for x, v, _, _ in run)
        if len(line) == 1:  # a value between gaps: a short level stroke
            line = ((line[0][0] - 3, line[0][1]), (line[0][0] + 3, line[0][1]))
        scene.add(Shape(line, stroke=ACCENT, width=1.8, cls="line"))


def _turning(scene: Scene, plot: _Plot, turning: Sequence[Any]) -> None:
    """A dashed rule per turning point, green up and red down, labelled at the top."""
    top, ph = plot.top, plot.ph
    for tp in turning:
        xx = plot.sx(_day(_get(tp, "period_start")))
        up = _get(tp, "direction") == "up"
        colour = UP if up else DOWN
        scene.line(
            xx,
            top,
            xx,
            top + ph,
            stroke=colour,
            width=1.0,
            dash=True,
            cls="tp up" if up else "tp down",
        )
        label = _get(tp, "label") or f"{_get(tp, 'period')} {'▲' if up else '▼'}"
        anchor = "end" if xx > plot.width - plot.right - 80 else "start"
        scene.add(Label(xx + (-3 if anchor == "end" else 3), top + 11, label, 10, anchor, colour))


def _counts(scene: Scene, plot: _Plot, rows: list[tuple[float, int, Any]], low_label: str) -> None:
    """Beneath the panel, the events behind each value (x, n, value); grey where too few."""
    left, width, right = plot.left, plot.width, plot.right
    n_top = plot.top + plot.ph + _GAP
    n_ticks = nice_ticks(0, max(n for _, n, _ in rows) or 1, 3)
    bar_w = max(1.0, plot.pw / max(1, len(rows)) * 0.8)
    for x, n, v in rows:
        if n <= 0:
            continue
        h = n / n_ticks[-1] * _N_H
        scene.rect(
            plot.sx(x) - bar_w / 2,
            n_top + _N_H - h,
            bar_w,
            h,
            N_OK if v is not None else N_LOW,
            cls="n" if v is not None else "n low",
        )
    scene.line(left, n_top + _N_H, width - right, n_top + _N_H, stroke=ZERO, width=0.8)
    scene.add(Label(left - 6, n_top + 8, tick_text(n_ticks[-1]), 10, "end", MUTED))
    scene.add(Label(left - 6, n_top + _N_H + 3, "0", 10, "end", MUTED))
    if any(v is None and n > 0 for _, n, v in rows):
        scene.add(Label(width - right, n_top + 8, f"▮ {low_label}", 10, "end", "#a0a0a0"))


def _box(x: float, y: float, w: float, h: float) -> tuple[tuple[float, float], ...]:
    return ((x, y), (x + w, y), (x + w, y + h), (x, y + h))


def _runs(rows: Sequence[tuple[float, Any, Any, Any]]) -> list[list[tuple[float, Any, Any, Any]]]:
    out: list[list[tuple[float, Any, Any, Any]]] = []
    current: list[tuple[float, Any, Any, Any]] = []
    for r in rows:
        if r[1] is None:
            if current:
                out.append(current)
            current = []
        else:
            current.append(r)
    if current:
        out.append(current)
    return out


# --- small charts ------------------------------------------------------------------------------


def spark_scene(
    points: Sequence[Any],
    *,
    unit: str = "",
    width: int = 220,
    height: int = 56,
    value: str = "value",
) -> Scene:
    """A small chart of an indicator: its line, its first and last values at the ends (the
    axis), the first and last years below, and the unit. Rows need ``period_start`` and
    ``value`` (or tuples ``(start, end, value)``)."""
    scene = Scene(width, height, unit)
    rows = [
        (p[0], p[2]) if isinstance(p, tuple) else (_get(p, "period_start"), _get(p, value))
        for p in points
    ]
    known = [(d, v) for d, v in rows if v is not None]
    if len(known) < 2:
        scene.add(Label(width / 2, height / 2, "–", 10, "middle", MUTED))
        return scene
    left, right, top, bottom = 46, 46, 6, 16
    xs = [_day(d) for d, _ in rows]
    vs = [float(v) for _, v in known]
    lo, hi = min(vs), max(vs)
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    x0, x1 = xs[0], xs[-1] if xs[-1] > xs[0] else xs[0] + 1

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return top + (hi - y) / (hi - lo) * (height - top - bottom)

    base = height - bottom
    scene.line(left, base + 1, width - right, base + 1, stroke=GRID, width=0.8)
    for run in _runs([(x, v, None, None) for x, (_, v) in zip(xs, rows, strict=True)]):
        pts = tuple((sx(x), sy(float(v))) for x, v, _, _ in run)
        if len(pts) == 1:
            pts = ((pts[0][0] - 2, pts[0][1]), (pts[0][0] + 2, pts[0][1]))
        scene.add(Shape(pts, stroke=ACCENT, width=1.5, cls="line"))
    first, last = _day(known[0][0]), _day(known[-1][0])
    scene.add(Dot(sx(first), sy(vs[0]), 2.0, MUTED, cls="pt"))
    scene.add(Dot(sx(last), sy(vs[-1]), 2.4, ACCENT, cls="pt"))
    scene.add(Label(left - 4, sy(vs[0]) + 4, tick_text(_round(vs[0])), 9.5, "end", MUTED))
    scene.add(
        Label(
            width - right + 4,
            sy(vs[-1]) + 4,
            tick_text(_round(vs[-1])),
            9.5,
            "start",
            INK,
            bold=True,
        )
    )
    years = (date.fromordinal(int(first)).year, date.fromordinal(int(last)).year)
    scene.add(Label(left, height - 3, str(years[0]), 9, "middle", MUTED))
    scene.add(Label(width - right, height - 3, str(years[1]), 9, "middle", MUTED))
    return scene


def _round(x: float) -> float:
    return float(round(x)) if abs(x) >= 100 else round(x, 2)


STATUS_FILL = {"met": "#b23b3b", "not_met": "#8aa9c4", "unknown": "#cfcfcf"}


def strip_scene(months: Sequence[Mapping[str, Any]], *, cell: int = 4, height: int = 14) -> Scene:
    """One cell per backtest month coloured by status (met / not met / unknown), and a dark
    tick under the months the lever was in use."""
    scene = Scene(max(1, len(months)) * cell, height + 4)
    for i, m in enumerate(months):
        status = str(m.get("status"))
        fill = STATUS_FILL.get(status, STATUS_FILL["unknown"])
        tip = f"{m.get('as_of')}: {status.replace('_', ' ')}"
        scene.rect(i * cell, 0, cell, height, fill, cls=status)
        scene.add(Dot(i * cell + cell / 2, height / 2, 0.0, fill, tip, cls="cell"))
        if m.get("lever_in_use"):
            scene.rect(i * cell, height + 1, cell, 3, INK, cls="used")
    return scene


# --- renderers ---------------------------------------------------------------------------------


def _f(x: float) -> str:
    return f"{x:.1f}"


def to_svg(scene: Scene, *, cls: str = "chart", sized: bool = False) -> str:
    """The scene as an inline ``<svg>`` (fonts and colours inline; CSS classes on the parts
    for pages that style them). ``sized`` writes width and height (for data URIs)."""
    size = f' width="{scene.width}" height="{scene.height}"' if sized else ""
    title = escape(scene.title)
    parts = [
        f'<svg class="{cls}" viewBox="0 0 {scene.width} {scene.height}"{size} role="img" '
        f'aria-label="{title}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="{FONT}">',
        f"<title>{title}</title>",
    ]
    for s in scene.shapes:
        if isinstance(s, Shape):
            attrs = [f'class="{s.cls}"'] if s.cls else []
            attrs.append(f'fill="{s.fill}"' if s.fill else 'fill="none"')
            if s.stroke:
                attrs.append(f'stroke="{s.stroke}" stroke-width="{s.width:g}"')
            if s.opacity < 1:
                attrs.append(f'opacity="{s.opacity:g}"')
            if s.dash:
                attrs.append('stroke-dasharray="4 3"')
            if s.segment:
                (ax, ay), (bx, by) = s.points[0], s.points[-1]
                geometry = f'x1="{_f(ax)}" y1="{_f(ay)}" x2="{_f(bx)}" y2="{_f(by)}"'
                parts.append(f"<line {' '.join(attrs)} {geometry}/>")
                continue
            d = (
                "M"
                + " L".join(f"{_f(x)},{_f(y)}" for x, y in s.points)
                + (" Z" if s.closed else "")
            )
            parts.append(f'<path {" ".join(attrs)} d="{d}"/>')
        elif isinstance(s, Dot):
            tip = f"<title>{escape(s.tip)}</title>" if s.tip else ""
            dot = (
                f'<circle class="{s.cls}" cx="{_f(s.x)}" cy="{_f(s.y)}" r="{s.r:g}" '
                f'fill="{s.fill}">{tip}</circle>'
            )
            parts.append(f'<a href="{escape(s.href)}">{dot}</a>' if s.href else dot)
        else:
            weight = ' font-weight="bold"' if s.bold else ""
            parts.append(
                f'<text x="{_f(s.x)}" y="{_f(s.y)}" font-size="{s.size:g}" '
                f'text-anchor="{s.anchor}" fill="{s.fill}"{weight}>{escape(s.text)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def to_pdf(scene: Scene, pdf: Any, x: float, y: float, width: float, font: str) -> float:
    """Draw the scene into an fpdf2 document at (``x``, ``y``) mm, ``width`` mm wide, text in
    ``font`` (a family the document holds); return the height drawn (mm)."""
    k = width / scene.width
    for s in scene.shapes:
        if isinstance(s, Shape):
            pts = [(x + px * k, y + py * k) for px, py in s.points]
            with pdf.local_context(fill_opacity=s.opacity, stroke_opacity=1.0):
                if s.fill:
                    pdf.set_fill_color(*_rgb(s.fill))
                if s.stroke:
                    pdf.set_draw_color(*_rgb(s.stroke))
                    pdf.set_line_width(max(0.1, s.width * k))
                if s.dash:
                    pdf.set_dash_pattern(dash=0.8, gap=0.6)
                style = "F" if s.fill and not s.stroke else "DF" if s.fill else "D"
                if s.closed:
                    pdf.polygon(pts, style=style)
                else:
                    pdf.polyline(pts, style="D")
                if s.dash:
                    pdf.set_dash_pattern()
        elif isinstance(s, Dot):
            if s.r <= 0:
                continue
            pdf.set_fill_color(*_rgb(s.fill))
            pdf.circle(x + s.x * k, y + s.y * k, s.r * k, style="F")
        else:
            size = s.size * k / 0.3528  # px → mm → pt
            pdf.set_font(font, "B" if s.bold else "", size)
            pdf.set_text_color(*_rgb(s.fill))
            w = pdf.get_string_width(s.text)
            dx = {"start": 0.0, "middle": -w / 2, "end": -w}.get(s.anchor, 0.0)
            pdf.text(x + s.x * k + dx, y + s.y * k, s.text)
    return scene.height * k


def to_png(scene: Scene, *, scale: float = 2.0) -> bytes:
    """The scene as a PNG (matplotlib Agg, DejaVu Sans), ``scale`` pixels per scene pixel."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, Polygon

    dpi = 100 * scale
    fig = Figure(figsize=(scene.width / 100, scene.height / 100), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, scene.width)
    ax.set_ylim(scene.height, 0)
    ax.axis("off")
    for s in scene.shapes:
        if isinstance(s, Shape):
            if s.closed:
                ax.add_patch(
                    Polygon(
                        list(s.points),
                        closed=True,
                        facecolor=s.fill or "none",
                        edgecolor=s.stroke or "none",
                        alpha=s.opacity,
                        linewidth=0,
                    )
                )
            else:
                xs, ys = zip(*s.points, strict=True)
                ax.plot(
                    xs,
                    ys,
                    color=s.stroke,
                    linewidth=s.width * 0.75,
                    linestyle="--" if s.dash else "-",
                    solid_capstyle="round",
                )
        elif isinstance(s, Dot):
            if s.r > 0:
                ax.add_patch(Circle((s.x, s.y), s.r, color=s.fill))
        else:
            ax.text(
                s.x,
                s.y,
                s.text,
                fontsize=s.size * 0.75,
                ha={"start": "left", "middle": "center", "end": "right"}.get(s.anchor, "left"),
                va="baseline",
                color=s.fill,
                fontweight="bold" if s.bold else "normal",
                family="DejaVu Sans",
            )
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, metadata={"Software": "dyadwatch"})
    return out.getvalue()


def write_chart(scene: Scene, path: Path | str) -> Path:
    """Write ``scene`` to ``path`` as SVG or PNG, by the extension; return the path."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"chart file {path} must end in .svg or .png.")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "svg":
        path.write_text(
            '<?xml version="1.0" encoding="utf-8"?>\n' + to_svg(scene, sized=True), "utf-8"
        )
    else:
        path.write_bytes(to_png(scene))
    return path


# --- the index chart of the command line ------------------------------------------------------


def index_chart(
    store: Store,
    path: Path | str,
    query: SeriesQuery | None = None,
    *,
    spec: IndexSpec | None = None,
    measure: str = "relationship",
    source: str = FUSED,
    penalty: float | None = None,
    turning: bool = True,
    lang: str = "en",
) -> Path:
    """Compute a series and draw it with its interval, ``n`` and turning points; return the
    path written (``.svg`` or ``.png``).

    ``measure`` is a named series (the default reading, read with ``query``) or a CAMEO-based
    measure (read with ``spec``: a line and ``n``, no interval: those measures have none).

    Examples
    --------
    >>> index_chart(store, "relationship.svg", SeriesQuery(as_of=date(2021, 1, 19)))
    ... # doctest: +SKIP
    """
    if Path(path).suffix.lower() not in FORMATS:
        raise UsageError(f"chart file {path} must end in .svg or .png.")
    lab = labels(lang)
    tps: list[Any] = []
    if measure in NAMED:
        q = (query or SeriesQuery(name=measure)).checked()
        run = run_series(store, q)
        rows = run.source_rows(source).to_pylist()
        if turning:
            try:
                tps = series_turning_points(
                    store, q.name, source=source, penalty=penalty, run=run
                ).to_pylist()
            except AnalysisError:
                tps = []
        when = f", {lab.text('as_of', day=lab.day(_as_date(q.as_of)))}" if q.as_of else ""
        title = f"{lab.series(q.name)}, {lab.pair(q.dyad)}{when}"
        scene = series_scene(
            rows, _labelled(tps, q.freq, lab), text=series_text(q.name, lang, title)
        )
        return write_chart(_check_rows(rows, scene), path)
    spec = (spec or IndexSpec()).checked()
    run_ = run_index(store, spec)
    rows = run_.series(source).to_pylist()
    if turning:
        try:
            tps = turning_points(
                store, spec, source=source, measure=measure, penalty=penalty
            ).to_pylist()
        except AnalysisError:
            tps = []
    title = f"{lab.measure(measure)}, {spec.dyad}"
    scene = series_scene(
        rows,
        _labelled(tps, spec.freq, lab),
        text=series_text(measure, lang, title),
        value=measure,
        band=False,
    )
    return write_chart(_check_rows(rows, scene), path)


def _labelled(tps: Sequence[Mapping[str, Any]], freq: str, lab: Any) -> list[dict[str, Any]]:
    """Turning points with their chart label: the period in words and the arrow."""
    return [
        {**t, "label": f"{lab.period(t['period'], freq)} {'▲' if t['direction'] == 'up' else '▼'}"}
        for t in tps
    ]


def _check_rows(rows: Sequence[Any], scene: Scene) -> Scene:
    if not rows:
        raise AnalysisError("the series has no periods to draw; widen --since/--until.")
    return scene


def _as_date(d: Any) -> date:
    return d.date() if hasattr(d, "date") and callable(d.date) else d


__all__ = [
    "FORMATS",
    "Dot",
    "Label",
    "Scene",
    "SeriesText",
    "Shape",
    "index_chart",
    "nice_ticks",
    "series_scene",
    "series_text",
    "spark_scene",
    "strip_scene",
    "tick_text",
    "to_pdf",
    "to_png",
    "to_svg",
    "write_chart",
]
