"""Read-time step ``scope``: which events are between the two states, and which are not.

The index measures cooperation between two *governments* (docs/measurement.md). An event is
**state-to-state** when both actors are organs of a state and their countries differ: its
sector (the CAMEO agent type stored in ``actor1_agent`` / ``actor2_agent``) is one of
:data:`STATE_SECTORS`. Every other event is **environment**: cartel violence against US
citizens, US prosecutions of traffickers, seizures, a court ruling on a private party — the
security environment in which the governments act, reported as its own series.

An actor with a country and no sector (GDELT's bare ``USA``, PETRARCH's ``MEX``) counts as a
state organ by default: CAMEO coders give a bare country code when the text names the
country itself as the actor ("Mexico said", "the United States sent"), which in news about
two governments is nearly always the government speaking or acting. ``bare_country=False``
turns that off. A sector code that is not a CAMEO agent type (the ingest step ``actors``
checks the form, the knowledge base checks the codebook) is not a state organ: the event
stays in the store and counts in the environment series, never silently in the default one.

Like ``min_confidence``, the step is pure, drops nothing from the store, and has an Arrow form
(:func:`scope`) and a SQL form (:func:`scope_sql`) that agree row for row.

Examples
--------
>>> t = pa.table({"actor1_country": ["USA", "USA"], "actor1_agent": ["JUD", "JUD"],
...               "actor2_country": ["MEX", "MEX"], "actor2_agent": ["MIL", "CRM"]})
>>> scope(t, "state").table.num_rows, scope(t, "environment").table.num_rows
(1, 1)
"""

from __future__ import annotations

from typing import Literal, get_args

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.normalise.base import StepResult

Scope = Literal["state", "environment", "all"]
SCOPES: tuple[str, ...] = get_args(Scope)
DEFAULT_SCOPE: Scope = "state"

STATE_SECTORS: frozenset[str] = frozenset({"GOV", "MIL", "COP", "JUD", "LEG", "SPY", "UIS"})
"""CAMEO agent types that are organs of a state: government, military, police, judiciary,
legislature, state intelligence, unidentified state actor (CAMEO 1.1b3, actor types)."""


def _is_state(country: pa.ChunkedArray, agent: pa.ChunkedArray, bare_country: bool) -> pa.Array:
    organ = pc.is_in(agent, value_set=pa.array(sorted(STATE_SECTORS)))
    if bare_country:
        organ = pc.or_(pc.fill_null(organ, False), pc.and_(pc.is_valid(country), pc.is_null(agent)))
    return pc.fill_null(organ, False)


def state_to_state(table: pa.Table, *, bare_country: bool = True) -> pa.ChunkedArray:
    """A boolean column: is each event between organs of two different states?"""
    c1, c2 = table.column("actor1_country"), table.column("actor2_country")
    both = pc.and_(
        _is_state(c1, table.column("actor1_agent"), bare_country),
        _is_state(c2, table.column("actor2_agent"), bare_country),
    )
    return pc.fill_null(pc.and_(both, pc.not_equal(c1, c2)), False)


def scope(table: pa.Table, which: str = DEFAULT_SCOPE, *, bare_country: bool = True) -> StepResult:
    """Keep the events of one scope: ``state``, ``environment`` or ``all``.

    A read-time filter: what it leaves out is not rejected (``rejects`` is empty).
    """
    check_scope(which)
    if which == "all" or table.num_rows == 0:
        return StepResult(table)
    mask = state_to_state(table, bare_country=bare_country)
    return StepResult(table.filter(mask if which == "state" else pc.invert(mask)))


def _state_sql(prefix: str, bare_country: bool) -> str:
    sectors = ", ".join(f"'{s}'" for s in sorted(STATE_SECTORS))
    organ = f"coalesce({prefix}_agent IN ({sectors}), false)"
    if bare_country:
        organ = f"({organ} OR ({prefix}_country IS NOT NULL AND {prefix}_agent IS NULL))"
    return organ


def state_to_state_sql(*, bare_country: bool = True) -> str:
    """:func:`state_to_state` as a SQL boolean expression (never null).

    >>> "actor1_agent IN" in state_to_state_sql()
    True
    """
    return (
        f"({_state_sql('actor1', bare_country)} AND {_state_sql('actor2', bare_country)} "
        "AND coalesce(actor1_country <> actor2_country, false))"
    )


def scope_sql(which: str = DEFAULT_SCOPE, *, bare_country: bool = True) -> str:
    """:func:`scope` as a SQL predicate (``TRUE`` for ``all``).

    >>> scope_sql("all")
    'TRUE'
    """
    check_scope(which)
    if which == "all":
        return "TRUE"
    expr = state_to_state_sql(bare_country=bare_country)
    return expr if which == "state" else f"(NOT {expr})"


def check_scope(which: str) -> str:
    """``which`` if it names a scope; else a ``ValueError`` naming the scopes."""
    if which not in SCOPES:
        raise ValueError(f"unknown scope {which!r}; one of {', '.join(SCOPES)}")
    return which


__all__ = [
    "DEFAULT_SCOPE",
    "SCOPES",
    "STATE_SECTORS",
    "Scope",
    "check_scope",
    "scope",
    "scope_sql",
    "state_to_state",
    "state_to_state_sql",
]
