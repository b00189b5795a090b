"""The metric registry: every name a condition may call, its arguments, type and meaning.

A metric is a read-only query of the data as of a date (:class:`~.data.View`). It returns a
:class:`Result`: a value (number, duration, text or truth) or ``None`` when the data cannot
answer, with the reason in words (too little evidence behind the index's month, no state
known yet, no evidence within the rule's horizon, an indicator older than it), plus the
evidence behind the value. ``None`` makes the rule's finding *unknown* unless the rest of the
condition decides it anyway: silence is never "not met".

The relationship is read only through the index's named series (``series.*``, one fused
series per name: :mod:`~.index_series`), never as a pool of raw events across sources.

:data:`METRICS` lists them all; docs/rules.md documents each.
:func:`~dyadwatch.policy.rules.binding.check` type-checks a parsed condition against the
registry before any evaluation, so a rule file with an unknown metric (with a did-you-mean),
a wrong argument or a type error is refused at load time.

Examples
--------
>>> sorted(METRICS)[:3]
['events.count', 'events.since_last', 'indicator.age']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np

from dyadwatch.errors import RuleError, UnknownMetricError, did_you_mean
from dyadwatch.model import Evidence
from dyadwatch.policy.rules.data import EventQuery, View, day_number, glob_match
from dyadwatch.policy.rules.index_series import SERIES_NAMES
from dyadwatch.policy.rules.language import Duration

Type = Literal["number", "duration", "string", "bool", "list"]
ArgKind = Literal["number", "int", "duration", "string", "strings", "ints", "bool"]

DEFAULT_WINDOW = Duration(6, "m")
DEFAULT_HORIZON = Duration(6, "m")
"""How old the newest evidence may be before a metric stops answering (a rule's ``horizon``)."""
MIN_HISTORY = 24
"""Months with a value a series percentile needs in its history (two years of months)."""
MIN_INDICATOR_HISTORY = 5
"""Earlier values an indicator percentile needs."""
EVIDENCE_LIMIT = 5
"""Events shown as evidence per metric (the most recent first)."""


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: ArgKind
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    value: float | str | bool | Duration | None
    evidence: tuple[Evidence, ...] = ()
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Metric:
    """One callable name of the condition language."""

    name: str
    returns: Type
    doc: str
    params: tuple[Param, ...]
    fn: Callable[[View, Mapping[str, Any]], Result] = field(repr=False)
    describe: Callable[[Mapping[str, Any]], str] = field(repr=False)


def _latest(view: View, mask: np.ndarray, limit: int = EVIDENCE_LIMIT) -> tuple[Evidence, ...]:
    idx = np.flatnonzero(mask)
    if not len(idx):
        return ()
    order = idx[np.lexsort((idx, view.data.date[idx]))][::-1][:limit]
    return tuple(view.data.event_evidence(int(i), view.as_of) for i in order)


# --- staleness ------------------------------------------------------------------------------


def _stale(view: View, args: Mapping[str, Any]) -> str | None:
    """Why the record cannot speak for ``view.as_of`` (None: it can).

    Silence is never evidence: when the dyad's record holds no event dated within the rule's
    ``horizon`` before the date (default :data:`DEFAULT_HORIZON`), counts and index values
    describe an older stretch, not the date, and the metric gives no value.
    """
    last = view.latest_event_day()
    if last is None:
        return "no events of the dyad known by this date"
    h = args.get("horizon")
    horizon = h if isinstance(h, Duration) else DEFAULT_HORIZON
    if last <= horizon.start(view.as_of):
        return (
            f"no evidence since {last.isoformat()} (the latest event of the dyad known then), "
            f"longer ago than the rule's horizon of {horizon.words()}"
        )
    return None


# --- the index's named series --------------------------------------------------------------


def _series_rows(view: View, args: Mapping[str, Any]) -> list[dict[str, Any]]:
    return view.series(str(args.get("name", "relationship")), str(args.get("direction", "both")))


def _step(rows: list[dict[str, Any]], on: date) -> dict[str, Any] | None:
    """The row of the month containing ``on`` (or the last month before it)."""
    found = None
    for r in rows:
        if r["period_start"] <= on:
            found = r
        else:
            break
    return found


def _series_label(args: Mapping[str, Any]) -> str:
    name = str(args.get("name", "relationship"))
    direction = str(args.get("direction", "both"))
    return name if direction == "both" else f"{name} ({direction})"


def _series_evidence(view: View, args: Mapping[str, Any], row: Mapping[str, Any]) -> Evidence:
    """The series' value for one period as evidence, dated by the last day it covers as of
    the view (the month in progress on 19 January ends, for the evidence, on the 19th)."""
    label = _series_label(args)
    if row["status"] == "ok" and row["value"] is not None:
        text = (
            f"{label} series, {row['period']}: {row['value']:.2f} (90 % interval "
            f"{row['lo']:.2f} … {row['hi']:.2f}, n = {row['n']})"
        )
    else:
        text = f"{label} series, {row['period']}: no value ({row['reason'] or 'insufficient'})"
    return Evidence(
        kind="metric",
        ref=f"series:{label}@{row['period']}",
        date=min(row["period_end"], view.as_of),
        text=text,
    )


def _series_current(
    view: View, args: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]], str | None]:
    stale = _stale(view, args)
    if stale is not None:
        return None, [], stale
    try:
        rows = _series_rows(view, args)
    except RuleError as exc:
        return None, [], str(exc)
    row = _step(rows, view.as_of)
    if row is None:
        return None, rows, f"the {_series_label(args)} series has no month up to this date"
    return row, rows, None


