"""Read a network from a file or a dataset folder: :func:`load` picks the reader.

The readers live by format: :mod:`.tables` (edge lists, adjacency matrices, node tables),
:mod:`.xmlformats` (GraphML, GEXF) and :mod:`.datasets` (the shared dataset folders: Montagna,
CAVIAR, BACRIM 2020, pandillas, Noordin, Koschade). Text handling (byte-order marks, CR line
endings, Latin-1) is in :mod:`.textio`. Any malformed file raises
:class:`~dyadwatch.errors.NetworkFormatError` naming the file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from dyadwatch.errors import UsageError, did_you_mean

from .datasets import DATASETS
from .graph import Network
from .tables import attach, read_edgelist, read_matrix, read_nodes
from .textio import is_number, read_rows, read_text
from .xmlformats import read_gexf, read_graphml

Format = Literal[
    "auto",
    "edgelist",
    "matrix",
    "graphml",
    "gexf",
    "montagna",
    "caviar",
    "bacrim2020",
    "pandillas",
    "noordin",
    "koschade",
]
FORMATS: tuple[str, ...] = get_args(Format)

MATRIX_CORNERS = {"", "players", "actors", "nodes", "id", "label"}


def _sniff_csv(path: Path) -> str:
    rows = read_rows(path).rows
    head = rows[0]
    if len(head) >= 3 and head[0].lower() in MATRIX_CORNERS and len(rows) > 1:
        second = rows[1]
        if len(second) == len(head) and all(is_number(c) or c == "" for c in second[1:]):
            return "matrix"
    if len(head) >= 4 and len(rows) > 1 and all(is_number(c) for c in rows[1][1:]):
        return "matrix"
    return "edgelist"


def load(
    path: str | Path,
    *,
    format: str = "auto",
    nodes: str | Path | None = None,
) -> Network:
    """Read a network file or dataset folder, choosing the reader from ``format``.

    Parameters
    ----------
    path
        A file (``.csv``/``.tsv``/``.txt`` edge list or matrix, ``.graphml``, ``.gexf``) or a
        dataset folder (Montagna, CAVIAR phases, BACRIM 2020, pandillas, Noordin, Koschade).
    format
        One of :data:`FORMATS`; ``auto`` guesses from the extension, folder contents and the
        first rows.
    nodes
        A node attribute table to attach (roles, ranks) when ``path`` is a single file.

    Raises
    ------
    NetworkFormatError
        The file cannot be read as the format.
    UsageError
        An unknown format name, or a folder holding no known dataset.

    Examples
    --------
    >>> net = load("../shared/data/networks/montagna")
    >>> net.layers
    ('meetings', 'phone', 'kinship', 'sightings')
    """
    if format not in FORMATS:
        raise UsageError(f"Unknown network format {format!r}.{did_you_mean(format, FORMATS)}")
    p = Path(path)
    if format in DATASETS:
        return DATASETS[format][1](p)
    if format == "auto" and p.is_dir():
        for marker, loader in DATASETS.values():
            if (p / marker).exists():
                return loader(p)
        raise UsageError(
            f"{p} is a folder but holds no known dataset ({', '.join(DATASETS)}). "
            "Pass one network file instead."
        )
    if format == "auto":
        suffix = p.suffix.lower()
        if suffix == ".graphml":
            format = "graphml"
        elif suffix == ".gexf":
            format = "gexf"
        else:
            read_text(p)  # missing / empty / folder errors first
            format = _sniff_csv(p)
    net: Network
    if format == "graphml":
        net = read_graphml(p)
    elif format == "gexf":
        net = read_gexf(p)
    elif format == "matrix":
        net = read_matrix(p)
    else:
        net = read_edgelist(p)
    if nodes is not None:
        net = attach(net, read_nodes(nodes))
    return net
