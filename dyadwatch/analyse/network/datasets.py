"""The dataset folders under ``../shared/data/networks`` (see its PROVENANCE.md), one loader each.

:func:`load_montagna`, :func:`load_caviar`, :func:`load_bacrim2020`, :func:`load_pandillas`,
:func:`load_noordin`, :func:`load_koschade`; :data:`DATASETS` maps each name to a marker file
and its loader (``load`` picks one from a folder's contents).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa

from dyadwatch.errors import NetworkFormatError

from .graph import EDGE_SCHEMA, Network
from .tables import attach, read_edgelist, read_matrix, read_nodes

MONTAGNA_TITLES = ("boss", "underboss", "executive", "soldier")
"""Montagna ``title`` values, most senior first (hand-coded from Ficara et al. 2019 figures)."""

MONTAGNA_TIERS = {"boss": "leadership", "underboss": "leadership"} | {
    "executive": "middle",
    "soldier": "middle",
}
"""Montagna's layers: the titled leaders, the titled members below them; untitled: periphery."""

CAVIAR_PRINCIPALS = ("1", "3")
"""CAVIAR's known principals (PROVENANCE.md, from Morselli 2009): 1 Daniel Serero, the lead
trafficker, and 3 Pierre Perlini. The files hold no other roles."""


def _require(folder: Path, *names: str) -> list[Path]:
    if not folder.is_dir():
        raise NetworkFormatError(f"{folder}: no such folder.")
    paths = [folder / n for n in names]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise NetworkFormatError(f"{folder}: missing {', '.join(missing)}.")
    return paths


def _layers(nets: Sequence[Network]) -> pa.Table:
    return pa.concat_tables([n.edges for n in nets])


def load_montagna(folder: str | Path) -> Network:
    """Montagna (Sicilian Mafia, Cavallaro et al. 2020): four layers + roles.

    Layers ``meetings`` and ``phone`` (the two networks Cavallaro et al. analyse; default),
    ``kinship`` and ``sightings``. The rank is the ``title`` attribute: boss > underboss >
    executive > soldier; the 114 actors without a title have no rank. Layers
    (:data:`MONTAGNA_TIERS`): bosses and the underboss are the leadership, executives and
    soldiers the middle layer, untitled actors the periphery.

    Examples
    --------
    >>> net = load_montagna("../shared/data/networks/montagna")
    >>> net.default_layers
    ('meetings', 'phone')
    """
    folder = Path(folder)
    meet, phone, kin, sight, attrs = _require(
        folder,
        "montagna_meetings.csv",
        "montagna_phone.csv",
        "montagna_kinship.csv",
        "montagna_sightings.csv",
        "montagna_attributes.csv",
    )
    nets = [
        read_edgelist(meet, layer="meetings"),
        read_edgelist(phone, layer="phone", directed=True),
        read_edgelist(kin, layer="kinship", directed=True),
        read_edgelist(sight, layer="sightings"),
    ]
    base = Network(
        name="montagna",
        nodes=pa.table({"node": []}, schema=pa.schema([("node", pa.string())])),
        edges=_layers(nets),
        directed=True,
        default_layers=("meetings", "phone"),
        path=str(folder),
    )
    net = attach(base, read_nodes(attrs)).with_rank("title", MONTAGNA_TITLES)
    titles = net.nodes.column("title").to_pylist()
    tiers = {
        n: MONTAGNA_TIERS.get(t or "", "periphery")
        for n, t in zip(net.nodes.column("node").to_pylist(), titles, strict=True)
    }
    return net.with_tiers(tiers, basis="Montagna titles (boss, underboss | executive, soldier)")


def load_caviar(folder: str | Path) -> Network:
    """CAVIAR (Montréal 1994–96, Morselli 2009): eleven phases as layers ``phase1`` … ``phase11``.

    Each phase is a directed, weighted wiretap matrix. Node attribute ``phases`` counts the
    phases an actor appears in (by a tie) and ``first_phase`` is the first. By default all
    phases are used (the aggregate network); ``select(["phase4"])`` picks one. The two known
    principals (:data:`CAVIAR_PRINCIPALS`) are declared as the leadership and ranked, so
    ``hvt-rank`` takes them; no other role is in the files.
    """
    folder = Path(folder)
    paths = _require(folder, *[f"caviar_phase{i}.csv" for i in range(1, 12)])
    nets = [read_matrix(p, layer=f"phase{i}") for i, p in enumerate(paths, start=1)]
    first: dict[str, int] = {}
    count: dict[str, int] = {}
    for i, net in enumerate(nets, start=1):
        active = set(net.edges.column("source").to_pylist()) | set(
            net.edges.column("target").to_pylist()
        )
        for n in active:
            first.setdefault(n, i)
            count[n] = count.get(n, 0) + 1
    names = list(dict.fromkeys(n for net in nets for n in net.nodes.column("node").to_pylist()))
    nodes = pa.table(
        {
            "node": names,
            "first_phase": [first.get(n) for n in names],
            "phases": [count.get(n, 0) for n in names],
        }
    )
    net = Network(name="caviar", nodes=nodes, edges=_layers(nets), directed=True, path=str(folder))
    principals = {n: "leadership" for n in CAVIAR_PRINCIPALS if n in set(names)}
    basis = "CAVIAR known principals (1 Serero, 3 Perlini)"
    return net.with_tiers(principals, basis=basis).with_rank("tier", ["leadership"])