def _insufficient(row: Mapping[str, Any]) -> str:
    why = str(row["reason"] or "too few events")
    head = "" if why.startswith("insufficient evidence") else "insufficient evidence: "
    return f"{head}{why} ({row['period']})"


def _series_value(view: View, args: Mapping[str, Any]) -> Result:
    row, _, why = _series_current(view, args)
    if row is None:
        return Result(None, (), why or "")
    ev = (_series_evidence(view, args, row),)
    if row["status"] != "ok" or row["value"] is None:
        return Result(None, ev, _insufficient(row))
    return Result(float(row["value"]), ev, f"{row['period']}, n = {row['n']}")


def _series_n(view: View, args: Mapping[str, Any]) -> Result:
    row, _, why = _series_current(view, args)
    if row is None:
        return Result(None, (), why or "")
    return Result(float(row["n"] or 0), (_series_evidence(view, args, row),), f"{row['period']}")


def percentile_of(value: float, history: list[float]) -> float:
    """Percent of ``history`` below ``value`` (ties count half), 0 … 100.

    >>> percentile_of(2.0, [1.0, 2.0, 3.0, 4.0])
    37.5
    """
    below = sum(h < value for h in history)
    ties = sum(h == value for h in history)
    return 100.0 * (below + 0.5 * ties) / len(history)


def _series_percentile(view: View, args: Mapping[str, Any]) -> Result:
    row, rows, why = _series_current(view, args)
    if row is None:
        return Result(None, (), why or "")
    lag = args.get("lag")
    if isinstance(lag, Duration) and lag.amount > 0:
        row = _step(rows, lag.start(view.as_of))
        if row is None:
            return Result(None, (), f"no month of the series {lag.words()} before this date")
    ev = (_series_evidence(view, args, row),)
    if row["status"] != "ok" or row["value"] is None:
        return Result(None, ev, _insufficient(row))
    history = args.get("history")
    span = history if isinstance(history, Duration) else Duration(10, "y")
    since = span.start(row["period_start"])
    past = [
        float(r["value"])
        for r in rows
        if since <= r["period_start"] < row["period_start"]
        and r["status"] == "ok"
        and r["value"] is not None
    ]
    if len(past) < MIN_HISTORY:
        return Result(
            None,
            ev,
            f"only {len(past)} month(s) with a value in the {span.words()} before "
            f"{row['period']}, {MIN_HISTORY} needed",
        )
    pct = percentile_of(float(row["value"]), past)
    return Result(
        pct,
        ev,
        f"{row['period']} value {row['value']:.2f} against {len(past)} months of the "
        f"{span.words()} before",
    )


