"""The network record every loader returns and every simulation reads.

A :class:`Network` is two Arrow tables — ``nodes`` (one row per actor, ``node`` first, then
whatever attributes the file declares) and ``edges`` (``source``, ``target``, ``weight``,
``layer``) — plus a little metadata. Layers carry multi-layer data (Montagna's meetings /
phone / kinship / sightings, CAVIAR's eleven phases, BACRIM's alliances and rivalries) in one
record; :meth:`Network.to_igraph` flattens the chosen layers into the simple undirected graph
the disruption studies analyse.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import igraph
import pyarrow as pa

from dyadwatch.errors import UsageError, did_you_mean

log = logging.getLogger(__name__)

EDGE_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("target", pa.string(), nullable=False),
        pa.field("weight", pa.float64(), nullable=False),
        pa.field("layer", pa.string(), nullable=False),
    ]
)
"""Columns of :attr:`Network.edges`."""

RANK_COLUMN = "rank"
"""Numeric seniority column added by :meth:`Network.with_rank` (higher = more senior)."""

TIER_COLUMN = "tier"
"""Declared layer of each actor, set by :meth:`Network.with_tiers`: one of :data:`TIERS`."""

TIERS: tuple[str, ...] = ("leadership", "middle", "periphery")
"""Layers of a criminal group: its leaders, the middle operational layer, everyone else."""

FLOW_COLUMN = "flow_role"
"""``supplier`` or ``distributor`` where the data says so (:meth:`Network.with_flow_roles`)."""


@dataclass(frozen=True, slots=True)
class Network:
    """A (possibly multi-layer) criminal network as read from a file or a dataset folder.

    Parameters
    ----------
    name
        A short name for reports (usually the file or folder stem).
    nodes
        One row per actor; the first column is ``node`` (string id). Other columns are the
        attributes the source declares (roles, ranks, family, state …).
    edges
        ``source``, ``target``, ``weight``, ``layer`` (see :data:`EDGE_SCHEMA`).
    directed
        Whether the source declares directed ties (phone calls, wiretap matrices). The
        simulations always analyse the undirected tie ("these two are in contact").
    default_layers
        Layers used when the caller names none (``None``: all layers).
    rank_attribute
        The node column a ``rank`` column was derived from, if any.
    path
        Where the network was read from.
    tier_basis
        Where the declared layers (:meth:`with_tiers`) come from, if any.

    Examples
    --------
    >>> net = Network.from_edges([("a", "b"), ("b", "c")], name="toy")
    >>> net.to_igraph().vcount()
    3
    """

    name: str
    nodes: pa.Table
    edges: pa.Table
    directed: bool = False
    default_layers: tuple[str, ...] | None = None
    rank_attribute: str | None = None
    path: str | None = None
    tier_basis: str | None = None

    @classmethod
    def from_edges(
        cls,
        edges: Sequence[tuple[str, str] | tuple[str, str, float]],
        *,
        name: str = "network",
        layer: str = "edges",
        nodes: Mapping[str, Mapping[str, Any]] | None = None,
        directed: bool = False,
    ) -> Network:
        """Build a network from Python tuples ``(source, target[, weight])``.

        Examples
        --------
        >>> Network.from_edges([("a", "b", 2.0)]).edges.column("weight").to_pylist()
        [2.0]
        """
        src, dst, wts = [], [], []
        for e in edges:
            src.append(str(e[0]))
            dst.append(str(e[1]))
            wts.append(float(e[2]) if len(e) > 2 else 1.0)
        table = pa.table(
            {"source": src, "target": dst, "weight": wts, "layer": [layer] * len(src)},
            schema=EDGE_SCHEMA,
        )
        names = list(dict.fromkeys([*src, *dst, *(nodes or {})]))
        attrs: dict[str, list[Any]] = {"node": names}
        if nodes:
            keys = list(dict.fromkeys(k for v in nodes.values() for k in v))
            for k in keys:
                attrs[k] = [nodes.get(n, {}).get(k) for n in names]
        return cls(name=name, nodes=pa.table(attrs), edges=table, directed=directed)

    @property
    def layers(self) -> tuple[str, ...]:
        """Layer names in first-seen order."""
        return tuple(dict.fromkeys(self.edges.column("layer").to_pylist()))

    def select(self, layers: Sequence[str] | None) -> Network:
        """Keep only ``layers`` (``None``: the network's default layers).

        Raises
        ------
        UsageError
            If a layer name is unknown (the message lists the layers there are).

        Examples
        --------
        >>> net = Network.from_edges([("a", "b")], layer="phone")
        >>> net.select(["phone"]).layers
        ('phone',)
        """
        wanted = tuple(layers) if layers else self.default_layers
        if not wanted:
            return self
        known = self.layers
        for layer in wanted:
            if layer not in known:
                raise UsageError(
                    f"{self.name} has no layer {layer!r}.{did_you_mean(layer, known)} "
                    f"Layers: {', '.join(known)}."
                )
        mask = pa.array([x in wanted for x in self.edges.column("layer").to_pylist()])
        return dataclasses.replace(self, edges=self.edges.filter(mask), default_layers=None)

    def with_rank(self, attribute: str, order: Sequence[str] | None = None) -> Network:
        """Derive the numeric ``rank`` column (higher = more senior) from a node attribute.

        Parameters
        ----------
        attribute
            The node column holding the declared rank or role.
        order
            Values from most senior to most junior (``["boss", "underboss", …]``). Without it
            the column must be numeric, and larger numbers mean more senior. Values not in
            ``order`` (and blanks) get no rank and are never chosen by rank-based strategies.

        Examples
        --------
        >>> net = Network.from_edges([("a", "b")], nodes={"a": {"t": "boss"}, "b": {"t": ""}})
        >>> net.with_rank("t", ["boss"]).nodes.column("rank").to_pylist()
        [1.0, None]
        """
        if attribute not in self.nodes.column_names:
            cols = [c for c in self.nodes.column_names if c != "node"]
            raise UsageError(
                f"{self.name} has no node attribute {attribute!r}.{did_you_mean(attribute, cols)}"
                f" Attributes: {', '.join(cols) or '(none)'}."
            )
        values = self.nodes.column(attribute).to_pylist()
        ranks: list[float | None] = []
        if order:
            levels = {str(v).strip().lower(): len(order) - i for i, v in enumerate(order)}
            for v in values:
                key = "" if v is None else str(v).strip().lower()
                ranks.append(float(levels[key]) if key in levels else None)
        else:
            for v in values:
                if v is None or str(v).strip() == "":
                    ranks.append(None)
                    continue
                try:
                    ranks.append(float(v))
                except ValueError:
                    raise UsageError(
                        f"node attribute {attribute!r} is not numeric ({v!r}); give the order of "
                        "its values from most to least senior (--rank-order boss,underboss,…)."
                    ) from None
        if all(r is None for r in ranks):
            raise UsageError(f"no node of {self.name} has a rank in attribute {attribute!r}.")
        nodes = self.nodes
        if RANK_COLUMN in nodes.column_names:
            nodes = nodes.drop_columns([RANK_COLUMN])
        nodes = nodes.append_column(RANK_COLUMN, pa.array(ranks, pa.float64()))
        return dataclasses.replace(self, nodes=nodes, rank_attribute=attribute)

    def with_tiers(self, tiers: Mapping[str, str], *, basis: str) -> Network:
        """Declare the layer of some actors: ``{actor: "leadership" | "middle" | "periphery"}``.

        Actors left out have no declared layer. ``basis`` says where the declaration comes from
        (it is reported with every result that uses it). See :mod:`.layers` for how the middle
        layer is read from these declarations, or defined structurally when there are none.

        Raises
        ------
        UsageError
            An unknown tier or actor.

        Examples
        --------
        >>> net = Network.from_edges([("a", "b"), ("b", "c")])
        >>> net.with_tiers({"a": "leadership"}, basis="toy").nodes.column("tier").to_pylist()
        ['leadership', None, None]
        """
        names = self.nodes.column("node").to_pylist()
        known = set(names)
        for actor, tier in tiers.items():
            if tier not in TIERS:
                raise UsageError(f"tier {tier!r} of {actor!r}: choose one of {', '.join(TIERS)}.")
            if actor not in known:
                raise UsageError(f"{actor!r} is not an actor of {self.name}.")
        column = pa.array([tiers.get(n) for n in names], pa.string())
        nodes = self.nodes
        if TIER_COLUMN in nodes.column_names:
            nodes = nodes.drop_columns([TIER_COLUMN])
        return dataclasses.replace(
            self, nodes=nodes.append_column(TIER_COLUMN, column), tier_basis=basis
        )

    def with_flow_roles(
        self, attribute: str, *, suppliers: Sequence[str], distributors: Sequence[str]
    ) -> Network:
        """Mark suppliers and distributors from a node attribute (for the product-flow outcome).

        Examples
        --------
        >>> roles = {"a": {"r": "importer"}, "b": {"r": "dealer"}}
        >>> net = Network.from_edges([("a", "b")], nodes=roles)
        >>> marked = net.with_flow_roles("r", suppliers=["importer"], distributors=["dealer"])
        >>> marked.nodes.column("flow_role").to_pylist()
        ['supplier', 'distributor']
        """
        if attribute not in self.nodes.column_names:
            cols = [c for c in self.nodes.column_names if c != "node"]
            raise UsageError(
                f"{self.name} has no node attribute {attribute!r}.{did_you_mean(attribute, cols)}"
            )
        up = {str(v).strip().lower() for v in suppliers}
        down = {str(v).strip().lower() for v in distributors}
        roles = []
        for v in self.nodes.column(attribute).to_pylist():
            key = "" if v is None else str(v).strip().lower()
            roles.append("supplier" if key in up else "distributor" if key in down else None)
        if "supplier" not in roles or "distributor" not in roles:
            raise UsageError(
                f"attribute {attribute!r} marks no supplier or no distributor; "
                "product flow needs both."
            )
        nodes = self.nodes
        if FLOW_COLUMN in nodes.column_names:
            nodes = nodes.drop_columns([FLOW_COLUMN])
        return dataclasses.replace(
            self, nodes=nodes.append_column(FLOW_COLUMN, pa.array(roles, pa.string()))
        )

    def to_igraph(
        self, layers: Sequence[str] | None = None, *, isolates: bool = False
    ) -> igraph.Graph:
        """The chosen layers flattened into a simple undirected igraph graph.

        Ties between the same two actors (in either direction, in any chosen layer) become one
        edge whose ``weight`` is their sum; self-ties are dropped. Vertices carry ``name``, and
        ``rank`` (NaN where undeclared) when the network has one.

        Parameters
        ----------
        layers
            Layers to keep (default: the network's default layers).
        isolates
            Keep actors with no tie in the chosen layers (default: drop them, as the
            disruption studies do; they cannot be fragmented further).

        Examples
        --------
        >>> Network.from_edges([("a", "b"), ("b", "a"), ("b", "c")]).to_igraph().ecount()
        2
        """
        net = self.select(layers)
        src = net.edges.column("source").to_pylist()
        dst = net.edges.column("target").to_pylist()
        wts = net.edges.column("weight").to_pylist()
        merged: dict[tuple[str, str], float] = {}
        for s, t, w in zip(src, dst, wts, strict=True):
            if s == t:
                continue
            key = (s, t) if s < t else (t, s)
            merged[key] = merged.get(key, 0.0) + w
        node_names = self.nodes.column("node").to_pylist()
        if isolates:
            names = list(dict.fromkeys([*node_names, *src, *dst]))
        else:
            touched = {n for pair in merged for n in pair}
            names = [n for n in dict.fromkeys([*node_names, *src, *dst]) if n in touched]
        index = {n: i for i, n in enumerate(names)}
        graph = igraph.Graph(
            n=len(names), edges=[(index[s], index[t]) for s, t in merged], directed=False
        )
        graph.vs["name"] = names
        graph.es["weight"] = list(merged.values())
        if RANK_COLUMN in self.nodes.column_names:
            rank_of = dict(zip(node_names, self.nodes.column(RANK_COLUMN).to_pylist(), strict=True))
            graph.vs[RANK_COLUMN] = [
                math.nan if rank_of.get(n) is None else float(rank_of[n]) for n in names
            ]
        for column in (TIER_COLUMN, FLOW_COLUMN):
            if column in self.nodes.column_names:
                value_of = dict(zip(node_names, self.nodes.column(column).to_pylist(), strict=True))
                graph.vs[column] = [value_of.get(n) for n in names]
        return graph

    def describe(self) -> dict[str, Any]:
        """A one-row summary: name, actors, ties per layer, defaults.

        Examples
        --------
        >>> Network.from_edges([("a", "b")], name="toy").describe()["nodes"]
        2
        """
        per_layer: dict[str, int] = {}
        for layer in self.edges.column("layer").to_pylist():
            per_layer[layer] = per_layer.get(layer, 0) + 1
        graph = self.to_igraph()
        return {
            "name": self.name,
            "path": self.path,
            "nodes": self.nodes.num_rows,
            "ties": self.edges.num_rows,
            "layers": ", ".join(f"{k} ({v})" for k, v in per_layer.items()),
            "default_layers": ", ".join(self.default_layers or self.layers),
            "directed": self.directed,
            "rank_attribute": self.rank_attribute,
            "tiers": self.tier_basis,
            "analysed_nodes": graph.vcount(),
            "analysed_edges": graph.ecount(),
            "attributes": ", ".join(c for c in self.nodes.column_names if c != "node"),
        }
