"""Policy instruments as of a date: which state each instrument was in, as known then.

The store holds every state an instrument went through (dataset ``instrument_states``), each
with the moment it became public (``known_at``). Asked "as of D", a state is visible only if
``known_at <= D``, and the timeline is rebuilt from the visible states alone: a state whose
end has not yet been made public is still open as of D, even though the store now knows
when it ended. That is what an analyst on D would have seen, and what a backtest must use.
A state's ``evidence`` lists, as of D, only the events public by D: a state recorded early may
cite steps that came later (Mérida "contested by Mexico" from 2019 cites the September 2021
"Mérida is over"), and those are not shown before they happened.

Examples
--------
>>> [i.id for i in instrument_states(store, date(2021, 1, 31))][:3]
['cannabis', 'certification', 'dialogue']
>>> instrument_state_on(store, "foreign_agent_law", date(2021, 1, 1)).state
'in_force'
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from dyadwatch.errors import UsageError, did_you_mean
from dyadwatch.model import Instrument, InstrumentState
from dyadwatch.store.store import Snapshot, Store
from dyadwatch.visibility import is_visible

log = logging.getLogger(__name__)


@functools.cache
def _catalogue() -> dict[str, tuple[str, str]]:
    """Instrument id → (name, description) from the shipped knowledge base."""
    from dyadwatch.knowledge.loader import load

    try:
        kb = load()
    except Exception as exc:  # a broken knowledge base must not hide the store's states
        log.warning("cannot read instrument names from the knowledge base: %s", exc)
        return {}
    return {
        i.record.id: (i.record.name, " ".join(i.record.description.split())) for i in kb.instruments
    }


def states_from_table(
    table: pa.Table,
    as_of: date | datetime | None = None,
    *,
    evidence_known: Mapping[str, datetime | None] | None = None,
) -> list[Instrument]:
    """Instruments with the timelines visible as of ``as_of`` (None: everything stored).

    Parameters
    ----------
    table
        Rows of ``model.INSTRUMENT_STATE_SCHEMA``.
    as_of
        A date (end of that day, UTC) or a timestamp; states with a later ``known_at`` are
        left out, and the last visible state of each instrument stays open unless its end
        was itself recorded (an explicit end that is not the start of a hidden state).
    evidence_known
        When each evidence id (an event's source key) became public. As of a date, a state's
        evidence keeps only the ids public by then; an id this does not date is not shown
        (:func:`evidence_known_at` reads them from a store). Without ``as_of`` every id is.

    Examples
    --------
    >>> [i.id for i in states_from_table(store.table("instrument_states"), date(2020, 1, 1))][:2]
    ['cannabis', 'certification']
    """
    rows = table.to_pylist()
    starts: dict[str, set[date]] = defaultdict(set)
    visible: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        starts[r["instrument"]].add(r["valid_from"])
        if is_visible(r["known_at"], as_of):
            visible[r["instrument"]].append(r)
    known = evidence_known or {}
    names = _catalogue()
    out = []
    for inst in sorted(visible):
        timeline = sorted(visible[inst], key=lambda r: (r["valid_from"], r["known_at"]))
        states = []
        for i, r in enumerate(timeline):
            # A stored end that is the start of another state is only known once that state
            # is; an end recorded on its own (``to`` in the knowledge base) is known with it.
            end = r["valid_to"]
            explicit = end if end is not None and end not in starts[inst] else None
            if i + 1 < len(timeline):
                valid_to = timeline[i + 1]["valid_from"]
                if explicit is not None and explicit < valid_to:
                    valid_to = explicit
            else:
                valid_to = explicit
            states.append(
                InstrumentState(
                    instrument=inst,
                    state=r["state"],
                    valid_from=r["valid_from"],
                    valid_to=valid_to,
                    known_at=r["known_at"],
                    evidence=tuple(
                        k for k in r["evidence"] or () if is_visible(known.get(k), as_of)
                    ),
                    note=r["note"],
                )
            )
        name, description = names.get(inst, (inst, ""))
        out.append(Instrument(id=inst, name=name, description=description, states=tuple(states)))
    return out


def instrument_states(
    store: Store, as_of: date | datetime | None = None, *, snapshot: Snapshot | None = None
) -> list[Instrument]:
    """Every instrument in ``store`` with its state timeline as known ``as_of``.

    Parameters
    ----------
    store
        The store (ingest the ``curated`` source first: ``dyadwatch run``).
    as_of
        Knowledge cut-off: a date means the end of that day (UTC). None: all that is stored.

    Returns
    -------
    list[Instrument]
        Sorted by id; an instrument none of whose states was public by ``as_of`` is absent.

    Examples
    --------
    >>> inst = instrument_states(store, date(2021, 1, 31))
    >>> next(i for i in inst if i.id == "dialogue").state_on(date(2021, 1, 31)).state
    'frozen'
    """
    table = store.table("instrument_states", snapshot)
    return states_from_table(table, as_of, evidence_known=evidence_known_at(store, table, snapshot))


def evidence_known_at(
    store: Store, states: pa.Table, snapshot: Snapshot | None = None
) -> dict[str, datetime]:
    """When the events the states of ``states`` cite became public (by source key).

    >>> known = evidence_known_at(store, store.table("instrument_states"))
    >>> known["2021-09-29-ebrard-merida-is-over"].date()
    datetime.date(2021, 9, 29)
    """
    keys = sorted({k for ids in states.column("evidence").to_pylist() for k in ids or ()})
    if not keys:
        return {}
    con = store.connect(snapshot)
    try:
        rows = con.sql(
            "SELECT source_key, min(known_at) FROM events "
            "WHERE list_contains($keys, source_key) GROUP BY source_key",
            params={"keys": keys},
        ).fetchall()
    finally:
        con.close()
    return {key: known for key, known in rows}


def instrument_state_on(
    store: Store,
    instrument_id: str,
    on: date,
    as_of: date | datetime | None = None,
    *,
    snapshot: Snapshot | None = None,
) -> InstrumentState | None:
    """The state ``instrument_id`` was in on ``on``, as known ``as_of`` (default: ``on``).

    Returns None when no state known by ``as_of`` covers ``on``. Raises
    :class:`~dyadwatch.errors.UsageError` for an instrument the store does not hold.

    Examples
    --------
    >>> instrument_state_on(store, "terrorist_designation", date(2025, 3, 1)).state
    'designated'
    """
    table = store.table("instrument_states", snapshot)
    known = set(table.column("instrument").to_pylist())
    if instrument_id not in known:
        raise UsageError(
            f"Unknown instrument '{instrument_id}'.{did_you_mean(instrument_id, known)} "
            f"The store holds: {', '.join(sorted(known)) or 'none (run `dyadwatch run`)'}."
        )
    cutoff = as_of if as_of is not None else on
    dated = evidence_known_at(store, table, snapshot)
    for inst in states_from_table(table, cutoff, evidence_known=dated):
        if inst.id == instrument_id:
            return next((s for s in inst.states if s.holds_on(on)), None)
    return None


__all__ = ["evidence_known_at", "instrument_state_on", "instrument_states", "states_from_table"]