# --- indicators ----------------------------------------------------------------------------


def _indicator_rows(view: View, args: Mapping[str, Any]) -> list[dict[str, Any]]:
    ident = args["id"]
    if ident not in view.data.indicator_rows:
        raise RuleError(
            f"the store holds no indicator series {ident!r}."
            f"{did_you_mean(ident, view.data.indicator_rows)} "
            "List them with `dyadwatch indicators`."
        )
    return view.indicator(ident, args.get("vintage", "latest-known"))


def _point_evidence(row: Mapping[str, Any]) -> Evidence:
    period = f"{row['period_start']}…{row['period_end']}"
    text = (
        f"{row['indicator']} = {row['value']:g} {row['unit']} for {period} "
        f"(vintage {row['vintage']}, {row.get('source_title') or row['source']})"
    )
    return Evidence(
        kind="indicator",
        ref=f"{row['indicator']}@{row['period_start']}#{row['vintage']}",
        date=row["period_end"],
        text=text,
        urls=(row["source_url"],) if row.get("source_url") else (),
    )


def _too_old(view: View, args: Mapping[str, Any], row: Mapping[str, Any]) -> str | None:
    """Why the latest known value is too old for the rule (None: recent enough)."""
    h = args.get("horizon")
    horizon = h if isinstance(h, Duration) else DEFAULT_HORIZON
    if row["period_end"] <= horizon.start(view.as_of):
        return (
            f"the latest {row['indicator']} known then is for the period ending "
            f"{row['period_end']}, older than the rule's horizon of {horizon.words()}"
        )
    return None


def _indicator_value(view: View, args: Mapping[str, Any]) -> Result:
    rows = [r for r in _indicator_rows(view, args) if r["value"] is not None]
    if not rows:
        return Result(None, (), "no value known yet")
    last = rows[-1]
    old = _too_old(view, args, last)
    if old is not None:
        return Result(None, (_point_evidence(last),), old)
    return Result(
        float(last["value"]), (_point_evidence(last),), f"period ending {last['period_end']}"
    )


def _indicator_percentile(view: View, args: Mapping[str, Any]) -> Result:
    rows = [r for r in _indicator_rows(view, args) if r["value"] is not None]
    if not rows:
        return Result(None, (), "no value known yet")
    last = rows[-1]
    ev = (_point_evidence(last),)
    old = _too_old(view, args, last)
    if old is not None:
        return Result(None, ev, old)
    history = args.get("history")
    span = history if isinstance(history, Duration) else Duration(20, "y")
    since = span.start(last["period_start"])
    past = [
        float(r["value"]) for r in rows[:-1] if since <= r["period_start"] < last["period_start"]
    ]
    if len(past) < MIN_INDICATOR_HISTORY:
        return Result(
            None,
            ev,
            f"only {len(past)} earlier value(s) in the {span.words()} before, "
            f"{MIN_INDICATOR_HISTORY} needed",
        )
    return Result(
        percentile_of(float(last["value"]), past),
        ev,
        f"{last['value']:g} against {len(past)} earlier values of the {span.words()} before",
    )


def _indicator_change(pct: bool) -> Callable[[View, Mapping[str, Any]], Result]:
    def fn(view: View, args: Mapping[str, Any]) -> Result:
        rows = [r for r in _indicator_rows(view, args) if r["value"] is not None]
        if len(rows) < 2:
            return Result(None, tuple(_point_evidence(r) for r in rows), "fewer than two values")
        prev, last = rows[-2], rows[-1]
        ev = (_point_evidence(prev), _point_evidence(last))
        old = _too_old(view, args, last)
        if old is not None:
            return Result(None, ev, old)
        if pct:
            if prev["value"] == 0:
                return Result(None, ev, "previous value is 0")
            return Result(100.0 * (last["value"] - prev["value"]) / abs(prev["value"]), ev)
        return Result(float(last["value"] - prev["value"]), ev)

    return fn


