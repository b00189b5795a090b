"""The dashboard's charts of indicators and rule outcomes, drawn with the one chart module.

:mod:`dyadwatch.present.charts` draws every picture dyadwatch makes as a
:class:`~dyadwatch.present.charts.Scene` rendered by :func:`~dyadwatch.present.charts.to_svg`.
The pages of the named series use its scenes directly (through
:mod:`dyadwatch.present.api.charts`); this module builds, from the same parts, the scenes only
the dashboard shows:

- :func:`releases_scene` — an indicator with its axes (values and years), its unit, its
  latest figures as a line and every earlier release that a revision replaced as a dashed
  grey line, each point with a tooltip saying its period, release and publication date;
- :func:`effects_scene` — a rule's event study: the effect 3, 6 and 12 months after a lever
  changed, each with its interval, against a labelled zero line;
- :func:`strip_with_years` — a backtest's monthly status strip with the years beneath it.

Every scene has axes: a chart a reader cannot read the scale of is not shown at all
(:func:`releases_scene` draws a lone figure as a labelled dot).

Examples
--------
>>> rows = [{"period_start": date(2019, 1, 1), "period_end": date(2019, 12, 31),
...          "value": 10.0, "vintage": "v1", "known_at": datetime(2020, 1, 5)},
...         {"period_start": date(2020, 1, 1), "period_end": date(2020, 12, 31),
...          "value": 12.0, "vintage": "v1", "known_at": datetime(2021, 1, 5)}]
>>> svg = to_svg(releases_scene(rows, rows, unit="persons"))
>>> "persons" in svg and ">2019<" in svg and ">2020<" in svg
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dyadwatch.present.charts import (
    ACCENT,
    GRID,
    INK,
    MUTED,
    ZERO,
    Dot,
    Label,
    Scene,
    Shape,
    nice_ticks,
    strip_scene,
    tick_text,
    to_svg,
)

EARLIER = "#9a9a9a"
"""Colour of the releases a revision replaced."""
MAX_EARLIER = 8
"""Earlier releases drawn at most (the most recent ones); the table lists every release."""


@dataclass(frozen=True, slots=True)
class ReleaseText:
    """The words of an indicator chart, in the reader's language."""

    title: str = ""
    latest: str = "latest release of each period"
    earlier: str = "earlier releases, since revised"
    empty: str = "no figure was public by this date"


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _mid(row: Mapping[str, Any]) -> float:
    """A figure's place on the time axis: the middle of its period (a year's figure sits
    between the year's ticks, a 12-month total in the middle of its twelve months)."""
    start = _as_date(row["period_start"]).toordinal()
    end = _as_date(row["period_end"]).toordinal()
    return (start + end) / 2


def _period(row: Mapping[str, Any]) -> str:
    start, end = _as_date(row["period_start"]), _as_date(row["period_end"])
    if start.month == 1 and start.day == 1 and end.month == 12 and end.day == 31:
        return str(start.year) if start.year == end.year else f"{start.year}–{end.year}"
    return f"{start.isoformat()} – {end.isoformat()}"


def _year_axis(
    scene: Scene, x0: float, x1: float, sx: Any, base: float, left: float, right: float
) -> None:
    """Year boundaries as ticks on the time axis, each year's label centred in its year (a
    year's figure sits over its own label)."""
    first, last = date.fromordinal(int(x0)).year, date.fromordinal(int(x1)).year
    span = last - first + 1
    step = next(s for s in (1, 2, 5, 10, 20, 50) if span / s <= 10)
    scene.line(left, base, right, base, stroke=ZERO, width=0.8)
    for year in range(first, last + 2):
        x = sx(float(date(year, 1, 1).toordinal()))
        if left - 0.5 <= x <= right + 0.5:
            scene.line(x, base, x, base + 4, stroke=ZERO, width=0.8)
    for year in range(first + (-first % step), last + 1, step):
        # Centred in the part of the year the axis shows (if it shows two months of it).
        a = max(float(date(year, 1, 1).toordinal()), x0)
        b = min(float(date(year, 12, 31).toordinal()), x1)
        if b - a >= 60:
            scene.add(Label(sx((a + b) / 2), base + 16, str(year), 10, "middle", MUTED))


