"""The essay's claim as a report, over every shared criminal network.

Felbab-Brown (Brookings, 19 January 2021) argues that removing the leaders of Mexican
criminal groups fragments them and feeds violence, and that dismantling the middle layer of
a group (and of the officials it corrupts) in one operation would work better.
:func:`essay_claim` puts that to every network in ``../shared/data/networks`` (see its
PROVENANCE.md):

* person-level networks: the comparison of :mod:`.comparison` (a sweep of the middle layer
  against high-value targeting, by count, share of the layer and cost), judged claim by
  claim (:mod:`.verdicts`);
* BACRIM 2020, whose actors are whole organisations: the leader-removal fragmentation model
  of :mod:`.fragmentation`, with its sensitivity analysis — the network holds no group's
  middle layer, so no sweep is compared there.

:data:`SOURCES` says what each network is. Two files are second copies of an operation
already in the list (``luciaetal_montagna``, ``morselli_caviar``): their tables are shown but
they are not counted twice in the summary; the pandillas data are a teaching set and are
not counted as evidence; terrorist and auto-theft networks are counted apart from criminal
groups that trade in drugs, protection or territory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dyadwatch.errors import UsageError

from .budgets import layer_count
from .comparison import ClaimParams, campaign, run_network, strategies_for
from .datasets import DATASETS
from .fragmentation import Relations, SplitModel, scenarios, sensitivity
from .graph import Network
from .layers import agreement, middle_layer, overlap, relays, structural_core
from .loaders import load
from .verdicts import CLAIMS, by_claim, claim_calls, outcome_table, verdict_table

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Source:
    """What a shared network is (from networks/PROVENANCE.md)."""

    kind: str
    operation: str
    counted: bool = True
    note: str = ""


CRIMINAL = ("mafia", "drug trafficking", "street gangs")
"""Kinds that are criminal groups in the essay's sense; other kinds are counted apart."""

SOURCES: dict[str, Source] = {
    "caviar": Source("drug trafficking", "CAVIAR, Montréal 1994–96", note="11 phases aggregated"),
    "koschade": Source("terrorist cell", "Jemaah Islamiyah, Bali 2002"),
    "bacrim2020": Source("organisations", "BACRIM 2020 (Mexican groups)"),
    "montagna": Source("mafia", "Montagna, Sicily", note="meetings and phone calls"),
    "noordin": Source("terrorist network", "Noordin Top, Indonesia"),
    "pandillas": Source("street gangs", "pandillas", False, "teaching data, possibly synthetic"),
    "ITALIAN_GANGS": Source("street gangs", "Italian gangs"),
    "LONDON_GANG": Source("street gangs", "London street gang"),
    "MONTREALGANG": Source("street gangs", "Montréal street gangs"),
    "NDRANGHETAMAFIA_2M": Source(
        "mafia", "'Ndrangheta Infinito, Lombardy", note="persons × summits, projected"
    ),
    "berlusconietal_oversize": Source("mafia", "'Ndrangheta Oversize"),
    "luciaetal_montagna": Source("mafia", "Montagna, Sicily", False, "40-actor subset; copy"),
    "macdonald_tfc": Source("drug trafficking", "French Connection"),
    "morselli_caviar": Source("drug trafficking", "CAVIAR, Montréal 1994–96", False, "copy"),
    "morselli_cielnet": Source("drug trafficking", "CielNet, Montréal"),
    "morselli_siren": Source("auto theft", "Siren, Montréal"),
    "morselli_togo": Source("auto theft", "Togo, Montréal"),
    "natajaran_cocaine": Source("drug trafficking", "New York cocaine ring"),
    "natajaran_heroin": Source("drug trafficking", "New York heroin ring"),
}


@dataclass(frozen=True, slots=True)
class EssayParams:
    """Everything :func:`essay_claim` uses: the comparison's and the fragmentation model's."""

    claim: ClaimParams = field(default_factory=ClaimParams)
    split: SplitModel = field(default_factory=SplitModel)
    ks: tuple[int, ...] = (1, 3, 5, 10)


