"""What an index is computed over: the :class:`IndexSpec` and its checks, periods, defaults.

Every public index function takes an :class:`IndexSpec` (or its fields as keyword
arguments). :meth:`IndexSpec.checked` turns any malformed value into a
:class:`~dyadwatch.errors.UsageError` that names the bad value and the accepted ones, so the
CLI and the API answer with one clear line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal, get_args

from dyadwatch.errors import UsageError, did_you_mean
from dyadwatch.store.query import parse_dyad

Freq = Literal["week", "month", "quarter", "year"]
Direction = Literal["both", "ab", "ba"]
Dedupe = Literal["phoenix", "story", "none"]
Measure = Literal["net_coop", "goldstein_net", "share_a", "share_b", "net_share_a", "net_share_b"]

FREQS: tuple[str, ...] = get_args(Freq)
DIRECTIONS: tuple[str, ...] = get_args(Direction)
DEDUPES: tuple[str, ...] = get_args(Dedupe)
MEASURES: tuple[str, ...] = get_args(Measure)

DEFAULT_BASELINE: Mapping[str, int] = {"week": 52, "month": 24, "quarter": 12, "year": 10}
"""Rolling-baseline length in periods, by frequency (see docs/index.md, "Baseline").

Two years of months, three of quarters, a year of weeks, a decade of years: long enough that
one bad month does not move its own baseline much, short enough to follow the slow growth of
media volume and of coding changes (GDELT 1 → 2 in 2015).
"""

DEFAULT_WEIGHT = 1.0
"""Weight of a source in the fused index unless the user sets one (docs/index.md, "Fusion")."""

FUSED = "fused"
"""The label of the fused series in every index frame."""


def whole_number(name: str, value: object, low: int = 1) -> int:
    """``value`` if it is an int >= ``low`` (not a bool); else a :class:`UsageError`.

    >>> whole_number("events", 5)
    5
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise UsageError(f"{name} must be a whole number >= {low}, not {value!r}.")
    return value