def _key(row: Mapping[str, Any]) -> tuple[str, str, str]:
    return str(row["period_start"]), str(row["period_end"]), str(row["vintage"])


def _legend(scene: Scene, text: ReleaseText, earlier: bool, lx: float, top: float) -> None:
    """The legend, top right: the latest release, and the earlier ones if any are drawn."""
    legend = [(text.latest, ACCENT, False)]
    if earlier:
        legend.append((text.earlier, EARLIER, True))
    for label, colour, dash in legend:
        w = len(label) * 10 * 0.56
        scene.add(Label(lx, top - 10, label, 10, "end", MUTED))
        scene.line(lx - w - 20, top - 14, lx - w - 5, top - 14, stroke=colour, width=2.0, dash=dash)
        lx -= w + 34


def releases_scene(
    latest: Sequence[Mapping[str, Any]],
    releases: Sequence[Mapping[str, Any]] = (),
    *,
    unit: str = "",
    text: ReleaseText | None = None,
    width: int = 760,
    height: int = 300,
) -> Scene:
    """An indicator over time with its axes: the latest release of each period as a line,
    the releases revisions replaced as dashed grey lines, the unit over the value axis.

    ``latest`` holds, for each period, the latest release public by the page's date
    (:func:`dyadwatch.policy.indicators.indicator_series`, which owns "latest vintage");
    ``releases`` every release of every period public by then. Rows have ``period_start``,
    ``period_end``, ``value``, ``vintage`` and ``known_at``.
    """
    text = text or ReleaseText()
    scene = Scene(width, height, text.title or unit)
    latest = sorted((r for r in latest if r.get("value") is not None), key=_mid)
    if not latest:
        scene.add(Label(width / 2, height / 2, text.empty, 12, "middle", MUTED))
        return scene
    shown = {_key(r) for r in latest}
    earlier: dict[str, list[Mapping[str, Any]]] = {}
    for r in releases:
        if r.get("value") is not None and _key(r) not in shown:
            earlier.setdefault(str(r["vintage"]), []).append(r)
    recent = sorted(earlier, key=lambda v: max(str(r["known_at"]) for r in earlier[v]))
    drawn = recent[-MAX_EARLIER:]
    values = [float(r["value"]) for r in latest] + [
        float(r["value"]) for v in drawn for r in earlier[v]
    ]
    ticks = nice_ticks(min(values), max(values))
    lo, hi = ticks[0], ticks[-1]
    xs = [_mid(r) for r in latest] + [_mid(r) for v in drawn for r in earlier[v]]
    x0, x1 = min(xs), max(xs)
    pad = max(30.0, (x1 - x0) * 0.03)
    x0, x1 = x0 - pad, x1 + pad
    widest = max(len(tick_text(t)) for t in ticks)
    left, right, top, bottom = 14 + widest * 6.5, 14, 40 if text.title else 28, 26
    pw, ph = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        return top + (hi - y) / (hi - lo) * ph

    if text.title:
        scene.add(Label(left, 14, text.title, 12, bold=True))
    if unit:
        scene.add(Label(4, top - 10, unit, 10, "start", MUTED))
    for t in ticks:
        scene.line(left, sy(t), width - right, sy(t), stroke=ZERO if t == 0 else GRID, width=0.8)
        scene.add(Label(left - 6, sy(t) + 4, tick_text(t), 10, "end", MUTED))
    scene.line(left, top, left, top + ph, stroke=ZERO, width=0.8)
    _year_axis(scene, x0, x1, sx, top + ph, left, width - right)
    _legend(scene, text, bool(drawn), float(width - right), top)
    for vintage in drawn:
        pts = sorted(earlier[vintage], key=_mid)
        line = tuple((sx(_mid(r)), sy(float(r["value"]))) for r in pts)
        if len(line) > 1:
            scene.add(Shape(line, stroke=EARLIER, width=1.2, dash=True, cls="earlier"))
        for r in pts:
            tip = (
                f"{_period(r)}: {tick_text(float(r['value']))} {unit} — release {vintage}, "
                f"public {_as_date(r['known_at']).isoformat()}, since revised"
            )
            scene.add(Dot(sx(_mid(r)), sy(float(r["value"])), 2.2, EARLIER, tip, cls="pt old"))
    line = tuple((sx(_mid(r)), sy(float(r["value"]))) for r in latest)
    if len(line) > 1:
        scene.add(Shape(line, stroke=ACCENT, width=2.0, cls="line"))
    for r in latest:
        tip = (
            f"{_period(r)}: {tick_text(float(r['value']))} {unit} — release {r['vintage']}, "
            f"public {_as_date(r['known_at']).isoformat()}"
        )
        scene.add(Dot(sx(_mid(r)), sy(float(r["value"])), 3.0, ACCENT, tip))
    return scene


