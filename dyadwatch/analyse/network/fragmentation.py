"""Leader removal among Mexican criminal groups: successor splits and the rivalries they add.

In BACRIM 2020 (alliances and rivalries among 150 Mexican criminal groups, PPD/CIDE) every
actor is a whole organisation, so a sweep of one group's middle layer and the removal of its
leader cannot be compared on it: the network holds no one's middle layer. What can be run on
it is the mechanism the essay ties to violence — a group that loses its leader breaks into
successors that fight each other and their neighbours — and how many new rivalries that
mechanism produces given the alliances and rivalries each group actually has.

The model (:class:`SplitModel`, every parameter an assumption to vary, none estimated here):

1. When a group's leader is removed it splits, with probability ``p_split``, into
   ``successors`` groups; otherwise it carries on under a new leader with its ties unchanged.
2. Each of the old group's alliances and rivalries passes to one successor chosen at random
   and to each other successor with probability ``p_inherit`` (a rivalry is never dropped:
   someone keeps fighting the old rival).
3. Each pair of successors becomes rivals with probability ``p_feud`` (a war of succession).
4. An ally of the old group that kept its alliance with one of two feuding successors but
   not with the other becomes that other's rival with probability ``p_side`` (taking sides).

New rivalries = rivalry pairs after the removals − rivalry pairs before. Targets are the
``k`` groups with the most alliances and rivalries (the prominent groups a kingpin strategy
goes after) or, as the baseline, ``k`` groups drawn at random. :func:`sensitivity` varies
each parameter in turn and reports the range over the full grid.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from dyadwatch.errors import AnalysisError, UsageError

from .graph import Network
from .stats import mean_ci


@dataclass(frozen=True, slots=True)
class SplitModel:
    """Parameters of the leader-removal fragmentation model (defaults are illustrative).

    Examples
    --------
    >>> SplitModel(p_split=1.0).successors
    2
    """

    p_split: float = 0.5
    successors: int = 2
    p_inherit: float = 0.5
    p_feud: float = 0.5
    p_side: float = 0.25

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "successors":
                if value < 2:
                    raise UsageError(f"successors must be at least 2; got {value}.")
            elif not 0.0 <= value <= 1.0:
                raise UsageError(f"{f.name} {value} must lie between 0 and 1.")


GRID: dict[str, tuple[float, ...]] = {
    "p_split": (0.0, 0.25, 0.5, 0.75, 1.0),
    "successors": (2, 3, 4),
    "p_inherit": (0.0, 0.5, 1.0),
    "p_feud": (0.0, 0.25, 0.5, 1.0),
    "p_side": (0.0, 0.25, 0.5, 1.0),
}
"""Values each parameter takes in the sensitivity analysis."""


@dataclass(frozen=True, slots=True)
class Relations:
    """Each group's allies and rivals (undirected; a group never lists itself)."""

    allies: dict[str, frozenset[str]]
    rivals: dict[str, frozenset[str]]

    @classmethod
    def of(cls, network: Network) -> Relations:
        """The ``alliance`` and ``rivalry`` layers of a network such as BACRIM 2020.

        Raises
        ------
        AnalysisError
            The network has no ``alliance`` and ``rivalry`` layers.
        """
        if not {"alliance", "rivalry"} <= set(network.layers):
            raise AnalysisError(
                f"{network.name} has no alliance and rivalry layers; the fragmentation model "
                "needs both (BACRIM 2020 has them)."
            )
        edges = network.edges.to_pylist()
        return cls.from_pairs(
            [(e["source"], e["target"]) for e in edges if e["layer"] == "alliance"],
            [(e["source"], e["target"]) for e in edges if e["layer"] == "rivalry"],
        )

    @classmethod
    def from_pairs(
        cls, alliances: Iterable[tuple[str, str]], rivalries: Iterable[tuple[str, str]]
    ) -> Relations:
        """From ``(group, group)`` pairs (either direction; self-pairs dropped).

        Examples
        --------
        >>> Relations.from_pairs([("A", "B")], [("C", "A")]).rivals["A"]
        frozenset({'C'})
        """
        out: list[dict[str, set[str]]] = [{}, {}]
        for table, pairs in zip(out, (alliances, rivalries), strict=True):
            for a, b in pairs:
                if a != b:
                    table.setdefault(a, set()).add(b)
                    table.setdefault(b, set()).add(a)
        groups = set(out[0]) | set(out[1])
        allies, rivals = ({g: frozenset(t.get(g, ())) for g in groups} for t in out)
        return cls(allies, rivals)

    @property
    def rivalry_pairs(self) -> int:
        return sum(len(r) for r in self.rivals.values()) // 2

    def ties(self, group: str) -> int:
        """Alliances plus rivalries of ``group``."""
        return len(self.allies.get(group, ())) + len(self.rivals.get(group, ()))

    def prominent(self, k: int) -> list[str]:
        """The ``k`` groups with the most ties (ties broken by name)."""
        return sorted(self.allies, key=lambda g: (-self.ties(g), g))[:k]


