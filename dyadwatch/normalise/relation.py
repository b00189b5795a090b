"""Step ``relation``: what each event did to cooperation between the two governments.

Every event carries ``relation_effect`` on the Goldstein −10…+10 scale and ``effect_basis``,
which says where the number came from (docs/measurement.md, "Relational effect"):

``editor``
    Set by a person with a one-line rationale (the curated knowledge base; ``ingest file``
    rows that carry an effect and no basis are marked ``source`` instead: the file's author
    set it, dyadwatch cannot say who).
``rule:not-state-to-state``
    The event is not between organs of two states (:mod:`dyadwatch.normalise.scope`): a US
    indictment of a trafficker, a cartel massacre, a seizure. Its direct effect on
    cooperation between the governments is 0; it counts in the *environment* series, which
    is measured by its CAMEO codes, not by this field.
``cameo``
    A machine-coded event between two states: the Goldstein score of its CAMEO code. Between
    governments, CAMEO's cooperation and conflict are the relationship's: an extradition
    handed over, a sanction imposed, an official arrested by the other state.

An event between two states with no Goldstein score (no CAMEO code) keeps a null effect and
is counted as unscored, never as 0. A row that names a basis but no effect (an editor's
``editor:outside-security``: an act outside the security relationship) keeps its null: the
basis says there is no relational effect to derive. An effect outside −10…+10 or not
finite sets the row aside. The step is pure and idempotent: a value already set is kept.

Examples
--------
>>> t = pa.table({"actor1_country": ["USA", "USA"], "actor1_agent": ["JUD", "JUD"],
...               "actor2_country": ["MEX", "MEX"], "actor2_agent": ["MIL", "CRM"],
...               "goldstein": pa.array([-5.0, -5.0], pa.float32()),
...               "relation_effect": pa.nulls(2, pa.float32()),
...               "effect_basis": pa.nulls(2, pa.string())})
>>> out = relation(t, StepContext(source="gdelt2")).table
>>> out.column("relation_effect").to_pylist(), out.column("effect_basis").to_pylist()
([-5.0, 0.0], ['cameo', 'rule:not-state-to-state'])
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from dyadwatch.normalise.base import StepContext, StepResult, replace_column, set_aside
from dyadwatch.normalise.scope import state_to_state

EFFECT_LIMIT = 10.0
"""|relation_effect| is at most this: the Goldstein scale's bound."""

BASIS_EDITOR = "editor"
BASIS_SOURCE = "source"
BASIS_CAMEO = "cameo"
BASIS_NOT_STATE = "rule:not-state-to-state"

BASES: tuple[str, ...] = (BASIS_EDITOR, BASIS_SOURCE, BASIS_CAMEO, BASIS_NOT_STATE)
"""Every ``effect_basis`` this step or the curated source writes (a coder adds ``rule:…``)."""


def relation(table: pa.Table, ctx: StepContext) -> StepResult:
    """Fill ``relation_effect`` and ``effect_basis`` where missing; reject out-of-range effects."""
    effect = pc.cast(table.column("relation_effect"), pa.float32())
    bad = pc.or_(
        pc.greater(pc.abs(pc.fill_null(effect, 0.0)), EFFECT_LIMIT),
        pc.is_nan(pc.fill_null(effect, 0.0)),
    )
    values = effect.filter(pc.fill_null(bad, False)).to_pylist()
    result = set_aside(
        table,
        bad,
        [f"relation_effect {v!r} is outside -10…+10" for v in values],
        "relation_effect",
    )
    table = result.table
    effect = pc.cast(table.column("relation_effect"), pa.float32())
    basis = table.column("effect_basis")
    given = pc.is_valid(effect)
    basis = pc.if_else(pc.and_(given, pc.is_null(basis)), BASIS_SOURCE, basis)

    interstate = state_to_state(table)
    goldstein = pc.cast(table.column("goldstein"), pa.float32())
    derived = pc.if_else(interstate, goldstein, pa.scalar(0.0, pa.float32()))
    derived_basis = pc.if_else(
        interstate,
        pc.if_else(pc.is_valid(goldstein), BASIS_CAMEO, pa.scalar(None, pa.string())),
        BASIS_NOT_STATE,
    )
    keep = pc.or_(given, pc.is_valid(basis))
    table = replace_column(table, "relation_effect", pc.if_else(keep, effect, derived))
    table = replace_column(table, "effect_basis", pc.if_else(keep, basis, derived_basis))
    return StepResult(table, result.rejects)


__all__ = [
    "BASES",
    "BASIS_CAMEO",
    "BASIS_EDITOR",
    "BASIS_NOT_STATE",
    "BASIS_SOURCE",
    "EFFECT_LIMIT",
    "relation",
]