def _indicator_age(view: View, args: Mapping[str, Any]) -> Result:
    rows = [r for r in _indicator_rows(view, args) if r["value"] is not None]
    if not rows:
        return Result(None, (), "no value known yet")
    last = rows[-1]
    days = max(0, (view.as_of - last["period_end"]).days)
    return Result(Duration(days, "d"), (_point_evidence(last),))


# --- instruments ---------------------------------------------------------------------------


def _state_evidence(view: View, inst_id: str, state: Any) -> tuple[Evidence, ...]:
    text = f"{inst_id}: {state.state} from {state.valid_from}"
    if state.valid_to is not None:
        text += f" to {state.valid_to}"
    events = view.evidence_events(state.evidence)
    urls = tuple(u for e in events for u in e.urls)
    head = Evidence(
        kind="instrument_state",
        ref=f"{inst_id}@{state.valid_from}",
        date=state.valid_from,
        text=text + (f" ({' '.join(state.note.split())})" if state.note else ""),
        urls=urls,
    )
    return (head, *events[:EVIDENCE_LIMIT])


def _instrument(view: View, args: Mapping[str, Any]) -> Any:
    ident = args["id"]
    if ident not in view.data.instrument_ids:
        raise RuleError(
            f"the store holds no instrument {ident!r}."
            f"{did_you_mean(ident, view.data.instrument_ids)} "
            "List them with `dyadwatch instruments`."
        )
    inst = view.instrument(ident)
    if inst is None:
        return None, None
    return inst, inst.state_on(view.as_of)


def _instrument_state(view: View, args: Mapping[str, Any]) -> Result:
    _, state = _instrument(view, args)
    if state is None:
        return Result(None, (), "no state known yet")
    return Result(state.state, _state_evidence(view, args["id"], state))


def _held_for(view: View, args: Mapping[str, Any]) -> Result:
    _, state = _instrument(view, args)
    if state is None:
        return Result(None, (), "no state known yet")
    days = (view.as_of - state.valid_from).days
    return Result(
        Duration(days, "d"), _state_evidence(view, args["id"], state), f"since {state.valid_from}"
    )


def _ever(view: View, args: Mapping[str, Any]) -> Result:
    inst, _ = _instrument(view, args)
    if inst is None:
        return Result(None, (), "no state known yet")
    pattern = args["state"]
    w = args.get("window")
    since = w.start(view.as_of) if isinstance(w, Duration) else None
    for s in reversed(inst.states):
        if s.valid_from > view.as_of:
            continue
        ends = s.valid_to
        if since is not None and ends is not None and ends <= since:
            continue
        if glob_match(s.state, pattern):
            return Result(True, _state_evidence(view, args["id"], s))
    return Result(False)


# --- events --------------------------------------------------------------------------------


def _event_query(args: Mapping[str, Any]) -> EventQuery:
    def strings(key: str) -> tuple[str, ...]:
        v = args.get(key)
        if v is None:
            return ()
        return (v,) if isinstance(v, str) else tuple(v)

    quad = args.get("quad")
    quads = (
        ()
        if quad is None
        else (int(quad),)
        if isinstance(quad, float | int)
        else tuple(int(q) for q in quad)
    )
    return EventQuery(
        instrument=strings("instrument"),
        code=strings("code"),
        quad=quads,
        actor1=strings("actor1"),
        actor2=strings("actor2"),
        source=strings("source"),
        min_confidence=float(args.get("min_confidence") or 0.0),
    )


def _events_count(view: View, args: Mapping[str, Any]) -> Result:
    # A record with no recent event cannot tell "none happened" from "none recorded yet".
    stale = _stale(view, args)
    if stale is not None:
        return Result(None, (), stale)
    w = args.get("window")
    start = w.start(view.as_of) if isinstance(w, Duration) else None
    mask = view.data.mask(_event_query(args)) & view.window(start)
    return Result(float(np.count_nonzero(mask)), _latest(view, mask))