def decapitate(
    relations: Relations, targets: Iterable[str], model: SplitModel, rng: np.random.Generator
) -> dict[str, int]:
    """Remove the leaders of ``targets`` in turn; count splits, new groups and new rivalries.

    Examples
    --------
    >>> rel = Relations.from_pairs([("A", "B")], [("A", "C")])
    >>> sure = SplitModel(p_split=1.0, p_inherit=1.0, p_feud=1.0, p_side=1.0)
    >>> decapitate(rel, ["A"], sure, np.random.default_rng(0))
    {'splits': 1, 'new_groups': 1, 'new_rivalries': 2}
    """
    allies = {g: set(s) for g, s in relations.allies.items()}
    rivals = {g: set(s) for g, s in relations.rivals.items()}
    splits = new_groups = 0
    for group in targets:
        if rng.random() >= model.p_split:
            continue
        heirs = [f"{group}/{i}" for i in range(1, model.successors + 1)]
        _inherit(allies, group, heirs, model.p_inherit, rng)
        _inherit(rivals, group, heirs, model.p_inherit, rng)
        for a, b in itertools.combinations(heirs, 2):
            if rng.random() < model.p_feud:
                _tie(rivals, a, b)
        for a, b in itertools.permutations(heirs, 2):
            if b not in rivals[a]:
                continue
            for ally in sorted(allies[a] - allies[b] - set(heirs)):
                if rng.random() < model.p_side:
                    _tie(rivals, ally, b)
        splits += 1
        new_groups += model.successors - 1
    after = sum(len(r) for r in rivals.values()) // 2
    return {
        "splits": splits,
        "new_groups": new_groups,
        "new_rivalries": after - relations.rivalry_pairs,
    }


def _tie(table: dict[str, set[str]], a: str, b: str) -> None:
    table.setdefault(a, set()).add(b)
    table.setdefault(b, set()).add(a)


def _inherit(
    table: dict[str, set[str]], group: str, heirs: Sequence[str], p: float, rng: np.random.Generator
) -> None:
    """Move ``group``'s partners to its heirs: one sure heir per partner, others with ``p``."""
    for heir in heirs:
        table.setdefault(heir, set())
    others = sorted(table.pop(group, set()))
    if not others:
        return
    keep = rng.random((len(others), len(heirs))) < p
    keep[np.arange(len(others)), rng.integers(len(heirs), size=len(others))] = True
    for other, row in zip(others, keep.tolist(), strict=True):
        partners = table[other]
        partners.discard(group)
        for heir, kept in zip(heirs, row, strict=True):
            if kept:
                partners.add(heir)
                table[heir].add(other)


def scenarios(
    relations: Relations,
    model: SplitModel,
    *,
    ks: Sequence[int] = (1, 3, 5, 10),
    runs: int = 20,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """New rivalries after removing the leaders of the ``k`` most prominent or ``k`` random groups.

    One row per target set and ``k``: mean and 95 % interval over ``runs`` of new rivalries,
    new groups and splits.
    """
    groups = sorted(relations.allies)
    rows = []
    for k in ks:
        for targets in ("prominent", "random"):
            outcomes = []
            for run in range(runs):
                rng = np.random.default_rng([seed, k, run])
                if targets == "prominent":
                    chosen = relations.prominent(k)
                else:
                    chosen = [groups[i] for i in rng.choice(len(groups), size=k, replace=False)]
                outcomes.append(decapitate(relations, chosen, model, rng))
            row: dict[str, Any] = {"targets": targets, "k": k, "runs": runs}
            for key in ("new_rivalries", "new_groups", "splits"):
                m, lo, hi = mean_ci([float(o[key]) for o in outcomes])
                row.update({key: m, f"{key}_lo": lo, f"{key}_hi": hi})
            rows.append(row)
    return rows


def sensitivity(
    relations: Relations,
    base: SplitModel,
    *,
    k: int = 5,
    runs: int = 20,
    grid_runs: int = 5,
    seed: int = 0,
) -> dict[str, Any]:
    """New rivalries after removing the ``k`` most prominent groups' leaders, as the model varies.

    ``one_at_a_time``: each parameter over its :data:`GRID` values, the others at ``base``
    (``runs`` runs each, on the random streams :func:`scenarios` uses, so the row of the
    base model repeats its ``prominent`` row for the same ``k``). ``grid``: the lowest and
    highest mean over every combination of the grid (``grid_runs`` runs each: 720
    combinations), and the share of combinations with ``p_split > 0`` that add at least one
    rivalry on average.
    """
    targets = relations.prominent(k)

    def mean_new(model: SplitModel, n: int = runs) -> tuple[float, float | None, float | None]:
        values = [
            float(decapitate(relations, targets, model, np.random.default_rng([seed, k, r]))[
                "new_rivalries"
            ])
            for r in range(n)
        ]  # fmt: skip
        return mean_ci(values)

    rows = []
    for name, values in GRID.items():
        for value in values:
            model = replace(base, **{name: type(getattr(base, name))(value)})
            m, lo, hi = mean_new(model)
            rows.append({"parameter": name, "value": value, "new_rivalries": m, "lo": lo, "hi": hi})
    means = []
    for combo in itertools.product(*GRID.values()):
        model = SplitModel(
            **{n: type(getattr(base, n))(v) for n, v in zip(GRID, combo, strict=True)}
        )
        means.append((mean_new(model, grid_runs)[0], combo))
    low, high = min(means), max(means)
    splitting = [m for m, combo in means if combo[0] > 0]
    return {
        "k": k,
        "targets": targets,
        "one_at_a_time": rows,
        "grid": {
            "combinations": len(means),
            "lowest": low[0],
            "lowest_at": dict(zip(GRID, low[1], strict=True)),
            "highest": high[0],
            "highest_at": dict(zip(GRID, high[1], strict=True)),
            "share_adding_rivalries": round(sum(m >= 1 for m in splitting) / len(splitting), 4),
        },
    }