def effects_scene(
    effects: Sequence[Mapping[str, Any]],
    *,
    limit: float = 4.0,
    width: int = 150,
    height: int = 64,
    months_label: str = "months after",
) -> Scene:
    """A lever's event study: each horizon's effect (a dot) and interval (a bar) against a
    labelled zero line, values clipped to ±``limit`` (the scale's labels say so)."""
    scene = Scene(width, height, months_label)
    left, right, top, bottom = 26, 6, 6, 16
    ph = height - top - bottom
    ok = [e for e in effects if e.get("status") == "ok"]

    def sy(y: float) -> float:
        y = max(-limit, min(limit, y))
        return top + (limit - y) / (2 * limit) * ph

    for t in (-limit, 0.0, limit):
        scene.line(left, sy(t), width - right, sy(t), stroke=ZERO if t == 0 else GRID, width=0.8)
        scene.add(Label(left - 3, sy(t) + 3.5, tick_text(t) if t else "0", 9, "end", MUTED))
    step = (width - left - right) / max(1, len(effects))
    for i, e in enumerate(effects):
        x = left + step * (i + 0.5)
        scene.add(Label(x, height - 3, str(e.get("horizon_months", "")), 9, "middle", MUTED))
        if e not in ok:
            continue
        tip = (
            f"{e['horizon_months']} {months_label}: {e['effect']:+.2f} "
            f"[{e['lo']:+.2f}, {e['hi']:+.2f}]"
        )
        scene.line(x, sy(float(e["hi"])), x, sy(float(e["lo"])), stroke=INK, width=2.0)
        scene.add(Dot(x, sy(float(e["effect"])), 3.0, INK, tip))
    return scene


def strip_with_years(months: Sequence[Mapping[str, Any]], *, cell: int = 4) -> Scene:
    """The backtest's status strip (met / not met / unknown per month, lever use beneath)
    with each January's year under it, so a reader can find a month."""
    scene = strip_scene(months, cell=cell)
    base = scene.height
    scene.height = base + 13
    for i, m in enumerate(months):
        day = _as_date(m["as_of"])
        first = i == 0 and (day.month <= 7 or len(months) <= 13 - day.month)
        if day.month == 1 or first:
            scene.line(i * cell, base, i * cell, base + 3, stroke=ZERO, width=0.8)
            x = i * cell
            anchor = "start" if x < 12 else "end" if x > scene.width - 12 else "middle"
            scene.add(Label(x, base + 12, str(day.year), 9, anchor, MUTED))
    return scene


def svg(scene: Scene, cls: str = "chart", *, sized: bool = False) -> str:
    """The scene as inline SVG with the dashboard's class (``sized``: at its own pixel size,
    for small charts that must not grow with the page)."""
    return to_svg(scene, cls=cls, sized=sized)


__all__ = [
    "ReleaseText",
    "effects_scene",
    "releases_scene",
    "strip_with_years",
    "svg",
]
