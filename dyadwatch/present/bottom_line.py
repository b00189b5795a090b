"""The bottom line of a brief in words: where the relationship stands, how sure, how it moved.

Each function says one part of a :class:`~dyadwatch.policy.digest.Digest` (or its
:class:`~dyadwatch.policy.digest.Reading`) in the reader's language, every word from the
label registry (:mod:`dyadwatch.present.labels`); :mod:`dyadwatch.present.overview` puts the
parts together.

Examples
--------
>>> band_key(-1.07)
'strained'
"""

from __future__ import annotations

from datetime import date

from dyadwatch.analyse.index import MIN_N
from dyadwatch.policy.digest import Digest, Reading, SeriesPoint
from dyadwatch.present.labels import Labels


def events_phrase(n: int, lab: Labels) -> str:
    return lab.text("event_one" if n == 1 else "event_many", n=n)


def window_phrase(point: SeriesPoint, freq: str, lab: Labels) -> str:
    """``over the twelve months to January 2021`` / ``in January 2021``."""
    period = lab.period(point.period, freq)
    if point.window <= 1:
        return lab.text("window_one", period=period)
    unit = lab.freq(freq, point.window)
    return lab.text("window_many", count=lab.number(point.window), unit=unit, period=period)


def band_key(value: float) -> str:
    """Where a value sits on the scale's anchors (docs/measurement.md), as a band name.

    >>> band_key(-1.07), band_key(0.3), band_key(4.5)
    ('strained', 'mixed', 'close')
    """
    if value <= -4:
        return "crisis"
    if value <= -0.5:
        return "strained"
    if value < 0.5:
        return "mixed"
    if value < 4:
        return "cooperative"
    return "close"


def stands(
    reading: Reading, lab: Labels, day: date, newest: date | None = None
) -> tuple[str, bool]:
    latest, current = reading.latest, reading.current
    if latest is None or latest.value is None:
        return lab.text("stands_none", day=lab.day(day)), False
    band = band_key(latest.value)
    if band in ("strained", "cooperative") and _spans_zero(latest):
        band = f"leans_{band}"  # the interval does not settle even the sign
    text = lab.text(
        "stands",
        band=lab.text(f"band_{band}"),
        value=lab.signed(latest.value),
        window=window_phrase(latest, reading.freq, lab),
        events=events_phrase(latest.n, lab),
        lo=lab.signed(latest.lo),
        hi=lab.signed(latest.hi),
    )
    thin = current is not None and current.period != latest.period
    if thin and current is not None:
        if newest is not None and newest < current.period_start:
            extra = lab.text(
                "stands_silent",
                newest=lab.day(newest),
                period=lab.period(latest.period, reading.freq),
            )
        else:
            extra = lab.text(
                "stands_thin",
                period=lab.period(current.period, reading.freq),
                n=current.n,
                min=MIN_N,
            )
        text += " " + sentence(extra)
    return text, thin


def _spans_zero(p: SeriesPoint) -> bool:
    return p.lo is not None and p.hi is not None and p.lo <= 0 <= p.hi


def sentence(text: str) -> str:
    """``text`` with its first letter in capitals (a Spanish month may open a sentence).

    >>> sentence("diciembre de 2026 tiene")
    'Diciembre de 2026 tiene'
    """
    return text[:1].upper() + text[1:]


def sure(reading: Reading, lab: Labels) -> str:
    p = reading.latest
    if p is None or p.value is None or p.lo is None or p.hi is None:
        return ""
    if p.hi < 0:
        parts = [lab.text("sure_below")]
    elif p.lo > 0:
        parts = [lab.text("sure_above")]
    else:
        parts = [lab.text("sure_spans")]
    if p.n < 2 * MIN_N:
        parts.append(lab.text("sure_few", n=p.n))
    low = reading.lowest
    if low is not None and low.period == p.period:
        if low.since is None:
            parts.append(lab.text("record_low", first=lab.period(low.first_period, reading.freq)))
        elif steps_between(low.since, low.period) >= p.window:
            key = "lowest_since_noise" if low.within_noise else "lowest_since"
            parts.append(
                lab.text(
                    key,
                    period=lab.period(low.since, reading.freq),
                    value=lab.signed(low.since_value),
                )
            )
    for a in reading.alerts:
        if a.measure == "value":
            parts.append(lab.text("alert_low" if a.z < 0 else "alert_high", z=lab.signed(a.z, 1)))
    recent = [t for t in reading.turning if steps_between(t.period, p.period) <= 2 * p.window]
    for t in recent[-1:]:
        parts.append(
            lab.text(
                "turning_recent",
                sure=lab.text(f"sure_{t.sure}"),
                direction=lab.text(f"direction_{t.direction}"),
                period=lab.period(t.period, reading.freq),
                before=lab.signed(t.before_mean),
                after=lab.signed(t.after_mean),
            )
        )
    return " ".join(parts)


def steps_between(a: str, b: str) -> int:
    """Months from period ``a`` to period ``b`` (``YYYY-MM`` labels); large when unknown."""
    try:
        ya, ma = int(a[:4]), int(a[5:7]) if len(a) >= 7 else 1
        yb, mb = int(b[:4]), int(b[5:7]) if len(b) >= 7 else 1
    except ValueError:
        return 10**6
    return abs((yb - ya) * 12 + (mb - ma))


def move(d: Digest, lab: Labels) -> str:
    before = d.before.latest if d.before is not None else None
    now = d.reading.latest
    previous = lab.day(d.previous)
    if now is None or now.value is None:
        if before is None or before.value is None:
            return ""
        return lab.text("changed_value_gone", previous=previous, before=lab.signed(before.value))
    if before is None or before.value is None:
        return lab.text("changed_value_new", previous=previous, now=lab.signed(now.value))
    if round(before.value, 2) == round(now.value, 2):
        return lab.text("changed_value_same", now=lab.signed(now.value))
    overlap = not ((now.hi or 0) < (before.lo or 0) or (before.hi or 0) < (now.lo or 0))
    return lab.text(
        "changed_value",
        before=lab.signed(before.value),
        period_before=lab.period(before.period, d.freq),
        previous=previous,
        now=lab.signed(now.value),
        noise=lab.text("move_noise" if overlap else "move_clear"),
    )


__all__ = [
    "band_key",
    "events_phrase",
    "move",
    "sentence",
    "stands",
    "steps_between",
    "sure",
    "window_phrase",
]