def _since_last(view: View, args: Mapping[str, Any]) -> Result:
    mask = view.data.mask(_event_query(args)) & view.window(None)
    idx = np.flatnonzero(mask)
    if not len(idx):
        return Result(None, (), "no matching event known yet")
    last = int(view.data.date[idx].max())
    days = day_number(view.as_of) - last
    return Result(Duration(days, "d"), _latest(view, mask, 1))


# --- the registry --------------------------------------------------------------------------

_DIRECTION = Param(
    "direction",
    "string",
    default="both",
    choices=("both", "ab", "ba"),
    doc="ab: A acts on B (USA→MEX), ba: B on A, both",
)
_SERIES_NAME = Param(
    "name",
    "string",
    default="relationship",
    choices=SERIES_NAMES,
    doc="the index's named series (relationship: state-to-state, relational effect)",
)
_HORIZON = Param(
    "horizon",
    "duration",
    doc="no value when the newest evidence is older (default: the rule's horizon, else 6m)",
)


def _dur(value: Any, default: Duration) -> str:
    return (value if isinstance(value, Duration) else default).words()


_SERIES = (
    Param("id", "string", required=True, doc="series id (`dyadwatch indicators`)"),
    Param("vintage", "string", default="latest-known", doc="latest-known, first-known or one"),
)
_FILTERS = (
    Param("instrument", "strings", doc="instrument id(s) the event is tagged with"),
    Param("code", "strings", doc="CAMEO code prefix(es): '06' matches 061, 063…"),
    Param("quad", "ints", doc="quad class(es) 1–4"),
    Param("actor1", "strings", doc="source actor: country (MEX) or actor code (MEX:SRE)"),
    Param("actor2", "strings", doc="target actor: country or actor code"),
    Param("source", "strings", doc="stored source name(s)"),
    Param("min_confidence", "number", default=0.0, doc="drop events below this confidence"),
)


