"""Scoring the index against dated expert judgments (``dyadwatch validate judgments``).

A judgments file is a CSV with the columns :data:`JUDGMENT_COLUMNS`. For each judgment the
default series (``relationship``, fused) is read **as known at the judgment's date** — a
``YYYY-MM`` date means the first day of that month, so nothing published later in the month
leaks in — and the judgment is scored:

``improving`` / ``deteriorating``
    The mean over the last ``horizon_months`` (ending with the judgment's month) against the
    mean over the ``horizon_months`` before them: agree when the difference has the claimed
    sign.
``low`` / ``high``
    The current level (the series' value at the judgment's month, at its default window)
    against the values of the preceding ``horizon_months``: agree when it is in their bottom
    (top) fifth.
``mixed``
    The same two means as ``improving``: agree when their difference is within its interval
    of zero (no clear change), disagree when it is clearly not.

A judgment is ``insufficient`` when a value it needs has too little evidence, or fewer than
:data:`MIN_HISTORY` earlier values exist to rank the current level — with the numbers that
were missing. ``agreement`` is agree / (agree + disagree).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from dyadwatch.analyse.index.named import SeriesData, load_series, make_query
from dyadwatch.analyse.index.pooling import ordinal
from dyadwatch.errors import UsageError
from dyadwatch.store.store import Store

JUDGMENT_COLUMNS: tuple[str, ...] = (
    "date",
    "judge",
    "outlet",
    "direction",
    "horizon_months",
    "claim",
    "url",
    "verified",
)
DIRECTIONS: tuple[str, ...] = ("improving", "deteriorating", "low", "high", "mixed")
EXTREME_SHARE = 0.2
"""``low``/``high``: the current level must be in the bottom/top fifth of the horizon."""
MIN_HISTORY = 5
"""``low``/``high``: earlier values with enough evidence needed to rank the current one."""


@dataclass(frozen=True, slots=True)
class Judgment:
    """One row of a judgments file."""

    line: int
    date: date
    judge: str
    outlet: str
    direction: str
    horizon_months: int
    claim: str
    url: str
    verified: bool


@dataclass(frozen=True, slots=True)
class Scored:
    """A judgment and what the index, as known at its date, says about it."""

    line: int
    date: str
    judge: str
    direction: str
    horizon_months: int
    verdict: str
    """``agree``, ``disagree`` or ``insufficient``."""
    value: float | None
    compared_with: float | None
    n: int | None
    n_compared: int | None
    detail: str
    claim: str
    url: str


def _parse_date(text: str) -> date:
    text = text.strip()
    if len(text) == 7:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    return date.fromisoformat(text)


def read_judgments(path: Path | str) -> list[Judgment]:
    """Read and check a judgments CSV; a bad row is one :class:`UsageError` with file:line."""
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the judgments file ({exc.strerror}).") from None
    with handle:
        try:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise UsageError(f"{path}:1: empty file (expected {','.join(JUDGMENT_COLUMNS)}).")
            header = [h.strip() for h in header]
            missing = [c for c in JUDGMENT_COLUMNS if c not in header]
            if missing:
                raise UsageError(
                    f"{path}:1: missing column(s) {', '.join(missing)} "
                    f"(expected {','.join(JUDGMENT_COLUMNS)})."
                )
            out = [
                _row(path, i, dict(zip(header, row, strict=False)), len(header), row)
                for i, row in _numbered(reader)
            ]
        except UnicodeDecodeError:
            raise UsageError(f"{path}: not UTF-8 text.") from None
    if not out:
        raise UsageError(f"{path}: no judgments after the header.")
    return out


def _numbered(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    for i, row in enumerate(reader, start=2):
        if any(cell.strip() for cell in row):
            yield i, row


def _row(path: Path, line: int, row: Mapping[str, str], width: int, raw: list[str]) -> Judgment:
    where = f"{path}:{line}"
    if len(raw) != width:
        raise UsageError(f"{where}: {len(raw)} fields, expected {width}.")
    try:
        when = _parse_date(row["date"])
    except (ValueError, KeyError):
        raise UsageError(
            f"{where}: date {row.get('date')!r} is not YYYY-MM-DD or YYYY-MM."
        ) from None
    direction = row["direction"].strip().lower()
    if direction not in DIRECTIONS:
        raise UsageError(
            f"{where}: direction {row['direction']!r} is not one of {', '.join(DIRECTIONS)}."
        )
    try:
        horizon = int(row["horizon_months"])
    except ValueError:
        raise UsageError(
            f"{where}: horizon_months {row['horizon_months']!r} is not a whole number."
        ) from None
    if horizon < 1:
        raise UsageError(f"{where}: horizon_months must be at least 1, not {horizon}.")
    verified = row["verified"].strip().lower()
    if verified not in ("yes", "no", "true", "false"):
        raise UsageError(f"{where}: verified must be yes or no, not {row['verified']!r}.")
    return Judgment(
        line,
        when,
        row["judge"].strip(),
        row["outlet"].strip(),
        direction,
        horizon,
        row["claim"].strip(),
        row["url"].strip(),
        verified in ("yes", "true"),
    )


def _value_at(run_table: Any, k_period: str) -> dict[str, Any] | None:
    rows = pl.from_arrow(run_table)
    assert isinstance(rows, pl.DataFrame)
    hit = rows.filter(pl.col("period") == k_period)
    return hit.row(0, named=True) if hit.height else None


def score(data: SeriesData, judgment: Judgment) -> Scored:
    """Score one judgment against the series as known at its date."""
    if judgment.direction in ("improving", "deteriorating", "mixed"):
        return _score_change(data, judgment)
    return _score_level(data, judgment)


def _result(j: Judgment, verdict: str, **kw: Any) -> Scored:
    return Scored(
        j.line,
        j.date.isoformat(),
        j.judge,
        j.direction,
        j.horizon_months,
        verdict,
        value=kw.get("value"),
        compared_with=kw.get("compared_with"),
        n=kw.get("n"),
        n_compared=kw.get("n_compared"),
        detail=kw.get("detail", ""),
        claim=j.claim,
        url=j.url,
    )


def _score_change(data: SeriesData, j: Judgment) -> Scored:
    h = j.horizon_months
    k = ordinal(j.date, "month")
    run = data.at(j.date, window=h, freq="month", since=_month(k - h), until=j.date)
    table = run.source_rows()
    now = _value_at(table, _label(k))
    before = _value_at(table, _label(k - h))
    if now is None or before is None or now["value"] is None or before["value"] is None:
        missing = [
            f"the {name} {h} months ({row['n'] if row else 0} event(s))"
            for name, row in (("last", now), ("previous", before))
            if row is None or row["value"] is None
        ]
        return _result(
            j,
            "insufficient",
            value=now["value"] if now else None,
            compared_with=before["value"] if before else None,
            n=now["n"] if now else None,
            n_compared=before["n"] if before else None,
            detail=f"too little evidence in {' and '.join(missing)}",
        )
    diff = now["value"] - before["value"]
    half_now = (now["hi"] - now["lo"]) / 2
    half_before = (before["hi"] - before["lo"]) / 2
    clear = abs(diff) > math.hypot(half_now, half_before)
    if j.direction == "mixed":
        verdict = "disagree" if clear else "agree"
    else:
        verdict = (
            "agree" if (diff > 0) == (j.direction == "improving") and diff != 0 else "disagree"
        )
    return _result(
        j,
        verdict,
        value=now["value"],
        compared_with=before["value"],
        n=now["n"],
        n_compared=before["n"],
        detail=(
            f"mean of the last {h} months {now['value']:+.2f} (n={now['n']}) vs the {h} before "
            f"{before['value']:+.2f} (n={before['n']}): {'clearly ' if clear else ''}"
            f"{'higher' if diff > 0 else 'lower' if diff < 0 else 'equal'}"
        ),
    )


def _score_level(data: SeriesData, j: Judgment) -> Scored:
    h = j.horizon_months
    k = ordinal(j.date, "month")
    run = data.at(j.date, freq="month", since=_month(k - h), until=j.date)
    frame = pl.from_arrow(run.source_rows())
    assert isinstance(frame, pl.DataFrame)
    now = frame.filter(pl.col("period") == _label(k))
    if not now.height or now["value"][0] is None:
        n = int(now["n"][0]) if now.height else 0
        return _result(j, "insufficient", n=n, detail=f"too little evidence now ({n} event(s))")
    value = float(now["value"][0])
    history = frame.filter((pl.col("period") != _label(k)) & pl.col("value").is_not_null())
    if history.height < MIN_HISTORY:
        return _result(
            j,
            "insufficient",
            value=value,
            n=int(now["n"][0]),
            n_compared=history.height,
            detail=f"only {history.height} earlier value(s) with enough evidence in {h} months",
        )
    values = history["value"].to_list()
    rank = sum(1 for v in values if v < value) / len(values)
    low = j.direction == "low"
    inside = rank <= EXTREME_SHARE if low else rank >= 1 - EXTREME_SHARE
    side = "bottom" if low else "top"
    return _result(
        j,
        "agree" if inside else "disagree",
        value=value,
        compared_with=float(sorted(values)[len(values) // 2]),
        n=int(now["n"][0]),
        n_compared=len(values),
        detail=(
            f"{value:+.2f} is above {rank:.0%} of the {len(values)} earlier values "
            f"({'in' if inside else 'not in'} the {side} fifth)"
        ),
    )


def _month(k: int) -> date:
    return date(k // 12, k % 12 + 1, 1)


def _label(k: int) -> str:
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


@dataclass(frozen=True, slots=True)
class Validation:
    """Every judgment scored, and the agreement."""

    rows: tuple[Scored, ...]

    @property
    def n_agree(self) -> int:
        return sum(r.verdict == "agree" for r in self.rows)

    @property
    def n_disagree(self) -> int:
        return sum(r.verdict == "disagree" for r in self.rows)

    @property
    def n_insufficient(self) -> int:
        return sum(r.verdict == "insufficient" for r in self.rows)

    @property
    def agreement(self) -> float | None:
        decided = self.n_agree + self.n_disagree
        return self.n_agree / decided if decided else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "agreement": self.agreement,
            "n_agree": self.n_agree,
            "n_disagree": self.n_disagree,
            "n_insufficient": self.n_insufficient,
            "rows": [asdict(r) for r in self.rows],
        }


def validate_judgments(
    store: Store, path: Path | str, *, name: str = "relationship", **params: Any
) -> Validation:
    """Score every judgment in ``path`` against the named series as known at its date.

    Examples
    --------
    The judgments that ship with the knowledge base, each agreeing, disagreeing or too
    thinly evidenced to score:

    >>> from importlib.resources import files
    >>> v = validate_judgments(store, files("dyadwatch.knowledge") / "data" / "judgments.csv")
    >>> sorted({r.verdict for r in v.rows})
    ['agree', 'disagree', 'insufficient']
    >>> v.n_agree + v.n_disagree + v.n_insufficient == len(v.rows)
    True
    """
    judgments = read_judgments(path)
    data = load_series(store, make_query(name, params))
    return Validation(tuple(score(data, j) for j in judgments))


__all__ = [
    "DIRECTIONS",
    "JUDGMENT_COLUMNS",
    "Judgment",
    "Scored",
    "Validation",
    "read_judgments",
    "score",
    "validate_judgments",
]
