"""Network targeting: high-value targeting versus sweeping the middle operational layer.

Felbab-Brown (Brookings, 19 January 2021) argues that removing the leaders of Mexican criminal
groups splits them and feeds violence, and that dismantling, in a single operation, the layer
of people who run their operations would serve better. This package lets an analyst test that
comparison on a real network::

    from dyadwatch.analyse.network import load, simulate

    net = load("../shared/data/networks/montagna")            # meetings + phone layers
    res = simulate(net, ["hvt-betweenness", "sweep", "random"], budget=0.1,
                   recovery="second-neighbour", runs=50, seed=1)
    res.summary            # comparison table (Arrow); res.to_polars(), res.to_pandas()
    res.plot("montagna.png")

    essay_claim("../shared/data/networks")  # the essay's claim over every shared network

Modules: :mod:`.graph` (the :class:`Network` record), :mod:`.loaders` (:func:`load`, which picks
a reader from :mod:`.tables`, :mod:`.xmlformats` or :mod:`.datasets`; text handling in
:mod:`.textio`), :mod:`.strategies`, :mod:`.outcomes`, :mod:`.recovery`, :mod:`.simulate`,
:mod:`.report`; the essay comparison: :mod:`.layers` (the middle layer), :mod:`.budgets`,
:mod:`.comparison`, :mod:`.stats`, :mod:`.verdicts`, :mod:`.fragmentation`, :mod:`.essay`.
See docs/network.md for the method and the published results it is compared
with.
"""

from .budgets import Budget, budgets, costs
from .comparison import ClaimParams, run_network
from .datasets import (
    load_bacrim2020,
    load_caviar,
    load_koschade,
    load_montagna,
    load_noordin,
    load_pandillas,
)
from .essay import EssayParams, essay_claim, shared_networks
from .fragmentation import Relations, SplitModel, decapitate
from .graph import EDGE_SCHEMA, Network
from .layers import MiddleLayer, middle_layer
from .loaders import FORMATS, load
from .outcomes import OUTCOMES
from .recovery import RECOVERY_MODELS
from .report import comparison_table, curves, plot
from .simulate import STEP_SCHEMA, SimulationResult, resolve_budget, simulate
from .strategies import (
    DEFAULT_BAND,
    DEFAULT_STRATEGIES,
    STRATEGY_NAMES,
    Strategy,
    parse_strategy,
)
from .tables import read_edgelist, read_matrix, read_nodes
from .xmlformats import read_gexf, read_graphml

__all__ = [
    "DEFAULT_BAND",
    "DEFAULT_STRATEGIES",
    "EDGE_SCHEMA",
    "FORMATS",
    "OUTCOMES",
    "RECOVERY_MODELS",
    "STEP_SCHEMA",
    "STRATEGY_NAMES",
    "Budget",
    "ClaimParams",
    "EssayParams",
    "MiddleLayer",
    "Network",
    "Relations",
    "SimulationResult",
    "SplitModel",
    "Strategy",
    "budgets",
    "comparison_table",
    "costs",
    "curves",
    "decapitate",
    "essay_claim",
    "load",
    "load_bacrim2020",
    "load_caviar",
    "load_koschade",
    "load_montagna",
    "load_noordin",
    "load_pandillas",
    "middle_layer",
    "parse_strategy",
    "plot",
    "read_edgelist",
    "read_gexf",
    "read_graphml",
    "read_matrix",
    "read_nodes",
    "resolve_budget",
    "run_network",
    "shared_networks",
    "simulate",
]