def positive_number(name: str, value: object) -> float:
    """``value`` as a finite float > 0; else a :class:`UsageError`.

    >>> positive_number("threshold", "2.5")
    2.5
    """
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be a positive number, not {value!r}.") from None
    if isinstance(value, bool) or not math.isfinite(number) or number <= 0:
        raise UsageError(f"{name} must be a positive number, not {value!r}.")
    return number


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """Which index: dyad, direction, period, knowledge cut-off, sources and filters.

    Parameters
    ----------
    dyad
        Two CAMEO country codes, ``"USA-MEX"``; A is the first.
    direction
        ``ab`` (A acts on B), ``ba`` or ``both``.
    freq
        ``week`` (ISO weeks, Monday first), ``month``, ``quarter`` or ``year``.
    as_of
        Knowledge cut-off: only events (and volume rows) with ``known_at`` at or before the
        end of this day (UTC). None: everything stored.
    since, until
        First and last *event* dates. Default: the first event's period to the last event's
        period (or, with ``as_of``, to the period holding ``as_of``).
    sources
        Source names as stored, or a family name (``gdelt`` matches ``gdelt1``, ``gdelt2``).
        None: every source in the store, each its own series.
    dedupe
        ``phoenix`` (default): one event per ``dedupe_group``, as the Phoenix pipeline did;
        ``story``: also merge near-duplicate stories (:mod:`dyadwatch.normalise.story`);
        ``none``: every stored event counts.
    min_confidence
        Drop events whose ``confidence`` is below this (0 keeps everything).
    baseline
        Rolling-baseline length in periods for the z-scores; default by ``freq``
        (:data:`DEFAULT_BASELINE`).
    weights
        Source (or family) → weight in the fused index; unnamed sources weigh
        :data:`DEFAULT_WEIGHT`.

    Examples
    --------
    >>> IndexSpec(freq="quarter", direction="ba").checked().baseline_periods
    12
    """

    dyad: str = "USA-MEX"
    direction: Direction = "both"
    freq: Freq = "month"
    as_of: date | datetime | None = None
    since: date | None = None
    until: date | None = None
    sources: Sequence[str] | None = None
    dedupe: Dedupe = "phoenix"
    min_confidence: float = 0.0
    baseline: int | None = None
    weights: Mapping[str, float] = field(default_factory=dict)

    def with_(self, **changes: Any) -> IndexSpec:
        return replace(self, **changes)

    @property
    def countries(self) -> tuple[str, str]:
        return parse_dyad(self.dyad)

    @property
    def baseline_periods(self) -> int:
        return self.baseline if self.baseline is not None else DEFAULT_BASELINE[self.freq]

    def checked(self) -> IndexSpec:
        """This spec, validated and normalised; a :class:`UsageError` if any field is bad."""
        dyad = "-".join(parse_dyad(str(self.dyad)))
        _choice("direction", self.direction, DIRECTIONS)
        _choice("freq", self.freq, FREQS)
        _choice("dedupe", self.dedupe, DEDUPES)
        if self.as_of is not None and not isinstance(self.as_of, date):
            raise UsageError(f"as_of must be a date or datetime, not {self.as_of!r}.")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
                raise UsageError(f"{name} must be a date (YYYY-MM-DD), not {value!r}.")
        if self.since and self.until and self.since > self.until:
            raise UsageError(f"since {self.since} is after until {self.until}.")
        try:
            mc = float(self.min_confidence)
        except (TypeError, ValueError):
            raise UsageError(
                f"min_confidence must be a number in [0, 1], not {self.min_confidence!r}."
            ) from None
        if not 0.0 <= mc <= 1.0 or math.isnan(mc):
            raise UsageError(f"min_confidence must be in [0, 1], not {self.min_confidence!r}.")
        if self.baseline is not None and (
            isinstance(self.baseline, bool)
            or not isinstance(self.baseline, int)
            or self.baseline < 2
        ):
            raise UsageError(
                f"baseline must be a whole number of periods, at least 2, not {self.baseline!r}."
            )
        sources = None
        if self.sources is not None:
            if isinstance(self.sources, str):
                raise UsageError("sources must be a list of source names, not one string.")
            sources = tuple(dict.fromkeys(str(s).strip() for s in self.sources if str(s).strip()))
            if FUSED in sources:
                raise UsageError(
                    "'fused' is not a stored source: name stored sources (or none for all) "
                    "and read the rows whose source is 'fused'."
                )
            sources = sources or None
        weights: dict[str, float] = {}
        for name, w in dict(self.weights or {}).items():
            try:
                value = float(w)
            except (TypeError, ValueError):
                raise UsageError(f"weight of {name!r} must be a number, not {w!r}.") from None
            if not math.isfinite(value) or value < 0:
                raise UsageError(f"weight of {name!r} must be finite and >= 0, not {w!r}.")
            weights[str(name)] = value
        return replace(
            self,
            dyad=dyad,
            min_confidence=mc,
            sources=sources,
            weights=weights,
        )


def make_spec(spec: IndexSpec | None, overrides: Mapping[str, Any]) -> IndexSpec:
    """``spec`` (default :class:`IndexSpec`) with keyword overrides, checked.

    >>> make_spec(None, {"freq": "year"}).freq
    'year'
    >>> make_spec(None, {"frq": "year"})
    Traceback (most recent call last):
    ...
    dyadwatch.errors.UsageError: unknown index parameter 'frq'. Did you mean freq?
    """
    base = spec or IndexSpec()
    fields = set(IndexSpec.__dataclass_fields__)
    unknown = [k for k in overrides if k not in fields]
    if unknown:
        raise UsageError(
            f"unknown index parameter {unknown[0]!r}.{did_you_mean(unknown[0], fields)}"
        )
    return base.with_(**overrides).checked()