def load_bacrim2020(folder: str | Path) -> Network:
    """BACRIM 2020 (Mexican criminal groups, PPD/CIDE): layers ``alliance`` and ``rivalry``.

    Nodes are groups (``N10025`` = CJNG …) with ``Group``, ``State``, ``ShortName``. Most ties
    are listed in both directions; a mirrored duplicate is kept once (the larger weight).
    Default layer: ``alliance`` — the cooperation network an enforcement sweep would cut;
    rivalries are there for analysts who want them (``select(["alliance", "rivalry"])``).
    """
    folder = Path(folder)
    nodes_path, ally, rival = _require(
        folder, "BACRIM2020_Nodes.csv", "BACRIM2020_Alliances.csv", "BACRIM2020_Rivals.csv"
    )
    tables = []
    for p, layer in ((ally, "alliance"), (rival, "rivalry")):
        net = read_edgelist(p, source="Node", target="RNode", weight="weight", layer=layer)
        best: dict[tuple[str, str], float] = {}
        for s, t, w in zip(
            net.edges.column("source").to_pylist(),
            net.edges.column("target").to_pylist(),
            net.edges.column("weight").to_pylist(),
            strict=True,
        ):
            key = (s, t) if s < t else (t, s)
            best[key] = max(w, best.get(key, w))
        tables.append(
            pa.table(
                {
                    "source": [k[0] for k in best],
                    "target": [k[1] for k in best],
                    "weight": list(best.values()),
                    "layer": [layer] * len(best),
                },
                schema=EDGE_SCHEMA,
            )
        )
    base = Network(
        name="bacrim2020",
        nodes=pa.table({"node": []}, schema=pa.schema([("node", pa.string())])),
        edges=pa.concat_tables(tables),
        default_layers=("alliance",),
        path=str(folder),
    )
    return attach(base, read_nodes(nodes_path, id_column="Node"))


PANDILLAS_LAYERS = ("hierarchy", "familial", "friendship", "financial", "affiliation")


def load_pandillas(folder: str | Path) -> Network:
    """Pandillas (cllghn/arso teaching data): five layers among 48 gang members.

    ``affiliation`` ties persons to gangs (two-mode), so the default layers are the four
    person-to-person ones: hierarchy, familial, friendship, financial. Layers from the
    ``hierarchy`` ties (superior → subordinate): actors with a subordinate and no superior are
    the leadership, actors with both the middle layer, actors with a superior only the
    periphery; ranked leadership > middle. A teaching dataset, possibly synthetic.
    """
    folder = Path(folder)
    paths = _require(folder, "_nodes.csv", *[f"{x.capitalize()}.csv" for x in PANDILLAS_LAYERS])
    nets = [
        _edgelist_fixed_layer(p, lay) for p, lay in zip(paths[1:], PANDILLAS_LAYERS, strict=True)
    ]
    base = Network(
        name="pandillas",
        nodes=pa.table({"node": []}, schema=pa.schema([("node", pa.string())])),
        edges=_layers(nets),
        directed=True,
        default_layers=PANDILLAS_LAYERS[:4],
        path=str(folder),
    )
    net = attach(base, read_nodes(paths[0], id_column="id"))
    ties = net.select(["hierarchy"]).edges
    bosses = set(ties.column("source").to_pylist())
    subordinates = set(ties.column("target").to_pylist())
    tiers = {n: "middle" if n in subordinates else "leadership" for n in bosses} | {
        n: "periphery" for n in subordinates - bosses
    }
    basis = "pandillas superior-subordinate ties"
    return net.with_tiers(tiers, basis=basis).with_rank("tier", ["leadership", "middle"])


def _edgelist_fixed_layer(path: Path, layer: str) -> Network:
    net = read_edgelist(path)
    edges = net.edges.set_column(3, "layer", pa.array([layer] * net.edges.num_rows, pa.string()))
    return Network(name=net.name, nodes=net.nodes, edges=edges, directed=True, path=net.path)


def load_noordin(folder: str | Path) -> Network:
    """Noordin Top operational network (Roberts & Everton 2011): 79 actors, one layer.

    Node ids are the numeric ``ID``; ``Label`` holds the name, ``Role`` an integer code whose
    labels are in the original codebook (not shipped), so no rank is derived by default.
    """
    folder = Path(folder)
    nodes_path, edges_path = _require(
        folder, "noordin_operational_nodes.csv", "noordin_operational_edges.csv"
    )
    net = _edgelist_fixed_layer(edges_path, "operational")
    net = Network(name="noordin", nodes=net.nodes, edges=net.edges, path=str(folder))
    return attach(net, read_nodes(nodes_path, id_column="ID"))


def load_koschade(folder: str | Path) -> Network:
    """Jemaah Islamiyah Bali 2002 cell (Koschade 2006): 17 actors, weighted ties, ``Role`` codes."""
    folder = Path(folder)
    nodes_path, edges_path = _require(folder, "koschade_bali_nodes.csv", "koschade_bali_edges.csv")
    net = _edgelist_fixed_layer(edges_path, "interaction")
    net = Network(name="koschade", nodes=net.nodes, edges=net.edges, path=str(folder))
    return attach(net, read_nodes(nodes_path, id_column="Id"))


DATASETS: dict[str, tuple[str, Callable[[str | Path], Network]]] = {
    "montagna": ("montagna_meetings.csv", load_montagna),
    "caviar": ("caviar_phase1.csv", load_caviar),
    "bacrim2020": ("BACRIM2020_Nodes.csv", load_bacrim2020),
    "pandillas": ("Hierarchy.csv", load_pandillas),
    "noordin": ("noordin_operational_edges.csv", load_noordin),
    "koschade": ("koschade_bali_edges.csv", load_koschade),
}