def _fmt_filters(args: Mapping[str, Any]) -> str:
    parts = []
    for key in ("instrument", "code", "quad", "actor1", "actor2", "source"):
        v = args.get(key)
        if v is None:
            continue
        items = v if isinstance(v, tuple | list) else (v,)
        text = ", ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in items)
        label = {"actor1": "by", "actor2": "towards", "code": "CAMEO", "quad": "quad class"}.get(
            key, key
        )
        parts.append(f"{label} {text}")
    return "; ".join(parts) or "any"


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "series.value",
            "number",
            "The index's named series for the month of the date (docs/measurement.md): its "
            "value, on the −10 … +10 scale of relational effect; no value when the month has "
            "too little evidence or the record is silent for longer than the rule's horizon.",
            (_SERIES_NAME, _DIRECTION, _HORIZON),
            _series_value,
            lambda a: f"the {_series_label(a)} series",
        ),
        Metric(
            "series.n",
            "number",
            "Events behind the named series' value for the month of the date.",
            (_SERIES_NAME, _DIRECTION, _HORIZON),
            _series_n,
            lambda a: f"events behind the {_series_label(a)} series",
        ),
        Metric(
            "series.percentile",
            "number",
            "Where the named series stands against its own past: the percent (0 … 100) of the "
            "months of the preceding `history` whose value was lower (a threshold derived from "
            "the measure's own history). `lag` reads the month that long before the date.",
            (
                _SERIES_NAME,
                _DIRECTION,
                Param("history", "duration", default=Duration(10, "y"), doc="span of the past"),
                Param("lag", "duration", doc="read the month this long before the date"),
                _HORIZON,
            ),
            _series_percentile,
            lambda a: (
                f"the {_series_label(a)} series' percentile against its "
                f"{_dur(a.get('history'), Duration(10, 'y'))} before"
                + (f", {a['lag'].words()} earlier" if isinstance(a.get("lag"), Duration) else "")
            ),
        ),
        Metric(
            "indicator.value",
            "number",
            "Latest value of an indicator series as known on the date (latest vintage of the "
            "latest period).",
            (*_SERIES, _HORIZON),
            _indicator_value,
            lambda a: f"latest {a['id']}",
        ),
        Metric(
            "indicator.change",
            "number",
            "Latest value minus the value of the period before, as known on the date.",
            (*_SERIES, _HORIZON),
            _indicator_change(False),
            lambda a: f"change in {a['id']} since the period before",
        ),
        Metric(
            "indicator.pct_change",
            "number",
            "Percent change of the latest value over the period before, as known on the date.",
            (*_SERIES, _HORIZON),
            _indicator_change(True),
            lambda a: f"percent change in {a['id']} since the period before",
        ),
        Metric(
            "indicator.percentile",
            "number",
            "Where the latest value of an indicator stands against the values of the periods "
            "in the preceding `history` (percent lower, 0 … 100), as known on the date.",
            (
                *_SERIES,
                Param("history", "duration", default=Duration(20, "y"), doc="span of the past"),
                _HORIZON,
            ),
            _indicator_percentile,
            lambda a: (
                f"the latest {a['id']}'s percentile against its "
                f"{_dur(a.get('history'), Duration(20, 'y'))} before"
            ),
        ),
        Metric(
            "indicator.age",
            "duration",
            "Time from the end of the latest known period to the date (staleness).",
            _SERIES,
            _indicator_age,
            lambda a: f"age of the latest {a['id']}",
        ),
        Metric(
            "instrument.state",
            "string",
            "The state the instrument is in on the date, as known then.",
            (Param("id", "string", required=True),),
            _instrument_state,
            lambda a: f"state of {a['id']}",
        ),
        Metric(
            "instrument.held_for",
            "duration",
            "How long the instrument has been in its current state.",
            (Param("id", "string", required=True),),
            _held_for,
            lambda a: f"time {a['id']} has held its current state",
        ),
        Metric(
            "instrument.ever",
            "bool",
            "Whether the instrument has been in a state matching the pattern (glob: "
            "'designat*') within the window (default: ever), as known on the date.",
            (
                Param("id", "string", required=True),
                Param("state", "string", required=True),
                Param("window", "duration"),
            ),
            _ever,
            lambda a: (
                f"whether {a['id']} has been {a['state']}"
                + (
                    f" within {a['window'].words()}"
                    if isinstance(a.get("window"), Duration)
                    else ""
                )
            ),
        ),
        Metric(
            "events.count",
            "number",
            "Number of events known by the date, dated in the window (default: all time), "
            "matching every filter given.",
            (*_FILTERS, Param("window", "duration"), _HORIZON),
            _events_count,
            lambda a: (
                f"events ({_fmt_filters(a)})"
                + (f" over {a['window'].words()}" if isinstance(a.get("window"), Duration) else "")
            ),
        ),
        Metric(
            "events.since_last",
            "duration",
            "Time since the latest matching event known by the date (none: no value).",
            _FILTERS,
            _since_last,
            lambda a: f"time since the last event ({_fmt_filters(a)})",
        ),
    )
}
"""Every metric, by name."""


REMOVED: dict[str, str] = {
    "index.net_coop": 'series.value(name="relationship")',
    "index.goldstein": 'series.value(name="relationship")',
    "index.n": 'series.n(name="relationship")',
    "index.zscore": 'series.percentile(name="relationship", history=10y)',
}
"""Metrics that pooled raw events across sources, and what reads the index instead."""


def lookup(name: str) -> Metric:
    """The metric called ``name``; :class:`UnknownMetricError` (with a did-you-mean) if none."""
    metric = METRICS.get(name)
    if metric is None and name in REMOVED:
        raise UnknownMetricError(
            f"{name} is gone: it pooled raw events across sources, and conditions now read "
            f"the index's named series. Write {REMOVED[name]} instead (docs/rules.md)."
        )
    if metric is None:
        raise UnknownMetricError(
            f"unknown metric {name!r}.{did_you_mean(name, METRICS)} "
            f"Metrics: {', '.join(sorted(METRICS))} (docs/rules.md)."
        )
    return metric


__all__ = ["METRICS", "REMOVED", "Metric", "Param", "Result", "Type", "lookup"]