def _choice(name: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise UsageError(
            f"{name} {value!r} is not one of {', '.join(allowed)}."
            f"{did_you_mean(str(value), allowed)}"
        )


def parse_weights(text: str) -> dict[str, float]:
    """``"curated=2,gdelt=1"`` → ``{"curated": 2.0, "gdelt": 1.0}``.

    >>> parse_weights("curated=2, gdelt=0.5")
    {'curated': 2.0, 'gdelt': 0.5}
    """
    out: dict[str, float] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"weight {item.strip()!r} is not SOURCE=NUMBER (e.g. curated=2).")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise UsageError(
                f"weight {item.strip()!r}: {value.strip()!r} is not a number."
            ) from None
    return out


# --- periods ---------------------------------------------------------------------------------


def period_start(d: date, freq: str) -> date:
    """First day of the period of ``freq`` holding ``d`` (weeks start on Monday, ISO 8601).

    >>> period_start(date(2021, 5, 19), "quarter")
    datetime.date(2021, 4, 1)
    """
    if freq == "week":
        return d - timedelta(days=d.weekday())
    if freq == "month":
        return d.replace(day=1)
    if freq == "quarter":
        return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    if freq == "year":
        return date(d.year, 1, 1)
    raise UsageError(f"freq {freq!r} is not one of {', '.join(FREQS)}.")


def period_end(start: date, freq: str) -> date:
    """Last day of the period that begins on ``start``."""
    if freq == "week":
        return start + timedelta(days=6)
    months = {"month": 1, "quarter": 3, "year": 12}[freq]
    y, m = divmod(start.month - 1 + months, 12)
    return date(start.year + y, m + 1, 1) - timedelta(days=1)


def period_label(start: date, freq: str) -> str:
    """``2021-01`` (month), ``2021Q1``, ``2021-W03`` (ISO week), ``2021``."""
    if freq == "week":
        iso = start.isocalendar()
        return f"{iso[0]:04d}-W{iso[1]:02d}"
    if freq == "month":
        return f"{start.year:04d}-{start.month:02d}"
    if freq == "quarter":
        return f"{start.year:04d}Q{(start.month - 1) // 3 + 1}"
    return f"{start.year:04d}"


_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(\d{4})-W(\d{1,2})$", re.I), "week"),
    (re.compile(r"^(\d{4})-?Q([1-4])$", re.I), "quarter"),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "day"),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "month"),
    (re.compile(r"^(\d{4})$"), "year"),
)


def parse_period(text: str | date, freq: str) -> date:
    """The start of the ``freq`` period named by ``text`` (or holding the date ``text``).

    Accepts ``2021``, ``2021Q1``, ``2021-01``, ``2021-W03`` and ``2021-01-19``; a label
    coarser than ``freq`` (``2021`` for months) is ambiguous and refused.

    >>> parse_period("2021-01-19", "month")
    datetime.date(2021, 1, 1)
    >>> parse_period("2020Q4", "quarter")
    datetime.date(2020, 10, 1)
    """
    _choice("freq", freq, FREQS)
    if isinstance(text, date):
        d = text.date() if isinstance(text, datetime) else text
        return period_start(d, freq)
    raw = str(text).strip()
    for pattern, kind in _PATTERNS:
        m = pattern.match(raw)
        if not m:
            continue
        try:
            if kind == "week":
                d = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            elif kind == "quarter":
                d = date(int(m[1]), 3 * (int(m[2]) - 1) + 1, 1)
            elif kind == "day":
                d = date(int(m[1]), int(m[2]), int(m[3]))
            elif kind == "month":
                d = date(int(m[1]), int(m[2]), 1)
            else:
                d = date(int(m[1]), 1, 1)
        except ValueError as exc:
            raise UsageError(f"period {raw!r} is not a real {kind}: {exc}.") from None
        order = ("day", "week", "month", "quarter", "year")
        if order.index(kind) > order.index(freq):
            raise UsageError(
                f"period {raw!r} names a {kind}, longer than one {freq}: name one {freq} "
                f"(e.g. {period_label(period_start(d, freq), freq)}) or change --freq."
            )
        return period_start(d, freq)
    raise UsageError(
        f"{raw!r} is not a period: use 2021 (year), 2021Q1, 2021-01 (month), 2021-W03 "
        "(ISO week) or a day 2021-01-19."
    )