def shared_networks(folder: str | Path) -> list[Path]:
    """Every network in ``folder``: each dataset folder, and each CSV file in other folders.

    Raises
    ------
    UsageError
        ``folder`` does not exist or holds no network.
    """
    root = Path(folder)
    if not root.is_dir():
        raise UsageError(
            f"{root}: no such folder. Pass the networks folder of the shared data "
            "(../shared/data/networks) or set DYADWATCH_SHARED_DATA."
        )
    markers = [marker for marker, _ in DATASETS.values()]
    found: list[Path] = []
    for entry in sorted(root.iterdir()):
        if entry.is_dir() and any((entry / m).exists() for m in markers):
            found.append(entry)
        elif entry.is_dir():
            found.extend(sorted(entry.glob("*.csv")))
    if not found:
        raise UsageError(f"{root} holds no network (dataset folders or CSV files).")
    return found


def essay_claim(
    folder: str | Path,
    params: EssayParams | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run the essay's comparison over every network in ``folder`` (see the module docstring).

    Returns a JSON-ready mapping: ``params``, ``networks`` (one entry per person-level
    network: what it is, its middle layer, the outcome table, the verdicts per outcome and
    per claim, the calls),
    ``fragmentation`` (BACRIM 2020) and ``summary``.

    Examples
    --------
    >>> report = essay_claim("../shared/data/networks",
    ...                      EssayParams(ClaimParams(runs=2, shares=(0.5,)), ks=(1,)))
    >>> len(report["networks"]), report["fragmentation"]["network"]
    (18, 'bacrim2020')
    """
    params = params or EssayParams()
    paths = shared_networks(folder)
    nets = [load(p) for p in paths]
    people = [n for n in nets if SOURCES.get(n.name, Source("", "")).kind != "organisations"]
    total = len(people) * params.claim.runs
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    networks = [network_report(n, params.claim, tick) for n in people]
    groups = [n for n in nets if n not in people]
    fragmentation = fragmentation_report(groups[0], params) if groups else None
    return {
        "params": {"claim": asdict(params.claim), "split": asdict(params.split)},
        "networks": networks,
        "fragmentation": fragmentation,
        "summary": summary(networks, fragmentation),
    }


def network_report(
    net: Network, params: ClaimParams, tick: Callable[[], None] | None = None
) -> dict[str, Any]:
    """The comparison on one person-level network, with its layer and claims."""
    source = SOURCES.get(net.name, Source("unknown", net.name, False, "not in PROVENANCE.md"))
    graph = net.to_igraph()
    rows = run_network(graph, net.name, params, tick)
    verdicts = verdict_table(rows)
    return {
        "name": net.name,
        "path": net.path,
        **asdict(source),
        "nodes": graph.vcount(),
        "edges": graph.ecount(),
        "strategies": strategies_for(graph),
        "layer": layer_report(net, params),
        "outcomes": outcome_table(rows),
        "verdicts": verdicts,
        "by_claim": by_claim(verdicts),
        "claims": claim_calls(verdicts),
    }


def layer_report(net: Network, params: ClaimParams) -> dict[str, Any]:
    """The observed network's middle layer, its overlap with HVT's targets, and (where
    layers are declared) how well the structural rule recovers them."""
    graph = net.to_igraph()
    b = np.round(np.asarray(graph.betweenness(directed=False), dtype=float), 9)
    layer = middle_layer(graph, basis=net.tier_basis, core_share=params.core_share, betweenness=b)
    members = layer.members(graph)
    count = layer_count(max(params.shares), layer.size)
    hvt = [graph.vs[v]["name"] for v in campaign(graph, np.ones(graph.vcount()), count, 0.0)]
    out: dict[str, Any] = {
        "definition": layer.definition,
        "basis": layer.basis,
        "leaders": int(layer.core.sum()),
        "size": layer.size,
        "members": members,
        "overlap_hvt_betweenness": overlap(hvt[:count], members),
    }
    if layer.definition != "structural":
        core = structural_core(graph, params.core_share)
        structural = [graph.vs[int(v)]["name"] for v in np.flatnonzero(relays(graph, core, b))]
        out["structural_rule_agreement"] = agreement(structural, members)
    return out


def fragmentation_report(net: Network, params: EssayParams) -> dict[str, Any]:
    """The leader-removal fragmentation model on an alliances-and-rivalries network."""
    relations = Relations.of(net)
    names = _short_names(net)
    runs, seed = params.claim.runs, params.claim.seed
    rows = scenarios(relations, params.split, ks=params.ks, runs=runs, seed=seed)
    sens = sensitivity(relations, params.split, k=max(params.ks[:3]), runs=runs, seed=seed)
    sens["targets"] = [names.get(g, g) for g in sens["targets"]]
    return {
        "network": net.name,
        "groups": len(relations.allies),
        "rivalries": relations.rivalry_pairs,
        "alliances": sum(len(a) for a in relations.allies.values()) // 2,
        "prominent": [
            {"group": names.get(g, g), "ties": relations.ties(g)}
            for g in relations.prominent(max(params.ks))
        ],
        "model": asdict(params.split),
        "scenarios": rows,
        "sensitivity": sens,
    }


def _short_names(net: Network) -> dict[str, str]:
    cols = net.nodes.column_names
    key = "ShortName" if "ShortName" in cols else "Group" if "Group" in cols else None
    if key is None:
        return {}
    ids, values = net.nodes.column("node").to_pylist(), net.nodes.column(key).to_pylist()
    return {n: v for n, v in zip(ids, values, strict=True) if v}


def summary(
    networks: Sequence[dict[str, Any]], fragmentation: dict[str, Any] | None
) -> dict[str, Any]:
    """Per claim and HVT strategy: which operations support, contradict, are mixed or
    inconclusive; and plain sentences saying so."""
    tally: list[dict[str, Any]] = []
    for claim in CLAIMS:
        for versus in ("hvt-betweenness", "hvt-rank"):
            entry = _tally(networks, claim, versus)
            if entry["criminal"] or entry["other"]:
                tally.append(entry)
    lines = [_sentence(t) for t in tally]
    if fragmentation is not None:
        lines.append(_fragmentation_sentence(fragmentation))
    return {"claims": tally, "text": lines}


def _tally(networks: Sequence[dict[str, Any]], claim: str, versus: str) -> dict[str, Any]:
    criminal: dict[str, list[str]] = {
        "supports": [],
        "contradicts": [],
        "mixed": [],
        "inconclusive": [],
    }
    other: dict[str, list[str]] = {k: [] for k in criminal}
    for net in networks:
        if not net["counted"]:
            continue
        for c in net["claims"]:
            if c["claim"] == claim and c["versus"] == versus:
                bucket = criminal if net["kind"] in CRIMINAL else other
                bucket[c["call"]].append(net["name"])
    counts = {k: len(v) for k, v in criminal.items()}
    if counts["supports"] and not (counts["contradicts"] or counts["mixed"]):
        overall = "supported"
    elif counts["contradicts"] and not (counts["supports"] or counts["mixed"]):
        overall = "contradicted"
    else:
        overall = "inconclusive"
    return {
        "claim": claim,
        "versus": versus,
        "criminal": criminal,
        "other": other,
        "overall": overall,
    }


def _sentence(t: dict[str, Any]) -> str:
    parts = [f"{k} {len(v)} ({', '.join(v)})" for k, v in t["criminal"].items() if v]
    others = [f"{k} {len(v)}" for k, v in t["other"].items() if v]
    text = (
        f"{t['claim']} vs {t['versus']}: {t['overall']} on the criminal networks — "
        f"{'; '.join(parts) or 'none'}"
    )
    if others:
        text += f". Terrorist and auto-theft networks: {'; '.join(others)}"
    if t["overall"] == "inconclusive":
        text += ". Where intervals overlap or networks disagree, this evidence does not decide"
    return text + "."


def _fragmentation_sentence(f: dict[str, Any]) -> str:
    def at(targets: str, k: int) -> dict[str, Any]:
        return next(r for r in f["scenarios"] if r["targets"] == targets and r["k"] == k)

    k = f["sensitivity"]["k"]
    top, rnd = at("prominent", k), at("random", k)
    grid = f["sensitivity"]["grid"]
    return (
        f"{f['network']}: actors are whole organisations, so no sweep is compared. Under the "
        f"leader-removal model (defaults), removing the leaders of the {k} most connected "
        f"groups adds {top['new_rivalries']:.1f} rivalries [{top['new_rivalries_lo']:.1f}, "
        f"{top['new_rivalries_hi']:.1f}] to {f['rivalries']}, against "
        f"{rnd['new_rivalries']:.1f} [{rnd['new_rivalries_lo']:.1f}, "
        f"{rnd['new_rivalries_hi']:.1f}] for {k} random groups; across the parameter grid the "
        f"mean runs from {grid['lowest']:.0f} (no splits) to {grid['highest']:.0f}. The size "
        "comes from the model's parameters, which these data do not estimate: it illustrates "
        "the mechanism, it does not measure it."
    )
