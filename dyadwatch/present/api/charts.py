"""Inline SVG for the dashboard: the index line with its turning points, and sparklines.

Drawn as text on the server (no plotting library per request, no script, no network), so a
page is one small HTML document that renders before any script runs. Periods without a
value are gaps in the line, never zeros.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from html import escape
from typing import Any


def _day(value: Any) -> float:
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return float(d.toordinal())


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def _paths(points: Sequence[tuple[float, float] | None]) -> list[str]:
    """Polyline path strings, broken at ``None`` (a period without a value)."""
    out: list[str] = []
    current: list[str] = []
    for p in points:
        if p is None:
            if current:
                out.append("M" + " L".join(current))
            current = []
            continue
        current.append(f"{_fmt(p[0])},{_fmt(p[1])}")
    if current:
        out.append("M" + " L".join(current))
    return out


def index_svg(
    rows: Sequence[Mapping[str, Any]],
    turning: Sequence[Mapping[str, Any]] = (),
    *,
    measure: str = "net_coop",
    width: int = 960,
    height: int = 300,
    title: str = "",
    background: Sequence[Mapping[str, Any]] = (),
    background_shift: int = 182,
    links: Sequence[str | None] = (),
) -> str:
    """An SVG line chart of ``rows`` (one index series) with turning points marked.

    ``background`` is a coarser series of the same measure (the yearly history) drawn as a
    wide pale line behind, each point ``background_shift`` days after its period's start
    (mid-year for years), so sparse periods read against the long view. ``links``, one per
    row, makes each point a link (to the events of its period).

    Examples
    --------
    >>> svg = index_svg([{"period": "2020", "period_start": "2020-01-01", "net_coop": 0.5}])
    >>> svg.startswith("<svg")
    True
    """
    left, right, top, bottom = 48, 12, 16, 28
    pw, ph = width - left - right, height - top - bottom
    desc = escape(title or f"{measure} by period")
    if not rows:
        return (
            f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{desc}">'
            f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle">'
            "no periods to draw</text></svg>"
        )
    xs = [_day(r["period_start"]) for r in rows]
    values = [r.get(measure) for r in rows]
    known = [v for v in values if v is not None]
    lo = min([*known, 0.0]) if known else -1.0
    hi = max([*known, 0.0]) if known else 1.0
    if measure == "net_coop":
        lo, hi = -1.0, 1.0
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    x0, x1 = xs[0], xs[-1] if xs[-1] > xs[0] else xs[0] + 1

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        return top + (hi - y) / (hi - lo) * ph

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{desc}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{desc}</title>",
    ]
    # y grid: quarters of the range, labelled.
    for i in range(5):
        y = lo + (hi - lo) * i / 4
        yy = sy(y)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{_fmt(yy)}" y2="{_fmt(yy)}"/>'
            f'<text class="tick" x="{left - 6}" y="{_fmt(yy + 3)}" text-anchor="end">{y:.2g}</text>'
        )
    if lo < 0 < hi:
        parts.append(
            f'<line class="zero" x1="{left}" x2="{width - right}" '
            f'y1="{_fmt(sy(0))}" y2="{_fmt(sy(0))}"/>'
        )
    # x ticks: at most ~10 year labels.
    first_year, last_year = date.fromordinal(int(x0)).year, date.fromordinal(int(x1)).year
    step = max(1, (last_year - first_year + 1) // 10 or 1)
    for year in range(first_year + (-first_year % step), last_year + 1, step):
        xx = sx(float(date(year, 1, 1).toordinal()))
        if left <= xx <= width - right:
            parts.append(
                f'<text class="tick" x="{_fmt(xx)}" y="{height - 8}" '
                f'text-anchor="middle">{year}</text>'
            )
    shifted = [
        None
        if r.get(measure) is None or not x0 <= _day(r["period_start"]) + background_shift <= x1
        else (sx(_day(r["period_start"]) + background_shift), sy(float(r[measure])))
        for r in background
    ]
    for d in _paths(shifted):
        parts.append(f'<path class="bg" d="{d}"/>')
    for tp in turning:
        xx = sx(_day(tp["period_start"]))
        up = tp.get("direction") == "up"
        cls = "tp up" if up else "tp down"
        label = escape(f"{tp['period']} {'▲' if up else '▼'}")
        change = tp.get("change")
        tip = escape(
            f"turning point {tp['period']}: {'up' if up else 'down'}"
            + (f" by {change:+.2f}" if isinstance(change, float) else "")
        )
        parts.append(
            f'<g class="{cls}"><title>{tip}</title>'
            f'<line x1="{_fmt(xx)}" x2="{_fmt(xx)}" y1="{top}" y2="{top + ph}"/>'
            f'<text x="{_fmt(xx + 3)}" y="{top + 10}">{label}</text></g>'
        )
    points: list[tuple[float, float] | None] = [
        None if v is None else (sx(x), sy(float(v))) for x, v in zip(xs, values, strict=True)
    ]
    for d in _paths(points):
        parts.append(f'<path class="line" d="{d}"/>')
    for i, (r, p) in enumerate(zip(rows, points, strict=True)):
        if p is None:
            continue
        v = r.get(measure)
        tip = escape(f"{r['period']}: {measure} {v:.3g}, {r.get('n', '?')} events")
        dot = (
            f'<circle class="pt" cx="{_fmt(p[0])}" cy="{_fmt(p[1])}" r="3" '
            f'data-period="{escape(str(r["period"]))}"><title>{tip}</title></circle>'
        )
        href = links[i] if i < len(links) else None
        parts.append(f'<a href="{escape(href)}">{dot}</a>' if href else dot)
    parts.append("</svg>")
    return "".join(parts)


def sparkline_svg(
    points: Sequence[Mapping[str, Any]], *, width: int = 160, height: int = 32
) -> str:
    """A small line of ``value`` over ``period_start`` (indicator series).

    >>> sparkline_svg([]).startswith("<svg")
    True
    """
    values = [(_day(p["period_start"]), p.get("value")) for p in points]
    known = [v for _, v in values if v is not None]
    head = (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'aria-hidden="true" xmlns="http://www.w3.org/2000/svg">'
    )
    if len(known) < 2:
        return head + "</svg>"
    x0, x1 = values[0][0], values[-1][0] if values[-1][0] > values[0][0] else values[0][0] + 1
    lo, hi = min(known), max(known)
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    pts: list[tuple[float, float] | None] = [
        None
        if v is None
        else (2 + (x - x0) / (x1 - x0) * (width - 4), 2 + (hi - v) / (hi - lo) * (height - 4))
        for x, v in values
    ]
    return head + "".join(f'<path d="{d}"/>' for d in _paths(pts)) + "</svg>"


STATUS_CLASS = {"met": "met", "not_met": "not_met", "insufficient_data": "insufficient_data"}


def status_strip(months: Sequence[Mapping[str, Any]], *, cell: int = 4, height: int = 14) -> str:
    """One coloured cell per backtest month (met / not met / insufficient data), lever use
    as a dark tick under the month.

    >>> status_strip([{"as_of": "2021-01-31", "status": "met", "lever_in_use": True}])[:4]
    '<svg'
    """
    width = max(1, len(months)) * cell
    parts = [
        f'<svg class="strip" viewBox="0 0 {width} {height + 4}" width="{width}" '
        f'height="{height + 4}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, m in enumerate(months):
        cls = STATUS_CLASS.get(str(m.get("status")), "unknown")
        tip = escape(f"{m.get('as_of')}: {str(m.get('status')).replace('_', ' ')}")
        if m.get("lever_in_use"):
            tip += " · lever in use"
        parts.append(
            f'<rect class="{cls}" x="{i * cell}" y="0" width="{cell}" height="{height}">'
            f"<title>{tip}</title></rect>"
        )
        if m.get("lever_in_use"):
            parts.append(
                f'<rect class="used" x="{i * cell}" y="{height + 1}" width="{cell}" height="3"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["index_svg", "sparkline_svg", "status_strip"]
